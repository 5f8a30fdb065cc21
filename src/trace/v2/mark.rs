//! Where each generation starts, so that a reader can start there again later.
//!
//! A generation re-states the status of every goroutine, proc and thread it uses, and numbers
//! its strings and stacks afresh, so reading can start at any generation with empty tables
//! and ordering state (Go's flight recorder writes traces that start that way). What a
//! late start cannot know is only the clock: Go's reader times every event after the one
//! before, counting from the first event of the trace (see [`super::timeline`]), so the mark
//! keeps the clock as it was where the generation starts.

use super::timeline::Timeline;

/// One generation of a new-format trace as a reader met it: where it starts, when its
/// events happen, and what [`Reader::resume`](crate::trace::Reader::resume) needs to read
/// on from its start with the same timestamps as a read from the start of the file.
#[derive(Clone, Debug)]
pub struct GenerationMark {
    /// The generation's number, as the runtime counts them (not an index).
    pub gen: u64,
    /// Where the generation's first batch starts in the file.
    pub offset: usize,
    /// When its first and its last event handed out happen, in ns from the start of the
    /// trace (both 0 when `events` is 0).
    pub first_ns: u64,
    pub last_ns: u64,
    /// How many events it handed out.
    pub events: u64,
    /// The number of the generation before it, which it must follow.
    pub(super) prev: Option<u64>,
    /// The clock as it was before the generation's first event.
    pub(super) timeline: Timeline,
}

impl GenerationMark {
    pub(super) fn new(gen: u64, offset: usize, prev: Option<u64>, timeline: Timeline) -> Self {
        GenerationMark { gen, offset, first_ns: 0, last_ns: 0, events: 0, prev, timeline }
    }

    /// Counts `n` events handed out, the first at `first` and the last at `last`. Runs once
    /// per trace event.
    #[inline]
    pub(super) fn handed_out(&mut self, n: usize, first: u64, last: u64) {
        if self.events == 0 {
            self.first_ns = first;
        }
        self.last_ns = last;
        self.events += n as u64;
    }
}
