// Turns the laid-out model into two merged instance buffers: one for the goroutine lines
// (state segments and creation branches), one for the message arrows. One instance is one
// line; the GPU expands it into a quad of the chosen width, so the whole picture is two draws.

import { HEIGHT } from 'gotrace/layout.js';
import { DIM, SPAWN, STUCK, stateCode } from 'gotrace/palette.js';

/** Floats per instance: p0 (xyz), p1 (xyz), t0, t1 (normalized time), colour code. */
export const STRIDE = 9;

/** `lit`: the goroutines a focus keeps lit (the others dim), or null for all. */
export function buildLines(model, lay, lit = null) {
  const segs = model.segments;
  const spawns = model.goroutines.filter((g) => lay.index.has(g.parent) && g.parent !== g.id);
  const data = new Float32Array((segs.length + spawns.length) * STRIDE);
  const stuck = stuckGoroutines(model);
  const end = model.meta?.duration_ns ?? lay.duration;
  let n = 0;
  for (const s of segs) {
    const i = lay.index.get(s.goroutine);
    if (i === undefined) continue;
    const t0 = s.start_ns / lay.duration;
    const t1 = s.end_ns / lay.duration;
    const state = s.state === 'blocked' && s.end_ns >= end && stuck.has(s.goroutine) ? STUCK : stateCode(s.state);
    const code = lit && !lit.has(s.goroutine) ? DIM : state;
    n = put(data, n, lay.x[i], -t0 * HEIGHT, lay.z[i], lay.x[i], -t1 * HEIGHT, lay.z[i], t0, t1, code);
  }
  const segments = n;
  for (const g of spawns) {
    const p = lay.index.get(g.parent);
    const c = lay.index.get(g.id);
    const t = lay.start[c];
    n = put(data, n, lay.x[p], -t * HEIGHT, lay.z[p], lay.x[c], -t * HEIGHT, lay.z[c], t, t, lit && !(lit.has(g.id) && lit.has(g.parent)) ? DIM : SPAWN);
  }
  return { data: data.subarray(0, n * STRIDE), count: n, segments, spawns: n - segments };
}

/**
 * One arrow per message that `channels` shows (channels.js) and `only` keeps (when given), in
 * its colour (dim unless it is to or from the goroutine in `focus`, when one is), from the sender
 * when it sent to the receiver when it received: a value that waited in a channel's buffer
 * slants down across the time it waited.
 */
export function buildArrows(model, lay, channels, focus = null, only = null) {
  const msgs = model.messages;
  const data = new Float32Array(msgs.length * STRIDE);
  const ids = new Uint32Array(msgs.length); // instance → index in model.messages, for hover
  let n = 0;
  msgs.forEach((m, k) => {
    const a = lay.index.get(m.from);
    const b = lay.index.get(m.to);
    if (a === undefined || b === undefined || !channels.shows(m) || (only && !only(m))) return;
    const t0 = m.send_ns / lay.duration;
    const t1 = Math.max(m.recv_ns, m.send_ns) / lay.duration;
    ids[n] = k;
    const code = focus !== null && m.from !== focus && m.to !== focus ? DIM : channels.code(m);
    n = put(data, n, lay.x[a], -t0 * HEIGHT, lay.z[a], lay.x[b], -t1 * HEIGHT, lay.z[b], t0, t1, code);
  });
  return { data: data.subarray(0, n * STRIDE), count: n, ids: ids.subarray(0, n) };
}

function put(data, n, x0, y0, z0, x1, y1, z1, t0, t1, code) {
  const o = n * STRIDE;
  data[o] = x0; data[o + 1] = y0; data[o + 2] = z0;
  data[o + 3] = x1; data[o + 4] = y1; data[o + 5] = z1;
  data[o + 6] = t0; data[o + 7] = t1; data[o + 8] = code;
  return n + 1;
}

/** Per goroutine, its segments sorted by start: what hover needs to name the state at a time. */
export function segmentsByGoroutine(model, lay) {
  const lists = Array.from({ length: model.goroutines.length }, () => []);
  for (const s of model.segments) {
    const i = lay.index.get(s.goroutine);
    if (i !== undefined) lists[i].push(s);
  }
  for (const l of lists) l.sort((a, b) => a.start_ns - b.start_ns);
  return lists;
}

/** The goroutines that the model's check found stuck at the end: id → their leak group. */
export function stuckGoroutines(model) {
  const stuck = new Map();
  for (const leak of model.check?.leaks ?? []) for (const id of leak.goroutines) stuck.set(id, leak);
  return stuck;
}
