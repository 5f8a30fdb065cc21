#!/usr/bin/env node
// SYNTHETIC model for the scale benchmark (scripts/viewer-bench.sh) and for viewer development
// only: it is not a trace and nothing tests gotrace's correctness against it.
// Usage: node viewer/dev/synthetic-model.mjs [GOROUTINES] [MESSAGES] > model.json
// Shape: main spawns workers, workers spawn children (a spawn tree of depth 3); random pairs
// of live goroutines exchange messages; each goroutine alternates running and blocked
// (chan receive) between the messages it takes part in. Deterministic (fixed seed).

const goroutines = Number(process.argv[2] ?? 10000);
const messages = Number(process.argv[3] ?? 100000);
const DURATION = 60e9; // one minute

let seed = 0x9e3779b9;
function random() { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const gs = [{ id: 1, name: 'main.main', start_ns: 0, end_ns: DURATION, depth: 0, system: false }];
const fanout = Math.max(2, Math.round(Math.cbrt(goroutines)));
for (let i = 1; i < goroutines; i++) {
  const parent = gs[Math.floor((i - 1) / fanout)];
  const start = parent.start_ns + random() * (DURATION - parent.start_ns) * 0.3;
  const end = random() < 0.3 ? start + random() * (DURATION - start) : undefined;
  gs.push({ id: i + 1, parent: parent.id, name: `main.worker${parent.depth + 1}`, start_ns: Math.round(start),
    end_ns: end === undefined ? undefined : Math.round(end), depth: parent.depth + 1, system: false });
}

const events = gs.map(() => []); // per goroutine: [time, 'send' | 'recv']
const msgs = [];
while (msgs.length < messages) {
  const a = Math.floor(random() * gs.length);
  const b = Math.floor(random() * gs.length);
  const from = gs[a];
  const to = gs[b];
  const lo = Math.max(from.start_ns, to.start_ns);
  const hi = Math.min(from.end_ns ?? DURATION, to.end_ns ?? DURATION);
  if (a === b || hi - lo < 1e6) continue;
  const send = Math.round(lo + random() * (hi - lo - 1e6));
  const recv = send + Math.round(random() * 1e6);
  msgs.push({ from: from.id, to: to.id, send_ns: send, recv_ns: recv, kind: random() < 0.8 ? 'chan' : 'select',
    channel: 0xc000010000 + Math.floor(random() * 512) * 0x60, value: Math.floor(random() * 1000) });
  events[a].push(send);
  events[b].push(-recv); // negative: a receive
}

const segments = [];
gs.forEach((g, i) => {
  const end = g.end_ns ?? DURATION;
  let t = g.start_ns;
  for (const e of events[i].sort((x, y) => Math.abs(x) - Math.abs(y))) {
    const at = Math.abs(e);
    if (at <= t) continue;
    segments.push(e < 0
      ? { goroutine: g.id, state: 'blocked', start_ns: t, end_ns: at, reason: 'chan receive' }
      : { goroutine: g.id, state: 'running', start_ns: t, end_ns: at });
    t = at;
  }
  if (t < end) segments.push({ goroutine: g.id, state: random() < 0.5 ? 'sleeping' : 'runnable', start_ns: t, end_ns: end });
});

process.stdout.write(JSON.stringify({
  version: 1,
  meta: { format: 'synthetic (benchmark only)', duration_ns: DURATION, channel_truth: 'inferred', unattributed: 0, hidden_goroutines: 0 },
  goroutines: gs, segments, messages: msgs,
}));
