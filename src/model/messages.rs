//! Messages between goroutines: exact ones from patched runtimes that record every channel
//! operation, and ones inferred from how stock runtimes block and unblock goroutines.

use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize};

use super::channels::format_value;
use super::segments::{Current, State};
use super::stacks::StackRef;
use crate::trace::{ChanFlags, Event, GoId, InternedFrame, StackId, StrId, Tables};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    /// A value handed over a channel.
    Chan,
    /// A value handed over a channel inside a `select`.
    Select,
    /// A receiver woken by `close`.
    Close,
    /// A goroutine woken through a lock, `sync.Cond` or `WaitGroup`.
    Sync,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub from: GoId,
    pub to: GoId,
    pub send_ns: u64,
    pub recv_ns: u64,
    pub kind: MessageKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<u64>,
    /// The value's bits as the runtime recorded them (see `value_text` for how it reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    /// The value as Go would print it, by the channel's element kind: `-1`, `2.5`, `true`,
    /// `0xc000012345` (pointers), `len=5` (strings). Patched runtimes only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_text: Option<String>,
    /// The sender's side: where the value was sent, the channel closed or the lock released
    /// (an index into `Model::stacks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<StackRef>,
}

/// Where the messages come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelTruth {
    /// A patched runtime recorded every channel operation.
    Exact,
    /// Reconstructed from how goroutines blocked and were woken.
    Inferred,
}

/// One half of an exact hand-off, waiting for its other half.
struct Half {
    g: GoId,
    ts: u64,
    value: u64,
    flags: ChanFlags,
    stack: Option<StackRef>,
}

impl Half {
    fn of(ev: &Event, value: u64, flags: ChanFlags) -> Half {
        Half { g: ev.g, ts: ev.ts, value, flags, stack: StackRef::of(ev.stack) }
    }
}

#[derive(Default)]
pub struct Matcher {
    sources: SourceLines,
    sends: HashMap<(u64, u64), Half>,
    recvs: HashMap<(u64, u64), Half>,
    /// The close of each closed channel, for the receives that see it.
    closes: HashMap<u64, Half>,
    /// Whether a patched runtime recorded channel operations.
    saw_exact: bool,
    /// Receives of the zero value of a channel closed before tracing started.
    closed_unseen: u64,
    unattributed: u64,
}

/// Whether a message belongs in a trace of `truth`: a patched runtime saw every channel
/// operation, so messages inferred from how it woke goroutines on channels would repeat
/// them; wake-ups through locks and conds are only ever inferred.
pub fn kept(kind: MessageKind, inferred: bool, truth: ChannelTruth) -> bool {
    !inferred || truth == ChannelTruth::Inferred || kind == MessageKind::Sync
}

/// Orders messages by send time, as the model and the level of detail keep them.
pub fn order(messages: &mut [Message]) {
    // Stable sort: they come nearly in order (by wake-up time), which it runs through fast.
    messages.sort_by_key(|m| (m.send_ns, m.recv_ns, m.from, m.to));
}

/// Which way a value went when a goroutine blocked in a channel operation was woken.
enum Direction {
    /// The unblocker sent to the blocked goroutine.
    ToBlocked,
    /// The blocked goroutine had sent; the unblocker received.
    FromBlocked,
    /// The unblocker closed the channel.
    Closed,
}

/// Reads Go source files (the runtime's and the program's) at the lines a waker's stack names:
/// the trace keeps the line, not what was done there. Files are read once; a missing file
/// tells nothing.
#[derive(Default)]
pub struct SourceLines {
    files: HashMap<StrId, Option<Vec<String>>>,
}

impl SourceLines {
    /// The source text at `frame`, without its indentation.
    fn at(&mut self, tables: &Tables, frame: &InternedFrame) -> Option<&str> {
        let lines = self
            .files
            .entry(frame.file)
            .or_insert_with(|| std::fs::read_to_string(tables.str(frame.file)).ok().map(|t| t.lines().map(str::to_string).collect()));
        Some(lines.as_ref()?.get((frame.line as usize).checked_sub(1)?)?.trim_start())
    }

    /// What `runtime.selectgo` did at `frame`: it hands a value over by calling `send(…)` or
    /// `recv(…)`, one line each, and the trace keeps no frame below it.
    fn select_call(&mut self, tables: &Tables, frame: &InternedFrame) -> Option<Direction> {
        let line = self.at(tables, frame)?;
        if line.starts_with("send(") {
            Some(Direction::ToBlocked)
        } else if line.starts_with("recv(") {
            Some(Direction::FromBlocked)
        } else {
            None
        }
    }

    /// Whether a stock trace's waker, with `stack`, woke a goroutine blocked on a channel by
    /// closing it. The tracer's skip count drops `runtime.closechan` from a close's stack,
    /// while a send or receive keeps a runtime frame (`chansend1`, `selectgo`, …): a stack that
    /// starts outside the runtime is a close, unless the source line there, when the file is
    /// at hand, says otherwise.
    pub fn woke_by_close(&mut self, tables: &Tables, stack: StackId) -> bool {
        let Some(first) = tables.stack(stack).first() else { return false };
        if tables.str(first.func).starts_with("runtime.") {
            return false;
        }
        self.at(tables, first).is_none_or(|line| line.contains("close("))
    }
}

/// The block reasons that a `close` of the channel ends.
pub fn closable(reason: &str) -> bool {
    matches!(reason, "chan receive" | "select")
}

impl Matcher {
    /// `ev` (a GoUnblock by `ev.g`) woke `target`, which was `blocked`: the message that
    /// inferred, if any.
    #[must_use]
    pub fn unblocked(&mut self, tables: &Tables, ev: &Event, target: GoId, blocked: Option<Current<'_>>) -> Option<Message> {
        let blocked = blocked.filter(|b| b.state == State::Blocked)?;
        let (kind, direction) = match blocked.reason.unwrap_or("") {
            "chan receive" => match self.unblocker_direction(tables, ev) {
                Some(Direction::Closed) => (MessageKind::Close, Some(Direction::Closed)),
                _ => (MessageKind::Chan, Some(Direction::ToBlocked)),
            },
            "chan send" => (MessageKind::Chan, Some(Direction::FromBlocked)),
            "select" => match self.unblocker_direction(tables, ev) {
                Some(Direction::Closed) => (MessageKind::Close, Some(Direction::Closed)),
                direction => (MessageKind::Select, direction),
            },
            "sync" | "sync.(*Cond).Wait" => (MessageKind::Sync, Some(Direction::ToBlocked)),
            _ => return None,
        };
        let (from, to, send_ns, stack) = match direction {
            _ if ev.g == 0 || ev.g == target => {
                self.unattributed += 1;
                return None;
            }
            Some(Direction::ToBlocked | Direction::Closed) => (ev.g, target, ev.ts, StackRef::of(ev.stack)),
            Some(Direction::FromBlocked) => (target, ev.g, blocked.since, blocked.stack),
            None => {
                self.unattributed += 1;
                return None;
            }
        };
        Some(Message { from, to, send_ns, recv_ns: ev.ts, kind, channel: None, value: None, value_text: None, stack })
    }

    /// Whether one side of a recorded channel operation in `span` still waits for its other
    /// side: the message it makes would be sent in `span`.
    pub fn unmatched_in(&self, span: &std::ops::Range<u64>) -> bool {
        self.sends.values().chain(self.recvs.values()).any(|h| span.contains(&h.ts))
    }

    /// In stock traces the waker's stack is the only sign of what it did to the channel:
    /// a close (see `SourceLines::woke_by_close`), else the innermost channel operation on it.
    fn unblocker_direction(&mut self, tables: &Tables, ev: &Event) -> Option<Direction> {
        if self.sources.woke_by_close(tables, ev.stack) {
            return Some(Direction::Closed);
        }
        for frame in tables.stack(ev.stack) {
            let direction = match tables.str(frame.func) {
                "runtime.closechan" => Some(Direction::Closed),
                "runtime.chansend" | "runtime.chansend1" | "runtime.selectnbsend" | "runtime.send" => Some(Direction::ToBlocked),
                "runtime.chanrecv" | "runtime.chanrecv1" | "runtime.chanrecv2" | "runtime.selectnbrecv" | "runtime.recv" => {
                    Some(Direction::FromBlocked)
                }
                "runtime.selectgo" => self.sources.select_call(tables, frame),
                _ => continue,
            };
            return direction;
        }
        None
    }

    /// A send on `chan` whose element kind is `kind`: paired with its receive by
    /// (channel, seq), whichever of the two the trace has first. The message, once both are in.
    #[must_use]
    pub fn exact_send(&mut self, ev: &Event, chan: u64, seq: u64, value: u64, flags: ChanFlags, kind: u8) -> Option<Message> {
        self.saw_exact = true;
        let half = Half::of(ev, value, flags);
        match self.recvs.remove(&(chan, seq)) {
            Some(recv) => Some(exact_message(chan, kind, &half, &recv)),
            None => {
                self.sends.insert((chan, seq), half);
                None
            }
        }
    }

    /// A receive; one of a closed channel's zero values is a message from the closer.
    #[must_use]
    pub fn exact_recv(&mut self, ev: &Event, chan: u64, seq: u64, value: u64, flags: ChanFlags, kind: u8) -> Option<Message> {
        self.saw_exact = true;
        let half = Half::of(ev, value, flags);
        if flags.has(ChanFlags::CLOSED) {
            let Some(close) = self.closes.get(&chan) else {
                // Closed before tracing started.
                self.closed_unseen += 1;
                return None;
            };
            return Some(Message { kind: MessageKind::Close, value: None, value_text: None, ..exact_message(chan, kind, close, &half) });
        }
        match self.sends.remove(&(chan, seq)) {
            Some(send) => Some(exact_message(chan, kind, &send, &half)),
            None => {
                self.recvs.insert((chan, seq), half);
                None
            }
        }
    }

    pub fn exact_close(&mut self, ev: &Event, chan: u64) {
        self.saw_exact = true;
        self.closes.insert(chan, Half::of(ev, 0, ChanFlags::default()));
    }

    /// The channel truth, and how many hand-offs could not be attributed (in an exact trace:
    /// operations whose other half the trace does not have).
    pub fn finish(self) -> (ChannelTruth, u64) {
        if self.saw_exact {
            (ChannelTruth::Exact, (self.sends.len() + self.recvs.len()) as u64 + self.closed_unseen)
        } else {
            (ChannelTruth::Inferred, self.unattributed)
        }
    }
}

/// The message of a send and its receive (or of a close and a receive that saw it).
fn exact_message(chan: u64, kind: u8, send: &Half, recv: &Half) -> Message {
    // The receiver's copy stands in when the sender's side recorded none.
    let (value, flags) = if send.flags.has(ChanFlags::NO_VALUE) { (recv.value, recv.flags) } else { (send.value, send.flags) };
    let value_text = format_value(kind, value, flags);
    let in_select = (send.flags.0 | recv.flags.0) & ChanFlags::SELECT != 0;
    Message {
        from: send.g,
        to: recv.g,
        // A sender that parked records its send when it runs again, after the receiver took
        // the value: the value left it at the hand-off, so no arrow goes back in time.
        send_ns: send.ts.min(recv.ts),
        recv_ns: recv.ts,
        kind: if in_select { MessageKind::Select } else { MessageKind::Chan },
        channel: Some(chan),
        value: value_text.as_ref().map(|_| value),
        value_text,
        stack: send.stack,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{EventKind, InternedFrame};

    const INT: u8 = 2;

    fn unblock(tables: &mut Tables, g: GoId, ts: u64, func: &str) -> Event {
        let f = tables.intern_str(func);
        let stack = tables.intern_stack(&[InternedFrame { pc: 1, func: f, file: Default::default(), line: 1 }]);
        Event { ts, g, p: 0, stack, kind: EventKind::GoUnblock { goroutine: 9 } }
    }

    fn blocked(reason: &str, since: u64) -> Option<Current<'_>> {
        Some(Current { state: State::Blocked, reason: Some(reason), stack: StackRef::of(StackId(99)), since })
    }

    #[test]
    fn a_woken_receiver_got_a_value_from_its_waker() {
        let mut tables = Tables::default();
        let mut m = Matcher::default();
        let mut msgs = Vec::new();
        let ev = unblock(&mut tables, 7, 100, "runtime.chansend1");
        msgs.extend(m.unblocked(&tables, &ev, 9, blocked("chan receive", 40)));
        let (truth, unattributed) = m.finish();
        order(&mut msgs);
        assert_eq!((msgs[0].from, msgs[0].to, msgs[0].send_ns, msgs[0].kind), (7, 9, 100, MessageKind::Chan));
        assert_eq!(msgs[0].stack, StackRef::of(ev.stack), "sent where the waker stood");
        assert_eq!((truth, unattributed), (ChannelTruth::Inferred, 0));
    }

    #[test]
    fn a_woken_sender_gave_its_value_to_its_waker() {
        let mut tables = Tables::default();
        let mut m = Matcher::default();
        let mut msgs = Vec::new();
        let ev = unblock(&mut tables, 7, 100, "runtime.chanrecv1");
        msgs.extend(m.unblocked(&tables, &ev, 9, blocked("chan send", 40)));
        assert_eq!((msgs[0].from, msgs[0].to, msgs[0].send_ns, msgs[0].recv_ns), (9, 7, 40, 100));
        assert_eq!(msgs[0].stack, StackRef::of(StackId(99)), "sent where the woken sender blocked");
    }

    #[test]
    fn select_direction_comes_from_the_wakers_stack() {
        let mut tables = Tables::default();
        let mut m = Matcher::default();
        let mut msgs = Vec::new();
        let recv = unblock(&mut tables, 7, 100, "runtime.chanrecv2");
        msgs.extend(m.unblocked(&tables, &recv, 9, blocked("select", 10)));
        let unknown = unblock(&mut tables, 7, 200, "runtime.goready");
        msgs.extend(m.unblocked(&tables, &unknown, 9, blocked("select", 150)));
        let (_, unattributed) = m.finish();
        order(&mut msgs);
        assert_eq!((msgs[0].from, msgs[0].to, msgs[0].kind), (9, 7, MessageKind::Select));
        assert_eq!(unattributed, 1);
    }

    #[test]
    fn a_select_in_the_waker_is_read_from_the_runtime_source() {
        let dir = tempfile::tempdir().unwrap();
        let select_go = dir.path().join("select.go");
        std::fs::write(&select_go, "func selectgo() {\n\trecv(c, sg, cas.elem, nil, 2)\n\tsend(c, sg, cas.elem, nil, 2)\n}\n").unwrap();
        let mut tables = Tables::default();
        let func = tables.intern_str("runtime.selectgo");
        let file = tables.intern_str(select_go.to_str().unwrap());
        let mut waker = |line| {
            let stack = tables.intern_stack(&[InternedFrame { pc: 1, func, file, line }]);
            Event { ts: 100, g: 7, p: 0, stack, kind: EventKind::GoUnblock { goroutine: 9 } }
        };
        let (sent, received, other) = (waker(3), waker(2), waker(4));
        let mut m = Matcher::default();
        let mut msgs = Vec::new();
        msgs.extend(m.unblocked(&tables, &sent, 9, blocked("select", 10)));
        msgs.extend(m.unblocked(&tables, &received, 9, blocked("select", 20)));
        msgs.extend(m.unblocked(&tables, &other, 9, blocked("select", 30)));
        let (_, unattributed) = m.finish();
        order(&mut msgs);
        let got: Vec<_> = msgs.iter().map(|m| (m.from, m.to)).collect();
        assert_eq!(got, vec![(9, 7), (7, 9)]);
        assert_eq!(unattributed, 1);
    }

    #[test]
    fn a_waker_stack_that_starts_outside_the_runtime_is_a_close() {
        let dir = tempfile::tempdir().unwrap();
        let main_go = dir.path().join("main.go");
        std::fs::write(&main_go, "func main() {\n\tclose(table)\n\ttable <- 1\n}\n").unwrap();
        let mut tables = Tables::default();
        let func = tables.intern_str("main.main");
        let file = tables.intern_str(main_go.to_str().unwrap());
        let missing = tables.intern_str("/nonexistent/main.go");
        let mut waker = |file, line, ts| {
            let stack = tables.intern_stack(&[InternedFrame { pc: 1, func, file, line }]);
            Event { ts, g: 7, p: 0, stack, kind: EventKind::GoUnblock { goroutine: 9 } }
        };
        let (closed, in_select, unread, not_close) =
            (waker(file, 2, 100), waker(file, 2, 200), waker(missing, 5, 300), waker(file, 3, 400));
        let mut m = Matcher::default();
        let mut msgs = Vec::new();
        msgs.extend(m.unblocked(&tables, &closed, 9, blocked("chan receive", 10)));
        msgs.extend(m.unblocked(&tables, &in_select, 9, blocked("select", 150)));
        msgs.extend(m.unblocked(&tables, &unread, 9, blocked("chan receive", 250)));
        msgs.extend(m.unblocked(&tables, &not_close, 9, blocked("chan receive", 350)));
        let kinds: Vec<_> = msgs.iter().map(|m| m.kind).collect();
        use MessageKind::{Chan, Close};
        assert_eq!(kinds, vec![Close, Close, Close, Chan], "a source line without close( is not a close");
        assert_eq!((msgs[1].from, msgs[1].to), (7, 9), "the closer woke the selecting goroutine");
    }

    #[test]
    fn exact_halves_pair_by_channel_and_operation_in_either_order() {
        let mut m = Matcher::default();
        let mut msgs = Vec::new();
        let ev = |g, ts| Event { ts, g, p: 0, stack: StackId(g as u32), kind: EventKind::GoStart };
        let none = ChanFlags::default();
        // A receive the trace has before its send (timestamps do not order them).
        msgs.extend(m.exact_recv(&ev(2, 10), 5, 1, 42, none, INT));
        msgs.extend(m.exact_send(&ev(1, 11), 5, 1, 42, none, INT));
        msgs.extend(m.exact_send(&ev(1, 20), 5, 2, 43, none, INT));
        let (truth, unpaired) = m.finish();
        order(&mut msgs);
        assert_eq!(msgs.len(), 1);
        assert_eq!((msgs[0].from, msgs[0].to, msgs[0].channel, msgs[0].value), (1, 2, Some(5), Some(42)));
        assert_eq!(msgs[0].value_text.as_deref(), Some("42"));
        assert_eq!(msgs[0].stack, StackRef::of(StackId(1)), "the sender's stack");
        assert_eq!((truth, unpaired), (ChannelTruth::Exact, 1));
    }

    #[test]
    fn buffered_values_pair_by_sequence_not_by_time_and_keep_both_times() {
        let mut m = Matcher::default();
        let mut msgs = Vec::new();
        let ev = |g, ts| Event { ts, g, p: 0, stack: StackId::NONE, kind: EventKind::GoStart };
        let none = ChanFlags::default();
        for seq in 1..=3 {
            msgs.extend(m.exact_send(&ev(1, seq * 10), 7, seq, u64::MAX - seq + 1, none, INT));
        }
        // Taken out later, the last one inside a select.
        msgs.extend(m.exact_recv(&ev(2, 100), 7, 1, 0, none, INT));
        msgs.extend(m.exact_recv(&ev(2, 110), 7, 2, 0, none, INT));
        msgs.extend(m.exact_recv(&ev(2, 120), 7, 3, 0, ChanFlags(ChanFlags::SELECT), INT));
        let (_, unpaired) = m.finish();
        order(&mut msgs);
        let got: Vec<_> = msgs.iter().map(|m| (m.send_ns, m.recv_ns, m.value_text.clone().unwrap(), m.kind)).collect();
        assert_eq!(
            got,
            vec![
                (10, 100, "-1".to_string(), MessageKind::Chan),
                (20, 110, "-2".to_string(), MessageKind::Chan),
                (30, 120, "-3".to_string(), MessageKind::Select)
            ]
        );
        assert_eq!(unpaired, 0);
    }

    #[test]
    fn a_receive_of_a_closed_channel_is_a_close_message_from_the_closer() {
        let mut m = Matcher::default();
        let mut msgs = Vec::new();
        let ev = |g, ts| Event { ts, g, p: 0, stack: StackId::NONE, kind: EventKind::GoStart };
        let closed = ChanFlags(ChanFlags::CLOSED);
        msgs.extend(m.exact_recv(&ev(3, 5), 8, 0, 0, closed, INT));
        m.exact_close(&ev(1, 10), 9);
        msgs.extend(m.exact_recv(&ev(2, 12), 9, 0, 0, closed, INT));
        let (truth, unpaired) = m.finish();
        order(&mut msgs);
        assert_eq!(msgs.len(), 1);
        assert_eq!((msgs[0].from, msgs[0].to, msgs[0].kind, msgs[0].channel, msgs[0].value), (1, 2, MessageKind::Close, Some(9), None));
        assert_eq!((truth, unpaired), (ChannelTruth::Exact, 1), "channel 8 was closed before the trace");
    }
}
