// The scale benchmark: the same frame drawn three ways, one after the other in one page, each
// timed to completion (a 1-pixel read waits for the GPU, so the figures are not capped by the
// display's refresh rate):
// - merged: what the viewer does (render.js);
// - per object: the naive drawing of the 2016 original (three.js, one object per line): each
//   line has its own vertex buffer and vertex array, and its own uniforms (matrix, colour)
//   set before its own draw call;
// - per call: a generous naive baseline, the merged buffers drawn with one call per line (no
//   per-line buffer, state or uniform), the floor of any one-call-per-line drawing.
// Three cases: the default picture (2 px lines), 1 px lines, and geometry only (the scene
// moved off screen: the calls and the vertices, nothing rasterized).

import { STRIDE } from 'gotrace/geometry.js';
import { CODES } from 'gotrace/palette.js';
import { FRAGMENT, setAttributes, vertexShader } from 'gotrace/render.js';

const CASES = [
  { name: 'default', frame: (f) => f },
  { name: 'width1', frame: (f) => ({ ...f, lineWidth: 1 }) },
  { name: 'geometry', frame: (f) => ({ ...f, mvp: offScreen(f.mvp) }) },
];

const QUAD = [0, 1, 2, 0, 2, 3];
const HEAD = [4, 5, 6];

export async function runBenchmark(renderer, camera, frameOf, seconds) {
  const perObject = new PerObjectScene(renderer);
  const modes = {
    merged: (frame) => renderer.draw(frame),
    perObject: (frame) => perObject.draw(frame),
    perCall: (frame) => drawPerCall(renderer, frame),
  };
  const result = {};
  try {
    // The two drawings must look the same: lit pixels by colour code of the default picture
    // (lines overlap in a different order: by start time merged, by model per object).
    perObject.draw(frameOf());
    result.pictures = { perObject: renderer.countLit(), merged: renderer.litPixels(frameOf()) };
    for (const c of CASES) {
      const row = {};
      for (const [mode, draw] of Object.entries(modes)) {
        row[mode] = await measure(renderer.gl, camera, () => draw(c.frame(frameOf())), seconds);
      }
      row.ratio = row.merged.fps / row.perObject.fps;
      row.ratioPerCall = row.merged.fps / row.perCall.fps;
      result[c.name] = row;
    }
  } finally {
    perObject.delete();
  }
  result.canvas = [renderer.gl.canvas.width, renderer.gl.canvas.height];
  return result;
}

async function measure(gl, camera, drawFrame, seconds) {
  const pixel = new Uint8Array(4);
  const once = () => {
    camera.yaw += 0.01;
    const calls = drawFrame();
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
    return calls;
  };
  once(); // warm-up: shader compilation and buffer upload are not part of a frame
  let frames = 0;
  let calls = 0;
  const t0 = performance.now();
  while (frames < 3 || performance.now() - t0 < seconds * 1000) {
    calls = once();
    frames++;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const elapsed = (performance.now() - t0) / 1000;
  return { fps: frames / elapsed, frames, seconds: elapsed, drawCalls: calls };
}

// Every vertex lands right of the clip volume (x + 3w): the GPU transforms and culls it.
function offScreen(mvp) {
  const m = Float32Array.from(mvp);
  for (let c = 0; c < 4; c++) m[c * 4] += 3 * m[c * 4 + 3];
  return m;
}

function drawPerCall(renderer, frame) {
  const gl = renderer.gl;
  renderer.clear();
  renderer.begin(frame);
  let calls = 0;
  for (const layer of renderer.layers) {
    gl.bindVertexArray(layer.vao);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, layer.wide.buffer);
    const per = layer.wide.perLine;
    for (let i = 0; i < layer.count; i++) gl.drawElements(gl.TRIANGLES, per, gl.UNSIGNED_INT, i * per * 4);
    calls += layer.count;
  }
  gl.bindVertexArray(null);
  return calls;
}

// One object per line, as a scene graph holds them: its own buffer of its triangles' corners
// (same vertex format and shader as the viewer, colour from a per-object uniform).
class PerObjectScene {
  constructor(renderer) {
    this.renderer = renderer;
    const gl = renderer.gl;
    this.program = renderer.link(vertexShader({ perObject: true }), FRAGMENT);
    this.objects = [];
    for (const layer of renderer.layers) {
      const pattern = layer.arrows ? [...QUAD, ...HEAD] : QUAD;
      const { lines, count } = layer.source;
      for (let i = 0; i < count; i++) this.objects.push(this.object(gl, lines.subarray(i * STRIDE, (i + 1) * STRIDE), pattern));
    }
    gl.bindVertexArray(null);
  }

  object(gl, line, pattern) {
    const vertices = new Float32Array(pattern.length * STRIDE);
    pattern.forEach((corner, k) => {
      vertices.set(line, k * STRIDE);
      vertices[k * STRIDE + 8] = line[8] + CODES * corner;
    });
    const vao = gl.createVertexArray();
    gl.bindVertexArray(vao);
    const buffer = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ARRAY_BUFFER, vertices, gl.STATIC_DRAW);
    setAttributes(gl);
    const code = line[8];
    return { vao, buffer, vertices: pattern.length, color: this.renderer.colors.subarray(code * 3, code * 3 + 3) };
  }

  draw(frame) {
    const gl = this.renderer.gl;
    const { u } = this.program;
    this.renderer.clear();
    this.renderer.begin(frame, this.program);
    for (const o of this.objects) {
      gl.bindVertexArray(o.vao);
      gl.uniformMatrix4fv(u.u_mvp, false, frame.mvp);
      gl.uniform3fv(u.u_color, o.color);
      gl.drawArrays(gl.TRIANGLES, 0, o.vertices);
    }
    gl.bindVertexArray(null);
    return this.objects.length;
  }

  delete() {
    const gl = this.renderer.gl;
    for (const o of this.objects) {
      gl.deleteVertexArray(o.vao);
      gl.deleteBuffer(o.buffer);
    }
    gl.deleteProgram(this.program.id);
    this.objects = [];
  }
}
