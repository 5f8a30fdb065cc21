//! `go build` of the instrumented program, the user's files never written: with Go's `-overlay`
//! ([`overlay`], every Go with modules), or in a GOPATH copy for a Go without it (the
//! original's 1.6, [`gopath`]). Both pass Go's own messages on and name the user's paths.

mod gopath;
mod overlay;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::RunError;
use crate::instrument::Plan;
use crate::progress::Step;
use crate::target::Target;
use crate::toolchain::Go;

/// Builds `target` as `plan` says into `binary`, with `work` for gotrace's own files.
/// Go's own messages are passed on to stderr; a failed build is an error.
pub fn build(go: &Go, target: &Target, plan: &Plan, work: &Path, binary: &Path) -> anyhow::Result<()> {
    if go.has_overlay() {
        overlay::build(go, target, plan, work, binary)
    } else {
        gopath::build(go, target, plan, work, binary)
    }
}

/// Runs `cmd`, a `go build` of the program `name`, passing Go's own messages on to stderr;
/// a failed build is an error.
fn run_go_build(go: &Go, mut cmd: Command, name: &str) -> anyhow::Result<()> {
    let spinner = Step::start(&format!("building {name}"));
    let out = cmd.stdin(Stdio::null()).output().map_err(|source| RunError::CannotRunGo { go: go.path.clone(), source })?;
    drop(spinner);
    eprint!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        return Err(RunError::BuildFailed.into());
    }
    Ok(())
}

/// A file name in `dir` like `name` that does not exist yet, so the overlay adds rather than
/// replaces.
pub fn helper_path(dir: &Path, name: &str) -> PathBuf {
    let stem = name.trim_end_matches(".go");
    let mut path = dir.join(name);
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("{stem}{n}.go"));
        n += 1;
    }
    path
}
