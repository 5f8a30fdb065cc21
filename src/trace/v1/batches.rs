//! The indexing pass: walks the whole file once, cutting it into per-P batches and collecting
//! everything that is not an event in a batch's order: strings, stacks, the tick frequency,
//! and (1.5 format) the start PCs of created goroutines, which become one-frame stacks.
//!
//! After it, [`Tables`] holds every stack of the trace, so a binary can symbolize them
//! before any event is read.

use std::collections::HashMap;

use super::events::{self, Raw, Wire};
use super::ids::IdMap;
use crate::trace::bytes::Cursor;
use crate::trace::error::{Result, TraceError};
use crate::trace::event::{ProcId, StackId, StrId};
use crate::trace::tables::{InternedFrame, Tables};

/// A batch's events: the bytes after its header, up to the next batch.
#[derive(Clone, Copy, Debug)]
pub struct Batch {
    pub start: usize,
    pub end: usize,
    /// The batch header's timestamp, the base of the first event's delta.
    pub ticks: u64,
    /// 1.5 format: the base of the first event's sequence number delta.
    pub seq: u64,
}

/// All batches one P wrote, in file order (which is the order the P wrote them).
#[derive(Debug)]
pub struct ProcBatches {
    pub p: ProcId,
    pub batches: Vec<Batch>,
}

pub struct Index {
    pub procs: Vec<ProcBatches>,
    /// Ticks per second.
    pub freq: u64,
    /// The file's string ids.
    pub strings: HashMap<u64, StrId>,
    /// The file's stack ids.
    pub stacks: IdMap<StackId>,
    /// 1.5 format: a created goroutine's start PC → its one-frame stack.
    pub start_pcs: HashMap<u64, StackId>,
}

/// Stack records as read, resolved once all strings are known (a stack may name strings
/// that come later in the file).
#[derive(Default)]
struct RawStacks {
    /// (file stack id, range of `words`)
    records: Vec<(u64, usize, usize)>,
    words: Vec<u64>,
}

impl RawStacks {
    fn push(&mut self, id: u64, frame_words: &[u64]) {
        let start = self.words.len();
        self.words.extend_from_slice(frame_words);
        self.records.push((id, start, self.words.len()));
    }
}

/// A P id from a batch header; the runtime writes -1 (as a uint64) for its global buffer.
fn proc_id(raw: u64, off: usize) -> Result<ProcId> {
    if raw == u64::MAX {
        return Ok(-1);
    }
    if raw > i32::MAX as u64 {
        return Err(TraceError::malformed(off, format_args!("a P id of at most {}, found {raw}", i32::MAX)));
    }
    Ok(raw as ProcId)
}

impl Index {
    pub fn build(data: &[u8], minor: u32, tables: &mut Tables) -> Result<Index> {
        let mut index = Index {
            procs: Vec::new(),
            freq: 0,
            strings: HashMap::new(),
            stacks: IdMap::new((data.len() as u64 / 8).max(1 << 16)),
            start_pcs: HashMap::new(),
        };
        let mut slots = HashMap::new();
        // (slot of the P, batch) of the batch being read.
        let mut current: Option<(usize, Batch)> = None;
        let mut raw_stacks = RawStacks::default();
        let mut words = Vec::new();
        let wire = Wire::new(minor);
        let mut cur = Cursor::new(data.get(crate::trace::HEADER_LEN..).unwrap_or_default(), crate::trace::HEADER_LEN);
        while !cur.is_empty() {
            let off = cur.offset();
            let typ = peek_type(&cur);
            if current.is_none() && typ != events::BATCH {
                return Err(TraceError::malformed(off, "a batch header before the first event"));
            }
            if typ == events::STACK {
                let id = events::read_stack(&wire, &mut cur, &mut words)?;
                raw_stacks.push(id, &words[2..]);
            } else if !wants_args(typ, minor) {
                wire.skip(&mut cur)?;
            } else {
                let raw = wire.read(&mut cur)?;
                if raw.typ != events::BATCH {
                    index.note(&raw, minor, tables)?;
                    continue;
                }
                if let Some((slot, mut b)) = current.take() {
                    b.end = off;
                    index.procs[slot].batches.push(b);
                }
                let (p, ticks, seq) = events::batch_header(&raw, minor);
                let slot = index.proc_slot(&mut slots, proc_id(p, off)?);
                current = Some((slot, Batch { start: cur.offset(), end: cur.offset(), ticks, seq }));
            }
        }
        if let Some((slot, mut b)) = current {
            b.end = cur.offset();
            index.procs[slot].batches.push(b);
        }
        if index.freq == 0 {
            return Err(TraceError::malformed(data.len(), "a frequency event (EvFrequency) somewhere in the trace"));
        }
        index.intern_stacks(&raw_stacks, minor, tables);
        Ok(index)
    }

    /// The position of P `p` in `procs`, adding it when new. `slots` maps P ids to
    /// positions (a corrupt file can name very many Ps; a scan would be quadratic).
    fn proc_slot(&mut self, slots: &mut HashMap<ProcId, usize>, p: ProcId) -> usize {
        *slots.entry(p).or_insert_with(|| {
            self.procs.push(ProcBatches { p, batches: Vec::new() });
            self.procs.len() - 1
        })
    }

    /// Records what an event inside a batch contributes to the index.
    fn note(&mut self, raw: &Raw<'_>, minor: u32, tables: &mut Tables) -> Result<()> {
        match raw.typ {
            events::STRING if minor >= 7 => {
                let id = raw.args[0];
                let s = tables.intern_str(&String::from_utf8_lossy(raw.text));
                if self.strings.insert(id, s).is_some() {
                    return Err(TraceError::malformed(raw.off, format_args!("a new string id, found {id} again")));
                }
            }
            events::FREQUENCY => {
                if raw.args[0] == 0 {
                    return Err(TraceError::malformed(raw.off, "a positive tick frequency"));
                }
                self.freq = raw.args[0];
            }
            events::GO_CREATE if minor < 7 => {
                // [seq, ts, g, start pc, stack]. Go's symbolizer looks up pc-1 for every frame
                // (frames hold return PCs), so the start PC is stored +1 like Go does.
                let pc = raw.args[3].wrapping_add(1);
                if let std::collections::hash_map::Entry::Vacant(e) = self.start_pcs.entry(pc) {
                    e.insert(tables.intern_stack(&[InternedFrame { pc, func: StrId(0), file: StrId(0), line: 0 }]));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn intern_stacks(&mut self, raw: &RawStacks, minor: u32, tables: &mut Tables) {
        let mut frames = Vec::new();
        for &(id, start, end) in &raw.records {
            let words = &raw.words[start..end];
            frames.clear();
            if minor < 7 {
                frames.extend(words.iter().map(|&pc| InternedFrame { pc, func: StrId(0), file: StrId(0), line: 0 }));
            } else {
                frames.extend(words.chunks_exact(4).map(|w| InternedFrame {
                    pc: w[0],
                    func: self.str(w[1]),
                    file: self.str(w[2]),
                    line: u32::try_from(w[3]).unwrap_or(u32::MAX),
                }));
            }
            // Go ignores stack id 0 and empty stacks: events refer to them as "no stack".
            if id != 0 && !frames.is_empty() {
                self.stacks.set(id, tables.intern_stack(&frames));
            }
        }
    }

    /// The interned string of a file string id; unknown ids read as the empty string, as Go
    /// reads them.
    pub fn str(&self, id: u64) -> StrId {
        self.strings.get(&id).copied().unwrap_or_default()
    }
}

/// Whether the indexing pass needs the arguments of events of type `typ`.
fn wants_args(typ: u8, minor: u32) -> bool {
    match typ {
        events::BATCH | events::FREQUENCY => true,
        events::STRING => minor >= 7,
        events::GO_CREATE => minor < 7,
        _ => false,
    }
}

fn peek_type(cur: &Cursor<'_>) -> u8 {
    cur.clone().byte("").map_or(0, |b| b & 0x3f)
}
