// WebGL2 drawing. Every line is a quad (and, for arrows, a head triangle) whose corners carry
// both end points; the vertex shader pushes each corner out to the chosen pixel width, since
// software WebGL draws GL lines 1 px wide only. All lines of a layer are in one vertex buffer
// drawn by one call. Not instancing: SwiftShader (software WebGL) runs an instanced draw
// instance by instance, about as slowly as one call per line. The time cursor, colours and
// highlight mode are uniforms, so playback and hotkeys never rebuild a buffer.

import { STRIDE } from 'gotrace/geometry.js';
import { ARROW_BASE, STATES, colorTable } from 'gotrace/palette.js';

const VERTEX = `#version 300 es
layout(location = 0) in vec3 a_p0;
layout(location = 1) in vec3 a_p1;
layout(location = 2) in vec2 a_t;
layout(location = 3) in float a_code;
uniform mat4 u_mvp;
uniform vec2 u_half_viewport;
uniform float u_time;
uniform float u_width;
uniform int u_mode;
uniform vec3 u_colors[16];
out vec4 v_color;

float emphasis(int code) {
  bool arrow = code >= ${ARROW_BASE};
  if (u_mode == 0) return 1.0;
  if (u_mode == 4) return arrow ? 1.0 : 0.1;
  int wanted = u_mode == 1 ? ${STATES.indexOf('blocked')} : u_mode == 2 ? ${STATES.indexOf('sleeping')} : ${STATES.indexOf('running')};
  return code == wanted ? 1.0 : 0.1;
}

void main() {
  int packed = int(a_code + 0.5);
  int code = packed & 15;
  int vid = packed >> 4;
  if (a_t.x > u_time) { // not yet happened: outside the clip volume
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    v_color = vec4(0.0);
    return;
  }
  float grow = a_t.y > a_t.x ? clamp((u_time - a_t.x) / (a_t.y - a_t.x), 0.0, 1.0) : 1.0;
  vec4 c0 = u_mvp * vec4(a_p0, 1.0);
  vec4 c1 = u_mvp * vec4(mix(a_p0, a_p1, grow), 1.0);
  vec2 s0 = c0.xy / c0.w * u_half_viewport;
  vec2 s1 = c1.xy / c1.w * u_half_viewport;
  vec2 dir = s1 - s0;
  float len = length(dir);
  dir = len > 1e-3 ? dir / len : vec2(0.0, 1.0);
  vec2 across = vec2(-dir.y, dir.x);
  float half_width = u_width * 0.5;
  // Vertices 0-3 are the quad's corners, 4-6 the arrow head (tip, then its two base corners);
  // computed, not looked up, because table lookups are slow in software vertex shaders.
  vec4 clip;
  vec2 offset;
  if (vid < 4) {
    clip = ((vid ^ (vid >> 1)) & 1) == 1 ? c1 : c0;
    offset = across * (float(vid >> 1) * 2.0 - 1.0) * half_width;
  } else {
    float head = max(6.0, u_width * 3.0);
    clip = c1;
    offset = vid == 4 ? vec2(0.0) : -dir * head + across * head * (vid == 5 ? 0.45 : -0.45);
  }
  gl_Position = vec4(clip.xy + offset / u_half_viewport * clip.w, clip.zw);
  v_color = vec4(u_colors[code], emphasis(code));
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec4 v_color;
out vec4 color;
void main() { color = v_color; }`;

export const BACKGROUND = [0.063, 0.071, 0.086];

export class Renderer {
  /** `antialias` multiplies the pixels software WebGL fills: worth it for small models only. */
  constructor(canvas, { antialias }) {
    const gl = canvas.getContext('webgl2', { antialias, preserveDrawingBuffer: false });
    if (!gl) throw new Error('this browser has no WebGL2');
    this.gl = gl;
    this.program = link(gl, VERTEX, FRAGMENT);
    this.u = {};
    for (const name of ['u_mvp', 'u_half_viewport', 'u_time', 'u_width', 'u_mode', 'u_colors']) {
      this.u[name] = gl.getUniformLocation(this.program, name);
    }
    this.layers = [];
    this.naive = false;
    this.colors = colorTable();
  }

  /** Uploads one layer of lines (`STRIDE` floats each), drawn as arrows when `arrows`. */
  addLayer(lines, count, arrows) {
    const gl = this.gl;
    const corners = arrows ? 7 : 4;
    const pattern = arrows ? [0, 1, 2, 0, 2, 3, 4, 5, 6] : [0, 1, 2, 0, 2, 3];
    const vertices = new Float32Array(count * corners * STRIDE);
    const indices = new Uint32Array(count * pattern.length);
    for (let i = 0; i < count; i++) {
      const line = lines.subarray(i * STRIDE, (i + 1) * STRIDE);
      for (let c = 0; c < corners; c++) {
        const o = (i * corners + c) * STRIDE;
        vertices.set(line, o);
        vertices[o + 8] = line[8] + 16 * c; // the corner rides in the colour code's high bits
      }
      for (let k = 0; k < pattern.length; k++) indices[i * pattern.length + k] = i * corners + pattern[k];
    }
    const vao = gl.createVertexArray();
    const buffers = [gl.createBuffer(), gl.createBuffer()];
    gl.bindVertexArray(vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, buffers[0]);
    gl.bufferData(gl.ARRAY_BUFFER, vertices, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, buffers[1]);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, indices, gl.STATIC_DRAW);
    const attrs = [[0, 3, 0], [1, 3, 3], [2, 2, 6], [3, 1, 8]];
    for (const [loc, size, offset] of attrs) {
      gl.enableVertexAttribArray(loc);
      gl.vertexAttribPointer(loc, size, gl.FLOAT, false, STRIDE * 4, offset * 4);
    }
    gl.bindVertexArray(null);
    this.layers.push({ vao, buffers, count, perLine: pattern.length });
  }

  /** Frees every layer, before the layers of another picture are added. */
  clearLayers() {
    const gl = this.gl;
    for (const layer of this.layers) {
      for (const buffer of layer.buffers) gl.deleteBuffer(buffer);
      gl.deleteVertexArray(layer.vao);
    }
    this.layers = [];
  }

  /** Draws a frame; returns the number of draw calls it took. */
  draw(frame) {
    const gl = this.gl;
    const { width, height } = gl.canvas;
    gl.viewport(0, 0, width, height);
    gl.clearColor(...BACKGROUND, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    // Only highlight modes dim lines; blending costs software WebGL a read per pixel.
    if (frame.mode === 0) gl.disable(gl.BLEND);
    else gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.useProgram(this.program);
    gl.uniformMatrix4fv(this.u.u_mvp, false, frame.mvp);
    gl.uniform2f(this.u.u_half_viewport, width / 2, height / 2);
    gl.uniform1f(this.u.u_time, frame.time);
    gl.uniform1f(this.u.u_width, frame.lineWidth * (window.devicePixelRatio || 1));
    gl.uniform1i(this.u.u_mode, frame.mode);
    gl.uniform3fv(this.u.u_colors, this.colors);
    let calls = 0;
    for (const layer of this.layers) {
      calls += this.naive ? this.drawNaive(layer) : this.drawMerged(layer);
    }
    return calls;
  }

  drawMerged(layer) {
    const gl = this.gl;
    gl.bindVertexArray(layer.vao);
    gl.drawElements(gl.TRIANGLES, layer.count * layer.perLine, gl.UNSIGNED_INT, 0);
    gl.bindVertexArray(null);
    return 1;
  }

  // The baseline for the scale benchmark: the same buffers, one draw call per line, as a
  // scene graph with one object per line issues them. It is cheaper than a real scene graph
  // (no per-object buffer, state or matrix), so the measured ratio understates the gain.
  drawNaive(layer) {
    const gl = this.gl;
    gl.bindVertexArray(layer.vao);
    const bytes = layer.perLine * 4;
    for (let i = 0; i < layer.count; i++) gl.drawElements(gl.TRIANGLES, layer.perLine, gl.UNSIGNED_INT, i * bytes);
    gl.bindVertexArray(null);
    return layer.count;
  }

  /** Counts the lit pixels of a freshly drawn frame by nearest palette colour (for tests). */
  litPixels(frame) {
    this.draw(frame);
    const gl = this.gl;
    const { width, height } = gl.canvas;
    const px = new Uint8Array(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, px);
    const table = this.colors;
    const bg = BACKGROUND.map((c) => Math.round(c * 255));
    const counts = { lit: 0, byCode: {} };
    for (let i = 0; i < px.length; i += 4) {
      if (Math.abs(px[i] - bg[0]) + Math.abs(px[i + 1] - bg[1]) + Math.abs(px[i + 2] - bg[2]) < 24) continue;
      counts.lit++;
      const code = nearestCode(table, px[i], px[i + 1], px[i + 2]);
      if (code >= 0) counts.byCode[code] = (counts.byCode[code] ?? 0) + 1;
    }
    return counts;
  }
}

// Exact palette colours only (within a small tolerance): antialiased edges and dimmed lines
// are lit but belong to no code.
function nearestCode(table, r, g, b) {
  for (let code = 0; code < 16; code++) {
    const d = Math.abs(table[code * 3] * 255 - r) + Math.abs(table[code * 3 + 1] * 255 - g) + Math.abs(table[code * 3 + 2] * 255 - b);
    if (d < 30 && table[code * 3] + table[code * 3 + 1] + table[code * 3 + 2] > 0) return code;
  }
  return -1;
}

function link(gl, vs, fs) {
  const program = gl.createProgram();
  for (const [type, src] of [[gl.VERTEX_SHADER, vs], [gl.FRAGMENT_SHADER, fs]]) {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, src);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(`shader: ${gl.getShaderInfoLog(shader)}`);
    gl.attachShader(program, shader);
  }
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`shader link: ${gl.getProgramInfoLog(program)}`);
  return program;
}
