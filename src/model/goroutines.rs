//! The goroutines of a trace: who created whom, what each is called, when it lived.

use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize};

use super::stacks::StackRef;
use crate::trace::{GoId, StackId, Tables};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Goroutine {
    pub id: GoId,
    /// The goroutine that created it; absent for goroutines that existed before the trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<GoId>,
    /// The function it started in (e.g. "main.player"), or "" when the trace does not say.
    pub name: String,
    pub start_ns: u64,
    /// When it ended; absent when it was still alive at the end of the trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_ns: Option<u64>,
    /// Distance from a root of the spawn tree (goroutines that existed before the trace).
    pub depth: u32,
    /// Runtime and tracer goroutines, as Go's own tool classifies them.
    pub system: bool,
    /// Where its parent ran `go f()` (an index into `Model::stacks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_stack: Option<StackRef>,
    /// Its group (an index into `Model::groups`): where it was made and what it runs.
    #[serde(default)]
    pub group: u32,
}

#[derive(Default)]
struct Entry {
    parent: Option<GoId>,
    name: String,
    create_stack: Option<StackRef>,
    start_ns: u64,
    end_ns: Option<u64>,
    /// Outermost frame of the first stack seen: the best name for goroutines whose creation
    /// the trace did not record.
    seen_root: Option<String>,
}

#[derive(Default)]
pub struct GoroutineLedger {
    entries: HashMap<GoId, Entry>,
    /// The goroutines still unnamed, which the next stack seen of them names: few, so that
    /// most events' stacks are passed over without a lookup.
    unnamed: rustc_hash::FxHashSet<GoId>,
}

impl GoroutineLedger {
    /// `parent` created `id` at its stack `at`; `id` will start at `start` (its function).
    pub fn created(&mut self, id: GoId, parent: GoId, ts: u64, tables: &Tables, at: StackId, start: StackId) {
        let name = tables.stack(start).first().map(|f| tables.str(f.func).to_string()).unwrap_or_default();
        let parent = (parent != 0).then_some(parent);
        self.note_unnamed(id, &name);
        self.entries.insert(id, Entry { parent, name, create_stack: StackRef::of(at), start_ns: ts, ..Entry::default() });
    }

    fn note_unnamed(&mut self, id: GoId, name: &str) {
        if name.is_empty() {
            self.unnamed.insert(id);
        } else {
            self.unnamed.remove(&id);
        }
    }

    /// Records a goroutine that existed before the trace; false if it was already known
    /// (the new format re-announces goroutines at each generation).
    pub fn existing(&mut self, id: GoId, ts: u64) -> bool {
        if self.entries.contains_key(&id) {
            return false;
        }
        self.entries.insert(id, Entry { start_ns: ts, ..Entry::default() });
        self.unnamed.insert(id);
        true
    }

    pub fn ended(&mut self, id: GoId, ts: u64) {
        if let Some(e) = self.entries.get_mut(&id) {
            e.end_ns = Some(ts);
        }
    }

    pub fn saw_stack(&mut self, id: GoId, tables: &Tables, stack: StackId) {
        if self.unnamed.is_empty() || !self.unnamed.contains(&id) {
            return;
        }
        let Some(root) = tables.stack(stack).last() else { return };
        self.unnamed.remove(&id);
        if let Some(e) = self.entries.get_mut(&id) {
            e.seen_root = Some(tables.str(root.func).to_string());
        }
    }

    /// The goroutines sorted by id, and how many were hidden as system goroutines.
    pub fn finish(self, end_ns: u64, all: bool) -> (Vec<Goroutine>, u64) {
        let mut depth_of: HashMap<GoId, u32> = HashMap::default();
        let ids: Vec<GoId> = self.entries.keys().copied().collect();
        for id in ids {
            depth(&self.entries, &mut depth_of, id);
        }
        let mut out: Vec<Goroutine> = self
            .entries
            .into_iter()
            .map(|(id, e)| {
                let name = if e.name.is_empty() { display_root(e.seen_root.as_deref()) } else { e.name };
                Goroutine {
                    id,
                    parent: e.parent,
                    system: is_system(&name),
                    name,
                    start_ns: e.start_ns,
                    end_ns: e.end_ns.map(|t| t.min(end_ns)),
                    depth: depth_of[&id],
                    create_stack: e.create_stack,
                    group: 0,
                }
            })
            .collect();
        let before = out.len();
        if !all {
            out.retain(|g| !g.system);
        }
        out.sort_by_key(|g| g.id);
        let hidden = (before - out.len()) as u64;
        (out, hidden)
    }
}

/// Whether `goroutines` (ordered by id, as the model keeps them) lists goroutine `id`.
pub fn listed(goroutines: &[Goroutine], id: GoId) -> bool {
    goroutines.binary_search_by_key(&id, |g| g.id).is_ok()
}

/// Depth in the spawn tree, iteratively (spawn chains can be long) and safe against cycles
/// that a corrupt trace could produce.
fn depth(entries: &HashMap<GoId, Entry>, memo: &mut HashMap<GoId, u32>, id: GoId) -> u32 {
    let mut chain = Vec::new();
    let mut cur = id;
    let base = loop {
        if let Some(&d) = memo.get(&cur) {
            break d + 1;
        }
        if chain.contains(&cur) || chain.len() > entries.len() {
            break 0;
        }
        chain.push(cur);
        match entries.get(&cur).and_then(|e| e.parent) {
            Some(p) if entries.contains_key(&p) => cur = p,
            _ => break 0,
        }
    };
    for (i, g) in chain.iter().rev().enumerate() {
        memo.entry(*g).or_insert(base + i as u32);
    }
    memo[&id]
}

/// A goroutine seen only by its stacks: the main goroutine's stacks end in runtime.main.
fn display_root(root: Option<&str>) -> String {
    match root {
        Some("runtime.main") => "main.main".to_string(),
        Some(f) => f.to_string(),
        None => String::new(),
    }
}

/// Mirrors Go's `internal/trace.IsSystemGoroutine`, plus the tracer's own goroutine and the
/// ones that gotrace's instrumentation starts (its helpers are all named `main._gotrace…`).
fn is_system(entry_fn: &str) -> bool {
    entry_fn.is_empty()
        || (entry_fn != "runtime.main" && entry_fn.starts_with("runtime."))
        || entry_fn.starts_with("runtime/trace.")
        || entry_fn.starts_with("main._gotrace")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_follows_the_spawn_tree() {
        let mut t = GoroutineLedger::default();
        let tables = Tables::default();
        t.existing(1, 0);
        t.created(2, 1, 10, &tables, StackId::NONE, StackId::NONE);
        t.created(3, 2, 20, &tables, StackId::NONE, StackId::NONE);
        let (gs, hidden) = t.finish(100, true);
        assert_eq!(hidden, 0);
        assert_eq!(gs.iter().map(|g| (g.id, g.depth, g.parent)).collect::<Vec<_>>(), vec![(1, 0, None), (2, 1, Some(1)), (3, 2, Some(2))]);
    }

    #[test]
    fn system_goroutines_are_those_of_the_runtime() {
        assert!(is_system("runtime.bgsweep"));
        assert!(is_system("runtime/trace.Start.func1"));
        assert!(is_system("main._gotraceOnSignal.func1"));
        assert!(!is_system("runtime.main"));
        assert!(!is_system("main.worker"));
    }
}
