//! The scale benchmark, run by scripts/viewer-bench.sh (ignored by `cargo test`): a model in
//! headless Chromium (software WebGL), drawn from the merged buffers and with one draw call
//! per line, side by side in one page. Prints both frame rates and their ratio.

mod browser;

use std::time::Duration;

use browser::{Page, Server};

#[test]
#[ignore = "benchmark: run scripts/viewer-bench.sh"]
fn merged_buffers_against_one_draw_call_per_line() {
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
    let cases = [
        ("default", "default picture (2 px lines)"),
        ("width1", "1 px lines"),
        ("geometry", "geometry only (nothing rasterized)"),
    ];
    println!("{:<36} {:>14} {:>14} {:>7}", "case", "merged fps", "per-line fps", "ratio");
    for (key, label) in cases {
        let row = &result[key];
        let fps = |mode: &str| row[mode]["fps"].as_f64().unwrap_or(0.0);
        println!("{label:<36} {:>14.3} {:>14.3} {:>6.1}x", fps("merged"), fps("naive"), row["ratio"].as_f64().unwrap_or(0.0));
    }
    println!(
        "draw calls per frame: merged {}, per line {}",
        result["default"]["merged"]["drawCalls"], result["default"]["naive"]["drawCalls"]
    );
    assert_eq!(page.errors(), Vec::<String>::new(), "console errors");
}
