//! gotrace must count what Go's own parsers count, on every real trace we have: Go's own
//! old-format test traces (go 1.5–1.21) and our fixtures written by every toolchain from
//! Go 1.19 to 1.27 (tests/traces, made by scripts/gen-traces.sh).
//!
//! One test reads every file and fails once with the full list of disagreements, so that the
//! list doubles as a to-do list for the parsers.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::common::toolchains::{required, VERSIONS};
use crate::oracle::counts::{differences, Counts};
use crate::oracle::{oracles_for, Oracle, OracleError};

const GO_TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/go-testdata");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/traces");
/// Traces the new-format reader was developed on (programs in its README): checked too.
const V2_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/traces/v2");

/// The programs in tests/programs and how many goroutines each starts in package main while
/// tracing: the oracles must see exactly these, or the comparison proves nothing.
const PROGRAMS: &[(&str, u64)] = &[("pingpong", 2), ("patterns", 8), ("tasks", 3), ("many", 200), ("rangepong", 2), ("fanin", 5)];

struct TraceFile {
    path: PathBuf,
    /// Minor version of the Go that wrote it (1.24 writes format "go 1.23": this says 24).
    writer_minor: u32,
    go_testdata: bool,
    /// For our own programs: the goroutines they start in package main.
    user_goroutines: Option<u64>,
}

fn minor_of(version_tail: &str) -> Option<u32> {
    version_tail.strip_prefix("1_")?.parse().ok()
}

fn trace_files() -> Vec<TraceFile> {
    let mut files = Vec::new();
    for path in sorted_dir(GO_TESTDATA) {
        let name = file_name(&path);
        let Some(stem) = name.strip_suffix("_good") else { continue };
        let writer_minor = stem.match_indices("_1_").last().and_then(|(i, _)| minor_of(&stem[i + 1..]));
        let writer_minor = writer_minor.unwrap_or_else(|| panic!("no version in {name}"));
        files.push(TraceFile { path, writer_minor, go_testdata: true, user_goroutines: None });
    }
    for path in sorted_dir(FIXTURES).into_iter().filter(|p| p.is_file()) {
        let name = file_name(&path);
        let stem = name.strip_suffix(".trace").unwrap_or_else(|| panic!("unexpected file {name} in tests/traces"));
        let (program, version) = stem.split_once('_').unwrap_or_else(|| panic!("no version in {name}"));
        let writer_minor = minor_of(version).unwrap_or_else(|| panic!("no version in {name}"));
        let user = PROGRAMS.iter().find(|(p, _)| *p == program).unwrap_or_else(|| panic!("{name}: unknown program"));
        files.push(TraceFile { path, writer_minor, go_testdata: false, user_goroutines: Some(user.1) });
    }
    for path in sorted_dir(V2_FIXTURES).into_iter().filter(|p| p.extension().is_some_and(|e| e == "trace")) {
        let name = file_name(&path);
        let version = name.strip_suffix(".trace").and_then(|stem| stem.split_once('_')).map(|(_, v)| v);
        let writer_minor = version.and_then(minor_of).unwrap_or_else(|| panic!("no version in {name}"));
        files.push(TraceFile { path, writer_minor, go_testdata: false, user_goroutines: None });
    }
    files
}

fn sorted_dir(dir: &str) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {dir}: {e}"));
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// The format named by the file's 16-byte header, as `inspect` prints it ("go 1.26").
fn header_format(path: &Path) -> String {
    let data = std::fs::read(path).unwrap();
    let head = String::from_utf8_lossy(&data[..16.min(data.len())]).trim_end_matches('\0').to_string();
    head.strip_suffix(" trace").unwrap_or(&head).to_string()
}

/// What an oracle must have seen for its reading to mean anything.
fn vacuous(file: &TraceFile, go: &Counts) -> Option<String> {
    if go.blocks_total == 0 || go.unblocks == 0 {
        return Some(format!("oracle saw no blocks or no unblocks: {go:?}"));
    }
    match (file.user_goroutines, go.user_created) {
        (Some(want), Some(got)) if got != want => {
            Some(format!("oracle saw {got} goroutines created in package main, the program starts {want}"))
        }
        (Some(want), _) if go.created < want => Some(format!("oracle saw {} goroutines created, the program starts {want}", go.created)),
        _ => None,
    }
}

#[test]
fn every_program_has_a_trace_from_every_toolchain() {
    let missing: Vec<String> = PROGRAMS
        .iter()
        .flat_map(|(p, _)| VERSIONS.iter().map(move |(v, _)| format!("{p}_{}.trace", v.replace('.', "_"))))
        .filter(|name| !Path::new(FIXTURES).join(name).is_file())
        .collect();
    assert!(missing.is_empty(), "missing fixtures (run scripts/gen-traces.sh): {missing:?}");
}

/// One file with what every oracle made of it (read once, shared by the tests).
struct Readings {
    file: TraceFile,
    name: String,
    readings: Vec<(Oracle, Counts)>,
    /// Oracles that could not read the file, as messages.
    problems: Vec<String>,
    skipped: Vec<String>,
}

fn readings() -> &'static [Readings] {
    static ALL: OnceLock<Vec<Readings>> = OnceLock::new();
    ALL.get_or_init(|| trace_files().into_iter().map(read_with_oracles).collect())
}

fn read_with_oracles(file: TraceFile) -> Readings {
    let name = file_name(&file.path);
    let oracles = oracles_for(file.writer_minor, file.go_testdata);
    assert!(!oracles.is_empty(), "{name}: no oracle for Go 1.{}", file.writer_minor);
    let mut r = Readings { file, name, readings: Vec::new(), problems: Vec::new(), skipped: Vec::new() };
    for oracle in oracles {
        match oracle.read(&r.file.path) {
            Ok(go) => {
                if let Some(why) = vacuous(&r.file, &go) {
                    r.problems.push(format!("{} [{oracle}]: {why}", r.name));
                }
                r.readings.push((oracle, go));
            }
            Err(OracleError::Missing(why)) if !required() => r.skipped.push(format!("{} [{oracle}]: {why}", r.name)),
            Err(OracleError::Missing(why) | OracleError::Failed(why)) => r.problems.push(format!("{} [{oracle}]: {why}", r.name)),
        }
    }
    r
}

/// Prints the skipped comparisons loudly and returns the oracles' own problems.
fn oracle_problems(all: &[Readings]) -> Vec<String> {
    for s in all.iter().flat_map(|r| &r.skipped) {
        eprintln!("SKIP (toolchain missing; GOTRACE_REQUIRE_TOOLCHAINS=1 makes this a failure): {s}");
    }
    assert!(all.iter().filter(|r| r.file.go_testdata).count() >= 24, "Go's test traces are missing from {GO_TESTDATA}");
    assert!(all.iter().any(|r| !r.readings.is_empty()) || all.iter().any(|r| !r.skipped.is_empty()), "no oracle ran at all");
    all.iter().flat_map(|r| r.problems.iter().cloned()).collect()
}

/// The oracles must agree with each other before they can judge gotrace: Go 1.21's parser
/// run directly, the `-d` dumps of Go 1.19/1.21 and Go 1.27's reading of old traces.
#[test]
fn gos_own_parsers_agree_with_each_other() {
    let all = readings();
    let mut problems = oracle_problems(all);
    for r in all {
        let Some(((first_oracle, first), rest)) = r.readings.split_first() else { continue };
        for (oracle, go) in rest {
            let mut a = first.clone();
            let mut b = go.clone();
            // Only what both can tell: -d does not name start functions.
            if a.user_created.is_none() || b.user_created.is_none() {
                (a.user_created, b.user_created) = (None, None);
            }
            let d = differences(&a, &b);
            problems.extend(d.into_iter().map(|d| format!("{} [{first_oracle} vs {oracle}]: {}", r.name, d.replace("gotrace", "first"))));
        }
    }
    assert!(problems.is_empty(), "{} oracle problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn gotrace_agrees_with_gos_own_parsers() {
    let all = readings();
    let mut problems = oracle_problems(all);
    let mut compared = 0;
    for r in all {
        let ours = match crate::oracle::inspect::inspect(&r.file.path) {
            Ok(ours) => ours,
            Err(e) => {
                problems.push(format!("{}: {e}", r.name));
                continue;
            }
        };
        let header = header_format(&r.file.path);
        if ours.format != header {
            problems.push(format!("{}: format: gotrace {:?}, header {header:?}", r.name, ours.format));
        }
        for (oracle, go) in &r.readings {
            compared += 1;
            problems.extend(differences(&ours.counts, go).into_iter().map(|d| format!("{} [{oracle}]: {d}", r.name)));
        }
    }
    assert!(
        problems.is_empty(),
        "{} disagreements with Go's own parsers ({compared} readings compared):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
