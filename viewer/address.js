// The page's address keeps what is shown after its `#`: the view, the goroutine in focus and,
// once playback stops, its time (`#view=map&focus=21&t=0.5`), so that a link or a reload
// opens the same picture, an `--html` page's too. Values that do not fit the page are passed
// over: a link made from another trace opens this one as it would open anyway.

export function readAddress(hash = location.hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const number = (key) => (p.has(key) && Number.isFinite(Number(p.get(key))) ? Number(p.get(key)) : null);
  return { view: p.get('view'), focus: number('focus'), t: number('t') };
}

/** Opens what `address` asks for in `scene` and `state`, as far as it fits. */
export function applyAddress(address, scene, state) {
  if (address.view === 'map' || address.view === 'timeline') scene.setView(address.view);
  if (address.focus !== null && scene.lay.index.has(address.focus)) scene.focusGoroutine(address.focus);
  if (address.t !== null) {
    state.time = Math.max(0, Math.min(1, address.t));
    state.playing = false;
  }
}

/** Writes what `hook` shows into the address, replacing it (the back button is not filled). */
export function keepAddress(hook) {
  const p = new URLSearchParams();
  if (hook.view === 'map') p.set('view', 'map');
  if (hook.focused !== null && hook.focused !== undefined) p.set('focus', String(hook.focused));
  if (!hook.playing) p.set('t', String(Math.round(hook.time * 10000) / 10000));
  const hash = p.toString();
  if (hash !== location.hash.replace(/^#/, '')) history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
}
