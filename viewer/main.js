// gotrace viewer, the entry point: loads the model and draws it (scene.js), frames it
// (view.js), binds the input (input.js) and runs the render loop (loop.js).
// `window.gotrace` is a small read-only view of the state for tests and the benchmark.

import { applyAddress, readAddress } from 'gotrace/address.js';
import { OrbitCamera } from 'gotrace/camera.js';
import { STRIDE } from 'gotrace/geometry.js';
import { search } from 'gotrace/focus.js';
import { describe } from 'gotrace/hover.js';
import { bindInput } from 'gotrace/input.js';
import { HEIGHT } from 'gotrace/layout.js';
import { RenderLoop } from 'gotrace/loop.js';
import { Scene, loadModel } from 'gotrace/scene.js';
import { showError } from 'gotrace/ui.js';
import { View } from 'gotrace/view.js';

const hook = { ready: false, error: null };
window.gotrace = hook;
window.addEventListener('error', (e) => fail(e.message));
window.addEventListener('unhandledrejection', (e) => fail(String(e.reason?.message ?? e.reason)));

function fail(message) {
  hook.error = message;
  showError(message);
}

async function start() {
  const overview = await loadModel();
  const canvas = document.getElementById('scene');
  const scene = new Scene(overview, canvas, hook);
  const view = new View(canvas, scene, overview);
  const mouse = bindInput(view, scene);
  const loop = new RenderLoop(view, mouse, hook);
  exposeToTests(overview, view, loop);
  applyAddress(readAddress(), scene, view.state);
  loop.start();
}

// The rest of `window.gotrace`: what the page was given, and the calls tests make; ready last.
function exposeToTests(overview, view, loop) {
  const { camera, scene, state } = view;
  const { lay, renderer } = scene;
  Object.assign(hook, {
    goroutines: overview.goroutines.length,
    messages: overview.lod ? overview.lod.messages.total : overview.messages.length,
    seek: (t) => { state.time = Math.max(0, Math.min(1, t)); state.playing = false; },
    // A fixed camera for reproducible pictures: the default angle, fitted, not rotating.
    freeze: () => { camera.yaw = new OrbitCamera().yaw; state.paused = true; view.fit(); },
    litPixels: () => renderer.litPixels(view.frame()),
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
    // The lanes' names on screen: each with its goroutine and where its lane's top is (CSS px).
    laneLabels: () => scene.laneLabels.shown.map(({ goroutine, label, at }, j) => {
      const r = scene.laneLabels.pool[j].getBoundingClientRect();
      return { goroutine, label, top: at, box: [r.left, r.top, r.right, r.bottom] };
    }),
    // The value labels on screen: each with its message (index in `model`), its arrow's
    // middle and its box (CSS px).
    valueLabels: () => (scene.labels.shown ?? []).map(({ message, text, at }, j) => {
      const r = scene.labels.pool[j].getBoundingClientRect();
      return { message, text, at, box: [r.left, r.top, r.right, r.bottom] };
    }),
    setView: (name) => scene.setView(name),
    search: (text) => search(scene.model, text),
    focus: (id) => scene.focusGoroutine(id ?? null),
    // The map's edges for what playback has reached: each {from, to, messages}, by group id.
    mapEdges: () => scene.map.edges(state.time),
    mapLabels: () => scene.map.labels ?? [],
    mapPoint: (group) => scene.map.point(group),
    hoverAt: (x, y) => {
      const hit = view.pick(x, y);
      return hit ? describe(scene, hit) : null;
    },
    project: (goroutineId, ns) => {
      const i = lay.index.get(goroutineId);
      return i === undefined ? null : view.project(i, ns);
    },
    runBenchmark: async (seconds) => {
      hook.benchmarking = true;
      try {
        // Loaded only when asked for: viewing never needs it.
        const { runBenchmark } = await import('gotrace/bench.js');
        return await runBenchmark(renderer, camera, () => view.frame(), seconds);
      } finally {
        hook.benchmarking = false;
        loop.start();
      }
    },
    ready: true,
  });
}

start().catch((e) => fail(e.message ?? String(e)));
