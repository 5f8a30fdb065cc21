// The render loop: each animation frame advances playback, turns the camera, lets the level
// of detail ask for a window, draws, places the value labels and the lanes' names, answers the mouse's click and
// hover, and mirrors the state into the hook (window.gotrace).

import { keepAddress } from 'gotrace/address.js';
import { describe } from 'gotrace/hover.js';
import { showStatus } from 'gotrace/ui.js';

/** Seconds of playback for the whole trace at speed ×1. */
const PLAYBACK_SECONDS = 12;
const AUTO_ROTATE = 0.15; // radians per second

export class RenderLoop {
  constructor(view, mouse, hook) {
    Object.assign(this, { view, mouse, hook });
    this.scrubber = document.getElementById('scrubber');
    this.tooltip = document.getElementById('tooltip');
    this.last = performance.now();
    this.frames = 0;
    this.fpsSince = this.last;
    this.frameNo = 0;
    this.tick = this.tick.bind(this);
  }

  /** Runs a frame at every animation frame until the benchmark (`hook.benchmarking`) stops it. */
  start() {
    requestAnimationFrame(this.tick);
  }

  tick(now) {
    const { view, mouse, hook, scrubber } = this;
    const { camera, canvas, scene, state } = view;
    const dt = Math.min(0.25, (now - this.last) / 1000);
    this.last = now;
    if (state.playing) {
      state.time = Math.min(1, state.time + (dt * state.speed) / PLAYBACK_SECONDS);
      if (state.time >= 1) state.playing = false;
    }
    if (document.activeElement !== scrubber) scrubber.value = Math.round(state.time * 1000);
    if (!state.paused && !mouse.dragging) camera.yaw += AUTO_ROTATE * dt;
    scene.lod.update(camera, now);
    const frame = view.frame();
    // The map covers the timeline: the timeline is not drawn under it.
    const drawCalls = scene.map.shown ? 0 : scene.renderer.draw(frame);
    scene.map.update(state.time);
    if (this.frameNo++ % 3 === 0) {
      scene.labels.update(frame.mvp, state.time, canvas.clientWidth, canvas.clientHeight);
      scene.laneLabels.update(frame.mvp, state.time, canvas.clientWidth, canvas.clientHeight);
    }
    if (mouse.click) {
      // A click on an arrow of a channel shows that channel only; on a goroutine's line, puts
      // it in focus; anywhere else, all again.
      const hit = view.pick(mouse.click.x, mouse.click.y, frame.mvp);
      mouse.click = null;
      scene.focusOn(hit?.message === undefined ? null : scene.model.messages[hit.message].channel ?? null);
      scene.focusGoroutine(hit?.goroutine === undefined ? null : scene.ids[hit.goroutine]);
    }
    if (mouse.moved) {
      mouse.moved = false;
      this.hover(mouse.over && view.pick(mouse.x, mouse.y, frame.mvp));
    }
    this.countFrame(now);
    showStatus(state, scene.channels.byChannel);
    Object.assign(hook, {
      mode: state.mode, paused: state.paused, playing: state.playing, lineWidth: state.lineWidth,
      speed: state.speed, time: state.time, fps: state.fps, drawCalls,
    });
    if (this.frameNo % 15 === 0) keepAddress(hook);
    if (!hook.benchmarking) requestAnimationFrame(this.tick);
  }

  // The tooltip describing `hit` beside the mouse, kept inside the canvas; hidden for no hit.
  hover(hit) {
    const { mouse, tooltip } = this;
    const { canvas, scene } = this.view;
    tooltip.classList.toggle('hidden', !hit);
    if (hit) {
      tooltip.textContent = describe(scene, hit);
      tooltip.style.left = `${Math.min(mouse.x + 14, canvas.clientWidth - tooltip.offsetWidth - 4)}px`;
      const below = mouse.y + 14 + tooltip.offsetHeight <= canvas.clientHeight;
      tooltip.style.top = `${Math.max(4, below ? mouse.y + 14 : mouse.y - 14 - tooltip.offsetHeight)}px`;
    }
    this.hook.hover = hit ? tooltip.textContent : null;
  }

  // Frames per second, over about one second.
  countFrame(now) {
    this.frames++;
    if (now - this.fpsSince < 1000) return;
    this.view.state.fps = Math.round((this.frames * 1000) / (now - this.fpsSince));
    this.frames = 0;
    this.fpsSince = now;
  }
}
