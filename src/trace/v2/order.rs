//! The scheduling state machine that orders the per-M event streams.
//!
//! Each M's events are in order, but events on different Ms only relate through the
//! goroutines and procs they hand to each other. An event may be taken only when what it
//! transitions is in the state it expects: `GoStart` needs its goroutine runnable with the
//! previous sequence number, `ProcStart` an idle proc, `GoUnblock` a waiting goroutine, and so
//! on (the same rules as Go's own `internal/trace` ordering). The state also tells which
//! goroutine and proc each M is running, which is what every event's `g` and `p` are.

use std::collections::HashMap;

use super::cursor::RawEvent;
use super::events::{self, *};
use super::idmap::IdMap;
use super::tables::GenTables;
use super::timeline::Timeline;
use crate::trace::error::{Result, TraceError};
use crate::trace::event::{ChanFlags, ElemType, Event, EventKind, GoId, GoState, ProcId, StackId, StrId};

const NO_PROC: ProcId = -1;
const NO_GOROUTINE: GoId = 0;
/// The M id of events that happen on no thread.
const NO_THREAD: u64 = u64::MAX;

// Goroutine statuses as the trace numbers them.
const G_RUNNABLE: u8 = 1;
const G_RUNNING: u8 = 2;
const G_SYSCALL: u8 = 3;
const G_WAITING: u8 = 4;

// Proc statuses as the trace numbers them.
const P_RUNNING: u8 = 1;
const P_IDLE: u8 = 2;
const P_SYSCALL: u8 = 3;
/// Format 1.26: the proc's M entered a syscall and the goroutine there ended.
const P_SYSCALL_ABANDONED: u8 = 4;

/// A sequence number, meaningful only within its generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seq {
    gen: u64,
    n: u64,
}

impl Seq {
    fn succeeds(self, prev: Seq) -> bool {
        self.gen == prev.gen && prev.n.checked_add(1) == Some(self.n)
    }
}

#[derive(Clone, Copy, Debug)]
struct GState {
    status: u8,
    seq: Seq,
}

#[derive(Clone, Copy, Debug)]
struct PState {
    status: u8,
    seq: Seq,
}

/// What an M is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ctx {
    g: GoId,
    p: ProcId,
}

const NO_CTX: Ctx = Ctx { g: NO_GOROUTINE, p: NO_PROC };

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GcState {
    Undetermined,
    NotRunning,
    Running,
}

/// What an event needs its M to be running.
#[derive(Clone, Copy)]
enum Need {
    Must,
    MustNot,
    May,
}

pub struct Ordering {
    goroutines: IdMap<GState>,
    procs: IdMap<PState>,
    ms: Vec<Ctx>,
    m_slots: HashMap<u64, usize>,
    gc_seq: u64,
    gc: GcState,
    initial_gen: u64,
}

/// The event being advanced and where it happens.
pub struct At<'e> {
    pub ev: &'e RawEvent,
    pub m: u64,
    pub slot: Option<usize>,
    pub gen: u64,
}

impl Default for Ordering {
    fn default() -> Self {
        Ordering {
            goroutines: IdMap::default(),
            procs: IdMap::default(),
            ms: Vec::new(),
            m_slots: HashMap::new(),
            gc_seq: 0,
            gc: GcState::Undetermined,
            initial_gen: 0,
        }
    }
}

/// An "inconsistent trace" error for `at.ev` that says what the event needed. Only built on
/// failure: formatting is far too slow for the per-event path.
#[cold]
#[inline(never)]
fn bad(at: &At<'_>, needed: impl std::fmt::Display) -> TraceError {
    TraceError::inconsistent(at.ev.offset, format_args!("{} on M {} needs {needed}", events::name(at.ev.typ), at.m))
}

fn status_to_state(status: u8) -> GoState {
    match status {
        G_RUNNABLE => GoState::Runnable,
        G_RUNNING => GoState::Running,
        G_SYSCALL => GoState::Syscall,
        _ => GoState::Waiting,
    }
}

/// The events one trace event turns into (at most three: a coroutine switch is an unblock, a
/// block and a start), waiting to be returned. A fixed array: this is on the per-event path.
pub struct Pending {
    events: [Event; 3],
    len: usize,
    next: usize,
}

impl Default for Pending {
    fn default() -> Self {
        let none = Event { ts: 0, g: NO_GOROUTINE, p: NO_PROC, stack: StackId::NONE, kind: EventKind::GoStart };
        Pending { events: [none; 3], len: 0, next: 0 }
    }
}

impl Pending {
    #[inline]
    pub fn pop(&mut self) -> Option<Event> {
        self.pop_ref().copied()
    }

    #[inline]
    pub fn pop_ref(&mut self) -> Option<&Event> {
        let ev = self.events.get(self.next).filter(|_| self.next < self.len);
        if ev.is_some() {
            self.next += 1;
        }
        ev
    }

    /// How many events the last trace event turned into, with the times of the first and
    /// the last of them; `None` when it turned into none.
    #[inline]
    pub fn times(&self) -> Option<(usize, u64, u64)> {
        let events = &self.events[..self.len];
        Some((self.len, events.first()?.ts, events.last()?.ts))
    }

    /// Times the translation of a trace event at `ns` as Go's reader times what it hands out
    /// for it: one Go event per translated event (a coroutine switch is three in Go too), or
    /// one that is not handed out here (a status re-stated at a new generation, say).
    #[inline]
    pub fn stamp(&mut self, timeline: &mut Timeline, ns: u64) {
        if self.len == 0 {
            timeline.event(ns);
        }
        for ev in &mut self.events[..self.len] {
            ev.ts = timeline.event(ns);
        }
    }
}

/// Appends translated events to [`Pending`]; [`Pending::stamp`] times them.
struct Out<'q> {
    pending: &'q mut Pending,
}

impl Out<'_> {
    #[inline]
    fn push(&mut self, g: GoId, p: ProcId, stack: StackId, kind: EventKind) {
        let slot = self.pending.events.get_mut(self.pending.len);
        debug_assert!(slot.is_some(), "a trace event translated into too many events");
        if let Some(slot) = slot {
            *slot = Event { ts: 0, g, p, stack, kind };
            self.pending.len += 1;
        }
    }
}

impl Ordering {
    /// The state slot of M `m`, created on first sight; `None` for "no thread".
    pub fn m_slot(&mut self, m: u64) -> Option<usize> {
        if m == NO_THREAD {
            return None;
        }
        let next = self.ms.len();
        let slot = *self.m_slots.entry(m).or_insert(next);
        if slot == next {
            self.ms.push(NO_CTX);
        }
        Some(slot)
    }

    /// Tries to take `at.ev`. `Ok(false)` means it must wait for another M's events;
    /// otherwise its translation, not yet timed, replaces what `pending` held.
    #[inline]
    pub fn advance(&mut self, at: &At<'_>, tables: &GenTables, pending: &mut Pending) -> Result<bool> {
        if self.initial_gen == 0 {
            self.initial_gen = at.gen;
        }
        let cur = at.slot.map_or(NO_CTX, |s| self.ms[s]);
        pending.len = 0;
        pending.next = 0;
        let mut out = Out { pending };
        let new = self.dispatch(at, cur, tables, &mut out)?;
        match (new, at.slot) {
            (Some(new), Some(s)) => self.ms[s] = new,
            (None, _) => return Ok(false),
            _ => {}
        }
        Ok(true)
    }

    /// Returns the M's new context, or `None` when the event cannot be taken yet.
    fn dispatch(&mut self, at: &At<'_>, cur: Ctx, t: &GenTables, out: &mut Out<'_>) -> Result<Option<Ctx>> {
        let ev = at.ev;
        let a = &ev.args;
        let stack = |i: usize| t.stack(a[i], ev.offset);
        let string = |i: usize| t.string(a[i], ev.offset);
        let user = |this: &Self| this.need(at, cur, Need::Must, Need::Must, Need::Must);
        match ev.typ {
            EV_PROC_STATUS => self.proc_status(at, cur, out),
            EV_PROC_START => self.proc_start(at, cur, out),
            EV_PROC_STOP => self.proc_stop(at, cur, out),
            EV_PROC_STEAL => self.proc_steal(at, cur, out),
            EV_GO_STATUS => self.go_status(at, cur, out, StackId::NONE),
            // Format 1.23+: where a waiting goroutine is parked.
            EV_GO_STATUS_STACK => self.go_status(at, cur, out, stack(3)?),
            EV_GO_CREATE | EV_GO_CREATE_BLOCKED => {
                self.need(at, cur, Need::Must, Need::Must, Need::May)?;
                if self.goroutines.get(cur.g).is_some_and(|s| s.status != G_RUNNING) {
                    return Err(bad(at, "the creating goroutine to be running"));
                }
                let status = if ev.typ == EV_GO_CREATE { G_RUNNABLE } else { G_WAITING };
                self.create(at, a[0], status)?;
                out.push(cur.g, cur.p, stack(2)?, EventKind::GoCreate { child: a[0], start_stack: stack(1)? });
                Ok(Some(cur))
            }
            EV_GO_CREATE_SYSCALL => {
                self.need(at, cur, Need::Must, Need::May, Need::MustNot)?;
                self.create(at, a[0], G_SYSCALL)?;
                out.push(NO_GOROUTINE, cur.p, StackId::NONE, EventKind::GoCreate { child: a[0], start_stack: StackId::NONE });
                Ok(Some(Ctx { g: a[0], ..cur }))
            }
            EV_GO_START => self.go_start(at, cur, out),
            EV_GO_DESTROY | EV_GO_STOP | EV_GO_BLOCK => self.go_stop(at, cur, t, out),
            EV_GO_UNBLOCK => {
                let seq = Seq { gen: at.gen, n: a[1] };
                match self.goroutines.get_mut(a[0]) {
                    Some(s) if s.status == G_WAITING && seq.succeeds(s.seq) => {
                        s.status = G_RUNNABLE;
                        s.seq = seq;
                    }
                    _ => return Ok(None),
                }
                out.push(cur.g, cur.p, stack(2)?, EventKind::GoUnblock { goroutine: a[0] });
                Ok(Some(cur))
            }
            EV_GO_SWITCH | EV_GO_SWITCH_DESTROY => self.go_switch(at, cur, out),
            EV_GO_SYSCALL_BEGIN => self.syscall_begin(at, cur, out, stack(1)?),
            EV_GO_SYSCALL_END => self.syscall_end(at, cur, out),
            EV_GO_SYSCALL_END_BLOCKED => self.syscall_end_blocked(at, cur, out),
            EV_GO_DESTROY_SYSCALL => self.destroy_syscall(at, cur, out),
            EV_GC_ACTIVE | EV_GC_BEGIN | EV_GC_END => self.gc(at, cur, out, t),
            EV_GC_SWEEP_ACTIVE => {
                self.proc_state(at, a[0])?;
                if at.gen == self.initial_gen {
                    out.push(cur.g, a[0] as ProcId, StackId::NONE, EventKind::GcSweepStart);
                }
                Ok(Some(cur))
            }
            EV_GC_MARK_ASSIST_ACTIVE => {
                if self.goroutines.get(a[0]).is_none() {
                    return Err(bad(at, format_args!("goroutine {} to exist", a[0])));
                }
                if at.gen == self.initial_gen {
                    out.push(a[0], cur.p, StackId::NONE, EventKind::GcMarkAssistStart);
                }
                Ok(Some(cur))
            }
            EV_HEAP_ALLOC | EV_HEAP_GOAL | EV_GC_SWEEP_BEGIN | EV_GC_SWEEP_END => {
                self.need(at, cur, Need::Must, Need::Must, Need::May)?;
                let (kind, st) = match ev.typ {
                    EV_HEAP_ALLOC => (EventKind::HeapAlloc { bytes: a[0] }, StackId::NONE),
                    EV_HEAP_GOAL => (EventKind::HeapGoal { bytes: a[0] }, StackId::NONE),
                    EV_GC_SWEEP_BEGIN => (EventKind::GcSweepStart, stack(0)?),
                    _ => (EventKind::GcSweepEnd, StackId::NONE),
                };
                out.push(cur.g, cur.p, st, kind);
                Ok(Some(cur))
            }
            EV_STW_BEGIN | EV_STW_END | EV_GC_MARK_ASSIST_BEGIN | EV_GC_MARK_ASSIST_END => {
                user(self)?;
                if self.goroutines.get(cur.g).is_none() {
                    return Err(bad(at, format_args!("the running goroutine {} to be known", cur.g)));
                }
                let (kind, st) = match ev.typ {
                    EV_STW_BEGIN => (EventKind::StwStart { reason: string(0)? }, stack(1)?),
                    EV_STW_END => (EventKind::StwEnd, StackId::NONE),
                    EV_GC_MARK_ASSIST_BEGIN => (EventKind::GcMarkAssistStart, stack(0)?),
                    _ => (EventKind::GcMarkAssistEnd, StackId::NONE),
                };
                out.push(cur.g, cur.p, st, kind);
                Ok(Some(cur))
            }
            EV_PROCS_CHANGE | EV_GO_LABEL | EV_USER_TASK_BEGIN | EV_USER_TASK_END | EV_USER_REGION_BEGIN | EV_USER_REGION_END
            | EV_USER_LOG => {
                user(self)?;
                let (kind, st) = match ev.typ {
                    EV_PROCS_CHANGE => (EventKind::ProcsChange { procs: a[0] }, stack(1)?),
                    EV_GO_LABEL => (EventKind::GoLabel { label: string(0)? }, StackId::NONE),
                    EV_USER_TASK_BEGIN => (EventKind::UserTaskBegin { task: a[0], parent: a[1], name: string(2)? }, stack(3)?),
                    EV_USER_TASK_END => (EventKind::UserTaskEnd { task: a[0] }, stack(1)?),
                    EV_USER_REGION_BEGIN => (EventKind::UserRegionBegin { task: a[0], name: string(1)? }, stack(2)?),
                    EV_USER_REGION_END => (EventKind::UserRegionEnd { task: a[0], name: string(1)? }, stack(2)?),
                    _ => (EventKind::UserLog { task: a[0], key: string(1)?, value: string(2)? }, stack(3)?),
                };
                out.push(cur.g, cur.p, st, kind);
                Ok(Some(cur))
            }
            EV_CHAN_MAKE | EV_CHAN_SEND | EV_CHAN_RECV | EV_CHAN_CLOSE => self.chan_op(at, cur, t, out),
            t => Err(TraceError::malformed(ev.offset, format_args!("an event that belongs in an event batch, found type {t}"))),
        }
    }

    /// A channel operation of the ChanOps experiment: it waits on nothing and belongs to the
    /// goroutine the M runs (none for a runtime timer's send).
    fn chan_op(&mut self, at: &At<'_>, cur: Ctx, t: &GenTables, out: &mut Out<'_>) -> Result<Option<Ctx>> {
        self.need(at, cur, Need::Must, Need::May, Need::May)?;
        let (ev, a) = (at.ev, &at.ev.args);
        let small = |i: usize, what: &str| {
            u32::try_from(a[i]).map_err(|_| TraceError::malformed(ev.offset, format_args!("{what}, found {}", a[i])))
        };
        let (kind, stack) = match ev.typ {
            EV_CHAN_MAKE => {
                let kind =
                    u8::try_from(a[2]).map_err(|_| TraceError::malformed(ev.offset, format_args!("an element kind, found {}", a[2])))?;
                let elem = ElemType { kind, size: small(3, "an element size")?, name: t.string(a[4], ev.offset)? };
                (EventKind::ChanMake { chan: a[0], cap: a[1], elem }, a[5])
            }
            EV_CHAN_SEND | EV_CHAN_RECV => {
                let flags = ChanFlags(a[3] as u8);
                let (chan, seq, value) = (a[0], a[1], a[2]);
                let kind = if ev.typ == EV_CHAN_SEND {
                    EventKind::ChanSend { chan, seq, value, flags }
                } else {
                    EventKind::ChanRecv { chan, seq, value, flags }
                };
                (kind, a[4])
            }
            _ => (EventKind::ChanClose { chan: a[0] }, a[1]),
        };
        out.push(cur.g, cur.p, t.stack(stack, ev.offset)?, kind);
        Ok(Some(cur))
    }

    /// Checks what the M is running against what the event needs.
    fn need(&self, at: &At<'_>, cur: Ctx, m: Need, p: Need, g: Need) -> Result<()> {
        let ok = |need: Need, has: bool| match need {
            Need::Must => has,
            Need::MustNot => !has,
            Need::May => true,
        };
        if !ok(m, at.slot.is_some()) {
            return Err(bad(at, "a thread"));
        }
        if !ok(p, cur.p != NO_PROC) {
            return Err(bad(at, if matches!(p, Need::Must) { "a proc" } else { "no proc" }));
        }
        if !ok(g, cur.g != NO_GOROUTINE) {
            return Err(bad(at, if matches!(g, Need::Must) { "a running goroutine" } else { "no running goroutine" }));
        }
        Ok(())
    }

    fn proc_state(&mut self, at: &At<'_>, pid: u64) -> Result<&mut PState> {
        self.procs.get_mut(pid).ok_or_else(|| bad(at, format_args!("proc {pid} to be known")))
    }

    fn proc_id(at: &At<'_>, pid: u64) -> Result<ProcId> {
        ProcId::try_from(pid).map_err(|_| TraceError::malformed(at.ev.offset, format_args!("a proc id, found {pid}")))
    }

    fn proc_status(&mut self, at: &At<'_>, cur: Ctx, out: &mut Out<'_>) -> Result<Option<Ctx>> {
        let (pid, status) = (at.ev.args[0], at.ev.args[1] as u8);
        if !(P_RUNNING..=P_SYSCALL_ABANDONED).contains(&status) || at.ev.args[1] > u64::from(P_SYSCALL_ABANDONED) {
            return Err(bad(at, format_args!("a valid proc status, found {}", at.ev.args[1])));
        }
        let proc = Self::proc_id(at, pid)?;
        let seq = Seq { gen: at.gen, n: 0 };
        match self.procs.get_mut(pid) {
            Some(s) => {
                let abandoned = status == P_SYSCALL_ABANDONED && matches!(s.status, P_SYSCALL | P_SYSCALL_ABANDONED);
                if !abandoned && s.status != status {
                    let old = s.status;
                    return Err(bad(at, format_args!("proc {pid} to keep status {old}, found {status}")));
                }
                s.seq = seq;
            }
            None => {
                self.procs.insert(pid, PState { status, seq });
                if matches!(status, P_RUNNING | P_SYSCALL) {
                    out.push(cur.g, proc, StackId::NONE, EventKind::ProcStart);
                }
            }
        }
        if matches!(status, P_RUNNING | P_SYSCALL) {
            return Ok(Some(Ctx { p: proc, ..cur }));
        }
        Ok(Some(cur))
    }

    fn proc_start(&mut self, at: &At<'_>, cur: Ctx, out: &mut Out<'_>) -> Result<Option<Ctx>> {
        let pid = at.ev.args[0];
        let seq = Seq { gen: at.gen, n: at.ev.args[1] };
        match self.procs.get(pid) {
            Some(s) if s.status == P_IDLE && seq.succeeds(s.seq) && cur.p == NO_PROC => {}
            _ => return Ok(None),
        }
        self.need(at, cur, Need::Must, Need::MustNot, Need::May)?;
        let proc = Self::proc_id(at, pid)?;
        if let Some(s) = self.procs.get_mut(pid) {
            *s = PState { status: P_RUNNING, seq };
        }
        out.push(cur.g, proc, StackId::NONE, EventKind::ProcStart);
        Ok(Some(Ctx { p: proc, ..cur }))
    }

    fn proc_stop(&mut self, at: &At<'_>, cur: Ctx, out: &mut Out<'_>) -> Result<Option<Ctx>> {
        self.need(at, cur, Need::Must, Need::Must, Need::May)?;
        match self.procs.get_mut(cur.p as u64) {
            Some(s) if matches!(s.status, P_RUNNING | P_SYSCALL) => s.status = P_IDLE,
            _ => return Err(bad(at, format_args!("its proc {} to be running", cur.p))),
        }
        out.push(cur.g, cur.p, StackId::NONE, EventKind::ProcStop);
        Ok(Some(Ctx { p: NO_PROC, ..cur }))
    }

    /// A proc taken away from an M blocked in a syscall: shown as that proc stopping.
    fn proc_steal(&mut self, at: &At<'_>, cur: Ctx, out: &mut Out<'_>) -> Result<Option<Ctx>> {
        let (pid, victim) = (at.ev.args[0], at.ev.args[2]);
        let seq = Seq { gen: at.gen, n: at.ev.args[1] };
        let old = match self.procs.get_mut(pid) {
            Some(s) if matches!(s.status, P_SYSCALL | P_SYSCALL_ABANDONED) && seq.succeeds(s.seq) => {
                let old = s.status;
                *s = PState { status: P_IDLE, seq };
                old
            }
            _ => return Ok(None),
        };
        self.need(at, cur, Need::Must, Need::May, Need::May)?;
        let proc = Self::proc_id(at, pid)?;
        if old == P_SYSCALL_ABANDONED {
            return Ok(Some(cur)); // Its stop was shown when the goroutine in the syscall ended.
        }
        out.push(cur.g, proc, StackId::NONE, EventKind::ProcStop);
        if victim == at.m {
            if cur.p != proc {
                return Err(bad(at, format_args!("its own proc to be {proc}, found {}", cur.p)));
            }
            return Ok(Some(Ctx { p: NO_PROC, ..cur }));
        }
        match self.m_slots.get(&victim).map(|&s| &mut self.ms[s]) {
            Some(ctx) if ctx.p == proc => ctx.p = NO_PROC,
            _ => return Err(bad(at, format_args!("thread {victim} to hold proc {proc}"))),
        }
        Ok(Some(cur))
    }

    /// Goroutine status announced at the start of a generation: the first announcement of a
    /// goroutine is a `GoExisting`, later ones only re-synchronize sequence numbers.
    fn go_status(&mut self, at: &At<'_>, cur: Ctx, out: &mut Out<'_>, stack: StackId) -> Result<Option<Ctx>> {
        let (gid, mid, status) = (at.ev.args[0], at.ev.args[1], at.ev.args[2]);
        if !(u64::from(G_RUNNABLE)..=u64::from(G_WAITING)).contains(&status) {
            return Err(bad(at, format_args!("a valid goroutine status, found {status}")));
        }
        let status = status as u8;
        let seq = Seq { gen: at.gen, n: 0 };
        match self.goroutines.get_mut(gid) {
            Some(s) if s.status != status => {
                let old = s.status;
                return Err(bad(at, format_args!("goroutine {gid} to keep status {old}, found {status}")));
            }
            Some(s) => s.seq = seq,
            None => {
                self.goroutines.insert(gid, GState { status, seq });
                out.push(cur.g, cur.p, stack, EventKind::GoExisting { goroutine: gid, state: status_to_state(status) });
            }
        }
        match status {
            G_RUNNING => Ok(Some(Ctx { g: gid, ..cur })),
            G_SYSCALL if mid == at.m => Ok(Some(Ctx { g: gid, ..cur })),
            G_SYSCALL => {
                if mid == NO_THREAD {
                    return Err(bad(at, format_args!("a thread for goroutine {gid} in a syscall")));
                }
                let slot = self.m_slot(mid).ok_or_else(|| bad(at, format_args!("thread {mid} to run goroutine {gid}")))?;
                let ctx = &mut self.ms[slot];
                if ctx.g == NO_GOROUTINE && ctx.p == NO_PROC {
                    ctx.g = gid;
                } else if ctx.g != gid {
                    return Err(bad(at, format_args!("thread {mid} to run goroutine {gid}")));
                }
                Ok(Some(cur))
            }
            _ => Ok(Some(cur)),
        }
    }

    fn create(&mut self, at: &At<'_>, gid: GoId, status: u8) -> Result<()> {
        if gid == NO_GOROUTINE || self.goroutines.get(gid).is_some() {
            return Err(bad(at, format_args!("goroutine {gid} not to exist yet")));
        }
        self.goroutines.insert(gid, GState { status, seq: Seq { gen: at.gen, n: 0 } });
        Ok(())
    }

    /// The running goroutine's state, which must be `status`.
    fn running_state(&mut self, at: &At<'_>, cur: Ctx, status: u8) -> Result<&mut GState> {
        match self.goroutines.get_mut(cur.g) {
            Some(s) if s.status == status => Ok(s),
            _ => Err(bad(at, format_args!("its goroutine {} in status {status}", cur.g))),
        }
    }

    fn go_start(&mut self, at: &At<'_>, cur: Ctx, out: &mut Out<'_>) -> Result<Option<Ctx>> {
        let gid = at.ev.args[0];
        let seq = Seq { gen: at.gen, n: at.ev.args[1] };
        match self.goroutines.get(gid) {
            Some(s) if s.status == G_RUNNABLE && seq.succeeds(s.seq) => {}
            _ => return Ok(None),
        }
        self.need(at, cur, Need::Must, Need::Must, Need::MustNot)?;
        if let Some(s) = self.goroutines.get_mut(gid) {
            *s = GState { status: G_RUNNING, seq };
        }
        out.push(gid, cur.p, StackId::NONE, EventKind::GoStart);
        Ok(Some(Ctx { g: gid, ..cur }))
    }

    fn go_stop(&mut self, at: &At<'_>, cur: Ctx, t: &GenTables, out: &mut Out<'_>) -> Result<Option<Ctx>> {
        self.need(at, cur, Need::Must, Need::Must, Need::Must)?;
        let ev = at.ev;
        let state = self.running_state(at, cur, G_RUNNING)?;
        let kind = match ev.typ {
            EV_GO_DESTROY => EventKind::GoEnd,
            EV_GO_STOP => {
                state.status = G_RUNNABLE;
                EventKind::GoStop { reason: t.string(ev.args[0], ev.offset)? }
            }
            _ => {
                state.status = G_WAITING;
                EventKind::GoBlock { reason: t.string(ev.args[0], ev.offset)? }
            }
        };
        let stack = if ev.typ == EV_GO_DESTROY {
            self.goroutines.remove(cur.g);
            StackId::NONE
        } else {
            t.stack(ev.args[1], ev.offset)?
        };
        out.push(cur.g, cur.p, stack, kind);
        Ok(Some(Ctx { g: NO_GOROUTINE, ..cur }))
    }

    /// A coroutine switch: the waiting `next` is unblocked, the running goroutine blocks (or
    /// ends), and `next` runs at once on the same M (the transitions Go's tool shows).
    fn go_switch(&mut self, at: &At<'_>, cur: Ctx, out: &mut Out<'_>) -> Result<Option<Ctx>> {
        self.need(at, cur, Need::Must, Need::Must, Need::Must)?;
        self.running_state(at, cur, G_RUNNING)?;
        let next = at.ev.args[0];
        let seq = Seq { gen: at.gen, n: at.ev.args[1] };
        match self.goroutines.get(next) {
            Some(s) if s.status == G_WAITING && seq.succeeds(s.seq) => {}
            _ => return Ok(None),
        }
        out.push(cur.g, cur.p, StackId::NONE, EventKind::GoUnblock { goroutine: next });
        if at.ev.typ == EV_GO_SWITCH {
            self.running_state(at, cur, G_RUNNING)?.status = G_WAITING;
            out.push(cur.g, cur.p, StackId::NONE, EventKind::GoBlock { reason: StrId(0) });
        } else {
            self.goroutines.remove(cur.g);
            out.push(cur.g, cur.p, StackId::NONE, EventKind::GoEnd);
        }
        if let Some(s) = self.goroutines.get_mut(next) {
            *s = GState { status: G_RUNNING, seq };
        }
        out.push(next, cur.p, StackId::NONE, EventKind::GoStart);
        Ok(Some(Ctx { g: next, ..cur }))
    }

    fn syscall_begin(&mut self, at: &At<'_>, cur: Ctx, out: &mut Out<'_>, stack: StackId) -> Result<Option<Ctx>> {
        self.need(at, cur, Need::Must, Need::Must, Need::Must)?;
        self.running_state(at, cur, G_RUNNING)?.status = G_SYSCALL;
        let seq = Seq { gen: at.gen, n: at.ev.args[0] };
        match self.procs.get_mut(cur.p as u64) {
            Some(p) if seq.succeeds(p.seq) => *p = PState { status: P_SYSCALL, seq },
            _ => return Err(bad(at, format_args!("proc {} with the previous sequence number", cur.p))),
        }
        out.push(cur.g, cur.p, stack, EventKind::GoSyscallBegin);
        Ok(Some(cur))
    }

    fn syscall_end(&mut self, at: &At<'_>, cur: Ctx, out: &mut Out<'_>) -> Result<Option<Ctx>> {
        self.need(at, cur, Need::Must, Need::Must, Need::Must)?;
        self.running_state(at, cur, G_SYSCALL)?.status = G_RUNNING;
        match self.procs.get_mut(cur.p as u64) {
            Some(p) if p.status == P_SYSCALL => p.status = P_RUNNING,
            _ => return Err(bad(at, format_args!("proc {} in a syscall", cur.p))),
        }
        out.push(cur.g, cur.p, StackId::NONE, EventKind::GoSyscallEnd { blocked: false });
        Ok(Some(cur))
    }

    /// The syscall outlived its proc: waits until the proc's steal was taken.
    fn syscall_end_blocked(&mut self, at: &At<'_>, cur: Ctx, out: &mut Out<'_>) -> Result<Option<Ctx>> {
        if cur.p != NO_PROC && self.proc_state(at, cur.p as u64)?.status == P_SYSCALL {
            return Ok(None);
        }
        self.need(at, cur, Need::Must, Need::May, Need::Must)?;
        self.running_state(at, cur, G_SYSCALL)?.status = G_RUNNABLE;
        out.push(cur.g, cur.p, StackId::NONE, EventKind::GoSyscallEnd { blocked: true });
        Ok(Some(Ctx { g: NO_GOROUTINE, ..cur }))
    }

    /// A goroutine that entered Go from C ends: its proc, if any, is left behind.
    fn destroy_syscall(&mut self, at: &At<'_>, cur: Ctx, out: &mut Out<'_>) -> Result<Option<Ctx>> {
        self.need(at, cur, Need::Must, Need::May, Need::Must)?;
        self.running_state(at, cur, G_SYSCALL)?;
        self.goroutines.remove(cur.g);
        let mut new = Ctx { g: NO_GOROUTINE, ..cur };
        if cur.p != NO_PROC {
            match self.procs.get_mut(cur.p as u64) {
                Some(p) if p.status == P_SYSCALL => p.status = P_SYSCALL_ABANDONED,
                _ => return Err(bad(at, format_args!("proc {} in a syscall", cur.p))),
            }
            new.p = NO_PROC;
            out.push(cur.g, cur.p, StackId::NONE, EventKind::ProcStop);
        }
        out.push(cur.g, cur.p, StackId::NONE, EventKind::GoEnd);
        Ok(Some(new))
    }

    /// GC cycles are numbered globally: each begin/end must be the next number.
    fn gc(&mut self, at: &At<'_>, cur: Ctx, out: &mut Out<'_>, t: &GenTables) -> Result<Option<Ctx>> {
        let ev = at.ev;
        let seq = ev.args[0];
        let first = self.gc == GcState::Undetermined && (ev.typ == EV_GC_BEGIN || at.gen == self.initial_gen);
        if first {
            if ev.typ == EV_GC_END {
                return Err(bad(at, "a GC cycle in progress"));
            }
            let stack = if ev.typ == EV_GC_BEGIN { t.stack(ev.args[1], ev.offset)? } else { StackId::NONE };
            self.gc_seq = seq;
            self.gc = GcState::Running;
            out.push(cur.g, cur.p, stack, EventKind::GcStart);
            return Ok(Some(cur));
        }
        if self.gc_seq.checked_add(1) != Some(seq) {
            return Ok(None);
        }
        let (expected, next) = match ev.typ {
            EV_GC_ACTIVE => (GcState::Running, GcState::Running),
            EV_GC_BEGIN => (GcState::NotRunning, GcState::Running),
            _ => (GcState::Running, GcState::NotRunning),
        };
        let valid = self.gc == expected || (ev.typ == EV_GC_BEGIN && self.gc == GcState::Undetermined);
        if !valid {
            return Err(bad(at, format_args!("the GC to be {expected:?}, found {:?}", self.gc)));
        }
        self.need(at, cur, Need::Must, Need::Must, Need::Must)?;
        self.gc_seq = seq;
        self.gc = next;
        match ev.typ {
            EV_GC_BEGIN => out.push(cur.g, cur.p, t.stack(ev.args[1], ev.offset)?, EventKind::GcStart),
            EV_GC_END => out.push(cur.g, cur.p, StackId::NONE, EventKind::GcEnd),
            _ => {}
        }
        Ok(Some(cur))
    }
}
