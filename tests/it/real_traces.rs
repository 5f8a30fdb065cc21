//! Real programs' traces: the corpus that scripts/gen-corpus.sh makes (the standard library's
//! own test suites under Go 1.19 to 1.27, with CPU samples, the alloc/free experiment and the
//! flight recorder's window). Each must read as the `go tool trace` of the Go that wrote it
//! reads it (the facts of `oracle_agreement.rs`), and draw: `gotrace view TRACE --html` must
//! write a page, whose goroutines are each in a group of their start function, the groups'
//! counts adding up. A trace that Go's own tool cannot read is reported and left out, never
//! counted as agreement.
//!
//! The corpus is too big to commit: scripts/test.sh generates it before `cargo test`, into
//! target/corpus (or $GOTRACE_CORPUS). Without it this test skips loudly, or fails when
//! GOTRACE_REQUIRE_TOOLCHAINS=1.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::common::{gotrace, inline_picture, required};
use crate::oracle::counts::differences;
use crate::oracle::{oracles_for, OracleError};
use serde_json::Value;

/// The Go versions the corpus is made with (scripts/gen-corpus.sh), as file name tags.
const CORPUS_TAGS: &[&str] = &["1_19", "1_21", "1_22", "1_24", "1_26", "1_27"];

/// The least a version's share of the corpus may hold: its four suites (scripts/gen-corpus.sh);
/// the extras (CPU samples, alloc/free, flight recorder) come on top.
const MIN_TRACES_PER_VERSION: usize = 4;

fn corpus_dir() -> PathBuf {
    std::env::var_os("GOTRACE_CORPUS").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/corpus"), PathBuf::from)
}

fn corpus() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(corpus_dir()) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "trace")).collect();
    files.sort();
    files
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// "net_http_1_27.trace" -> ("1_27", 27)
fn writer_of(path: &Path) -> (String, u32) {
    let name = name(path);
    let stem = name.strip_suffix(".trace").unwrap();
    let (_, minor) = stem.rsplit_once('_').unwrap_or_else(|| panic!("no Go version in {name}"));
    (format!("1_{minor}"), minor.parse().unwrap_or_else(|_| panic!("no Go version in {name}")))
}

/// What became of one trace.
enum Outcome {
    Agreed,
    /// Go's own tool cannot read it: left out, with the reason.
    GoCannotRead(String),
    Problems(Vec<String>),
}

fn check(trace: &Path, scratch: &Path) -> Outcome {
    let name = name(trace);
    let (_, minor) = writer_of(trace);
    // The first oracle is the `go tool trace` of the Go that wrote the file.
    let oracle = *oracles_for(minor, false).first().unwrap_or_else(|| panic!("{name}: no oracle for Go 1.{minor}"));
    let go = match oracle.read(trace) {
        Ok(go) => go,
        Err(OracleError::Missing(why)) if !required() => return Outcome::GoCannotRead(format!("{name}: SKIP, {why}")),
        Err(OracleError::Missing(why)) => return Outcome::Problems(vec![format!("{name}: {why}")]),
        Err(OracleError::Failed(why)) => return Outcome::GoCannotRead(format!("{name}: {why}")),
    };
    let mut problems = Vec::new();
    if go.blocks_total == 0 && go.unblocks == 0 && go.created == 0 {
        problems.push(format!("{name} [{oracle}]: oracle saw no goroutine activity at all: {go:?}"));
    }
    match crate::oracle::inspect::inspect(trace) {
        Ok(ours) => problems.extend(differences(&ours.counts, &go).into_iter().map(|d| format!("{name} [{oracle}]: {d}"))),
        Err(e) => problems.push(format!("{name}: {e}")),
    }
    let html = scratch.join(format!("{name}.html"));
    let out = gotrace().arg("view").arg(trace).arg("--html").arg(&html).output().unwrap();
    if !out.status.success() {
        problems.push(format!("{name}: gotrace view --html failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    } else {
        match std::fs::read_to_string(&html) {
            Ok(page) if page.contains("<html") => {
                problems.extend(group_problems(&inline_picture(&page)).into_iter().map(|p| format!("{name}: {p}")))
            }
            _ => problems.push(format!("{name}: gotrace view --html wrote no page")),
        }
    }
    let _ = std::fs::remove_file(&html);
    if problems.is_empty() {
        Outcome::Agreed
    } else {
        Outcome::Problems(problems)
    }
}

/// What is wrong with the groups of a page's picture: every goroutine is in a group of its
/// start function, each group counts its goroutines, parents come first.
fn group_problems(picture: &Value) -> Vec<String> {
    let (Some(goroutines), Some(groups)) = (picture["goroutines"].as_array(), picture["groups"].as_array()) else {
        return vec!["the picture has no goroutines or no groups".into()];
    };
    let mut problems = Vec::new();
    let mut counts = vec![0u64; groups.len()];
    for g in goroutines {
        match g["group"].as_u64().and_then(|i| groups.get(i as usize).map(|group| (i, group))) {
            Some((i, group)) if group["name"] == g["name"] => counts[i as usize] += 1,
            _ => problems.push(format!("goroutine {} is in no group of its name: {g}", g["id"])),
        }
    }
    for (i, (group, n)) in groups.iter().zip(counts).enumerate() {
        if group["count"] != n || group["id"] != i as u64 || group["parent"].as_u64().is_some_and(|p| p >= i as u64) {
            problems.push(format!("group {group} has {n} goroutines, or comes before its parent"));
        }
    }
    problems.truncate(5);
    problems
}

/// Checks every file, two at a time (the oracles are single-threaded Go programs).
fn check_all(files: &[PathBuf]) -> Vec<Outcome> {
    let scratch = tempfile::tempdir().unwrap();
    let next = Mutex::new(0usize);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some(file) = files.get(i) else { return };
                let outcome = check(file, scratch.path());
                results.lock().unwrap().push((i, outcome));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, o)| o).collect()
}

#[test]
fn real_programs_traces_read_as_go_reads_them_and_draw() {
    let files = corpus();
    if files.is_empty() {
        let msg = format!("no traces in {} (scripts/gen-corpus.sh makes them; scripts/test.sh runs it)", corpus_dir().display());
        assert!(!required(), "{msg}");
        eprintln!("SKIP (GOTRACE_REQUIRE_TOOLCHAINS=1 makes this a failure): {msg}");
        return;
    }
    if required() {
        let thin: Vec<String> = CORPUS_TAGS
            .iter()
            .map(|tag| (tag, files.iter().filter(|f| writer_of(f).0 == *tag).count()))
            .filter(|&(_, n)| n < MIN_TRACES_PER_VERSION)
            .map(|(tag, n)| format!("Go {}: {n} traces", tag.replace('_', ".")))
            .collect();
        assert!(thin.is_empty(), "the corpus lacks traces (rerun scripts/gen-corpus.sh): {thin:?}");
    }
    let outcomes = check_all(&files);
    let mut agreed = 0;
    let mut problems = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Agreed => agreed += 1,
            Outcome::GoCannotRead(why) => eprintln!("left out, Go's own tool cannot read it: {why}"),
            Outcome::Problems(p) => problems.extend(p),
        }
    }
    eprintln!("{agreed} of {} real traces read as Go reads them and drew", files.len());
    assert!(problems.is_empty(), "{} problems with real programs' traces:\n{}", problems.len(), problems.join("\n"));
    assert!(agreed > 0, "no trace of the corpus could be compared");
}
