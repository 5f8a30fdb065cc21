//! The new-format reader against traces written by Go 1.22, 1.24 and 1.27 (see
//! `tests/traces/v2/README.md`). The expected numbers are what Go's own parser of the same
//! version reports for the same file (`go tool trace -d=1` for 1.22, `-d=parsed` for 1.24+,
//! counting goroutine StateTransition lines), so a disagreement is a reader bug.

use std::collections::BTreeMap;

use gotrace::trace::{Event, EventKind, Reader, TraceError};

struct Counts {
    format: String,
    created: u64,
    existing: u64,
    unblocks: u64,
    blocks: BTreeMap<String, u64>,
    events: Vec<Event>,
}

fn read(name: &str) -> Counts {
    let data = std::fs::read(format!("{}/tests/traces/v2/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut r = Reader::new(&data).unwrap();
    let mut events = Vec::new();
    while let Some(ev) = r.next_event().unwrap() {
        events.push(ev);
    }
    let mut c =
        Counts { format: r.format().to_string(), created: 0, existing: 0, unblocks: 0, blocks: BTreeMap::new(), events: Vec::new() };
    for ev in &events {
        match ev.kind {
            EventKind::GoCreate { .. } => c.created += 1,
            EventKind::GoExisting { .. } => c.existing += 1,
            EventKind::GoUnblock { .. } => c.unblocks += 1,
            EventKind::GoBlock { reason } => *c.blocks.entry(r.tables().str(reason).to_string()).or_default() += 1,
            _ => {}
        }
    }
    c.events = events;
    c
}

fn reasons(list: &[(&str, u64)]) -> BTreeMap<String, u64> {
    list.iter().map(|&(r, n)| (r.to_string(), n)).collect()
}

/// Properties every reader output must have, whatever the program.
fn check_stream(events: &[Event]) {
    assert_eq!(events.first().map(|e| e.ts), Some(0), "time counts from the first event");
    assert!(events.windows(2).all(|w| w[0].ts <= w[1].ts), "timestamps go backwards");
    for ev in events {
        match ev.kind {
            // The state machine knows which goroutine runs where.
            EventKind::GoStart | EventKind::GoBlock { .. } | EventKind::GoStop { .. } | EventKind::GoSyscallBegin => {
                assert!(ev.g != 0 && ev.p >= 0, "{ev:?} without its goroutine or proc")
            }
            EventKind::GoEnd => assert!(ev.g != 0, "{ev:?} without its goroutine"),
            _ => {}
        }
    }
}

#[test]
fn pingpong_go_1_22() {
    let c = read("pingpong_1_22.trace");
    assert_eq!(c.format, "go 1.22");
    assert_eq!((c.created, c.existing, c.unblocks), (4, 5, 401));
    assert_eq!(c.blocks, reasons(&[("chan receive", 3), ("chan send", 400), ("system goroutine wait", 1)]));
    check_stream(&c.events);
}

#[test]
fn coroutines_go_1_24() {
    let c = read("coro_1_24.trace");
    assert_eq!(c.format, "go 1.23");
    // iter.Pull switches coroutines: Go shows each switch as an unblock of the next
    // goroutine and a block with an empty reason of the current one.
    assert_eq!((c.created, c.existing, c.unblocks), (7, 5, 310));
    assert_eq!(c.blocks, reasons(&[("", 306), ("chan receive", 2)]));
    check_stream(&c.events);
}

#[test]
fn channels_select_mutex_sleep_and_tasks_go_1_27() {
    let c = read("all_1_27.trace");
    assert_eq!(c.format, "go 1.26");
    assert_eq!((c.created, c.existing, c.unblocks), (14, 5, 2032));
    let expected = [("chan receive", 9), ("chan send", 420), ("select", 2), ("sleep", 803), ("sync", 800), ("system goroutine wait", 2)];
    assert_eq!(c.blocks, reasons(&expected));
    check_stream(&c.events);
    let names: Vec<&str> = c.events.iter().map(|e| e.kind.name()).collect();
    for kind in ["UserTaskBegin", "UserTaskEnd", "UserRegionBegin", "UserRegionEnd", "UserLog", "ProcStart", "ProcStop", "GoSyscallBegin"] {
        assert!(names.contains(&kind), "no {kind} event");
    }
}

/// Reads a whole (possibly damaged) trace; any error must be one line naming a byte offset.
fn read_damaged(data: &[u8]) -> Result<usize, TraceError> {
    let mut r = Reader::new(data)?;
    let mut n = 0;
    while r.next_event()?.is_some() {
        n += 1;
    }
    Ok(n)
}

fn assert_one_line_with_offset(err: &TraceError) {
    let text = err.to_string();
    assert!(!text.contains('\n') && text.contains("byte"), "bad error text: {text}");
}

#[test]
fn truncation_at_every_offset_is_an_error() {
    for name in ["all_1_27.trace", "pingpong_1_22.trace"] {
        let data = std::fs::read(format!("{}/tests/traces/v2/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let full = read_damaged(&data).unwrap();
        let step = if name.starts_with("all") { 13 } else { 1 };
        for cut in (0..data.len()).step_by(step) {
            match read_damaged(&data[..cut]) {
                Err(e) => assert_one_line_with_offset(&e),
                // Before format 1.26 a generation has no end marker, so a cut exactly between
                // batches can still be a readable (shorter) trace.
                Ok(n) => assert!(name.contains("1_22") && n < full, "{name} cut at {cut} read as complete"),
            }
        }
    }
}

#[test]
fn corrupt_bytes_never_panic() {
    for (name, step) in [("pingpong_1_22.trace", 5), ("all_1_27.trace", 257)] {
        let data = std::fs::read(format!("{}/tests/traces/v2/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let (mut tries, mut errors) = (0, 0);
        for at in (16..data.len()).step_by(step) {
            for value in [0xff, data[at] ^ 0x01] {
                let mut bad = data.clone();
                bad[at] = value;
                tries += 1;
                if let Err(e) = read_damaged(&bad) {
                    assert_one_line_with_offset(&e);
                    errors += 1;
                }
            }
        }
        assert!(errors * 4 > tries, "{name}: corruption went unnoticed too often ({errors} errors in {tries})");
    }
}

#[test]
fn absurd_lengths_are_refused_without_allocating() {
    let mut data = std::fs::read(format!("{}/tests/traces/v2/{}", env!("CARGO_MANIFEST_DIR"), "pingpong_1_22.trace")).unwrap();
    // The first batch header: EventBatch, generation, M, timestamp, length. Replace the
    // length with the largest 10-byte varint.
    let mut pos = 17;
    for _ in 0..3 {
        while data[pos] & 0x80 != 0 {
            pos += 1;
        }
        pos += 1;
    }
    let mut len_end = pos;
    while data[len_end] & 0x80 != 0 {
        len_end += 1;
    }
    data.splice(pos..=len_end, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    // Refused before anything is allocated for it, as a file that ends too early.
    let err = read_damaged(&data).unwrap_err();
    assert!(matches!(err, TraceError::Truncated { offset, .. } if offset == data.len() as u64), "{err}");
    assert!(err.to_string().contains("18446744073709551615 bytes"), "{err}");
}
