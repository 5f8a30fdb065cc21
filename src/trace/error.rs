use std::fmt;

/// Why a trace could not be read. Every variant renders as one line that says where in the
/// file the problem is and what was expected there, so a user can tell a truncated download
/// from a file that was never a trace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    /// The bytes at `offset` are not what the format requires.
    #[error("malformed trace at byte {offset}: expected {expected}")]
    Malformed { offset: u64, expected: String },
    /// The file ends before a complete structure could be read.
    #[error("truncated trace: ends at byte {offset} while reading {expected}")]
    Truncated { offset: u64, expected: String },
    /// The header names a trace format gotrace does not read.
    #[error("unsupported trace format {header:?} at byte 0: expected a Go 1.5–1.27 execution trace header (\"go 1.N trace\")")]
    Unsupported { header: String },
    /// The events cannot be put in an order consistent with their sequence numbers. Every
    /// byte parsed, so the runtime wrote this (or a file cut at an unlucky place): when Go's
    /// own tool reads the file, gotrace is the one at fault, and the message says so.
    #[error("inconsistent trace at byte {offset}: {detail} (if `go tool trace` reads this file, it is a gotrace bug: please report it, with the trace)")]
    Inconsistent { offset: u64, detail: String },
}

impl TraceError {
    pub fn malformed(offset: usize, expected: impl fmt::Display) -> Self {
        TraceError::Malformed { offset: offset as u64, expected: expected.to_string() }
    }

    pub fn truncated(offset: usize, expected: impl fmt::Display) -> Self {
        TraceError::Truncated { offset: offset as u64, expected: expected.to_string() }
    }

    pub fn inconsistent(offset: usize, detail: impl fmt::Display) -> Self {
        TraceError::Inconsistent { offset: offset as u64, detail: detail.to_string() }
    }
}

pub type Result<T> = std::result::Result<T, TraceError>;
