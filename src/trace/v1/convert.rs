//! Old-format events → the shared vocabulary, with the semantics Go 1.27's `tracev1.go`
//! gives them: the trace-start dump becomes `GoExisting`, block events carry Go's reason
//! strings, GoSched/GoPreempt are stops, a syscall that did not block gets an immediate end.

use std::collections::{HashSet, VecDeque};

use super::events::*;
use super::order::{Decoded, Merged};
use crate::trace::event::{ChanFlags, Event, EventKind, GoId, GoState, StackId, StrId};
use crate::trace::tables::Tables;

/// Reason strings, as Go 1.27 names them for old traces.
struct Reasons {
    forever: StrId,
    preempted: StrId,
    gosched: StrId,
    sleep: StrId,
    chan_send: StrId,
    chan_recv: StrId,
    network: StrId,
    sync: StrId,
    cond: StrId,
    select: StrId,
    /// Go 1.27 gives a plain EvGoBlock the empty reason (tracev1.go `sEmpty`).
    block: StrId,
    mark_assist: StrId,
    /// STW kinds, indexed as Go 1.21's runtime numbers them (`stwReason`).
    stw: Vec<StrId>,
}

/// Go 1.21's STW reasons, with Go 1.27's spelling; index 0 is "unknown" (the empty string).
const STW_REASONS: [&str; 17] = [
    "",
    "GC mark termination",
    "GC sweep termination",
    "write heap dump",
    "goroutine profile",
    "goroutine profile cleanup",
    "all goroutine stack trace",
    "read mem stats",
    "AllThreadsSyscall",
    "GOMAXPROCS",
    "start trace",
    "stop trace",
    "CountPagesInUse (test)",
    "ReadMetricsSlow (test)",
    "ReadMemStatsSlow (test)",
    "PageCachePagesLeaked (test)",
    "ResetDebugLog (test)",
];

impl Reasons {
    fn new(t: &mut Tables) -> Self {
        Reasons {
            forever: t.intern_str("forever"),
            preempted: t.intern_str("preempted"),
            gosched: t.intern_str("runtime.Gosched"),
            sleep: t.intern_str("sleep"),
            chan_send: t.intern_str("chan send"),
            chan_recv: t.intern_str("chan receive"),
            network: t.intern_str("network"),
            sync: t.intern_str("sync"),
            cond: t.intern_str("sync.(*Cond).Wait"),
            select: t.intern_str("select"),
            block: t.intern_str(""),
            mark_assist: t.intern_str("GC mark assist wait for work"),
            stw: STW_REASONS.iter().map(|s| t.intern_str(s)).collect(),
        }
    }

    /// The STW kind argument: before format 1.21 only 0 (mark termination) and 1 (sweep
    /// termination) existed, and before 1.10 there was no argument (read as 0).
    fn stw(&self, kind: u64, minor: u32) -> StrId {
        let index = match (minor, kind) {
            (..=20, 0 | 1) => kind + 1,
            (21, k) => k,
            _ => 0,
        };
        self.stw.get(index as usize).copied().unwrap_or(self.stw[0])
    }

    fn block(&self, typ: u8) -> Option<StrId> {
        Some(match typ {
            GO_STOP => self.forever,
            GO_SLEEP => self.sleep,
            GO_BLOCK => self.block,
            GO_BLOCK_SEND => self.chan_send,
            GO_BLOCK_RECV => self.chan_recv,
            GO_BLOCK_SELECT => self.select,
            GO_BLOCK_SYNC => self.sync,
            GO_BLOCK_COND => self.cond,
            GO_BLOCK_NET => self.network,
            GO_BLOCK_GC => self.mark_assist,
            _ => return None,
        })
    }
}

/// The converter's state across events.
pub struct Converter {
    minor: u32,
    reasons: Reasons,
    /// Until the first GoMaxProcs, events describe the goroutines that existed when
    /// tracing started.
    pre_init: bool,
    /// Goroutines of the trace-start dump seen only as created (runnable), in dump order;
    /// announced as runnable when the dump ends unless a later dump event said otherwise.
    dump_created: Vec<GoId>,
    dump_settled: HashSet<GoId>,
    /// Events produced beyond the one returned (e.g. a GoLabel after its GoStart).
    pub extra: VecDeque<Event>,
}

/// What an event is, once its timestamp and ids have been resolved by the reader.
pub struct Ctx {
    pub ts: u64,
    pub stack: StackId,
    /// The start stack of a created goroutine (GoCreate only).
    pub start_stack: StackId,
}

impl Converter {
    pub fn new(minor: u32, tables: &mut Tables) -> Self {
        Converter {
            minor,
            reasons: Reasons::new(tables),
            pre_init: true,
            dump_created: Vec::new(),
            dump_settled: HashSet::new(),
            extra: VecDeque::new(),
        }
    }

    /// Converts one merged event. `str` resolves the file's string ids. Returns `None` for
    /// events without a counterpart (or whose output went to `extra`).
    pub fn convert(&mut self, m: &Merged<'_>, ctx: Ctx, str: impl Fn(u64) -> StrId, tables: &mut Tables) -> Option<Event> {
        let ev = &m.ev;
        let a = ev.args;
        let mut out = Event { ts: ctx.ts, g: ev.g, p: ev.p, stack: ctx.stack, kind: EventKind::GoStart };
        let with = |kind| Some(Event { kind, ..out });
        if self.minor < 7 && matches!(ev.typ, GO_SEND_PATCHED | GO_RECV_PATCHED) {
            let (seq, chan, value, flags) = (a[0], a[1], a[2], ChanFlags::default());
            return with(if ev.typ == GO_SEND_PATCHED {
                EventKind::ChanSend { chan, seq, value, flags }
            } else {
                EventKind::ChanRecv { chan, seq, value, flags }
            });
        }
        if let Some(reason) = self.reasons.block(ev.typ) {
            return with(EventKind::GoBlock { reason });
        }
        match ev.typ {
            GOMAXPROCS => {
                let kind = EventKind::ProcsChange { procs: a[0] };
                if self.pre_init {
                    self.end_dump(ctx.ts);
                    out.kind = kind;
                    self.extra.push_back(out);
                    return None;
                }
                with(kind)
            }
            PROC_START => with(EventKind::ProcStart),
            PROC_STOP => with(EventKind::ProcStop),
            GC_START => with(EventKind::GcStart),
            GC_DONE => with(EventKind::GcEnd),
            STW_START => with(EventKind::StwStart { reason: self.reasons.stw(a[0], self.minor) }),
            STW_DONE => with(EventKind::StwEnd),
            GC_SWEEP_START => with(EventKind::GcSweepStart),
            GC_SWEEP_DONE => with(EventKind::GcSweepEnd),
            GO_CREATE if self.pre_init => {
                self.dump_created.push(a[0]);
                None
            }
            GO_CREATE => with(EventKind::GoCreate { child: a[0], start_stack: ctx.start_stack }),
            GO_START | GO_START_LOCAL | GO_START_LABEL => self.start(ev, out, str),
            GO_END => with(EventKind::GoEnd),
            GO_SCHED => with(EventKind::GoStop { reason: self.reasons.gosched }),
            GO_PREEMPT => with(EventKind::GoStop { reason: self.reasons.preempted }),
            GO_UNBLOCK | GO_UNBLOCK_LOCAL => with(EventKind::GoUnblock { goroutine: a[0] }),
            GO_SYS_CALL => {
                if !m.syscall_blocked {
                    // A syscall that returned without losing the P: Go 1.27 draws it as a
                    // begin/end pair.
                    self.extra.push_back(Event { kind: EventKind::GoSyscallEnd { blocked: false }, stack: StackId::NONE, ..out });
                }
                with(EventKind::GoSyscallBegin)
            }
            GO_SYS_EXIT | GO_SYS_EXIT_LOCAL => with(EventKind::GoSyscallEnd { blocked: true }),
            GO_WAITING => self.existing(ev.g, GoState::Waiting, out),
            GO_IN_SYSCALL => self.existing(ev.g, GoState::Syscall, out),
            HEAP_ALLOC => with(EventKind::HeapAlloc { bytes: a[0] }),
            HEAP_GOAL => with(EventKind::HeapGoal { bytes: a[0] }),
            GC_MARK_ASSIST_START => with(EventKind::GcMarkAssistStart),
            GC_MARK_ASSIST_DONE => with(EventKind::GcMarkAssistEnd),
            USER_TASK_CREATE => with(EventKind::UserTaskBegin { task: a[0], parent: a[1], name: str(a[2]) }),
            USER_TASK_END => with(EventKind::UserTaskEnd { task: a[0] }),
            USER_REGION => match a[1] {
                0 => with(EventKind::UserRegionBegin { task: a[0], name: str(a[2]) }),
                1 => with(EventKind::UserRegionEnd { task: a[0], name: str(a[2]) }),
                _ => None,
            },
            USER_LOG => {
                let value = tables.intern_str(&String::from_utf8_lossy(ev.text));
                with(EventKind::UserLog { task: a[0], key: str(a[1]), value })
            }
            // GoSysBlock only confirms the GoSysCall before it blocked; FutileWakeup has no
            // counterpart in Go 1.27 either.
            _ => None,
        }
    }

    fn start(&mut self, ev: &Decoded<'_>, out: Event, str: impl Fn(u64) -> StrId) -> Option<Event> {
        let first = if self.pre_init {
            self.dump_settled.insert(ev.g);
            Event { kind: EventKind::GoExisting { goroutine: ev.g, state: GoState::Running }, ..out }
        } else {
            Event { kind: EventKind::GoStart, ..out }
        };
        if ev.typ == GO_START_LABEL {
            self.extra.push_back(Event { kind: EventKind::GoLabel { label: str(ev.args[2]) }, stack: StackId::NONE, ..out });
        }
        Some(first)
    }

    fn existing(&mut self, g: GoId, state: GoState, out: Event) -> Option<Event> {
        if self.pre_init {
            self.dump_settled.insert(g);
        }
        Some(Event { kind: EventKind::GoExisting { goroutine: g, state }, ..out })
    }

    /// The trace-start dump is over (first GoMaxProcs, or the end of a trace without one):
    /// goroutines it only created were runnable.
    pub fn end_dump(&mut self, ts: u64) {
        if !self.pre_init {
            return;
        }
        self.pre_init = false;
        for &g in &self.dump_created {
            if !self.dump_settled.contains(&g) {
                let kind = EventKind::GoExisting { goroutine: g, state: GoState::Runnable };
                self.extra.push_back(Event { ts, g: 0, p: -1, stack: StackId::NONE, kind });
            }
        }
        self.dump_created = Vec::new();
        self.dump_settled = HashSet::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(typ: u8, g: GoId, args: [u64; 4]) -> Merged<'static> {
        let ev = Decoded { typ, off: 0, ticks: 0, seq: 0, p: 0, g, args, stack: 0, text: &[] };
        Merged { ev, syscall_blocked: false }
    }

    fn convert_all(c: &mut Converter, t: &mut Tables, evs: &[Merged<'_>]) -> Vec<EventKind> {
        let mut out = Vec::new();
        for (i, m) in evs.iter().enumerate() {
            let ctx = Ctx { ts: i as u64, stack: StackId::NONE, start_stack: StackId::NONE };
            out.extend(c.convert(m, ctx, |_| StrId(0), t).map(|e| e.kind));
            out.extend(c.extra.drain(..).map(|e| e.kind));
        }
        out
    }

    #[test]
    fn patched_go_1_6_channel_events_become_chan_send_and_recv() {
        let mut t = Tables::default();
        let mut c = Converter::new(5, &mut t);
        c.end_dump(0);
        // [event id, channel id, value]
        let got = convert_all(&mut c, &mut t, &[ev(GO_SEND_PATCHED, 7, [41, 3, 99, 0]), ev(GO_RECV_PATCHED, 8, [41, 3, 99, 0])]);
        assert_eq!(
            got,
            [
                EventKind::ChanSend { chan: 3, seq: 41, value: 99, flags: ChanFlags::default() },
                EventKind::ChanRecv { chan: 3, seq: 41, value: 99, flags: ChanFlags::default() }
            ]
        );
        // In format 1.7+ these numbers are other events (a string, a local GoStart).
        let mut c = Converter::new(7, &mut t);
        c.end_dump(0);
        assert_eq!(convert_all(&mut c, &mut t, &[ev(GO_START_LOCAL, 8, [8, 0, 0, 0])]), [EventKind::GoStart]);
    }

    #[test]
    fn the_trace_start_dump_becomes_existing_goroutines() {
        let mut t = Tables::default();
        let mut c = Converter::new(21, &mut t);
        let got = convert_all(
            &mut c,
            &mut t,
            &[
                ev(GO_CREATE, 0, [1, 0, 0, 0]),
                ev(GO_WAITING, 1, [1, 0, 0, 0]),
                ev(GO_CREATE, 0, [2, 0, 0, 0]),
                ev(GO_CREATE, 0, [3, 0, 0, 0]),
                ev(GO_START, 3, [3, 1, 0, 0]),
                ev(GOMAXPROCS, 3, [8, 0, 0, 0]),
                ev(GO_CREATE, 3, [4, 0, 0, 0]),
            ],
        );
        use GoState::*;
        assert_eq!(
            got,
            [
                EventKind::GoExisting { goroutine: 1, state: Waiting },
                EventKind::GoExisting { goroutine: 3, state: Running },
                EventKind::GoExisting { goroutine: 2, state: Runnable },
                EventKind::ProcsChange { procs: 8 },
                EventKind::GoCreate { child: 4, start_stack: StackId::NONE },
            ]
        );
    }

    #[test]
    fn syscalls_that_did_not_block_end_at_once() {
        let mut t = Tables::default();
        let mut c = Converter::new(21, &mut t);
        c.end_dump(0);
        let mut blocked = ev(GO_SYS_CALL, 5, [0; 4]);
        blocked.syscall_blocked = true;
        let got = convert_all(
            &mut c,
            &mut t,
            &[ev(GO_SYS_CALL, 5, [0; 4]), blocked, ev(GO_SYS_BLOCK, 5, [0; 4]), ev(GO_SYS_EXIT, 5, [5, 2, 0, 0])],
        );
        assert_eq!(
            got,
            [
                EventKind::GoSyscallBegin,
                EventKind::GoSyscallEnd { blocked: false },
                EventKind::GoSyscallBegin,
                EventKind::GoSyscallEnd { blocked: true },
            ]
        );
    }

    #[test]
    fn stw_kinds_depend_on_the_version() {
        let mut t = Tables::default();
        let r = Reasons::new(&mut t);
        assert_eq!(t.str(r.stw(0, 9)), "GC mark termination");
        assert_eq!(t.str(r.stw(1, 19)), "GC sweep termination");
        assert_eq!(t.str(r.stw(9, 19)), "");
        assert_eq!(t.str(r.stw(9, 21)), "GOMAXPROCS");
        assert_eq!(t.str(r.stw(99, 21)), "");
    }
}
