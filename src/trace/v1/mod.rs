//! The old trace format (Go 1.5–1.21): a header, then batches of events, one batch per
//! flushed per-P buffer, plus string and stack tables interleaved with them.
//!
//! `new` runs one indexing pass ([`batches`]) that records where each P's batches are and
//! fills [`Tables`] with every stack; `next_event` then merges the P streams lazily
//! ([`order`]) and translates each event ([`convert`]). Memory stays at the batch index,
//! the tables and one decoded event per P.
//!
//! Timestamps: a GoSysExit keeps the time it was written (when the goroutine got a P back);
//! Go afterwards moves it to the earlier "real" exit time it carries and re-sorts all
//! events, which a streaming reader cannot do. Times that run backwards against the merged
//! order (unsynchronized CPU clocks) are raised to the previous event's and reported once
//! in `warnings()`, where Go refuses the trace ("time stamps out of order").
//!
//! P ids: events carry the P whose buffer they were written to. The runtime's global
//! buffer (used without a P) is P -1. Go's tool moves timer unblocks, network unblocks and
//! syscall exits to fake Ps afterwards; we keep the real P, since the goroutine ids on the
//! events already say who did what.

mod batches;
mod convert;
mod events;
mod ids;
mod order;

use std::collections::HashMap;

use self::batches::Index;
use self::convert::{Converter, Ctx};
use self::ids::IdMap;
use self::order::{Merged, Merger};
use super::error::Result;
use super::event::{Event, StackId, StrId};
use super::tables::Tables;

/// The reader's state lives behind one box: `trace::Reader` holds either format's reader
/// in an enum, which should not be as large as all of this.
pub struct Reader<'a>(Box<State<'a>>);

struct State<'a> {
    minor: u32,
    merger: Merger<'a>,
    converter: Converter,
    strings: HashMap<u64, StrId>,
    stacks: IdMap<StackId>,
    start_pcs: HashMap<u64, StackId>,
    clock: Clock,
    finished: bool,
    warnings: Vec<String>,
}

/// Ticks → nanoseconds since the first event, never going backwards. Converts in floating
/// point exactly as Go's old-format parsers do (a fixed-point factor was cheaper, but its
/// truncation left some times a nanosecond off Go's).
struct Clock {
    /// Nanoseconds per tick, in floating point as Go's parsers compute it, so that every time
    /// truncates to the nanosecond Go's tools show.
    ns_per_tick: f64,
    base: Option<u64>,
    last_ns: u64,
    /// Events whose ticks were earlier than the event before them in the merged order.
    backwards: u64,
}

impl Clock {
    /// `freq` (ticks per second) is not 0: the index refuses that.
    fn new(freq: u64) -> Self {
        Clock { ns_per_tick: 1e9 / freq.max(1) as f64, base: None, last_ns: 0, backwards: 0 }
    }

    fn ns(&mut self, ticks: u64) -> u64 {
        let base = *self.base.get_or_insert(ticks);
        // Go: `Timestamp(float64(ev.Ts-minTs) * freq)`, truncated (and saturated here).
        let ns = (ticks.saturating_sub(base) as f64 * self.ns_per_tick) as u64;
        if ns < self.last_ns || ticks < base {
            self.backwards += 1;
            return self.last_ns;
        }
        self.last_ns = ns;
        ns
    }
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8], minor: u32, tables: &mut Tables) -> Result<Self> {
        let index = Index::build(data, minor, tables)?;
        Ok(Reader(Box::new(State {
            minor,
            merger: Merger::new(data, minor, index.procs),
            converter: Converter::new(minor, tables),
            strings: index.strings,
            stacks: index.stacks,
            start_pcs: index.start_pcs,
            clock: Clock::new(index.freq),
            finished: false,
            warnings: Vec::new(),
        })))
    }

    pub fn warnings(&self) -> &[String] {
        &self.0.warnings
    }

    pub fn next_event(&mut self, tables: &mut Tables) -> Result<Option<Event>> {
        self.0.next_event(tables)
    }
}

impl State<'_> {
    fn next_event(&mut self, tables: &mut Tables) -> Result<Option<Event>> {
        loop {
            if let Some(ev) = self.converter.extra.pop_front() {
                return Ok(Some(ev));
            }
            if self.finished {
                return Ok(None);
            }
            let Some(m) = self.merger.next()? else {
                self.finish();
                continue;
            };
            let ctx = self.context(&m);
            let strings = &self.strings;
            let str = |id: u64| strings.get(&id).copied().unwrap_or_default();
            if let Some(ev) = self.converter.convert(&m, ctx, str, tables) {
                return Ok(Some(ev));
            }
        }
    }

    fn context(&mut self, m: &Merged<'_>) -> Ctx {
        let ev = &m.ev;
        let start_stack = match (ev.typ, self.minor < 7) {
            (events::GO_CREATE, true) => self.start_pcs.get(&ev.args[1].wrapping_add(1)).copied().unwrap_or_default(),
            (events::GO_CREATE, false) => self.stacks.get(ev.args[1]),
            _ => StackId::NONE,
        };
        Ctx { ts: self.clock.ns(ev.ticks), stack: self.stacks.get(ev.stack), start_stack }
    }

    fn finish(&mut self) {
        self.finished = true;
        self.converter.end_dump(self.clock.last_ns);
        if self.clock.backwards > 0 {
            self.warnings.push(format!(
                "time stamps out of order: {} events have earlier CPU ticks than the event before them in sequence order; their times were raised to keep time monotonic",
                self.clock.backwards
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_converts_ticks_and_never_goes_back() {
        let mut c = Clock::new(2_000_000_000);
        assert_eq!(c.ns(100), 0);
        assert_eq!(c.ns(2100), 1000);
        assert_eq!(c.ns(1100), 1000);
        assert_eq!(c.ns(50), 1000);
        assert_eq!(c.backwards, 2);
        assert_eq!(c.ns(u64::MAX), ((u64::MAX - 100) as f64 / 2.0) as u64, "no overflow");
        let mut c = Clock::new(1);
        c.ns(0);
        assert_eq!(c.ns(u64::MAX), u64::MAX, "saturates");
        let mut c = Clock::new(2_893_000_000);
        c.ns(0);
        let hour = c.ns(2_893_000_000 * 3600);
        assert!(hour.abs_diff(3600 * 1_000_000_000) < 1000, "an hour of a 2.893 GHz clock within 1 µs: {hour}");
    }

    #[test]
    fn times_truncate_as_gos_parsers_truncate_them() {
        // A 2.893 GHz clock, where an exact rational conversion and Go's floating point one
        // part at the last nanosecond: Go's tools show the floating point one.
        let freq = 2_893_000_117u64;
        let mut c = Clock::new(freq);
        c.ns(1000);
        for ticks in (0..2_000_000u64).map(|i| 1000 + i * 7_919_993) {
            let go = ((ticks - 1000) as f64 * (1e9 / freq as f64)) as i64;
            assert_eq!(c.ns(ticks), go as u64, "at {ticks} ticks");
        }
    }
}
