// The lanes of the picture and their names on screen, as the 2016 original labelled every
// line: a goroutine's start function ("main.player"), with its id when others share the
// name, once playback has reached its start. A label sits just above the top of its lane,
// where the goroutine starts; labels that
// would cover each other are left out, the rarer names first, so that one worker of 144 does
// not hide main; while a goroutine is in focus, only the lit are named.

import { project } from 'gotrace/camera.js';
import { HEIGHT } from 'gotrace/layout.js';

/** At most this many names on screen at once. */
const MAX_SHOWN = 60;
/** A label's box as the style draws it (11 px monospace): px per character, padding, height. */
const CHAR_PX = 6.7;
const PAD_PX = 8;
const HEIGHT_PX = 15;

/** Each lane: its label and what it stands for (one goroutine for now). */
export function lanesOf(model) {
  const named = new Map();
  for (const g of model.goroutines) named.set(g.name, (named.get(g.name) ?? 0) + 1);
  const groupSize = (g) => model.groups?.[g.group]?.count ?? named.get(g.name);
  return model.goroutines.map((g) => ({
    label: `${g.name || 'goroutine'}${named.get(g.name) > 1 || !g.name ? ` #${g.id}` : ''}`,
    goroutine: g.id,
    goroutines: 1,
    rank: [groupSize(g), g.depth, g.id],
  }));
}

export class LaneLabels {
  constructor(scene) {
    const { lay, model } = scene;
    this.scene = scene;
    this.lay = lay;
    this.lanes = lanesOf(model).filter((l) => lay.index.has(l.goroutine));
    // Which lanes get a label first when they would cover each other.
    this.order = this.lanes
      .map((l, k) => k)
      .sort((a, b) => compare(this.lanes[a].rank, this.lanes[b].rank));
    this.root = document.getElementById('lanes');
    this.root.textContent = '';
    this.pool = [];
    /** The labels on screen: lane, and the anchor (the lane's projected top) in CSS px. */
    this.shown = [];
  }

  /** Names the lanes that have started by `time` (playback, a fraction of the trace). */
  update(mvp, time, width, height) {
    const { lay } = this;
    // While a goroutine is in focus, only the lit ones are named.
    const { lit } = this.scene;
    const placed = [];
    this.shown = [];
    for (const k of this.order) {
      if (placed.length >= MAX_SHOWN) break;
      const lane = this.lanes[k];
      if (lit && !lit.has(lane.goroutine)) continue;
      const i = lay.index.get(lane.goroutine);
      if (lay.start[i] > time) continue;
      const p = project(mvp, lay.x[i], -lay.start[i] * HEIGHT, lay.z[i], width, height);
      if (!p || p[0] < 0 || p[1] < 0 || p[0] > width || p[1] > height) continue;
      const w = lane.label.length * CHAR_PX + PAD_PX;
      // The box is centred over the anchor, bottom at the anchor.
      const box = [p[0] - w / 2, p[1] - HEIGHT_PX, p[0] + w / 2, p[1]];
      if (coversAny(placed, box)) continue;
      placed.push(box);
      const span = this.span(this.shown.length);
      span.textContent = lane.label;
      span.style.left = `${p[0]}px`;
      span.style.top = `${p[1]}px`;
      span.hidden = false;
      this.shown.push({ goroutine: lane.goroutine, label: lane.label, at: p });
    }
    for (let j = this.shown.length; j < this.pool.length; j++) this.pool[j].hidden = true;
  }

  span(i) {
    while (this.pool.length <= i) this.pool.push(this.root.appendChild(document.createElement('span')));
    return this.pool[i];
  }
}

/** Whether box [left, top, right, bottom] overlaps any of `boxes`: names must not pile up. */
export function coversAny(boxes, box) {
  return boxes.some((b) => b[0] < box[2] && box[0] < b[2] && b[1] < box[3] && box[1] < b[3]);
}

function compare(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
