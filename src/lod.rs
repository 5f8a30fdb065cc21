//! Level of detail: the part of a model that the viewer draws. A browser draws a few hundred
//! thousand lines interactively, a 9 M-event trace has millions of segments and messages, so
//! what does not fit a budget is aggregated on a time grid: the state changes of one goroutine
//! within one grid cell become one segment in the state it spent most time in, and the
//! messages from one goroutine to another within one cell become one arrow. Every aggregate
//! says how many items it stands for (`n`), and `lod` in the output says what was done, so
//! the page can say it on screen. The grid is the finest that fits the budget; a window of
//! time gets its own, finer grid, which is how the served viewer shows detail on zoom.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::model::{kept, Channel, ChannelTruth, Check, Ending, Goroutine, Message, Meta, Model, Segment, Sink, Stack, StackRef, State};
use crate::trace::GoId;
use crate::trace::Tables;

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
        self.window_in(model.meta.duration_ns)
    }

    /// The window of a trace `duration_ns` long that this range names.
    pub fn window_in(self, duration_ns: u64) -> Result<Window, WindowError> {
        let end_ns = duration_ns.saturating_add(1);
        if self.from_ns >= end_ns {
            return Err(WindowError::AfterTheEnd { from_ns: self.from_ns, duration_ns });
        }
        Ok(Window { start_ns: self.from_ns, end_ns: self.to_ns.map_or(end_ns, |to| to.min(end_ns)) })
    }

    /// The window before the trace's end is known: to its end when the range names none.
    pub fn open_window(self) -> Window {
        Window { start_ns: self.from_ns, end_ns: self.to_ns.unwrap_or(u64::MAX) }
    }
}

/// A time grid of cells 2^shift ns long from the start of a window: a power of two, so that
/// finding the cell of an item is a shift, not a division, in the passes over millions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// What a picture draws of a window: its segments and messages, aggregated where they exceed
/// the budget.
#[derive(Debug)]
pub struct Drawn {
    pub lod: Lod,
    pub segments: Vec<Counted<Segment>>,
    pub messages: Vec<Counted<Message>>,
}

impl Drawn {
    /// Hands every stack reference of what is drawn to `f` (see `model::number_stacks`).
    pub fn each_stack_ref(&mut self, f: &mut dyn FnMut(&mut Option<StackRef>)) {
        self.segments.iter_mut().for_each(|s| f(&mut s.item.stack));
        self.messages.iter_mut().for_each(|m| f(&mut m.item.stack));
    }
}

/// What the viewer gets: the goroutines and channels of `context` (a model, or what a pass
/// over the trace keeps besides the picture), the stacks that `drawn` refers to, and what is
/// drawn of a window.
#[derive(Debug, Clone, Copy)]
pub struct Picture<'a> {
    pub context: &'a Model,
    pub stacks: &'a [Stack],
    pub drawn: &'a Drawn,
}

impl Serialize for Picture<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (c, d) = (self.context, self.drawn);
        Wire {
            version: crate::model::JSON_VERSION,
            meta: &c.meta,
            lod: d.lod,
            goroutines: &c.goroutines,
            segments: &d.segments,
            messages: &d.messages,
            channels: &c.channels,
            stacks: self.stacks,
            check: c.check.as_ref(),
        }
        .serialize(s)
    }
}

/// The picture as the page reads it.
#[derive(Serialize)]
struct Wire<'a> {
    version: u32,
    meta: &'a Meta,
    lod: Lod,
    goroutines: &'a [Goroutine],
    segments: &'a [Counted<Segment>],
    messages: &'a [Counted<Message>],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    channels: &'a [Channel],
    stacks: &'a [Stack],
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<&'a Check>,
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
pub struct Counted<T> {
    #[serde(flatten)]
    pub item: T,
    #[serde(skip_serializing_if = "is_one")]
    pub n: u32,
    /// For an aggregate of messages: when the last of them was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_ns: Option<u64>,
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// A model held in memory, cut into pictures of any window.
pub struct Pictures<'a> {
    model: &'a Model,
}

impl<'a> Pictures<'a> {
    pub fn new(model: &'a Model) -> Self {
        Pictures { model }
    }

    /// What is drawn within `window`, at most `budget` items of each kind (stacks are the
    /// model's).
    pub fn picture(&self, window: Window, budget: Budget) -> Drawn {
        let model = self.model;
        let mut layout = Layout::new(window, budget);
        // Two independent layers, one per core.
        std::thread::scope(|scope| {
            let segments = &mut layout.segments;
            scope.spawn(move || model.segments.iter().for_each(|s| segments.push(Cow::Borrowed(s))));
            in_window_messages(&model.messages, window).iter().for_each(|m| layout.messages.push(Cow::Borrowed(m)));
        });
        // A hand-edited model file may have items of goroutines it does not list.
        layout.finish(window, |g| model.lists(g))
    }
}

/// A pass's sink that keeps only what a picture of one window draws: the level of detail
/// without the model. Which messages belong to the picture depends on whether a patched
/// runtime recorded the channel operations, known only at the end, so it draws both ways.
pub struct Sketch {
    window: Window,
    segments: SegmentFeed,
    if_inferred: MessageLayer,
    if_exact: MessageLayer,
}

/// The segment layer on a core of its own: a pass makes a segment at every state change, and
/// laying them on the grid is about as much work as reading the trace. Segments go over in
/// batches, and the emptied batches come back to be filled again.
struct SegmentFeed {
    batch: Vec<Segment>,
    to: SyncSender<Vec<Segment>>,
    emptied: Receiver<Vec<Segment>>,
    worker: std::thread::JoinHandle<SegmentLayer>,
}

/// Segments in a batch: a hand-over per segment would cost more than laying it.
const BATCH: usize = 8192;

impl SegmentFeed {
    fn start(mut layer: SegmentLayer) -> Self {
        // A few batches in flight keep both cores busy and hold little.
        let (to, from) = sync_channel::<Vec<Segment>>(4);
        let (give_back, emptied) = sync_channel(8);
        let worker = std::thread::spawn(move || {
            for mut batch in from {
                batch.drain(..).for_each(|s| layer.push(Cow::Owned(s)));
                // The pass may have stopped taking them back; a new batch is then made.
                let _ = give_back.try_send(batch);
            }
            layer
        });
        SegmentFeed { batch: Vec::with_capacity(BATCH), to, emptied, worker }
    }

    fn push(&mut self, s: Segment) {
        self.batch.push(s);
        if self.batch.len() == BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let next = self.emptied.try_recv().unwrap_or_else(|_| Vec::with_capacity(BATCH));
        // The worker stops only by panicking, which `join` passes on.
        let _ = self.to.send(std::mem::replace(&mut self.batch, next));
    }

    fn join(mut self) -> SegmentLayer {
        self.flush();
        let SegmentFeed { to, worker, .. } = self;
        drop(to);
        worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

/// The picture of a trace read without its model: the overview that `--html` writes and the
/// served viewer starts from.
pub struct Overview {
    /// The model without segments and messages: metadata, goroutines, channels, and the
    /// stacks that what is drawn refers to.
    pub context: Model,
    pub drawn: Drawn,
}

impl Overview {
    pub fn picture(&self) -> Picture<'_> {
        Picture { context: &self.context, stacks: &self.context.stacks, drawn: &self.drawn }
    }
}

impl Sketch {
    /// For `window`, whose end may be `u64::MAX` (until the trace ends).
    pub fn new(window: Window, budget: Budget) -> Self {
        let layer = || MessageLayer::new(window, budget.messages);
        Sketch { window, segments: SegmentFeed::start(SegmentLayer::new(window, budget.segments)), if_inferred: layer(), if_exact: layer() }
    }

    /// What is drawn of the goroutines that `shows` keeps, in a trace of `meta` (its end and
    /// channel truth now known); stack references are still the trace's own.
    pub fn finish(self, meta: &Meta, shows: impl Fn(GoId) -> bool) -> Drawn {
        let window = Window { start_ns: self.window.start_ns, end_ns: self.window.end_ns.min(meta.duration_ns.saturating_add(1)) };
        let messages = if meta.channel_truth == ChannelTruth::Exact { self.if_exact } else { self.if_inferred };
        Layout { segments: self.segments.join(), messages }.finish(window, shows)
    }

    /// The overview: what is drawn, with the stacks it refers to numbered from `tables`.
    pub fn overview(self, ending: Ending, tables: &Tables) -> Overview {
        let mut drawn = self.finish(&ending.meta, |g| ending.shows(g));
        let Ending { meta, mut goroutines, mut channels, .. } = ending;
        let stacks = crate::model::number_stacks(tables, |f| {
            goroutines.iter_mut().for_each(|g| f(&mut g.create_stack));
            channels.iter_mut().for_each(|c| f(&mut c.make_stack));
            drawn.each_stack_ref(f);
        });
        let context = Model {
            version: crate::model::JSON_VERSION,
            meta,
            goroutines,
            segments: Vec::new(),
            messages: Vec::new(),
            channels,
            stacks,
            check: None,
        };
        Overview { context, drawn }
    }
}

impl Sink for Sketch {
    fn segment(&mut self, segment: Segment) {
        self.segments.push(segment);
    }

    fn message(&mut self, message: Message, inferred: bool) {
        match (kept(message.kind, inferred, ChannelTruth::Inferred), kept(message.kind, inferred, ChannelTruth::Exact)) {
            (true, true) => {
                self.if_inferred.push(Cow::Borrowed(&message));
                self.if_exact.push(Cow::Owned(message));
            }
            (true, false) => self.if_inferred.push(Cow::Owned(message)),
            (false, true) => self.if_exact.push(Cow::Owned(message)),
            (false, false) => {}
        }
    }
}

/// Lays the segments and messages of a window on the finest grid that keeps each kind within
/// its budget, as they come, holding no more than the budget. When what is drawn so far no
/// longer fits, it is merged onto the finest coarser grid on which it fits: the items of one
/// cell of a grid lie in one cell of every coarser one, so merging what is drawn gives
/// exactly what drawing every item on the coarser grid would. What is drawn only grows as
/// items come, so the grid at the end is the finest on which all of them fit, as if it had
/// been chosen knowing them.
pub struct Layout {
    pub segments: SegmentLayer,
    pub messages: MessageLayer,
}

impl Layout {
    /// For a window whose end may not be known yet (`u64::MAX`: until the trace ends).
    pub fn new(window: Window, budget: Budget) -> Self {
        Layout { segments: SegmentLayer::new(window, budget.segments), messages: MessageLayer::new(window, budget.messages) }
    }

    /// What is drawn, of the goroutines `shows` keeps, in `window` (the one the layout was
    /// made for, its end now known).
    pub fn finish(self, window: Window, shows: impl Fn(GoId) -> bool) -> Drawn {
        let (segments, segs) = self.segments.finish(&shows);
        let (messages, msgs) = self.messages.finish(&shows);
        Drawn { lod: Lod { window, segments: segs, messages: msgs }, segments, messages }
    }
}

/// The next grid: None (every item as it is) is finer than any.
fn coarser(cells: Option<Cells>) -> Cells {
    Cells { shift: cells.map_or(0, |c| (c.shift + 1).min(MAX_SHIFT)) }
}

/// The coarsest grid: cells of 2^63 ns hold any trace.
const MAX_SHIFT: u32 = 63;

/// How many items stand apart from the item before them on each grid, as the highest bit
/// that tells them apart: an item whose highest such bit is `b` stands apart on every grid of
/// cells shorter than 2^b ns and is merged on the others.
struct Apart([usize; 65]);

impl Default for Apart {
    fn default() -> Self {
        Apart([0; 65])
    }
}

impl Apart {
    fn add(&mut self, highest: u32) {
        self.0[highest as usize] += 1;
    }

    /// The finest grid coarser than `cells` that draws at most `budget` items (the coarsest
    /// there is when none does).
    fn finest_fitting(&self, cells: Option<Cells>, budget: usize) -> u32 {
        let drawn = |shift: u32| self.0[shift as usize + 1..].iter().sum::<usize>();
        (coarser(cells).shift..MAX_SHIFT).find(|&shift| drawn(shift) <= budget).unwrap_or(MAX_SHIFT)
    }
}

/// Whether `drawn` items on `cells` are over `budget` and a coarser grid remains.
fn overflows(drawn: usize, budget: usize, cells: Option<Cells>) -> bool {
    drawn > budget && cells.is_none_or(|c| c.shift < MAX_SHIFT)
}

/// The number of bits of `x`: on grids of cells shorter than 2^bits(x) ns, a span `x` long
/// reaches a cell's length, and two times that differ in the bits of `x` lie in different cells.
fn bits(x: u64) -> u32 {
    u64::BITS - x.leading_zeros()
}

/// What was done to draw `drawn` on `cells`: every item is in one of them.
fn reduction<T>(drawn: &[Counted<T>], cells: Option<Cells>) -> Reduction {
    let total = drawn.iter().map(|c| c.n as usize).sum();
    Reduction { total, shown: drawn.len(), cell_ns: cells.map(Cells::len_ns) }
}

/// Segments: the state changes of one goroutine within one cell become one segment in the
/// state it spent most time in; a segment a cell long or longer is drawn as it is.
pub struct SegmentLayer {
    window: Window,
    budget: usize,
    cells: Option<Cells>,
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

/// Where an item goes on a grid.
enum Place {
    /// Drawn as it is, or opening a run.
    New,
    /// Into the open run at this index of what is drawn.
    Join(usize),
}

impl SegmentLayer {
    fn new(window: Window, budget: usize) -> Self {
        SegmentLayer { window, budget, cells: None, drawn: Vec::new(), spare: Vec::new(), open: FxHashMap::default() }
    }

    pub fn push(&mut self, s: Cow<'_, Segment>) {
        if !overlaps(&s, self.window) {
            return;
        }
        self.place(Item::Segment(s));
        while overflows(self.drawn.len(), self.budget, self.cells) {
            self.coarsen();
        }
    }

    /// Places segments on the grid: one a cell long or longer on its own; a shorter one (or
    /// a run of them) into its goroutine's open run when that lies in the same cell, else it
    /// opens one.
    fn place(&mut self, item: Item<'_>) {
        let Some(cells) = self.cells else { return self.drawn.push(Some(item.into_run())) };
        let (g, start_ns, len, n) = item.span();
        if n == 1 && len >= cells.len_ns() {
            self.close(g);
            return self.drawn.push(Some(item.into_run()));
        }
        let cell = cells.of(self.window, start_ns);
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
        self.cells = Some(Cells { shift: self.finest_fitting() });
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
        apart.finest_fitting(self.cells, self.budget)
    }

    fn finish(mut self, shows: &impl Fn(GoId) -> bool) -> (Vec<Counted<Segment>>, Reduction) {
        self.close_all();
        let drawn: Vec<Counted<Segment>> = self.drawn.into_iter().flatten().filter(|r| shows(r.first.goroutine)).map(Run::drawn).collect();
        let reduction = reduction(&drawn, self.cells);
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

/// Messages: the messages from one goroutine to another within one cell become one arrow.
pub struct MessageLayer {
    window: Window,
    budget: usize,
    cells: Option<Cells>,
    drawn: Vec<Arrow>,
    /// What was drawn before the last coarsening: an empty buffer for the next one.
    spare: Vec<Arrow>,
    /// The arrow of each (sender, receiver, cell), when on a grid.
    arrows: FxHashMap<(GoId, GoId, u64), usize>,
}

/// Messages drawn as one: the first sent, standing for all of them.
struct Arrow {
    first: Message,
    n: u32,
    last_ns: u64,
}

impl Arrow {
    fn of(m: Message) -> Arrow {
        Arrow { last_ns: m.send_ns, first: m, n: 1 }
    }

    /// Takes in `n` messages whose first is `m` (its channel and value those they share) and
    /// the last of which was sent at `last_ns`. They may come in any order: messages are made
    /// when received, not when sent.
    fn absorb(&mut self, m: &Message, n: u32, last_ns: u64) {
        let channel = if self.first.channel == m.channel { m.channel } else { None };
        let same_value = self.first.value == m.value && self.first.value_text == m.value_text;
        if (m.send_ns, m.recv_ns) < (self.first.send_ns, self.first.recv_ns) {
            self.first = m.clone();
        }
        // An arrow names a channel or a value only when every message in it has that one:
        // the viewer colours, filters and labels arrows by them.
        self.first.channel = channel;
        if !same_value {
            self.first.value = None;
            self.first.value_text = None;
        }
        self.n += n;
        self.last_ns = self.last_ns.max(last_ns);
    }
}

impl MessageLayer {
    fn new(window: Window, budget: usize) -> Self {
        MessageLayer { window, budget, cells: None, drawn: Vec::new(), spare: Vec::new(), arrows: FxHashMap::default() }
    }

    pub fn push(&mut self, m: Cow<'_, Message>) {
        if m.send_ns < self.window.start_ns || m.send_ns >= self.window.end_ns {
            return;
        }
        match self.place(&m) {
            Place::New => self.drawn.push(Arrow::of(m.into_owned())),
            Place::Join(at) => self.drawn[at].absorb(&m, 1, m.send_ns),
        }
        while overflows(self.drawn.len(), self.budget, self.cells) {
            self.coarsen();
        }
    }

    fn place(&mut self, m: &Message) -> Place {
        let Some(cells) = self.cells else { return Place::New };
        let next = self.drawn.len();
        match self.arrows.entry((m.from, m.to, cells.of(self.window, m.send_ns))) {
            Entry::Occupied(at) => Place::Join(*at.get()),
            Entry::Vacant(slot) => {
                slot.insert(next);
                Place::New
            }
        }
    }

    fn coarsen(&mut self) {
        self.cells = Some(Cells { shift: self.finest_fitting() });
        self.arrows.clear();
        let mut before = std::mem::replace(&mut self.drawn, std::mem::take(&mut self.spare));
        for arrow in before.drain(..) {
            match self.place(&arrow.first) {
                Place::New => self.drawn.push(arrow),
                Place::Join(at) => self.drawn[at].absorb(&arrow.first, arrow.n, arrow.last_ns),
            }
        }
        self.spare = before;
    }

    /// The finest grid coarser than the current one on which the arrows fit the budget, in
    /// one counting pass: ordered by pair and send time, an arrow stands apart on the grid of
    /// cells 2^u ns when it is its pair's first or its send time differs from the one before
    /// in a bit at u or above.
    fn finest_fitting(&self) -> u32 {
        let mut sent: Vec<(GoId, GoId, u64)> =
            self.drawn.iter().map(|a| (a.first.from, a.first.to, a.first.send_ns - self.window.start_ns)).collect();
        sent.sort_unstable();
        let mut apart = Apart::default();
        for (i, &(from, to, ns)) in sent.iter().enumerate() {
            apart.add(match i.checked_sub(1).map(|j| sent[j]) {
                Some((f, t, before)) if (f, t) == (from, to) => bits(before ^ ns),
                _ => u64::BITS,
            });
        }
        apart.finest_fitting(self.cells, self.budget)
    }

    /// The arrows between shown goroutines, by send time.
    fn finish(self, shows: &impl Fn(GoId) -> bool) -> (Vec<Counted<Message>>, Reduction) {
        let mut drawn: Vec<Counted<Message>> = self
            .drawn
            .into_iter()
            .filter(|a| shows(a.first.from) && shows(a.first.to))
            .map(|a| Counted { last_ns: (a.n > 1).then_some(a.last_ns), item: a.first, n: a.n })
            .collect();
        // Stable: arrows that start together stay in the order they came.
        drawn.sort_by_key(|a| (a.item.send_ns, a.item.recv_ns));
        let reduction = reduction(&drawn, self.cells);
        (drawn, reduction)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChannelTruth, MessageKind, JSON_VERSION};

    fn picture(model: &Model, window: Window, budget: Budget) -> Drawn {
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
        assert!(p.segments.iter().all(|s| s.n == 1));
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

    /// What is drawn, plainly: (goroutine, state, start, end, n) and (from, to, sent, n).
    type Plain = (Vec<(GoId, State, u64, u64, u32)>, Vec<(GoId, GoId, u64, u32)>);

    /// Every item of the window drawn on `cells`, computed directly: per goroutine, a
    /// segment a cell long or longer on its own, runs of shorter ones within one cell merged
    /// (n, start, end, the state of most time); per pair, the messages of one cell merged.
    fn drawn_directly(m: &Model, window: Window, cells: Option<Cells>) -> Plain {
        let mut segs: Vec<(GoId, State, u64, u64, u32, [u64; State::COUNT])> = Vec::new();
        let mut open: FxHashMap<GoId, (u64, usize)> = FxHashMap::default();
        for s in m.segments.iter().filter(|s| overlaps(s, window)) {
            let mut time_in = [0; State::COUNT];
            time_in[s.state as usize] = s.end_ns - s.start_ns;
            let run = cells.filter(|c| s.end_ns - s.start_ns < c.len_ns()).map(|c| c.of(window, s.start_ns));
            match (run, open.get(&s.goroutine)) {
                (Some(cell), Some(&(open_cell, at))) if open_cell == cell => {
                    let r = &mut segs[at];
                    r.3 = s.end_ns;
                    r.4 += 1;
                    (0..State::COUNT).for_each(|k| r.5[k] += time_in[k]);
                    r.1 = State::ALL.into_iter().max_by_key(|st| r.5[*st as usize]).unwrap();
                }
                _ => {
                    open.insert(s.goroutine, (run.unwrap_or(u64::MAX), segs.len()));
                    segs.push((s.goroutine, s.state, s.start_ns, s.end_ns, 1, time_in));
                }
            }
        }
        let mut msgs: Vec<(GoId, GoId, u64, u32)> = Vec::new();
        let mut arrows: FxHashMap<(GoId, GoId, u64), usize> = FxHashMap::default();
        for (i, x) in in_window_messages(&m.messages, window).iter().enumerate() {
            let key = (x.from, x.to, cells.map_or(i as u64, |c| c.of(window, x.send_ns)));
            match arrows.get(&key) {
                Some(&at) => msgs[at].3 += 1,
                None => {
                    arrows.insert(key, msgs.len());
                    msgs.push((x.from, x.to, x.send_ns, 1));
                }
            }
        }
        (segs.into_iter().map(|(g, st, a, b, n, _)| (g, st, a, b, n)).collect(), msgs)
    }

    fn as_drawn(d: &Drawn) -> Plain {
        (
            d.segments.iter().map(|s| (s.item.goroutine, s.item.state, s.item.start_ns, s.item.end_ns, s.n)).collect(),
            d.messages.iter().map(|a| (a.item.from, a.item.to, a.item.send_ns, a.n)).collect(),
        )
    }

    /// The grid of `cell_ns`, and the one just finer.
    fn grid_and_finer(cell_ns: Option<u64>) -> (Option<Cells>, Option<Option<Cells>>) {
        match cell_ns {
            None => (None, None),
            Some(1) => (Some(Cells { shift: 0 }), Some(None)),
            Some(len) => (Some(Cells { shift: len.trailing_zeros() }), Some(Some(Cells { shift: len.trailing_zeros() - 1 }))),
        }
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
    fn merging_as_items_come_draws_what_the_finest_fitting_grid_draws() {
        for seed in 0..60 {
            let m = random_model(seed);
            let whole = Window::whole(&m);
            let windows = [whole, Window { start_ns: whole.end_ns / 3, end_ns: whole.end_ns / 2 + 1 }];
            for (window, budget) in windows.into_iter().flat_map(|w| [1, 7, 50, 300, 5000].map(|b| (w, b))) {
                let d = picture(&m, window, Budget { segments: budget, messages: budget });
                let (segs, msgs) = as_drawn(&d);
                let (seg_cells, seg_finer) = grid_and_finer(d.lod.segments.cell_ns);
                let (msg_cells, msg_finer) = grid_and_finer(d.lod.messages.cell_ns);
                let at = format!("seed {seed}, {window:?}, budget {budget}");
                assert_eq!(segs, drawn_directly(&m, window, seg_cells).0, "{at}");
                assert_eq!(msgs, drawn_directly(&m, window, msg_cells).1, "{at}");
                assert!(segs.len() <= budget || seg_cells == Some(Cells { shift: MAX_SHIFT }), "{at}");
                assert!(msgs.len() <= budget || msg_cells == Some(Cells { shift: MAX_SHIFT }), "{at}");
                if let Some(finer) = seg_finer {
                    assert!(drawn_directly(&m, window, finer).0.len() > budget, "{at}: a finer grid fits the segments");
                }
                if let Some(finer) = msg_finer {
                    assert!(drawn_directly(&m, window, finer).1.len() > budget, "{at}: a finer grid fits the messages");
                }
            }
        }
    }

    /// A pass over a trace makes messages as they are received, not in order of sending.
    #[test]
    fn messages_in_any_order_make_the_same_arrows() {
        for seed in 0..20 {
            let m = random_model(seed);
            let whole = Window::whole(&m);
            for budget in [3, 40, 10_000] {
                let mut layout = Layout::new(whole, Budget { segments: 10, messages: budget });
                for m in m.messages.iter().rev() {
                    layout.messages.push(Cow::Borrowed(m));
                }
                let shuffled = layout.finish(whole, |_| true);
                let sorted = picture(&m, whole, Budget { segments: 10, messages: budget });
                // Arrows sent at the same time may come in either order.
                let arrows = |d: &Drawn| {
                    let mut a: Vec<_> = d.messages.iter().map(|a| (a.item.send_ns, a.item.from, a.item.to, a.n, a.last_ns)).collect();
                    a.sort_unstable();
                    a
                };
                assert_eq!(arrows(&shuffled), arrows(&sorted), "seed {seed}, budget {budget}");
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
        assert_eq!(m.messages[3].channel, Some(7), "the model itself is untouched");
    }

    #[test]
    fn aggregates_say_how_many_they_stand_for_in_json() {
        let msgs: Vec<Message> = (0..10).map(|i| msg(1, 2, i)).collect();
        let m = model(vec![], msgs, 10);
        let drawn = Pictures::new(&m).picture(Window::whole(&m), Budget { segments: 10, messages: 1 });
        let json = serde_json::to_value(Picture { context: &m, stacks: &m.stacks, drawn: &drawn }).unwrap();
        assert_eq!(json["messages"][0]["n"], 10);
        assert_eq!(json["messages"][0]["last_ns"], 9);
        assert_eq!(json["messages"][0]["from"], 1);
        assert_eq!(json["lod"]["messages"]["total"], 10);
    }
}
