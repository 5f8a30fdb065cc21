// Level of detail in the page. A big trace arrives aggregated: `lod` in the picture says that
// items were merged on a time grid, and each aggregate carries how many it stands for (`n`).
// When the served viewer is zoomed into a time window and held still, the page asks the
// server for that window's own picture (a finer grid, or every item) and draws it in place
// of the overview there. A page opened from a file has no server to ask: it says so.

import { HEIGHT } from 'gotrace/layout.js';

/** The camera must rest this long before a window is asked for. */
const SETTLE_MS = 300;
/** A visible window longer than this share of the trace shows the overview. */
const WHOLE = 0.6;

export function isAggregated(lod) {
  return !!lod && (lod.segments.cell_ns !== undefined || lod.messages.cell_ns !== undefined);
}

export function canAskServer() {
  return location.protocol === 'http:' || location.protocol === 'https:';
}

/** The window of trace time (ns) in view at the camera's target, with a margin each side. */
export function visibleWindow(camera, duration) {
  const half = (camera.distance * Math.tan(camera.fov / 2)) / Math.max(0.2, Math.cos(camera.pitch));
  const t0 = Math.max(0, -(camera.target[1] + 1.5 * half) / HEIGHT);
  const t1 = Math.min(1, -(camera.target[1] - 1.5 * half) / HEIGHT);
  return t1 > t0 ? [Math.floor(t0 * duration), Math.ceil(t1 * duration)] : null;
}

/** The overview with the picture of one window (`detail`) in place of its own items there. */
export function compose(overview, detail) {
  const { start_ns: w0, end_ns: w1 } = detail.lod.window;
  const segments = [];
  for (const s of overview.segments) {
    if (s.end_ns <= w0 || s.start_ns >= w1) {
      segments.push(s);
      continue;
    }
    if (s.start_ns < w0) segments.push({ ...s, end_ns: w0 });
    if (s.end_ns > w1) segments.push({ ...s, start_ns: w1 });
  }
  // The detail's stacks follow the overview's: its items point past them.
  const base = overview.stacks.length;
  const restack = (x) => (x.stack === undefined ? x : { ...x, stack: x.stack + base });
  for (const s of detail.segments) {
    const clipped = s.start_ns < w0 || s.end_ns > w1 ? { ...s, start_ns: Math.max(s.start_ns, w0), end_ns: Math.min(s.end_ns, w1) } : s;
    if (clipped.end_ns > clipped.start_ns) segments.push(restack(clipped));
  }
  const messages = overview.messages.filter((m) => m.send_ns < w0 || m.send_ns >= w1);
  for (const m of detail.messages) messages.push(restack(m));
  messages.sort((a, b) => a.send_ns - b.send_ns);
  const stacks = overview.stacks.concat(detail.stacks);
  return { ...overview, segments, messages, stacks, lod: { ...overview.lod, detail: detail.lod } };
}

/** Asks for the window in view when it is a small part of an aggregated trace. */
export class LevelOfDetail {
  /** `show(picture)` draws a picture: the overview, or the overview with a window's detail. */
  constructor(overview, duration, show) {
    Object.assign(this, { overview, duration, show });
    this.aggregated = isAggregated(overview.lod);
    this.available = this.aggregated && canAskServer();
    this.shown = null; // the window drawn in detail, [from, to] ns
    this.busy = false;
    this.view = '';
    this.since = 0;
  }

  /** Called every frame: cheap until the camera has rested on a new window. */
  update(camera, now) {
    if (!this.available || this.busy) return;
    const view = `${camera.distance} ${camera.target.join(' ')} ${camera.pitch}`;
    if (view !== this.view) {
      this.view = view;
      this.since = now;
      return;
    }
    if (now - this.since < SETTLE_MS) return;
    const w = visibleWindow(camera, this.duration);
    const want = w && w[1] - w[0] < WHOLE * this.duration ? w : null;
    if (!want) {
      if (this.shown) {
        this.shown = null;
        this.show(this.overview);
      }
      return;
    }
    const s = this.shown;
    // The detail drawn covers the view and is not much coarser than it needs to be.
    if (s && s[0] <= want[0] && s[1] >= want[1] && s[1] - s[0] < 2 * (want[1] - want[0])) return;
    this.load(want);
  }

  async load(window) {
    this.busy = true;
    try {
      const response = await fetch(`picture.json?from=${window[0]}&to=${window[1]}`);
      if (!response.ok) {
        // A page served by something other than gotrace: no detail to get.
        this.available = false;
        return;
      }
      const detail = await response.json();
      this.shown = window;
      this.show(compose(this.overview, detail));
    } finally {
      this.busy = false;
    }
  }
}
