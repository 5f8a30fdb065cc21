// Colour codes shared by the geometry (one small integer per line) and the shader (a uniform table).
// The state colours are the 2016 original's: red blocked, green unblocked, yellow running.

export const STATES = ['running', 'runnable', 'blocked', 'sleeping', 'syscall'];
export const SPAWN = 5; // the branch from a parent to a new goroutine
export const STUCK = 6; // the last wait of a goroutine stuck at the end (leaked or deadlocked)
export const DIM = 7; // what a focus leaves out (focus.js)
export const ARROW_BASE = 8; // message kinds start here
export const KINDS = ['chan', 'select', 'close', 'sync'];
export const CHANNEL_BASE = 16; // arrows coloured by channel: one of CHANNEL_COLORS
/** Colour codes have this many bits: a vertex carries its corner number above them. */
export const CODE_BITS = 5;
export const CODES = 1 << CODE_BITS;

// Distinct hues for arrows coloured by channel (channels share them beyond 16), each far
// enough from the others and from the state and kind colours to be told apart on screen.
export const CHANNEL_COLORS = [
  '#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6',
  '#bfef45', '#fabed4', '#469990', '#dcbeff', '#9a6324', '#fffac8', '#800000', '#aaffc3',
];

export const COLORS = {
  running: '#ffd23f',
  runnable: '#3ddc84',
  blocked: '#ff4d4d',
  sleeping: '#a06bff',
  syscall: '#c4c9d0',
  spawn: '#6f8fb8',
  stuck: '#ff00ff',
  chan: '#e8f1ff',
  select: '#5cd0ff',
  close: '#ff9f43',
  sync: '#ff7ad9',
  dim: '#2b303b',
};

export const LABELS = {
  running: 'running on a CPU',
  runnable: 'runnable (unblocked, waiting for a CPU)',
  blocked: 'blocked',
  sleeping: 'sleeping',
  syscall: 'in a system call',
  spawn: 'goroutine creation',
  stuck: 'stuck at the end (leaked or deadlocked)',
  chan: 'channel message',
  select: 'message in a select',
  close: 'channel close',
  sync: 'sync wake-up (lock, WaitGroup, Cond)',
};

export function stateCode(state) {
  const i = STATES.indexOf(state);
  return i < 0 ? STATES.indexOf('blocked') : i;
}

export function kindCode(kind) {
  const i = KINDS.indexOf(kind);
  return ARROW_BASE + (i < 0 ? 0 : i);
}

/** The colour code of the arrows of the channel listed `slot`-th in the picture. */
export function channelCode(slot) {
  return CHANNEL_BASE + (slot % CHANNEL_COLORS.length);
}

export function channelColor(slot) {
  return CHANNEL_COLORS[channelCode(slot) - CHANNEL_BASE];
}

/** The colour of each code as RGB floats, for the shader's table (CODES entries). */
export function colorTable() {
  const table = new Float32Array(CODES * 3);
  const names = [...STATES, 'spawn', 'stuck', 'dim', ...KINDS];
  const hexes = names.map((name) => name && COLORS[name]);
  CHANNEL_COLORS.forEach((hex, slot) => { hexes[channelCode(slot)] = hex; });
  hexes.forEach((hex, code) => {
    if (!hex) return;
    for (let c = 0; c < 3; c++) table[code * 3 + c] = parseInt(hex.slice(1 + 2 * c, 3 + 2 * c), 16) / 255;
  });
  return table;
}

export function nameOfCode(code) {
  if (code < STATES.length) return STATES[code];
  if (code === SPAWN) return 'spawn';
  if (code === STUCK) return 'stuck';
  if (code === DIM) return 'dim';
  if (code >= CHANNEL_BASE) return 'channel';
  return KINDS[code - ARROW_BASE] ?? 'chan';
}
