//! `gotrace setup-runtime`: makes a Go runtime whose tracer records every channel operation and
//! keeps it in gotrace's data directory ([`store`]), apart from the user's own Go.
//!
//! Three ways to get one, each its own module:
//! - a patched copy of the user's modern Go (1.25+) — the default;
//! - the 2016 original's Go 1.6.3, downloaded, verified, patched and bootstrap-built
//!   (`--go 1.6.3`);
//! - a container image holding a patched Go (`--docker`): `crate::container`'s, which `cli`
//!   hands it to.

mod archive;
mod checksum;
mod download;
pub mod legacy;
pub mod patch;
pub mod patched;
pub mod store;

use std::path::PathBuf;

use crate::toolchain::choice::{is_legacy, GoChoice, Runtime, LEGACY_GO};
use crate::toolchain::Go;

/// What `gotrace setup-runtime` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct SetupOptions {
    /// `--go`: a `go` command (path or name on PATH) to patch a copy of, or the version `1.6.3`.
    pub go: Option<String>,
    /// `--list`: show what is installed.
    pub list: bool,
    /// `--remove`: remove the runtime that the other options select.
    pub remove: bool,
    /// `--docker` only (`crate::container::setup`): `--image NAME`, the tag of the image it builds.
    pub image: Option<String>,
    /// `--base IMAGE`: the image `--docker` builds FROM.
    pub base: Option<String>,
    /// `--prune`: with `--docker`, remove stale gotrace containers.
    pub prune: bool,
    /// Go 1.6.3 only: the bootstrap toolchain, an installed Go (`--bootstrap PATH`) or an
    /// archive on disk (`--bootstrap-archive FILE`).
    pub bootstrap: Option<PathBuf>,
    pub bootstrap_archive: Option<PathBuf>,
    /// Go 1.6.3 only: the source archive on disk (`--source FILE`).
    pub source: Option<PathBuf>,
    /// Go 1.6.3 only: another download base laid out like Go's download site (`--mirror URL`).
    pub mirror: Option<String>,
}

/// `gotrace setup-runtime`: the top-level entry point.
pub fn run(opts: &SetupOptions) -> anyhow::Result<()> {
    if opts.list {
        return list();
    }
    if is_legacy(opts.go.as_deref()) {
        return legacy::setup(opts);
    }
    patched::setup(opts.go.as_deref(), opts.remove)
}

/// Why the Go that `--runtime` asks for cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("Go {LEGACY_GO} with channel events is not installed: make it with `gotrace setup-runtime --go {LEGACY_GO}`")]
    LegacyNotInstalled,
    #[error("--runtime go{LEGACY_GO} builds with the Go that `gotrace setup-runtime --go {LEGACY_GO}` made: leave out --go")]
    LegacyWithGo,
}

/// Finds the Go that `choice` names, and its patched copy where its runtime asks for it.
pub fn find_go(choice: &GoChoice) -> anyhow::Result<Go> {
    if choice.runtime == Runtime::Legacy {
        if choice.go.is_some() {
            return Err(RuntimeError::LegacyWithGo.into());
        }
        return Ok(legacy::installed_go()?.ok_or(RuntimeError::LegacyNotInstalled)?);
    }
    choose(Go::find(choice.go.as_deref())?, choice.runtime)
}

/// The Go that builds under `runtime`, given the Go the user chose.
fn choose(go: Go, runtime: Runtime) -> anyhow::Result<Go> {
    if runtime == Runtime::Stock {
        return Ok(go);
    }
    match patched::installed(&go)? {
        Some(rt) => Ok(Go::at_root(&rt.goroot())?),
        None if runtime == Runtime::Auto => Ok(go),
        None => anyhow::bail!(
            "no patched copy of {} is installed: make one with `gotrace setup-runtime --go {}` ({} are supported)",
            go.version,
            go.path.display(),
            patched::supported()
        ),
    }
}

/// `--list`: one line per installed runtime.
fn list() -> anyhow::Result<()> {
    let store = store::Store::open()?;
    let installed = store.list()?;
    let mut text = String::new();
    if installed.is_empty() {
        text.push_str(&format!("no runtimes installed in {}; make one with `gotrace setup-runtime`\n", store.dir().display()));
    }
    for rt in installed {
        text.push_str(&format!("{}\t{}\t{}\n", rt.manifest.name, rt.manifest.go_version, rt.goroot().display()));
    }
    crate::output::write_stdout(text.as_bytes())
}
