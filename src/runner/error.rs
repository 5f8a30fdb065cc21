//! What can stop `gotrace run` and `gotrace build` between finding Go and the program's end,
//! told apart for callers and tests. Failures of the program itself are not errors: its exit
//! status is passed on (see `run`).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Go's own messages, naming the user's files, are on stderr already.
    #[error("go build failed")]
    BuildFailed,
    #[error("cannot run {go}")]
    CannotRunGo { go: PathBuf, source: std::io::Error },
    #[error("cannot start {binary}")]
    CannotStart { binary: PathBuf, source: std::io::Error },
    #[error("interrupted")]
    Interrupted,
}
