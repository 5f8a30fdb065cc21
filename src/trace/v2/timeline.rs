//! The times Go's own reader gives events, so that gotrace's times and durations are Go's.
//!
//! Go's `Reader.ReadEvent` hands out every event at least 1 ns after the one before: an event
//! that would come at or before the last one is moved to 1 ns after it. Its clock therefore
//! moves with every event it hands out, including those this reader reads but does not hand
//! out: statuses re-stated at each generation, Sync events between generations and CPU
//! samples. The statuses matter most: at the end of each generation the runtime writes those
//! of the goroutines that did nothing in it, after flushing every thread, so in the last
//! generation they are the last events of the trace, often hundreds of µs after the last
//! event that changes anything.

/// Go's clock over the events in the order it hands them out, in absolute nanoseconds.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// Go's `lastTs`: the time of the last event handed out, Sync events included.
    last: u64,
    /// The first event that is not a Sync: where the trace starts.
    origin: Option<u64>,
    /// The last event that is not a Sync: where the trace ends.
    end: u64,
}

impl Timeline {
    /// The time of the last event Go handed out, Sync events included.
    pub fn last(&self) -> u64 {
        self.last
    }

    /// A Sync event at `ns`: it moves Go's clock but is no event of the program.
    pub fn sync(&mut self, ns: u64) {
        self.last = self.after_last(ns);
    }

    /// An event at `ns` that Go hands out; returns its time in ns from the start of the trace.
    #[inline]
    pub fn event(&mut self, ns: u64) -> u64 {
        let t = self.after_last(ns);
        self.last = t;
        self.end = t;
        t - *self.origin.get_or_insert(t)
    }

    /// The time in ns from the first event to the last, Sync events left out.
    pub fn end_ns(&self) -> u64 {
        self.origin.map_or(0, |origin| self.end - origin)
    }

    /// Saturating: timestamps near 2^64 are garbage, but must not panic.
    #[inline]
    fn after_last(&self, ns: u64) -> u64 {
        if ns <= self.last {
            self.last.saturating_add(1)
        } else {
            ns
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_at_or_before_the_last_move_to_1_ns_after_it() {
        let mut t = Timeline::default();
        assert_eq!(t.event(1000), 0);
        assert_eq!(t.event(1000), 1);
        assert_eq!(t.event(990), 2);
        assert_eq!(t.event(1064), 64);
        assert_eq!(t.end_ns(), 64);
    }

    #[test]
    fn syncs_move_the_clock_but_neither_start_nor_end_the_trace() {
        let mut t = Timeline::default();
        t.sync(500);
        assert_eq!(t.event(500), 0, "the first event comes 1 ns after the Sync at its time");
        assert_eq!(t.last(), 501);
        t.sync(t.last());
        assert_eq!(t.last(), 502);
        assert_eq!(t.event(502), 2);
        t.sync(t.last());
        assert_eq!(t.end_ns(), 2);
    }
}
