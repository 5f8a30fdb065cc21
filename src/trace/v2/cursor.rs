//! Decoding the events of one M's batches, one at a time, straight from the file bytes.

use super::events::{EventTable, Kind, MAX_ARGS};
use super::generation::{BatchRef, Clock};
use crate::trace::bytes::Cursor;
use crate::trace::error::{Result, TraceError};

/// One decoded event, still in the trace's terms.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawEvent {
    pub typ: u8,
    /// Absolute time in ns as Go's reader computes it: the batch's timestamp converted, plus
    /// each event's delta converted on its own (with a fractional clock the truncations add
    /// up, in Go as here).
    pub ns: u64,
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
    /// The current batch's bytes, which start at file offset `base`.
    batch: &'a [u8],
    base: usize,
    pos: usize,
    last_ns: u64,
    pub ev: RawEvent,
    /// Events of known experiments stepped over so far.
    pub experimental: u64,
}

/// A uvarint at `*pos`, or `None` if it is cut off or wider than 64 bits (the caller
/// re-reads it with [`Cursor`] to say why). This is the hot loop of the whole reader.
#[inline(always)]
fn uvarint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let b = *buf.get(*pos)?;
    *pos += 1;
    if b < 0x80 {
        return Some(u64::from(b));
    }
    let mut value = u64::from(b & 0x7f);
    let mut shift = 7;
    loop {
        let b = *buf.get(*pos)?;
        *pos += 1;
        if shift == 63 && b > 1 {
            return None;
        }
        value |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(value);
        }
        shift += 7;
    }
}

impl<'a> MCursor<'a> {
    pub fn new(m: u64, slot: Option<usize>, first: usize, end: usize) -> Self {
        MCursor {
            m,
            slot,
            next_batch: first,
            end_batch: end,
            batch: &[],
            base: 0,
            pos: 0,
            last_ns: 0,
            ev: RawEvent::default(),
            experimental: 0,
        }
    }

    /// Decodes the next event into `self.ev`; `false` when the M has no more events.
    /// Events of known experiments are stepped over here: they never wait on anything and
    /// carry nothing this tool shows.
    #[inline]
    pub fn advance(&mut self, data: &'a [u8], batches: &[BatchRef], table: &EventTable, clock: Clock) -> Result<bool> {
        loop {
            while self.pos >= self.batch.len() {
                let Some(b) = batches.get(self.next_batch).filter(|_| self.next_batch < self.end_batch) else {
                    return Ok(false);
                };
                self.next_batch += 1;
                self.batch = &data[b.start..b.end];
                self.base = b.start;
                self.pos = 0;
                self.last_ns = clock.ns(b.ticks);
            }
            let start = self.pos;
            let typ = self.batch[start];
            self.pos += 1;
            let nargs = match table.kind(typ) {
                Kind::Timed(n) => n,
                Kind::Experimental(n) => {
                    self.read_args(n, start, clock)?;
                    self.experimental += 1;
                    continue;
                }
                Kind::UnknownExperimental => {
                    return Err(TraceError::malformed(
                        self.base + start,
                        format_args!("an event of a known experiment, found experimental type {typ} whose size is unknown"),
                    ))
                }
                Kind::Invalid => {
                    return Err(TraceError::malformed(self.base + start, format_args!("an event type of this format version, found {typ}")))
                }
            };
            self.read_args(nargs, start, clock)?;
            self.ev.typ = typ;
            self.ev.ns = self.last_ns;
            self.ev.offset = self.base + start;
            return Ok(true);
        }
    }

    /// Reads the timestamp delta and `n - 1` arguments of the event that starts at `start`.
    #[inline(always)]
    fn read_args(&mut self, n: u8, start: usize, clock: Clock) -> Result<()> {
        let Some(dt) = uvarint(self.batch, &mut self.pos) else { return Err(self.varint_error(start)) };
        self.last_ns = self.last_ns.saturating_add(clock.ns(dt));
        for i in 0..usize::from(n) - 1 {
            let Some(arg) = uvarint(self.batch, &mut self.pos) else { return Err(self.varint_error(start)) };
            if let Some(slot) = self.ev.args.get_mut(i) {
                *slot = arg;
            }
        }
        Ok(())
    }

    /// Finds the first bad varint of the event at `start` again, with full error reporting.
    #[cold]
    fn varint_error(&self, start: usize) -> TraceError {
        let mut c = Cursor::new(&self.batch[start + 1..], self.base + start + 1);
        loop {
            if let Err(e) = c.uvarint("an event argument") {
                return e;
            }
        }
    }
}
