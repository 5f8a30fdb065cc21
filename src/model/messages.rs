//! Messages between goroutines: exact ones from patched runtimes that record every channel
//! operation, and ones inferred from how stock runtimes block and unblock goroutines.

use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize};

use super::segments::{Current, State};
use super::stacks::StackRef;
use crate::trace::{Event, Frame, GoId, StackId, StrId, Tables};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
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
    stack: Option<StackRef>,
}

#[derive(Default)]
pub struct Matcher {
    inferred: Vec<Message>,
    exact: Vec<Message>,
    sources: SourceLines,
    sends: HashMap<(u64, u64), Half>,
    recvs: HashMap<(u64, u64), Half>,
    unattributed: u64,
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
    fn at(&mut self, tables: &Tables, frame: &Frame) -> Option<&str> {
        let lines = self
            .files
            .entry(frame.file)
            .or_insert_with(|| std::fs::read_to_string(tables.str(frame.file)).ok().map(|t| t.lines().map(str::to_string).collect()));
        Some(lines.as_ref()?.get((frame.line as usize).checked_sub(1)?)?.trim_start())
    }

    /// What `runtime.selectgo` did at `frame`: it hands a value over by calling `send(…)` or
    /// `recv(…)`, one line each, and the trace keeps no frame below it.
    fn select_call(&mut self, tables: &Tables, frame: &Frame) -> Option<Direction> {
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
    /// `ev` (a GoUnblock by `ev.g`) woke `target`, which was `blocked`.
    pub fn unblocked(&mut self, tables: &Tables, ev: &Event, target: GoId, blocked: Option<Current<'_>>) {
        let Some(blocked) = blocked.filter(|b| b.state == State::Blocked) else { return };
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
            _ => return,
        };
        let (from, to, send_ns, stack) = match direction {
            _ if ev.g == 0 || ev.g == target => {
                self.unattributed += 1;
                return;
            }
            Some(Direction::ToBlocked | Direction::Closed) => (ev.g, target, ev.ts, StackRef::of(ev.stack)),
            Some(Direction::FromBlocked) => (target, ev.g, blocked.since, blocked.stack),
            None => {
                self.unattributed += 1;
                return;
            }
        };
        self.inferred.push(Message { from, to, send_ns, recv_ns: ev.ts, kind, channel: None, value: None, stack });
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

    pub fn exact_send(&mut self, ev: &Event, chan: u64, op: u64, value: u64) {
        let half = Half { g: ev.g, ts: ev.ts, value, stack: StackRef::of(ev.stack) };
        match self.recvs.remove(&(chan, op)) {
            Some(recv) => self.exact.push(exact_message(chan, &half, &recv)),
            None => {
                self.sends.insert((chan, op), half);
            }
        }
    }

    pub fn exact_recv(&mut self, ev: &Event, chan: u64, op: u64, value: u64) {
        let half = Half { g: ev.g, ts: ev.ts, value, stack: StackRef::of(ev.stack) };
        match self.sends.remove(&(chan, op)) {
            Some(send) => self.exact.push(exact_message(chan, &send, &half)),
            None => {
                self.recvs.insert((chan, op), half);
            }
        }
    }

    /// The messages between shown goroutines, ordered by send time; the channel truth; and
    /// how many hand-offs could not be attributed.
    pub fn finish(self, shown: &dyn Fn(GoId) -> bool) -> (Vec<Message>, ChannelTruth, u64) {
        let exact = !self.exact.is_empty() || !self.sends.is_empty() || !self.recvs.is_empty();
        let (mut messages, truth, unattributed) = if exact {
            // A patched runtime saw every operation; inferred channel messages would repeat them.
            let mut m = self.exact;
            m.extend(self.inferred.into_iter().filter(|m| m.kind == MessageKind::Sync));
            (m, ChannelTruth::Exact, (self.sends.len() + self.recvs.len()) as u64)
        } else {
            (self.inferred, ChannelTruth::Inferred, self.unattributed)
        };
        messages.retain(|m| shown(m.from) && shown(m.to));
        // Stable sort: they come nearly in order (by wake-up time), which it runs through fast.
        messages.sort_by_key(|m| (m.send_ns, m.recv_ns, m.from, m.to));
        (messages, truth, unattributed)
    }
}

fn exact_message(chan: u64, send: &Half, recv: &Half) -> Message {
    Message {
        from: send.g,
        to: recv.g,
        send_ns: send.ts,
        recv_ns: recv.ts,
        kind: MessageKind::Chan,
        channel: Some(chan),
        value: Some(if send.value != 0 { send.value } else { recv.value }),
        stack: send.stack,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{EventKind, Frame};

    fn unblock(tables: &mut Tables, g: GoId, ts: u64, func: &str) -> Event {
        let f = tables.intern_str(func);
        let stack = tables.intern_stack(&[Frame { pc: 1, func: f, file: Default::default(), line: 1 }]);
        Event { ts, g, p: 0, stack, kind: EventKind::GoUnblock { goroutine: 9 } }
    }

    fn blocked(reason: &str, since: u64) -> Option<Current<'_>> {
        Some(Current { state: State::Blocked, reason: Some(reason), stack: StackRef::of(StackId(99)), since })
    }

    #[test]
    fn a_woken_receiver_got_a_value_from_its_waker() {
        let mut tables = Tables::default();
        let mut m = Matcher::default();
        let ev = unblock(&mut tables, 7, 100, "runtime.chansend1");
        m.unblocked(&tables, &ev, 9, blocked("chan receive", 40));
        let (msgs, truth, unattributed) = m.finish(&|_| true);
        assert_eq!((msgs[0].from, msgs[0].to, msgs[0].send_ns, msgs[0].kind), (7, 9, 100, MessageKind::Chan));
        assert_eq!(msgs[0].stack, StackRef::of(ev.stack), "sent where the waker stood");
        assert_eq!((truth, unattributed), (ChannelTruth::Inferred, 0));
    }

    #[test]
    fn a_woken_sender_gave_its_value_to_its_waker() {
        let mut tables = Tables::default();
        let mut m = Matcher::default();
        let ev = unblock(&mut tables, 7, 100, "runtime.chanrecv1");
        m.unblocked(&tables, &ev, 9, blocked("chan send", 40));
        let (msgs, _, _) = m.finish(&|_| true);
        assert_eq!((msgs[0].from, msgs[0].to, msgs[0].send_ns, msgs[0].recv_ns), (9, 7, 40, 100));
        assert_eq!(msgs[0].stack, StackRef::of(StackId(99)), "sent where the woken sender blocked");
    }

    #[test]
    fn select_direction_comes_from_the_wakers_stack() {
        let mut tables = Tables::default();
        let mut m = Matcher::default();
        let recv = unblock(&mut tables, 7, 100, "runtime.chanrecv2");
        m.unblocked(&tables, &recv, 9, blocked("select", 10));
        let unknown = unblock(&mut tables, 7, 200, "runtime.goready");
        m.unblocked(&tables, &unknown, 9, blocked("select", 150));
        let (msgs, _, unattributed) = m.finish(&|_| true);
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
            let stack = tables.intern_stack(&[Frame { pc: 1, func, file, line }]);
            Event { ts: 100, g: 7, p: 0, stack, kind: EventKind::GoUnblock { goroutine: 9 } }
        };
        let (sent, received, other) = (waker(3), waker(2), waker(4));
        let mut m = Matcher::default();
        m.unblocked(&tables, &sent, 9, blocked("select", 10));
        m.unblocked(&tables, &received, 9, blocked("select", 20));
        m.unblocked(&tables, &other, 9, blocked("select", 30));
        let (msgs, _, unattributed) = m.finish(&|_| true);
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
            let stack = tables.intern_stack(&[Frame { pc: 1, func, file, line }]);
            Event { ts, g: 7, p: 0, stack, kind: EventKind::GoUnblock { goroutine: 9 } }
        };
        let (closed, in_select, unread, not_close) =
            (waker(file, 2, 100), waker(file, 2, 200), waker(missing, 5, 300), waker(file, 3, 400));
        let mut m = Matcher::default();
        m.unblocked(&tables, &closed, 9, blocked("chan receive", 10));
        m.unblocked(&tables, &in_select, 9, blocked("select", 150));
        m.unblocked(&tables, &unread, 9, blocked("chan receive", 250));
        m.unblocked(&tables, &not_close, 9, blocked("chan receive", 350));
        let (msgs, _, _) = m.finish(&|_| true);
        let kinds: Vec<_> = msgs.iter().map(|m| m.kind).collect();
        use MessageKind::{Chan, Close};
        assert_eq!(kinds, vec![Close, Close, Close, Chan], "a source line without close( is not a close");
        assert_eq!((msgs[1].from, msgs[1].to), (7, 9), "the closer woke the selecting goroutine");
    }

    #[test]
    fn exact_halves_pair_by_channel_and_operation_in_either_order() {
        let mut m = Matcher::default();
        let ev = |g, ts| Event { ts, g, p: 0, stack: StackId(g as u32), kind: EventKind::GoStart };
        m.exact_recv(&ev(2, 10), 5, 1, 42);
        m.exact_send(&ev(1, 11), 5, 1, 42);
        m.exact_send(&ev(1, 20), 5, 2, 43);
        let (msgs, truth, unpaired) = m.finish(&|_| true);
        assert_eq!(msgs.len(), 1);
        assert_eq!((msgs[0].from, msgs[0].to, msgs[0].channel, msgs[0].value), (1, 2, Some(5), Some(42)));
        assert_eq!(msgs[0].stack, StackRef::of(StackId(1)), "the sender's stack");
        assert_eq!((truth, unpaired), (ChannelTruth::Exact, 1));
    }
}
