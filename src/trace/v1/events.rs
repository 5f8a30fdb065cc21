//! The old format's wire layout: event type numbers, how many arguments each type has in
//! each format version, and decoding of one raw event (type byte + varint arguments).
//!
//! Versions are the header's minor number: 5 (Go 1.5 and 1.6), 7, 8, 9, 10, 11 (Go 1.11–1.18),
//! 19 (Go 1.19/1.20), 21. The argument counts follow Go 1.21's `internal/trace/parser.go`
//! (`EventDescriptions` and `argNum`).

use crate::trace::bytes::Cursor;
use crate::trace::error::{Result, TraceError};

pub const BATCH: u8 = 1;
pub const FREQUENCY: u8 = 2;
pub const STACK: u8 = 3;
pub const GOMAXPROCS: u8 = 4;
pub const PROC_START: u8 = 5;
pub const PROC_STOP: u8 = 6;
pub const GC_START: u8 = 7;
pub const GC_DONE: u8 = 8;
pub const STW_START: u8 = 9;
pub const STW_DONE: u8 = 10;
pub const GC_SWEEP_START: u8 = 11;
pub const GC_SWEEP_DONE: u8 = 12;
pub const GO_CREATE: u8 = 13;
pub const GO_START: u8 = 14;
pub const GO_END: u8 = 15;
pub const GO_STOP: u8 = 16;
pub const GO_SCHED: u8 = 17;
pub const GO_PREEMPT: u8 = 18;
pub const GO_SLEEP: u8 = 19;
pub const GO_BLOCK: u8 = 20;
pub const GO_UNBLOCK: u8 = 21;
pub const GO_BLOCK_SEND: u8 = 22;
pub const GO_BLOCK_RECV: u8 = 23;
pub const GO_BLOCK_SELECT: u8 = 24;
pub const GO_BLOCK_SYNC: u8 = 25;
pub const GO_BLOCK_COND: u8 = 26;
pub const GO_BLOCK_NET: u8 = 27;
pub const GO_SYS_CALL: u8 = 28;
pub const GO_SYS_EXIT: u8 = 29;
pub const GO_SYS_BLOCK: u8 = 30;
pub const GO_WAITING: u8 = 31;
pub const GO_IN_SYSCALL: u8 = 32;
pub const HEAP_ALLOC: u8 = 33;
pub const HEAP_GOAL: u8 = 34;
pub const TIMER_GOROUTINE: u8 = 35;
pub const FUTILE_WAKEUP: u8 = 36;
/// Format 1.7+; in the 1.5 format (Go 1.5/1.6) type 37 is the patched runtime's GoSend.
pub const STRING: u8 = 37;
pub const GO_START_LOCAL: u8 = 38;
pub const GO_UNBLOCK_LOCAL: u8 = 39;
pub const GO_SYS_EXIT_LOCAL: u8 = 40;
pub const GO_START_LABEL: u8 = 41;
pub const GO_BLOCK_GC: u8 = 42;
pub const GC_MARK_ASSIST_START: u8 = 43;
pub const GC_MARK_ASSIST_DONE: u8 = 44;
pub const USER_TASK_CREATE: u8 = 45;
pub const USER_TASK_END: u8 = 46;
pub const USER_REGION: u8 = 47;
pub const USER_LOG: u8 = 48;
pub const CPU_SAMPLE: u8 = 49;

/// The patched Go 1.6.3 runtime's channel events (1.5 format only):
/// `[seq, ts, event id, channel id, value, stack]`.
pub const GO_SEND_PATCHED: u8 = 37;
pub const GO_RECV_PATCHED: u8 = 38;

/// Arguments of the events this reader decodes one by one (all but stacks and strings) fit
/// here: the longest is the patched GoSend/GoRecv with 6.
const MAX_ARGS: usize = 8;

/// Go refuses stacks deeper than this (`parser.go`); so do we, which bounds a stack record.
const MAX_STACK_FRAMES: u64 = 1000;

/// The first format version that has each event type (`minVersion` in Go's table), or `None`
/// for types that do not exist.
fn min_version(typ: u8, minor: u32) -> Option<u32> {
    match typ {
        BATCH..=FUTILE_WAKEUP => Some(5),
        GO_SEND_PATCHED | GO_RECV_PATCHED if minor < 7 => Some(5),
        STRING..=GO_SYS_EXIT_LOCAL => Some(7),
        GO_START_LABEL | GO_BLOCK_GC => Some(8),
        GC_MARK_ASSIST_START | GC_MARK_ASSIST_DONE => Some(9),
        USER_TASK_CREATE..=USER_LOG => Some(11),
        CPU_SAMPLE => Some(19),
        _ => None,
    }
}

/// Whether `typ` exists in format `minor`.
fn known(typ: u8, minor: u32) -> bool {
    min_version(typ, minor).is_some_and(|v| v <= minor)
}

/// Whether the event's last argument is a stack id.
fn has_stack(typ: u8, minor: u32) -> bool {
    match typ {
        GOMAXPROCS
        | GC_START
        | GC_SWEEP_START
        | GO_CREATE
        | GO_STOP
        | GO_SCHED
        | GO_PREEMPT
        | GO_SLEEP
        | GO_BLOCK
        | GO_UNBLOCK
        | GO_BLOCK_SEND..=GO_SYS_CALL
        | GO_UNBLOCK_LOCAL
        | GO_BLOCK_GC
        | GC_MARK_ASSIST_START
        | USER_TASK_CREATE..=CPU_SAMPLE => true,
        GO_SEND_PATCHED | GO_RECV_PATCHED => minor < 7,
        _ => false,
    }
}

/// The named arguments of each type in the newest format (Go's `EventDescriptions[typ].Args`
/// length), before the per-version corrections of [`arg_count`].
fn named_args(typ: u8, minor: u32) -> usize {
    match typ {
        PROC_STOP
        | GC_DONE
        | STW_DONE
        | GC_SWEEP_START
        | GO_END
        | GO_STOP
        | GO_SCHED
        | GO_PREEMPT
        | GO_SLEEP
        | GO_BLOCK
        | GO_BLOCK_SEND..=GO_SYS_CALL
        | GO_SYS_BLOCK
        | FUTILE_WAKEUP
        | GO_BLOCK_GC
        | GC_MARK_ASSIST_START
        | GC_MARK_ASSIST_DONE => 0,
        GO_SEND_PATCHED | GO_RECV_PATCHED if minor < 7 => 3,
        FREQUENCY | GOMAXPROCS | PROC_START | GC_START | STW_START | GO_WAITING | GO_IN_SYSCALL | HEAP_ALLOC | HEAP_GOAL
        | TIMER_GOROUTINE | GO_START_LOCAL | GO_UNBLOCK_LOCAL | USER_TASK_END => 1,
        BATCH | GC_SWEEP_DONE | GO_CREATE | GO_START | GO_UNBLOCK | GO_SYS_EXIT_LOCAL | USER_LOG => 2,
        GO_SYS_EXIT | GO_START_LABEL | USER_TASK_CREATE | USER_REGION | CPU_SAMPLE => 3,
        _ => 0,
    }
}

/// How many varint arguments an event of type `typ` has on the wire in format `minor`,
/// counting the timestamp (and, in the 1.5 format, the sequence number) and the stack id.
/// Not meaningful for stacks and strings, whose length varies.
fn arg_count(typ: u8, minor: u32) -> usize {
    let old = minor < 7;
    let mut n = named_args(typ, minor) + usize::from(has_stack(typ, minor));
    if matches!(typ, BATCH | FREQUENCY | TIMER_GOROUTINE) {
        // The 1.5 format had one more (unused, or the batch's sequence number).
        return n + usize::from(old);
    }
    n += 1 + usize::from(old); // timestamp, and the 1.5 format's sequence number
    match typ {
        GC_SWEEP_DONE if minor < 9 => n - 2,              // 1.9 added swept and reclaimed
        GC_START | GO_START | GO_UNBLOCK if old => n - 1, // 1.7 added the goroutine/GC seq
        STW_START if minor < 10 => n - 1,                 // 1.10 added the STW kind
        _ => n,
    }
}

/// One event as it is on the wire. `args` is only meaningful up to `len`; for strings
/// `args[0]` is the string id and `text` the string; for user logs `text` is the value.
#[derive(Clone, Copy, Debug, Default)]
pub struct Raw<'a> {
    pub typ: u8,
    /// Offset of the type byte in the file.
    pub off: usize,
    pub args: [u64; MAX_ARGS],
    pub len: usize,
    pub text: &'a [u8],
}

#[cfg(test)]
impl Raw<'_> {
    pub fn args(&self) -> &[u64] {
        &self.args[..self.len]
    }
}

/// Where an event's arguments are: inline (a count in the type byte) or behind a byte length.
#[derive(Clone, Copy)]
enum ArgLayout {
    Inline(usize),
    Sized,
}

/// What the decoder needs to know of one event type in one format version.
#[derive(Clone, Copy, Default)]
struct TypeInfo {
    known: bool,
    /// [`arg_count`]
    args: u8,
    stack: bool,
}

/// The decoder for one format version: the per-type facts above in a table, so that the
/// hot loop does one lookup per event instead of matching on type and version.
pub struct Wire {
    pub minor: u32,
    types: [TypeInfo; 64],
}

impl Wire {
    pub fn new(minor: u32) -> Self {
        let mut types = [TypeInfo::default(); 64];
        for (typ, info) in (0u8..).zip(types.iter_mut()) {
            if known(typ, minor) {
                *info = TypeInfo { known: true, args: arg_count(typ, minor) as u8, stack: has_stack(typ, minor) };
            }
        }
        Wire { minor, types }
    }

    #[inline]
    pub fn has_stack(&self, typ: u8) -> bool {
        self.types[usize::from(typ & 0x3f)].stack
    }

    /// Reads the type byte and returns the type and the argument layout. The count in the
    /// top two bits is one less than the argument count (two less in the 1.5 format), and
    /// its largest value means the arguments are prefixed by their length in bytes.
    #[inline]
    fn read_type(&self, cur: &mut Cursor<'_>) -> Result<(u8, TypeInfo, ArgLayout)> {
        let off = cur.offset();
        let b = cur.byte("an event type byte")?;
        let typ = b & 0x3f;
        let info = self.types[usize::from(typ)];
        if !info.known {
            let minor = self.minor;
            return Err(TraceError::malformed(off, format_args!("an event type of format 1.{minor}, found unknown type {typ}")));
        }
        let layout = match (b >> 6, self.minor < 7) {
            (3, _) => ArgLayout::Sized,
            (n, true) => ArgLayout::Inline(usize::from(n) + 2),
            (n, false) => ArgLayout::Inline(usize::from(n) + 1),
        };
        Ok((typ, info, layout))
    }

    /// Reads one event that is not a stack (stacks are stepped over: see
    /// [`read_stack`]) into `raw`, which the caller reuses: events are decoded in place
    /// because copying them around costs more than decoding. At most `MAX_ARGS` arguments
    /// are accepted, so a corrupt length cannot make us read an unbounded list.
    #[inline]
    pub fn read_into<'a>(&self, cur: &mut Cursor<'a>, raw: &mut Raw<'a>) -> Result<()> {
        let off = cur.offset();
        let (typ, info, layout) = self.read_type(cur)?;
        raw.typ = typ;
        raw.off = off;
        raw.len = 0;
        if typ == STRING && self.minor >= 7 {
            raw.args[0] = cur.uvarint("a string id")?;
            raw.len = 1;
            let n = cur.length("a string length")?;
            raw.text = cur.bytes(n, "a string")?;
            return Ok(());
        }
        if typ == STACK {
            return skip_args(cur, layout);
        }
        match layout {
            ArgLayout::Inline(n) => {
                for slot in raw.args.iter_mut().take(n) {
                    *slot = cur.uvarint("an event argument")?;
                }
                raw.len = n;
            }
            ArgLayout::Sized => {
                let n = cur.length("an event's byte length")?;
                let mut body = Cursor::new(cur.bytes(n, "an event's arguments")?, cur.offset() - n as usize);
                while !body.is_empty() {
                    if raw.len == MAX_ARGS {
                        return Err(TraceError::malformed(off, format_args!("at most {MAX_ARGS} arguments for event type {typ}")));
                    }
                    raw.args[raw.len] = body.uvarint("an event argument")?;
                    raw.len += 1;
                }
            }
        }
        if raw.len != usize::from(info.args) {
            let want = info.args;
            return Err(TraceError::malformed(off, format_args!("{want} arguments for event type {typ}, found {}", raw.len)));
        }
        if typ == USER_LOG {
            let n = cur.length("a log message length")?;
            raw.text = cur.bytes(n, "a log message")?;
        }
        Ok(())
    }

    /// [`Wire::read_into`] a new `Raw`.
    pub fn read<'a>(&self, cur: &mut Cursor<'a>) -> Result<Raw<'a>> {
        let mut raw = Raw::default();
        self.read_into(cur, &mut raw)?;
        Ok(raw)
    }

    /// Steps over one event without keeping its arguments (the indexing pass); the event
    /// is read and checked in full when the events are merged.
    pub fn skip(&self, cur: &mut Cursor<'_>) -> Result<u8> {
        let (typ, _, layout) = self.read_type(cur)?;
        if typ == STRING && self.minor >= 7 {
            cur.uvarint("a string id")?;
            let n = cur.length("a string length")?;
            cur.bytes(n, "a string")?;
            return Ok(typ);
        }
        skip_args(cur, layout)?;
        if typ == USER_LOG {
            let n = cur.length("a log message length")?;
            cur.bytes(n, "a log message")?;
        }
        Ok(typ)
    }
}

fn skip_args(cur: &mut Cursor<'_>, layout: ArgLayout) -> Result<()> {
    match layout {
        ArgLayout::Inline(n) => {
            for _ in 0..n {
                cur.uvarint("an event argument")?;
            }
        }
        ArgLayout::Sized => {
            let n = cur.length("an event's byte length")?;
            cur.bytes(n, "an event's arguments")?;
        }
    }
    Ok(())
}

/// One stack record: `[id, frame count, frames…]`, a frame being `pc` (1.5 format) or
/// `pc, func string id, file string id, line` (1.7+). Returns the stack id; `words`
/// receives all argument words, the frames from index 2 on.
pub fn read_stack(wire: &Wire, cur: &mut Cursor<'_>, words: &mut Vec<u64>) -> Result<u64> {
    let off = cur.offset();
    let (_, _, layout) = wire.read_type(cur)?;
    let minor = wire.minor;
    words.clear();
    match layout {
        ArgLayout::Inline(n) => {
            for _ in 0..n {
                words.push(cur.uvarint("a stack argument")?);
            }
        }
        ArgLayout::Sized => {
            let n = cur.length("a stack's byte length")?;
            let mut body = Cursor::new(cur.bytes(n, "a stack record")?, cur.offset() - n as usize);
            while !body.is_empty() {
                words.push(body.uvarint("a stack argument")?);
            }
        }
    }
    let (id, size) = match words[..] {
        [id, size, ..] => (id, size),
        _ => return Err(TraceError::malformed(off, "a stack id and frame count")),
    };
    if size > MAX_STACK_FRAMES {
        return Err(TraceError::malformed(off, format_args!("at most {MAX_STACK_FRAMES} frames in a stack, found {size}")));
    }
    let want = 2 + size * if minor < 7 { 1 } else { 4 };
    if words.len() as u64 != want {
        return Err(TraceError::malformed(off, format_args!("{want} words in a stack of {size} frames, found {}", words.len())));
    }
    Ok(id)
}

/// A batch header's `(P, ticks, seq)`: `[P, seq, ticks]` in the 1.5 format, `[P, ticks]`
/// (seq 0) in 1.7+. The argument count was checked by [`Wire::read`].
pub fn batch_header(raw: &Raw<'_>, minor: u32) -> (u64, u64, u64) {
    if minor < 7 {
        (raw.args[0], raw.args[2], raw.args[1])
    } else {
        (raw.args[0], raw.args[1], 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arg_counts_follow_go_1_21_per_version() {
        // [ts, g, stack id, stack] for GoCreate; 1.5 adds the sequence number.
        assert_eq!(arg_count(GO_CREATE, 21), 4);
        assert_eq!(arg_count(GO_CREATE, 5), 5);
        // GoStart gained a seq in 1.7: 1.5 [seq, ts, g], 1.7 [ts, g, seq].
        assert_eq!(arg_count(GO_START, 5), 3);
        assert_eq!(arg_count(GO_START, 7), 3);
        assert_eq!(arg_count(GC_SWEEP_DONE, 7), 1);
        assert_eq!(arg_count(GC_SWEEP_DONE, 9), 3);
        assert_eq!(arg_count(STW_START, 9), 1);
        assert_eq!(arg_count(STW_START, 10), 2);
        assert_eq!(arg_count(BATCH, 5), 3);
        assert_eq!(arg_count(BATCH, 7), 2);
        assert_eq!(arg_count(FREQUENCY, 5), 2);
        assert_eq!(arg_count(GO_SYS_EXIT, 5), 5);
        assert_eq!(arg_count(USER_LOG, 11), 4);
        assert_eq!(arg_count(CPU_SAMPLE, 19), 5);
        assert_eq!(arg_count(GO_SEND_PATCHED, 5), 6);
    }

    #[test]
    fn types_exist_only_from_their_version_on() {
        assert!(known(GO_SEND_PATCHED, 5));
        assert!(known(STRING, 7));
        assert!(!known(GO_START_LABEL, 7));
        assert!(known(GO_START_LABEL, 8));
        assert!(!known(CPU_SAMPLE, 11));
        assert!(!known(0, 21));
        assert!(!known(50, 21));
        assert!(!known(39, 5));
    }

    #[test]
    fn reads_inline_and_sized_events() {
        // GoCreate 1.21 with 4 args is length-prefixed: type | 3<<6, len, ts, g, stk, stk.
        let data = [GO_CREATE | 3 << 6, 4, 10, 7, 2, 3, GO_END, 5];
        let mut c = Cursor::new(&data, 100);
        let raw = Wire::new(21).read(&mut c).unwrap();
        assert_eq!((raw.typ, raw.args(), raw.off), (GO_CREATE, &[10, 7, 2, 3][..], 100));
        let raw = Wire::new(21).read(&mut c).unwrap();
        assert_eq!((raw.typ, raw.args()), (GO_END, &[5][..]));
        assert!(c.is_empty());
    }

    #[test]
    fn type_37_is_the_patched_go_send_in_format_1_5_and_a_string_later() {
        // Six arguments do not fit inline: [seq, ts, event id, channel, value, stack].
        let data = [GO_SEND_PATCHED | 3 << 6, 6, 1, 2, 41, 3, 99, 5];
        let raw = Wire::new(5).read(&mut Cursor::new(&data, 0)).unwrap();
        assert_eq!((raw.typ, raw.args()), (GO_SEND_PATCHED, &[1, 2, 41, 3, 99, 5][..]));
        let data = [STRING, 4, 2, b'h', b'i'];
        let raw = Wire::new(7).read(&mut Cursor::new(&data, 0)).unwrap();
        assert_eq!((raw.typ, raw.args(), raw.text), (STRING, &[4][..], &b"hi"[..]));
    }

    #[test]
    fn wrong_arg_counts_and_unknown_types_name_the_offset() {
        let mut c = Cursor::new(&[GO_END | 1 << 6, 5, 6], 40);
        assert!(matches!(Wire::new(21).read(&mut c), Err(TraceError::Malformed { offset: 40, .. })));
        let mut c = Cursor::new(&[60, 1], 41);
        let err = Wire::new(21).read(&mut c).unwrap_err();
        assert!(err.to_string().contains("unknown type 60"), "{err}");
    }
}
