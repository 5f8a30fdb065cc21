//! The old-format reader against the traces Go's own parser tests use.
//!
//! The expected counts were taken from Go's tools, not from this reader:
//! `go tool trace -d=parsed FILE` of Go 1.27 for formats 1.11+ (goroutine transitions
//! NotExist->Runnable, Running->Waiting by reason, Waiting->Runnable), and `go tool trace -d`
//! of Go 1.21 for 1.5–1.10 (GoCreate after the first Gomaxprocs, GoBlock*/GoSleep/GoStop,
//! GoUnblock; these files have no futile wakeups, which Go 1.21 would drop).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use gotrace::trace::{EventKind, GoState, Reader, TraceError};

fn testdata() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/go-testdata"))
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(testdata().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[derive(Debug, Default, PartialEq)]
struct Facts {
    created: u64,
    existing: u64,
    blocks: BTreeMap<String, u64>,
    unblocks: u64,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum St {
    Runnable,
    Running,
    Waiting,
    Syscall,
}

/// Reads every event, checks that timestamps never go back and that every goroutine
/// transition is allowed by the one before it (which only holds if the cross-P order is
/// right), and counts the facts Go's tools report.
fn read_all(data: &[u8]) -> Result<(Facts, Vec<String>), TraceError> {
    let mut r = Reader::new(data)?;
    let mut facts = Facts::default();
    let mut last_ts = 0;
    let mut gs: HashMap<u64, St> = HashMap::new();
    fn step(gs: &mut HashMap<u64, St>, g: u64, from: &[St], to: St, what: &str) {
        if let Some(s) = gs.get(&g) {
            assert!(from.contains(s), "g{g} {what} while {s:?}");
        }
        gs.insert(g, to);
    }
    while let Some(ev) = r.next_event()? {
        assert!(ev.ts >= last_ts, "time went back at {ev:?}");
        last_ts = ev.ts;
        match ev.kind {
            EventKind::GoCreate { child, .. } => {
                facts.created += 1;
                assert!(!gs.contains_key(&child), "g{child} created twice");
                gs.insert(child, St::Runnable);
            }
            EventKind::GoExisting { goroutine, state } => {
                facts.existing += 1;
                let st = match state {
                    GoState::Runnable => St::Runnable,
                    GoState::Running => St::Running,
                    GoState::Waiting => St::Waiting,
                    GoState::Syscall => St::Syscall,
                };
                gs.insert(goroutine, st);
            }
            EventKind::GoStart => step(&mut gs, ev.g, &[St::Runnable], St::Running, "starts"),
            EventKind::GoBlock { reason } => {
                *facts.blocks.entry(r.tables().str(reason).to_string()).or_default() += 1;
                step(&mut gs, ev.g, &[St::Running], St::Waiting, "blocks");
            }
            EventKind::GoUnblock { goroutine } => {
                facts.unblocks += 1;
                step(&mut gs, goroutine, &[St::Waiting], St::Runnable, "is unblocked");
            }
            EventKind::GoStop { .. } => step(&mut gs, ev.g, &[St::Running], St::Runnable, "stops"),
            EventKind::GoSyscallBegin => step(&mut gs, ev.g, &[St::Running], St::Syscall, "enters a syscall"),
            EventKind::GoSyscallEnd { blocked: false } => step(&mut gs, ev.g, &[St::Syscall], St::Running, "returns"),
            EventKind::GoSyscallEnd { blocked: true } => step(&mut gs, ev.g, &[St::Syscall], St::Runnable, "exits a syscall"),
            _ => {}
        }
    }
    Ok((facts, r.warnings().to_vec()))
}

fn facts(created: u64, existing: u64, blocks: &[(&str, u64)], unblocks: u64) -> Facts {
    Facts { created, existing, blocks: blocks.iter().map(|&(k, v)| (k.to_string(), v)).collect(), unblocks }
}

#[test]
fn reads_every_good_trace_to_the_end() {
    let mut n = 0;
    for entry in std::fs::read_dir(testdata()).unwrap() {
        let path = entry.unwrap().path();
        if !path.file_name().unwrap().to_string_lossy().ends_with("_good") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let (_, warnings) = read_all(&data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(warnings.is_empty(), "{}: {warnings:?}", path.display());
        n += 1;
    }
    assert_eq!(n, 24);
}

#[test]
fn counts_match_go_1_27_for_format_1_21() {
    let (f, _) = read_all(&read("stress_1_21_good")).unwrap();
    let blocks = [
        ("", 3487),
        ("GC mark assist wait for work", 285),
        ("chan receive", 11),
        ("forever", 1),
        ("network", 3),
        ("sleep", 329),
        ("sync", 79),
    ];
    assert_eq!(f, facts(26, 9, &blocks, 4185));
}

#[test]
fn counts_match_go_1_27_for_format_1_19_http() {
    let (f, _) = read_all(&read("http_1_19_good")).unwrap();
    let blocks = [("", 32), ("chan receive", 13), ("network", 44), ("select", 55), ("sync", 19), ("sync.(*Cond).Wait", 11)];
    assert_eq!(f, facts(132, 5, &blocks, 165));
}

#[test]
fn counts_match_go_1_21_for_format_1_7() {
    let (f, _) = read_all(&read("stress_1_7_good")).unwrap();
    let blocks = [("", 2578), ("chan receive", 12), ("forever", 1), ("network", 3), ("sleep", 3), ("sync", 1)];
    assert_eq!((f.created, &f.blocks, f.unblocks), (26, &facts(0, 0, &blocks, 0).blocks, 2593));
}

#[test]
fn counts_match_go_1_21_for_format_1_5() {
    let (f, _) = read_all(&read("http_1_5_good")).unwrap();
    let blocks = [("", 1), ("chan receive", 17), ("network", 78), ("select", 84), ("sync", 5)];
    assert_eq!((f.created, &f.blocks, f.unblocks), (838, &facts(0, 0, &blocks, 0).blocks, 184));
}

#[test]
fn unordered_timestamps_are_read_with_a_warning() {
    // Go rejects this file ("time stamps out of order"); we keep the sequence order and
    // say so.
    let (_, warnings) = read_all(&read("stress_1_5_unordered")).unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].starts_with("time stamps out of order"), "{warnings:?}");
}

fn read_to_end(data: &[u8]) -> Result<u64, TraceError> {
    let mut r = Reader::new(data)?;
    let mut n = 0;
    while r.next_event()?.is_some() {
        n += 1;
    }
    Ok(n)
}

#[test]
fn truncated_traces_are_errors() {
    for name in ["stress_1_21_good", "stress_1_9_good", "stress_1_5_good"] {
        let data = read(name);
        for cut in [17, 100, data.len() / 3, data.len() / 2, data.len() - 1] {
            let err = read_to_end(&data[..cut]).expect_err(&format!("{name} cut at {cut}"));
            assert!(!err.to_string().contains('\n'));
        }
    }
}

#[test]
fn flipped_bytes_never_panic() {
    for name in ["stress_start_stop_1_19_good", "http_1_5_good", "user_task_region_1_21_good"] {
        let data = read(name);
        let step = (data.len() / 200).max(1);
        for at in (16..data.len()).step_by(step) {
            for mask in [0x01, 0x80, 0xff] {
                let mut bad = data.clone();
                bad[at] ^= mask;
                // Either outcome is fine; a panic fails the test.
                let _ = read_to_end(&bad);
            }
        }
    }
}
