//! What every test module shares, like just's `tests/test.rs`: [`gotrace`], the binary under
//! test as a [`Gotrace`] builder that also reads back the model or page it wrote, and
//! [`isolated`], any other command a test runs (Go, the programs it builds), both in an
//! environment of their own; the Go toolchains ([`toolchains`]: one table of versions, one
//! finder); throwaway projects and the text of a command's output.

mod gotrace;
pub mod toolchains;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub use gotrace::{gotrace, inline_picture, Gotrace};
pub use toolchains::{any_go, require, required};

/// The gotrace binary that cargo built for these tests.
pub const GOTRACE: &str = env!("CARGO_BIN_EXE_gotrace");

/// `program` with none of the user's environment but `PATH` (less every directory holding a
/// `go`, so that a test that forgets `--go` fails instead of quietly taking the user's Go),
/// `TMPDIR`, `DOCKER_HOST` and `GOTRACE_TOOLCHAINS` (where the tests' own Go toolchains are):
/// no `GOTRACE_GO`, `GOFLAGS`, `GODEBUG`, `GOTRACEBACK`, `GOPATH`, `GOROOT`, `GOOS`, Go's own
/// config file (`GOENV=off`) or workspace (`GOWORK=off`). `HOME` and gotrace's data directory
/// are fresh and empty for each run of the suite, so no runtime that `gotrace setup-runtime`
/// installed for the user (the README's first command does) changes a result; a test that
/// wants one makes it in a folder of its own. The cache (Go's build cache and gotrace's built
/// binaries) is kept between runs in cargo's `target/tmp`: it holds nothing the user made.
pub fn isolated(program: impl AsRef<OsStr>) -> Command {
    let home = home();
    let mut cmd = Command::new(program);
    cmd.env_clear();
    for kept in ["TMPDIR", "DOCKER_HOST", "GOTRACE_TOOLCHAINS"] {
        if let Some(value) = std::env::var_os(kept) {
            cmd.env(kept, value);
        }
    }
    cmd.env("PATH", path_without_go())
        .env("HOME", home.join("home"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("GOTRACE_DATA_DIR", home.join("data/gotrace"))
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("cache"))
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOENV", "off")
        .env("GOWORK", "off");
    cmd
}

/// This run's home: `target/tmp/home-<pid>`, made empty the first time it is asked for.
fn home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        // Homes of earlier runs: nothing in them is needed again.
        if let Ok(entries) = std::fs::read_dir(tmp) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with("home-") {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        let home = tmp.join(format!("home-{}", std::process::id()));
        for dir in ["home", "data", "config"] {
            std::fs::create_dir_all(home.join(dir)).expect("the tests' home");
        }
        home
    })
}

fn path_without_go() -> OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::env::split_paths(&path).filter(|dir| !dir.join("go").is_file())).expect("PATH")
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
    let built = isolated(go).current_dir(dir).args(["build", "-o"]).arg(out).arg(".").output().expect("go build runs");
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
    let version = isolated(go).args(["env", "GOVERSION"]).output().expect("go env");
    let minor: u32 =
        stdout(&version).trim().strip_prefix("go1.").and_then(|v| v.split('.').next()).and_then(|m| m.parse().ok()).expect("go version");
    let dump = toolchains::dump_flag(minor);
    let out = isolated(go).args(["tool", "trace", dump]).arg(trace).output().expect("go tool trace");
    if out.status.success() {
        return;
    }
    assert!(
        !from_patched_runtime(trace),
        "{} was written by a patched runtime (every channel operation recorded, GODEBUG=tracechanops=1), which Go's stock \
         `go tool trace` cannot read: build with --runtime stock, or read it with the patched copy's own go",
        trace.display()
    );
    panic!("go tool trace {dump} {} failed: {}", trace.display(), stderr(&out));
}

/// Whether `trace` holds the channel events that only gotrace's patched runtimes write
/// (`ChanMake`, `ChanSend`, `ChanRecv`, `ChanClose`), as `gotrace inspect` counts them.
pub fn from_patched_runtime(trace: &Path) -> bool {
    let out = gotrace().args(["inspect", "--json"]).arg(trace).output().expect("gotrace inspect");
    assert!(out.status.success(), "gotrace inspect {}: {}", trace.display(), stderr(&out));
    let inspected: serde_json::Value = serde_json::from_slice(&out.stdout).expect("inspect --json");
    let kinds = inspected["events_by_kind"].as_object().expect("events_by_kind");
    ["ChanMake", "ChanSend", "ChanRecv", "ChanClose"].iter().any(|kind| kinds.contains_key(*kind))
}

#[test]
fn go_reads_says_when_a_trace_came_from_a_patched_runtime() {
    let Some(go) = require("1.27.3") else { return };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces");
    let stock = fixtures.join("pingpong_1_27.trace");
    assert!(!from_patched_runtime(&stock));
    assert_go_reads(&go, &stock);
    let patched = fixtures.join("patched/chanops_1_27.trace");
    assert!(from_patched_runtime(&patched));
    let refused = std::panic::catch_unwind(|| assert_go_reads(&go, &patched)).expect_err("stock Go refuses the patched trace");
    let said = refused.downcast_ref::<String>().expect("a panic message");
    assert!(said.contains("written by a patched runtime") && said.contains("--runtime stock"), "{said}");
}
