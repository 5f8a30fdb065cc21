// The communication map, the page's second view (`m`): the goroutines' groups as nodes, the
// area of each as its goroutines, and the messages between groups as edges, as wide as the
// log of their count, for what playback has reached (messages sent by then), each with a mark
// pointing to the receiving group. Groups that talk are pulled together (the whole trace's
// edges, so that nodes stay put as playback moves). Drawn on a 2D
// canvas over the 3D one, again only when the time or the size changes. A click on an edge
// goes back to the timeline with only that edge's messages drawn.

import { coversAny } from 'gotrace/lanes.js';

/** How near (px) a click must be to an edge to pick it. */
const REACH_PX = 8;
/** Names drawn at most; the biggest groups first, never over one another. */
const MAX_NAMES = 40;
const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));
/** Up to this many groups, a force layout places them; more keep the spiral (its cost is n²). */
const RELAXED_GROUPS = 600;

export class CommunicationMap {
  /** `onEdge(edge)`: what a click on an edge does. */
  constructor(scene, canvas, onEdge) {
    this.canvas = canvas;
    this.shown = false;
    this.drawnAt = null;
    this.setModel(scene);
    canvas.addEventListener('click', (e) => {
      const edge = this.edgeAt(e.offsetX, e.offsetY);
      if (edge) onEdge(edge);
    });
  }

  /** Takes the picture shown (overview or detail): its groups and messages. */
  setModel(scene) {
    const { model, lay } = scene;
    this.duration = lay.duration;
    const groups = model.groups ?? [];
    this.groups = groups;
    // Goroutine → group, for the picture's goroutines.
    this.groupOf = new Map(model.goroutines.map((g) => [g.id, g.group ?? 0]));
    // Messages by send time, with the group pair each joins (aggregated arrows count `n`).
    this.messages = model.messages
      .filter((m) => this.groupOf.has(m.from) && this.groupOf.has(m.to))
      .map((m) => ({ t: m.send_ns / lay.duration, from: this.groupOf.get(m.from), to: this.groupOf.get(m.to), n: m.n ?? 1 }))
      .sort((a, b) => a.t - b.t);
    this.place();
    this.drawnAt = null;
  }

  // The biggest group in the middle, the others on a sunflower spiral around it by size, so
  // that the few big ones are near the centre and thousands of small ones fill a disc; then,
  // for up to RELAXED_GROUPS, edges pull the groups that talk together while all push apart.
  place() {
    const order = this.groups.map((g, i) => i).sort((a, b) => this.groups[b].count - this.groups[a].count || a - b);
    this.at = new Float32Array(this.groups.length * 2);
    order.forEach((gi, k) => {
      const r = Math.sqrt(k) / Math.sqrt(Math.max(1, order.length - 1));
      this.at[gi * 2] = k === 0 ? 0 : r * Math.cos(k * GOLDEN_ANGLE);
      this.at[gi * 2 + 1] = k === 0 ? 0 : r * Math.sin(k * GOLDEN_ANGLE);
    });
    if (order.length > 2 && order.length <= RELAXED_GROUPS) relax(this.at, this.edges(1), order.length);
    this.order = order;
  }

  /** The edges of messages sent by `time` (0–1): each `{from, to, messages}`, by group id. */
  edges(time = 1) {
    const by = new Map();
    for (const m of this.messages) {
      if (m.t > time) break;
      const key = m.from * 0x100000 + m.to;
      const e = by.get(key);
      if (e) e.messages += m.n;
      else by.set(key, { from: m.from, to: m.to, messages: m.n });
    }
    return [...by.values()];
  }

  show(shown) {
    this.shown = shown;
    this.canvas.classList.toggle('hidden', !shown);
    this.drawnAt = null;
  }

  /** Draws the map for `time` unless it is drawn for it already. */
  update(time) {
    if (!this.shown) return;
    const dpr = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const key = `${time} ${w} ${h}`;
    if (this.drawnAt === key) return;
    this.drawnAt = key;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#111318';
    ctx.fillRect(0, 0, w, h);
    const scale = Math.min(w, h) * 0.38;
    const radius = this.radius(scale);
    const x = (g) => w / 2 + this.at[g * 2] * scale;
    const y = (g) => h / 2 + this.at[g * 2 + 1] * scale;
    const edges = this.edges(time);
    this.drawn = { edges, x, y };
    for (const e of edges) {
      ctx.strokeStyle = 'rgba(235, 240, 255, 0.55)';
      ctx.lineWidth = 1 + Math.log2(e.messages);
      ctx.beginPath();
      if (e.from === e.to) ctx.arc(x(e.from), y(e.from) - radius(e.from) - 6, 6, 0, 2 * Math.PI);
      else {
        ctx.moveTo(x(e.from), y(e.from));
        ctx.lineTo(x(e.to), y(e.to));
      }
      ctx.stroke();
      if (e.from !== e.to) this.head(ctx, x(e.from), y(e.from), x(e.to), y(e.to), radius(e.to) + 3, ctx.lineWidth);
    }
    for (const g of this.order) {
      ctx.fillStyle = '#4c8dff';
      ctx.beginPath();
      ctx.arc(x(g), y(g), radius(g), 0, 2 * Math.PI);
      ctx.fill();
    }
    this.names(ctx, x, y, radius);
  }

  // A triangle on the edge from (ax, ay) to (bx, by), its tip `back` px short of the end.
  head(ctx, ax, ay, bx, by, back, width) {
    const len = Math.hypot(bx - ax, by - ay);
    if (len <= back + 4) return;
    const ux = (bx - ax) / len;
    const uy = (by - ay) / len;
    const tip = [bx - ux * back, by - uy * back];
    const size = 5 + width;
    ctx.fillStyle = 'rgba(235, 240, 255, 0.8)';
    ctx.beginPath();
    ctx.moveTo(tip[0], tip[1]);
    ctx.lineTo(tip[0] - ux * size * 1.6 - uy * size * 0.6, tip[1] - uy * size * 1.6 + ux * size * 0.6);
    ctx.lineTo(tip[0] - ux * size * 1.6 + uy * size * 0.6, tip[1] - uy * size * 1.6 - ux * size * 0.6);
    ctx.fill();
  }

  /** Where group `g`'s node is on the map (CSS px), as last drawn. */
  point(g) {
    return this.drawn ? [this.drawn.x(g), this.drawn.y(g)] : null;
  }

  /** The edge drawn nearest to (x, y), within reach; edges within a group are not picked. */
  edgeAt(x, y) {
    if (!this.drawn) return null;
    let best = null;
    let bestD = REACH_PX;
    for (const e of this.drawn.edges) {
      if (e.from === e.to) continue;
      const [ax, ay] = this.point(e.from);
      const [bx, by] = this.point(e.to);
      const dx = bx - ax;
      const dy = by - ay;
      const u = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / Math.max(1e-9, dx * dx + dy * dy)));
      const d = Math.hypot(x - (ax + u * dx), y - (ay + u * dy));
      if (d < bestD) {
        bestD = d;
        best = e;
      }
    }
    return best;
  }

  // A node's area is its goroutines; the biggest is at most a tenth of the map across.
  radius(scale) {
    const biggest = Math.max(1, ...this.groups.map((g) => g.count));
    return (g) => Math.max(3, (scale / 10) * Math.sqrt(this.groups[g].count / biggest));
  }

  names(ctx, x, y, radius) {
    ctx.font = '11px ui-monospace, monospace';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    const placed = [];
    this.labels = [];
    for (const g of this.order) {
      if (placed.length >= MAX_NAMES) break;
      const { name, count } = this.groups[g];
      const text = `${name || 'goroutine'}${count > 1 ? ` ×${count}` : ''}`;
      const width = ctx.measureText(text).width + 6;
      const box = [x(g) - width / 2, y(g) - radius(g) - 16, x(g) + width / 2, y(g) - radius(g) - 2];
      if (coversAny(placed, box)) continue;
      placed.push(box);
      ctx.fillStyle = 'rgba(20, 24, 32, 0.7)';
      ctx.fillRect(box[0], box[1], box[2] - box[0], box[3] - box[1]);
      ctx.fillStyle = '#d8dee9';
      ctx.fillText(text, x(g), box[3] - 1);
      this.labels.push({ group: g, label: text, at: [x(g), y(g)] });
    }
  }
}

// A force layout (Fruchterman and Reingold's) of `n` nodes at `at` (x, y pairs, changed in
// place): every pair pushes apart, each edge pulls its ends together by the log of its
// messages; the result is scaled back into the unit disc.
function relax(at, edges, n) {
  const k = 1 / Math.sqrt(n);
  const iterations = Math.max(30, Math.min(200, Math.round(4e6 / (n * n))));
  const dx = new Float32Array(n);
  const dy = new Float32Array(n);
  for (let it = 0; it < iterations; it++) {
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const ex = at[i * 2] - at[j * 2];
        const ey = at[i * 2 + 1] - at[j * 2 + 1];
        const d2 = Math.max(1e-6, ex * ex + ey * ey);
        const f = (k * k) / d2;
        dx[i] += ex * f; dy[i] += ey * f;
        dx[j] -= ex * f; dy[j] -= ey * f;
      }
    }
    for (const e of edges) {
      if (e.from === e.to) continue;
      const [a, b] = [e.from, e.to];
      const ex = at[a * 2] - at[b * 2];
      const ey = at[a * 2 + 1] - at[b * 2 + 1];
      const d = Math.max(1e-6, Math.hypot(ex, ey));
      const f = (d / k) * Math.log2(1 + e.messages) * 0.25;
      dx[a] -= ex * f; dy[a] -= ey * f;
      dx[b] += ex * f; dy[b] += ey * f;
    }
    const t = 0.1 * (1 - it / iterations) + 0.002;
    for (let i = 0; i < n; i++) {
      const d = Math.max(1e-9, Math.hypot(dx[i], dy[i]));
      const step = Math.min(d, t);
      at[i * 2] += (dx[i] / d) * step;
      at[i * 2 + 1] += (dy[i] / d) * step;
    }
  }
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < n; i++) { cx += at[i * 2] / n; cy += at[i * 2 + 1] / n; }
  let r = 1e-9;
  for (let i = 0; i < n; i++) r = Math.max(r, Math.hypot(at[i * 2] - cx, at[i * 2 + 1] - cy));
  for (let i = 0; i < n; i++) {
    at[i * 2] = (at[i * 2] - cx) / r;
    at[i * 2 + 1] = (at[i * 2 + 1] - cy) / r;
  }
}
