// Loading: the model the page was given, laid out once, and the picture drawn from it (the
// overview, or the overview with one window in detail) as lines and arrows in the renderer.
// The fields read by hover.js and ui.js (`lay`, `channels`, `model`, `lines`, `segsByG`,
// `stuck`, `arrows`) are those of the picture shown.

import { Channels } from 'gotrace/channels.js';
import { LevelOfDetail } from 'gotrace/detail.js';
import { neighbourhood } from 'gotrace/focus.js';
import { buildArrows, buildLines, segmentsByGoroutine, stuckGoroutines } from 'gotrace/geometry.js';
import { LaneLabels } from 'gotrace/lanes.js';
import { layout } from 'gotrace/layout.js';
import { CommunicationMap } from 'gotrace/map.js';
import { Renderer } from 'gotrace/render.js';
import { ValueLabels, showFocus, showInfo, showLegend } from 'gotrace/ui.js';

/** Up to this many lines, they are antialiased. */
const SMOOTH_LINES = 50000;

/** The model inline in the page (`--html`, and the served page), else `model.json` beside it. */
export async function loadModel() {
  const inline = document.getElementById('gotrace-model');
  if (inline) return JSON.parse(inline.textContent);
  const response = await fetch('model.json');
  if (!response.ok) throw new Error(`model.json: HTTP ${response.status}`);
  return response.json();
}

export class Scene {
  /** Draws `overview` on `canvas`; what is drawn is mirrored into `hook` (window.gotrace). */
  constructor(overview, canvas, hook) {
    this.hook = hook;
    // One layout for the overview and every detail window: goroutines keep their places.
    this.lay = layout(overview);
    this.ids = overview.goroutines.map((g) => g.id); // by the layout's index
    this.channels = new Channels(overview);
    this.renderer = new Renderer(canvas, { antialias: overview.segments.length + overview.messages.length <= SMOOTH_LINES });
    this.arrowLayer = null;
    // The goroutine in focus (its id) and the goroutines lit with it; null: all lit.
    this.focus = null;
    this.lit = null;
    this.lod = new LevelOfDetail(overview, this.lay.duration, (picture) => this.show(picture));
    this.show(overview);
    // The lanes are the overview's: a detail window draws the same goroutines in their places.
    this.laneLabels = new LaneLabels(this);
    this.map = new CommunicationMap(this, document.getElementById('map'), (edge) => this.showEdge(edge));
    this.edge = null; // the map's edge whose messages alone are drawn, or null
    hook.view = 'timeline';
    hook.lanes = this.laneLabels.lanes.map(({ label, goroutine, goroutines }) => ({ label, goroutine, goroutines }));
    showLegend(this.channels);
  }

  /** Draws a picture: the overview, or the overview with one window in detail. */
  show(model) {
    const lines = buildLines(model, this.lay, this.lit);
    Object.assign(this, { model, lines, segsByG: segmentsByGoroutine(model, this.lay), stuck: stuckGoroutines(model) });
    this.renderer.clearLayers();
    this.renderer.addLayer(lines.data, lines.count, false);
    this.arrowLayer = null;
    this.showArrows();
    showInfo(model, this, this.lod);
    this.map?.setModel(this);
    Object.assign(this.hook, { model, lod: model.lod ?? null, check: model.check ?? null });
  }

  // (Re)draws the arrows of the picture shown as `channels` wants them: the colouring (`c`)
  // and the channel in focus (a click) change only them.
  showArrows() {
    const { channels, lay, renderer } = this;
    const { edge, map } = this;
    const only = edge && ((m) => map.groupOf.get(m.from) === edge.from && map.groupOf.get(m.to) === edge.to);
    const arrows = buildArrows(this.model, lay, channels, this.focus, only);
    if (this.arrowLayer) renderer.removeLayer(this.arrowLayer);
    this.arrowLayer = renderer.addLayer(arrows.data, arrows.count, true);
    this.arrows = arrows;
    this.labels = new ValueLabels(this);
    showFocus(this.focusText() ?? channels.focusText(this.model.stacks));
    const { segments, spawns } = this.lines;
    Object.assign(this.hook, {
      drawn: { goroutines: lay.x.length, segments, spawns, arrows: arrows.count },
      channel: channels.focus,
      byChannel: channels.byChannel,
      focused: this.focus,
      edge: this.edge && { from: this.edge.from, to: this.edge.to },
      lit: this.lit ? [...this.lit] : null,
    });
  }

  /**
   * Puts goroutine `id` in focus (null: none): it, its parent, its children and the goroutines
   * it exchanged messages with stay lit, the rest dim; only its own arrows keep their colours.
   */
  focusGoroutine(id) {
    if (this.focus === id) return;
    this.focus = id;
    this.lit = id === null ? null : neighbourhood(this.model, id);
    this.show(this.model);
  }

  /** Back on the timeline, draws only the messages of the map's `edge` (null: all). */
  showEdge(edge) {
    this.edge = edge;
    if (edge) this.setView('timeline');
    this.showArrows();
  }

  focusText() {
    if (this.edge) {
      const name = (g) => this.model.groups?.[g]?.name || `group ${g}`;
      return `only the messages from ${name(this.edge.from)} to ${name(this.edge.to)} (Esc: all)`;
    }
    if (this.focus === null) return null;
    const g = this.model.goroutines.find((x) => x.id === this.focus);
    return `goroutine ${this.focus} ${g?.name ?? ''} in focus, with ${this.lit.size - 1} more lit: its parent, children and those it exchanged messages with (Esc: all)`;
  }

  /** Shows the timeline (the 3D picture) or the communication map. */
  setView(name) {
    if (name !== 'timeline' && name !== 'map') throw new Error(`no view ${name}: timeline or map`);
    this.map.show(name === 'map');
    document.body.classList.toggle('map', name === 'map');
    this.hook.view = name;
  }

  /** Shows only the arrows of channel `id`, or all of them (null). */
  focusOn(id) {
    if (this.channels.focus === id) return;
    this.channels.focus = id;
    this.showArrows();
  }

  /** Colours the arrows by channel instead of by kind, or back (`c`). */
  toggleByChannel() {
    if (!this.channels.used.length) return; // a stock trace: no channel to colour by
    this.channels.byChannel = !this.channels.byChannel;
    this.showArrows();
    showLegend(this.channels);
  }
}
