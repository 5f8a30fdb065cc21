//! Goroutines grouped by where they were made: the `go` statement (its function and line) and
//! the function the goroutine starts in. A real program makes thousands of goroutines from a
//! few such places; a group is what its programmer would name ("the subworkers"). Groups nest
//! as the spawn tree does: the subworkers that the workers make are a group under the
//! workers' group, whichever worker made each.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::goroutines::Goroutine;
use super::messages::Message;
use super::stacks::StackRef;
use crate::trace::GoId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: u32,
    /// The function its goroutines start in, e.g. "main.subworker" ("" when the trace does
    /// not say).
    pub name: String,
    /// Where the `go` statement is: its function and file:line, e.g.
    /// "main.worker /src/main.go:42"; "" for goroutines that were there before the trace.
    pub site: String,
    /// How many goroutines it has.
    pub count: u64,
    /// The group of the goroutines that made these; absent for a root of the spawn tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<u32>,
}

/// The messages from the goroutines of one group to those of another (or of the same): who
/// talks to whom, as the communication map draws it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupEdge {
    pub from: u32,
    pub to: u32,
    pub messages: u64,
    /// The one channel that carried all of them, when a patched runtime recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<u64>,
}

/// Counts the messages between groups as they come, in memory of the order of the edges,
/// not of the messages.
#[derive(Default)]
pub struct EdgeCounter {
    /// Per edge: its messages, and their channel (`None` once two differ or one has none).
    edges: FxHashMap<(u32, u32), (u64, Option<u64>)>,
}

impl EdgeCounter {
    /// Counts message `m` between two of `goroutines` (ordered by id, grouped).
    pub fn count(&mut self, goroutines: &[Goroutine], m: &Message) {
        if let (Some(from), Some(to)) = (group_of(goroutines, m.from), group_of(goroutines, m.to)) {
            self.add(from, to, m.channel, 1);
        }
    }

    /// Counts `n` messages from group `from` to group `to` on `channel`.
    pub fn add(&mut self, from: u32, to: u32, channel: Option<u64>, n: u64) {
        let e = self.edges.entry((from, to)).or_insert((0, channel));
        e.0 += n;
        if e.1 != channel {
            e.1 = None;
        }
    }

    /// The edges, ordered by their groups.
    pub fn finish(self) -> Vec<GroupEdge> {
        let mut v: Vec<GroupEdge> =
            self.edges.into_iter().map(|((from, to), (messages, channel))| GroupEdge { from, to, messages, channel }).collect();
        v.sort_by_key(|e| (e.from, e.to));
        v
    }
}

/// The group of goroutine `g` of `goroutines` (ordered by id, grouped by [`assign`]).
pub fn group_of(goroutines: &[Goroutine], g: GoId) -> Option<u32> {
    goroutines.binary_search_by_key(&g, |x| x.id).ok().map(|i| goroutines[i].group)
}

/// The edges between the groups of `goroutines` that `messages` make.
pub fn edges(goroutines: &[Goroutine], messages: &[Message]) -> Vec<GroupEdge> {
    let mut counter = EdgeCounter::default();
    messages.iter().for_each(|m| counter.count(goroutines, m));
    counter.finish()
}

/// How a group's `site` reads: the function that ran the `go` statement, and its file:line.
pub fn site(func: &str, file: &str, line: u32) -> String {
    format!("{func} {file}:{line}")
}

/// Puts every goroutine in its group (`Goroutine::group`) and returns the groups, numbered in
/// the order of their first goroutine by depth then id, so that a group comes after its
/// parent. `site` reads a goroutine's create stack. `goroutines` are ordered by id.
pub fn assign(goroutines: &mut [Goroutine], mut site: impl FnMut(StackRef) -> String) -> Vec<Group> {
    let mut order: Vec<usize> = (0..goroutines.len()).collect();
    order.sort_by_key(|&i| (goroutines[i].depth, goroutines[i].id));
    let mut groups: Vec<Group> = Vec::new();
    let mut of = vec![u32::MAX; goroutines.len()];
    {
        let goroutines = &*goroutines;
        // Sites by create stack, each read once: a million goroutines come from a few stacks,
        // and stacks that differ only in their callers are one site.
        let mut site_of: FxHashMap<StackRef, u32> = FxHashMap::default();
        let mut site_ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut site_texts: Vec<String> = Vec::new();
        let mut by_key: FxHashMap<(Option<u32>, u32, &str), u32> = FxHashMap::default();
        for i in order {
            let g = &goroutines[i];
            let parent = g.parent.and_then(|p| goroutines.binary_search_by_key(&p, |g| g.id).ok()).map(|p| of[p]);
            let at = g.create_stack.map_or(u32::MAX, |r| {
                *site_of.entry(r).or_insert_with(|| {
                    *site_ids.entry(site(r)).or_insert_with_key(|text| {
                        site_texts.push(text.clone());
                        site_texts.len() as u32 - 1
                    })
                })
            });
            let id = *by_key.entry((parent, at, g.name.as_str())).or_insert_with(|| {
                let at = site_texts.get(at as usize).cloned().unwrap_or_default();
                groups.push(Group { id: groups.len() as u32, name: g.name.clone(), site: at, count: 0, parent });
                groups.len() as u32 - 1
            });
            groups[id as usize].count += 1;
            of[i] = id;
        }
    }
    for (g, id) in goroutines.iter_mut().zip(of) {
        g.group = id;
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::GoId;

    fn g(id: GoId, parent: Option<GoId>, depth: u32, name: &str, stack: u32) -> Goroutine {
        Goroutine {
            id,
            parent,
            name: name.into(),
            start_ns: 0,
            end_ns: None,
            depth,
            system: false,
            create_stack: StackRef::of(crate::trace::StackId(stack)),
            group: u32::MAX,
        }
    }

    #[test]
    fn subworkers_of_every_worker_are_one_group_under_the_workers() {
        let mut gs = vec![g(1, None, 0, "main.main", 0)];
        for w in 0..3 {
            gs.push(g(10 + w, Some(1), 1, "main.worker", 5));
        }
        for s in 0..6 {
            gs.push(g(20 + s, Some(10 + s % 3), 2, "main.subworker", 7));
        }
        // Made at another line: a group of its own, beside the first.
        gs.push(g(40, Some(10), 2, "main.subworker", 8));
        let groups = assign(&mut gs, |r| format!("main.worker main.go:{}", r.trace_id().0));
        let view: Vec<_> = groups.iter().map(|x| (x.name.as_str(), x.site.as_str(), x.count, x.parent)).collect();
        assert_eq!(
            view,
            [
                ("main.main", "", 1, None),
                ("main.worker", "main.worker main.go:5", 3, Some(0)),
                ("main.subworker", "main.worker main.go:7", 6, Some(1)),
                ("main.subworker", "main.worker main.go:8", 1, Some(1)),
            ]
        );
        assert_eq!(gs.iter().map(|x| x.group).collect::<Vec<_>>(), [0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3]);
    }

    #[test]
    fn an_edge_names_its_channel_only_when_it_is_the_only_one() {
        let mut c = EdgeCounter::default();
        c.add(1, 2, Some(7), 1);
        c.add(1, 2, Some(7), 1);
        c.add(2, 1, Some(7), 1);
        c.add(2, 1, Some(8), 1);
        c.add(0, 0, None, 1);
        let edges: Vec<_> = c.finish().into_iter().map(|e| (e.from, e.to, e.messages, e.channel)).collect();
        assert_eq!(edges, [(0, 0, 1, None), (1, 2, 2, Some(7)), (2, 1, 2, None)]);
    }

    #[test]
    fn a_parent_the_model_leaves_out_makes_a_root() {
        let mut gs = vec![g(5, Some(2), 1, "main.handler", 3), g(6, Some(3), 1, "main.handler", 3)];
        let groups = assign(&mut gs, |_| "net/http.(*Server).Serve server.go:1".into());
        assert_eq!(groups.len(), 1);
        assert_eq!((groups[0].count, groups[0].parent), (2, None));
    }
}
