//! `go build` of the instrumented program. The user's files are never written: Go's `-overlay`
//! swaps in the rewritten copy of main's file and adds the helper file, for lone files and
//! modules alike, so the module is not copied and Go's messages name the user's paths.
//! A Go without `-overlay` (the original's 1.6) builds a copy in a GOPATH instead
//! ([`super::gopath`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

use super::target::Target;
use super::RunError;
use crate::instrument::{self, Plan};
use crate::progress::Step;
use crate::toolchain::Go;

/// Writes the overlay into `work` and builds `target` as `plan` says into `binary`.
/// Go's own messages are passed on to stderr; a failed build is an error.
pub fn build(go: &Go, target: &Target, plan: &Plan, work: &Path, binary: &Path) -> anyhow::Result<()> {
    if !go.has_overlay() {
        return super::gopath::build(go, target, plan, work, binary);
    }
    let mut cmd = go.command();
    cmd.arg("build").arg("-o").arg(binary);
    let mut extra = Vec::new();
    if let Plan::Instrument { file, source, .. } = plan {
        let mut files = vec![(file.clone(), source.as_str())];
        for (name, text) in instrument::helper_sources(go.minor()) {
            let helper = helper_path(&target.dir, name);
            files.push((helper.clone(), text));
            extra.push(helper);
        }
        let overlay = write_overlay(work, &files)?;
        cmd.arg("-overlay").arg(overlay);
    }
    cmd.arg("--").args(&target.build_args);
    if target.by_files {
        cmd.args(extra);
    }
    run_go_build(go, cmd, &target.name)
}

/// Runs `cmd`, a `go build` of the program `name`, passing Go's own messages on to stderr;
/// a failed build is an error.
pub(super) fn run_go_build(go: &Go, mut cmd: Command, name: &str) -> anyhow::Result<()> {
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

/// Go's overlay file: {"Replace": {user path: path of the replacement in `work`}}.
fn write_overlay(work: &Path, files: &[(PathBuf, &str)]) -> anyhow::Result<PathBuf> {
    let mut replace = BTreeMap::new();
    for (i, (path, text)) in files.iter().enumerate() {
        let copy = work.join(format!("{i}_{}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()));
        std::fs::write(&copy, text).with_context(|| format!("cannot write {}", copy.display()))?;
        replace.insert(path.clone(), copy);
    }
    let overlay = work.join("overlay.json");
    let json = serde_json::json!({ "Replace": replace });
    std::fs::write(&overlay, json.to_string()).with_context(|| format!("cannot write {}", overlay.display()))?;
    Ok(overlay)
}
