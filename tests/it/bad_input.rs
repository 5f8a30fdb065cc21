//! `gotrace inspect` on input that is not a (whole) trace: the real binary must exit with
//! status 1 and print exactly one line on stderr that names a byte offset and what it
//! expected there, and never panic. Bad inputs are derived from real traces (truncated,
//! flipped, a length made huge) or are plain non-traces (empty, random bytes, an ELF file).

use std::path::Path;

use crate::common::{gotrace, GOTRACE};
/// A small Go 1.27 trace (format "go 1.26") of bench/stress: 4 goroutine pairs, 20 rounds.
const NEW_FORMAT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad-input/pingpong_1_27.trace");
/// Go's own old-format test traces.
const GO_TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/go-testdata/");

const HEADER_LEN: usize = 16;

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn go_testdata(name: &str) -> Vec<u8> {
    read(&format!("{GO_TESTDATA}{name}"))
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn inspect_path(path: &Path, json: bool) -> Run {
    let mut cmd = gotrace();
    cmd.arg("inspect").arg(path);
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().expect("run gotrace");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn inspect_bytes(data: &[u8]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("input.trace");
    std::fs::write(&path, data).expect("write input");
    inspect_path(&path, true)
}

/// The one line of stderr, after checking that there is exactly one and that it is an
/// error message and not a panic.
fn single_line<'r>(run: &'r Run, what: &str) -> &'r str {
    let err = &run.stderr;
    assert!(!err.contains("panicked") && !err.contains("backtrace") && !err.contains("RUST_BACKTRACE"), "{what}: panic: {err}");
    let line = err.strip_suffix('\n').unwrap_or_else(|| panic!("{what}: stderr is not one terminated line: {err:?}"));
    assert!(!line.contains('\n'), "{what}: more than one line on stderr: {err:?}");
    assert!(line.starts_with("gotrace: "), "{what}: {line}");
    line
}

/// Splits "... at byte N: what" / "... at byte N while reading what" into N and what.
fn offset_and_expectation(line: &str) -> Option<(u64, &str)> {
    let rest = &line[line.find("at byte ")? + "at byte ".len()..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let offset = rest[..digits].parse().ok()?;
    let rest = &rest[digits..];
    let what = rest.strip_prefix(": ").or_else(|| rest.strip_prefix(" while reading "))?;
    Some((offset, what))
}

/// Asserts a clean rejection of an input of `len` bytes; returns the offset and what the
/// message says was expected there.
fn assert_rejected<'r>(run: &'r Run, len: usize, what: &str) -> (u64, &'r str) {
    assert_eq!(run.code, Some(1), "{what}: exit status; stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{what}: printed a summary of a bad trace: {}", run.stdout);
    let line = single_line(run, what);
    let (offset, expected) = offset_and_expectation(line).unwrap_or_else(|| panic!("{what}: names no byte offset and expectation: {line}"));
    assert!(offset <= len as u64, "{what}: offset {offset} is past the end ({len} bytes): {line}");
    assert!(expected.trim().len() >= 3, "{what}: says nothing about what was expected: {line}");
    (offset, expected)
}

/// For corruptions that may happen to leave a readable trace (a flipped timestamp bit):
/// either a summary that is valid JSON or a clean rejection.
fn assert_clean_outcome(run: &Run, len: usize, what: &str) {
    if run.code == Some(0) {
        assert!(run.stderr.is_empty(), "{what}: {}", run.stderr);
        serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap_or_else(|e| panic!("{what}: bad JSON ({e}): {}", run.stdout));
    } else {
        assert_rejected(run, len, what);
    }
}

/// A tiny deterministic generator (xorshift64) so that "random" inputs are the same on
/// every run and a failure can be reproduced.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn header(text: &str) -> Vec<u8> {
    let mut h = text.as_bytes().to_vec();
    h.resize(HEADER_LEN, 0);
    h
}

/// Reads an unsigned LEB128 varint at `at`; returns its value and the offset after it.
fn uvarint(data: &[u8], mut at: usize) -> (u64, usize) {
    let (mut value, mut shift) = (0u64, 0);
    loop {
        let b = data[at];
        at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return (value, at);
        }
        shift += 7;
    }
}

fn encode_uvarint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

/// `data` with the bytes in `range` replaced by `with`.
fn splice(data: &[u8], range: std::ops::Range<usize>, with: &[u8]) -> Vec<u8> {
    [&data[..range.start], with, &data[range.end..]].concat()
}

/// Where the length of the first batch of a new-format trace is: the trace starts with a
/// batch header [EvEventBatch, generation, M, timestamp, length].
fn first_batch_length(data: &[u8]) -> std::ops::Range<usize> {
    assert_eq!(data[HEADER_LEN], 1, "a new-format trace starts with EvEventBatch");
    let mut at = HEADER_LEN + 1;
    for _ in 0..3 {
        at = uvarint(data, at).1;
    }
    at..uvarint(data, at).1
}

/// Where the length of the first string of an old-format trace (Go 1.7+) is. Walks the
/// events as Go 1.21's parser does: a byte with the type and the argument count (3 means
/// "a byte length follows"), then the arguments; EvString is [id, length, bytes].
fn first_string_length(data: &[u8]) -> std::ops::Range<usize> {
    const EV_STRING: u8 = 37;
    const EV_USER_LOG: u8 = 48;
    let mut at = HEADER_LEN;
    loop {
        let (typ, narg) = (data[at] & 0x3f, (data[at] >> 6) + 1);
        at += 1;
        if typ == EV_STRING {
            let len_at = uvarint(data, at).1;
            return len_at..uvarint(data, len_at).1;
        }
        if narg < 4 {
            for _ in 0..narg {
                at = uvarint(data, at).1;
            }
        } else {
            let (len, after) = uvarint(data, at);
            at = after + len as usize;
        }
        if typ == EV_USER_LOG {
            let (len, after) = uvarint(data, at);
            at = after + len as usize;
        }
    }
}

#[test]
fn empty_file() {
    let run = inspect_bytes(b"");
    let (offset, expected) = assert_rejected(&run, 0, "empty file");
    assert_eq!(offset, 0);
    assert!(expected.contains("header"), "{}", run.stderr);
}

#[test]
fn random_bytes_are_not_a_trace() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for len in [1, 7, 15, 16, 17, 100, 4096, 65536] {
        let data = rng.bytes(len);
        let (offset, _) = assert_rejected(&inspect_bytes(&data), len, &format!("{len} random bytes"));
        assert_eq!(offset, 0, "{len} random bytes: the header is what is wrong");
    }
}

#[test]
fn random_bytes_after_a_valid_header() {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    for version in [
        "go 1.5 trace",
        "go 1.11 trace",
        "go 1.19 trace",
        "go 1.21 trace",
        "go 1.22 trace",
        "go 1.23 trace",
        "go 1.25 trace",
        "go 1.26 trace",
    ] {
        for len in [1, 10, 1000, 10000] {
            let data = [header(version), rng.bytes(len)].concat();
            let what = format!("{version:?} and {len} random bytes");
            let (offset, _) = assert_rejected(&inspect_bytes(&data), data.len(), &what);
            assert!(offset >= HEADER_LEN as u64, "{what}: the header is fine, the error is after it (byte {offset})");
        }
    }
}

#[test]
fn wrong_headers() {
    let old_body = &go_testdata("http_1_5_good")[HEADER_LEN..];
    let elf_magic = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    for (what, data) in [
        ("go 1.4 header", [header("go 1.4 trace"), old_body.to_vec()].concat()),
        ("go 1.99 header", [header("go 1.99 trace"), old_body.to_vec()].concat()),
        ("no NUL padding", [b"go 1.5 trace    ".to_vec(), old_body.to_vec()].concat()),
        ("ELF header", [elf_magic, old_body.to_vec()].concat()),
        ("text", b"this is not a trace, just some text\n".to_vec()),
    ] {
        let run = inspect_bytes(&data);
        let (offset, expected) = assert_rejected(&run, data.len(), what);
        assert_eq!(offset, 0, "{what}");
        assert!(expected.contains("expected"), "{what}: {}", run.stderr);
    }
}

#[test]
fn a_program_binary_is_not_a_trace() {
    let binary = Path::new(GOTRACE);
    let len = std::fs::metadata(binary).expect("gotrace binary").len() as usize;
    let (offset, _) = assert_rejected(&inspect_path(binary, false), len, "the gotrace ELF binary");
    assert_eq!(offset, 0);
}

#[test]
fn header_only() {
    for (what, data) in [
        ("go 1.5 header only", go_testdata("http_1_5_good")),
        ("go 1.21 header only", go_testdata("http_1_21_good")),
        ("go 1.26 header only", read(NEW_FORMAT)),
    ] {
        let (offset, _) = assert_rejected(&inspect_bytes(&data[..HEADER_LEN]), HEADER_LEN, what);
        assert_eq!(offset, HEADER_LEN as u64, "{what}: the file ends right after the header");
    }
}

/// A trace cut at `cut` bytes must be rejected with an offset inside what is left.
fn assert_cut_rejected(name: &str, data: &[u8], cut: usize) {
    let what = format!("{name} cut at {cut} of {} bytes", data.len());
    let (offset, _) = assert_rejected(&inspect_bytes(&data[..cut]), cut, &what);
    assert!(offset >= HEADER_LEN as u64, "{what}: the header is whole (byte {offset})");
}

#[test]
fn truncated_new_format_trace() {
    let data = read(NEW_FORMAT);
    let len = data.len();
    // One generation, which the runtime ends with an end-of-generation marker: any cut
    // leaves it incomplete (Go's own parser rejects each of these too).
    for cut in [17, 20, 40, len / 4, len / 3, len / 2, 3 * len / 4, len - 20, len - 1] {
        assert_cut_rejected("pingpong_1_27", &data, cut);
    }
    // `view` says the same in one line, and neither `-o` nor `--html` leaves a file behind.
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.trace");
    std::fs::write(&cut, &data[..len / 2]).unwrap();
    for flag in ["-o", "--html"] {
        let written = dir.path().join("out");
        let out = gotrace().arg("view").arg(&cut).arg(flag).arg(&written).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "view {flag}: {stderr}");
        assert!(
            stderr.starts_with("gotrace: ") && stderr.contains("truncated trace") && stderr.lines().count() == 1,
            "view {flag}: {stderr}"
        );
        assert!(!written.exists(), "view {flag} left a file");
    }
}

#[test]
fn truncated_old_format_traces() {
    // The old format writes the tick frequency only when tracing stops (http_1_21_good: at
    // byte 3257, user_task_region_1_19_good: 353, stress_start_stop_1_9_good: 4021), and a
    // trace without it cannot be read; the last cut is in the middle of the last event.
    for (name, cuts) in [
        ("http_1_21_good", &[17, 20, 100, 1000, 2000, 3000][..]),
        ("user_task_region_1_19_good", &[17, 50, 200, 350]),
        ("stress_start_stop_1_9_good", &[17, 1000, 4000]),
    ] {
        let data = go_testdata(name);
        for &cut in cuts.iter().chain([data.len() - 1].iter()) {
            assert_cut_rejected(name, &data, cut);
        }
    }
}

#[test]
fn flipped_bytes() {
    let mut rng = XorShift(0xd1b5_4a32_d192_ed03);
    for (name, data) in [
        ("pingpong_1_27", read(NEW_FORMAT)),
        ("http_1_21_good", go_testdata("http_1_21_good")),
        ("stress_start_stop_1_9_good", go_testdata("stress_start_stop_1_9_good")),
        ("stress_1_5_good", go_testdata("stress_1_5_good")),
    ] {
        for _ in 0..40 {
            let at = HEADER_LEN + rng.below(data.len() - HEADER_LEN);
            let mask = (rng.next() as u8).max(1);
            let mut bad = data.clone();
            bad[at] ^= mask;
            let run = inspect_bytes(&bad);
            assert_clean_outcome(&run, bad.len(), &format!("{name} with byte {at} xor {mask:#04x}"));
        }
    }
}

#[test]
fn huge_varint_lengths() {
    let new = read(NEW_FORMAT);
    let old = go_testdata("http_1_21_good");
    let cases =
        [("new format, batch length", &new, first_batch_length(&new)), ("old format, string length", &old, first_string_length(&old))];
    for (what, data, range) in cases {
        for huge in [1 << 40, u64::MAX] {
            let bad = splice(data, range.clone(), &encode_uvarint(huge));
            let what = format!("{what} {huge} at byte {}", range.start);
            let (offset, _) = assert_rejected(&inspect_bytes(&bad), bad.len(), &what);
            assert!(offset >= HEADER_LEN as u64, "{what}: the header is fine (byte {offset})");
        }
        // Eleven bytes of continuation: a varint that does not fit in 64 bits.
        let bad = splice(data, range.clone(), &[0xff; 11]);
        let what = format!("{what}: varint longer than 64 bits at byte {}", range.start);
        let (offset, _) = assert_rejected(&inspect_bytes(&bad), bad.len(), &what);
        assert!(offset >= HEADER_LEN as u64, "{what}: the header is fine (byte {offset})");
    }
}

#[test]
fn missing_file_and_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such.trace");
    for (what, path) in [("missing file", missing.as_path()), ("a directory", dir.path())] {
        let run = inspect_path(path, false);
        assert_eq!(run.code, Some(1), "{what}: {}", run.stderr);
        let line = single_line(&run, what);
        assert!(line.contains("cannot read") && line.contains(&*path.to_string_lossy()), "{what}: {line}");
    }
}

#[test]
fn real_traces_give_json_summaries() {
    for (path, format) in [(NEW_FORMAT.to_string(), "go 1.26"), (format!("{GO_TESTDATA}http_1_21_good"), "go 1.21")] {
        let run = inspect_path(Path::new(&path), true);
        assert_eq!(run.code, Some(0), "{path}: {}", run.stderr);
        assert!(run.stderr.is_empty(), "{path}: {}", run.stderr);
        let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{path}: {e}: {}", run.stdout));
        assert_eq!(json["format"], format, "{path}");
        assert!(json["events"].as_u64().is_some_and(|n| n > 0), "{path}: {}", run.stdout);
        assert!(json["goroutines"]["created"].as_u64().is_some(), "{path}: {}", run.stdout);
    }
}
