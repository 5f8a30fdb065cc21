//! Event type numbers of the new format and how many arguments each carries, per format
//! version.
//!
//! Every event inside an event batch is a type byte followed by a timestamp delta and a
//! fixed number of uvarint arguments, so knowing the argument count of a type is all that is
//! needed to step over it. Newer formats only ever append types, which is why one numbering
//! serves every version and only the range of valid types differs.

/// The format versions (`go 1.N trace` headers) this reader accepts. Go 1.24 writes 1.23 and
/// Go 1.27 writes 1.26; no toolchain writes 1.24.
pub fn supported(minor: u32) -> bool {
    matches!(minor, 22 | 23 | 25 | 26)
}

// Structural events: they frame batches and tables, never appear among timed events.
pub const EV_EVENT_BATCH: u8 = 1;
pub const EV_STACKS: u8 = 2;
pub const EV_STACK: u8 = 3;
pub const EV_STRINGS: u8 = 4;
pub const EV_STRING: u8 = 5;
pub const EV_CPU_SAMPLES: u8 = 6;
pub const EV_CPU_SAMPLE: u8 = 7;
pub const EV_FREQUENCY: u8 = 8;

// Timed events found in event batches.
pub const EV_PROCS_CHANGE: u8 = 9;
pub const EV_PROC_START: u8 = 10;
pub const EV_PROC_STOP: u8 = 11;
pub const EV_PROC_STEAL: u8 = 12;
pub const EV_PROC_STATUS: u8 = 13;
pub const EV_GO_CREATE: u8 = 14;
pub const EV_GO_CREATE_SYSCALL: u8 = 15;
pub const EV_GO_START: u8 = 16;
pub const EV_GO_DESTROY: u8 = 17;
pub const EV_GO_DESTROY_SYSCALL: u8 = 18;
pub const EV_GO_STOP: u8 = 19;
pub const EV_GO_BLOCK: u8 = 20;
pub const EV_GO_UNBLOCK: u8 = 21;
pub const EV_GO_SYSCALL_BEGIN: u8 = 22;
pub const EV_GO_SYSCALL_END: u8 = 23;
pub const EV_GO_SYSCALL_END_BLOCKED: u8 = 24;
pub const EV_GO_STATUS: u8 = 25;
pub const EV_STW_BEGIN: u8 = 26;
pub const EV_STW_END: u8 = 27;
pub const EV_GC_ACTIVE: u8 = 28;
pub const EV_GC_BEGIN: u8 = 29;
pub const EV_GC_END: u8 = 30;
pub const EV_GC_SWEEP_ACTIVE: u8 = 31;
pub const EV_GC_SWEEP_BEGIN: u8 = 32;
pub const EV_GC_SWEEP_END: u8 = 33;
pub const EV_GC_MARK_ASSIST_ACTIVE: u8 = 34;
pub const EV_GC_MARK_ASSIST_BEGIN: u8 = 35;
pub const EV_GC_MARK_ASSIST_END: u8 = 36;
pub const EV_HEAP_ALLOC: u8 = 37;
pub const EV_HEAP_GOAL: u8 = 38;
pub const EV_GO_LABEL: u8 = 39;
pub const EV_USER_TASK_BEGIN: u8 = 40;
pub const EV_USER_TASK_END: u8 = 41;
pub const EV_USER_REGION_BEGIN: u8 = 42;
pub const EV_USER_REGION_END: u8 = 43;
pub const EV_USER_LOG: u8 = 44;
// Go 1.23+ (format 1.23).
pub const EV_GO_SWITCH: u8 = 45;
pub const EV_GO_SWITCH_DESTROY: u8 = 46;
pub const EV_GO_CREATE_BLOCKED: u8 = 47;
pub const EV_GO_STATUS_STACK: u8 = 48;
pub const EV_EXPERIMENTAL_BATCH: u8 = 49;
// Go 1.25+ (format 1.25).
pub const EV_SYNC: u8 = 50;
pub const EV_CLOCK_SNAPSHOT: u8 = 51;
// Go 1.26+ (format 1.26).
pub const EV_END_OF_GENERATION: u8 = 52;

/// Experimental event types start above this; they belong to an experiment (e.g. AllocFree,
/// format 1.23+). Only gotrace's own ChanOps experiment carries something this tool shows.
const MAX_EVENT: u8 = 127;

/// The ChanOps experiment of gotrace's patched runtimes (`GODEBUG=tracechanops=1`), after
/// AllocFree's nine types; its events may also come in experimental batches of its own.
pub const CHAN_OPS_EXPERIMENT: u8 = 2;
pub const EV_CHAN_MAKE: u8 = 137;
pub const EV_CHAN_SEND: u8 = 138;
pub const EV_CHAN_RECV: u8 = 139;
pub const EV_CHAN_CLOSE: u8 = 140;

/// Argument counts (timestamp delta included) of ChanMake, ChanSend, ChanRecv, ChanClose:
/// `[dt, chan, cap, elemkind, elemsize, elemtype string, stack]`,
/// `[dt, chan, seq, value, flags, stack]` (twice), `[dt, chan, stack]`.
const CHAN_OPS_ARGS: [u8; 4] = [7, 6, 6, 3];
const CHAN_OPS_NAMES: [&str; 4] = ["ChanMake", "ChanSend", "ChanRecv", "ChanClose"];

/// The most arguments (timestamp delta included) any timed event has.
pub const MAX_ARGS: usize = 7;

/// Argument counts (timestamp delta included) of the timed events, starting at
/// `EV_PROCS_CHANGE`; the last four are format 1.23+.
const TIMED_ARGS: [u8; 40] = [
    3, // ProcsChange: dt, procs, stack
    3, // ProcStart: dt, p, p_seq
    1, // ProcStop: dt
    4, // ProcSteal: dt, p, p_seq, m
    3, // ProcStatus: dt, p, status
    4, // GoCreate: dt, new_g, new_stack, stack
    2, // GoCreateSyscall: dt, new_g
    3, // GoStart: dt, g, g_seq
    1, // GoDestroy: dt
    1, // GoDestroySyscall: dt
    3, // GoStop: dt, reason string, stack
    3, // GoBlock: dt, reason string, stack
    4, // GoUnblock: dt, g, g_seq, stack
    3, // GoSyscallBegin: dt, p_seq, stack
    1, // GoSyscallEnd: dt
    1, // GoSyscallEndBlocked: dt
    4, // GoStatus: dt, g, m, status
    3, // STWBegin: dt, kind string, stack
    1, // STWEnd: dt
    2, // GCActive: dt, gc_seq
    3, // GCBegin: dt, gc_seq, stack
    2, // GCEnd: dt, gc_seq
    2, // GCSweepActive: dt, p
    2, // GCSweepBegin: dt, stack
    3, // GCSweepEnd: dt, swept, reclaimed
    2, // GCMarkAssistActive: dt, g
    2, // GCMarkAssistBegin: dt, stack
    1, // GCMarkAssistEnd: dt
    2, // HeapAlloc: dt, bytes
    2, // HeapGoal: dt, bytes
    2, // GoLabel: dt, label string
    5, // UserTaskBegin: dt, task, parent, name string, stack
    3, // UserTaskEnd: dt, task, stack
    4, // UserRegionBegin: dt, task, name string, stack
    4, // UserRegionEnd: dt, task, name string, stack
    5, // UserLog: dt, task, key string, value string, stack
    3, // GoSwitch: dt, g, g_seq
    3, // GoSwitchDestroy: dt, g, g_seq
    4, // GoCreateBlocked: dt, new_g, new_stack, stack
    5, // GoStatusStack: dt, g, m, status, stack
];

/// Names of the timed events, as Go's tool prints them, for error messages.
const TIMED_NAMES: [&str; 40] = [
    "ProcsChange",
    "ProcStart",
    "ProcStop",
    "ProcSteal",
    "ProcStatus",
    "GoCreate",
    "GoCreateSyscall",
    "GoStart",
    "GoDestroy",
    "GoDestroySyscall",
    "GoStop",
    "GoBlock",
    "GoUnblock",
    "GoSyscallBegin",
    "GoSyscallEnd",
    "GoSyscallEndBlocked",
    "GoStatus",
    "STWBegin",
    "STWEnd",
    "GCActive",
    "GCBegin",
    "GCEnd",
    "GCSweepActive",
    "GCSweepBegin",
    "GCSweepEnd",
    "GCMarkAssistActive",
    "GCMarkAssistBegin",
    "GCMarkAssistEnd",
    "HeapAlloc",
    "HeapGoal",
    "GoLabel",
    "UserTaskBegin",
    "UserTaskEnd",
    "UserRegionBegin",
    "UserRegionEnd",
    "UserLog",
    "GoSwitch",
    "GoSwitchDestroy",
    "GoCreateBlocked",
    "GoStatusStack",
];

/// The name of a timed event type, for error messages.
pub fn name(typ: u8) -> &'static str {
    let timed = typ.checked_sub(EV_PROCS_CHANGE).and_then(|i| TIMED_NAMES.get(i as usize));
    let chan_ops = || typ.checked_sub(EV_CHAN_MAKE).and_then(|i| CHAN_OPS_NAMES.get(i as usize));
    timed.or_else(chan_ops).copied().unwrap_or("event")
}

/// Argument counts of the AllocFree experiment's events (format 1.23+), from 128 on:
/// Span, SpanAlloc, SpanFree, HeapObject, HeapObjectAlloc, HeapObjectFree, GoroutineStack,
/// GoroutineStackAlloc, GoroutineStackFree.
const ALLOC_FREE_ARGS: [u8; 9] = [4, 4, 2, 3, 3, 2, 3, 3, 2];

/// What a type byte inside an event batch means for one format version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Not an event of this version.
    Invalid,
    /// A timed event with this many arguments (timestamp delta included).
    Timed(u8),
    /// An event of a known experiment, with this many arguments; it is stepped over.
    Experimental(u8),
    /// An experimental type this reader does not know: its size cannot be determined.
    UnknownExperimental,
}

/// The meaning of every type byte for one format version, looked up once per event.
#[derive(Clone, Debug)]
pub struct EventTable {
    kinds: [Kind; 256],
}

impl EventTable {
    pub fn new(minor: u32) -> EventTable {
        let mut kinds = [Kind::Invalid; 256];
        let last_timed = if minor >= 23 { EV_GO_STATUS_STACK } else { EV_USER_LOG };
        for typ in EV_PROCS_CHANGE..=last_timed {
            kinds[typ as usize] = Kind::Timed(TIMED_ARGS[(typ - EV_PROCS_CHANGE) as usize]);
        }
        if minor >= 23 {
            for typ in MAX_EVENT + 1..=u8::MAX {
                kinds[typ as usize] = Kind::UnknownExperimental;
            }
            for (i, &n) in ALLOC_FREE_ARGS.iter().enumerate() {
                kinds[MAX_EVENT as usize + 1 + i] = Kind::Experimental(n);
            }
            for (i, &n) in CHAN_OPS_ARGS.iter().enumerate() {
                kinds[EV_CHAN_MAKE as usize + i] = Kind::Timed(n);
            }
        }
        EventTable { kinds }
    }

    #[inline]
    pub fn kind(&self, typ: u8) -> Kind {
        self.kinds[typ as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_differ_only_in_the_range_of_types() {
        let v22 = EventTable::new(22);
        let v26 = EventTable::new(26);
        assert_eq!(v22.kind(EV_USER_LOG), Kind::Timed(5));
        assert_eq!(v22.kind(EV_GO_SWITCH), Kind::Invalid);
        assert_eq!(v22.kind(128), Kind::Invalid);
        assert_eq!(v26.kind(EV_GO_STATUS_STACK), Kind::Timed(5));
        assert_eq!(v26.kind(EV_EXPERIMENTAL_BATCH), Kind::Invalid);
        assert_eq!(v26.kind(130), Kind::Experimental(2));
        assert_eq!(v26.kind(200), Kind::UnknownExperimental);
        assert_eq!(v22.kind(EV_CHAN_SEND), Kind::Invalid);
        assert_eq!(v26.kind(EV_CHAN_MAKE), Kind::Timed(7));
        assert_eq!(v26.kind(EV_CHAN_CLOSE), Kind::Timed(3));
        assert_eq!(v26.kind(EV_CHAN_CLOSE + 1), Kind::UnknownExperimental);
        assert_eq!((name(EV_CHAN_RECV), name(EV_GO_STATUS_STACK)), ("ChanRecv", "GoStatusStack"));
        assert!(TIMED_ARGS.iter().chain(&CHAN_OPS_ARGS).all(|&n| (n as usize) <= MAX_ARGS));
    }
}
