// What is under the mouse: the nearest goroutine line or message arrow in screen space.
// Runs on the CPU over the same laid-out data the GPU draws, at most once per frame.

import { project } from 'gotrace/camera.js';
import { STRIDE } from 'gotrace/geometry.js';
import { HEIGHT } from 'gotrace/layout.js';
import { formatNs, goroutineLabel, stackLines, valueText } from 'gotrace/format.js';
import { stuckGoroutines } from 'gotrace/geometry.js';
import { LABELS, nameOfCode } from 'gotrace/palette.js';

const REACH_PX = 7;

// What the stack of a segment or message shows, by its state or kind.
const SEGMENT_STACK = { blocked: 'blocked at:', sleeping: 'asleep at:', syscall: 'system call at:' };
const MESSAGE_STACK = { close: 'closed at:', sync: 'woken from:' };

export function pick(scene, mvp, time, mx, my, width, height) {
  const { lay, arrows } = scene;
  let best = null;
  let bestD = REACH_PX;
  for (let i = 0; i < lay.x.length; i++) {
    if (lay.start[i] > time) continue;
    const t1 = Math.min(lay.end[i], time);
    const a = project(mvp, lay.x[i], -lay.start[i] * HEIGHT, lay.z[i], width, height);
    const b = project(mvp, lay.x[i], -t1 * HEIGHT, lay.z[i], width, height);
    const hit = a && b && toSegment(mx, my, a, b);
    if (hit && hit.d < bestD) {
      bestD = hit.d;
      best = { goroutine: i, t: lay.start[i] + (t1 - lay.start[i]) * hit.u };
    }
  }
  const d = arrows.data;
  for (let k = 0; k < arrows.count; k++) {
    const o = k * STRIDE;
    const t0 = d[o + 6];
    if (t0 > time) continue;
    const t1 = d[o + 7];
    const g = t1 > t0 ? Math.min(1, (time - t0) / (t1 - t0)) : 1;
    const a = project(mvp, d[o], d[o + 1], d[o + 2], width, height);
    const b = project(mvp, d[o] + (d[o + 3] - d[o]) * g, d[o + 1] + (d[o + 4] - d[o + 1]) * g, d[o + 2] + (d[o + 5] - d[o + 2]) * g, width, height);
    const hit = a && b && toSegment(mx, my, a, b);
    if (hit && hit.d < bestD) {
      bestD = hit.d;
      best = { message: arrows.ids[k] };
    }
  }
  return best;
}

function toSegment(mx, my, a, b) {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const u = len2 > 0 ? Math.max(0, Math.min(1, ((mx - a[0]) * dx + (my - a[1]) * dy) / len2)) : 0;
  return { d: Math.hypot(mx - (a[0] + u * dx), my - (a[1] + u * dy)), u };
}

export function describe(scene, hit) {
  const { model, lay } = scene;
  if (hit.message !== undefined) {
    const m = model.messages[hit.message];
    const name = (id) => {
      const i = lay.index.get(id);
      return i === undefined ? `goroutine ${id}` : goroutineLabel(model.goroutines[i]);
    };
    // An aggregate of a big trace's level of detail stands for `n` messages.
    const many = m.n > 1;
    const buffered = m.channel !== undefined && scene.channels.get(m.channel)?.capacity > 0;
    const waited = buffered && m.recv_ns > m.send_ns ? `, ${formatNs(m.recv_ns - m.send_ns)} in the buffer` : '';
    const lines = [
      many ? `${m.n} messages drawn as one arrow (the first: ${LABELS[m.kind] ?? m.kind})` : `${LABELS[m.kind] ?? m.kind}`,
      `from ${name(m.from)}`,
      `to   ${name(m.to)}`,
      many ? `sent ${formatNs(m.send_ns)} – ${formatNs(m.last_ns)}; zoom in to see each`
        : `sent ${formatNs(m.send_ns)}, received ${formatNs(m.recv_ns)}${waited}`,
    ];
    const value = valueText(m);
    if (value !== undefined) lines.push(`value ${value}`);
    if (m.channel !== undefined) lines.push(...scene.channels.describe(m.channel, model.stacks));
    withStack(lines, MESSAGE_STACK[m.kind] ?? 'sent at:', model.stacks?.[m.stack]);
    return lines.join('\n');
  }
  const g = model.goroutines[hit.goroutine];
  const ns = hit.t * lay.duration;
  const lines = [goroutineLabel(g)];
  if (g.parent !== undefined) {
    const p = lay.index.get(g.parent);
    lines.push(`created by ${p === undefined ? `goroutine ${g.parent}` : goroutineLabel(model.goroutines[p])}`);
    // The `go` statement: its innermost frame of the program is enough.
    lines.push(...stackLines(model.stacks?.[g.create_stack]).slice(0, 1));
  }
  lines.push(`lived ${formatNs(g.start_ns)} – ${g.end_ns === undefined ? 'end of trace' : formatNs(g.end_ns)}`);
  const leak = scene.stuck.get(g.id);
  if (leak) {
    const how = model.check.outcome === 'deadlock' ? 'deadlocked' : 'leaked';
    lines.push(`STUCK (${how}) since ${formatNs(leak.since_ns)}: ${leak.reason}${leak.count > 1 ? `, like ${leak.count - 1} more` : ''}`);
    if (leak.blocked_at) lines.push(`  blocked at ${leak.blocked_at.func} ${leak.blocked_at.file}:${leak.blocked_at.line}`);
  }
  if (model.check?.crashed === g.id) lines.push('CRASHED: its panic or fatal error ended the program');
  const seg = segmentAt(scene.segsByG[hit.goroutine], ns);
  if (seg) {
    const reason = seg.reason ? ` (${seg.reason})` : '';
    const state = LABELS[seg.state] ?? nameOfCode(0);
    lines.push(seg.n > 1 ? `at ${formatNs(ns)}: ${seg.n} state changes, mostly ${state}` : `at ${formatNs(ns)}: ${state}${reason}`);
    lines.push(`  from ${formatNs(seg.start_ns)} to ${formatNs(seg.end_ns)}`);
    withStack(lines, SEGMENT_STACK[seg.state] ?? 'stack:', model.stacks?.[seg.stack]);
  }
  if (g.system) lines.push('runtime goroutine');
  return lines.join('\n');
}

function withStack(lines, title, frames) {
  const stack = stackLines(frames);
  if (stack.length) lines.push(title, ...stack);
}

function segmentAt(list, ns) {
  let lo = 0;
  let hi = list.length - 1;
  let found = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].start_ns <= ns) {
      found = list[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
