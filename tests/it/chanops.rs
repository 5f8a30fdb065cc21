//! The patched runtime with real Go 1.25, 1.26 and 1.27: `gotrace setup-runtime` copies the
//! Go, patches the copy and proves it with a probe; `gotrace run` then builds with the copy
//! by default, and every channel operation comes back with its channel and value: the one
//! message of a hello, a ping-pong's counter in order, every item of a buffered
//! producer/consumer (sent into the buffer, taken out later), select cases and closes.
//! `--runtime stock` opts out; a binary from `gotrace build` records them on its own; the
//! patched Go's own `go tool trace` reads the same file; a Go without a patch is refused.
//!
//! Each Go is set up once per run of this file, in a data directory of its own (a copy of a
//! GOROOT and the first build with it take about ten seconds). Missing toolchains skip loudly;
//! GOTRACE_REQUIRE_TOOLCHAINS=1 makes them failures.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Mutex, OnceLock};

use gotrace::model::{Channel, ChannelTruth, Message, MessageKind, Model, StackRef};
use serde_json::Value;

use crate::common::*;

const NEWEST: &str = "1.27.3";

/// One message from a goroutine to main: the smallest channel operation, as the original's
/// hello showed it.
const HELLO: &str = r#"package main

func main() {
	ch := make(chan int)
	go func() { ch <- 42 }()
	println(<-ch)
}
"#;

/// Two-case selects (a one-case select compiles to a plain send or receive; `never` is nil, so
/// the other case always wins), and closes that end two ranging receivers.
const SELECT_CLOSE: &str = r#"package main

func main() {
	var never chan int
	in := make(chan int)
	out := make(chan int)
	go func() {
		for v := range in {
			select {
			case out <- v * 10:
			case <-never:
			}
		}
		close(out)
	}()
	for i := 1; i <= 3; i++ {
		select {
		case in <- i:
		case never <- 0:
		}
		<-out
	}
	close(in)
	for range out {
	}
}
"#;

/// A data directory per Go version, with that Go's patched copy set up in it (once).
fn patched(version: &str) -> Option<(PathBuf, PathBuf)> {
    static SET_UP: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let go = require(version)?;
    let mut set_up = SET_UP.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(data) = set_up.get(version) {
        return Some((go, data.clone()));
    }
    // Under target/tmp, made anew by each run of this file (a copy of a Go is 250 MB: one
    // per version is kept until the next run, never one per run).
    let data = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("chanops-{version}"));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).expect("data dir");
    let out = setup(&data, &go, &[]);
    assert!(out.status.success(), "setup-runtime --go {version} failed: {}", stderr(&out));
    assert!(stderr(&out).contains("installed go"), "{}", stderr(&out));
    set_up.insert(version.to_string(), data.clone());
    Some((go, data))
}

fn setup(data: &Path, go: &Path, extra: &[&str]) -> Output {
    gotrace()
        .current_dir(data)
        .env("GOTRACE_DATA_DIR", data)
        .arg("setup-runtime")
        .arg("--go")
        .arg(go)
        .args(extra)
        .output()
        .expect("gotrace setup-runtime")
}

/// `gotrace run -o` of `source` with `go` and the runtimes in `data`: the model.
fn run(data: &Path, go: &Path, source: &str, extra: &[&str]) -> (Model, Output) {
    run_files(data, go, &[("main.go", source)], extra)
}

/// The same for a program of several files.
fn run_files(data: &Path, go: &Path, files: &[(&str, &str)], extra: &[&str]) -> (Model, Output) {
    let dir = project(files);
    let (model, out) = run_command(data, go, dir.path(), extra).args(files.iter().map(|(name, _)| name)).model();
    assert!(out.status.success(), "gotrace run failed: {}", stderr(&out));
    (model, out)
}

/// `gotrace run --no-browser --go GO EXTRA…` in `dir` with the runtimes in `data`.
fn run_command(data: &Path, go: &Path, dir: &Path, extra: &[&str]) -> Gotrace {
    let mut cmd = gotrace();
    cmd.current_dir(dir).env("GOTRACE_DATA_DIR", data).args(["run", "--no-browser", "--go"]).arg(go).args(extra);
    cmd
}

/// The messages on `channel`, in the order they were sent.
fn on_channel(model: &Model, channel: u64) -> Vec<&Message> {
    let mut on: Vec<&Message> = model.messages.iter().filter(|m| m.channel == Some(channel)).collect();
    on.sort_by_key(|m| m.send_ns);
    on
}

fn texts(messages: &[&Message]) -> Vec<String> {
    messages.iter().map(|m| m.value_text.clone().unwrap_or_else(|| "-".into())).collect()
}

/// The channel whose element type is `elem` and capacity `cap`.
fn channel<'m>(model: &'m Model, elem: &str, cap: u64) -> &'m Channel {
    let found: Vec<&Channel> = model.channels.iter().filter(|c| c.elem_type.as_deref() == Some(elem) && c.capacity == Some(cap)).collect();
    assert_eq!(found.len(), 1, "one channel of {elem} with capacity {cap} in {:?}", model.channels);
    found[0]
}

/// The first program frame of `stack`, as "func:line".
fn frame(model: &Model, stack: Option<StackRef>) -> String {
    let frames = &model.stacks[stack.expect("a stack").index()];
    let f = frames.iter().find(|f| f.func.starts_with("main.")).expect("a frame in main");
    format!("{}:{}", f.func, f.line)
}

#[test]
fn each_supported_go_is_patched_once_proved_and_carries_hellos_42() {
    for version in ["1.25.5", "1.26.6", NEWEST] {
        let Some((go, data)) = patched(version) else { continue };
        let minor = &version[..4];
        let name = format!("go{version}-chanops");
        // The user's own Go is left as it is.
        let stock_root = go.parent().unwrap().parent().unwrap();
        assert!(!stock_root.join("src/runtime/tracechanops.go").exists(), "Go {version} itself was patched");
        let list = gotrace().current_dir(&data).env("GOTRACE_DATA_DIR", &data).args(["setup-runtime", "--list"]).output().unwrap();
        assert!(stdout(&list).contains(&name), "--list: {}", stdout(&list));
        let again = setup(&data, &go, &[]);
        assert!(again.status.success() && stderr(&again).contains("already installed"), "second setup: {}", stderr(&again));

        let (model, out) = run(&data, &go, HELLO, &[]);
        assert!(stderr(&out).contains("patched: records every channel operation"), "Go {minor}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().filter(|l| *l == "42").count(), 1, "the program's output stays: {}", stderr(&out));
        assert_eq!(model.meta.channel_truth, ChannelTruth::Exact, "Go {minor}");
        let ints = channel(&model, "int", 0);
        assert_eq!(texts(&on_channel(&model, ints.id)), ["42"], "Go {minor}: hello's one message");
        assert_eq!(frame(&model, ints.make_stack), "main.main:4", "Go {minor}: where the channel was made");
    }
}

#[test]
fn pingpongs_counter_comes_in_order_on_one_channel() {
    let Some((go, data)) = patched(NEWEST) else { return };
    let (model, _) = run_files(&data, &go, &PINGPONG, &[]);
    let table = model.channels.iter().find(|c| c.sends == 10).unwrap_or_else(|| panic!("the table: {:?}", model.channels));
    let hits = on_channel(&model, table.id);
    assert_eq!(texts(&hits), ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    // The players pass the ball back and forth: each hit goes to the other goroutine.
    for pair in hits[1..].windows(2) {
        assert_eq!(pair[0].to, pair[1].from, "the receiver of a hit sends the next");
        assert_ne!(pair[0].from, pair[1].from, "hits alternate between players");
    }
}

#[test]
fn a_buffered_channel_shows_every_item_sent_and_received_in_order() {
    let Some((go, data)) = patched(NEWEST) else { return };
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/prodcons.go")).unwrap();
    let (model, out) = run(&data, &go, &source, &[]);
    assert!(stdout(&out).contains("consumed 45"), "{}", stdout(&out));
    let items = channel(&model, "int", 3);
    assert_eq!((items.sends, items.recvs), (10, 10), "{items:?}");
    assert!(items.closed_ns.is_some(), "the producer closes items: {items:?}");
    assert_eq!(frame(&model, items.make_stack), "main.main:27");
    let on = on_channel(&model, items.id);
    let values: Vec<&Message> = on.iter().copied().filter(|m| m.kind == MessageKind::Chan).collect();
    assert_eq!(texts(&values), ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    let mut received: Vec<u64> = values.iter().map(|m| m.recv_ns).collect();
    assert!(received.windows(2).all(|w| w[0] <= w[1]), "taken out in the order sent: {received:?}");
    received.sort_unstable();
    // The producer runs ahead: items wait in the buffer while the consumer sleeps 0.5 ms per item.
    let waited = values.iter().filter(|m| m.recv_ns >= m.send_ns + 400_000).count();
    assert!(waited >= 3, "items that waited in the buffer: {waited} of {}", values.len());
    assert!(on.iter().any(|m| m.kind == MessageKind::Close), "the close reaches the ranging consumer");
    let done = channel(&model, "int", 0);
    assert_eq!(texts(&on_channel(&model, done.id)), ["45"]);
}

#[test]
fn select_cases_and_closes_appear() {
    let Some((go, data)) = patched(NEWEST) else { return };
    let (model, _) = run(&data, &go, SELECT_CLOSE, &[]);
    let kinds = |kind: MessageKind| -> Vec<String> {
        let mut m: Vec<&Message> = model.messages.iter().filter(|m| m.kind == kind).collect();
        m.sort_by_key(|m| m.send_ns);
        texts(&m)
    };
    let selected = kinds(MessageKind::Select);
    for v in ["1", "2", "3", "10", "20", "30"] {
        assert!(selected.iter().any(|s| s == v), "select case carrying {v}: {selected:?}");
    }
    assert_eq!(kinds(MessageKind::Close).len(), 2, "both ranges end by a close: {:?}", model.messages);
}

#[test]
fn stock_opts_out_and_the_patched_gos_tool_reads_the_trace() {
    let Some((go, data)) = patched(NEWEST) else { return };
    let (model, out) = run(&data, &go, HELLO, &["--runtime", "stock"]);
    assert!(!stderr(&out).contains("patched"), "{}", stderr(&out));
    assert_eq!(model.meta.channel_truth, ChannelTruth::Inferred);

    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.trace");
    let (model, _) = run(&data, &go, HELLO, &["--runtime", "patched", "--trace-out", trace.to_str().unwrap()]);
    assert_eq!(model.meta.channel_truth, ChannelTruth::Exact);
    let patched_go = data.join(format!("runtimes/go{NEWEST}-chanops/go/bin/go"));
    let dump = isolated(&patched_go).args(["tool", "trace", "-d=parsed"]).arg(&trace).output().unwrap();
    assert!(dump.status.success(), "the patched go tool trace: {}", stderr(&dump));
    assert!(stdout(&dump).contains("Name=ChanSend"), "the patched tool names the channel events");
}

#[test]
fn a_built_binary_records_channel_operations_on_its_own() {
    let Some((go, data)) = patched(NEWEST) else { return };
    let dir = project(&[("main.go", HELLO)]);
    let binary = dir.path().join("hello");
    let out = gotrace()
        .current_dir(dir.path())
        .env("GOTRACE_DATA_DIR", &data)
        .arg("build")
        .arg("--go")
        .arg(&go)
        .arg("-o")
        .arg(&binary)
        .arg("main.go")
        .output()
        .unwrap();
    assert!(out.status.success(), "gotrace build: {}", stderr(&out));
    let trace = dir.path().join("t.trace");
    let ran = isolated(&binary).env("GOTRACE_TRACE_FILE", &trace).output().unwrap();
    assert!(ran.status.success() && stderr(&ran).contains("42"), "{}", stderr(&ran));
    let (model, out) = gotrace().current_dir(dir.path()).arg("view").arg(&trace).arg(&binary).model();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(model.meta.channel_truth, ChannelTruth::Exact);
}

#[test]
fn a_go_without_a_patch_is_refused_in_one_line_naming_the_supported_ones() {
    let Some(go) = require("1.24.11") else { return };
    let data = tempfile::tempdir().unwrap();
    let out = setup(data.path(), &go, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("go1.24.11") && err.contains("Go 1.25, Go 1.26, Go 1.27"), "{err}");
    assert!(std::fs::read_dir(data.path().join("runtimes")).is_ok_and(|d| d.count() == 0), "nothing installed");

    let out = run_err(data.path(), &go, &["--runtime", "patched"]);
    assert!(out.contains("gotrace setup-runtime"), "{out}");
}

#[test]
fn remove_takes_the_copy_away() {
    let Some(go) = require("1.25.5") else { return };
    let data = tempfile::tempdir().unwrap();
    let runtimes = data.path().join("runtimes");
    // A stand-in for a set-up copy, as the store lays it out: removal needs no real one.
    let copy = runtimes.join("go1.25.5-chanops");
    std::fs::create_dir_all(copy.join("go")).unwrap();
    let manifest = r#"{"name":"go1.25.5-chanops","go_version":"go1.25.5","goroot":"go","source":"x","patch":"go1.25-chanops.patch","patch_sha256":"","installed_unix":0}"#;
    std::fs::write(copy.join("manifest.json"), manifest).unwrap();
    let out = setup(data.path(), &go, &["--remove"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!copy.exists());
}

/// `gotrace run` of hello that must fail; its stderr.
fn run_err(data: &Path, go: &Path, extra: &[&str]) -> String {
    let dir = project(&[("main.go", HELLO)]);
    let out = run_command(data, go, dir.path(), extra).arg("main.go").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    stderr(&out)
}

#[test]
fn inspect_lists_the_channels_with_their_traffic() {
    // The committed patched fixture (scripts/gen-traces.sh chanops): no Go needed.
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces/patched/chanops_1_27.trace");
    let out = gotrace().arg("inspect").arg(&trace).arg("--json").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let channels: Vec<String> = summary["channels"]
        .as_array()
        .expect("channels[]")
        .iter()
        .map(|c| {
            let at = &c["made_at"];
            format!(
                "{} cap {} at {}:{}: {} sent, {} received, closed {}",
                c["elem_type"], c["capacity"], at["func"], at["line"], c["sends"], c["recvs"], c["closed"]
            )
        })
        .collect();
    assert_eq!(
        channels,
        [
            "\"int\" cap 3 at \"main.main\":47: 6 sent, 6 received, closed true",
            "\"int\" cap 0 at \"main.main\":48: 6 sent, 6 received, closed true",
            "\"float64\" cap 0 at \"main.main\":49: 3 sent, 3 received, closed true",
        ]
    );
    let text = gotrace().arg("inspect").arg(&trace).output().unwrap();
    assert!(stdout(&text).contains("6  sent, 6 received, closed: chan int buffered 3, made at main.main"), "{}", stdout(&text));
}
