//! The one event vocabulary that both trace formats are translated into.
//!
//! Events are small `Copy` values so that a reader can hand out millions of them per second
//! without allocating: strings and stacks are ids into the reader's [`Tables`](super::Tables).

/// A goroutine id as the Go runtime numbers them. `0` means "no goroutine".
pub type GoId = u64;

/// A proc (P) id. `-1` means "no proc".
pub type ProcId = i64;

/// An interned string; `StrId(0)` is the empty string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StrId(pub u32);

/// An interned stack; `StackId(0)` is the empty stack (no stack recorded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StackId(pub u32);

impl StackId {
    pub const NONE: StackId = StackId(0);
}

/// One event, in the order the reader resolved for the whole trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Nanoseconds since the first event of the trace.
    pub ts: u64,
    /// The goroutine running when the event happened (0 when none, e.g. on a bare P).
    pub g: GoId,
    /// The proc the event happened on (-1 when none).
    pub p: ProcId,
    /// The stack where the event happened (`StackId::NONE` when not recorded).
    pub stack: StackId,
    pub kind: EventKind,
}

/// The state a goroutine was already in when tracing began (or when a new-format generation
/// re-announced it). Lets the model draw goroutines that existed before the trace started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GoState {
    Runnable,
    Running,
    Waiting,
    Syscall,
}

/// What happened. Arguments that name other goroutines or procs are carried here; the acting
/// goroutine and proc are on [`Event`].
///
/// `repr(u64)`: a full-width tag keeps every field 8-byte aligned. With the default one-byte
/// tag, copies of `Option<Event>` (one per event handed out) were split into misaligned pieces
/// that defeat store-to-load forwarding; this alone made `inspect` ~10% faster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum EventKind {
    /// `Event::g` created `child`; `start_stack` is where `child` will start (its function).
    GoCreate {
        child: GoId,
        start_stack: StackId,
    },
    /// `goroutine` existed before tracing started (or before a new-format generation began)
    /// and was in `state`. Not a creation.
    GoExisting {
        goroutine: GoId,
        state: GoState,
    },
    /// `Event::g` starts running on `Event::p`.
    GoStart,
    /// `Event::g` stops running but stays runnable (preempted, `runtime.Gosched`).
    GoStop {
        reason: StrId,
    },
    /// `Event::g` ends.
    GoEnd,
    /// `Event::g` blocks. `reason` is named as Go's own tool names it: "chan receive",
    /// "chan send", "select", "sync", "sync.(*Cond).Wait", "sleep", "network", …
    GoBlock {
        reason: StrId,
    },
    /// `Event::g` (0 when the unblocker is not a goroutine, e.g. the network poller or a
    /// timer) makes the blocked `goroutine` runnable again.
    GoUnblock {
        goroutine: GoId,
    },
    /// `Event::g` enters a system call.
    GoSyscallBegin,
    /// `Event::g` returns from a system call. `blocked` when the call blocked and the
    /// goroutine lost its P (it then waits to be scheduled again).
    GoSyscallEnd {
        blocked: bool,
    },
    /// `Event::p` starts running (on an OS thread).
    ProcStart,
    /// `Event::p` stops.
    ProcStop,
    /// GOMAXPROCS changed.
    ProcsChange {
        procs: u64,
    },
    GcStart,
    GcEnd,
    /// Stop-the-world began; `reason` names why ("GC mark termination", …) where known.
    StwStart {
        reason: StrId,
    },
    StwEnd,
    GcSweepStart,
    GcSweepEnd,
    GcMarkAssistStart,
    GcMarkAssistEnd,
    HeapAlloc {
        bytes: u64,
    },
    HeapGoal {
        bytes: u64,
    },
    /// `runtime/trace.NewTask`.
    UserTaskBegin {
        task: u64,
        parent: u64,
        name: StrId,
    },
    UserTaskEnd {
        task: u64,
    },
    /// `runtime/trace.StartRegion` / `WithRegion`.
    UserRegionBegin {
        task: u64,
        name: StrId,
    },
    UserRegionEnd {
        task: u64,
        name: StrId,
    },
    /// `runtime/trace.Log`.
    UserLog {
        task: u64,
        key: StrId,
        value: StrId,
    },
    /// A goroutine label was applied to `Event::g` (e.g. "GC (dedicated)").
    GoLabel {
        label: StrId,
    },
    /// Patched runtimes only: channel `chan` was made with room for `cap` values of
    /// `elem`. Channels made before tracing started have none.
    ChanMake {
        chan: u64,
        cap: u64,
        elem: ElemType,
    },
    /// Patched runtimes only: `Event::g` sent `value` on channel `chan`; `seq` pairs this
    /// send with its receive on the same channel (the runtime's per-channel count, or the
    /// operation id of Go 1.6.3).
    ChanSend {
        chan: u64,
        seq: u64,
        value: u64,
        flags: ChanFlags,
    },
    /// Patched runtimes only: `Event::g` received `value` from channel `chan` (`seq` 0 and
    /// [`ChanFlags::CLOSED`]: the zero value of a closed channel).
    ChanRecv {
        chan: u64,
        seq: u64,
        value: u64,
        flags: ChanFlags,
    },
    /// Patched runtimes only: `Event::g` closed channel `chan`.
    ChanClose {
        chan: u64,
    },
}

/// A channel's element type, as the patched runtime's `makechan` recorded it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ElemType {
    /// Go's `internal/abi.Kind` (Int=2, String=24, …); 0 when unknown.
    pub kind: u8,
    pub size: u32,
    /// The type as Go prints it (`int`, `main.ball`); `StrId(0)` when unknown.
    pub name: StrId,
}

/// How a channel operation went (the patched runtime's flag bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChanFlags(pub u8);

impl ChanFlags {
    /// A case of a `select`.
    pub const SELECT: u8 = 1;
    /// Would not block (a `select` with `default`).
    pub const NON_BLOCKING: u8 = 2;
    /// The goroutine parked until its partner completed the operation.
    pub const PARKED: u8 = 4;
    /// `value` is a string's length.
    pub const VALUE_IS_LEN: u8 = 8;
    /// The element carries no value the trace can show (bigger than 8 bytes, an interface…).
    pub const NO_VALUE: u8 = 16;
    /// A receive that got the zero value because the channel was closed.
    pub const CLOSED: u8 = 32;

    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// Every kind's name, in the order of [`EventKind::index`].
pub const KIND_NAMES: [&str; 32] = [
    "GoCreate",
    "GoExisting",
    "GoStart",
    "GoStop",
    "GoEnd",
    "GoBlock",
    "GoUnblock",
    "GoSyscallBegin",
    "GoSyscallEnd",
    "ProcStart",
    "ProcStop",
    "ProcsChange",
    "GcStart",
    "GcEnd",
    "StwStart",
    "StwEnd",
    "GcSweepStart",
    "GcSweepEnd",
    "GcMarkAssistStart",
    "GcMarkAssistEnd",
    "HeapAlloc",
    "HeapGoal",
    "UserTaskBegin",
    "UserTaskEnd",
    "UserRegionBegin",
    "UserRegionEnd",
    "UserLog",
    "GoLabel",
    "ChanSend",
    "ChanRecv",
    "ChanClose",
    "ChanMake",
];

impl EventKind {
    /// A dense number per kind, so that counting by kind is an array index.
    pub fn index(&self) -> usize {
        use EventKind::*;
        match self {
            GoCreate { .. } => 0,
            GoExisting { .. } => 1,
            GoStart => 2,
            GoStop { .. } => 3,
            GoEnd => 4,
            GoBlock { .. } => 5,
            GoUnblock { .. } => 6,
            GoSyscallBegin => 7,
            GoSyscallEnd { .. } => 8,
            ProcStart => 9,
            ProcStop => 10,
            ProcsChange { .. } => 11,
            GcStart => 12,
            GcEnd => 13,
            StwStart { .. } => 14,
            StwEnd => 15,
            GcSweepStart => 16,
            GcSweepEnd => 17,
            GcMarkAssistStart => 18,
            GcMarkAssistEnd => 19,
            HeapAlloc { .. } => 20,
            HeapGoal { .. } => 21,
            UserTaskBegin { .. } => 22,
            UserTaskEnd { .. } => 23,
            UserRegionBegin { .. } => 24,
            UserRegionEnd { .. } => 25,
            UserLog { .. } => 26,
            GoLabel { .. } => 27,
            ChanSend { .. } => 28,
            ChanRecv { .. } => 29,
            ChanClose { .. } => 30,
            ChanMake { .. } => 31,
        }
    }

    /// A short stable name, used for `inspect`'s counts by kind.
    pub fn name(&self) -> &'static str {
        KIND_NAMES[self.index()]
    }
}
