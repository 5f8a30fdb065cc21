//! Shared by the `gotrace run` / `gotrace build` tests (`#[path]`-included; on its own it has
//! no tests). Finds real Go toolchains and runs the gotrace binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const GOTRACE: &str = env!("CARGO_BIN_EXE_gotrace");

/// Where the test machine keeps its Go toolchains.
pub fn toolchain(version: &str) -> PathBuf {
    if version == "1.19" {
        return PathBuf::from("/usr/lib/go-1.19/bin/go");
    }
    PathBuf::from(format!("/opt/gotrace-go/{version}/go/bin/go"))
}

/// The toolchain for `version`, or `None` (said loudly) when it is missing and
/// GOTRACE_REQUIRE_TOOLCHAINS=1 does not make that a failure.
pub fn require(version: &str) -> Option<PathBuf> {
    let go = toolchain(version);
    if go.exists() {
        return Some(go);
    }
    if std::env::var("GOTRACE_REQUIRE_TOOLCHAINS").as_deref() == Ok("1") {
        panic!("Go {version} is required (GOTRACE_REQUIRE_TOOLCHAINS=1) but {} does not exist", go.display());
    }
    eprintln!("SKIPPED: Go {version} not installed at {}", go.display());
    None
}

/// Any one installed toolchain, newest first, for tests about gotrace rather than about Go.
pub fn any_go() -> Option<PathBuf> {
    let found = ["1.27.3", "1.26.6", "1.24.11", "1.22.10", "1.21.13", "1.19"].iter().map(|v| toolchain(v)).find(|p| p.exists());
    if found.is_none() {
        if std::env::var("GOTRACE_REQUIRE_TOOLCHAINS").as_deref() == Ok("1") {
            panic!("no Go toolchain installed (GOTRACE_REQUIRE_TOOLCHAINS=1)");
        }
        eprintln!("SKIPPED: no Go toolchain installed");
    }
    found
}

/// gotrace with an environment that never downloads toolchains or modules, and that keeps
/// the binaries of the tests' throwaway projects out of the user's cache.
pub fn gotrace(dir: &Path) -> Command {
    let mut cmd = Command::new(GOTRACE);
    cmd.current_dir(dir).env("GOTOOLCHAIN", "local").env("GOPROXY", "off").env_remove("GOTRACE_GO").env_remove("GOFLAGS");
    cmd.env("XDG_CACHE_HOME", std::env::temp_dir().join("gotrace-tests-cache"));
    cmd
}

/// A directory with `files` ((relative path, contents)) in it.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts that Go's own trace tool reads `trace` to its end: the trace was completed.
pub fn assert_go_reads(go: &Path, trace: &Path) {
    let data = std::fs::read(trace).expect("trace file");
    assert!(data.starts_with(b"go 1."), "{} is not a trace: {:?}", trace.display(), &data[..data.len().min(16)]);
    let version = Command::new(go).args(["env", "GOVERSION"]).output().expect("go env");
    let minor: u32 =
        stdout(&version).trim().strip_prefix("go1.").and_then(|v| v.split('.').next()).and_then(|m| m.parse().ok()).expect("go version");
    // How each Go's trace tool is asked to parse and dump a trace.
    let dump = match minor {
        ..=21 => "-d",
        22 | 23 => "-d=1",
        _ => "-d=parsed",
    };
    let out = Command::new(go).args(["tool", "trace", dump]).arg(trace).env("GOTOOLCHAIN", "local").output().expect("go tool trace");
    assert!(out.status.success(), "go tool trace {dump} {} failed: {}", trace.display(), stderr(&out));
}
