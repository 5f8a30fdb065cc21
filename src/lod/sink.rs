//! Drawing while a trace is read, without its model.

use std::borrow::Cow;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use super::layout::Layout;
use super::messages::MessageLayer;
use super::segments::SegmentLayer;
use super::{Budget, Drawing, Overview, Window};
use crate::model::{kept, ChannelTruth, Message, Meta, Model, PassEnd, Segment, Sink};
use crate::trace::{GoId, Tables};

/// A pass's sink that keeps only the drawing of one window: the level of detail without
/// the model. Which messages belong to the picture depends on whether a patched
/// runtime recorded the channel operations, known only at the end, so it draws both ways.
pub struct DrawingSink {
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

impl DrawingSink {
    /// For `window`, whose end may be `u64::MAX` (until the trace ends).
    pub fn new(window: Window, budget: Budget) -> Self {
        let layer = || MessageLayer::new(window, budget.messages);
        DrawingSink {
            window,
            segments: SegmentFeed::start(SegmentLayer::new(window, budget.segments)),
            if_inferred: layer(),
            if_exact: layer(),
        }
    }

    /// What is drawn of the goroutines that `shows` keeps, in a trace of `meta` (its end and
    /// channel truth now known); stack references are still the trace's own.
    pub fn finish(self, meta: &Meta, shows: impl Fn(GoId) -> bool) -> Drawing {
        let window = Window { start_ns: self.window.start_ns, end_ns: self.window.end_ns.min(meta.duration_ns.saturating_add(1)) };
        let messages = if meta.channel_truth == ChannelTruth::Exact { self.if_exact } else { self.if_inferred };
        Layout { segments: self.segments.join(), messages }.finish(window, shows)
    }

    /// The overview: the drawing, with the stacks it refers to numbered from `tables`.
    pub fn overview(self, ending: PassEnd, tables: &Tables) -> Overview {
        let mut drawing = self.finish(&ending.meta, |g| ending.shows(g));
        let PassEnd { meta, mut goroutines, groups, mut channels, .. } = ending;
        let stacks = crate::model::number_stacks(tables, |f| {
            goroutines.iter_mut().for_each(|g| f(&mut g.create_stack));
            channels.iter_mut().for_each(|c| f(&mut c.make_stack));
            drawing.each_stack_ref(f);
        });
        let context = Model {
            version: crate::model::JSON_VERSION,
            meta,
            goroutines,
            groups,
            segments: Vec::new(),
            messages: Vec::new(),
            // Counted where the model is written; the page has no use for them yet.
            group_edges: Vec::new(),
            channels,
            stacks,
            check: None,
        };
        Overview { context, drawing }
    }
}

impl Sink for DrawingSink {
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
