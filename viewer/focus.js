// Search and focus: which goroutines a text finds (`/`), and which stay lit when one is in
// focus (a click on its line, or the first found): it, its parent, its children and every
// goroutine it exchanged messages with. The rest are drawn dim, in one colour.

/**
 * The ids of the goroutines that `text` finds, in the model's order: by id ("7" or "#7"), or
 * whose start function (and so whose group) has `text` in it, whatever the case.
 */
export function search(model, text) {
  const q = text.trim();
  if (!q) return [];
  const id = /^#?(\d+)$/.exec(q);
  if (id) return model.goroutines.filter((g) => g.id === Number(id[1])).map((g) => g.id);
  const lower = q.toLowerCase();
  return model.goroutines.filter((g) => g.name.toLowerCase().includes(lower)).map((g) => g.id);
}

/** The goroutines lit while goroutine `id` is in focus. */
export function neighbourhood(model, id) {
  const lit = new Set([id]);
  for (const g of model.goroutines) {
    if (g.id === id && g.parent != null) lit.add(g.parent);
    if (g.parent === id) lit.add(g.id);
  }
  for (const m of model.messages) {
    if (m.from === id) lit.add(m.to);
    if (m.to === id) lit.add(m.from);
  }
  return lit;
}
