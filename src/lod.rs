//! Level of detail: the part of a model that the viewer draws. A browser draws a few hundred
//! thousand lines interactively, a 9 M-event trace has millions of segments and messages, so
//! what does not fit a budget is aggregated on a time grid: the state changes of one goroutine
//! within one grid cell become one segment in the state it spent most time in, and the
//! messages from one goroutine to another within one cell become one arrow. Every aggregate
//! says how many items it stands for (`n`), and `lod` in the output says what was done, so
//! the page can say it on screen. The grid is the finest that fits the budget; a window of
//! time gets its own, finer grid, which is how the served viewer shows detail on zoom.

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::model::{Channel, Check, Goroutine, Message, Meta, Model, Segment, Stack, State};
use crate::trace::GoId;

/// How many items the viewer gets at most.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub segments: usize,
    pub messages: usize,
}

impl Default for Budget {
    /// What software WebGL in a headless browser still draws interactively (see the scale
    /// benchmark in viewer/README.md).
    fn default() -> Self {
        Budget { segments: 200_000, messages: 100_000 }
    }
}

/// A span of trace time, in ns since the start of the trace; `end_ns` is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start_ns: u64,
    pub end_ns: u64,
}

impl Window {
    pub fn whole(model: &Model) -> Window {
        Window { start_ns: 0, end_ns: model.meta.duration_ns.saturating_add(1) }
    }
}

/// A part of the trace that the user asked for (`--window`): the end is the trace's own when
/// not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub from_ns: u64,
    pub to_ns: Option<u64>,
}

/// A `--window` that names no part of the trace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("the window starts at {:.3} s, after the trace ends ({:.3} s): start --window earlier", seconds(.from_ns), seconds(.duration_ns))]
    AfterTheEnd { from_ns: u64, duration_ns: u64 },
}

fn seconds(ns: &u64) -> f64 {
    *ns as f64 / 1e9
}

impl TimeRange {
    /// The window of `model` that this range names; an error when it starts after the trace.
    pub fn window(self, model: &Model) -> Result<Window, WindowError> {
        let whole = Window::whole(model);
        if self.from_ns >= whole.end_ns {
            return Err(WindowError::AfterTheEnd { from_ns: self.from_ns, duration_ns: model.meta.duration_ns });
        }
        Ok(Window { start_ns: self.from_ns, end_ns: self.to_ns.map_or(whole.end_ns, |to| to.min(whole.end_ns)) })
    }
}

/// A time grid of cells 2^shift ns long from the start of a window: a power of two, so that
/// finding the cell of an item is a shift, not a division, in the passes over millions.
#[derive(Debug, Clone, Copy)]
struct Cells {
    shift: u32,
}

impl Cells {
    fn len_ns(self) -> u64 {
        1 << self.shift
    }

    fn of(self, window: Window, ts: u64) -> u64 {
        ts.saturating_sub(window.start_ns) >> self.shift
    }
}

/// What the viewer gets: the model's goroutines, and its segments and messages within a
/// window, aggregated where they exceed the budget.
#[derive(Debug, Serialize)]
pub struct Picture<'a> {
    pub version: u32,
    pub meta: &'a Meta,
    pub lod: Lod,
    pub goroutines: &'a [Goroutine],
    pub segments: Vec<Counted<'a, Segment>>,
    pub messages: Vec<Counted<'a, Message>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub channels: &'a [Channel],
    pub stacks: &'a [Stack],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<&'a Check>,
}

/// What the level of detail did, for the page to tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lod {
    pub window: Window,
    pub segments: Reduction,
    pub messages: Reduction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reduction {
    /// Items of the model in the window.
    pub total: usize,
    /// Items drawn: `total` unless aggregated.
    pub shown: usize,
    /// The grid cell, when aggregated: items within one cell were merged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell_ns: Option<u64>,
}

/// One item of the model, or an aggregate of `n` of them.
#[derive(Debug, Serialize)]
pub struct Counted<'a, T: Clone> {
    #[serde(flatten)]
    pub item: Cow<'a, T>,
    #[serde(skip_serializing_if = "is_one")]
    pub n: u32,
    /// For an aggregate of messages: when the last of them was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_ns: Option<u64>,
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// A model ready to be cut into pictures: the per-item indexes that every grid pass needs are
/// built once, so that the served viewer cuts each window it is asked for without redoing them.
pub struct Pictures<'a> {
    model: &'a Model,
    segments: SegmentGrid<'a>,
    messages: MessageGrid<'a>,
}

impl<'a> Pictures<'a> {
    pub fn new(model: &'a Model) -> Self {
        let (segments, messages) = std::thread::scope(|scope| {
            let segments = scope.spawn(|| SegmentGrid::new(model));
            let messages = MessageGrid::new(&model.messages);
            (join(segments), messages)
        });
        Pictures { model, segments, messages }
    }

    /// The picture within `window`, at most `budget` items of each kind.
    pub fn picture(&self, window: Window, budget: Budget) -> Picture<'a> {
        let model = self.model;
        // Two independent reductions, one per core.
        let ((segments, seg_cells, segs_total), (messages, msg_cells, msgs_total)) = std::thread::scope(|scope| {
            let segments = scope.spawn(|| reduce(window, budget.segments, &self.segments));
            let messages = reduce(window, budget.messages, &self.messages);
            (join(segments), messages)
        });
        let reduction = |total, shown: usize, cells: Option<Cells>| Reduction { total, shown, cell_ns: cells.map(Cells::len_ns) };
        Picture {
            version: crate::model::JSON_VERSION,
            meta: &model.meta,
            lod: Lod {
                window,
                segments: reduction(segs_total, segments.len(), seg_cells),
                messages: reduction(msgs_total, messages.len(), msg_cells),
            },
            goroutines: &model.goroutines,
            segments,
            messages,
            channels: &model.channels,
            stacks: &model.stacks,
            check: model.check.as_ref(),
        }
    }
}

/// A scoped thread's result, its panic passed on.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// One kind of item that can be laid on a grid: `cells` None means every item as it is.
trait Reducible<'a>: Sync {
    type Item: Clone + 'a;
    /// How many items the window holds and how many each grid would draw, in one pass.
    fn counts(&self, window: Window) -> Counts;
    /// The items drawn on `cells`; `drawn` is how many there will be (from `counts`).
    fn emit(&self, window: Window, cells: Option<Cells>, drawn: usize) -> Vec<Counted<'a, Self::Item>>;
}

/// How many items every grid of the window draws, from one pass over them: `ending[d]` is the
/// number of items drawn on each grid of cells shorter than 2^d ns and merged into the item
/// before them on every coarser grid. Whether an item is drawn on its own depends only on
/// which high bits of its times (and of the times of the item before it) differ, so a grid of
/// cells 2^shift draws exactly the items with `d > shift`: the count falls as cells grow, and
/// one histogram answers every cell size.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Counts {
    ending: [usize; 65],
}

impl Default for Counts {
    fn default() -> Self {
        Counts { ending: [0; 65] }
    }
}

impl Counts {
    /// Notes an item drawn on each grid of cells shorter than 2^d ns.
    fn add(&mut self, d: u32) {
        self.ending[d as usize] += 1;
    }

    /// Every item in the window.
    fn total(&self) -> usize {
        self.ending.iter().sum()
    }

    /// The items drawn on a grid of `cells`.
    fn drawn(&self, cells: Cells) -> usize {
        self.ending[cells.shift as usize + 1..].iter().sum()
    }

    /// The finest grid that draws at most `budget` items (the coarsest there is when none does).
    fn finest_within(&self, budget: usize) -> Cells {
        (0..MAX_SHIFT).map(|shift| Cells { shift }).find(|&cells| self.drawn(cells) <= budget).unwrap_or(Cells { shift: MAX_SHIFT })
    }
}

/// The coarsest grid: cells of 2^63 ns hold any trace.
const MAX_SHIFT: u32 = 63;

/// The number of bits of `x`: the finest grids (cells shorter than 2^bits ns) on which two
/// times `x` apart, or differing in the bits of `x`, fall into different cells.
fn bits(x: u64) -> u32 {
    u64::BITS - x.leading_zeros()
}

/// Every item if they fit; else the finest grid that fits.
fn reduce<'a, R: Reducible<'a>>(window: Window, budget: usize, items: &R) -> (Vec<Counted<'a, R::Item>>, Option<Cells>, usize) {
    let counts = items.counts(window);
    let total = counts.total();
    let cells = (total > budget).then(|| counts.finest_within(budget));
    let drawn = cells.map_or(total, |cells| counts.drawn(cells));
    (items.emit(window, cells, drawn), cells, total)
}

fn overlaps(s: &Segment, w: Window) -> bool {
    s.end_ns > w.start_ns && s.start_ns < w.end_ns
}

/// The messages sent within the window: a contiguous run, since they are sorted by send time.
fn in_window_messages(messages: &[Message], w: Window) -> &[Message] {
    let from = messages.partition_point(|m| m.send_ns < w.start_ns);
    let to = messages.partition_point(|m| m.send_ns < w.end_ns);
    &messages[from..to.max(from)]
}

/// Segments with the index of their goroutine, so that a grid pass merges per goroutine with
/// an array instead of a map (the model keeps segments in the order they ended). Segments of
/// a goroutine the model does not list (a hand-edited model file) are left out.
/// The slot of a goroutine that the model does not list.
const UNKNOWN: u32 = u32::MAX;

struct SegmentGrid<'a> {
    segments: &'a [Segment],
    slot_of: Vec<u32>,
    goroutines: usize,
}

impl<'a> SegmentGrid<'a> {
    fn new(model: &'a Model) -> Self {
        let ids: Vec<GoId> = model.goroutines.iter().map(|g| g.id).collect();
        let slot_of = model.segments.iter().map(|s| ids.binary_search(&s.goroutine).map_or(UNKNOWN, |k| k as u32)).collect();
        SegmentGrid { segments: &model.segments, slot_of, goroutines: ids.len() }
    }

    /// Where each segment in the window goes, in order: `place(i, run)` is told that segment
    /// `i` is drawn as it is (`run` None: it spans a cell or more), starts a run of short
    /// segments of its goroutine within one cell (`Some(true)`), or joins the open run
    /// (`Some(false)`). A run ends where its goroutine's next segment does not join it.
    fn walk(&self, window: Window, cells: Option<Cells>, mut place: impl FnMut(usize, Option<bool>)) {
        let mut open_cell = vec![u64::MAX; self.goroutines];
        for (i, (s, &slot)) in self.segments.iter().zip(&self.slot_of).enumerate() {
            if !overlaps(s, window) {
                continue;
            }
            let Some(open) = open_cell.get_mut(slot as usize) else { continue };
            let Some(cells) = cells else {
                place(i, None);
                continue;
            };
            if s.end_ns - s.start_ns >= cells.len_ns() {
                *open = u64::MAX;
                place(i, None);
                continue;
            }
            let cell = cells.of(window, s.start_ns);
            place(i, Some(*open != cell));
            *open = cell;
        }
    }
}

impl<'a> Reducible<'a> for SegmentGrid<'a> {
    type Item = Segment;

    /// On a grid of cells 2^shift, `walk` draws a segment on its own when it is a cell long or
    /// longer, when its goroutine's segment before it was, or when the two start in different
    /// cells: each is a question of bits, answered once for all grids.
    fn counts(&self, window: Window) -> Counts {
        let mut counts = Counts::default();
        // Per goroutine, its segment before: its start in the window and length; a length of
        // u64::MAX (no segment before) is longer than any cell.
        let mut before = vec![(0, u64::MAX); self.goroutines];
        for (s, &slot) in self.segments.iter().zip(&self.slot_of) {
            if !overlaps(s, window) {
                continue;
            }
            let Some(before) = before.get_mut(slot as usize) else { continue };
            let (start, len) = (s.start_ns.saturating_sub(window.start_ns), s.end_ns - s.start_ns);
            counts.add(bits(len).max(bits(before.1)).max(bits(before.0 ^ start)));
            *before = (start, len);
        }
        counts
    }

    fn emit(&self, window: Window, cells: Option<Cells>, drawn: usize) -> Vec<Counted<'a, Segment>> {
        let mut out = Vec::with_capacity(drawn);
        // Per goroutine, its open run: an index into `out` and the time spent in each state.
        let mut runs: Vec<(usize, [u64; State::COUNT])> = vec![(0, [0; State::COUNT]); self.goroutines];
        self.walk(window, cells, |i, run| {
            let s = &self.segments[i];
            let Some(run) = run else {
                out.push(Counted { item: Cow::Borrowed(s), n: 1, last_ns: None });
                return;
            };
            // walk() places only segments of known goroutines.
            let (at, time_in) = &mut runs[self.slot_of[i] as usize];
            match run {
                true => {
                    *at = out.len();
                    *time_in = [0; State::COUNT];
                    time_in[s.state as usize] = s.end_ns - s.start_ns;
                    out.push(Counted { item: Cow::Borrowed(s), n: 1, last_ns: None });
                }
                false => {
                    time_in[s.state as usize] += s.end_ns - s.start_ns;
                    let merged = &mut out[*at];
                    let state = State::ALL.into_iter().max_by_key(|st| time_in[*st as usize]).unwrap_or(s.state);
                    let first = merged.item.to_mut();
                    first.end_ns = s.end_ns;
                    first.state = state;
                    // A merged run has no one reason or place it blocked at.
                    first.reason = None;
                    first.stack = None;
                    merged.n += 1;
                }
            }
        });
        out
    }
}

/// Messages with each (sender, receiver) pair numbered once, so that a grid pass needs no
/// hashing: only an array of the last cell seen per pair.
struct MessageGrid<'a> {
    messages: &'a [Message],
    pair_of: Vec<u32>,
    pairs: usize,
}

impl<'a> MessageGrid<'a> {
    fn new(messages: &'a [Message]) -> Self {
        let mut ids: FxHashMap<(GoId, GoId), u32> = FxHashMap::default();
        let pair_of = messages
            .iter()
            .map(|m| {
                let next = ids.len() as u32;
                *ids.entry((m.from, m.to)).or_insert(next)
            })
            .collect();
        MessageGrid { messages, pair_of, pairs: ids.len() }
    }

    /// Walks the messages in the window; `into(i, k)` is told that message `i` belongs to the
    /// `k`-th arrow (a new arrow when `k` is the number of arrows so far).
    fn walk(&self, window: Window, cells: Option<Cells>, mut into: impl FnMut(usize, usize)) {
        let from = self.messages.partition_point(|m| m.send_ns < window.start_ns);
        let mut arrows = 0;
        // Per pair: the cell of its open arrow, and which arrow that is.
        let mut open: Vec<(u64, usize)> = vec![(u64::MAX, 0); self.pairs];
        for (i, m) in self.messages.iter().enumerate().skip(from) {
            if m.send_ns >= window.end_ns {
                break;
            }
            let Some(cells) = cells else {
                into(i, arrows);
                arrows += 1;
                continue;
            };
            let cell = cells.of(window, m.send_ns);
            let slot = &mut open[self.pair_of[i] as usize];
            if slot.0 != cell {
                *slot = (cell, arrows);
                arrows += 1;
            }
            into(i, slot.1);
        }
    }
}

impl<'a> Reducible<'a> for MessageGrid<'a> {
    type Item = Message;

    /// On a grid of cells 2^shift, a message starts an arrow when its pair's message before it
    /// was sent in another cell: when their send times differ in a bit above the shift.
    fn counts(&self, window: Window) -> Counts {
        let mut counts = Counts::default();
        let from = self.messages.partition_point(|m| m.send_ns < window.start_ns);
        // Per pair, when its message before was sent, in the window.
        let mut before: Vec<Option<u64>> = vec![None; self.pairs];
        for (m, &pair) in in_window_messages(self.messages, window).iter().zip(&self.pair_of[from..]) {
            let sent = m.send_ns - window.start_ns;
            let before = &mut before[pair as usize];
            counts.add(before.map_or(u64::BITS, |b| bits(b ^ sent)));
            *before = Some(sent);
        }
        counts
    }

    fn emit(&self, window: Window, cells: Option<Cells>, drawn: usize) -> Vec<Counted<'a, Message>> {
        let mut out: Vec<Counted<'a, Message>> = Vec::with_capacity(drawn);
        self.walk(window, cells, |i, k| {
            let m = &self.messages[i];
            match out.get_mut(k) {
                Some(arrow) => {
                    arrow.n += 1;
                    arrow.last_ns = Some(m.send_ns);
                    keep_shared(&mut arrow.item, m);
                }
                None => out.push(Counted { item: Cow::Borrowed(m), n: 1, last_ns: None }),
            }
        });
        out
    }
}

/// An arrow names a channel or a value only when every message merged into it has that one:
/// the viewer colours, filters and labels arrows by them. Copies the first message only when
/// one differs (never on stock traces, which have neither).
fn keep_shared(arrow: &mut Cow<'_, Message>, m: &Message) {
    if arrow.channel.is_some() && arrow.channel != m.channel {
        arrow.to_mut().channel = None;
    }
    if (arrow.value.is_some() || arrow.value_text.is_some()) && (arrow.value != m.value || arrow.value_text != m.value_text) {
        let first = arrow.to_mut();
        first.value = None;
        first.value_text = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChannelTruth, MessageKind, JSON_VERSION};

    fn picture(model: &Model, window: Window, budget: Budget) -> Picture<'_> {
        Pictures::new(model).picture(window, budget)
    }

    fn seg(goroutine: GoId, state: State, start_ns: u64, end_ns: u64) -> Segment {
        Segment { goroutine, state, start_ns, end_ns, reason: None, stack: None }
    }

    fn msg(from: GoId, to: GoId, send_ns: u64) -> Message {
        Message {
            from,
            to,
            send_ns,
            recv_ns: send_ns + 1,
            kind: MessageKind::Chan,
            channel: None,
            value: None,
            value_text: None,
            stack: None,
        }
    }

    fn model(segments: Vec<Segment>, messages: Vec<Message>, duration_ns: u64) -> Model {
        let g = |id| Goroutine {
            id,
            parent: None,
            name: "main.f".into(),
            start_ns: 0,
            end_ns: None,
            depth: 0,
            system: false,
            create_stack: None,
        };
        Model {
            version: JSON_VERSION,
            meta: Meta {
                format: "go 1.26".into(),
                duration_ns,
                channel_truth: ChannelTruth::Inferred,
                unattributed: 0,
                hidden_goroutines: 0,
            },
            goroutines: vec![g(1), g(2)],
            segments,
            messages,
            channels: vec![],
            stacks: vec![],
            check: None,
        }
    }

    #[test]
    fn what_fits_is_drawn_as_it_is() {
        let m = model(vec![seg(1, State::Running, 0, 10), seg(1, State::Blocked, 10, 20)], vec![msg(1, 2, 5)], 20);
        let p = picture(&m, Window::whole(&m), Budget::default());
        assert_eq!(p.lod.segments, Reduction { total: 2, shown: 2, cell_ns: None });
        assert_eq!(p.lod.messages, Reduction { total: 1, shown: 1, cell_ns: None });
        assert!(p.segments.iter().all(|s| matches!(s.item, Cow::Borrowed(_)) && s.n == 1));
    }

    #[test]
    fn short_segments_merge_into_their_dominant_state_and_long_ones_stay() {
        // Goroutine 1 flips state every 10 ns for 1000 ns, then sleeps 1000 ns.
        let mut segs: Vec<Segment> =
            (0..100).map(|i| seg(1, if i % 3 == 0 { State::Blocked } else { State::Running }, i * 10, i * 10 + 10)).collect();
        segs.push(seg(1, State::Sleeping, 1000, 2000));
        let m = model(segs, vec![], 2000);
        let p = picture(&m, Window::whole(&m), Budget { segments: 10, messages: 10 });
        assert!(p.segments.len() <= 10, "{} segments", p.segments.len());
        assert_eq!(p.segments.iter().map(|s| s.n as usize).sum::<usize>(), 101, "every segment is accounted for");
        let last = p.segments.last().unwrap();
        assert_eq!((last.item.state, last.n, last.item.start_ns, last.item.end_ns), (State::Sleeping, 1, 1000, 2000));
        assert!(p.segments[..p.segments.len() - 1].iter().all(|s| s.item.state == State::Running && s.n > 1));
        assert_eq!(p.lod.segments.total, 101);
        assert!(p.lod.segments.cell_ns.is_some());
    }

    #[test]
    fn segments_of_a_goroutine_the_model_does_not_list_are_left_out() {
        let segs: Vec<Segment> =
            (0..100).flat_map(|i| [seg(1, State::Running, i * 10, i * 10 + 10), seg(7, State::Running, i * 10, i * 10 + 10)]).collect();
        let m = model(segs, vec![], 1000);
        for budget in [1000, 10] {
            let p = picture(&m, Window::whole(&m), Budget { segments: budget, messages: 10 });
            assert!(p.segments.iter().all(|s| s.item.goroutine == 1), "budget {budget}");
            assert_eq!(p.lod.segments.total, 100, "budget {budget}");
            assert_eq!(p.segments.iter().map(|s| s.n as usize).sum::<usize>(), 100, "budget {budget}");
        }
    }

    #[test]
    fn messages_between_one_pair_in_one_cell_become_one_arrow() {
        let msgs: Vec<Message> = (0..1000).flat_map(|i| [msg(1, 2, i * 10), msg(2, 1, i * 10 + 5)]).collect();
        let m = model(vec![], msgs, 10_000);
        let p = picture(&m, Window::whole(&m), Budget { segments: 10, messages: 100 });
        assert!(p.messages.len() <= 100 && p.messages.len() >= 50, "{} arrows", p.messages.len());
        assert_eq!(p.messages.iter().map(|a| a.n as usize).sum::<usize>(), 2000);
        assert!(p.messages.windows(2).all(|w| w[0].item.send_ns <= w[1].item.send_ns), "still ordered by send time");
        let first = &p.messages[0];
        assert_eq!((first.item.from, first.item.to, first.item.send_ns), (1, 2, 0));
        assert!(first.last_ns.unwrap() > first.item.send_ns);
    }

    #[test]
    fn a_window_has_only_its_items_and_a_finer_grid() {
        let msgs: Vec<Message> = (0..10_000).map(|i| msg(1, 2, i * 10)).collect();
        let m = model(vec![], msgs, 100_000);
        let whole = picture(&m, Window::whole(&m), Budget { segments: 10, messages: 100 });
        let part = picture(&m, Window { start_ns: 50_000, end_ns: 51_000 }, Budget { segments: 10, messages: 100 });
        assert_eq!(part.lod.messages, Reduction { total: 100, shown: 100, cell_ns: None });
        assert!(part.messages.iter().all(|a| (50_000..51_000).contains(&a.item.send_ns)));
        assert!(whole.lod.messages.cell_ns.unwrap() > 500);
    }

    /// The grid that the search before the one-pass counts chose: from a first guess (the
    /// budget spread over the goroutines), a pass over the items per try.
    fn per_try_cells<'a, R: Reducible<'a>>(goroutines: usize, window: Window, budget: usize, items: &R) -> Option<Cells> {
        let drawn = |shift: u32| items.emit(window, Some(Cells { shift }), 0).len();
        if items.emit(window, None, 0).len() <= budget {
            return None;
        }
        let fits = |shift: u32| drawn(shift) <= budget;
        let per_goroutine = (budget / goroutines.max(1)).max(1) as u64;
        let len = window.end_ns.saturating_sub(window.start_ns).max(1);
        let mut shift = (len / per_goroutine).max(1).next_power_of_two().trailing_zeros();
        if fits(shift) {
            while shift > 0 && fits(shift - 1) {
                shift -= 1;
            }
        } else {
            while shift < 62 && !fits(shift + 1) {
                shift += 1;
            }
            shift += 1;
        }
        Some(Cells { shift })
    }

    /// A trace-like model from a seed: goroutines switching state after runs of mostly short
    /// and sometimes long segments, messages between random pairs at uneven times.
    fn random_model(seed: u64) -> Model {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        };
        let goroutines = 2 + next(6);
        let mut clock = vec![0u64; goroutines as usize];
        let mut segments = Vec::new();
        for _ in 0..(200 + next(2000)) {
            let g = next(goroutines);
            let width = if next(10) == 0 { 20 } else { 1 + next(12) };
            let len = 1 + next(1 << width);
            let start = clock[g as usize];
            clock[g as usize] += len;
            segments.push(seg(g + 1, State::ALL[next(State::COUNT as u64) as usize], start, start + len));
        }
        segments.sort_by_key(|s| s.end_ns);
        let mut sent = 0;
        let messages: Vec<Message> = (0..(100 + next(3000)))
            .map(|_| {
                let width = 1 + next(14);
                sent += next(1 << width);
                msg(1 + next(goroutines), 1 + next(goroutines), sent)
            })
            .collect();
        let duration_ns = clock.iter().copied().chain([sent]).max().unwrap_or(0);
        let mut m = model(segments, messages, duration_ns);
        m.goroutines = (1..=goroutines).map(|id| Goroutine { id, ..m.goroutines[0].clone() }).collect();
        m
    }

    #[test]
    fn one_counting_pass_chooses_the_grid_that_a_pass_per_try_chose() {
        for seed in 0..60 {
            let m = random_model(seed);
            let pictures = Pictures::new(&m);
            let whole = Window::whole(&m);
            let windows = [whole, Window { start_ns: whole.end_ns / 3, end_ns: whole.end_ns / 2 + 1 }];
            for (window, budget) in windows.into_iter().flat_map(|w| [1, 7, 50, 300, 5000].map(|b| (w, b))) {
                let (segs, msgs) = (pictures.segments.counts(window), pictures.messages.counts(window));
                for shift in 0..=MAX_SHIFT {
                    let cells = Some(Cells { shift });
                    assert_eq!(segs.drawn(Cells { shift }), pictures.segments.emit(window, cells, 0).len(), "seed {seed}, shift {shift}");
                    assert_eq!(msgs.drawn(Cells { shift }), pictures.messages.emit(window, cells, 0).len(), "seed {seed}, shift {shift}");
                }
                let got = reduce(window, budget, &pictures.segments).1.map(|c| c.shift);
                let expected = per_try_cells(m.goroutines.len(), window, budget, &pictures.segments).map(|c| c.shift);
                assert_eq!(got, expected, "seed {seed}, {window:?}, budget {budget}");
                let got = reduce(window, budget, &pictures.messages).1.map(|c| c.shift);
                let expected = per_try_cells(m.goroutines.len(), window, budget, &pictures.messages).map(|c| c.shift);
                assert_eq!(got, expected, "seed {seed}, {window:?}, budget {budget}");
            }
        }
    }

    #[test]
    fn an_arrow_keeps_the_channel_and_value_its_messages_share() {
        let on = |chan: u64, value: u64, send_ns: u64| Message {
            channel: Some(chan),
            value: Some(value),
            value_text: Some(value.to_string()),
            ..msg(1, 2, send_ns)
        };
        // Cells of 2 ns: [0, 1] on channel 7 with one value, [4, 5] on 7 with two, [8, 9] on 7 and 8.
        let msgs = vec![on(7, 1, 0), on(7, 1, 1), on(7, 1, 4), on(7, 2, 5), on(7, 3, 8), on(8, 3, 9)];
        let m = model(vec![], msgs, 12);
        let p = picture(&m, Window::whole(&m), Budget { segments: 10, messages: 3 });
        assert_eq!(p.lod.messages.cell_ns, Some(2));
        let arrows: Vec<_> = p.messages.iter().map(|a| (a.n, a.item.channel, a.item.value, a.item.value_text.as_deref())).collect();
        assert_eq!(arrows, [(2, Some(7), Some(1), Some("1")), (2, Some(7), None, None), (2, None, Some(3), Some("3"))]);
        assert!(matches!(p.messages[0].item, Cow::Borrowed(_)), "nothing to drop, nothing copied");
        assert_eq!(m.messages[3].channel, Some(7), "the model itself is untouched");
    }

    #[test]
    fn aggregates_say_how_many_they_stand_for_in_json() {
        let msgs: Vec<Message> = (0..10).map(|i| msg(1, 2, i)).collect();
        let m = model(vec![], msgs, 10);
        let p = picture(&m, Window::whole(&m), Budget { segments: 10, messages: 1 });
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["messages"][0]["n"], 10);
        assert_eq!(json["messages"][0]["last_ns"], 9);
        assert_eq!(json["messages"][0]["from"], 1);
        assert_eq!(json["lod"]["messages"]["total"], 10);
    }
}
