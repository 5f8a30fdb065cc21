//! Reading a new-format trace from one of its generations on (`Reader::resume`, for the
//! served viewer's zoom), against reading it from its start. No committed trace has more
//! than one generation (the runtime starts one every second), so each test runs a small
//! program for 2.3 s with real Go 1.22 (format 1.22, Sync events at the end of a
//! generation), 1.25 (Sync at the start) and 1.27 (format 1.26, `EndOfGeneration` markers):
//! a ping-pong, goroutines that come and go, a goroutine in a blocking read across a
//! generation's end, garbage collections and CPU profile samples.

use std::path::{Path, PathBuf};

use crate::browser::{get, Server};
use gotrace::trace::{Event, EventKind, GenerationMark, Reader, StackId, StrId, Tables, TraceFile};
use serde_json::Value;

const PROGRAM: &str = r#"package main

import (
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"syscall"
	"time"
)

var sink []byte

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	pprof.StartCPUProfile(io.Discard)
	trace.Start(f)
	deadline := time.Now().Add(2300 * time.Millisecond)

	// A goroutine in a read that blocks its thread from 0.3 s to 1.5 s: across the end of
	// the first generation.
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		panic(err)
	}
	read := make(chan struct{})
	go func() {
		buf := make([]byte, 1)
		syscall.Read(fds[0], buf)
		close(read)
	}()
	go func() {
		time.Sleep(1500 * time.Millisecond)
		syscall.Write(fds[1], []byte{1})
	}()

	ping, pong := make(chan int), make(chan int)
	go func() {
		for n := range ping {
			pong <- n + 1
		}
		close(pong)
	}()
	for n := 0; time.Now().Before(deadline); n++ {
		ping <- n
		<-pong
		if n%10 == 0 {
			go func() {
				b := make([]byte, 256<<10)
				time.Sleep(30 * time.Millisecond)
				runtime.KeepAlive(b)
			}()
		}
		sink = make([]byte, 64<<10)
		time.Sleep(3 * time.Millisecond)
	}
	close(ping)
	<-pong
	<-read
	trace.Stop()
	pprof.StopCPUProfile()
	f.Close()
}
"#;

/// The trace of `PROGRAM` by Go `version`, in `dir`; `None` when that Go is missing.
fn trace_of(version: &str, dir: &tempfile::TempDir) -> Option<PathBuf> {
    let go = crate::common::require(version)?;
    let project = crate::common::project(&[("go.mod", "module gens\n\ngo 1.22\n"), ("main.go", PROGRAM)]);
    let bin = dir.path().join("gens");
    crate::common::go_build(&go, project.path(), &bin);
    let trace = dir.path().join("gens.trace");
    let ran = crate::common::isolated(&bin).arg(&trace).output().expect("the program runs");
    assert!(ran.status.success(), "the program: {}", crate::common::stderr(&ran));
    Some(trace)
}

/// Every event of `reader`, and the reader (its tables, marks and warnings).
fn read_all(mut reader: Reader<'_>) -> (Vec<Event>, Reader<'_>) {
    let mut events = Vec::new();
    reader.for_each_event(|ev, _| events.push(*ev)).unwrap();
    (events, reader)
}

/// `ev` as text with its string and stack ids replaced by what they name, so that events of
/// two readers (each with its own tables) compare.
fn resolved(ev: &Event, tables: &Tables) -> String {
    let text = format!("{ev:?}");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some((i, len)) = ["StrId(", "StackId("].iter().filter_map(|p| rest.find(p).map(|i| (i, p.len()))).min() {
        let close = rest[i..].find(')').expect("closing parenthesis") + i;
        let id: u32 = rest[i + len..close].parse().expect("an id");
        out.push_str(&rest[..i]);
        if len == "StrId(".len() {
            out.push_str(&format!("{:?}", tables.str(StrId(id))));
        } else {
            let frames = tables.stack(StackId(id));
            let names: Vec<String> = frames.iter().map(|f| format!("{}:{}", tables.str(f.func), f.line)).collect();
            out.push_str(&format!("[{}]", names.join(" ")));
        }
        rest = &rest[close + 1..];
    }
    out + rest
}

/// What a reader that starts at a generation hands out for a status it sees first, which a
/// reader from the start (that knew the goroutine, proc or GC already) does not.
fn status_derived(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::GoExisting { .. } | EventKind::ProcStart | EventKind::GcStart | EventKind::GcSweepStart | EventKind::GcMarkAssistStart
    )
}

/// Compares the events of a reader resumed at `mark` with those of the whole read from the
/// generation's start on. Each reader hands out every event at its own time (Go's clock moves
/// by at least 1 ns per event), so events pair up by time: every pair is the same event; at
/// the times where only one of them hands out an event, that is a status-derived event of
/// the resumed read, or the `ProcStop` of a proc taken from a syscall that began before the
/// generation.
fn compare(mark: &GenerationMark, whole: &[Event], whole_tables: &Tables, resumed: &[Event], resumed_tables: &Tables) {
    let (mut w, mut r) = (whole.iter().peekable(), resumed.iter().peekable());
    loop {
        let (a, b) = (w.peek().copied(), r.peek().copied());
        match (a, b) {
            (None, None) => return,
            (Some(a), Some(b)) if a.ts == b.ts => {
                assert_eq!(resolved(a, whole_tables), resolved(b, resumed_tables), "generation {} at {} ns", mark.gen, a.ts);
                w.next();
                r.next();
            }
            (Some(a), _) if b.is_none_or(|b| a.ts < b.ts) => {
                assert_eq!(a.kind, EventKind::ProcStop, "generation {}: only the whole read has {a:?}", mark.gen);
                w.next();
            }
            _ => {
                let b = r.next().expect("an event of the resumed read");
                assert!(status_derived(&b.kind), "generation {}: only the resumed read has {b:?}", mark.gen);
            }
        }
    }
}

/// Resumes at every generation of `trace` and checks what it reads from there on.
fn resumes_at_every_generation(trace: &Path) -> (Vec<GenerationMark>, Vec<Event>) {
    let file = TraceFile::open(trace).unwrap();
    let (whole, reader) = read_all(Reader::from_file(&file).unwrap());
    let marks = reader.generations().to_vec();
    assert!(marks.len() >= 3, "{} generations in 2.3 s", marks.len());
    assert_eq!(marks.iter().map(|m| m.events).sum::<u64>(), whole.len() as u64, "every event counted once");
    for pair in marks.windows(2) {
        assert!(pair[0].offset < pair[1].offset && pair[0].gen < pair[1].gen, "{pair:?}");
        assert!(pair[0].first_ns <= pair[0].last_ns && pair[0].last_ns < pair[1].first_ns, "{pair:?}");
    }
    let mut before = 0;
    for (i, mark) in marks.iter().enumerate() {
        let (events, resumed) = read_all(Reader::resume(&file, mark).unwrap());
        compare(mark, &whole[before..], reader.tables(), &events, resumed.tables());
        assert_eq!(resumed.end_ns(), reader.end_ns(), "generation {}: the same end", mark.gen);
        let again: Vec<(u64, usize)> = resumed.generations().iter().map(|m| (m.gen, m.offset)).collect();
        let expected: Vec<(u64, usize)> = marks[i..].iter().map(|m| (m.gen, m.offset)).collect();
        assert_eq!(again, expected, "the resumed read meets the same generations");
        before += mark.events as usize;
    }
    (marks, whole)
}

/// `trace` cut in the middle of its last generation reads, through a `TraceFile` as from
/// memory, to the end of the generation before, with a warning that `inspect` shows.
fn cut_in_its_last_generation(trace: &Path, marks: &[GenerationMark], whole: &[Event]) {
    let data = std::fs::read(trace).unwrap();
    let (last, kept) = marks.split_last().unwrap();
    let cut = last.offset + (data.len() - last.offset) / 2;
    let path = trace.with_file_name("cut.trace");
    std::fs::write(&path, &data[..cut]).unwrap();
    let file = TraceFile::open(&path).unwrap();
    let (events, reader) = read_all(Reader::from_file(&file).unwrap());
    let (in_memory, from_bytes) = read_all(Reader::new(&data[..cut]).unwrap());
    assert_eq!(events, in_memory);
    assert_eq!(reader.warnings(), from_bytes.warnings());
    let kept_events = kept.iter().map(|m| m.events).sum::<u64>() as usize;
    assert_eq!(events, whole[..kept_events], "the generations before the cut, whole");
    let gen = kept.last().unwrap().gen;
    let warning = format!("(the program crashed or was killed): read up to the end of generation {gen}");
    assert!(
        matches!(reader.warnings(), [w] if w.starts_with("the trace is cut off at byte ") && w.ends_with(&warning)),
        "{:?}",
        reader.warnings()
    );
    let out = crate::common::gotrace().arg("inspect").arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", crate::common::stderr(&out));
    assert!(crate::common::stdout(&out).contains("warning: the trace is cut off at byte "), "{}", crate::common::stdout(&out));
}

fn generations_of(version: &str) {
    let dir = tempfile::tempdir().unwrap();
    let Some(trace) = trace_of(version, &dir) else { return };
    let (marks, whole) = resumes_at_every_generation(&trace);
    cut_in_its_last_generation(&trace, &marks, &whole);
}

#[test]
fn generations_of_a_go_1_22_trace() {
    generations_of("1.22");
}

#[test]
fn generations_of_a_go_1_25_trace() {
    generations_of("1.25");
}

#[test]
fn generations_of_a_go_1_27_trace() {
    generations_of("1.27");
}

/// The served viewer draws a zoomed window from the generation it lies in, read again: what
/// it draws is what the model that `-o` writes (read from the start) has there, the
/// goroutines blocked or in a syscall since an earlier generation included.
#[test]
fn zoomed_windows_of_later_generations_are_drawn_as_the_model_has_them() {
    let dir = tempfile::tempdir().unwrap();
    let Some(trace) = trace_of("1.27.3", &dir) else { return };
    let (model, out) = crate::common::gotrace().arg("view").arg(&trace).model_json();
    assert!(out.status.success(), "{}", crate::common::stderr(&out));
    let duration = model["meta"]["duration_ns"].as_u64().unwrap();
    let server = Server::start(&trace, &[]);
    let ns = |x: &Value, field: &str| x[field].as_u64().unwrap();
    for k in 1..10 {
        let (from, to) = (duration * k / 10, duration * k / 10 + 20_000_000);
        let (status, body) = get(&server.url, &format!("/picture.json?from={from}&to={to}"));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let picture: Value = serde_json::from_slice(&body).unwrap();
        assert!(picture["lod"]["segments"]["cell_ns"].is_null() && picture["lod"]["messages"]["cell_ns"].is_null(), "{}", picture["lod"]);
        // Segments as drawn in the window: clipped to it.
        let segments = |items: &Value| {
            let mut s: Vec<(u64, String, u64, u64)> = items
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| ns(s, "end_ns") > from && ns(s, "start_ns") < to)
                .map(|s| {
                    (ns(s, "goroutine"), s["state"].as_str().unwrap().to_string(), ns(s, "start_ns").max(from), ns(s, "end_ns").min(to))
                })
                .collect();
            s.sort();
            s
        };
        let messages = |items: &Value| {
            let mut m: Vec<(u64, u64, u64, u64)> = items
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| (from..to).contains(&ns(m, "send_ns")))
                .map(|m| (ns(m, "send_ns"), ns(m, "recv_ns"), ns(m, "from"), ns(m, "to")))
                .collect();
            m.sort();
            m
        };
        let expected = segments(&model["segments"]);
        assert!(expected.len() > 10, "window {k}/10 holds segments");
        let got = segments(&picture["segments"]);
        let only_got: Vec<_> = got.iter().filter(|x| !expected.contains(x)).collect();
        let only_expected: Vec<_> = expected.iter().filter(|x| !got.contains(x)).collect();
        assert!(
            only_got.is_empty() && only_expected.is_empty(),
            "window {k}/10: {from}..{to}: drawn but not in the model {only_got:?}, in the model but not drawn {only_expected:?}"
        );
        assert_eq!(messages(&picture["messages"]), messages(&model["messages"]), "window {k}/10: {from}..{to}");
    }
}
