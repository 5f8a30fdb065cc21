//! Merging the per-P event streams into one order, lazily: each P's batches are decoded one
//! event at a time, and only the head event of each P is held.
//!
//! Format 1.7+ follows Go 1.21's `order.go`: events of one P are in order; across Ps an
//! event may go next when the goroutine it affects is in the state (and at the sequence
//! number) it requires; of those ready, the earliest timestamp goes first. This yields a
//! consistent order even where CPU tick counters disagree between cores.
//!
//! Format 1.5 (Go 1.5/1.6) numbers every event from one global counter, so the order is
//! simply by that number. Go moves a delayed GoSysExit to the sequence number it carries;
//! we leave it where it was written (when the goroutine got a P back), which keeps the
//! stream mergeable without sorting and the timestamps monotonic.

use super::batches::{Batch, ProcBatches};
use super::events::*;
use super::ids::IdMap;
use crate::trace::bytes::Cursor;
use crate::trace::error::{Result, TraceError};
use crate::trace::event::{GoId, ProcId};

/// One event of a P's stream, with the per-P state Go's parser tracks applied: absolute
/// ticks and sequence number, and the goroutine the event concerns.
#[derive(Clone, Copy, Debug, Default)]
pub struct Decoded<'a> {
    pub typ: u8,
    pub off: usize,
    pub ticks: u64,
    /// 1.5 format only: the global sequence number.
    pub seq: u64,
    pub p: ProcId,
    /// The goroutine running on the P, or the one the event is about (GoSysExit,
    /// GoWaiting, GoInSyscall), as Go's parser sets `Event.G`.
    pub g: GoId,
    /// The event's own arguments, without timestamp, sequence number and stack.
    pub args: [u64; 4],
    /// The file's stack id (0: none).
    pub stack: u64,
    /// A user log's message.
    pub text: &'a [u8],
}

struct Stream<'a> {
    p: ProcId,
    batches: Vec<Batch>,
    next_batch: usize,
    cur: Cursor<'a>,
    ticks: u64,
    seq: u64,
    /// The goroutine running on this P, carried across the P's batches.
    last_g: GoId,
    /// Scratch space the wire decoder writes into.
    raw: Raw<'a>,
    /// The next event, valid when `has_head`.
    head: Decoded<'a>,
    has_head: bool,
    done: bool,
}

impl<'a> Stream<'a> {
    fn new(pb: ProcBatches) -> Self {
        Stream {
            p: pb.p,
            batches: pb.batches,
            next_batch: 0,
            cur: Cursor::new(&[], 0),
            ticks: 0,
            seq: 0,
            last_g: 0,
            raw: Raw::default(),
            head: Decoded::default(),
            has_head: false,
            done: false,
        }
    }

    fn head(&self) -> Option<&Decoded<'a>> {
        self.has_head.then_some(&self.head)
    }

    fn take_head(&mut self) -> Option<Decoded<'a>> {
        std::mem::take(&mut self.has_head).then_some(self.head)
    }

    /// Makes sure `head` holds the next event unless the stream is exhausted.
    #[inline]
    fn fill(&mut self, data: &'a [u8], wire: &Wire) -> Result<()> {
        if !self.has_head && !self.done {
            self.has_head = self.decode(data, wire)?;
            self.done = !self.has_head;
        }
        Ok(())
    }

    /// Decodes the next event into `head`; false at the end of the stream.
    fn decode(&mut self, data: &'a [u8], wire: &Wire) -> Result<bool> {
        let minor = wire.minor;
        loop {
            if self.cur.is_empty() {
                let Some(b) = self.batches.get(self.next_batch) else { return Ok(false) };
                self.next_batch += 1;
                self.cur = Cursor::new(&data[b.start..b.end], b.start);
                self.ticks = b.ticks;
                self.seq = b.seq;
                continue;
            }
            wire.read_into(&mut self.cur, &mut self.raw)?;
            let raw = &self.raw;
            match raw.typ {
                STACK | FREQUENCY | TIMER_GOROUTINE => continue,
                STRING if minor >= 7 => continue,
                _ => {}
            }
            let first = if minor < 7 {
                self.seq = self.seq.wrapping_add(raw.args[0]);
                self.ticks = self.ticks.wrapping_add(raw.args[1]);
                2
            } else {
                self.ticks = self.ticks.wrapping_add(raw.args[0]);
                1
            };
            if raw.typ == CPU_SAMPLE {
                // Profiling samples have no counterpart in the event vocabulary; their
                // timestamp delta still counts.
                continue;
            }
            let stack_args = usize::from(wire.has_stack(raw.typ));
            let named = raw.args.get(first..raw.len - stack_args).unwrap_or_default();
            let h = &mut self.head;
            h.args = [0; 4];
            for (slot, &a) in h.args.iter_mut().zip(named) {
                *slot = a;
            }
            h.stack = if stack_args == 1 { raw.args[raw.len - 1] } else { 0 };
            (h.typ, h.off, h.ticks, h.seq, h.p, h.text) = (raw.typ, raw.off, self.ticks, self.seq, self.p, raw.text);
            h.g = track_g(&mut self.last_g, h.typ, &h.args);
            return Ok(true);
        }
    }
}

/// The goroutine of an event, updating `last_g`, the goroutine running on the P (Go's
/// `lastG`).
#[inline]
fn track_g(last_g: &mut GoId, typ: u8, args: &[u64; 4]) -> GoId {
    match typ {
        GO_START | GO_START_LOCAL | GO_START_LABEL => {
            *last_g = args[0];
            args[0]
        }
        STW_START | STW_DONE | GC_START | GC_DONE => 0,
        GO_END | GO_STOP | GO_SCHED | GO_PREEMPT | GO_SLEEP | GO_BLOCK | GO_BLOCK_SEND | GO_BLOCK_RECV | GO_BLOCK_SELECT
        | GO_BLOCK_SYNC | GO_BLOCK_COND | GO_BLOCK_NET | GO_SYS_BLOCK | GO_BLOCK_GC => std::mem::replace(last_g, 0),
        GO_SYS_EXIT | GO_SYS_EXIT_LOCAL | GO_WAITING | GO_IN_SYSCALL => args[0],
        _ => *last_g,
    }
}

#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
enum Status {
    #[default]
    Dead,
    Runnable,
    Running,
    Waiting,
}

#[derive(Clone, Copy, Default, Debug)]
struct GState {
    seq: u64,
    status: Status,
}

/// Whose state an event depends on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Subject {
    Unordered,
    Goroutine(GoId),
    /// GC starts are numbered too.
    Gc,
}

/// What sequence number an event requires / leaves behind.
#[derive(Clone, Copy)]
enum Seq {
    Any,
    Exact(u64),
    Keep,
    Inc,
}

/// Go's `stateTransition`: the state an event needs and the state it leaves.
fn transition(ev: &Decoded<'_>) -> (Subject, (Seq, Status), (Seq, Status)) {
    use Status::*;
    let a = ev.args;
    match ev.typ {
        GO_CREATE => (Subject::Goroutine(a[0]), (Seq::Exact(0), Dead), (Seq::Exact(1), Runnable)),
        GO_WAITING | GO_IN_SYSCALL => (Subject::Goroutine(ev.g), (Seq::Exact(1), Runnable), (Seq::Exact(2), Waiting)),
        GO_START | GO_START_LABEL => (Subject::Goroutine(ev.g), (Seq::Exact(a[1]), Runnable), (Seq::Exact(a[1].wrapping_add(1)), Running)),
        GO_START_LOCAL => (Subject::Goroutine(ev.g), (Seq::Any, Runnable), (Seq::Inc, Running)),
        GO_BLOCK | GO_BLOCK_SEND | GO_BLOCK_RECV | GO_BLOCK_SELECT | GO_BLOCK_SYNC | GO_BLOCK_COND | GO_BLOCK_NET | GO_SLEEP
        | GO_SYS_BLOCK | GO_BLOCK_GC => (Subject::Goroutine(ev.g), (Seq::Any, Running), (Seq::Keep, Waiting)),
        GO_SCHED | GO_PREEMPT => (Subject::Goroutine(ev.g), (Seq::Any, Running), (Seq::Keep, Runnable)),
        GO_UNBLOCK | GO_SYS_EXIT => (Subject::Goroutine(a[0]), (Seq::Exact(a[1]), Waiting), (Seq::Exact(a[1].wrapping_add(1)), Runnable)),
        GO_UNBLOCK_LOCAL | GO_SYS_EXIT_LOCAL => (Subject::Goroutine(a[0]), (Seq::Any, Waiting), (Seq::Inc, Runnable)),
        GC_START => (Subject::Gc, (Seq::Exact(a[0]), Dead), (Seq::Exact(a[0].wrapping_add(1)), Dead)),
        _ => (Subject::Unordered, (Seq::Any, Dead), (Seq::Any, Dead)),
    }
}

fn ready(curr: GState, init: (Seq, Status)) -> bool {
    let seq_ok = match init.0 {
        Seq::Exact(s) => s == curr.seq,
        _ => true,
    };
    seq_ok && init.1 == curr.status
}

/// One merged event, plus what the converter needs to know from the event's own P.
pub struct Merged<'a> {
    pub ev: Decoded<'a>,
    /// For a GoSysCall: whether the next event on the same P is the GoSysBlock that says
    /// the call blocked (the runtime writes it into that P's buffer).
    pub syscall_blocked: bool,
}

pub struct Merger<'a> {
    data: &'a [u8],
    minor: u32,
    wire: Wire,
    streams: Vec<Stream<'a>>,
    /// Streams whose head is not in the frontier yet.
    available: Vec<usize>,
    /// Streams whose head is ready to go next (1.7+ format).
    frontier: Vec<usize>,
    gs: IdMap<GState>,
    gc: GState,
}

impl<'a> Merger<'a> {
    pub fn new(data: &'a [u8], minor: u32, procs: Vec<ProcBatches>) -> Self {
        let streams: Vec<Stream<'a>> = procs.into_iter().map(Stream::new).collect();
        Merger {
            data,
            minor,
            wire: Wire::new(minor),
            available: (0..streams.len()).collect(),
            frontier: Vec::new(),
            streams,
            gs: IdMap::new((data.len() as u64 / 16).max(1 << 16)),
            gc: GState::default(),
        }
    }

    pub fn next(&mut self) -> Result<Option<Merged<'a>>> {
        let Some(s) = (if self.minor < 7 { self.pick_by_seq()? } else { self.pick_ready()? }) else {
            return Ok(None);
        };
        let stream = &mut self.streams[s];
        let Some(ev) = stream.take_head() else { return Ok(None) };
        stream.fill(self.data, &self.wire)?;
        let syscall_blocked = ev.typ == GO_SYS_CALL && stream.head().is_some_and(|h| h.typ == GO_SYS_BLOCK);
        if self.minor >= 7 {
            self.apply(&ev)?;
            self.available.push(s);
        }
        Ok(Some(Merged { ev, syscall_blocked }))
    }

    /// 1.5 format: the stream whose head has the lowest global sequence number.
    fn pick_by_seq(&mut self) -> Result<Option<usize>> {
        let mut best: Option<(u64, usize)> = None;
        for (i, stream) in self.streams.iter_mut().enumerate() {
            stream.fill(self.data, &self.wire)?;
            if let Some(h) = stream.head() {
                if best.is_none_or(|(seq, _)| h.seq < seq) {
                    best = Some((h.seq, i));
                }
            }
        }
        Ok(best.map(|(_, i)| i))
    }

    /// 1.7+ format: moves every available stream whose head is ready into the frontier,
    /// then takes the frontier's earliest event.
    fn pick_ready(&mut self) -> Result<Option<usize>> {
        let mut i = 0;
        while i < self.available.len() {
            let s = self.available[i];
            self.streams[s].fill(self.data, &self.wire)?;
            let admit = match self.streams[s].head() {
                None => {
                    self.available.swap_remove(i);
                    continue;
                }
                Some(h) => self.is_ready(h),
            };
            if admit {
                self.frontier.push(s);
                self.available.swap_remove(i);
            } else {
                i += 1;
            }
        }
        let earliest = self.frontier.iter().enumerate().filter_map(|(k, &s)| self.streams[s].head().map(|h| (h.ticks, s, k))).min();
        match earliest {
            Some((_, s, k)) => {
                self.frontier.swap_remove(k);
                Ok(Some(s))
            }
            None => match self.available.first().and_then(|&s| self.streams[s].head()) {
                Some(h) => Err(TraceError::inconsistent(
                    h.off,
                    "no consistent ordering of events possible (an event waits for a goroutine state no P provides)",
                )),
                None => Ok(None),
            },
        }
    }

    fn state(&self, subject: Subject) -> GState {
        match subject {
            Subject::Goroutine(g) => self.gs.get(g),
            Subject::Gc => self.gc,
            Subject::Unordered => GState::default(),
        }
    }

    fn is_ready(&self, ev: &Decoded<'_>) -> bool {
        let (subject, init, _) = transition(ev);
        subject == Subject::Unordered || ready(self.state(subject), init)
    }

    /// Moves the goroutine (or GC) the event is about to its next state. An event admitted
    /// to the frontier can have become unready since (only in corrupt traces); Go panics
    /// there, we report it.
    fn apply(&mut self, ev: &Decoded<'_>) -> Result<()> {
        let (subject, init, (seq, status)) = transition(ev);
        if subject == Subject::Unordered {
            return Ok(());
        }
        let curr = self.state(subject);
        if !ready(curr, init) {
            return Err(TraceError::inconsistent(
                ev.off,
                "the goroutine is not in the state this event requires (corrupt sequence numbers)",
            ));
        }
        let seq = match seq {
            Seq::Exact(s) => s,
            Seq::Inc => curr.seq.wrapping_add(1),
            Seq::Keep | Seq::Any => curr.seq,
        };
        let next = GState { seq, status };
        match subject {
            Subject::Goroutine(g) => self.gs.set(g, next),
            Subject::Gc => self.gc = next,
            Subject::Unordered => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(typ: u8, g: GoId, args: [u64; 4]) -> Decoded<'static> {
        Decoded { typ, off: 0, ticks: 0, seq: 0, p: 0, g, args, stack: 0, text: &[] }
    }

    #[test]
    fn unblocks_wait_for_the_goroutine_to_block_at_the_right_sequence() {
        let mut m = Merger::new(&[], 21, Vec::new());
        let unblock = ev(GO_UNBLOCK, 1, [7, 2, 0, 0]); // unblocks g7, expecting its seq 2
        assert!(!m.is_ready(&unblock));
        m.apply(&ev(GO_CREATE, 1, [7, 0, 0, 0])).unwrap(); // g7: seq 1, runnable
        m.apply(&ev(GO_START, 7, [7, 1, 0, 0])).unwrap(); // seq 2, running
        assert!(!m.is_ready(&unblock));
        m.apply(&ev(GO_BLOCK_RECV, 7, [0; 4])).unwrap(); // seq 2, waiting
        assert!(m.is_ready(&unblock));
        m.apply(&unblock).unwrap();
        assert!(m.apply(&unblock).is_err(), "a second unblock of a runnable goroutine");
        // A local start takes whatever sequence number comes next.
        m.apply(&ev(GO_START_LOCAL, 7, [7, 0, 0, 0])).unwrap();
        assert_eq!((m.gs.get(7).seq, m.gs.get(7).status), (4, Status::Running));
    }
}
