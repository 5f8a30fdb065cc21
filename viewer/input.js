// Input: hot keys, the controls (play, scrubber, fit, help) and the mouse over the canvas.
// Keys and controls change the view's state and the scene at once; the mouse's hover and
// clicks are left for the render loop, which picks once per frame.

import { search } from 'gotrace/focus.js';
import { buildHelp, toggleHelp } from 'gotrace/ui.js';

/** A press and release this close together (px) is a click, not a drag. */
const CLICK_PX = 4;

/** Binds every input to `view` and `scene`; returns the mouse the render loop reads. */
export function bindInput(view, scene) {
  buildHelp();
  const keys = hotkeys(view, scene);
  bindKeys(keys);
  bindControls(view, keys);
  bindSearch(scene, keys);
  return attachMouse(view.canvas, view.camera);
}

// What each key does (the help's table is ui.js's HOTKEYS).
function hotkeys(view, scene) {
  const { state } = view;
  return {
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
    v: () => view.fit(),
    c: () => scene.toggleByChannel(),
    m: () => scene.setView(scene.map.shown ? 'timeline' : 'map'),
    '?': () => toggleHelp(),
    '/': () => document.getElementById('search').focus(),
    Escape: () => { toggleHelp(false); scene.focusOn(null); scene.focusGoroutine(null); scene.showEdge(null); },
  };
}

function bindKeys(keys) {
  window.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target instanceof HTMLInputElement && (e.key !== '?' || e.target.type === 'search')) return;
    const action = keys[e.key];
    if (action) {
      action();
      e.preventDefault();
    }
  });
}

function bindControls(view, keys) {
  document.getElementById('fit').onclick = keys.v;
  document.getElementById('mapbtn').onclick = keys.m;
  document.getElementById('helpbtn').onclick = () => toggleHelp();
  document.getElementById('play').onclick = keys[' '];
  const scrubber = document.getElementById('scrubber');
  scrubber.addEventListener('input', () => { view.state.time = scrubber.value / 1000; });
}

// The search box: Enter finds (focus.js) and puts the first found in focus, saying how many
// were found; Esc leaves the box and the focus.
function bindSearch(scene, keys) {
  const box = document.getElementById('search');
  const found = document.getElementById('found');
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      box.blur();
      found.textContent = '';
      keys.Escape();
    } else if (e.key === 'Enter') {
      const ids = search(scene.model, box.value);
      found.textContent = ids.length ? `${ids.length} found${ids.length > 1 ? `, the first in focus` : ''}` : 'none found';
      if (ids.length) scene.focusGoroutine(ids[0]);
    } else return;
    e.preventDefault();
    e.stopPropagation();
  });
}

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
