//! The viewer in a real browser: Debian's headless Chromium (software WebGL) against the real
//! `gotrace` binary serving real traces of the pingpong program, and the `--html` export
//! opened from file://. Screenshots go to target/test-artifacts/.
//!
//! Needs /usr/bin/chromium (scripts/install-chromium.sh).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use crate::browser::{gotrace, repo_path, Page, Server};
use headless_chrome::browser::tab::point::Point;
use serde_json::Value;

/// One Chromium at a time: they are heavy, and the machine is small.
static BROWSER: Mutex<()> = Mutex::new(());

/// tests/programs/pingpong: main creates two `main.player` goroutines that hit a ball back
/// and forth over an unbuffered channel; serve, 10 hits and done make 11 messages.
const PLAYERS: u64 = 2;
const MESSAGES: u64 = 11;

fn fixture(rel: &str) -> PathBuf {
    let path = repo_path(rel);
    assert!(path.exists(), "{rel} is missing: it is one of the committed trace fixtures (scripts/gen-traces.sh)");
    path
}

/// What a Go programmer must see: the two players branching off main, the 11 messages as
/// arrows, and on screen the lines of the spawn tree, red blocked players and the arrows.
fn check_picture(page: &Page, name: &str) {
    let players = page.eval(
        "(() => { const m = gotrace.model; const main = m.goroutines.find(g => g.name === 'main.main');
          const players = m.goroutines.filter(g => g.name === 'main.player');
          return { players: players.length, main: main ? main.id : null,
                   parents: players.map(g => g.parent ?? null) }; })()",
    );
    assert_eq!(players["players"], PLAYERS, "{name}: {players}");
    assert!(players["main"].is_u64(), "{name}: no main.main goroutine: {players}");
    for parent in players["parents"].as_array().unwrap() {
        assert_eq!(parent, &players["main"], "{name}: a player not created by main: {players}");
    }
    let drawn = page.eval("gotrace.drawn");
    assert_eq!(drawn["arrows"], MESSAGES, "{name}: arrows drawn {drawn}");
    assert_eq!(page.eval("gotrace.messages"), MESSAGES, "{name}");
    assert!(drawn["spawns"].as_u64() >= Some(PLAYERS), "{name}: branches drawn {drawn}");
    let between = page.eval(
        "(() => { const m = gotrace.model; const players = new Set(m.goroutines.filter(g => g.name === 'main.player').map(g => g.id));
          return m.messages.filter(x => players.has(x.from) && players.has(x.to)).length; })()",
    );
    assert_eq!(between, MESSAGES - 2, "{name}: hits between the players (all but serve and done)");

    page.eval("gotrace.seek(1), gotrace.freeze()");
    let pixels = page.eval("gotrace.litPixels()");
    let code = |c: u32| pixels["byCode"][c.to_string()].as_u64().unwrap_or(0);
    assert!(pixels["lit"].as_u64() > Some(2000), "{name}: canvas nearly blank: {pixels}");
    assert!(code(2) > 20, "{name}: no red (blocked) lines: {pixels}");
    assert!(code(5) > 0, "{name}: no goroutine creation branches: {pixels}");
    assert!(code(8) > 50, "{name}: no message arrows: {pixels}");
    std::thread::sleep(Duration::from_millis(300));
    let shot = page.screenshot(name);
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000, "{name}: screenshot too small");
    assert_eq!(page.errors(), Vec::<String>::new(), "{name}: console errors");
}

fn check_served(rel: &str, name: &str) {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start(&fixture(rel), &[]);
    let page = Page::open(&server.url);
    check_picture(&page, name);
}

#[test]
fn serves_a_go_1_27_trace() {
    check_served("tests/traces/pingpong_1_27.trace", "viewer_pingpong_1_27");
}

#[test]
fn serves_a_go_1_19_trace() {
    check_served("tests/traces/pingpong_1_19.trace", "viewer_pingpong_1_19");
}

/// The `--html` page of pingpong_1_27, written in `dir` and opened from file://.
fn open_html_export(dir: &tempfile::TempDir) -> Page {
    let html = dir.path().join("pingpong.html");
    let status = gotrace().arg("view").arg(fixture("tests/traces/pingpong_1_27.trace")).arg("--html").arg(&html).status().unwrap();
    assert!(status.success());
    Page::open(&format!("file://{}", html.display()))
}

#[test]
fn html_export_renders_the_same_from_file_url() {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let page = open_html_export(&dir);
    check_picture(&page, "viewer_pingpong_1_27_html");
}

/// bench.js is imported only when the benchmark is asked for: the import must resolve even in
/// the `--html` page (its modules are `data:` URLs), and the render loop must run again after.
#[test]
fn the_benchmark_loads_when_asked_for_even_from_file_url() {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let page = open_html_export(&dir);
    let result = page.eval("gotrace.runBenchmark(0.05)");
    for case in ["default", "width1", "geometry"] {
        assert!(result[case]["merged"]["fps"].as_f64() > Some(0.0), "{case}: {result}");
    }
    assert_eq!(page.eval("gotrace.benchmarking"), Value::Bool(false));
    page.eval("gotrace.seek(0.5)");
    page.wait_for("gotrace.time === 0.5 && gotrace.drawCalls > 0", Duration::from_secs(10));
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}

#[test]
fn hotkeys_and_hover_change_what_is_shown() {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start(&fixture("tests/traces/pingpong_1_27.trace"), &[]);
    let page = Page::open(&server.url);
    let state = || {
        page.eval("({ paused: gotrace.paused, mode: gotrace.mode, lineWidth: gotrace.lineWidth, speed: gotrace.speed, playing: gotrace.playing })")
    };
    let before = state();
    assert_eq!(before["paused"], false);
    assert_eq!(before["mode"], 0);

    // The state is read back after a frame: the render loop publishes it.
    let after = |key: &str, field: &str, expected: Value| {
        page.press(key);
        page.wait_for(&format!("gotrace.{field} === {expected}"), Duration::from_secs(10));
    };
    after("p", "paused", Value::Bool(true));
    after("1", "mode", 1.into());
    after("+", "lineWidth", (before["lineWidth"].as_u64().unwrap() + 1).into());
    after("s", "speed", (before["speed"].as_f64().unwrap() / 2.0).into());
    after("f", "speed", before["speed"].clone());
    after("4", "mode", 4.into());
    page.eval("gotrace.seek(1)");
    let blocked_only = page.eval("gotrace.litPixels()");
    after("0", "mode", 0.into());
    let everything = page.eval("gotrace.litPixels()");
    assert!(
        blocked_only["byCode"]["2"].as_u64().unwrap_or(0) < everything["byCode"]["2"].as_u64().unwrap_or(0),
        "mode 4 (messages) must dim the blocked lines: {blocked_only} vs {everything}"
    );
    after("r", "playing", Value::Bool(true));
    page.press("?");
    page.wait_for("!document.getElementById('help').classList.contains('hidden')", Duration::from_secs(5));
    page.press("?");

    // Hover over the middle of the players' longest segment (away from the arrows) names it.
    page.eval("gotrace.seek(1)");
    let at = page.eval(
        "(() => { const m = gotrace.model; const players = new Set(m.goroutines.filter(g => g.name === 'main.player').map(g => g.id));
          const s = m.segments.filter(s => players.has(s.goroutine)).sort((a, b) => (b.end_ns - b.start_ns) - (a.end_ns - a.start_ns))[0];
          return gotrace.project(s.goroutine, (s.start_ns + s.end_ns) / 2); })()",
    );
    let point = Point { x: at[0].as_f64().unwrap(), y: at[1].as_f64().unwrap() };
    page.tab.move_mouse_to_point(point).unwrap();
    page.wait_for("gotrace.hover && gotrace.hover.includes('main.player')", Duration::from_secs(10));
    page.screenshot("viewer_hover");
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}

/// Hovering shows where in the program: a blocked player's line shows the player's frame
/// where it blocked and main's `go` statement; a hit between the players shows where it was
/// sent. Points are probed with `hoverAt` (the same picking), then the real mouse goes there.
#[test]
fn hover_shows_where_in_the_program() {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start(&fixture("tests/traces/pingpong_1_19.trace"), &[]);
    let page = Page::open(&server.url);
    page.eval("gotrace.seek(1), gotrace.freeze()");
    let probe = |items: &str, expected: &str| -> Point {
        page.point_showing(
            &format!(
                "(() => {{ const m = gotrace.model; const players = new Set(m.goroutines.filter(g => g.name === 'main.player').map(g => g.id));
                  return {items}; }})()"
            ),
            expected,
        )
    };
    let hover = |point: Point, expected: &str, name: &str| -> String {
        page.tab.move_mouse_to_point(point).unwrap();
        page.wait_for(&format!("(gotrace.hover || '').includes({expected:?})"), Duration::from_secs(10));
        page.screenshot(name);
        page.eval("gotrace.hover").as_str().unwrap().to_string()
    };
    let frame = "\n  main.player  pingpong/main.go:";

    let blocked = probe(
        "m.segments.filter(s => players.has(s.goroutine) && s.state === 'blocked')
           .map(s => [gotrace.project(s.goroutine, s.start_ns), gotrace.project(s.goroutine, s.end_ns)])",
        "blocked at:",
    );
    let text = hover(blocked, "blocked at:", "viewer_hover_blocked");
    assert!(text.contains(&format!("blocked at:{frame}")) && text.contains("\n  (runtime.chan"), "{text}");
    assert!(text.contains("created by goroutine 1 main.main\n  main.main  pingpong/main.go:"), "{text}");

    let sent = probe(
        "m.messages.filter(x => players.has(x.from) && players.has(x.to))
           .map(x => [gotrace.project(x.from, x.send_ns), gotrace.project(x.to, x.recv_ns)])",
        "sent at:",
    );
    let text = hover(sent, "sent at:", "viewer_hover_message");
    assert!(text.starts_with("channel message") && text.contains(&format!("sent at:{frame}")), "{text}");
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}

/// Every lane's name is on the picture, as the 2016 original labelled its lines: just above
/// the lane's top (within 20 px of where it starts), none covering another. Pingpong's three
/// lanes are all named (the two players by id); of many's 200 workers and main, main is named
/// first and at most 60 names are on screen at once.
#[test]
fn lanes_are_named_at_their_tops_without_piling_up() {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    for (trace, name) in
        [("tests/traces/pingpong_1_27.trace", "viewer_lanes_pingpong"), ("tests/traces/many_1_27.trace", "viewer_lanes_many")]
    {
        let server = Server::start(&fixture(trace), &[]);
        let page = Page::open(&server.url);
        let lanes = page.eval("gotrace.lanes");
        let lanes = lanes.as_array().expect("gotrace.lanes");
        assert_eq!(lanes.len() as u64, page.eval("gotrace.drawn.goroutines").as_u64().unwrap(), "{name}: one lane a goroutine");
        page.eval("gotrace.seek(1), gotrace.freeze()");
        // Names are placed every third frame: wait until they are placed for the frozen camera.
        std::thread::sleep(Duration::from_millis(500));
        let labels = page.eval(
            "gotrace.laneLabels().map(l => ({ ...l,
               lane: gotrace.project(l.goroutine, gotrace.model.goroutines.find(g => g.id === l.goroutine).start_ns) }))",
        );
        let labels = labels.as_array().expect("gotrace.laneLabels()");
        let text: Vec<&str> = labels.iter().map(|l| l["label"].as_str().unwrap()).collect();
        assert!(!labels.is_empty() && labels.len() <= 60, "{name}: {} names", labels.len());
        assert_eq!(text[0], "main.main", "{name}: main first: {text:?}");
        let boxes: Vec<[f64; 4]> = labels.iter().map(|l| serde_json::from_value(l["box"].clone()).unwrap()).collect();
        for (l, b) in labels.iter().zip(&boxes) {
            let lane = [l["lane"][0].as_f64().unwrap(), l["lane"][1].as_f64().unwrap()];
            let (cx, bottom) = ((b[0] + b[2]) / 2.0, b[3]);
            assert!((cx - lane[0]).hypot(bottom - lane[1]) <= 20.0, "{name}: {l} is not at its lane's top {lane:?}");
            assert!(lanes.iter().any(|x| x["goroutine"] == l["goroutine"] && x["label"] == l["label"]), "{name}: {l}");
        }
        for (i, a) in boxes.iter().enumerate() {
            for (j, b) in boxes.iter().enumerate().skip(i + 1) {
                let overlap = a[0] < b[2] - 1.0 && b[0] < a[2] - 1.0 && a[1] < b[3] - 1.0 && b[1] < a[3] - 1.0;
                assert!(!overlap, "{name}: {} covers {}", text[i], text[j]);
            }
        }
        if trace.contains("pingpong") {
            let mut sorted = text.clone();
            sorted.sort();
            assert_eq!(sorted.len(), 3, "{name}: every lane named: {text:?}");
            assert!(sorted[1].starts_with("main.player #") && sorted[2].starts_with("main.player #") && sorted[1] != sorted[2], "{text:?}");
        } else {
            assert!(labels.len() >= 10, "{name}: only {} of 201 lanes named: {text:?}", labels.len());
        }
        page.screenshot(name);
        assert_eq!(page.errors(), Vec::<String>::new(), "{name}: console errors");
    }
}

/// The communication map (`m`, or the map button): the groups and the messages between them,
/// for what playback has reached. Its edges add up to the messages between the goroutines the
/// page lists, fewer before the end; the biggest groups are named with their counts; `m` goes
/// back to the timeline.
#[test]
fn the_map_shows_which_groups_talk_to_which() {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    for (trace, name, biggest) in [
        ("tests/traces/pingpong_1_27.trace", "viewer_map_pingpong", "main.main"),
        ("tests/traces/many_1_27.trace", "viewer_map_many", "main.worker ×200"),
    ] {
        let server = Server::start(&fixture(trace), &[]);
        let page = Page::open(&server.url);
        assert_eq!(page.eval("gotrace.view"), "timeline", "{name}");
        page.press("m");
        page.wait_for("gotrace.view === 'map'", Duration::from_secs(10));
        let sums = "(() => { const m = gotrace.model; const listed = new Set(m.goroutines.map(g => g.id));
            const between = m.messages.filter(x => listed.has(x.from) && listed.has(x.to)).reduce((s, x) => s + (x.n ?? 1), 0);
            return { between, edges: gotrace.mapEdges().reduce((s, e) => s + e.messages, 0) }; })()";
        // Halfway through the messages, fewer are sent.
        page.eval(
            "(() => { const ts = gotrace.model.messages.map(x => x.send_ns).sort((a, b) => a - b);
              gotrace.seek(ts[Math.floor(ts.length / 2)] / gotrace.model.meta.duration_ns - 1e-9); })()",
        );
        let early = page.eval(sums);
        page.eval("gotrace.seek(1)");
        let all = page.eval(sums);
        assert!(all["between"].as_u64() > Some(0) && all["edges"] == all["between"], "{name}: {all}");
        assert!(early["edges"].as_u64() < all["edges"].as_u64(), "{name}: halfway {early}, by the end {all}");
        // Between the main goroutine's group and the workers' (or players') there is an edge, one way or the other.
        let joined = page.eval(
            "(() => { const g = gotrace.model.groups; const main = g.findIndex(x => x.name === 'main.main');
              return gotrace.mapEdges().some(e => (e.from === main) !== (e.to === main)); })()",
        );
        assert_eq!(joined, Value::Bool(true), "{name}: {}", page.eval("gotrace.mapEdges()"));
        page.wait_for("gotrace.mapLabels().length > 0", Duration::from_secs(10));
        let labels = page.eval("gotrace.mapLabels().map(l => l.label)");
        assert!(labels.as_array().unwrap().iter().any(|l| l == biggest), "{name}: {labels}");
        let hidden = page.eval("getComputedStyle(document.getElementById('lanes')).display");
        assert_eq!(hidden, "none", "{name}: the lanes' names are hidden under the map");
        std::thread::sleep(Duration::from_millis(300));
        let shot = page.screenshot(name);
        assert!(std::fs::metadata(&shot).unwrap().len() > 10_000, "{name}: screenshot too small");
        page.press("m");
        page.wait_for("gotrace.view === 'timeline' && gotrace.drawCalls > 0", Duration::from_secs(10));
        assert_eq!(page.errors(), Vec::<String>::new(), "{name}: console errors");
    }
}

/// Search and focus: `/` and a name finds goroutines, Enter puts the first in focus; a
/// worker of many's 200 keeps itself and main (its parent, which it messaged) lit and the rest
/// dim; an id finds that goroutine alone; Esc lights everything again.
#[test]
fn search_finds_goroutines_and_focus_dims_the_rest() {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start(&fixture("tests/traces/many_1_27.trace"), &[]);
    let page = Page::open(&server.url);
    page.eval("gotrace.seek(1), gotrace.freeze()");
    let workers = page.eval("gotrace.search('WORKER')");
    assert_eq!(workers.as_array().map(Vec::len), Some(200), "{workers}");
    let main = page.eval("gotrace.model.goroutines.find(g => g.name === 'main.main').id");
    assert_eq!(page.eval(&format!("gotrace.search('#{main}')")), serde_json::json!([main]));
    assert_eq!(page.eval("gotrace.search('no such function')"), serde_json::json!([]));
    // Dim pixels: the blended edges of other lines come close to the dim colour too, so a
    // focus is told by how many more there are.
    let dim = |pixels: &Value| pixels["byCode"]["7"].as_u64().unwrap_or(0);
    let before = dim(&page.eval("gotrace.litPixels()"));

    page.press("/");
    page.wait_for("document.activeElement === document.getElementById('search')", Duration::from_secs(5));
    page.tab.type_str("main.worker").unwrap();
    page.press("Enter");
    page.wait_for("gotrace.focused !== null", Duration::from_secs(10));
    let focused = page.eval("gotrace.focused");
    assert_eq!(focused, workers[0], "the first worker found is in focus");
    let mut lit: Vec<u64> = serde_json::from_value(page.eval("gotrace.lit")).unwrap();
    lit.sort();
    let mut expected = vec![focused.as_u64().unwrap(), main.as_u64().unwrap()];
    expected.sort();
    assert_eq!(lit, expected, "a worker, and main: its parent, which it sent to");
    assert!(page.eval("document.getElementById('found').textContent").as_str().unwrap().starts_with("200 found"));
    std::thread::sleep(Duration::from_millis(300));
    let focused_pixels = page.eval("gotrace.litPixels()");
    assert!(dim(&focused_pixels) > 3 * before + 1000, "the other workers are dim: {focused_pixels}, {before} dim before");
    let named: Vec<u64> = serde_json::from_value(page.eval("gotrace.laneLabels().map(l => l.goroutine)")).unwrap();
    assert!(!named.is_empty() && named.iter().all(|g| lit.contains(g)), "only the lit are named: {named:?}");
    page.screenshot("viewer_focus_worker");

    page.press("Escape");
    page.wait_for("gotrace.focused === null && gotrace.lit === null", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    let after = dim(&page.eval("gotrace.litPixels()"));
    assert!(after <= before + before / 2 + 100, "Esc lights everything again: {after} dim, {before} before");
    // A goroutine's id, in the page's own call, focuses on it too.
    page.eval(&format!("gotrace.focus({main})"));
    page.wait_for(&format!("gotrace.focused === {main} && gotrace.lit.length === 201"), Duration::from_secs(10));
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}

/// The address keeps what is shown: a link with `#view=map&focus=ID&t=0.5` opens the map,
/// that goroutine in focus and playback stopped halfway, in the served page and in the
/// `--html` page from file://; what the user changes goes back into the address; values that
/// do not fit the trace are passed over.
#[test]
fn the_address_keeps_the_view_the_focus_and_the_time() {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let trace = fixture("tests/traces/many_1_27.trace");
    let server = Server::start(&trace, &[]);
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("many.html");
    assert!(gotrace().arg("view").arg(&trace).arg("--html").arg(&html).status().unwrap().success());
    let worker = Page::open(&server.url).eval("gotrace.search('main.worker')[3]");
    for base in [server.url.clone(), format!("file://{}", html.display())] {
        let page = Page::open(&format!("{base}#view=map&focus={worker}&t=0.5"));
        page.wait_for(&format!("gotrace.view === 'map' && gotrace.focused === {worker} && gotrace.time === 0.5"), Duration::from_secs(10));
        page.eval("gotrace.setView('timeline'), gotrace.seek(0.25)");
        page.wait_for(&format!("location.hash === '#focus={worker}&t=0.25'"), Duration::from_secs(10));
        page.press("Escape");
        page.wait_for("location.hash === '#t=0.25'", Duration::from_secs(10));
        assert_eq!(page.errors(), Vec::<String>::new(), "{base}: console errors");
    }
    let page = Page::open(&format!("{}#view=nothing&focus=999999&t=x", server.url));
    assert_eq!(page.eval("[gotrace.view, gotrace.focused]"), serde_json::json!(["timeline", null]));
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}

/// A click on an edge of the map goes back to the timeline with only that edge's messages:
/// many's one edge, its 200 workers' messages to main.
#[test]
fn a_click_on_an_edge_of_the_map_shows_its_messages_alone() {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start(&fixture("tests/traces/many_1_27.trace"), &[]);
    let page = Page::open(&server.url);
    page.eval("gotrace.seek(1), gotrace.setView('map')");
    page.wait_for("gotrace.mapPoint(0) !== null", Duration::from_secs(10));
    let edge = page.eval("gotrace.mapEdges().find(e => e.from !== e.to)");
    let (a, b) = (page.eval(&format!("gotrace.mapPoint({})", edge["from"])), page.eval(&format!("gotrace.mapPoint({})", edge["to"])));
    let mid = |k: usize| (a[k].as_f64().unwrap() + b[k].as_f64().unwrap()) / 2.0;
    page.tab.click_point(Point { x: mid(0), y: mid(1) }).unwrap();
    page.wait_for("gotrace.view === 'timeline' && gotrace.edge !== null", Duration::from_secs(10));
    assert_eq!(page.eval("gotrace.edge"), serde_json::json!({ "from": edge["from"], "to": edge["to"] }));
    assert_eq!(page.eval("gotrace.drawn.arrows"), edge["messages"], "only the edge's messages are drawn");
    assert!(page
        .eval("document.getElementById('focus').textContent")
        .as_str()
        .unwrap()
        .starts_with("only the messages from main.worker to main.main"));
    page.press("Escape");
    page.wait_for("gotrace.edge === null && gotrace.drawn.arrows === gotrace.messages", Duration::from_secs(10));
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}
