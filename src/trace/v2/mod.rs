//! The new trace format (Go 1.22+, headers `go 1.22 trace` … `go 1.26 trace`).
//!
//! The file is a sequence of generations, each a set of per-M batches plus the string, stack
//! and frequency tables they use. The reader handles one generation at a time: it indexes the
//! batches (byte ranges only), interns the tables, then merges the per-M streams lazily,
//! always taking the earliest event whose scheduling preconditions hold (see [`order`]).
//! Events are timed as Go's reader times them (see [`timeline`]). Reading a [`TraceFile`], it
//! gives back each generation's bytes once it has moved past them, and it marks where each
//! generation starts so that a later reader can start there (see [`mark`]).

mod cursor;
mod events;
mod generation;
mod idmap;
mod mark;
mod order;
mod tables;
mod timeline;

use self::cursor::MCursor;
use self::events::EventTable;
use self::generation::{Clock, Generation};
use self::order::{At, Ordering, Pending};
use self::tables::GenTables;
use self::timeline::Timeline;
use super::error::{Result, TraceError};
use super::event::Event;
use super::file::TraceFile;
use super::tables::Tables;
use super::HEADER_LEN;

pub use self::mark::GenerationMark;

/// Boxed: the reader's state is large, and it sits in an enum next to the old-format reader.
pub struct Reader<'a>(Box<State<'a>>);

impl<'a> Reader<'a> {
    /// A reader from the first generation of `data`, which are the bytes of `file` when given
    /// (each generation is then given back to it once read).
    pub fn new(data: &'a [u8], file: Option<&'a TraceFile>, minor: u32) -> Result<Self> {
        State::new(data, file, minor).map(|s| Reader(Box::new(s)))
    }

    /// A reader from the generation at `mark`, one that a reader of the same bytes recorded.
    pub fn resume(data: &'a [u8], file: Option<&'a TraceFile>, minor: u32, mark: &GenerationMark) -> Result<Self> {
        if mark.offset >= data.len() {
            return Err(TraceError::truncated(data.len(), format_args!("generation {} at byte {}", mark.gen, mark.offset)));
        }
        let mut state = State::new(data, file, minor)?;
        state.next_start = mark.offset;
        state.prev = mark.prev;
        state.timeline = mark.timeline.clone();
        Ok(Reader(Box::new(state)))
    }

    /// The generations read so far, in file order; the last one's times and count grow
    /// while its events are read.
    pub fn generations(&self) -> &[GenerationMark] {
        &self.0.marks
    }

    pub fn warnings(&self) -> &[String] {
        &self.0.warnings
    }

    /// Events of experiments (e.g. AllocFree) stepped over so far.
    pub fn experimental_skipped(&self) -> u64 {
        self.0.experimental + self.0.cursors.iter().map(|c| c.experimental).sum::<u64>()
    }

    /// When the trace ends, in ns from its first event, as Go's reader times it: counting
    /// the events read but not handed out, which Go's reader hands out (see [`timeline`]).
    pub fn end_ns(&self) -> u64 {
        self.0.timeline.end_ns()
    }

    /// Inlined, with [`State::next_event`], into the caller's loop: handing out an event is
    /// then a copy out of `pending`, not a call per event.
    #[inline]
    pub fn next_event(&mut self, tables: &mut Tables) -> Result<Option<Event>> {
        self.0.next_event(tables)
    }

    /// Hands every remaining event to `f` where it lies, without copying it out; calls
    /// `at_generation` as each generation starts, before its first event.
    #[inline]
    pub fn for_each_event(
        &mut self,
        tables: &mut Tables,
        f: &mut impl FnMut(&Event, &Tables),
        at_generation: &mut impl FnMut(),
    ) -> Result<()> {
        self.0.for_each_event(tables, f, at_generation)
    }
}

struct State<'a> {
    data: &'a [u8],
    /// Where `data` comes from, when it can take back what was read.
    file: Option<&'a TraceFile>,
    minor: u32,
    table: EventTable,
    gen: Generation,
    /// The current generation's clock.
    clock: Clock,
    /// The number of the generation read last (`None` before the first of the file).
    prev: Option<u64>,
    /// Where the next generation starts.
    next_start: usize,
    /// One per generation read, the current one last.
    marks: Vec<GenerationMark>,
    gen_tables: GenTables,
    order: Ordering,
    /// One cursor per M of the generation.
    cursors: Vec<MCursor<'a>>,
    /// The cursors that still have events, as a min-heap of (next event's ns, index).
    frontier: Vec<(u64, usize)>,
    /// The generation's CPU samples not yet passed (index into `gen.cpu_samples`).
    next_cpu_sample: usize,
    /// Translated events not yet returned.
    pending: Pending,
    timeline: Timeline,
    warnings: Vec<String>,
    /// Experimental events stepped over in the generations before the current one.
    experimental: u64,
}

impl<'a> State<'a> {
    fn new(data: &'a [u8], file: Option<&'a TraceFile>, minor: u32) -> Result<Self> {
        if !events::supported(minor) {
            return Err(TraceError::Unsupported { header: format!("go 1.{minor} trace") });
        }
        Ok(State {
            data,
            file,
            minor,
            table: EventTable::new(minor),
            gen: Generation::default(),
            // Replaced by each generation's own before any of its events is read.
            clock: Clock::WholeNs(1),
            prev: None,
            next_start: HEADER_LEN,
            marks: Vec::new(),
            gen_tables: GenTables::default(),
            order: Ordering::default(),
            cursors: Vec::new(),
            frontier: Vec::new(),
            next_cpu_sample: 0,
            pending: Pending::default(),
            timeline: Timeline::default(),
            warnings: Vec::new(),
            experimental: 0,
        })
    }

    #[inline]
    fn next_event(&mut self, tables: &mut Tables) -> Result<Option<Event>> {
        loop {
            if let Some(ev) = self.pending.pop() {
                return Ok(Some(ev));
            }
            if !self.read_on(tables)? {
                return Ok(None);
            }
        }
    }

    #[inline]
    fn for_each_event(&mut self, tables: &mut Tables, f: &mut impl FnMut(&Event, &Tables), at_generation: &mut impl FnMut()) -> Result<()> {
        loop {
            while let Some(ev) = self.pending.pop_ref() {
                f(ev, tables);
            }
            let generations = self.marks.len();
            if !self.read_on(tables)? {
                return Ok(());
            }
            if self.marks.len() != generations {
                at_generation();
            }
        }
    }

    /// Takes the next thing Go's reader would: a CPU sample when it comes before every
    /// thread's next event, else an event, else the next generation. `false` at the end.
    #[inline]
    fn read_on(&mut self, tables: &mut Tables) -> Result<bool> {
        if let Some(&sample) = self.gen.cpu_samples.get(self.next_cpu_sample) {
            if self.frontier.first().is_none_or(|&(ns, _)| sample < ns) {
                self.timeline.event(sample);
                self.next_cpu_sample += 1;
                return Ok(true);
            }
        }
        if self.frontier.is_empty() {
            return self.next_generation(tables);
        }
        self.step()?;
        Ok(true)
    }

    /// Indexes the next generation and sets up its cursors; `false` at the end of the file.
    fn next_generation(&mut self, tables: &mut Tables) -> Result<bool> {
        let (start, prev) = (self.next_start, self.prev);
        if let (Some(file), Some(mark)) = (self.file, self.marks.last()) {
            file.release(mark.offset..start);
        }
        let timeline = self.timeline.clone();
        self.clock = match self.gen.scan(self.data, start, self.minor, prev) {
            Ok(Some(clock)) => clock,
            Ok(None) => return Ok(false),
            // A program that crashed or was killed leaves its last generation cut off; the
            // complete ones before it are still the program's story up to then.
            Err(TraceError::Truncated { offset, .. }) if prev.is_some() => {
                self.warnings.push(format!(
                    "the trace is cut off at byte {offset} (the program crashed or was killed): read up to the end of generation {}",
                    prev.unwrap_or(0)
                ));
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        self.marks.push(GenerationMark::new(self.gen.gen, start, prev, timeline));
        self.prev = Some(self.gen.gen);
        self.next_start = self.gen.end;
        // Go's reader hands out a Sync event between generations: Go 1.25+ at the start of
        // each, at its earliest batch's time; Go 1.22-1.24 (formats 1.22 and 1.23) at the end
        // of each, at the last event's time (the last one's follows every event: no matter).
        if self.minor >= 25 {
            self.timeline.sync(self.clock.ns(self.gen.min_ticks));
        } else if prev.is_some() {
            self.timeline.sync(self.timeline.last());
        }
        self.next_cpu_sample = 0;
        self.gen_tables.load(self.data, &self.gen.string_batches, &self.gen.stack_batches, tables)?;
        self.experimental += self.cursors.iter().map(|c| c.experimental).sum::<u64>();
        self.cursors.clear();
        for mb in &self.gen.ms {
            let mut c = MCursor::new(mb.m, self.order.m_slot(mb.m), mb.first, mb.end);
            if c.advance(self.data, &self.gen.batches, &self.table, self.clock)? {
                self.frontier.push((c.ev.ns, self.cursors.len()));
                self.cursors.push(c);
            }
        }
        // A sorted vector is a valid heap.
        self.frontier.sort_unstable();
        Ok(true)
    }

    /// Takes one event: the earliest M whose event can advance.
    #[inline(never)]
    fn step(&mut self) -> Result<()> {
        if self.try_advance(0)? {
            return Ok(());
        }
        self.frontier.sort_unstable();
        for i in 1..self.frontier.len() {
            if self.try_advance(i)? {
                return Ok(());
            }
        }
        let c = &self.cursors[self.frontier[0].1];
        Err(TraceError::inconsistent(
            c.ev.offset,
            format_args!(
                "no thread's next event can happen (generation {}, {} threads waiting; earliest: {} on M {})",
                self.gen.gen,
                self.frontier.len(),
                events::name(c.ev.typ),
                c.m
            ),
        ))
    }

    #[inline]
    fn try_advance(&mut self, i: usize) -> Result<bool> {
        let c = &mut self.cursors[self.frontier[i].1];
        let at = At { ev: &c.ev, m: c.m, slot: c.slot, gen: self.gen.gen };
        if !self.order.advance(&at, &self.gen_tables, &mut self.pending)? {
            return Ok(false);
        }
        self.pending.stamp(&mut self.timeline, c.ev.ns);
        if let (Some((n, first, last)), Some(mark)) = (self.pending.times(), self.marks.last_mut()) {
            mark.handed_out(n, first, last);
        }
        if c.advance(self.data, &self.gen.batches, &self.table, self.clock)? {
            self.frontier[i].0 = c.ev.ns;
            heap_update(&mut self.frontier, i);
        } else {
            heap_remove(&mut self.frontier, i);
        }
        Ok(true)
    }
}

/// Restores the heap after the key of element `i` changed. Inlined: it runs once per event.
#[inline]
fn heap_update(h: &mut [(u64, usize)], i: usize) {
    if sift_up(h, i) == i {
        sift_down(h, i);
    }
}

fn heap_remove(h: &mut Vec<(u64, usize)>, i: usize) {
    h.swap_remove(i);
    if i < h.len() {
        heap_update(h, i);
    }
}

#[inline]
fn sift_up(h: &mut [(u64, usize)], mut i: usize) -> usize {
    while i > 0 && h[(i - 1) / 2] > h[i] {
        h.swap((i - 1) / 2, i);
        i = (i - 1) / 2;
    }
    i
}

#[inline]
fn sift_down(h: &mut [(u64, usize)], mut i: usize) {
    loop {
        let mut m = i;
        for child in [2 * i + 1, 2 * i + 2] {
            if child < h.len() && h[child] < h[m] {
                m = child;
            }
        }
        if m == i {
            return;
        }
        h.swap(i, m);
        i = m;
    }
}
