//! The instrumented copy keeps the user's positions: compile errors and panics on the very
//! lines gotrace edited (main's opening line, os.Exit and log.Fatal calls) name the user's file,
//! line and column, with an old and a new Go compiler.

use std::path::Path;

use crate::common::*;

/// Errors on every line gotrace edits, at columns after the inserted text.
const BROKEN: &str = r#"package main

import (
	"log"
	"os"
)

func main() { undefinedA()
	if len(os.Args) > 5 {
		log.Fatalf("%d", undefinedB)
	}
	os.Exit(undefinedC)
}
"#;

fn build(go: &Path, dir: &Path) -> std::process::Output {
    gotrace().current_dir(dir).arg("build").arg("--go").arg(go).args(["-o", "prog", "main.go"]).output().expect("gotrace build")
}

fn compile_errors_keep_lines_and_columns(version: &str) {
    let Some(go) = require(version) else { return };
    let dir = project(&[("main.go", BROKEN)]);
    let out = build(&go, dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for expected in
        ["./main.go:8:15: undefined: undefinedA", "./main.go:10:20: undefined: undefinedB", "./main.go:12:10: undefined: undefinedC"]
    {
        assert!(err.contains(expected), "Go {version}: expected {expected:?} in:\n{err}");
    }
    assert!(!err.contains("imported and not used"), "Go {version}: {err}");
}

#[test]
fn compile_errors_keep_lines_and_columns_go_1_19() {
    compile_errors_keep_lines_and_columns("1.19");
}

#[test]
fn compile_errors_keep_lines_and_columns_go_1_27() {
    compile_errors_keep_lines_and_columns("1.27.3");
}

const PANICS: &str = r#"package main

import "fmt"

func crash(m map[string]int) { m["x"] = 1 }

func main() { fmt.Println("up"); crash(nil) }
"#;

fn panics_keep_lines(version: &str) {
    let Some(go) = require(version) else { return };
    let dir = project(&[("main.go", PANICS)]);
    let out = build(&go, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let trace = dir.path().join("trace.out");
    let ran = isolated(dir.path().join("prog")).env("GOTRACE_TRACE_FILE", &trace).output().unwrap();
    assert_eq!(ran.status.code(), Some(2));
    assert_eq!(stdout(&ran), "up\n");
    let err = stderr(&ran);
    let main_go = dir.path().join("main.go");
    for frame in [format!("main.crash(...)\n\t{}:5", main_go.display()), format!("main.main()\n\t{}:7 +0x", main_go.display())] {
        assert!(err.contains(&frame), "Go {version}: expected {frame:?} in:\n{err}");
    }
    // The panic ran main's deferred stop: the trace is complete.
    assert_go_reads(&go, &trace);
}

#[test]
fn panics_keep_lines_go_1_19() {
    panics_keep_lines("1.19");
}

#[test]
fn panics_keep_lines_go_1_27() {
    panics_keep_lines("1.27.3");
}
