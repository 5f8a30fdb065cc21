//! Stuck goroutines with real Go (1.21: old trace format, 1.27: new): `gotrace run` ends a
//! deadlocked program by itself with Go's status and words and a picture, a crash still gives
//! its picture, and `--check` fails on leaked goroutines, naming where they block and where
//! they were created. Each test asserts the outcome, the exit status, the stuck goroutines with
//! their lines, the program's output, and that the run ends in seconds.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::Value;

const GO_VERSIONS: &[&str] = &["1.21.13", "1.27.3"];

/// Builds can take a few seconds on a busy machine; a hang would take --timeout (60 s).
const IN_SECONDS: Duration = Duration::from_secs(30);

struct Run {
    out: Output,
    /// The model's `check` object.
    check: Value,
    model: Value,
}

impl Run {
    fn status(&self) -> Option<i32> {
        self.out.status.code()
    }

    /// The leak groups as (reason, blocked_at line, created_at line, count), sorted.
    fn groups(&self) -> Vec<(String, u64, u64, u64)> {
        let mut groups: Vec<_> = self.check["leaks"]
            .as_array()
            .expect("leaks")
            .iter()
            .map(|l| {
                let line = |key: &str| l[key]["line"].as_u64().unwrap_or(0);
                (l["reason"].as_str().unwrap_or_default().to_owned(), line("blocked_at"), line("created_at"), l["count"].as_u64().unwrap())
            })
            .collect();
        groups.sort();
        groups
    }

    fn name_of(&self, id: u64) -> String {
        let g = self.model["goroutines"].as_array().unwrap().iter().find(|g| g["id"] == id);
        g.and_then(|g| g["name"].as_str()).unwrap_or_default().to_owned()
    }
}

/// The 1-based line of `source` holding `marker`.
fn line(source: &str, marker: &str) -> u64 {
    let at = source.lines().position(|l| l.contains(marker)).unwrap_or_else(|| panic!("no line with {marker:?}"));
    at as u64 + 1
}

/// `gotrace run --no-browser -o model.json FLAGS prog.go` in a project holding `source`.
fn run(go: &Path, source: &str, flags: &[&str]) -> Run {
    let dir = project(&[("prog.go", source)]);
    let started = Instant::now();
    let (model, out) = gotrace()
        .current_dir(dir.path())
        .arg("run")
        .arg("--go")
        .arg(go)
        .args(["--no-browser", "--timeout", "60s"])
        .args(flags)
        .arg("prog.go")
        .model_json();
    let elapsed = started.elapsed();
    assert!(elapsed < IN_SECONDS, "took {elapsed:?}: {}", stderr(&out));
    Run { check: model["check"].clone(), model, out }
}

fn each_go(test: impl Fn(&Path, &str)) {
    each_of(GO_VERSIONS, test);
}

/// Leaks are found only in new-format traces (Go 1.22+) so far: an old-format trace of these
/// programs ends without their goroutines' last blocks (issue 13 stays open for it).
const LEAK_GO_VERSIONS: &[&str] = &["1.27.3"];

fn each_go_with_leaks(test: impl Fn(&Path, &str)) {
    each_of(LEAK_GO_VERSIONS, test);
}

fn each_of(versions: &[&str], test: impl Fn(&Path, &str)) {
    for version in versions {
        if let Some(go) = require(version) {
            test(&go, version);
        }
    }
}

const CHANNEL_DEADLOCK: &str = r#"package main

import "fmt"

func worker(in chan int, out chan int) {
	for v := range in {
		out <- v * 2 // worker blocks
	}
}

func main() {
	in := make(chan int)
	out := make(chan int)
	go worker(in, out) // worker created
	in <- 1
	fmt.Println(<-out)
	in <- 2
	in <- 3 // main blocks
}
"#;

#[test]
fn a_channel_deadlock_ends_with_gos_status_words_and_picture() {
    each_go(|go, version| {
        let r = run(go, CHANNEL_DEADLOCK, &[]);
        let err = stderr(&r.out);
        assert_eq!(r.status(), Some(2), "Go {version}: {err}");
        assert_eq!(stdout(&r.out), "2\n", "Go {version}");
        let src = CHANNEL_DEADLOCK;
        assert!(
            err.contains("fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan send]:\nmain.main()"),
            "Go {version}: {err}"
        );
        assert!(err.contains(&format!("prog.go:{}", line(src, "main blocks"))), "Go {version}: {err}");
        assert!(err.contains("\nmain.worker("), "Go {version}: {err}");
        assert!(err.contains(&format!("prog.go:{}", line(src, "worker blocks"))), "Go {version}: {err}");
        assert!(err.contains("created by main.main") && err.contains(&format!("prog.go:{}", line(src, "worker created"))));
        assert_eq!(r.check["outcome"], "deadlock", "Go {version}");
        let want = vec![
            ("chan send".to_owned(), line(src, "worker blocks"), line(src, "worker created"), 1),
            ("chan send".to_owned(), line(src, "main blocks"), 0, 1),
        ];
        assert_eq!(r.groups(), want, "Go {version}: {}", r.check);
    });
}

const LOCK_ORDER: &str = r#"package main

import (
	"fmt"
	"sync"
)

func transfer(first, second *sync.Mutex, ready *sync.WaitGroup, done chan<- bool) {
	first.Lock()
	ready.Done()
	ready.Wait() // both hold their first lock now
	second.Lock() // second lock
	done <- true
}

func main() {
	var a, b sync.Mutex
	var ready sync.WaitGroup
	ready.Add(2)
	done := make(chan bool)
	go transfer(&a, &b, &ready, done) // a then b
	go transfer(&b, &a, &ready, done) // b then a
	fmt.Println("transferring")
	<-done // main waits
	<-done
}
"#;

#[test]
fn a_lock_order_deadlock_of_two_mutexes() {
    each_go(|go, version| {
        let r = run(go, LOCK_ORDER, &[]);
        let err = stderr(&r.out);
        assert_eq!(r.status(), Some(2), "Go {version}: {err}");
        assert_eq!(stdout(&r.out), "transferring\n");
        assert!(err.contains("all goroutines are asleep - deadlock!"), "Go {version}: {err}");
        // Go shows the runtime's frames of a goroutine parked in a lock above the program's.
        assert_eq!(err.matches("[sync.Mutex.Lock]:\n").count(), 2, "Go {version}: {err}");
        assert_eq!(err.matches("\nmain.transfer(").count(), 2, "Go {version}: {err}");
        assert!(err.contains(&format!("prog.go:{}", line(LOCK_ORDER, "second lock"))), "{err}");
        assert_eq!(r.check["outcome"], "deadlock");
        let src = LOCK_ORDER;
        let want = vec![
            ("chan receive".to_owned(), line(src, "main waits"), 0, 1),
            ("sync".to_owned(), line(src, "second lock"), line(src, "a then b"), 1),
            ("sync".to_owned(), line(src, "second lock"), line(src, "b then a"), 1),
        ];
        assert_eq!(r.groups(), want, "Go {version}: {}", r.check);
    });
}

const SELECT_FOREVER: &str = r#"package main

import (
	"fmt"
	"sync"
)

func main() {
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done() }()
	}
	wg.Wait()
	fmt.Println("all done")
	select {} // main blocks forever
}
"#;

#[test]
fn select_forever_in_main_after_the_others_finish() {
    each_go(|go, version| {
        let r = run(go, SELECT_FOREVER, &[]);
        let err = stderr(&r.out);
        assert_eq!(r.status(), Some(2), "Go {version}: {err}");
        assert_eq!(stdout(&r.out), "all done\n");
        assert!(
            err.contains("all goroutines are asleep - deadlock!\n\ngoroutine 1 [select (no cases)]:\nmain.main()"),
            "Go {version}: {err}"
        );
        assert!(err.contains(&format!("prog.go:{}", line(SELECT_FOREVER, "main blocks forever"))), "{err}");
        assert_eq!(r.check["outcome"], "deadlock");
    });
}

const PANIC: &str = r#"package main

import (
	"fmt"
	"time"
)

func worker(in <-chan int) {
	for v := range in {
		if v == 3 {
			panic(fmt.Sprintf("bad value %d", v)) // worker panics
		}
		fmt.Println("got", v)
	}
}

func main() {
	in := make(chan int)
	go worker(in)
	for i := 1; i < 6; i++ {
		in <- i
		time.Sleep(150 * time.Millisecond)
	}
}
"#;

#[test]
fn a_worker_that_panics_still_gives_its_picture() {
    each_go(|go, version| {
        let r = run(go, PANIC, &[]);
        let err = stderr(&r.out);
        assert_eq!(r.status(), Some(2), "Go {version}: the program's status: {err}");
        assert_eq!(stdout(&r.out), "got 1\ngot 2\n");
        assert!(err.contains("panic: bad value 3\n\ngoroutine "), "Go's panic message stays: {err}");
        assert!(err.contains(&format!("prog.go:{}", line(PANIC, "worker panics"))), "{err}");
        if version == "1.27.3" {
            assert_eq!(r.check["outcome"], "panic", "Go {version}: {err}");
            let crashed = r.check["crashed"].as_u64().expect("the crashed goroutine");
            assert_eq!(r.name_of(crashed), "main.worker");
            assert!(r.model["goroutines"].as_array().unwrap().len() >= 2, "the picture has the goroutines up to the crash");
        }
    });
}

const FIRST_ANSWER_WINS: &str = r#"package main

import (
	"fmt"
	"time"
)

func first(query string) string {
	answers := make(chan string)
	for i := 0; i < 3; i++ {
		go func(i int) { // replica created
			answers <- fmt.Sprintf("%s from replica %d", query, i) // replica blocks
		}(i)
	}
	return <-answers
}

func main() {
	fmt.Println(first("q")[:1])
	// The program goes on a little: by its end the losing replicas have parked for good
	// rather than being still on their way to the send.
	time.Sleep(50 * time.Millisecond)
}
"#;

#[test]
fn leaked_senders_after_first_answer_wins_fail_the_check() {
    each_go_with_leaks(|go, version| {
        let r = run(go, FIRST_ANSWER_WINS, &["--check"]);
        let err = stderr(&r.out);
        assert_eq!(r.status(), Some(3), "Go {version}: {err}");
        assert_eq!(stdout(&r.out), "q\n");
        let src = FIRST_ANSWER_WINS;
        assert!(err.contains("gotrace: found 2 leaked goroutines in 1 group:\n  2 × [chan send] since "), "Go {version}: {err}");
        assert!(
            err.contains("blocked at main.first.func1 (") && err.contains(&format!("prog.go:{})", line(src, "replica blocks"))),
            "{err}"
        );
        assert!(err.contains("created at main.first (") && err.contains(&format!("prog.go:{})", line(src, "replica created"))), "{err}");
        assert_eq!(r.check["outcome"], "exited");
        assert_eq!(r.groups(), vec![("chan send".to_owned(), line(src, "replica blocks"), line(src, "replica created"), 2)]);
        assert!(r.check["leaks"][0]["since_ns"].as_u64().is_some());
    });
}

const WATCHERS: &str = r#"package main

import (
	"fmt"
	"time"
)

func watch(updates <-chan int, quit <-chan bool, seen chan<- int) {
	for {
		select { // watcher blocks
		case v := <-updates:
			seen <- v
		case <-quit:
			return
		}
	}
}

func main() {
	updates, quit, seen := make(chan int), make(chan bool), make(chan int)
	for i := 0; i < 3; i++ {
		go watch(updates, quit, seen) // watcher created
	}
	for i := 0; i < 3; i++ {
		updates <- i
		<-seen
	}
	fmt.Println("watched")
	// quit is never closed: the watchers leak (given the time to park again first).
	time.Sleep(50 * time.Millisecond)
}
"#;

#[test]
fn leaked_select_watchers_are_reported_and_ignorable() {
    each_go_with_leaks(|go, version| {
        let junit = tempfile::NamedTempFile::new().unwrap();
        let r = run(go, WATCHERS, &["--check", "--junit", junit.path().to_str().unwrap()]);
        let err = stderr(&r.out);
        assert_eq!(r.status(), Some(3), "Go {version}: {err}");
        assert_eq!(stdout(&r.out), "watched\n");
        assert_eq!(r.groups(), vec![("select".to_owned(), line(WATCHERS, "watcher blocks"), line(WATCHERS, "watcher created"), 3)]);
        let xml = std::fs::read_to_string(junit.path()).unwrap();
        assert!(xml.contains("tests=\"2\" failures=\"1\"") && xml.contains("3 goroutine(s) stuck in [select]"), "{xml}");

        let shown = run(go, WATCHERS, &[]);
        assert_eq!(shown.status(), Some(0), "without --check leaks are shown but do not fail");
        assert!(stderr(&shown.out).contains("found 3 leaked goroutines"));

        let ignored = run(go, WATCHERS, &["--check", "--ignore", "main.watch"]);
        assert_eq!(ignored.status(), Some(0), "Go {version}: {}", stderr(&ignored.out));
        assert_eq!(ignored.groups(), vec![]);
    });
}

#[test]
fn gotrace_check_reads_an_existing_trace_and_annotates_for_github() {
    let Some(go) = any_go() else { return };
    let dir = project(&[("prog.go", FIRST_ANSWER_WINS)]);
    let kept = dir.path().join("kept.trace");
    let out = gotrace()
        .current_dir(dir.path())
        .arg("run")
        .arg("--go")
        .arg(&go)
        .args(["--no-browser", "-o", "m.json", "--trace-out"])
        .arg(&kept)
        .arg("prog.go")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let check = |args: &[&str]| -> Output {
        gotrace().current_dir(dir.path()).arg("check").args(args).env("GITHUB_ACTIONS", "true").output().unwrap()
    };
    let json = check(&["kept.trace", "--json"]);
    assert_eq!(json.status.code(), Some(3), "{}", stderr(&json));
    let value: Value = serde_json::from_slice(&json.stdout).expect("only the check object on stdout");
    let replica = line(FIRST_ANSWER_WINS, "replica blocks");
    assert_eq!(value["outcome"], "exited");
    assert_eq!(value["leaks"][0]["count"], 2);
    assert_eq!(value["leaks"][0]["blocked_at"]["line"], replica);
    let model = check(&["m.json"]);
    assert_eq!(model.status.code(), Some(3));
    assert!(stderr(&model).contains("found 2 leaked goroutines in 1 group"), "{}", stderr(&model));
    let annotations = stdout(&model);
    assert!(
        annotations.starts_with("::error file=") && annotations.contains(&format!(",line={replica}::2 goroutine(s) leaked")),
        "{annotations}"
    );
}

#[test]
fn gotrace_test_checks_each_package() {
    let leaky = "package leaky\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\nfunc TestLeaks(t *testing.T) {\n\tc := make(chan int)\n\tgo func() { c <- 1 }() // leaked sender\n\ttime.Sleep(50 * time.Millisecond)\n}\n\nfunc TestFine(t *testing.T) {}\n";
    let fine = "package fine\n\nimport \"testing\"\n\nfunc TestFine(t *testing.T) {\n\tdone := make(chan bool)\n\tgo func() { done <- true }()\n\t<-done\n}\n";
    let failing = "package fine\n\nimport \"testing\"\n\nfunc TestFails(t *testing.T) { t.Fatal(\"broken\") }\n";
    each_go_with_leaks(|go, version| {
        let dir = project(&[("go.mod", "module leaky\n\ngo 1.21\n"), ("leaky_test.go", leaky), ("fine/fine_test.go", fine)]);
        let started = Instant::now();
        let out = gotrace()
            .current_dir(dir.path())
            .arg("test")
            .arg("--go")
            .arg(go)
            .args(["--check", "./...", "--", "-count=1"])
            .output()
            .unwrap();
        assert!(started.elapsed() < IN_SECONDS * 2);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "Go {version}: {err}");
        assert!(
            stdout(&out).contains("ok  \tleaky\t") && stdout(&out).contains("ok  \tleaky/fine\t"),
            "go test's output stays: {}",
            stdout(&out)
        );
        assert!(err.contains("gotrace: FAIL leaky: 1 leaked goroutine\n"), "Go {version}: {err}");
        assert!(err.contains("gotrace: ok   leaky/fine: no leaked goroutines\n"), "Go {version}: {err}");
        assert!(err.contains("[chan send]") && err.contains(&format!("leaky_test.go:{})", line(leaky, "leaked sender"))), "{err}");

        std::fs::write(dir.path().join("fine/fail_test.go"), failing).unwrap();
        let out = gotrace()
            .current_dir(dir.path())
            .arg("test")
            .arg("--go")
            .arg(go)
            .args(["--check", "./fine", "--", "-count=1"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "a failing test keeps go test's status: {}", stderr(&out));
        assert!(stdout(&out).contains("--- FAIL: TestFails"), "{}", stdout(&out));
    });
}
