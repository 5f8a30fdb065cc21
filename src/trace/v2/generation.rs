//! Splitting the file into generations and indexing each generation's batches.
//!
//! A generation is a self-contained slice of the trace: its batches carry the generation
//! number, and its string, stack and frequency batches serve only its own events. Up to format
//! 1.25 a generation ends where a batch of the next generation begins; from 1.26 on an
//! `EndOfGeneration` byte closes it. Only byte ranges are kept here, never decoded events.

use super::events::*;
use crate::trace::bytes::Cursor;
use crate::trace::error::{Result, TraceError};

/// The events of one batch: a byte range of the file and the timestamp they count from.
#[derive(Clone, Copy, Debug)]
pub struct BatchRef {
    pub start: usize,
    pub end: usize,
    pub ticks: u64,
}

/// The event batches of one M (OS thread) in one generation, in file order.
#[derive(Clone, Debug)]
pub struct MBatches {
    pub m: u64,
    /// Range of [`Generation::batches`].
    pub first: usize,
    pub end: usize,
}

#[derive(Debug, Default)]
pub struct Generation {
    pub gen: u64,
    /// Event batches grouped by M (see `ms`), file order within each M.
    pub batches: Vec<BatchRef>,
    pub ms: Vec<MBatches>,
    /// String and stack table batches, to be loaded before any event is read.
    pub string_batches: Vec<BatchRef>,
    pub stack_batches: Vec<BatchRef>,
    /// Converts the generation's timestamps (`None` until its Frequency event is read).
    clock: Option<Clock>,
    /// The earliest batch timestamp (ticks), where Go 1.25+ puts the generation's Sync event.
    pub min_ticks: u64,
    /// When the CPU profile samples of the generation were taken (ns, in time order). Only
    /// their times are kept: Go's reader hands them out among the events, which moves its
    /// clock (see [`super::timeline`]).
    pub cpu_samples: Vec<u64>,
    /// Where the next generation starts.
    pub end: usize,
    /// Scratch: (M, batch) pairs in file order before grouping.
    unsorted: Vec<(u64, BatchRef)>,
}

/// Timestamp ticks to nanoseconds, computed as Go's reader computes them (`frequency.mul`):
/// ticks times the float `1 / (freq / 1e9)`, truncated. Usually a tick is a power-of-two
/// number of nanoseconds (Linux: 64); multiplying by a power of two never rounds, so integer
/// arithmetic then gives Go's result exactly and keeps the per-event conversion cheap.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    WholeNs(u64),
    Fraction(f64),
}

impl Clock {
    fn new(freq: u64) -> Clock {
        let ns_per_tick = 1.0 / (freq as f64 / 1e9);
        if ns_per_tick.fract() == 0.0 && (ns_per_tick as u64).is_power_of_two() {
            Clock::WholeNs(ns_per_tick as u64)
        } else {
            Clock::Fraction(ns_per_tick)
        }
    }

    #[inline]
    pub fn ns(self, ticks: u64) -> u64 {
        match self {
            Clock::WholeNs(k) => ticks.saturating_mul(k),
            Clock::Fraction(f) => (ticks as f64 * f) as u64,
        }
    }
}

/// One batch header.
struct Header {
    /// The experiment of an experimental batch.
    experiment: Option<u8>,
    gen: u64,
    m: u64,
    data: BatchRef,
}

/// What comes next in the file.
enum Next {
    Batch(Header),
    EndOfGeneration,
    EndOfFile,
}

impl Generation {
    /// Indexes the generation starting at `start` and returns its clock; `None` when the
    /// file has no more generations. `prev` is the number of the generation before, if any.
    pub fn scan(&mut self, data: &[u8], start: usize, minor: u32, prev: Option<u64>) -> Result<Option<Clock>> {
        self.gen = 0;
        self.batches.clear();
        self.ms.clear();
        self.string_batches.clear();
        self.stack_batches.clear();
        self.unsorted.clear();
        self.clock = None;
        self.min_ticks = 0;
        self.cpu_samples.clear();
        let mut pos = start;
        loop {
            let at = pos;
            let next = read_header(data, &mut pos, minor)?;
            let h = match next {
                Next::EndOfFile if self.gen == 0 => return Ok(None),
                Next::EndOfFile if minor >= 26 => {
                    return Err(TraceError::truncated(at, "the EndOfGeneration marker of the last generation"))
                }
                Next::EndOfFile => {
                    pos = at;
                    break;
                }
                Next::EndOfGeneration if self.gen == 0 => {
                    return Err(TraceError::malformed(at, "a batch before the EndOfGeneration marker"))
                }
                Next::EndOfGeneration => break,
                Next::Batch(h) => h,
            };
            if h.gen == 0 {
                return Err(TraceError::malformed(at, "a generation number above 0 in the batch header"));
            }
            if self.gen == 0 {
                if prev.is_some_and(|p| h.gen <= p) {
                    return Err(TraceError::inconsistent(
                        at,
                        format_args!("generation {} follows generation {}", h.gen, prev.unwrap_or(0)),
                    ));
                }
                self.gen = h.gen;
            } else if h.gen != self.gen {
                if minor >= 26 || h.gen < self.gen {
                    return Err(TraceError::inconsistent(
                        at,
                        format_args!("a batch of generation {} inside generation {} (missing end of generation)", h.gen, self.gen),
                    ));
                }
                pos = at;
                break;
            }
            // As Go computes it, a zero timestamp included (Go takes it for "none yet").
            if self.min_ticks == 0 || h.data.ticks < self.min_ticks {
                self.min_ticks = h.data.ticks;
            }
            self.add_batch(data, h, minor)?;
        }
        let Some(clock) = self.clock else {
            return Err(TraceError::malformed(
                pos,
                format_args!("a Frequency event in generation {} (starting at byte {start})", self.gen),
            ));
        };
        for t in &mut self.cpu_samples {
            *t = clock.ns(*t);
        }
        self.cpu_samples.sort_unstable();
        self.end = pos;
        self.group_by_m();
        Ok(Some(clock))
    }

    fn add_batch(&mut self, data: &[u8], h: Header, minor: u32) -> Result<()> {
        let b = h.data;
        if b.start == b.end {
            return Ok(());
        }
        match h.experiment {
            // Channel operations belong to the M's stream: each takes the goroutine the M runs.
            Some(CHAN_OPS_EXPERIMENT) => {
                self.unsorted.push((h.m, b));
                return Ok(());
            }
            // Other experiments carry nothing shown; unknown ones are skipped too.
            Some(_) => return Ok(()),
            None => {}
        }
        let sync_type = if minor >= 25 { EV_SYNC } else { EV_FREQUENCY };
        match data[b.start] {
            EV_STRINGS => self.string_batches.push(b),
            EV_STACKS => self.stack_batches.push(b),
            EV_CPU_SAMPLES => self.read_cpu_samples(data, b)?,
            t if t == sync_type => self.read_sync(data, b, minor)?,
            _ => self.unsorted.push((h.m, b)),
        }
        Ok(())
    }

    /// The frequency (and, from 1.25, clock snapshot) batch.
    fn read_sync(&mut self, data: &[u8], b: BatchRef, minor: u32) -> Result<()> {
        let mut c = Cursor::new(&data[b.start..b.end], b.start);
        if minor >= 25 {
            c.byte("the Sync event")?;
        }
        while !c.is_empty() {
            let at = c.offset();
            match c.byte("a sync event")? {
                EV_FREQUENCY => {
                    let freq = c.uvarint("the trace clock frequency")?;
                    if freq == 0 || self.clock.is_some() {
                        return Err(TraceError::malformed(at, "exactly one non-zero Frequency event per generation"));
                    }
                    self.clock = Some(Clock::new(freq));
                }
                EV_CLOCK_SNAPSHOT if minor >= 25 => {
                    for what in ["clock snapshot time", "monotonic clock", "wall clock seconds", "wall clock nanoseconds"] {
                        c.uvarint(what)?;
                    }
                }
                t => return Err(TraceError::malformed(at, format_args!("a Frequency or ClockSnapshot event, found type {t}"))),
            }
        }
        Ok(())
    }

    /// The timestamps (ticks) of a CPU samples batch: each sample is its type, the timestamp,
    /// then its M, P, goroutine and stack.
    fn read_cpu_samples(&mut self, data: &[u8], b: BatchRef) -> Result<()> {
        let mut c = Cursor::new(&data[b.start + 1..b.end], b.start + 1);
        while !c.is_empty() {
            let at = c.offset();
            let typ = c.byte("a CPU sample")?;
            if typ != EV_CPU_SAMPLE {
                return Err(TraceError::malformed(at, format_args!("a CPU sample event, found type {typ}")));
            }
            self.cpu_samples.push(c.uvarint("the CPU sample's timestamp")?);
            for what in ["the CPU sample's M", "the CPU sample's P", "the CPU sample's goroutine", "the CPU sample's stack"] {
                c.uvarint(what)?;
            }
        }
        Ok(())
    }

    /// Groups `unsorted` by M keeping file order within each M (the stable sort).
    fn group_by_m(&mut self) {
        self.unsorted.sort_by_key(|&(m, _)| m);
        for (i, &(m, b)) in self.unsorted.iter().enumerate() {
            match self.ms.last_mut() {
                Some(last) if last.m == m => last.end = i + 1,
                _ => self.ms.push(MBatches { m, first: i, end: i + 1 }),
            }
            self.batches.push(b);
        }
    }
}

fn read_header(data: &[u8], pos: &mut usize, minor: u32) -> Result<Next> {
    let Some(rest) = data.get(*pos..) else { return Ok(Next::EndOfFile) };
    if rest.is_empty() {
        return Ok(Next::EndOfFile);
    }
    let mut c = Cursor::new(rest, *pos);
    let at = c.offset();
    let experimental = match c.byte("a batch header")? {
        EV_EVENT_BATCH => false,
        EV_EXPERIMENTAL_BATCH if minor >= 23 => true,
        EV_END_OF_GENERATION if minor >= 26 => {
            *pos = c.offset();
            return Ok(Next::EndOfGeneration);
        }
        t => return Err(TraceError::malformed(at, format_args!("a batch header (EventBatch), found event type {t}"))),
    };
    let experiment = if experimental { Some(c.byte("the experiment id")?) } else { None };
    let gen = c.uvarint("the batch's generation")?;
    let m = c.uvarint("the batch's M id")?;
    let ticks = c.uvarint("the batch's timestamp")?;
    // A length past the end of the file is almost always a cut-off file: say "truncated".
    let len = c.uvarint("the batch length")?;
    let start = c.offset();
    c.bytes(len, "the batch's events")?;
    *pos = c.offset();
    Ok(Next::Batch(Header { experiment, gen, m, data: BatchRef { start, end: *pos, ticks } }))
}
