// The HTML around the canvas: trace info, legend, help, status line and value labels.

import { project } from 'gotrace/camera.js';
import { STRIDE } from 'gotrace/geometry.js';
import { formatNs, valueText } from 'gotrace/format.js';
import { COLORS, LABELS } from 'gotrace/palette.js';

const $ = (id) => document.getElementById(id);

export const HOTKEYS = [
  ['r', 'restart playback'],
  ['space', 'pause / resume playback'],
  ['p', 'pause / resume auto-rotation'],
  ['1 2 3 4 5', 'highlight blocked / sleeping / running / messages / stuck at the end'],
  ['0', 'highlight nothing (default)'],
  ['c', 'colour arrows by channel / by kind (traces of a patched runtime)'],
  ['m', 'communication map (groups and the messages between them) / timeline; click an edge: its messages only'],
  ['click an arrow', 'show its channel only; click empty space or Esc: all channels'],
  ['click a line', 'focus on its goroutine: it, its parent, children and those it exchanged messages with lit'],
  ['/', 'find goroutines by name or id (Enter: focus on the first; Esc: all)'],
  ['+ -', 'wider / thinner lines'],
  ['s f', 'slower / faster playback'],
  ['v', 'fit to view'],
  ['?', 'this help'],
  ['drag', 'rotate'],
  ['shift+drag, right drag', 'pan'],
  ['wheel, pinch', 'zoom'],
];

export const MODES = ['all', 'blocked', 'sleeping', 'running', 'messages', 'stuck'];

export function showInfo(model, scene, detail) {
  const meta = model.meta ?? {};
  const el = $('info');
  el.textContent = '';
  const title = document.createElement('b');
  title.textContent = `gotrace · ${meta.format ?? 'trace'}`;
  el.append(title, document.createElement('br'));
  const messages = model.lod ? model.lod.messages.total : scene.arrows.count;
  el.append(`${model.goroutines.length} goroutines, ${count(messages)} messages, ${formatNs(scene.lay.duration)}`);
  const notes = [];
  if (meta.channel_truth) notes.push(`messages ${meta.channel_truth}`);
  if (meta.hidden_goroutines) notes.push(`${meta.hidden_goroutines} runtime goroutines hidden (--all shows them)`);
  if (notes.length) el.append(document.createElement('br'), notes.join(' · '));
  const w = model.lod?.window;
  if (w && (w.start_ns > 0 || w.end_ns <= scene.lay.duration)) {
    const part = document.createElement('div');
    part.id = 'window';
    part.textContent = `showing ${formatNs(w.start_ns)} – ${formatNs(Math.min(w.end_ns, scene.lay.duration))} of the trace (--window)`;
    el.append(part);
  }
  if (model.check) el.append(outcomeNotice(model.check));
  if (detail.aggregated) el.append(lodNotice(model.lod, detail));
  if (meta.unattributed) {
    const w = document.createElement('div');
    if (meta.channel_truth === 'exact') {
      // Operations that straddle the start or the end of the trace: expected, not a fault.
      w.textContent = `${meta.unattributed} channel operations have their other half outside the trace`;
    } else {
      w.className = 'warn';
      w.textContent = `${meta.unattributed} wake-ups in channel operations could not be turned into messages`;
    }
    el.append(w);
  }
}

const count = (n) => n.toLocaleString('en-US');

// How the program ended and what it left stuck (`gotrace run`'s check), with the key to see it.
const ENDINGS = {
  exited: 'the program exited',
  deadlock: 'deadlock: all goroutines are asleep',
  panic: 'the program crashed (panic or fatal error)',
  timeout: 'stopped at --timeout',
  interrupted: 'interrupted',
  signal: 'killed by a signal',
};

function outcomeNotice(check) {
  const el = document.createElement('div');
  el.id = 'outcome';
  const stuck = check.leaks.reduce((n, l) => n + l.count, 0);
  const parts = [ENDINGS[check.outcome] ?? check.outcome];
  if (check.crashed !== undefined) parts.push(`in goroutine ${check.crashed}`);
  if (stuck) parts.push(`${stuck} goroutine${stuck === 1 ? '' : 's'} ${check.outcome === 'deadlock' ? 'stuck' : 'leaked'} (5 highlights them)`);
  el.className = stuck || check.outcome === 'deadlock' || check.outcome === 'panic' ? 'warn' : '';
  el.textContent = parts.join(' · ');
  return el;
}

// Says on screen that a big trace is drawn aggregated, how much, and how to see detail.
function lodNotice(lod, detail) {
  const el = document.createElement('div');
  el.id = 'lod';
  el.className = 'warn';
  const merged = (r, what, as) => (r.cell_ns === undefined ? `${count(r.total)} ${what}`
    : `${count(r.total)} ${what} as ${count(r.shown)} ${as} (merged within ${formatNs(r.cell_ns)})`);
  const lines = [`Too many to draw one by one: ${merged(lod.messages, 'messages', 'arrows')}, ${merged(lod.segments, 'states', 'segments')}.`];
  const d = lod.detail;
  if (d) {
    const exact = d.messages.cell_ns === undefined && d.segments.cell_ns === undefined;
    lines.push(`${formatNs(d.window.start_ns)} – ${formatNs(d.window.end_ns)} in detail: ${exact ? 'every message and state' : `${merged(d.messages, 'messages', 'arrows')}`}.`);
  } else if (detail.available) {
    lines.push('Zoom in for detail.');
  } else {
    lines.push('For detail on zoom, open the trace with `gotrace view TRACE` (this page cannot ask a server).');
  }
  el.textContent = lines.join('\n');
  el.style.whiteSpace = 'pre-line';
  return el;
}

/** The colours of states, then of arrows: by kind, or by channel when `channels.byChannel`. */
export function showLegend(channels) {
  const el = $('legend');
  el.textContent = '';
  const states = ['running', 'runnable', 'blocked', 'sleeping', 'syscall', 'stuck', 'spawn'];
  // Sync wake-ups have no channel: they keep their colour either way.
  const kinds = channels.byChannel ? ['sync'] : ['chan', 'select', 'close', 'sync'];
  const arrows = [...(channels.byChannel ? channels.legend() : []), ...kinds.map((k) => [COLORS[k], LABELS[k]])];
  for (const [color, text] of [...states.map((name) => [COLORS[name], LABELS[name]]), ...arrows]) {
    const row = document.createElement('div');
    const swatch = document.createElement('i');
    if (color) swatch.style.background = color;
    row.append(swatch, text);
    el.append(row);
  }
}

/** Says which channel alone is shown (channels.js's focusText), or hides the note when all are. */
export function showFocus(text) {
  const el = $('focus');
  el.textContent = text ?? '';
  el.classList.toggle('hidden', !text);
}

export function buildHelp() {
  const table = document.createElement('table');
  for (const [key, what] of HOTKEYS) {
    const tr = table.insertRow();
    const k = document.createElement('kbd');
    k.textContent = key;
    tr.insertCell().append(k);
    tr.insertCell().textContent = what;
  }
  const el = $('help');
  const h = document.createElement('b');
  h.textContent = 'gotrace: time runs downward; each line is a goroutine, branching off its creator; arrows are messages.';
  el.append(h, table);
}

export function toggleHelp(show) {
  $('help').classList.toggle('hidden', show === undefined ? undefined : !show);
}

export function showStatus(state, byChannel) {
  $('status').textContent = `${MODES[state.mode]}${byChannel ? ' · arrows by channel' : ''} · width ${state.lineWidth} · speed ×${state.speed} · ${state.paused ? 'rotation paused' : 'rotating'} · ${state.fps} fps`;
  $('clock').textContent = `${formatNs(state.time * state.duration)} / ${formatNs(state.duration)}`;
  $('play').textContent = state.playing ? '❚❚' : '▶';
}

export function showError(message) {
  const el = $('error');
  el.textContent = `gotrace: ${message}`;
  el.classList.remove('hidden');
}

const MAX_LABELS = 40;
const MAX_SCANNED = 400; // bounds the work per update on models with many valued messages

/** Value labels on the most recently arrived messages that carry a value. */
export class ValueLabels {
  constructor(scene) {
    const { arrows, model } = scene;
    this.items = [];
    for (let k = 0; k < arrows.count; k++) {
      const m = model.messages[arrows.ids[k]];
      const value = valueText(m);
      if (value !== undefined) this.items.push({ k, t1: arrows.data[k * STRIDE + 7], text: String(value) });
    }
    this.items.sort((a, b) => a.t1 - b.t1);
    this.data = arrows.data;
    this.ids = arrows.ids;
    this.pool = [];
    this.root = $('labels');
    // The labels of the arrows drawn before (another picture, another channel) go.
    this.root.textContent = '';
  }

  update(mvp, time, width, height) {
    let shown = 0;
    const placed = [];
    /** The labels on screen: the message's index in the model, and its arrow's middle (CSS px). */
    this.shown = [];
    const hi = upperBound(this.items, time);
    for (let j = hi - 1; j >= Math.max(0, hi - MAX_SCANNED) && shown < MAX_LABELS; j--) {
      const { k, text } = this.items[j];
      const o = k * STRIDE;
      const d = this.data;
      const p = project(mvp, (d[o] + d[o + 3]) / 2, (d[o + 1] + d[o + 4]) / 2, (d[o + 2] + d[o + 5]) / 2, width, height);
      if (!p || p[0] < 0 || p[1] < 0 || p[0] > width || p[1] > height) continue;
      // Labels must stay readable: skip one that would cover another.
      if (placed.some(([x, y]) => Math.abs(x - p[0]) < 36 && Math.abs(y - p[1]) < 16)) continue;
      placed.push(p);
      const span = this.span(shown++);
      span.textContent = text;
      span.style.left = `${p[0]}px`;
      span.style.top = `${p[1]}px`;
      span.hidden = false;
      this.shown.push({ message: this.ids[k], text, at: p });
    }
    for (let j = shown; j < this.pool.length; j++) this.pool[j].hidden = true;
    return shown;
  }

  span(i) {
    while (this.pool.length <= i) this.pool.push(this.root.appendChild(document.createElement('span')));
    return this.pool[i];
  }
}

function upperBound(items, t) {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].t1 <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
