use super::*;

const HELLO: &str = r#"//go:build !windows

// Package main says hello.
package main

import (
	"fmt"
	"log"
	myos "os"
)

func helper() {
	myos.Exit(3) // not in main: left alone
}

func main() {
	fmt.Println("hello")
	if len(myos.Args) > 2 {
		log.Fatalf("too many: %d", len(myos.Args))
	}
	go func() { myos.Exit(2) }()
	myos.Exit(0)
}
"#;

fn one(path: &str, text: &str) -> Vec<(PathBuf, String)> {
    vec![(PathBuf::from(path), text.to_owned())]
}

fn instrumented(text: &str) -> String {
    match plan(&one("/src/hello.go", text)).unwrap() {
        Plan::Instrument { file, source, .. } => {
            assert_eq!(file, PathBuf::from("/src/hello.go"));
            source
        }
        other => panic!("not instrumented: {other:?}"),
    }
}

/// The instrumented text with gotrace's insertions taken out again.
fn undo(out: &str) -> String {
    let mut text = out
        .replace(" _gotraceStart(); defer _gotraceStop();", "")
        .replace("_gotraceExit", "myos.Exit")
        .replace("_gotraceFatalf", "log.Fatalf");
    while let Some(start) = text.find("/*line ") {
        let end = text[start..].find("*/").map(|e| start + e + 2).unwrap();
        text.replace_range(start..end, "");
    }
    text
}

#[test]
fn keeps_every_line_where_it_was() {
    let out = instrumented(HELLO);
    assert_eq!(out.lines().count(), HELLO.lines().count() + 2, "only the two `var _` lines are new");
    assert!(undo(&out).starts_with(HELLO));
}

#[test]
fn starts_at_the_top_of_main_and_stops_on_every_exit() {
    let out = instrumented(HELLO);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[3], "/*line /src/hello.go:4:1*/package main");
    assert_eq!(lines[12], "\tmyos.Exit(3) // not in main: left alone");
    assert_eq!(lines[15], "func main() { _gotraceStart(); defer _gotraceStop();/*line /src/hello.go:16:14*/");
    assert_eq!(lines[18], "\t\t_gotraceFatalf/*line /src/hello.go:19:13*/(\"too many: %d\", len(myos.Args))");
    assert_eq!(lines[20], "\tgo func() { _gotraceExit/*line /src/hello.go:21:23*/(2) }()");
    assert_eq!(lines[21], "\t_gotraceExit/*line /src/hello.go:22:11*/(0)");
    assert!(out.starts_with("//go:build !windows\n"), "build constraint must stay first");
    // The replaced functions stay referenced after the last line, so their imports stay used.
    assert!(out.ends_with("}\nvar _ = log.Fatalf\nvar _ = myos.Exit\n"), "{out}");
}

#[test]
fn an_empty_main_on_one_line() {
    let out = instrumented("package main\nfunc main() {}\n");
    assert_eq!(
        out,
        "/*line /src/hello.go:1:1*/package main\nfunc main() { _gotraceStart(); defer _gotraceStop();/*line /src/hello.go:2:14*/}\n"
    );
}

#[test]
fn calls_that_only_look_like_exits_stay() {
    let text =
        "package main\nimport \"fmt\"\ntype T struct{}\nfunc (T) Exit(int) {}\nfunc main() { var os T; os.Exit(1); fmt.Println() }\n";
    // `os` is not imported here, so `os.Exit` is the method of a local value.
    assert!(!instrumented(text).contains("_gotraceExit"));
}

#[test]
fn a_local_that_shadows_the_import_is_not_the_package() {
    let text = "package main\nimport (\n\t\"log\"\n\t\"os\"\n)\nfunc main() {\n\tlog := log.New(os.Stderr, \"x: \", 0)\n\tlog.Fatal(\"bye\")\n\tos.Exit(1)\n}\n";
    let out = instrumented(text);
    assert!(out.contains("\tlog.Fatal(\"bye\")"), "{out}");
    assert!(out.contains("_gotraceExit/*line /src/hello.go:9:9*/(1)"), "{out}");
}

#[test]
fn a_program_that_traces_itself_is_left_alone() {
    let text = "package main\nimport (\n\t\"os\"\n\trt \"runtime/trace\"\n)\nfunc main() {\n\trt.Start(os.Stderr)\n\tdefer rt.Stop()\n}\n";
    assert!(matches!(plan(&one("/a/main.go", text)).unwrap(), Plan::OwnTrace));
}

#[test]
fn syntax_errors_are_left_to_go() {
    assert!(matches!(plan(&one("/a/main.go", "package main\nfunc main() {\n")).unwrap(), Plan::AsIs));
}

#[test]
fn finds_main_among_several_files() {
    let files = vec![
        (PathBuf::from("/p/util.go"), "package main\nfunc util() {}\n".to_owned()),
        (PathBuf::from("/p/run.go"), "package main\nfunc main() { util() }\n".to_owned()),
    ];
    let Plan::Instrument { file, .. } = plan(&files).unwrap() else { panic!("not instrumented") };
    assert_eq!(file, PathBuf::from("/p/run.go"));
}

#[test]
fn no_main_is_a_clear_error() {
    let err = plan(&one("/p/lib.go", "package lib\nfunc F() {}\n")).unwrap_err();
    assert_eq!(err.to_string(), "no `func main` in package main among /p/lib.go");
}

#[test]
fn the_helper_file_is_package_main() {
    assert!(HELPER_SOURCE.contains("\npackage main\n"));
    assert!(HELPER_SOURCE.contains(TRACE_FILE_ENV));
}

#[test]
fn functions_that_use_timers_are_listed_for_the_watch() {
    let text = "package main\n\nimport \"time\"\n\nfunc wait(c chan int) {\n\t<-c\n}\n\nfunc tick(t *time.Ticker) {\n\t<-t.C\n}\n\nfunc main() {\n\tselect {\n\tcase <-time.After(time.Second):\n\t}\n\tgo func() {\n\t\t<-make(chan int)\n\t}()\n}\n";
    let Plan::Instrument { timer_funcs, .. } = plan(&one("/p/main.go", text)).unwrap() else { panic!("not instrumented") };
    // tick (lines 9-11) names a ticker's channel; main (13-20) calls time.After; wait and the
    // func literal (which only receives) do not.
    assert_eq!(timer_funcs, "/p/main.go:9:11\n/p/main.go:13:20\n");
}

#[test]
fn the_crash_output_helper_needs_go_1_23() {
    let crash = |minor| helper_sources(minor)[1].1;
    assert!(crash(Some(23)).contains("SetCrashOutput") && crash(None).contains("SetCrashOutput"));
    assert!(!crash(Some(22)).contains("SetCrashOutput("));
    for minor in [Some(19), Some(27)] {
        assert!(helper_sources(minor).iter().all(|(name, text)| name.starts_with("zz_gotrace") && text.contains("\npackage main\n")));
    }
}

/// Every `_gotrace` function the helper files call is defined once among the files chosen for
/// a Go: the parts chosen per version fit the common part, with no piece in two files.
#[test]
fn each_go_gets_every_helper_function_once() {
    for minor in [Some(6), Some(19), Some(22), Some(23), Some(27), None] {
        let files = helper_sources(minor);
        let mut defined: Vec<&str> = Vec::new();
        for (_, text) in &files {
            for line in text.lines() {
                if let Some(name) = line.strip_prefix("func _gotrace").and_then(|rest| rest.split('(').next()) {
                    defined.push(name);
                }
            }
        }
        let mut unique = defined.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), defined.len(), "Go 1.{minor:?}: a function is defined twice: {defined:?}");
        for (name, text) in &files {
            for call in text.split("_gotrace").skip(1) {
                let Some((called, _)) = call.split_once('(') else { continue };
                if !called.is_empty() && called.chars().all(|c| c.is_ascii_alphanumeric()) && called.starts_with(char::is_uppercase) {
                    assert!(defined.contains(&called), "Go 1.{minor:?}: {name} calls _gotrace{called}, defined nowhere");
                }
            }
        }
    }
    let watches = |minor| helper_sources(minor).iter().any(|(_, text)| text.contains("func _gotraceWatch("));
    assert!(!watches(Some(6)), "Go 1.6 has no deadlock watch");
    assert!(watches(Some(19)) && watches(None));
}
