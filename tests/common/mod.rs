//! What every test file shares, like just's `tests/test.rs`: [`gotrace`], the binary under
//! test in an environment that never downloads; the Go toolchains ([`toolchains`]: one table
//! of versions, one finder); throwaway projects and the text of a command's output.
//! Each test file includes it with `mod common;`.
#![allow(dead_code, unused_imports)] // each test binary uses a different part

pub mod toolchains;

use std::path::Path;
use std::process::{Command, Output};

pub use toolchains::{any_go, require, required};

/// The gotrace binary that cargo built for these tests.
pub const GOTRACE: &str = env!("CARGO_BIN_EXE_gotrace");

/// The gotrace binary, in an environment that never downloads toolchains or modules and that
/// keeps the binaries of the tests' throwaway projects out of the user's cache.
pub fn gotrace() -> Command {
    let mut cmd = Command::new(GOTRACE);
    cmd.env("GOTOOLCHAIN", "local").env("GOPROXY", "off").env_remove("GOTRACE_GO").env_remove("GOFLAGS");
    cmd.env("XDG_CACHE_HOME", std::env::temp_dir().join("gotrace-tests-cache"));
    cmd
}

/// A ping-pong in two files: main serves 0 on `table`, two players pass the counter back
/// and forth, and the player that makes it 10 hands it to main on `done` (11 messages).
pub const PINGPONG: [(&str, &str); 2] = [
    (
        "main.go",
        r#"package main

func main() {
	table := make(chan int)
	done := make(chan int)
	go player(table, done)
	go player(table, done)
	table <- 0
	println("game over after", <-done, "hits")
}
"#,
    ),
    (
        "player.go",
        r#"package main

import "time"

func player(table chan int, done chan int) {
	for {
		ball := <-table
		ball++
		time.Sleep(time.Millisecond)
		if ball == 10 {
			done <- ball
			return
		}
		table <- ball
	}
}
"#,
    ),
];

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

/// Builds the Go program in `dir` into `out` with `go`, offline and with this Go only.
pub fn go_build(go: &Path, dir: &Path, out: &Path) {
    let built = Command::new(go)
        .current_dir(dir)
        .args(["build", "-o"])
        .arg(out)
        .arg(".")
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .output()
        .expect("go build runs");
    assert!(built.status.success(), "go build in {}: {}", dir.display(), stderr(&built));
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
    let dump = toolchains::dump_flag(minor);
    let out = Command::new(go).args(["tool", "trace", dump]).arg(trace).env("GOTOOLCHAIN", "local").output().expect("go tool trace");
    assert!(out.status.success(), "go tool trace {dump} {} failed: {}", trace.display(), stderr(&out));
}
