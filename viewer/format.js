// Human-readable times.

export function formatNs(ns) {
  if (!Number.isFinite(ns)) return '?';
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 1e6) return `${(ns / 1e3).toFixed(a < 1e4 ? 2 : 1)} µs`;
  if (a < 1e9) return `${(ns / 1e6).toFixed(a < 1e7 ? 2 : 1)} ms`;
  if (a < 60e9) return `${(ns / 1e9).toFixed(a < 1e10 ? 3 : 2)} s`;
  const min = Math.floor(ns / 60e9);
  return `${min} min ${((ns - min * 60e9) / 1e9).toFixed(1)} s`;
}

export function goroutineLabel(g) {
  return `goroutine ${g.id}${g.name ? ` ${g.name}` : ''}`;
}
