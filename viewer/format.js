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

/** The value a message carried, as Go prints it; models written before `value_text` have the bits only. */
export function valueText(m) {
  return m.value_text ?? m.value;
}

export function goroutineLabel(g) {
  return `goroutine ${g.id}${g.name ? ` ${g.name}` : ''}`;
}

/** Frames of the program listed in a tooltip; more would hide the rest of it. */
const MAX_FRAMES = 4;

// The runtime's own frames (channel and scheduler internals, goexit) say how, not where.
const isRuntime = (f) => f.func.startsWith('runtime.') || f.func.startsWith('internal/runtime/');

/** `/home/me/src/app/main.go` → `app/main.go`: enough to find the file in an editor. */
export function shortFile(path) {
  return path.split('/').slice(-2).join('/');
}

function frameText(f) {
  return `${f.func || '?'}  ${f.file ? `${shortFile(f.file)}:${f.line}` : ''}`.trimEnd();
}

/**
 * A stack (innermost frame first) as tooltip lines: the program's frames first, then the
 * runtime's in parentheses, folded into the innermost one (`runtime.chansend1` still says
 * what the goroutine was doing). A stack of runtime frames only lists them.
 */
export function stackLines(frames) {
  if (!frames?.length) return [];
  const own = frames.filter((f) => !isRuntime(f));
  const listed = own.length ? own : frames;
  const lines = listed.slice(0, MAX_FRAMES).map((f) => `  ${frameText(f)}`);
  if (listed.length > MAX_FRAMES) lines.push(`  … ${listed.length - MAX_FRAMES} more`);
  const runtime = own.length ? frames.filter(isRuntime) : [];
  if (runtime.length) {
    const more = runtime.length > 1 ? `, +${runtime.length - 1} runtime frame${runtime.length > 2 ? 's' : ''}` : '';
    lines.push(`  (${frameText(runtime[0])}${more})`);
  }
  return lines;
}
