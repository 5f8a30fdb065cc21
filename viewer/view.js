// The view: the camera over the canvas and the playback state, what every frame is drawn from.

import { OrbitCamera, project } from 'gotrace/camera.js';
import { pick } from 'gotrace/hover.js';
import { HEIGHT } from 'gotrace/layout.js';

export class View {
  /** A view of `scene` on `canvas`, framing the part of the trace `overview` holds. */
  constructor(canvas, scene, overview) {
    this.canvas = canvas;
    this.scene = scene;
    this.camera = new OrbitCamera();
    this.state = {
      time: 0, playing: true, paused: false, mode: 0, lineWidth: 2, speed: 1,
      fps: 0, duration: scene.lay.duration,
    };
    this.sphere = boundingSphere(scene.lay, span(overview, scene.lay));
    this.size();
    this.fit();
    window.addEventListener('resize', () => this.size());
  }

  /** Matches the drawing buffer to the canvas's size on screen. */
  size() {
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    this.canvas.height = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
  }

  aspect() {
    return this.canvas.clientWidth / Math.max(1, this.canvas.clientHeight);
  }

  /** Frames the whole drawing (`v`). */
  fit() {
    this.camera.fit(...this.sphere, this.aspect());
  }

  /** What the renderer draws now. */
  frame() {
    const { time, lineWidth, mode } = this.state;
    return { mvp: this.camera.matrix(this.aspect()), time, lineWidth, mode };
  }

  /** Where goroutine `i`'s line is at `ns` on the canvas (CSS px); null behind the camera. */
  project(i, ns) {
    const { lay } = this.scene;
    const m = this.camera.matrix(this.aspect());
    return project(m, lay.x[i], (-ns / lay.duration) * HEIGHT, lay.z[i], this.canvas.clientWidth, this.canvas.clientHeight);
  }

  /** The line or arrow drawn at canvas point (x, y) (CSS px), or null. */
  pick(x, y, mvp = this.camera.matrix(this.aspect())) {
    return pick(this.scene, mvp, this.state.time, x, y, this.canvas.clientWidth, this.canvas.clientHeight);
  }
}

// The part of the trace the page was given (`--window`), as fractions of the trace: [0, 1]
// unless a window was asked for.
function span(picture, lay) {
  const w = picture.lod?.window;
  return w ? [Math.max(0, w.start_ns / lay.duration), Math.min(1, w.end_ns / lay.duration)] : [0, 1];
}

// The whole drawing: every goroutine from the top to the bottom of the part shown.
function boundingSphere(lay, [from, to]) {
  let r = 0;
  for (let i = 0; i < lay.x.length; i++) r = Math.max(r, Math.hypot(lay.x[i], lay.z[i]));
  const center = [0, (-(from + to) / 2) * HEIGHT, 0];
  return [center, Math.hypot(r, ((to - from) / 2) * HEIGHT)];
}
