//! The span of time a picture draws, and the one the user asks for.

use serde::Serialize;

use crate::model::Model;

/// A span of trace time, in ns since the start of the trace; `end_ns` is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start_ns: u64,
    pub end_ns: u64,
}

impl Window {
    pub fn whole(model: &Model) -> Window {
        Window { start_ns: 0, end_ns: model.meta.duration_ns.saturating_add(1) }
    }
}

/// A part of the trace that the user asked for (`--window`): the end is the trace's own when
/// not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub from_ns: u64,
    pub to_ns: Option<u64>,
}

/// A `--window` that names no part of the trace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("the window starts at {:.3} s, after the trace ends ({:.3} s): start --window earlier", seconds(.from_ns), seconds(.duration_ns))]
    AfterTheEnd { from_ns: u64, duration_ns: u64 },
}

fn seconds(ns: &u64) -> f64 {
    *ns as f64 / 1e9
}

impl TimeRange {
    /// The window of `model` that this range names; an error when it starts after the trace.
    pub fn window(self, model: &Model) -> Result<Window, WindowError> {
        self.window_in(model.meta.duration_ns)
    }

    /// The window of a trace `duration_ns` long that this range names.
    pub fn window_in(self, duration_ns: u64) -> Result<Window, WindowError> {
        let end_ns = duration_ns.saturating_add(1);
        if self.from_ns >= end_ns {
            return Err(WindowError::AfterTheEnd { from_ns: self.from_ns, duration_ns });
        }
        Ok(Window { start_ns: self.from_ns, end_ns: self.to_ns.map_or(end_ns, |to| to.min(end_ns)) })
    }

    /// The window before the trace's end is known: to its end when the range names none.
    pub fn open_window(self) -> Window {
        Window { start_ns: self.from_ns, end_ns: self.to_ns.unwrap_or(u64::MAX) }
    }
}
