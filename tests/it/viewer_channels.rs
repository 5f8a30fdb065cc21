//! Channel operations of a patched runtime in the viewer. The fixture is a real trace:
//! tests/programs/chanops built with Go 1.27 patched with patches/go1.27-chanops.patch and run
//! with GODEBUG=tracechanops=1 (scripts/gen-traces.sh). Its channels: `jobs` (chan int,
//! buffered 3: the producer fills it faster than the squarer empties it, so values wait),
//! `squares` (chan int, unbuffered) and `rs` (chan float64, unbuffered; main selects on both).
//! The page must carry every channel and value; the viewer labels arrows with the values,
//! draws a buffered value from its send to its receive, colours arrows by channel (`c`), shows
//! one channel on a click, and tells on hover what the channel is and where it was made.
//!
//! Needs /usr/bin/chromium (scripts/install-chromium.sh) for all but the first test.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use crate::browser::{gotrace, repo_path, Page, Server};
use headless_chrome::browser::tab::point::Point;
use serde_json::Value;

/// One Chromium at a time: they are heavy, and the machine is small.
static BROWSER: Mutex<()> = Mutex::new(());

const TRACE: &str = "tests/traces/patched/chanops_1_27.trace";

const JOBS: [&str; 6] = ["10", "20", "30", "40", "50", "60"];
const SQUARES: [&str; 6] = ["100", "400", "900", "1600", "2500", "3600"];
const RATIOS: [&str; 3] = ["0.5", "1.5", "2.5"];

/// JS: the id of the channel of `elem` with `capacity`.
fn channel_js(elem: &str, capacity: u64) -> String {
    format!("gotrace.model.channels.find(c => c.elem_type === '{elem}' && c.capacity === {capacity}).id")
}

fn trace() -> PathBuf {
    let path = repo_path(TRACE);
    assert!(path.exists(), "{TRACE} is missing: it is a committed trace fixture (scripts/gen-traces.sh chanops)");
    path
}

/// The line of tests/programs/chanops/main.go that holds `code`.
fn line_of(code: &str) -> u64 {
    let source = std::fs::read_to_string(repo_path("tests/programs/chanops/main.go")).unwrap();
    let at = source.lines().position(|l| l.contains(code)).unwrap_or_else(|| panic!("no {code:?} in chanops/main.go"));
    at as u64 + 1
}

fn visible_labels(page: &Page) -> Vec<String> {
    let labels = page.eval("[...document.querySelectorAll('#labels span')].filter(s => !s.hidden).map(s => s.textContent)");
    labels.as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

#[test]
fn the_page_carries_channels_values_and_both_times() {
    let (picture, out) = gotrace().arg("view").arg(trace()).page();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(picture["meta"]["channel_truth"], "exact");
    let channels = picture["channels"].as_array().expect("channels[] in the picture");
    let messages = picture["messages"].as_array().unwrap();
    for (elem, capacity, values, made) in [
        ("int", 3, &JOBS[..], "jobs := make(chan int, 3)"),
        ("int", 0, &SQUARES[..], "squares := make(chan int)"),
        ("float64", 0, &RATIOS[..], "rs := make(chan float64)"),
    ] {
        let what = format!("chan {elem} of capacity {capacity}");
        let channel = channels
            .iter()
            .find(|c| c["elem_type"] == elem && c["capacity"] == capacity)
            .unwrap_or_else(|| panic!("no {what} in {channels:?}"));
        let frames = &picture["stacks"][channel["make_stack"].as_u64().unwrap_or_else(|| panic!("{what}: no make_stack")) as usize];
        let line = line_of(made);
        assert!(
            frames
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["func"] == "main.main" && f["file"].as_str().unwrap().ends_with("chanops/main.go") && f["line"] == line),
            "{what}: made at main.go:{line}, not {frames}"
        );
        let on: Vec<&Value> = messages.iter().filter(|m| m["channel"] == channel["id"]).collect();
        let texts: Vec<String> = on.iter().filter_map(|m| m["value_text"].as_str().map(str::to_string)).collect();
        assert_eq!(sorted(texts), sorted(strings(values)), "{what}: the values sent");
        for m in &on {
            let (send, recv) = (m["send_ns"].as_u64().unwrap(), m["recv_ns"].as_u64().unwrap());
            assert!(recv >= send, "{what}: received before sent: {m}");
        }
    }
    // The squarer sleeps 300 µs per job, so values wait in the buffer about that long.
    let jobs = channels.iter().find(|c| c["capacity"] == 3).unwrap();
    let waited = messages
        .iter()
        .filter(|m| m["channel"] == jobs["id"] && m["value_text"].is_string())
        .map(|m| m["recv_ns"].as_u64().unwrap() - m["send_ns"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!(waited > 200_000, "no value waited in the buffer: longest {waited} ns");
}

/// Arrows carry the values as Go prints them; a buffered value's arrow runs from its send to
/// its receive, on screen too; hovering it names the channel, its capacity and its make.
#[test]
fn labels_buffered_arrows_and_hover_tell_the_channel() {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start(&trace(), &[]);
    let page = Page::open(&server.url);
    page.eval("gotrace.seek(1), gotrace.freeze()");

    page.wait_for("document.querySelectorAll('#labels span:not([hidden])').length >= 5", Duration::from_secs(10));
    let values: Vec<String> = [&JOBS[..], &SQUARES[..], &RATIOS[..]].concat().into_iter().map(str::to_string).collect();
    let labels = visible_labels(&page);
    assert!(labels.iter().all(|l| values.contains(l)), "labels that are no value sent: {labels:?}");
    // Each value label sits on its own arrow: its box's centre within 20 px of the middle of
    // the line from the sender at the send to the receiver at the receive, and nearer to it
    // than to any other labelled arrow's middle (a label above its arrow read as the next's).
    let placed = page.eval(
        "gotrace.valueLabels().map(l => { const m = gotrace.model.messages[l.message];
           const a = gotrace.project(m.from, m.send_ns), b = gotrace.project(m.to, m.recv_ns);
           return { text: l.text, value: m.value_text, centre: [(l.box[0] + l.box[2]) / 2, (l.box[1] + l.box[3]) / 2],
                    middle: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] }; })",
    );
    let placed = placed.as_array().expect("gotrace.valueLabels()");
    assert!(placed.len() >= 5, "{placed:?}");
    let xy = |v: &Value| (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
    for l in placed {
        assert_eq!(l["text"], l["value"], "a label shows its own message's value: {l}");
        let ((cx, cy), (mx, my)) = (xy(&l["centre"]), xy(&l["middle"]));
        let own = (cx - mx).hypot(cy - my);
        assert!(own <= 20.0, "{l}: {own:.1} px from its arrow");
        for other in placed.iter().filter(|o| o["middle"] != l["middle"]) {
            let (ox, oy) = xy(&other["middle"]);
            assert!(own <= (cx - ox).hypot(cy - oy), "{l} is nearer to {other}'s arrow than to its own");
        }
    }

    // Every arrow spans its message's send and receive.
    let off = page.eval(
        "(() => { const m = gotrace.model; const tolerance = m.meta.duration_ns * 1e-6;
          return gotrace.drawnArrows().filter(a => Math.abs(a.from_ns - m.messages[a.message].send_ns) > tolerance
            || Math.abs(a.to_ns - m.messages[a.message].recv_ns) > tolerance); })()",
    );
    assert_eq!(off, Value::Array(vec![]), "arrows not drawn from send to receive");

    let longest = page.eval(&format!(
        "(() => {{ const m = gotrace.model; const jobs = {};
          const x = m.messages.filter(x => x.channel === jobs && x.value_text !== undefined)
            .sort((a, b) => (b.recv_ns - b.send_ns) - (a.recv_ns - a.send_ns))[0];
          return {{ id: jobs, value: x.value_text, wait: x.recv_ns - x.send_ns,
                   ends: [gotrace.project(x.from, x.send_ns), gotrace.project(x.to, x.recv_ns)] }}; }})()",
        channel_js("int", 3)
    ));
    assert!(longest["wait"].as_u64() > Some(200_000), "{longest}");
    // Along the line from the sender at the send to the receiver at the receive: an arrow
    // drawn at the send time only would be far from it.
    let expected = format!(
        "value {}\nchannel {}: chan int, buffered 3\nmade at:\n  main.main  chanops/main.go:{}\n",
        longest["value"].as_str().unwrap(),
        longest["id"],
        line_of("jobs := make(chan int, 3)")
    );
    let at = page.point_showing(&format!("[{}]", longest["ends"]), &expected);
    page.tab.move_mouse_to_point(at).unwrap();
    page.wait_for(&format!("(gotrace.hover || '').includes({expected:?})"), Duration::from_secs(10));
    let text = page.eval("gotrace.hover").as_str().unwrap().to_string();
    assert!(text.contains("in the buffer") && text.contains("sent at:\n  main.producer  chanops/main.go:"), "{text}");
    page.screenshot("viewer_channels_hover");
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}

/// `c` colours arrows by channel and back; a click on an arrow shows its channel only (the
/// panel says which), Esc or a click on empty space shows all again.
#[test]
fn colour_by_channel_and_click_for_one_channel() {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start(&trace(), &[]);
    let page = Page::open(&server.url);
    page.eval("gotrace.seek(1), gotrace.freeze()");
    let all = page.eval("gotrace.drawn.arrows");
    let pixels = |what: &str| {
        let p = page.eval("gotrace.litPixels()");
        let code = |c: u32| p["byCode"][c.to_string()].as_u64().unwrap_or(0);
        let by_kind = code(8) + code(9);
        let by_channel: u64 = (16..32).map(code).sum();
        eprintln!("{what}: {by_kind} px of arrows by kind, {by_channel} by channel");
        (by_kind, by_channel)
    };

    let (kinds, none) = pixels("by kind");
    assert!(kinds > 50 && none == 0, "arrows by kind: {kinds} px by kind, {none} px in channel colours");
    page.press("c");
    page.wait_for("gotrace.byChannel === true", Duration::from_secs(10));
    let (left, by_channel) = pixels("by channel");
    assert!(by_channel > 50 && left * 10 < kinds, "arrows by channel: {left} px still by kind (of {kinds}), {by_channel} by channel");
    let legend = page.eval("document.getElementById('legend').textContent");
    assert!(legend.as_str().unwrap().contains("chan float64, unbuffered"), "legend: {legend}");
    page.screenshot("viewer_channels_colours");
    page.press("c");
    page.wait_for("gotrace.byChannel === false", Duration::from_secs(10));
    assert_eq!(pixels("by kind again").1, 0, "channel colours left after `c` again");

    let ratios = page.eval(&channel_js("float64", 0));
    let on_ratios = page.eval(&format!("gotrace.model.messages.filter(x => x.channel === {ratios}).length"));
    assert!(on_ratios.as_u64() >= Some(3) && on_ratios.as_u64() < all.as_u64(), "{on_ratios} of {all}");
    let ratio = page.point_showing(
        &format!(
            "gotrace.model.messages.filter(x => x.channel === {ratios} && x.value_text !== undefined)
               .map(x => [gotrace.project(x.from, x.send_ns), gotrace.project(x.to, x.recv_ns)])"
        ),
        "chan float64, unbuffered",
    );
    let job = page.point_showing(
        &format!(
            "gotrace.model.messages.filter(x => x.channel === {})
               .map(x => [gotrace.project(x.from, x.send_ns), gotrace.project(x.to, x.recv_ns)])",
            channel_js("int", 3)
        ),
        "chan int, buffered 3",
    );
    let empty = Point { x: 1200.0, y: 420.0 };
    assert_eq!(page.eval("gotrace.hoverAt(1200, 420)"), Value::Null, "the point meant to be empty space is not");

    let focus_on_ratios = || {
        page.tab.click_point(ratio).unwrap();
        page.wait_for(&format!("gotrace.channel === {ratios}"), Duration::from_secs(10));
        assert_eq!(page.eval("gotrace.drawn.arrows"), on_ratios, "arrows drawn with only channel {ratios} shown");
    };
    focus_on_ratios();
    let panel = page.eval("document.getElementById('focus').textContent").as_str().unwrap().to_string();
    let made =
        format!("channel {ratios}: chan float64, unbuffered, made at main.main  chanops/main.go:{}", line_of("rs := make(chan float64)"));
    assert!(panel.contains(&made), "the panel must say {made:?}: {panel:?}");
    page.wait_for("document.querySelectorAll('#labels span:not([hidden])').length === 3", Duration::from_secs(10));
    assert_eq!(sorted(visible_labels(&page)), strings(&RATIOS), "labels with channel {ratios} alone");
    assert_eq!(page.eval(&format!("gotrace.hoverAt({}, {})", job.x, job.y)), Value::Null, "a hidden arrow still answers hover");
    page.screenshot("viewer_channels_one");

    page.press("Escape");
    page.wait_for("gotrace.channel === null", Duration::from_secs(10));
    assert_eq!(page.eval("gotrace.drawn.arrows"), all);
    assert_eq!(page.eval("document.getElementById('focus').classList.contains('hidden')"), true);

    focus_on_ratios();
    page.tab.click_point(empty).unwrap();
    page.wait_for("gotrace.channel === null", Duration::from_secs(10));
    assert_eq!(page.eval("gotrace.drawn.arrows"), all);
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}

/// A stock trace has no channels: `c` and a click on an arrow change nothing.
#[test]
fn a_stock_trace_keeps_its_arrows_as_they_were() {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start(&repo_path("tests/traces/pingpong_1_27.trace"), &[]);
    let page = Page::open(&server.url);
    page.eval("gotrace.seek(1), gotrace.freeze()");
    assert_eq!(page.eval("(gotrace.model.channels ?? []).length"), 0);
    let all = page.eval("gotrace.drawn.arrows");
    let before = page.eval("gotrace.litPixels().byCode");
    let arrow = page.point_showing(
        "gotrace.model.messages.map(x => [gotrace.project(x.from, x.send_ns), gotrace.project(x.to, x.recv_ns)])",
        "channel message",
    );
    page.tab.click_point(arrow).unwrap();
    page.press("c");
    // Once the render loop has published mode 1 and then 0, it has run after the click and `c`.
    page.press("1");
    page.wait_for("gotrace.mode === 1", Duration::from_secs(10));
    page.press("0");
    page.wait_for("gotrace.mode === 0", Duration::from_secs(10));
    assert_eq!(page.eval("[gotrace.byChannel, gotrace.channel, gotrace.drawn.arrows]"), serde_json::json!([false, null, all]));
    assert_eq!(page.eval("gotrace.litPixels().byCode"), before, "the picture changed");
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}
