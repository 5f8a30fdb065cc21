//! Decoding the events of one M's batches, one at a time, straight from the file bytes.

use super::events::{EventTable, Kind, MAX_ARGS};
use super::generation::BatchRef;
use crate::trace::bytes::Cursor;
use crate::trace::error::{Result, TraceError};

/// One decoded event, still in the trace's terms.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawEvent {
    pub typ: u8,
    /// Absolute timestamp in clock ticks.
    pub ticks: u64,
    /// Arguments after the timestamp delta.
    pub args: [u64; MAX_ARGS - 1],
    /// Offset of the type byte in the file.
    pub offset: usize,
}

/// The read position in one M's batches of the current generation, and its next event.
#[derive(Clone, Debug)]
pub struct MCursor<'a> {
    pub m: u64,
    /// The M's slot in the ordering state (`None` for events without an M).
    pub slot: Option<usize>,
    next_batch: usize,
    end_batch: usize,
    cur: Cursor<'a>,
    last_ticks: u64,
    pub ev: RawEvent,
}

impl<'a> MCursor<'a> {
    pub fn new(m: u64, slot: Option<usize>, first: usize, end: usize) -> Self {
        MCursor { m, slot, next_batch: first, end_batch: end, cur: Cursor::new(&[], 0), last_ticks: 0, ev: RawEvent::default() }
    }

    /// Decodes the next event into `self.ev`; `false` when the M has no more events.
    /// Events of known experiments are stepped over here: they never wait on anything and
    /// carry nothing this tool shows.
    #[inline]
    pub fn advance(&mut self, data: &'a [u8], batches: &[BatchRef], table: &EventTable) -> Result<bool> {
        loop {
            while self.cur.is_empty() {
                let Some(b) = batches.get(self.next_batch).filter(|_| self.next_batch < self.end_batch) else {
                    return Ok(false);
                };
                self.next_batch += 1;
                self.cur = Cursor::new(&data[b.start..b.end], b.start);
                self.last_ticks = b.ticks;
            }
            let offset = self.cur.offset();
            let typ = self.cur.byte("an event type")?;
            let nargs = match table.kind(typ) {
                Kind::Timed(n) => n,
                Kind::Experimental(n) => {
                    let dt = self.cur.uvarint("an event's timestamp delta")?;
                    self.last_ticks = self.last_ticks.saturating_add(dt);
                    for _ in 1..n {
                        self.cur.uvarint("an experimental event's argument")?;
                    }
                    continue;
                }
                Kind::UnknownExperimental => {
                    return Err(TraceError::malformed(
                        offset,
                        format_args!("an event of a known experiment, found experimental type {typ} whose size is unknown"),
                    ))
                }
                Kind::Invalid => return Err(TraceError::malformed(offset, format_args!("an event type of this format version, found {typ}"))),
            };
            let dt = self.cur.uvarint("an event's timestamp delta")?;
            self.last_ticks = self.last_ticks.saturating_add(dt);
            self.ev.typ = typ;
            self.ev.ticks = self.last_ticks;
            self.ev.offset = offset;
            for i in 0..nargs as usize - 1 {
                self.ev.args[i] = self.cur.uvarint("an event argument")?;
            }
            return Ok(true);
        }
    }
}
