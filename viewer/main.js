// gotrace viewer: loads the model, lays it out, and runs the render loop, input and overlay.
// `window.gotrace` is a small read-only view of the state for tests and the benchmark.

import { OrbitCamera, project } from 'gotrace/camera.js';
import { Channels } from 'gotrace/channels.js';
import { LevelOfDetail } from 'gotrace/detail.js';
import { STRIDE, buildArrows, buildLines, segmentsByGoroutine, stuckGoroutines } from 'gotrace/geometry.js';
import { describe, pick } from 'gotrace/hover.js';
import { HEIGHT, layout } from 'gotrace/layout.js';
import { Renderer } from 'gotrace/render.js';
import { ValueLabels, buildHelp, showError, showFocus, showInfo, showLegend, showStatus, toggleHelp } from 'gotrace/ui.js';
import { runBenchmark } from 'gotrace/bench.js';

/** Seconds of playback for the whole trace at speed ×1. */
const PLAYBACK_SECONDS = 12;
const AUTO_ROTATE = 0.15; // radians per second
/** Up to this many lines, they are antialiased. */
const SMOOTH_LINES = 50000;

const hook = { ready: false, error: null };
window.gotrace = hook;
window.addEventListener('error', (e) => fail(e.message));
window.addEventListener('unhandledrejection', (e) => fail(String(e.reason?.message ?? e.reason)));

function fail(message) {
  hook.error = message;
  showError(message);
}

async function loadModel() {
  const inline = document.getElementById('gotrace-model');
  if (inline) return JSON.parse(inline.textContent);
  const response = await fetch('model.json');
  if (!response.ok) throw new Error(`model.json: HTTP ${response.status}`);
  return response.json();
}

async function start() {
  const overview = await loadModel();
  // One layout for the overview and every detail window: goroutines keep their places.
  const lay = layout(overview);
  const channels = new Channels(overview);
  const scene = { lay, channels };
  const canvas = document.getElementById('scene');
  const renderer = new Renderer(canvas, { antialias: overview.segments.length + overview.messages.length <= SMOOTH_LINES });
  let labels = null;
  let arrowLayer = null;
  const lod = new LevelOfDetail(overview, lay.duration, (picture) => show(picture));
  // Draws a picture: the overview, or the overview with one window in detail.
  const show = (model) => {
    const lines = buildLines(model, lay);
    Object.assign(scene, { model, lines, segsByG: segmentsByGoroutine(model, lay), stuck: stuckGoroutines(model) });
    renderer.clearLayers();
    renderer.addLayer(lines.data, lines.count, false);
    arrowLayer = null;
    showArrows();
    showInfo(model, scene, lod);
    Object.assign(hook, { model, lod: model.lod ?? null, check: model.check ?? null });
  };
  // (Re)draws the arrows of the picture shown as `channels` wants them: the colouring (`c`)
  // and the channel in focus (a click) change only them.
  const showArrows = () => {
    const arrows = buildArrows(scene.model, lay, channels);
    if (arrowLayer) renderer.removeLayer(arrowLayer);
    arrowLayer = renderer.addLayer(arrows.data, arrows.count, true);
    scene.arrows = arrows;
    labels = new ValueLabels(scene);
    showFocus(channels.focusText(scene.model.stacks));
    const { segments, spawns } = scene.lines;
    Object.assign(hook, {
      drawn: { goroutines: lay.x.length, segments, spawns, arrows: arrows.count },
      channel: channels.focus,
      byChannel: channels.byChannel,
    });
  };
  // Shows only the arrows of channel `id`, or all of them (null).
  const focusOn = (id) => {
    if (channels.focus === id) return;
    channels.focus = id;
    showArrows();
  };
  show(overview);
  const camera = new OrbitCamera();
  const state = {
    time: 0, playing: true, paused: false, mode: 0, lineWidth: 2, speed: 1,
    fps: 0, duration: lay.duration, helpShown: false,
  };
  showLegend(channels);
  buildHelp();

  const size = () => {
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(canvas.clientWidth * dpr));
    canvas.height = Math.max(1, Math.round(canvas.clientHeight * dpr));
  };
  const aspect = () => canvas.clientWidth / Math.max(1, canvas.clientHeight);
  const fit = () => camera.fit(...boundingSphere(lay, span(overview, lay)), aspect());
  size();
  fit();
  window.addEventListener('resize', size);

  const frameOf = () => ({ mvp: camera.matrix(aspect()), time: state.time, lineWidth: state.lineWidth, mode: state.mode });
  const keys = {
    r: () => { state.time = 0; state.playing = true; },
    ' ': () => { if (state.time >= 1) state.time = 0; state.playing = !state.playing; },
    p: () => { state.paused = !state.paused; },
    0: () => { state.mode = 0; }, 1: () => { state.mode = 1; }, 2: () => { state.mode = 2; },
    3: () => { state.mode = 3; }, 4: () => { state.mode = 4; }, 5: () => { state.mode = 5; },
    '+': () => { state.lineWidth = Math.min(16, state.lineWidth + 1); },
    '=': () => { state.lineWidth = Math.min(16, state.lineWidth + 1); },
    '-': () => { state.lineWidth = Math.max(1, state.lineWidth - 1); },
    s: () => { state.speed = Math.max(1 / 64, state.speed / 2); },
    f: () => { state.speed = Math.min(64, state.speed * 2); },
    v: fit,
    c: () => {
      if (!channels.used.length) return; // a stock trace: no channel to colour by
      channels.byChannel = !channels.byChannel;
      showArrows();
      showLegend(channels);
    },
    '?': () => toggleHelp(),
    Escape: () => { toggleHelp(false); focusOn(null); },
  };
  window.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target instanceof HTMLInputElement && e.key !== '?') return;
    const action = keys[e.key];
    if (action) {
      action();
      e.preventDefault();
    }
  });
  document.getElementById('fit').onclick = fit;
  document.getElementById('helpbtn').onclick = () => toggleHelp();
  document.getElementById('play').onclick = keys[' '];
  const scrubber = document.getElementById('scrubber');
  scrubber.addEventListener('input', () => { state.time = scrubber.value / 1000; });

  const mouse = attachMouse(canvas, camera);
  const tooltip = document.getElementById('tooltip');
  let last = performance.now();
  let frames = 0;
  let fpsSince = last;
  let drawCalls = 0;
  let frameNo = 0;

  const loop = (now) => {
    const dt = Math.min(0.25, (now - last) / 1000);
    last = now;
    if (state.playing) {
      state.time = Math.min(1, state.time + (dt * state.speed) / PLAYBACK_SECONDS);
      if (state.time >= 1) state.playing = false;
    }
    if (document.activeElement !== scrubber) scrubber.value = Math.round(state.time * 1000);
    if (!state.paused && !mouse.dragging) camera.yaw += AUTO_ROTATE * dt;
    lod.update(camera, now);
    const frame = frameOf();
    drawCalls = renderer.draw(frame);
    if (frameNo++ % 3 === 0) labels.update(frame.mvp, state.time, canvas.clientWidth, canvas.clientHeight);
    if (mouse.click) {
      // A click on an arrow of a channel shows that channel only; anywhere else, all again.
      const hit = pick(scene, frame.mvp, state.time, mouse.click.x, mouse.click.y, canvas.clientWidth, canvas.clientHeight);
      mouse.click = null;
      focusOn(hit?.message === undefined ? null : scene.model.messages[hit.message].channel ?? null);
    }
    if (mouse.moved) {
      mouse.moved = false;
      const hit = mouse.over && pick(scene, frame.mvp, state.time, mouse.x, mouse.y, canvas.clientWidth, canvas.clientHeight);
      tooltip.classList.toggle('hidden', !hit);
      if (hit) {
        tooltip.textContent = describe(scene, hit);
        tooltip.style.left = `${Math.min(mouse.x + 14, canvas.clientWidth - tooltip.offsetWidth - 4)}px`;
        const below = mouse.y + 14 + tooltip.offsetHeight <= canvas.clientHeight;
        tooltip.style.top = `${Math.max(4, below ? mouse.y + 14 : mouse.y - 14 - tooltip.offsetHeight)}px`;
      }
      hook.hover = hit ? tooltip.textContent : null;
    }
    frames++;
    if (now - fpsSince >= 1000) {
      state.fps = Math.round((frames * 1000) / (now - fpsSince));
      frames = 0;
      fpsSince = now;
    }
    showStatus(state, channels.byChannel);
    Object.assign(hook, {
      mode: state.mode, paused: state.paused, playing: state.playing, lineWidth: state.lineWidth,
      speed: state.speed, time: state.time, fps: state.fps, drawCalls,
    });
    if (!hook.benchmarking) requestAnimationFrame(loop);
  };

  Object.assign(hook, {
    goroutines: overview.goroutines.length,
    messages: overview.lod ? overview.lod.messages.total : overview.messages.length,
    seek: (t) => { state.time = Math.max(0, Math.min(1, t)); state.playing = false; },
    // A fixed camera for reproducible pictures: the default angle, fitted, not rotating.
    freeze: () => { camera.yaw = new OrbitCamera().yaw; state.paused = true; fit(); },
    litPixels: () => renderer.litPixels(frameOf()),
    // Frames the time from `from` to `to` (fractions of the trace), as zooming there would.
    zoomTo: (from, to) => {
      camera.target = [0, (-(from + to) / 2) * HEIGHT, 0];
      camera.distance = (((to - from) / 2) * HEIGHT * Math.cos(camera.pitch)) / Math.tan(camera.fov / 2);
    },
    // Each arrow drawn: the message it stands for (index in `model`) and the trace times (ns)
    // where it starts and ends.
    drawnArrows: () => Array.from(scene.arrows.ids, (message, k) => ({
      message,
      from_ns: scene.arrows.data[k * STRIDE + 6] * lay.duration,
      to_ns: scene.arrows.data[k * STRIDE + 7] * lay.duration,
    })),
    hoverAt: (x, y) => {
      const hit = pick(scene, frameOf().mvp, state.time, x, y, canvas.clientWidth, canvas.clientHeight);
      return hit ? describe(scene, hit) : null;
    },
    project: (goroutineId, ns) => {
      const i = lay.index.get(goroutineId);
      const p = camera.matrix(aspect());
      return i === undefined ? null : project(p, lay.x[i], (-ns / lay.duration) * HEIGHT, lay.z[i], canvas.clientWidth, canvas.clientHeight);
    },
    runBenchmark: (seconds) => {
      hook.benchmarking = true;
      return runBenchmark(renderer, camera, frameOf, seconds).finally(() => {
        hook.benchmarking = false;
        requestAnimationFrame(loop);
      });
    },
    ready: true,
  });
  requestAnimationFrame(loop);
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

/** A press and release this close together (px) is a click, not a drag. */
const CLICK_PX = 4;

// Drag rotates, shift/right drag pans, wheel and pinch zoom; a left click is noted in
// `mouse.click` for the render loop.
function attachMouse(canvas, camera) {
  const mouse = { x: 0, y: 0, moved: false, over: false, dragging: false, click: null };
  let button = -1;
  let lastX = 0;
  let lastY = 0;
  let downX = 0;
  let downY = 0;
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  canvas.addEventListener('pointerdown', (e) => {
    button = e.shiftKey ? 2 : e.button;
    lastX = downX = e.clientX;
    lastY = downY = e.clientY;
    mouse.dragging = true;
    canvas.classList.add('dragging');
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointerup', (e) => {
    if (button === 0 && Math.hypot(e.clientX - downX, e.clientY - downY) <= CLICK_PX) mouse.click = { x: e.offsetX, y: e.offsetY };
    button = -1;
    mouse.dragging = false;
    canvas.classList.remove('dragging');
    canvas.releasePointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    Object.assign(mouse, { x: e.offsetX, y: e.offsetY, moved: true, over: true });
    if (button < 0) return;
    const dx = e.clientX - lastX;
    const dy = e.clientY - lastY;
    lastX = e.clientX;
    lastY = e.clientY;
    if (button === 0) camera.rotate(dx, dy);
    else camera.pan(dx, dy, canvas.clientHeight);
  });
  canvas.addEventListener('pointerleave', () => Object.assign(mouse, { moved: true, over: false }));
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    camera.zoom(Math.exp(delta * (e.ctrlKey ? 0.01 : 0.0015)));
  }, { passive: false });
  return mouse;
}

start().catch((e) => fail(e.message ?? String(e)));
