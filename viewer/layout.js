// Places the model in 3D: time runs downward (y), each goroutine is a vertical line placed
// around its parent (x, z) by depth and angle, like the 2016 original.

/** Scene units that the whole trace duration spans, whatever its length: 1 s and 1 min both fill the view. */
export const HEIGHT = 100;
const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));

export function layout(model) {
  const gs = model.goroutines;
  const n = gs.length;
  const index = new Map();
  gs.forEach((g, i) => index.set(g.id, i));
  const duration = Math.max(1, model.meta?.duration_ns ?? 0, ...lastTimes(model));
  const children = Array.from({ length: n }, () => []);
  const roots = [];
  gs.forEach((g, i) => {
    const p = g.parent == null ? undefined : index.get(g.parent);
    if (p === undefined || p === i) roots.push(i);
    else children[p].push(i);
  });
  const x = new Float32Array(n);
  const z = new Float32Array(n);
  const depth = new Uint32Array(n);
  // Breadth first, not recursive: a chain of 10,000 goroutines must not overflow the stack.
  const queue = [];
  placeAround(roots, 0, 0, 0, 1.0, queue, x, z, depth);
  for (let q = 0; q < queue.length; q++) {
    const p = queue[q];
    placeAround(children[p], x[p], z[p], depth[p] + 1, 0.7 ** (depth[p] + 1), queue, x, z, depth);
  }
  scaleToHeight(x, z);
  const start = new Float32Array(n);
  const end = new Float32Array(n);
  gs.forEach((g, i) => {
    start[i] = g.start_ns / duration;
    end[i] = (g.end_ns ?? duration) / duration;
  });
  return { index, x, z, depth, start, end, duration, roots: roots.length };
}

// A few children sit on a ring around their parent, at most 60° apart so that two children
// and their parent make a triangle rather than a line (as in the 2016 original); many sit
// on a sunflower spiral (the k-th at radius ∝ √k), so that 10,000 children fill a disc evenly.
// Each depth turns by a different phase.
const RING = 12;
function placeAround(list, cx, cz, d, spacing, queue, x, z, depth) {
  const phase = d * 1.1;
  const n = list.length;
  list.forEach((i, k) => {
    const ring = n <= RING;
    const r = n === 1 && d === 0 ? 0 : spacing * (ring ? 1 : Math.sqrt(k + 1));
    const a = phase + (ring ? (k - (n - 1) / 2) * Math.min((2 * Math.PI) / n, Math.PI / 3) : k * GOLDEN_ANGLE);
    x[i] = cx + r * Math.cos(a);
    z[i] = cz + r * Math.sin(a);
    depth[i] = d;
    queue.push(i);
  });
}

// The spread of the goroutines becomes about half the height, so the picture is neither a
// needle nor a pancake.
function scaleToHeight(x, z) {
  let r = 0;
  for (let i = 0; i < x.length; i++) r = Math.max(r, Math.hypot(x[i], z[i]));
  if (r === 0) return;
  const s = (HEIGHT * 0.4) / r;
  for (let i = 0; i < x.length; i++) {
    x[i] *= s;
    z[i] *= s;
  }
}

function lastTimes(model) {
  let last = 0;
  for (const s of model.segments) if (s.end_ns > last) last = s.end_ns;
  for (const m of model.messages) if (m.recv_ns > last) last = m.recv_ns;
  return [last];
}
