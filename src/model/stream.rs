//! `-o` for a trace of any size: the model's JSON written while the trace is read, never held
//! in memory. A first pass learns what only the end of a trace tells: which goroutines are
//! shown, whether a patched runtime recorded the channel operations, which stacks anything
//! shown refers to. A second writes the goroutines, each segment as it ends, and the messages
//! in order of sending: made when received, they are sorted in runs, spilled to temporary
//! files when there are many, and merged. The bytes are those [`Model::write_json`] writes
//! for the model built in memory. Start with [`ModelWriter::read`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};

use rustc_hash::FxHashSet;

use super::groups::EdgeCounter;
use super::stacks::{Numbering, StackRef};
use super::{kept, messages, read, Message, MessageKind, ModelOptions, PassEnd, Segment, Sink, JSON_VERSION};
use crate::trace::{GoId, Reader};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Trace(#[from] crate::trace::TraceError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// What the first pass learnt, ready to write the model in a second: a trace that cannot be
/// read fails here, before anything is written.
pub struct ModelWriter<'t> {
    ending: PassEnd,
    numbering: Numbering<'t>,
    stacks: Vec<super::Stack>,
    options: ModelOptions,
}

impl<'t> ModelWriter<'t> {
    /// The first pass, over `first`.
    pub fn read(first: &'t mut Reader<'_>, options: ModelOptions) -> Result<Self, crate::trace::TraceError> {
        let (census, mut ending) = read(&mut *first, options, Census::default())?;
        let first: &'t Reader<'_> = first;
        let mut numbering = Numbering::new(first.tables());
        census.mark(&ending, &mut numbering);
        let stacks = numbering.stacks();
        ending.goroutines.iter_mut().for_each(|g| g.create_stack = numbering.renumber(g.create_stack));
        ending.channels.iter_mut().for_each(|c| c.make_stack = numbering.renumber(c.make_stack));
        Ok(ModelWriter { ending, numbering, stacks, options })
    }

    /// The second pass, over `second`, writing to `out` (messages sorted in runs of
    /// `run_len`).
    pub fn write(&self, second: &mut Reader<'_>, out: impl Write, run_len: usize) -> Result<u64, WriteError> {
        let ending = &self.ending;
        let mut out = BufWriter::new(out);
        write!(out, "{{\"version\":{JSON_VERSION},\"meta\":")?;
        serde_json::to_writer(&mut out, &ending.meta)?;
        out.write_all(b",\"goroutines\":")?;
        serde_json::to_writer(&mut out, &ending.goroutines)?;
        out.write_all(b",\"groups\":")?;
        serde_json::to_writer(&mut out, &ending.groups)?;
        out.write_all(b",\"segments\":[")?;
        let writer = Writer {
            out,
            ending,
            numbering: &self.numbering,
            first: true,
            runs: Runs::new(run_len),
            edges: EdgeCounter::default(),
            failed: None,
        };
        let (writer, _) = read(second, self.options, writer)?;
        let Writer { mut out, runs, failed, edges, .. } = writer;
        if let Some(e) = failed {
            return Err(e);
        }
        out.write_all(b"],\"messages\":[")?;
        runs.write(&mut out)?;
        out.write_all(b"],\"group_edges\":")?;
        serde_json::to_writer(&mut out, &edges.finish())?;
        if !ending.channels.is_empty() {
            out.write_all(b",\"channels\":")?;
            serde_json::to_writer(&mut out, &ending.channels)?;
        }
        out.write_all(b",\"stacks\":")?;
        serde_json::to_writer(&mut out, &self.stacks)?;
        out.write_all(b"}")?;
        out.flush()?;
        Ok(ending.meta.duration_ns)
    }
}

/// The first pass's sink: which stacks the segments and messages of each goroutine refer to.
#[derive(Default)]
struct Census {
    segments: FxHashSet<(GoId, StackRef)>,
    messages: FxHashSet<(GoId, GoId, MessageKind, bool, StackRef)>,
}

impl Sink for Census {
    fn segment(&mut self, s: Segment) {
        if let Some(r) = s.stack {
            self.segments.insert((s.goroutine, r));
        }
    }

    fn message(&mut self, m: Message, inferred: bool) {
        if let Some(r) = m.stack {
            self.messages.insert((m.from, m.to, m.kind, inferred, r));
        }
    }
}

impl Census {
    /// Marks the stacks that the model refers to, as `Model`'s own numbering does.
    fn mark(&self, ending: &PassEnd, numbering: &mut Numbering<'_>) {
        ending.goroutines.iter().for_each(|g| numbering.mark(g.create_stack));
        ending.channels.iter().for_each(|c| numbering.mark(c.make_stack));
        for &(_, r) in self.segments.iter().filter(|(g, _)| ending.shows(*g)) {
            numbering.mark(Some(r));
        }
        let truth = ending.meta.channel_truth;
        for &(from, to, kind, inferred, r) in &self.messages {
            if kept(kind, inferred, truth) && ending.shows(from) && ending.shows(to) {
                numbering.mark(Some(r));
            }
        }
    }
}

/// The second pass's sink: writes each shown segment, keeps messages for their order.
struct Writer<'a, W: Write> {
    out: BufWriter<W>,
    ending: &'a PassEnd,
    numbering: &'a Numbering<'a>,
    first: bool,
    runs: Runs,
    edges: EdgeCounter,
    /// The first write that failed: a sink cannot stop the pass, so it stops writing.
    failed: Option<WriteError>,
}

impl<W: Write> Writer<'_, W> {
    fn segment_json(&mut self, mut s: Segment) -> Result<(), WriteError> {
        s.stack = self.numbering.renumber(s.stack);
        if !std::mem::take(&mut self.first) {
            self.out.write_all(b",")?;
        }
        serde_json::to_writer(&mut self.out, &s)?;
        Ok(())
    }
}

impl<W: Write> Sink for Writer<'_, W> {
    fn segment(&mut self, s: Segment) {
        if self.failed.is_none() && self.ending.shows(s.goroutine) {
            self.failed = self.segment_json(s).err();
        }
    }

    fn message(&mut self, mut m: Message, inferred: bool) {
        if self.failed.is_none() && self.ending.keeps(&m, inferred) {
            self.edges.count(&self.ending.goroutines, &m);
            m.stack = self.numbering.renumber(m.stack);
            self.failed = self.runs.push(m).err().map(WriteError::from);
        }
    }
}

/// Messages sorted in runs of at most `run_len`, each but the last spilled to a temporary file.
struct Runs {
    run_len: usize,
    open: Vec<Message>,
    spilled: Vec<BufReader<File>>,
}

/// About 40 MB of messages: how many [`ModelWriter::write`] sorts in memory at a time.
pub const SORT_RUN_LEN: usize = 1 << 19;

impl Runs {
    fn new(run_len: usize) -> Self {
        Runs { run_len, open: Vec::new(), spilled: Vec::new() }
    }

    fn push(&mut self, m: Message) -> std::io::Result<()> {
        self.open.push(m);
        if self.open.len() >= self.run_len {
            self.spill()?;
        }
        Ok(())
    }

    /// Writes the open run sorted, each message as its sort key and its JSON, so that the
    /// merge compares keys and copies bytes without reading JSON back.
    fn spill(&mut self) -> std::io::Result<()> {
        messages::order(&mut self.open);
        let mut file = tempfile::tempfile()?;
        let mut w = BufWriter::new(&mut file);
        let mut json = Vec::new();
        for m in self.open.drain(..) {
            json.clear();
            serde_json::to_writer(&mut json, &m)?;
            for k in key(&m) {
                w.write_all(&k.to_le_bytes())?;
            }
            w.write_all(&(json.len() as u32).to_le_bytes())?;
            w.write_all(&json)?;
        }
        w.flush()?;
        drop(w);
        file.rewind()?;
        self.spilled.push(BufReader::new(file));
        Ok(())
    }

    /// Writes every message's JSON, comma-separated, in the model's order: by send time,
    /// those sent together in the order they came (the runs are stable sorts, merged first
    /// run first).
    fn write(mut self, out: &mut impl Write) -> std::io::Result<()> {
        let mut first = true;
        let mut comma = |out: &mut dyn Write| if std::mem::take(&mut first) { Ok(()) } else { out.write_all(b",") };
        if self.spilled.is_empty() {
            messages::order(&mut self.open);
            for m in &self.open {
                comma(out)?;
                serde_json::to_writer(&mut *out, m)?;
            }
            return Ok(());
        }
        self.spill()?;
        let mut held: Vec<Vec<u8>> = vec![Vec::new(); self.spilled.len()];
        let mut heads = BinaryHeap::new();
        for (i, run) in self.spilled.iter_mut().enumerate() {
            pull(run, i, &mut held[i], &mut heads)?;
        }
        while let Some(Reverse((_, i))) = heads.pop() {
            comma(out)?;
            out.write_all(&held[i])?;
            pull(&mut self.spilled[i], i, &mut held[i], &mut heads)?;
        }
        Ok(())
    }
}

/// The model's order of messages (see `messages::order`).
fn key(m: &Message) -> [u64; 4] {
    [m.send_ns, m.recv_ns, m.from, m.to]
}

/// A message's key, and the run it came from: of two with the same key, the one of the
/// earlier run came first.
type Head = Reverse<([u64; 4], usize)>;

/// Reads the next message of run `i` into `json` and its key into `heads`; nothing at the
/// run's end.
fn pull(run: &mut BufReader<File>, i: usize, json: &mut Vec<u8>, heads: &mut BinaryHeap<Head>) -> std::io::Result<()> {
    let mut record = [0u8; 36];
    match run.read_exact(&mut record) {
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
        other => other?,
    }
    let word = |k: usize| u64::from_le_bytes(record[k * 8..k * 8 + 8].try_into().expect("8 bytes"));
    let len = u32::from_le_bytes(record[32..].try_into().expect("4 bytes")) as usize;
    json.resize(len, 0);
    run.read_exact(json)?;
    heads.push(Reverse(([word(0), word(1), word(2), word(3)], i)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streamed, the JSON is byte for byte what the model built in memory writes, with one
    /// run of messages or many spilled and merged.
    #[test]
    fn streamed_json_is_the_models_json() {
        let dir =
            |d: &str| std::fs::read_dir(format!("{}/tests/traces/{d}", env!("CARGO_MANIFEST_DIR"))).unwrap().map(|e| e.unwrap().path());
        let traces: Vec<_> = dir("").chain(dir("patched")).filter(|p| p.extension().is_some_and(|e| e == "trace")).collect();
        assert!(traces.len() > 30);
        for path in &traces {
            let path = path.display();
            let data = std::fs::read(path.to_string()).unwrap();
            for all in [false, true] {
                let options = ModelOptions { all };
                let model = super::super::build(&mut Reader::new(&data).unwrap(), options).unwrap();
                let mut expected = Vec::new();
                model.write_json(&mut expected).unwrap();
                for run_len in [SORT_RUN_LEN, 2, 3] {
                    let mut got = Vec::new();
                    let mut first = Reader::new(&data).unwrap();
                    let plan = ModelWriter::read(&mut first, options).unwrap();
                    let duration = plan.write(&mut Reader::new(&data).unwrap(), &mut got, run_len).unwrap();
                    assert_eq!(duration, model.meta.duration_ns);
                    assert!(
                        got == expected,
                        "{path}, all {all}, runs of {run_len}:\n{}\n{}",
                        String::from_utf8_lossy(&got),
                        String::from_utf8_lossy(&expected)
                    );
                }
            }
        }
    }
}
