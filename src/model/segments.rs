//! What each goroutine was doing, as a list of time segments in one state each.

use rustc_hash::FxHashMap as HashMap;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use super::stacks::StackRef;
use crate::trace::{GoId, GoState, StackId, StrId};

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

    /// As the model's JSON names it.
    pub fn name(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Runnable => "runnable",
            State::Blocked => "blocked",
            State::Sleeping => "sleeping",
            State::Syscall => "syscall",
        }
    }

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
    pub reason: Option<Reason>,
    /// Where the goroutine blocked, slept or entered its system call (an index into
    /// `Model::stacks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<StackRef>,
}

/// Why a goroutine blocked ("chan receive", "select", …), as Go's tool names it. A trace has
/// a few such texts and millions of segments: each text is kept once for the whole process
/// and segments carry a pointer to it, which costs nothing to copy or drop (a shared count
/// would be kept in step with atomics at every state change).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reason(&'static str);

impl Reason {
    pub fn of(text: &str) -> Reason {
        static KNOWN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
        let mut known = KNOWN.get_or_init(Mutex::default).lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&kept) = known.get(text) {
            return Reason(kept);
        }
        let kept: &'static str = Box::leak(text.into());
        known.insert(kept);
        Reason(kept)
    }
}

impl Deref for Reason {
    type Target = str;

    fn deref(&self) -> &str {
        self.0
    }
}

impl fmt::Debug for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Reason::of(&String::deserialize(d)?))
    }
}

/// What every goroutine was doing where a generation of the trace starts: a pass that reads
/// only from there on starts from it, as if it had read everything before. Stacks are left
/// out: their ids are those of the reader that took this.
#[derive(Clone, Debug, Default)]
pub struct Start(Vec<(GoId, Open)>);

impl Start {
    pub fn goroutines(&self) -> impl Iterator<Item = GoId> + '_ {
        self.0.iter().map(|(g, _)| *g)
    }
}

#[derive(Clone, Debug)]
struct Open {
    state: State,
    reason: Option<Reason>,
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
    reasons: HashMap<StrId, Reason>,
}

impl Tracker {
    /// `g` is in `state` from `ts` on, entered at `stack`; returns the segment this ends, if any.
    #[must_use]
    pub fn enter(&mut self, g: GoId, state: State, reason: Option<(StrId, &str)>, stack: StackId, ts: u64) -> Option<Segment> {
        if g == 0 {
            return None;
        }
        let reason = reason.map(|(id, r)| self.intern(id, r));
        let prev = self.open.insert(g, Open { state, reason, stack: StackRef::of(stack), since: ts })?;
        close(g, prev, ts)
    }

    /// `g` ended at `ts`; returns its last segment, if any.
    #[must_use]
    pub fn end(&mut self, g: GoId, ts: u64) -> Option<Segment> {
        close(g, self.open.remove(&g)?, ts)
    }

    pub fn current(&self, g: GoId) -> Option<Current<'_>> {
        self.open.get(&g).map(|o| Current { state: o.state, reason: o.reason.as_deref(), stack: o.stack, since: o.since })
    }

    /// Whether a goroutine has been blocked sending (a send, or a select that may send) since a
    /// time in `span`: its message, sent then, is known only when a receiver takes it.
    pub fn blocked_sending_since(&self, span: &std::ops::Range<u64>) -> bool {
        self.open.values().any(|o| {
            o.state == State::Blocked && span.contains(&o.since) && o.reason.as_deref().is_some_and(|r| matches!(r, "chan send" | "select"))
        })
    }

    /// What each goroutine is doing now, for a pass that starts here (see [`Start`]).
    pub fn start(&self) -> Start {
        let mut open: Vec<(GoId, Open)> = self.open.iter().map(|(&g, o)| (g, Open { stack: None, ..o.clone() })).collect();
        open.sort_by_key(|(g, _)| *g);
        Start(open)
    }

    /// A tracker that goes on from `start`.
    pub fn from_start(start: &Start) -> Tracker {
        Tracker { open: start.0.iter().cloned().collect(), reasons: HashMap::default() }
    }

    /// The segments still open, ended with the trace at `end_ns`, by goroutine.
    pub fn finish(self, end_ns: u64) -> Vec<Segment> {
        let mut open: Vec<(GoId, Open)> = self.open.into_iter().collect();
        open.sort_by_key(|(g, _)| *g);
        open.into_iter().filter_map(|(g, open)| close(g, open, end_ns)).collect()
    }

    /// Each reason found by the trace's string id: hashing the text again for every block
    /// costs more than the rest of it.
    fn intern(&mut self, id: StrId, reason: &str) -> Reason {
        *self.reasons.entry(id).or_insert_with(|| Reason::of(reason))
    }
}

/// The segment `open` makes when it ends at `ts`; none when it lasted no time.
fn close(g: GoId, open: Open, ts: u64) -> Option<Segment> {
    let Open { state, reason, stack, since } = open;
    (ts > since).then_some(Segment { goroutine: g, state, start_ns: since, end_ns: ts, reason, stack })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_states_name_is_its_json() {
        for state in State::ALL {
            assert_eq!(serde_json::to_string(&state).unwrap(), format!("\"{}\"", state.name()));
        }
    }

    #[test]
    fn each_state_change_closes_a_segment() {
        let mut t = Tracker::default();
        let stack = StackRef::of(StackId(3));
        let mut s: Vec<Segment> = [
            t.enter(5, State::Runnable, None, StackId::NONE, 0),
            t.enter(5, State::Running, None, StackId::NONE, 10),
            t.enter(5, State::Blocked, Some((StrId(1), "chan receive")), StackId(3), 30),
        ]
        .into_iter()
        .flatten()
        .collect();
        assert_eq!(t.current(5), Some(Current { state: State::Blocked, reason: Some("chan receive"), stack, since: 30 }));
        s.extend(t.enter(5, State::Runnable, None, StackId::NONE, 50));
        s.extend(t.end(5, 60));
        assert!(t.finish(100).is_empty());
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
        assert!(t.enter(1, State::Sleeping, Some((StrId(1), "sleep")), StackId::NONE, 5).is_none());
        let s = t.finish(9);
        assert_eq!((s[0].state, s[0].end_ns), (State::Sleeping, 9));
    }
}
