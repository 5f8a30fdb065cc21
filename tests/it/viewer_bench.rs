//! The scale benchmark, run by scripts/viewer-bench.sh (ignored by `cargo test`): a model in
//! headless Chromium (software WebGL), drawn from the merged buffers and naively, one object
//! per line, side by side in one page (viewer/bench.js). Prints the frame rates and ratios.

use std::time::Duration;

use crate::browser::{Page, Server};
use serde_json::Value;

#[test]
#[ignore = "benchmark: run scripts/viewer-bench.sh"]
fn merged_buffers_against_one_object_per_line() {
    let model = std::env::var("GOTRACE_BENCH_MODEL").expect("GOTRACE_BENCH_MODEL: the model to draw (see scripts/viewer-bench.sh)");
    let seconds: f64 = std::env::var("GOTRACE_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10.0);
    let server = Server::start(std::path::Path::new(&model), &[]);
    let page = Page::open(&server.url);
    page.tab.set_default_timeout(Duration::from_secs(900));
    page.eval("gotrace.seek(1), gotrace.freeze()");
    let info = page.eval("({ goroutines: gotrace.goroutines, messages: gotrace.messages, drawn: gotrace.drawn, size: [innerWidth, innerHeight, devicePixelRatio] })");
    println!("model: {info}");
    let result = page.eval(&format!("gotrace.runBenchmark({seconds})"));
    page.screenshot("viewer_bench");
    let cases = [("default", "default picture (2 px lines)"), ("width1", "1 px lines"), ("geometry", "geometry only (nothing rasterized)")];
    let canvas = &result["canvas"];
    println!("canvas {} x {} px; fps = frames per second; ratio = merged fps / baseline fps", canvas[0], canvas[1]);
    println!("per object: one buffer, vertex array, uniforms and draw call per line (the naive drawing, as the 2016 original)");
    println!("per call: the merged buffers with one draw call per line (a generous naive baseline)");
    println!("{:<36} {:>11} {:>11} {:>7} {:>11} {:>7}", "case", "merged fps", "per object", "ratio", "per call", "ratio");
    for (key, label) in cases {
        let row = &result[key];
        let fps = |mode: &str| row[mode]["fps"].as_f64().unwrap_or(0.0);
        let ratio = |key: &str| row[key].as_f64().unwrap_or(0.0);
        println!(
            "{label:<36} {:>11.3} {:>11.3} {:>6.1}x {:>11.3} {:>6.1}x",
            fps("merged"),
            fps("perObject"),
            ratio("ratio"),
            fps("perCall"),
            ratio("ratioPerCall")
        );
    }
    let calls = |case: &str, mode: &str| result[case][mode]["drawCalls"].clone();
    println!(
        "draw calls per frame: merged {} (2 px) / {} (1 px), per object {}, per call {}",
        calls("default", "merged"),
        calls("width1", "merged"),
        calls("default", "perObject"),
        calls("default", "perCall")
    );
    same_picture(&result["pictures"]);
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}

/// The speed-up must not come from drawing less: the merged and the per-object drawing light
/// about as many pixels in each palette colour. Not exactly as many: lines overlap in another
/// order (by start time merged, by model per object), and big models widen 1 px lines to 2 px
/// on the screen instead of drawing 2 px quads.
fn same_picture(pictures: &Value) {
    println!("lit pixels by colour code: merged {}, per object {}", pictures["merged"], pictures["perObject"]);
    let lit = |mode: &str| pictures[mode]["lit"].as_f64().unwrap_or(0.0);
    let naive = lit("perObject");
    assert!(naive > 10_000.0 && (lit("merged") - naive).abs() <= 0.05 * naive, "lit pixels differ: {pictures}");
    let codes = pictures["perObject"]["byCode"].as_object().expect("byCode");
    for (code, count) in codes {
        let expected = count.as_f64().unwrap_or(0.0);
        let got = pictures["merged"]["byCode"][code].as_f64().unwrap_or(0.0);
        assert!(expected < 2000.0 || (got - expected).abs() <= 0.25 * expected, "colour {code}: {got} px merged, {expected} per object");
    }
}

/// The big-trace page (scripts/bench-view.sh writes it from the 50 MB trace): how long it
/// takes to open from file:// and how fast it draws, whole and halfway through playback.
#[test]
#[ignore = "benchmark: run scripts/bench-view.sh"]
fn the_big_trace_page_opens_and_stays_usable() {
    let html = std::env::var("GOTRACE_BENCH_HTML").expect("GOTRACE_BENCH_HTML: the page to open (see scripts/bench-view.sh)");
    let start = std::time::Instant::now();
    let page = Page::open(&format!("file://{}", std::fs::canonicalize(&html).expect("the page exists").display()));
    let opened = start.elapsed().as_secs_f64();
    page.tab.set_default_timeout(Duration::from_secs(300));
    let frame_ms = |at: f64| {
        page.eval(&format!("gotrace.seek({at}), gotrace.freeze()"));
        // The page's own render loop, over five frames.
        let js = "new Promise(r => { const t0 = performance.now(); let n = 0;
            const f = () => { if (++n === 5) r((performance.now() - t0) / 5); else requestAnimationFrame(f); };
            requestAnimationFrame(f); })";
        page.eval(js).as_f64().unwrap_or(f64::NAN)
    };
    let (whole, half) = (frame_ms(1.0), frame_ms(0.5));
    let lod = page.eval("gotrace.lod");
    page.screenshot("viewer_bench_big_page");
    println!("big page: opened in {opened:.1} s; a frame takes {whole:.0} ms (whole trace), {half:.0} ms (halfway)");
    println!("drawn: {}; level of detail: {lod}", page.eval("gotrace.drawn"));
    // The communication map, drawn anew at every frame as playback moves.
    page.eval("gotrace.setView('map')");
    let js = "new Promise(r => { const t0 = performance.now(); let n = 0;
        const f = () => { gotrace.seek(n / 20); if (++n === 21) r((performance.now() - t0) / 20); else requestAnimationFrame(f); };
        requestAnimationFrame(f); })";
    let map_ms = page.eval(js).as_f64().unwrap_or(f64::NAN);
    page.screenshot("viewer_bench_big_map");
    println!(
        "map: {} groups, {} edges; a frame takes {map_ms:.1} ms ({:.0} fps)",
        page.eval("gotrace.model.groups.length"),
        page.eval("gotrace.mapEdges().length"),
        1000.0 / map_ms
    );
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}
