// Colour codes shared by the geometry (one small integer per line) and the shader (a uniform table).
// The state colours are the 2016 original's: red blocked, green unblocked, yellow running.

export const STATES = ['running', 'runnable', 'blocked', 'sleeping', 'syscall'];
export const SPAWN = 5; // the branch from a parent to a new goroutine
export const STUCK = 6; // the last wait of a goroutine stuck at the end (leaked or deadlocked)
export const ARROW_BASE = 8; // message kinds start here
export const KINDS = ['chan', 'select', 'close', 'sync'];

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

/** The colour of each code as RGB floats, for the shader's table (16 entries). */
export function colorTable() {
  const table = new Float32Array(16 * 3);
  const names = [...STATES, 'spawn', 'stuck', null, ...KINDS];
  names.forEach((name, code) => {
    if (!name) return;
    const hex = COLORS[name];
    for (let c = 0; c < 3; c++) table[code * 3 + c] = parseInt(hex.slice(1 + 2 * c, 3 + 2 * c), 16) / 255;
  });
  return table;
}

export function nameOfCode(code) {
  if (code < STATES.length) return STATES[code];
  if (code === SPAWN) return 'spawn';
  if (code === STUCK) return 'stuck';
  return KINDS[code - ARROW_BASE] ?? 'chan';
}
