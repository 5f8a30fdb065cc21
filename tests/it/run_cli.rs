//! `gotrace run` end to end with a real Go: what the user sees of their program (stdout byte
//! for byte, stderr, exit status, arguments), Go's messages naming the user's files, and a
//! complete trace however the program ends. These do not need the trace parsers.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::*;

/// `gotrace run --go GO --trace-out trace.out ARGS...` in `dir`; the model export is left to
/// the parsers' own tests, so its outcome is not judged here.
fn run(go: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    gotrace()
        .current_dir(dir)
        .arg("run")
        .arg("--go")
        .arg(go)
        .args(["--no-browser", "--trace-out", "trace.out", "-o", "model.json"])
        .args(args)
        .output()
        .expect("gotrace runs")
}

const BYTES: &str = r#"package main

import (
	"fmt"
	"os"
)

func main() {
	// No newline at the end, a carriage return, bytes that are not UTF-8, and more than a pipe buffer.
	os.Stdout.Write([]byte("a\r\nb\xff\xfe\x00c"))
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(os.Stdout, "%05d|", i)
	}
	fmt.Fprintln(os.Stderr, "this is stderr")
	fmt.Print("end")
}
"#;

#[test]
fn stdout_passes_through_byte_for_byte_and_stderr_stays_intact() {
    let Some(go) = any_go() else { return };
    let dir = project(&[("main.go", BYTES)]);
    let out = run(&go, dir.path(), &["main.go"]);
    let mut expected = b"a\r\nb\xff\xfe\x00c".to_vec();
    for i in 0..20000 {
        expected.extend(format!("{i:05}|").bytes());
    }
    expected.extend(b"end");
    assert!(out.stdout == expected, "stdout differs: {} bytes instead of {}", out.stdout.len(), expected.len());
    let err = stderr(&out);
    assert!(err.contains("\nthis is stderr\n"), "{err}");
    assert!(err.starts_with("gotrace: using go1."), "{err}");
    assert_go_reads(&go, &dir.path().join("trace.out"));
}

#[test]
fn exit_status_arguments_and_os_exit() {
    let Some(go) = any_go() else { return };
    let src = "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Println(os.Args[1:])\n\tos.Exit(7)\n}\n";
    let dir = project(&[("main.go", src)]);
    let out = run(&go, dir.path(), &["main.go", "--", "a b", "-c"]);
    assert_eq!(stdout(&out), "[a b -c]\n");
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert!(stderr(&out).contains("gotrace: the program exited with status 7\n"), "{}", stderr(&out));
    // os.Exit skips deferred calls: the inserted helper must have stopped the trace first.
    assert_go_reads(&go, &dir.path().join("trace.out"));
}

#[test]
fn log_fatal_logs_the_users_line_and_completes_the_trace() {
    let Some(go) = any_go() else { return };
    let src = "package main\n\nimport \"log\"\n\nfunc main() {\n\tlog.SetFlags(log.Lshortfile)\n\tlog.Fatalf(\"bad %d\", 42)\n}\n";
    let dir = project(&[("main.go", src)]);
    let out = run(&go, dir.path(), &["main.go"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("main.go:7: bad 42\n"), "{}", stderr(&out));
    assert_go_reads(&go, &dir.path().join("trace.out"));
}

#[test]
fn a_panic_names_the_users_file_and_line_and_passes_its_status_on() {
    let Some(go) = any_go() else { return };
    let src = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"before\")\n\tvar m map[string]int\n\tm[\"x\"] = 1\n}\n";
    let dir = project(&[("main.go", src)]);
    let out = run(&go, dir.path(), &["main.go"]);
    assert_eq!(stdout(&out), "before\n");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let user_line = format!("{}:8 ", dir.path().join("main.go").display());
    assert!(err.contains("panic: assignment to entry in nil map"), "{err}");
    assert!(err.contains(&user_line), "panic should point at {user_line}: {err}");
    assert!(err.contains("gotrace: the program exited with status 2"), "{err}");
    assert_go_reads(&go, &dir.path().join("trace.out"));
}

#[test]
fn a_compile_error_shows_gos_message_with_the_users_file_and_line() {
    let Some(go) = any_go() else { return };
    let src = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"x\")\n\tundefinedThing()\n}\n";
    let dir = project(&[("main.go", src)]);
    let out = run(&go, dir.path(), &["main.go"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("./main.go:7:2: undefined: undefinedThing"), "{err}");
    let work_dirs = std::env::temp_dir().join("gotrace-");
    assert!(!err.contains(&*work_dirs.to_string_lossy()), "a temporary path leaked: {err}");
    assert!(err.ends_with("gotrace: go build failed\n"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_syntax_error_is_left_to_go() {
    let Some(go) = any_go() else { return };
    let dir = project(&[("main.go", "package main\n\nfunc main() {\n\tx := \n}\n")]);
    let out = run(&go, dir.path(), &["main.go"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("./main.go:5:1: syntax error"), "{}", stderr(&out));
}

#[test]
fn no_go_toolchain_says_how_to_get_one() {
    let dir = project(&[("main.go", "package main\nfunc main() {}\n")]);
    let empty = tempfile::tempdir().unwrap();
    let out = gotrace().current_dir(dir.path()).args(["run", "main.go"]).env("PATH", empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "gotrace: no Go toolchain found: install Go (https://go.dev/dl) or pass --go PATH\n");
}

#[test]
fn gotrace_go_names_the_toolchain() {
    let Some(go) = any_go() else { return };
    let dir = project(&[("main.go", "package main\nfunc main() {}\n")]);
    let out = gotrace()
        .current_dir(dir.path())
        .args(["run", "--trace-out", "t.out", "-o", "m.json", "main.go"])
        .env("GOTRACE_GO", &go)
        .env("PATH", "")
        .output()
        .unwrap();
    assert!(stderr(&out).starts_with("gotrace: using go1."), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!(" at {}\n", go.display())), "{}", stderr(&out));
}

#[test]
fn timeout_stops_a_program_that_never_ends_with_a_complete_trace() {
    let Some(go) = any_go() else { return };
    let src = "package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc main() {\n\tfmt.Println(\"started\")\n\tfor {\n\t\ttime.Sleep(time.Millisecond)\n\t}\n}\n";
    let dir = project(&[("main.go", src)]);
    let started = Instant::now();
    let out = run(&go, dir.path(), &["--timeout", "1500ms", "main.go"]);
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    assert_eq!(stdout(&out), "started\n");
    assert!(stderr(&out).contains("gotrace: stopped the program after 1.5s (--timeout)"), "{}", stderr(&out));
    assert_go_reads(&go, &dir.path().join("trace.out"));
}

#[test]
fn a_program_that_ignores_sigint_is_killed_after_the_grace_period() {
    let Some(go) = any_go() else { return };
    let src = "package main\n\nimport (\n\t\"os\"\n\t\"os/signal\"\n\t\"time\"\n)\n\nfunc main() {\n\tsignal.Ignore(os.Interrupt)\n\tfor {\n\t\ttime.Sleep(time.Millisecond)\n\t}\n}\n";
    let dir = project(&[("main.go", src)]);
    let started = Instant::now();
    let out = run(&go, dir.path(), &["--timeout", "500ms", "main.go"]);
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    assert!(stderr(&out).contains("(--timeout)"), "{}", stderr(&out));
}

#[test]
fn the_users_files_are_left_untouched() {
    let Some(go) = any_go() else { return };
    let dir = project(&[
        ("main.go", "package main\n\nimport \"os\"\n\nfunc main() {\n\tos.Exit(0)\n}\n"),
        ("util.go", "package main\n\nfunc util() {}\n"),
    ]);
    let snapshot = |d: &Path| {
        let mut files: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (e.file_name(), std::fs::read(e.path()).unwrap(), e.metadata().unwrap().modified().unwrap())
            })
            .collect();
        files.sort();
        files
    };
    let before = snapshot(dir.path());
    let out = gotrace()
        .current_dir(dir.path())
        .arg("run")
        .arg("--go")
        .arg(&go)
        .args(["--no-browser", "-o", "/dev/null", "main.go", "util.go"])
        .output()
        .unwrap();
    assert!(stderr(&out).starts_with("gotrace: using"), "{}", stderr(&out));
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn a_package_inside_a_module_builds_with_the_module() {
    let Some(go) = any_go() else { return };
    let dir = project(&[
        ("go.mod", "module example.com/m\n\ngo 1.19\n"),
        ("internal/greet/greet.go", "package greet\n\nfunc Hello() string { return \"hello from the module\" }\n"),
        ("cmd/x/main.go", "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/m/internal/greet\"\n)\n\nfunc main() {\n\tfmt.Println(greet.Hello(), more())\n}\n"),
        ("cmd/x/more.go", "package main\n\nfunc more() int { return 42 }\n"),
    ]);
    let out = run(&go, dir.path(), &["./cmd/x"]);
    assert_eq!(stdout(&out), "hello from the module 42\n", "{}", stderr(&out));
    assert_go_reads(&go, &dir.path().join("trace.out"));
    // A package directory works as well, from inside it or as a plain relative path.
    let out = run(&go, &dir.path().join("cmd/x"), &["."]);
    assert_eq!(stdout(&out), "hello from the module 42\n", "{}", stderr(&out));
    let out = run(&go, &dir.path().join("cmd"), &["x"]);
    assert_eq!(stdout(&out), "hello from the module 42\n", "{}", stderr(&out));
    // Several .go files of the package, named one by one.
    let out = run(&go, &dir.path().join("cmd/x"), &["main.go", "more.go"]);
    assert_eq!(stdout(&out), "hello from the module 42\n", "{}", stderr(&out));
}

#[test]
fn a_directory_outside_any_module_builds_from_its_files() {
    let Some(go) = any_go() else { return };
    let dir = project(&[
        ("prog/main.go", "package main\n\nfunc main() {\n\tprintln(\"dir\", helper())\n}\n"),
        ("prog/helper.go", "package main\n\nfunc helper() int { return 7 }\n"),
        ("prog/main_test.go", "package main\n"),
    ]);
    let out = run(&go, dir.path(), &["prog"]);
    assert!(stderr(&out).contains("\ndir 7\n"), "{}", stderr(&out));
    assert_go_reads(&go, &dir.path().join("trace.out"));
}

#[test]
fn a_program_that_dies_before_main_says_so_and_passes_its_status_on() {
    let Some(go) = any_go() else { return };
    let src = "package main\n\nimport \"os\"\n\nfunc init() {\n\tos.Exit(4)\n}\n\nfunc main() {}\n";
    let dir = project(&[("main.go", src)]);
    let out = run(&go, dir.path(), &["main.go"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).ends_with("gotrace: the program exited with status 4\ngotrace: the program wrote no trace\n"), "{}", stderr(&out));
}

#[test]
fn a_program_that_traces_itself_is_read_from_its_stderr() {
    let Some(go) = any_go() else { return };
    let src = "package main\n\nimport (\n\t\"os\"\n\t\"runtime/trace\"\n)\n\nfunc main() {\n\ttrace.Start(os.Stderr)\n\tdefer trace.Stop()\n\tch := make(chan int)\n\tgo func() { ch <- 1 }()\n\t<-ch\n}\n";
    let dir = project(&[("main.go", src)]);
    let out = run(&go, dir.path(), &["main.go"]);
    assert!(stderr(&out).contains("the program starts its own trace"), "{}", stderr(&out));
    assert_go_reads(&go, &dir.path().join("trace.out"));
}

#[test]
fn trace_stderr_sends_the_trace_where_the_original_did() {
    let Some(go) = any_go() else { return };
    let dir = project(&[("main.go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n")]);
    let out = run(&go, dir.path(), &["--trace-stderr", "main.go"]);
    assert_eq!(stdout(&out), "hi\n");
    assert_go_reads(&go, &dir.path().join("trace.out"));
}

#[test]
fn build_makes_a_binary_that_traces_to_stderr_or_to_the_named_file() {
    let Some(go) = any_go() else { return };
    let dir = project(&[("main.go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"built\")\n}\n")]);
    let out = gotrace().current_dir(dir.path()).arg("build").arg("--go").arg(&go).args(["-o", "prog", "main.go"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("2> trace.out"), "{}", stderr(&out));
    let prog = dir.path().join("prog");
    let stderr_trace = std::fs::File::create(dir.path().join("stderr.out")).unwrap();
    let ran = isolated(&prog).stderr(stderr_trace).output().unwrap();
    assert_eq!(stdout(&ran), "built\n");
    assert_go_reads(&go, &dir.path().join("stderr.out"));
    let ran = isolated(&prog).env("GOTRACE_TRACE_FILE", dir.path().join("env.out")).output().unwrap();
    assert!(ran.stderr.is_empty(), "{}", stderr(&ran));
    assert_go_reads(&go, &dir.path().join("env.out"));
}

#[test]
fn ctrl_c_stops_the_program_and_keeps_its_trace() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let Some(go) = any_go() else { return };
    let src = "package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc main() {\n\tfmt.Println(\"started\")\n\tfor {\n\t\ttime.Sleep(time.Millisecond)\n\t}\n}\n";
    let dir = project(&[("main.go", src)]);
    let mut child = gotrace()
        .current_dir(dir.path())
        .arg("run")
        .arg("--go")
        .arg(&go)
        .args(["--no-browser", "--trace-out", "trace.out", "-o", "model.json", "main.go"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, "started\n");
    // Only gotrace gets the signal (as with `kill -INT`); it passes it on to the program.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert!(stderr(&out).contains("gotrace: the program was interrupted"), "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert_go_reads(&go, &dir.path().join("trace.out"));
}
