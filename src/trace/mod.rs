//! Trace bytes → one version-independent stream of [`Event`]s.
//!
//! `v1` reads the old format (Go 1.5–1.21: per-P batches ordered by sequence numbers),
//! `v2` the new one (Go 1.22+: generations of per-M batches). Both intern strings and stacks
//! into one [`Tables`] so that the stages after this one never see a format difference.

mod bytes;
mod error;
mod event;
mod file;
pub mod symbolize;
mod tables;
mod v1;
mod v2;

use std::fmt;
use std::path::Path;

pub use error::{Result, TraceError};
pub use event::{ChanFlags, ElemType, Event, EventKind, GoId, GoState, ProcId, StackId, StrId, KIND_NAMES};
pub use file::TraceFile;
pub use tables::{InternedFrame, Tables};
pub use v2::GenerationMark;

/// The header of a trace file: `go 1.N trace` padded with NULs to 16 bytes.
pub const HEADER_LEN: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Go 1.5–1.21 (`go 1.5 trace` … `go 1.21 trace`).
    V1 { minor: u32 },
    /// Go 1.22 and later (`go 1.22 trace` … `go 1.26 trace`; Go 1.24 writes 1.23 and Go 1.27
    /// writes 1.26, because the header names the format, not the toolchain).
    V2 { minor: u32 },
}

impl Format {
    pub fn minor(self) -> u32 {
        match self {
            Format::V1 { minor } | Format::V2 { minor } => minor,
        }
    }

    /// Reads the 16-byte header.
    pub fn detect(data: &[u8]) -> Result<Format> {
        let head = &data[..data.len().min(HEADER_LEN)];
        let text: String = String::from_utf8_lossy(head).trim_end_matches('\0').to_string();
        let unsupported = || TraceError::Unsupported { header: text.clone() };
        if data.len() < HEADER_LEN {
            if "go 1.".starts_with(text.as_str()) || text.starts_with("go 1.") {
                return Err(TraceError::truncated(data.len(), "the 16-byte trace header"));
            }
            return Err(unsupported());
        }
        let minor: u32 =
            text.strip_prefix("go 1.").and_then(|rest| rest.strip_suffix(" trace")).and_then(|m| m.parse().ok()).ok_or_else(unsupported)?;
        if head[text.len()..].iter().any(|&b| b != 0) {
            return Err(unsupported());
        }
        match minor {
            5..=21 => Ok(Format::V1 { minor }),
            22..=26 => Ok(Format::V2 { minor }),
            _ => Err(unsupported()),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "go 1.{}", self.minor())
    }
}

/// Why [`Reader::open`] failed: the trace, or the binary given to name its functions.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error(transparent)]
    Binary(#[from] symbolize::SymbolizeError),
}

enum Inner<'a> {
    V1(v1::Reader<'a>),
    V2(v2::Reader<'a>),
}

/// A streaming reader over a whole trace's bytes. Events come out in one global
/// order consistent with the runtime's sequence rules, timestamps in ns from trace start.
///
/// Over a [`TraceFile`], a new-format trace (Go 1.22+) costs about one generation of memory:
/// the reader gives back each generation's bytes once it has read them. Old-format traces
/// are read whole, whatever holds them: their events are ordered across the whole file.
pub struct Reader<'a> {
    format: Format,
    tables: Tables,
    inner: Inner<'a>,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Result<Self> {
        Reader::read(data, None)
    }

    /// Like [`Reader::new`] on the file's bytes, giving each generation of a new-format trace
    /// back to `file` once it has been read.
    pub fn from_file(file: &'a TraceFile) -> Result<Self> {
        Reader::read(file.bytes(), Some(file))
    }

    /// Reads from the start of the generation at `mark` (one of [`Reader::generations`] of a
    /// reader of the same file) to the end of the trace, with fresh tables and ordering state.
    /// Bytes in memory are resumed through [`TraceFile::from_vec`].
    ///
    /// Events have the times, goroutines, procs and stacks of a read from the start of the
    /// file (string and stack ids are this reader's own), except where that read knew more:
    /// the first time the generation states a goroutine's or proc's status, this reader hands
    /// out a `GoExisting`, or a `ProcStart` for a proc running or in a syscall, and for a GC,
    /// sweep or mark assist under way a `GcStart`, `GcSweepStart` or `GcMarkAssistStart`, at
    /// the time the status has in the whole read, which hands out nothing there. A proc whose
    /// status says its syscall was abandoned in an earlier generation gets no `ProcStop` when
    /// it is taken away.
    pub fn resume(file: &'a TraceFile, mark: &GenerationMark) -> Result<Self> {
        let data = file.bytes();
        let Format::V2 { minor } = Format::detect(data)? else {
            return Err(TraceError::malformed(0, "a Go 1.22+ trace (only those have generations to resume at)"));
        };
        let inner = Inner::V2(v2::Reader::resume(data, Some(file), minor, mark)?);
        Ok(Reader { format: Format::V2 { minor }, tables: Tables::default(), inner })
    }

    fn read(data: &'a [u8], file: Option<&'a TraceFile>) -> Result<Self> {
        let format = Format::detect(data)?;
        if data.len() == HEADER_LEN {
            // Go would read this as an empty trace; it almost always means the program ended
            // before the tracer flushed anything, which the user should hear about.
            return Err(TraceError::truncated(
                HEADER_LEN,
                "the first batch of events (the file holds only the header; was trace.Stop called?)",
            ));
        }
        let mut tables = Tables::default();
        let inner = match format {
            Format::V1 { minor } => Inner::V1(v1::Reader::new(data, minor, &mut tables)?),
            Format::V2 { minor } => Inner::V2(v2::Reader::new(data, file, minor)?),
        };
        Ok(Reader { format, tables, inner })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Strings and stacks seen so far (all of them, for the old format, once `new` returns).
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// A reader over `data` whose bare PCs (Go 1.5/1.6 traces) are resolved against the
    /// program `binary` when one is given. Other traces name their own frames: the binary is
    /// not read then (its debug information takes longer to load than a small trace).
    pub fn open(data: &'a [u8], binary: Option<&Path>) -> std::result::Result<Self, OpenError> {
        Reader::new(data)?.named_by(binary)
    }

    /// [`Reader::open`] for [`Reader::from_file`].
    pub fn open_file(file: &'a TraceFile, binary: Option<&Path>) -> std::result::Result<Self, OpenError> {
        Reader::from_file(file)?.named_by(binary)
    }

    fn named_by(mut self, binary: Option<&Path>) -> std::result::Result<Self, OpenError> {
        if let Some(binary) = binary.filter(|_| self.tables.has_bare_frames()) {
            self.symbolize(binary)?;
        }
        Ok(self)
    }

    /// Resolves bare PCs (Go 1.5/1.6 traces) against the program binary.
    pub fn symbolize(&mut self, binary: &Path) -> std::result::Result<(), symbolize::SymbolizeError> {
        let resolver = symbolize::Resolver::open(binary)?;
        self.tables.symbolize_frames(|pc| resolver.resolve(pc));
        Ok(())
    }

    /// New format: where each generation read so far starts and when its events happen, to
    /// [`Reader::resume`] there later (one small mark per generation): to read from time `t`
    /// on, resume at the last mark whose `first_ns` is at most `t`. Empty for the old format.
    pub fn generations(&self) -> &[GenerationMark] {
        match &self.inner {
            Inner::V1(_) => &[],
            Inner::V2(r) => r.generations(),
        }
    }

    /// Problems the reader worked around (e.g. timestamps that contradict sequence order).
    pub fn warnings(&self) -> &[String] {
        match &self.inner {
            Inner::V1(r) => r.warnings(),
            Inner::V2(r) => r.warnings(),
        }
    }

    /// Events of experiments that the reader stepped over, not handed out (the old format
    /// has none).
    pub fn experimental_skipped(&self) -> u64 {
        match &self.inner {
            Inner::V1(_) => 0,
            Inner::V2(r) => r.experimental_skipped(),
        }
    }

    /// For the new format, once every event was read: when the trace ends, in ns from its
    /// first event, as Go's reader times it. Go's reader hands out events this one reads but
    /// does not (statuses re-stated at each generation, which come last in a trace; CPU
    /// samples), so the last event handed out here may end the trace too early. `None` for
    /// the old format, whose last event handed out ends the trace.
    pub fn end_ns(&self) -> Option<u64> {
        match &self.inner {
            Inner::V1(_) => None,
            Inner::V2(r) => Some(r.end_ns()),
        }
    }

    #[inline]
    pub fn next_event(&mut self) -> Result<Option<Event>> {
        match &mut self.inner {
            Inner::V1(r) => r.next_event(&mut self.tables),
            Inner::V2(r) => r.next_event(&mut self.tables),
        }
    }

    /// Hands every remaining event, in order, to `f` with the tables as they are at that
    /// event. Faster than a `next_event` loop: events are not copied out of the reader.
    pub fn for_each_event(&mut self, f: impl FnMut(&Event, &Tables)) -> Result<()> {
        self.for_each_event_by_generation(f, || {})
    }

    /// [`Reader::for_each_event`], calling `at_generation` as each generation of a
    /// new-format trace starts, before its first event (never for the old format).
    pub fn for_each_event_by_generation(&mut self, mut f: impl FnMut(&Event, &Tables), mut at_generation: impl FnMut()) -> Result<()> {
        match &mut self.inner {
            Inner::V1(r) => {
                while let Some(ev) = r.next_event(&mut self.tables)? {
                    f(&ev, &self.tables);
                }
                Ok(())
            }
            Inner::V2(r) => r.for_each_event(&mut self.tables, &mut f, &mut at_generation),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(s: &str) -> Vec<u8> {
        let mut h = s.as_bytes().to_vec();
        h.resize(HEADER_LEN, 0);
        h
    }

    #[test]
    fn detects_every_supported_header() {
        assert_eq!(Format::detect(&header("go 1.5 trace")).unwrap(), Format::V1 { minor: 5 });
        assert_eq!(Format::detect(&header("go 1.21 trace")).unwrap(), Format::V1 { minor: 21 });
        assert_eq!(Format::detect(&header("go 1.22 trace")).unwrap(), Format::V2 { minor: 22 });
        assert_eq!(Format::detect(&header("go 1.26 trace")).unwrap(), Format::V2 { minor: 26 });
        assert_eq!(Format::V2 { minor: 26 }.to_string(), "go 1.26");
    }

    #[test]
    fn rejects_other_headers_with_one_line() {
        for bad in [header("go 1.4 trace"), header("go 1.99 trace"), b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec()] {
            let err = Format::detect(&bad).unwrap_err();
            assert!(matches!(err, TraceError::Unsupported { .. }), "{err}");
            assert!(!err.to_string().contains('\n'));
        }
        assert!(matches!(Format::detect(b"go 1.2"), Err(TraceError::Truncated { .. })));
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/traces/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    /// Every event of `reader`, or the error that stopped it, with the warnings.
    fn read_all(mut reader: Reader<'_>) -> (Vec<Event>, std::result::Result<(), TraceError>, Vec<String>) {
        let mut events = Vec::new();
        let end = reader.for_each_event(|ev, _| events.push(*ev));
        (events, end, reader.warnings().to_vec())
    }

    #[test]
    fn each_generation_read_is_marked_with_its_events() {
        for name in ["pingpong_1_22.trace", "many_1_24.trace", "pingpong_1_27.trace"] {
            let data = fixture(name);
            let mut reader = Reader::new(&data).unwrap();
            assert!(reader.generations().is_empty(), "{name}: no generation read yet");
            let mut events = Vec::new();
            reader.for_each_event(|ev, _| events.push(*ev)).unwrap();
            let marks = reader.generations();
            assert_eq!(marks.len(), 1, "{name}: these small traces have one generation");
            let m = &marks[0];
            assert_eq!((m.gen, m.offset, m.events), (1, HEADER_LEN, events.len() as u64), "{name}");
            assert_eq!((m.first_ns, m.last_ns), (events[0].ts, events[events.len() - 1].ts), "{name}");
        }
        let data = fixture("pingpong_1_21.trace");
        let mut old = Reader::new(&data).unwrap();
        old.for_each_event(|_, _| {}).unwrap();
        assert!(old.generations().is_empty(), "the old format has no generations");
    }

    #[test]
    fn resuming_at_the_first_generation_reads_the_trace_again() {
        for name in ["pingpong_1_22.trace", "patterns_1_24.trace", "tasks_1_27.trace"] {
            let file = TraceFile::from_vec(fixture(name));
            let mut whole = Reader::from_file(&file).unwrap();
            let mut events = Vec::new();
            whole.for_each_event(|ev, _| events.push(*ev)).unwrap();
            let resumed = Reader::resume(&file, &whole.generations()[0]).unwrap();
            let (again, end, _) = read_all(resumed);
            end.unwrap();
            assert_eq!(again, events, "{name}: fresh state either way, so the same events and ids");
        }
    }

    #[test]
    fn resuming_needs_a_new_format_trace_and_a_mark_inside_it() {
        let new = TraceFile::from_vec(fixture("pingpong_1_27.trace"));
        let mut reader = Reader::from_file(&new).unwrap();
        reader.for_each_event(|_, _| {}).unwrap();
        let mark = reader.generations()[0].clone();
        let old = TraceFile::from_vec(fixture("pingpong_1_21.trace"));
        assert!(matches!(Reader::resume(&old, &mark), Err(TraceError::Malformed { offset: 0, .. })));
        let short = TraceFile::from_vec(new.bytes()[..HEADER_LEN].to_vec());
        let err = Reader::resume(&short, &mark).err().unwrap();
        assert_eq!(err.to_string(), "truncated trace: ends at byte 16 while reading generation 1 at byte 16");
    }

    #[test]
    fn a_cut_file_reads_as_the_same_bytes_in_memory_do() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["pingpong_1_21.trace", "pingpong_1_22.trace", "pingpong_1_27.trace"] {
            let data = fixture(name);
            for cut in [HEADER_LEN, HEADER_LEN + 1, data.len() / 3, data.len() / 2, data.len() - 1] {
                let path = dir.path().join("cut.trace");
                std::fs::write(&path, &data[..cut]).unwrap();
                let file = TraceFile::open(&path).unwrap();
                let expected = Reader::new(&data[..cut]).map(read_all);
                let got = Reader::from_file(&file).map(read_all);
                assert_eq!(got, expected, "{name} cut at byte {cut}");
                assert!(expected.is_err() || expected.is_ok_and(|(_, end, _)| end.is_err()), "{name} cut at {cut} is no trace");
            }
        }
    }
}
