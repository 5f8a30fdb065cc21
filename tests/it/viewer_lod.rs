//! A trace too big to draw one by one: the level of detail. A real trace of bench/stress
//! (Go 1.27, 40 ping-pong pairs, about 160,000 messages and 480,000 states) is written once
//! per run, then shown aggregated in headless Chromium, served (where zooming asks the server
//! for a window in detail) and as an `--html` file (which says how to get detail).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::browser::{get, inline_picture, repo_path, Page, Server};
use crate::common::gotrace;
use serde_json::Value;

/// Of lod::Budget::default(): what the viewer gets at most.
const MAX_SEGMENTS: u64 = 200_000;
const MAX_ARROWS: u64 = 100_000;

/// One Chromium at a time: they are heavy, and the machine is small.
static BROWSER: Mutex<()> = Mutex::new(());

/// The stress trace, written once for all tests of this file (None: no Go here, said loudly).
fn stress_trace() -> Option<&'static Path> {
    static TRACE: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    TRACE
        .get_or_init(|| {
            let go = crate::common::require("1.27.3")?;
            let dir = tempfile::tempdir().expect("temp dir");
            let bin = dir.path().join("stress");
            crate::common::go_build(&go, &repo_path("bench/stress"), &bin);
            let trace = dir.path().join("stress.trace");
            let ran = crate::common::isolated(&bin).args(["-pairs", "40", "-rounds", "2000"]).arg(&trace).output().expect("stress runs");
            assert!(ran.status.success(), "stress: {}", String::from_utf8_lossy(&ran.stderr));
            Some((dir, trace))
        })
        .as_ref()
        .map(|(_, trace)| trace.as_path())
}

fn sum_of_n(items: &Value) -> u64 {
    items.as_array().unwrap().iter().map(|i| i["n"].as_u64().unwrap_or(1)).sum()
}

#[test]
fn the_html_export_aggregates_within_the_budget_and_says_so_on_screen() {
    let Some(trace) = stress_trace() else { return };
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("stress.html");
    let out = gotrace().arg("view").arg(trace).arg("--html").arg(&html).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let picture = inline_picture(&std::fs::read_to_string(&html).unwrap());
    let lod = &picture["lod"];
    for (kind, max) in [("segments", MAX_SEGMENTS), ("messages", MAX_ARROWS)] {
        let (total, shown) = (lod[kind]["total"].as_u64().unwrap(), lod[kind]["shown"].as_u64().unwrap());
        assert!(total > max, "the trace must be too big to draw: {kind} {lod}");
        assert!(shown <= max && shown > max / 8, "{kind}: {lod}");
        assert_eq!(picture[kind].as_array().unwrap().len() as u64, shown, "{kind}");
        assert_eq!(sum_of_n(&picture[kind]), total, "every {kind} item is in one aggregate");
        assert!(lod[kind]["cell_ns"].as_u64() > Some(0), "{kind}: {lod}");
    }
    // The model file still has every message.
    let json = dir.path().join("model.json");
    let (model, out) = gotrace().arg("view").arg(trace).model_at(&json);
    assert!(out.status.success());
    assert_eq!(model.messages.len() as u64, lod["messages"]["total"].as_u64().unwrap());
    // Viewed again, the model file gets the same level of detail as the trace.
    let again = dir.path().join("again.html");
    assert!(gotrace().arg("view").arg(&json).arg("--html").arg(&again).status().unwrap().success());
    assert_eq!(inline_picture(&std::fs::read_to_string(&again).unwrap())["lod"], *lod);

    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let page = Page::open(&format!("file://{}", html.display()));
    page.eval("gotrace.seek(1), gotrace.freeze()");
    let notice = page.eval("document.getElementById('lod')?.textContent ?? ''");
    let notice = notice.as_str().unwrap();
    assert!(notice.contains("Too many to draw one by one") && notice.contains("arrows"), "{notice}");
    assert!(notice.contains("gotrace view"), "the file page says how to get detail: {notice}");
    assert!(page.eval("gotrace.litPixels()")["lit"].as_u64() > Some(5000), "blank canvas");
    page.screenshot("viewer_lod_html");
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}

#[test]
fn dash_dash_window_writes_a_page_of_one_part_of_the_trace_in_full_detail() {
    let Some(trace) = stress_trace() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (model, out) = gotrace().arg("view").arg(trace).model_json();
    assert!(out.status.success());
    let duration = model["meta"]["duration_ns"].as_u64().unwrap();
    // A twentieth of the trace from its middle, in whole microseconds.
    let (from_us, to_us) = (duration / 2000, duration / 2000 + duration / 20_000);
    let html = dir.path().join("window.html");
    let out = gotrace()
        .arg("view")
        .arg(trace)
        .args(["--window", &format!("{}ms..{}ms", from_us as f64 / 1e3, to_us as f64 / 1e3), "--html"])
        .arg(&html)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let picture = inline_picture(&std::fs::read_to_string(&html).unwrap());
    let lod = &picture["lod"];
    let (start, end) = (lod["window"]["start_ns"].as_u64().unwrap(), lod["window"]["end_ns"].as_u64().unwrap());
    assert!(start.abs_diff(from_us * 1000) <= 1 && end.abs_diff(to_us * 1000) <= 1, "{lod}");
    let in_window = model["messages"].as_array().unwrap().iter().filter(|m| (start..end).contains(&m["send_ns"].as_u64().unwrap())).count();
    assert!(in_window > 100, "the window should hold messages: {in_window}");
    assert_eq!(lod["messages"], serde_json::json!({ "total": in_window, "shown": in_window }), "every message of the window, one by one");
    assert_eq!(picture["messages"].as_array().unwrap().len(), in_window);

    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let page = Page::open(&format!("file://{}", html.display()));
    page.eval("gotrace.seek(1), gotrace.freeze()");
    let said = page.eval("document.getElementById('window')?.textContent ?? ''");
    assert!(said.as_str().unwrap().contains("(--window)"), "{said}");
    assert_eq!(page.eval("gotrace.drawn.arrows").as_u64(), Some(in_window as u64));
    assert!(page.eval("gotrace.litPixels()")["lit"].as_u64() > Some(2000), "the window fills the view");
    page.screenshot("viewer_lod_window");
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");

    let late = gotrace().arg("view").arg(trace).args(["--window", "1h..", "--html"]).arg(&html).output().unwrap();
    assert_eq!(late.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&late.stderr);
    assert!(stderr.contains("the window starts at 3600.000 s, after the trace ends") && stderr.lines().count() == 1, "{stderr}");
}

#[test]
fn zooming_into_a_window_of_the_served_viewer_shows_it_in_detail() {
    let Some(trace) = stress_trace() else { return };
    let server = Server::start(trace, &[]);
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let page = Page::open(&server.url);
    page.tab.set_default_timeout(Duration::from_secs(120));
    page.eval("gotrace.seek(1), gotrace.freeze()");
    let notice = page.eval("document.getElementById('lod').textContent");
    assert!(notice.as_str().unwrap().contains("Zoom in for detail"), "{notice}");
    let overview_arrows = page.eval("gotrace.drawn.arrows").as_u64().unwrap();

    // A twentieth of the trace: the server sends it with every message.
    page.eval("gotrace.zoomTo(0.5, 0.55)");
    page.wait_for("gotrace.lod.detail", Duration::from_secs(60));
    let detail = page.eval("gotrace.lod.detail");
    let duration = page.eval("gotrace.model.meta.duration_ns").as_u64().unwrap();
    let (from, to) = (detail["window"]["start_ns"].as_u64().unwrap(), detail["window"]["end_ns"].as_u64().unwrap());
    assert!(from < duration / 2 && to > duration * 55 / 100 && to - from < duration / 4, "window {detail}");
    assert!(detail["messages"]["cell_ns"].is_null(), "a small window is drawn message by message: {detail}");
    let in_window = page.eval(&format!("gotrace.model.messages.filter(m => m.send_ns >= {from} && m.send_ns < {to}).length"));
    assert_eq!(in_window, detail["messages"]["total"], "every message of the window is drawn");
    assert!(page.eval("gotrace.drawn.arrows").as_u64() > Some(overview_arrows), "detail adds arrows");
    let notice = page.eval("document.getElementById('lod').textContent");
    assert!(notice.as_str().unwrap().contains("in detail: every message and state"), "{notice}");
    page.screenshot("viewer_lod_detail");

    // Back out: the overview again.
    page.eval("gotrace.zoomTo(0, 1)");
    page.wait_for("gotrace.lod.detail === undefined", Duration::from_secs(30));
    assert_eq!(page.eval("gotrace.drawn.arrows").as_u64(), Some(overview_arrows));
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}

#[test]
fn the_server_answers_a_window_and_refuses_a_bad_one() {
    let Some(trace) = stress_trace() else { return };
    let server = Server::start(trace, &[]);
    let (status, body) = get(&server.url, "/picture.json?from=1000000&to=2000000");
    assert_eq!(status, 200);
    let picture: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(picture["lod"]["window"], serde_json::json!({ "start_ns": 1_000_000, "end_ns": 2_000_000 }));
    assert!(picture["messages"].as_array().unwrap().iter().all(|m| (1_000_000..2_000_000).contains(&m["send_ns"].as_u64().unwrap())));
    assert!(picture["goroutines"].as_array().unwrap().len() > 80, "every goroutine, so the page keeps its layout");
    // Read again for each window, the detail has every item the model has there: the model
    // that -o writes, windows across the trace.
    let (model, out) = gotrace().arg("view").arg(trace).model_json();
    assert!(out.status.success());
    let duration = model["meta"]["duration_ns"].as_u64().unwrap();
    for k in 0..8 {
        let (from, to) = (duration * k / 8, duration * k / 8 + duration / 50);
        let (_, body) = get(&server.url, &format!("/picture.json?from={from}&to={to}"));
        let picture: Value = serde_json::from_slice(&body).unwrap();
        let count = |kind: &str, inside: &dyn Fn(&Value) -> bool| model[kind].as_array().unwrap().iter().filter(|x| inside(x)).count();
        let ns = |x: &Value, field: &str| x[field].as_u64().unwrap();
        let messages = count("messages", &|m| (from..to).contains(&ns(m, "send_ns")));
        let segments = count("segments", &|s| ns(s, "end_ns") > from && ns(s, "start_ns") < to);
        assert_eq!(picture["lod"]["messages"]["total"], messages, "window {from}..{to}");
        assert_eq!(picture["lod"]["segments"]["total"], segments, "window {from}..{to}");
        assert_eq!(sum_of_n(&picture["messages"]), messages as u64);
    }
    for bad in ["/picture.json", "/picture.json?from=5&to=5", "/picture.json?from=x&to=9"] {
        let (status, body) = get(&server.url, bad);
        assert_eq!(status, 400, "{bad}: {}", String::from_utf8_lossy(&body));
    }
}

/// A sender blocks 10 ms into the trace; main takes its value 300 ms later. The served
/// picture of a window around the send has the message, however long after the window it
/// was received (a pass that read only twice the window past its end lost such messages).
const LATE_RECEIVE: &str = r#"package main

import (
	"os"
	"runtime/trace"
	"time"
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	trace.Start(f)
	ch := make(chan int)
	go func() {
		time.Sleep(10 * time.Millisecond)
		ch <- 42
	}()
	time.Sleep(300 * time.Millisecond)
	<-ch
	trace.Stop()
	f.Close()
}
"#;

#[test]
fn a_window_has_the_messages_sent_in_it_however_late_received() {
    let Some(go) = crate::common::require("1.27.3") else { return };
    let dir = crate::common::project(&[("go.mod", "module late\n\ngo 1.21\n"), ("main.go", LATE_RECEIVE)]);
    let bin = dir.path().join("late");
    crate::common::go_build(&go, dir.path(), &bin);
    let trace = dir.path().join("late.trace");
    let ran = crate::common::isolated(&bin).arg(&trace).output().expect("the program runs");
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    let (model, _) = gotrace().arg("view").arg(&trace).model();
    let late = model.messages.iter().find(|m| m.recv_ns - m.send_ns > 200_000_000).expect("the late message");
    let (from, to) = (late.send_ns - 1_000_000, late.send_ns + 1_000_000);
    let server = Server::start(&trace, &[]);
    let (status, body) = get(&server.url, &format!("/picture.json?from={from}&to={to}"));
    assert_eq!(status, 200);
    let picture: Value = serde_json::from_slice(&body).unwrap();
    let found = picture["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["from"] == late.from && m["to"] == late.to && m["send_ns"] == late.send_ns);
    assert!(found, "window {from}..{to} lacks {late:?}: {}", picture["messages"]);
}
