//! What each goroutine was doing, as a list of time segments in one state each.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::stacks::StackRef;
use crate::trace::{GoId, GoState, StackId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// On a CPU.
    Running,
    /// Ready to run, waiting for a CPU (e.g. just unblocked).
    Runnable,
    /// Waiting for something: a channel, a lock, the network… (`Segment::reason` says what).
    Blocked,
    /// In `time.Sleep`.
    Sleeping,
    /// In a system call.
    Syscall,
}

impl State {
    pub const ALL: [State; 5] = [State::Running, State::Runnable, State::Blocked, State::Sleeping, State::Syscall];
    pub const COUNT: usize = State::ALL.len();

    pub fn for_block(reason: &str) -> State {
        if reason == "sleep" {
            State::Sleeping
        } else {
            State::Blocked
        }
    }

    pub fn from_existing(state: GoState) -> State {
        match state {
            GoState::Runnable => State::Runnable,
            GoState::Running => State::Running,
            GoState::Waiting => State::Blocked,
            GoState::Syscall => State::Syscall,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Segment {
    pub goroutine: GoId,
    pub state: State,
    pub start_ns: u64,
    pub end_ns: u64,
    /// Why the goroutine was blocked ("chan receive", "select", …), as Go's tool names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Arc<str>>,
    /// Where the goroutine blocked, slept or entered its system call (an index into
    /// `Model::stacks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<StackRef>,
}

#[derive(Clone)]
struct Open {
    state: State,
    reason: Option<Arc<str>>,
    stack: Option<StackRef>,
    since: u64,
}

/// What a goroutine is doing now, as far as the events read so far tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Current<'a> {
    pub state: State,
    pub reason: Option<&'a str>,
    pub stack: Option<StackRef>,
    pub since: u64,
}

#[derive(Default)]
pub struct Tracker {
    open: HashMap<GoId, Open>,
    reasons: HashMap<String, Arc<str>>,
    done: Vec<Segment>,
}

impl Tracker {
    /// `g` is in `state` from `ts` on, entered at `stack`; closes the segment it was in.
    pub fn enter(&mut self, g: GoId, state: State, reason: Option<&str>, stack: StackId, ts: u64) {
        if g == 0 {
            return;
        }
        let reason = reason.map(|r| self.intern(r));
        if let Some(prev) = self.open.insert(g, Open { state, reason, stack: StackRef::of(stack), since: ts }) {
            self.close(g, prev, ts);
        }
    }

    pub fn end(&mut self, g: GoId, ts: u64) {
        if let Some(prev) = self.open.remove(&g) {
            self.close(g, prev, ts);
        }
    }

    pub fn current(&self, g: GoId) -> Option<Current<'_>> {
        self.open.get(&g).map(|o| Current { state: o.state, reason: o.reason.as_deref(), stack: o.stack, since: o.since })
    }

    /// All segments, the ones still open closed at `end_ns`, in the order they ended. Not
    /// sorted by goroutine: sorting millions of segments was the model's slowest step, and
    /// whoever needs them per goroutine groups them in one pass.
    pub fn finish(mut self, end_ns: u64) -> Vec<Segment> {
        let mut open: Vec<(GoId, Open)> = std::mem::take(&mut self.open).into_iter().collect();
        open.sort_by_key(|(g, _)| *g);
        for (g, open) in open {
            self.close(g, open, end_ns);
        }
        self.done
    }

    fn close(&mut self, g: GoId, open: Open, ts: u64) {
        if ts > open.since {
            let Open { state, reason, stack, since } = open;
            self.done.push(Segment { goroutine: g, state, start_ns: since, end_ns: ts, reason, stack });
        }
    }

    fn intern(&mut self, reason: &str) -> Arc<str> {
        if let Some(r) = self.reasons.get(reason) {
            return r.clone();
        }
        let r: Arc<str> = reason.into();
        self.reasons.insert(reason.to_string(), r.clone());
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_change_closes_a_segment() {
        let mut t = Tracker::default();
        t.enter(5, State::Runnable, None, StackId::NONE, 0);
        t.enter(5, State::Running, None, StackId::NONE, 10);
        t.enter(5, State::Blocked, Some("chan receive"), StackId(3), 30);
        let stack = StackRef::of(StackId(3));
        assert_eq!(t.current(5), Some(Current { state: State::Blocked, reason: Some("chan receive"), stack, since: 30 }));
        t.enter(5, State::Runnable, None, StackId::NONE, 50);
        t.end(5, 60);
        let s = t.finish(100);
        let got: Vec<_> = s.iter().map(|s| (s.state, s.start_ns, s.end_ns, s.reason.as_deref(), s.stack)).collect();
        assert_eq!(
            got,
            vec![
                (State::Runnable, 0, 10, None, None),
                (State::Running, 10, 30, None, None),
                (State::Blocked, 30, 50, Some("chan receive"), stack),
                (State::Runnable, 50, 60, None, None),
            ]
        );
    }

    #[test]
    fn open_segments_end_with_the_trace() {
        let mut t = Tracker::default();
        t.enter(1, State::Sleeping, Some("sleep"), StackId::NONE, 5);
        let s = t.finish(9);
        assert_eq!((s[0].state, s[0].end_ns), (State::Sleeping, 9));
    }
}
