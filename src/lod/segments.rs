//! The segment layer: a goroutine's short segments merged into runs.

use std::borrow::Cow;
use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;

use super::drawing::reduction;
use super::grid::{bits, overflows, Apart, Grid};
use super::{Counted, Reduction, Window};
use crate::model::{Segment, State};
use crate::trace::GoId;

/// Segments: the state changes of one goroutine within one cell become one segment in the
/// state it spent most time in; a segment a cell long or longer is drawn as it is.
pub(super) struct SegmentLayer {
    window: Window,
    budget: usize,
    grid: Option<Grid>,
    /// What is drawn, in the order each item was placed; `None` keeps the place of an open
    /// run while segments join it in `open`, where it is at hand (one goroutine's runs lie
    /// far apart in `drawn`).
    drawn: Vec<Option<Run>>,
    /// What was drawn before the last coarsening: an empty buffer for the next one.
    spare: Vec<Option<Run>>,
    /// Per goroutine, its open run.
    open: FxHashMap<GoId, OpenRun>,
}

struct OpenRun {
    /// The cell the run lies in.
    cell: u64,
    /// Its place in `drawn`.
    at: usize,
    run: Run,
}

/// Segments of one goroutine drawn as one: the first of them, stretched to the end of the last.
struct Run {
    first: Segment,
    n: u32,
    time_in: [u64; State::COUNT],
}

impl Run {
    fn of(s: Segment) -> Run {
        let mut time_in = [0; State::COUNT];
        time_in[s.state as usize] = s.end_ns - s.start_ns;
        Run { first: s, n: 1, time_in }
    }

    /// Takes in `n` segments that end at `end_ns`; the run's state is settled when it is
    /// drawn (see [`Run::drawn`]).
    fn absorb(&mut self, n: u32, end_ns: u64, time_in: &[u64; State::COUNT]) {
        self.n += n;
        for (t, add) in self.time_in.iter_mut().zip(time_in) {
            *t += add;
        }
        let first = &mut self.first;
        first.end_ns = end_ns;
        // A merged run has no one reason or place it blocked at.
        first.reason = None;
        first.stack = None;
    }

    /// The run as drawn: in the state it spent most time in.
    fn drawn(self) -> Counted<Segment> {
        let mut item = self.first;
        if self.n > 1 {
            item.state = State::ALL.into_iter().max_by_key(|st| self.time_in[*st as usize]).unwrap_or(item.state);
        }
        Counted { item, n: self.n, last_ns: None }
    }
}

impl SegmentLayer {
    pub(super) fn new(window: Window, budget: usize) -> Self {
        SegmentLayer { window, budget, grid: None, drawn: Vec::new(), spare: Vec::new(), open: FxHashMap::default() }
    }

    pub(super) fn push(&mut self, s: Cow<'_, Segment>) {
        if !overlaps(&s, self.window) {
            return;
        }
        self.place(Item::Segment(s));
        while overflows(self.drawn.len(), self.budget, self.grid) {
            self.coarsen();
        }
    }

    /// Places segments on the grid: one a cell long or longer on its own; a shorter one (or
    /// a run of them) into its goroutine's open run when that lies in the same cell, else it
    /// opens one.
    fn place(&mut self, item: Item<'_>) {
        let Some(grid) = self.grid else { return self.drawn.push(Some(item.into_run())) };
        let (g, start_ns, len, n) = item.span();
        if n == 1 && len >= grid.len_ns() {
            self.close(g);
            return self.drawn.push(Some(item.into_run()));
        }
        let cell = grid.of(self.window, start_ns);
        let at = self.drawn.len();
        match self.open.entry(g) {
            Entry::Occupied(mut open) if open.get().cell == cell => item.join(&mut open.get_mut().run),
            Entry::Occupied(mut open) => {
                let closed = std::mem::replace(open.get_mut(), OpenRun { cell, at, run: item.into_run() });
                self.drawn[closed.at] = Some(closed.run);
                self.drawn.push(None);
            }
            Entry::Vacant(slot) => {
                slot.insert(OpenRun { cell, at, run: item.into_run() });
                self.drawn.push(None);
            }
        }
    }

    /// Puts `g`'s open run, if any, in its place.
    fn close(&mut self, g: GoId) {
        if let Some(open) = self.open.remove(&g) {
            self.drawn[open.at] = Some(open.run);
        }
    }

    /// Puts every open run in its place.
    fn close_all(&mut self) {
        for (_, open) in self.open.drain() {
            self.drawn[open.at] = Some(open.run);
        }
    }

    fn coarsen(&mut self) {
        self.close_all();
        self.grid = Some(Grid { shift: self.finest_fitting() });
        // The two buffers take turns, so that memory is not asked for again at each coarsening.
        let mut before = std::mem::replace(&mut self.drawn, std::mem::take(&mut self.spare));
        for run in before.drain(..).flatten() {
            self.place(Item::Run(run));
        }
        self.spare = before;
    }

    /// The finest grid coarser than the current one on which what is drawn fits the budget,
    /// counted in one pass instead of merged onto one grid after another. On the grid of
    /// cells 2^u ns, `place` keeps an item apart from its goroutine's item before when either
    /// is a single segment at least 2^u long, or their starts lie in different cells: each a
    /// question of whether some value has a bit at u or above. So the highest such bit of
    /// each item says on which grids it stands apart, and one histogram of them counts every
    /// grid.
    fn finest_fitting(&self) -> u32 {
        let mut apart = Apart::default();
        // Per goroutine, its item before: start in the window, and the bits of its length
        // when it is a single segment (a run is never drawn alone).
        let mut before: FxHashMap<GoId, (u64, u32)> = FxHashMap::default();
        for run in self.drawn.iter().flatten() {
            let s = &run.first;
            let start = s.start_ns.saturating_sub(self.window.start_ns);
            let alone = if run.n == 1 { bits(s.end_ns - s.start_ns) } else { 0 };
            apart.add(match before.insert(s.goroutine, (start, alone)) {
                Some((start_before, alone_before)) => alone.max(alone_before).max(bits(start_before ^ start)),
                None => u64::BITS,
            });
        }
        apart.finest_fitting(self.grid, self.budget)
    }

    pub(super) fn finish(mut self, shows: &impl Fn(GoId) -> bool) -> (Vec<Counted<Segment>>, Reduction) {
        self.close_all();
        let drawn: Vec<Counted<Segment>> = self.drawn.into_iter().flatten().filter(|r| shows(r.first.goroutine)).map(Run::drawn).collect();
        let reduction = reduction(&drawn, self.grid);
        (drawn, reduction)
    }
}

/// What [`SegmentLayer::place`] places: a segment, or a run drawn on a finer grid.
enum Item<'a> {
    Segment(Cow<'a, Segment>),
    Run(Run),
}

impl Item<'_> {
    /// Its goroutine, start, length (of its first segment) and how many segments it holds.
    fn span(&self) -> (GoId, u64, u64, u32) {
        let (s, n) = match self {
            Item::Segment(s) => (&**s, 1),
            Item::Run(r) => (&r.first, r.n),
        };
        (s.goroutine, s.start_ns, s.end_ns - s.start_ns, n)
    }

    fn into_run(self) -> Run {
        match self {
            Item::Segment(s) => Run::of(s.into_owned()),
            Item::Run(r) => r,
        }
    }

    fn join(self, run: &mut Run) {
        match self {
            Item::Segment(s) => {
                let mut time_in = [0; State::COUNT];
                time_in[s.state as usize] = s.end_ns - s.start_ns;
                run.absorb(1, s.end_ns, &time_in);
            }
            Item::Run(r) => run.absorb(r.n, r.first.end_ns, &r.time_in),
        }
    }
}

pub(super) fn overlaps(s: &Segment, w: Window) -> bool {
    s.end_ns > w.start_ns && s.start_ns < w.end_ns
}
