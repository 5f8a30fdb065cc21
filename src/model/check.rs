//! How the program ended and which goroutines it left stuck: the model's `check` object.

use serde::{Deserialize, Serialize};

use super::stacks::Frame;
use crate::trace::GoId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub outcome: Outcome,
    /// Goroutines still blocked on channels, `select`, locks, WaitGroups or conds when the
    /// trace ended, grouped by where they block and where they were created. On a deadlock:
    /// the stuck goroutines.
    pub leaks: Vec<Leak>,
    /// The goroutine whose panic or fatal error ended the program, when Go said which.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crashed: Option<GoId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// main returned or the program called os.Exit.
    Exited,
    /// Every goroutine was blocked with nothing to wake it; gotrace ended the program.
    Deadlock,
    /// A panic or fatal error ended the program.
    Panic,
    /// gotrace stopped it at `--timeout`.
    Timeout,
    /// The user interrupted it (Ctrl-C).
    Interrupted,
    /// A signal killed it.
    Signal,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Exited => "exited",
            Outcome::Deadlock => "deadlock",
            Outcome::Panic => "panic",
            Outcome::Timeout => "timeout",
            Outcome::Interrupted => "interrupted",
            Outcome::Signal => "signal",
        }
    }
}

/// Goroutines stuck at the same place, created at the same place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leak {
    pub count: usize,
    pub goroutines: Vec<GoId>,
    /// The block reason, as Go's tool names it ("chan send", "select", "sync", …).
    pub reason: String,
    /// The innermost frame of the program (not of the runtime or package sync) where they block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_at: Option<Frame>,
    /// The `go` statement that created them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Frame>,
    /// When the first of them got stuck (ns from the start of the trace).
    pub since_ns: u64,
}
