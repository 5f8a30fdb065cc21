// WebGL2 drawing. Every line is a quad (and, for arrows, a head triangle) whose corners carry
// both end points; the vertex shader pushes each corner out to the chosen pixel width, since
// software WebGL draws GL lines 1 px wide only. All lines of a layer are in one vertex buffer
// drawn by a few calls. Not instancing: SwiftShader (software WebGL) runs an instanced draw
// instance by instance, about as slowly as one call per line. The time cursor, colours and
// highlight mode are uniforms, so playback and hotkeys never rebuild a buffer.
//
// What makes a big model fast in software WebGL (viewer/README.md has the figures):
// - lines at most THIN_PX wide are GL lines between two of the quad's corners, placed by a
//   leaner shader: half the vertices, and one primitive to set up instead of two triangles
//   (SwiftShader pays more per primitive than per pixel);
// - in a big model, 1 and 2 px lines (2 px is the default) are drawn that way as keys
//   (drawing order and colour code, an integer write per pixel) into an offscreen image,
//   which a full-screen pass colours and, for 2 px, widens by one pixel: a fixed cost per
//   screen pixel instead of twice the primitives. Small models are antialiased, which
//   widening would undo, and highlight modes blend, which keys cannot: they draw to the
//   canvas directly, 2 px lines as quads;
// - each layer's lines are sorted by start time, so the part of the trace not yet played is
//   skipped by drawing a prefix of the buffer, not by running the shader on it;
// - the colour table is uploaded once, when a program is linked.

import { STRIDE } from 'gotrace/geometry.js';
import { ARROW_BASE, CODES, CODE_BITS, STATES, STUCK, colorTable } from 'gotrace/palette.js';

/** Lines at most this many device pixels wide are drawn as GL lines (1 px). */
const THIN_PX = 1.5;
/** Up to this width, big models draw keys of 1 px lines, widened to 2 px above THIN_PX (highlight mode 0 only). */
const WIDENED_PX = 2.5;

// Where the wide shader puts a corner: the quad's corners pushed out across the line in
// screen space, or the arrow head's.
const WIDE_CORNER = `  vec4 c0 = u_mvp * vec4(a_p0, 1.0);
  vec4 c1 = u_mvp * vec4(mix(a_p0, a_p1, grow), 1.0);
  // Cut at the near plane (z = -w): an end behind the eye has no place on screen, and its
  // quad would be thrown across the whole view when zoomed in close.
  float d0 = c0.z + c0.w;
  float d1 = c1.z + c1.w;
  bool behind = d0 < 0.0 && d1 < 0.0;
  if (d0 < 0.0 && !behind) c0 = mix(c0, c1, d0 / (d0 - d1));
  if (d1 < 0.0 && !behind) c1 = mix(c1, c0, d1 / (d1 - d0));
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
  gl_Position = behind ? vec4(2.0, 2.0, 2.0, 1.0) : vec4(clip.xy + offset / u_half_viewport * clip.w, clip.zw);
`;

/**
 * The vertex shader. `thin` places the two ends of a GL line (corners 0 and 1), without the
 * screen-space work of the quads; `perObject` takes the colour from a uniform, as a scene graph
 * sets it per object; `keyed` outputs, instead of a colour, the line's key for widening: its
 * drawing order (u_key_base + vertex number / u_corners, from 1) times CODES plus its colour code.
 */
export function vertexShader({ thin = false, perObject = false, keyed = false }) {
  return `#version 300 es
layout(location = 0) in vec3 a_p0;
layout(location = 1) in vec3 a_p1;
layout(location = 2) in vec2 a_t;
layout(location = 3) in float a_code;
uniform mat4 u_mvp;
uniform vec2 u_half_viewport;
uniform float u_time;
uniform float u_width;
uniform int u_mode;
${perObject ? 'uniform vec3 u_color;' : `uniform vec3 u_colors[${CODES}];`}
${keyed ? 'uniform uint u_key_base;\nuniform int u_corners;\nflat out uint v_key;' : 'flat out vec4 v_color;'}

float emphasis(int code) {
  bool arrow = code >= ${ARROW_BASE};
  if (u_mode == 0) return 1.0;
  if (u_mode == 4) return arrow ? 1.0 : 0.1;
  if (u_mode == 5 || u_mode == 1 && code == ${STUCK}) return code == ${STUCK} ? 1.0 : 0.1;
  int wanted = u_mode == 1 ? ${STATES.indexOf('blocked')} : u_mode == 2 ? ${STATES.indexOf('sleeping')} : ${STATES.indexOf('running')};
  return code == wanted ? 1.0 : 0.1;
}

void main() {
  int packed = int(a_code + 0.5);
  int code = packed & ${CODES - 1};
  int vid = packed >> ${CODE_BITS};
  if (a_t.x > u_time) { // not yet happened: outside the clip volume
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    ${keyed ? 'v_key = 0u;' : 'v_color = vec4(0.0);'}
    return;
  }
  float grow = a_t.y > a_t.x ? clamp((u_time - a_t.x) / (a_t.y - a_t.x), 0.0, 1.0) : 1.0;
${thin ? '  gl_Position = u_mvp * vec4(vid == 0 ? a_p0 : mix(a_p0, a_p1, grow), 1.0);\n' : WIDE_CORNER}  ${keyed ? `v_key = (u_key_base + uint(gl_VertexID / u_corners)) << ${CODE_BITS} | uint(code);`
    : `v_color = vec4(${perObject ? 'u_color' : 'u_colors[code]'}, emphasis(code));`}
}`;
}

export const FRAGMENT = `#version 300 es
precision mediump float;
flat in vec4 v_color;
out vec4 color;
void main() { color = v_color; }`;

const KEY_FRAGMENT = `#version 300 es
flat in uint v_key;
out uint key;
void main() { key = v_key; }`;

export const BACKGROUND = [0.063, 0.071, 0.086];

// The widening pass: one triangle covering the screen.
const WIDEN_VERTEX = `#version 300 es
void main() {
  gl_Position = vec4(gl_VertexID == 1 ? 3.0 : -1.0, gl_VertexID == 2 ? 3.0 : -1.0, 0.0, 1.0);
}`;

// Each pixel takes the colour of whichever line was drawn last on itself or on its left,
// lower or lower-left neighbour (the largest key; 0 where nothing was drawn), so 1 px lines
// become 2 px wide, in palette colours, overlapping as if they had been drawn 2 px wide.
const WIDEN_FRAGMENT = `#version 300 es
precision mediump float;
precision highp usampler2D;
uniform usampler2D u_keys;
uniform int u_spread; // 1: widen by a pixel; 0: only colour the keys (1 px lines)
uniform vec3 u_colors[${CODES}];
out vec4 color;
void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  ivec2 q = max(p - u_spread, ivec2(0));
  uint key = max(max(texelFetch(u_keys, p, 0).r, texelFetch(u_keys, ivec2(q.x, p.y), 0).r),
                 max(texelFetch(u_keys, ivec2(p.x, q.y), 0).r, texelFetch(u_keys, q, 0).r));
  color = vec4(key == 0u ? vec3(${BACKGROUND.join(', ')}) : u_colors[key & ${CODES - 1}u], 1.0);
}`;

/** The key image's clear value: nothing drawn. */
const NO_KEY = new Uint32Array(4);

/** Corner order of a line's two triangles, and of an arrow's head triangle. */
const QUAD = [0, 1, 2, 0, 2, 3];
const HEAD = [4, 5, 6];

export class Renderer {
  /** `antialias` multiplies the pixels software WebGL fills: worth it for small models only. */
  constructor(canvas, { antialias }) {
    const gl = canvas.getContext('webgl2', { antialias, preserveDrawingBuffer: false });
    if (!gl) throw new Error('this browser has no WebGL2');
    this.gl = gl;
    this.colors = colorTable();
    this.programs = this.linkPair({}, FRAGMENT);
    this.layers = [];
    // Widening would undo antialiasing, so only big models (drawn without it) use it.
    this.widen = antialias ? null : {
      programs: this.linkPair({ keyed: true }, KEY_FRAGMENT),
      pass: this.link(WIDEN_VERTEX, WIDEN_FRAGMENT),
      target: null,
      size: '',
    };
  }

  /** The wide and the thin variant of a vertex shader, each linked with `fragment`. */
  linkPair(variant, fragment) {
    return {
      wide: this.link(vertexShader(variant), fragment),
      thin: this.link(vertexShader({ ...variant, thin: true }), fragment),
    };
  }

  /** A shader program and its uniform locations; the colour table is set once, here. */
  link(vertex, fragment) {
    const gl = this.gl;
    const id = link(gl, vertex, fragment);
    const u = {};
    for (const name of ['u_mvp', 'u_half_viewport', 'u_time', 'u_width', 'u_mode', 'u_colors', 'u_color', 'u_key_base', 'u_corners', 'u_spread']) {
      u[name] = gl.getUniformLocation(id, name);
    }
    if (u.u_colors) {
      gl.useProgram(id);
      gl.uniform3fv(u.u_colors, this.colors);
    }
    return { id, u };
  }

  /** Uploads one layer of lines (`STRIDE` floats each), drawn as arrows when `arrows`. */
  addLayer(lines, count, arrows) {
    const gl = this.gl;
    const corners = arrows ? 7 : 4;
    const order = byStart(lines, count);
    const starts = new Float32Array(count);
    const vertices = new Float32Array(count * corners * STRIDE);
    for (let i = 0; i < count; i++) {
      const line = lines.subarray(order[i] * STRIDE, (order[i] + 1) * STRIDE);
      starts[i] = line[6];
      for (let c = 0; c < corners; c++) {
        const o = (i * corners + c) * STRIDE;
        vertices.set(line, o);
        vertices[o + 8] = line[8] + CODES * c; // the corner rides above the colour code
      }
    }
    const vao = gl.createVertexArray();
    const vertexBuffer = gl.createBuffer();
    gl.bindVertexArray(vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, vertexBuffer);
    gl.bufferData(gl.ARRAY_BUFFER, vertices, gl.STATIC_DRAW);
    setAttributes(gl);
    gl.bindVertexArray(null);
    const indices = (pattern) => (pattern.length ? this.indexBuffer(count, corners, pattern) : null);
    const layer = {
      vao, vertexBuffer, count, arrows, corners, starts,
      source: { lines, count }, // the CPU copy, for the benchmark's one-object-per-line baseline
      wide: indices(arrows ? [...QUAD, ...HEAD] : QUAD),
      thin: indices([0, 1]),
      heads: indices(arrows ? HEAD : []),
    };
    this.layers.push(layer);
    return layer;
  }

  /** Frees every layer, before the layers of another picture are added. */
  clearLayers() {
    for (const layer of [...this.layers]) this.removeLayer(layer);
  }

  /** Frees one layer that addLayer returned (the arrows, to draw them again otherwise). */
  removeLayer(layer) {
    const gl = this.gl;
    for (const index of [layer.wide, layer.thin, layer.heads]) if (index) gl.deleteBuffer(index.buffer);
    gl.deleteBuffer(layer.vertexBuffer);
    gl.deleteVertexArray(layer.vao);
    this.layers = this.layers.filter((l) => l !== layer);
  }

  /** An element buffer repeating `pattern` (corner numbers) for each of `count` lines. */
  indexBuffer(count, corners, pattern) {
    const gl = this.gl;
    const indices = new Uint32Array(count * pattern.length);
    for (let i = 0; i < count; i++) {
      for (let k = 0; k < pattern.length; k++) indices[i * pattern.length + k] = i * corners + pattern[k];
    }
    const buffer = gl.createBuffer();
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, indices, gl.STATIC_DRAW);
    return { buffer, perLine: pattern.length };
  }

  /** Fills the bound framebuffer (the canvas) with the background. */
  clear() {
    const gl = this.gl;
    gl.clearColor(...BACKGROUND, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
  }

  /** Sets the viewport, blending and the frame's uniforms on `program` (this renderer's wide one unless given). */
  begin(frame, program = this.programs.wide) {
    const gl = this.gl;
    const { width, height } = gl.canvas;
    gl.viewport(0, 0, width, height);
    // Only highlight modes dim lines; blending costs software WebGL a read per pixel.
    if (frame.mode === 0) gl.disable(gl.BLEND);
    else gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.useProgram(program.id);
    gl.uniformMatrix4fv(program.u.u_mvp, false, frame.mvp);
    gl.uniform2f(program.u.u_half_viewport, width / 2, height / 2);
    gl.uniform1f(program.u.u_time, frame.time);
    gl.uniform1f(program.u.u_width, this.pixelWidth(frame));
    gl.uniform1i(program.u.u_mode, frame.mode);
  }

  pixelWidth(frame) {
    return frame.lineWidth * (window.devicePixelRatio || 1);
  }

  /** Draws a frame; returns the number of draw calls it took. */
  draw(frame) {
    const width = this.pixelWidth(frame);
    // Highlight modes blend, which an integer key image cannot.
    if (this.widen && frame.mode === 0 && width <= WIDENED_PX) return this.drawWidened(frame, width > THIN_PX);
    this.clear();
    return this.drawLayers(frame, width <= THIN_PX, this.programs);
  }

  // 1 px lines into the key image, then the pass that colours (and if `spread` widens) them onto the canvas.
  drawWidened(frame, spread) {
    const gl = this.gl;
    const { programs, pass } = this.widen;
    const target = this.widenTarget();
    gl.bindFramebuffer(gl.FRAMEBUFFER, target.framebuffer);
    gl.clearBufferuiv(gl.COLOR, 0, NO_KEY);
    const calls = this.drawLayers(frame, true, programs);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.useProgram(pass.id);
    gl.uniform1i(pass.u.u_spread, spread ? 1 : 0);
    gl.bindTexture(gl.TEXTURE_2D, target.texture);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    gl.bindTexture(gl.TEXTURE_2D, null);
    return calls + 1;
  }

  /** The key image for widening, (re)made at the canvas's size. */
  widenTarget() {
    const gl = this.gl;
    const { width, height } = gl.canvas;
    const w = this.widen;
    if (w.size === `${width}x${height}`) return w.target;
    if (w.target) {
      gl.deleteFramebuffer(w.target.framebuffer);
      gl.deleteTexture(w.target.texture);
    }
    const texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.texStorage2D(gl.TEXTURE_2D, 1, gl.R32UI, width, height);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.bindTexture(gl.TEXTURE_2D, null);
    const framebuffer = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    w.target = { texture, framebuffer };
    w.size = `${width}x${height}`;
    return w.target;
  }

  /** Draws every layer with `programs` (wide, thin), as GL lines when `thin`; returns the number of draw calls. */
  drawLayers(frame, thin, programs) {
    const gl = this.gl;
    this.begin(frame, programs.wide);
    if (thin) this.begin(frame, programs.thin);
    // Heads before shafts: the one-pixel shafts of later arrows cross earlier heads, as they
    // do when each arrow is drawn whole; drawn after them, 100,000 heads would bury them.
    const parts = thin
      ? [[programs.wide, gl.TRIANGLES, 'heads'], [programs.thin, gl.LINES, 'thin']]
      : [[programs.wide, gl.TRIANGLES, 'wide']];
    let calls = 0;
    let key = 1; // drawing order for widening: later layers, and later lines in a layer, on top
    for (const layer of this.layers) {
      const n = startedBy(layer.starts, frame.time);
      gl.bindVertexArray(layer.vao);
      for (const [program, primitive, part] of parts) {
        const index = layer[part];
        if (!index || n === 0) continue;
        gl.useProgram(program.id);
        if (program.u.u_key_base) {
          gl.uniform1ui(program.u.u_key_base, key);
          gl.uniform1i(program.u.u_corners, layer.corners);
        }
        gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, index.buffer);
        gl.drawElements(primitive, n * index.perLine, gl.UNSIGNED_INT, 0);
        calls++;
      }
      key += layer.count;
    }
    gl.bindVertexArray(null);
    return calls;
  }

  /** Counts the lit pixels of a freshly drawn frame by nearest palette colour (for tests). */
  litPixels(frame) {
    this.draw(frame);
    return this.countLit();
  }

  /** Counts the lit pixels of the canvas as drawn by whatever drew it last. */
  countLit() {
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
  for (let code = 0; code < CODES; code++) {
    const d = Math.abs(table[code * 3] * 255 - r) + Math.abs(table[code * 3 + 1] * 255 - g) + Math.abs(table[code * 3 + 2] * 255 - b);
    if (d < 30 && table[code * 3] + table[code * 3 + 1] + table[code * 3 + 2] > 0) return code;
  }
  return -1;
}

/** The attributes of the vertex format (`STRIDE` floats) in the bound array buffer. */
export function setAttributes(gl) {
  for (const [loc, size, offset] of [[0, 3, 0], [1, 3, 3], [2, 2, 6], [3, 1, 8]]) {
    gl.enableVertexAttribArray(loc);
    gl.vertexAttribPointer(loc, size, gl.FLOAT, false, STRIDE * 4, offset * 4);
  }
}

/** Line numbers sorted by start time (stable, so equal starts keep the model's order). */
function byStart(lines, count) {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order.sort((a, b) => lines[a * STRIDE + 6] - lines[b * STRIDE + 6] || a - b);
}

/** How many of the sorted start times have passed at `time`, as the shader compares them (float32). */
function startedBy(starts, time) {
  const t = Math.fround(time);
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
