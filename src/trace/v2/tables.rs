//! One generation's string and stack tables, re-interned into the trace-wide [`Tables`].
//!
//! Ids in the trace are only meaningful inside their generation; this keeps a small map from
//! each generation id to the global id, rebuilt for every generation.

use super::events::{EV_STACK, EV_STRING};
use super::generation::BatchRef;
use super::idmap::IdMap;
use crate::trace::bytes::Cursor;
use crate::trace::error::{Result, TraceError};
use crate::trace::event::{StackId, StrId};
use crate::trace::tables::{InternedFrame, Tables};

#[derive(Debug, Default)]
pub struct GenTables {
    strings: IdMap<StrId>,
    stacks: IdMap<StackId>,
    /// Scratch for one stack's frames.
    frames: Vec<InternedFrame>,
}

/// Each frame is four uvarints, so at least four bytes.
const MIN_FRAME_BYTES: u64 = 4;

impl GenTables {
    /// Loads the generation's tables; strings first, since stack frames name strings.
    pub fn load(&mut self, data: &[u8], strings: &[BatchRef], stacks: &[BatchRef], tables: &mut Tables) -> Result<()> {
        self.strings.clear();
        self.stacks.clear();
        for b in strings {
            self.load_strings(data, b, tables)?;
        }
        for b in stacks {
            self.load_stacks(data, b, tables)?;
        }
        Ok(())
    }

    fn load_strings(&mut self, data: &[u8], b: &BatchRef, tables: &mut Tables) -> Result<()> {
        let mut c = Cursor::new(&data[b.start..b.end], b.start);
        c.byte("the Strings event")?;
        while !c.is_empty() {
            expect_type(&mut c, EV_STRING, "a String event")?;
            let id = c.uvarint("a string id")?;
            let len = c.length("a string length")?;
            let bytes = c.bytes(len, "a string")?;
            let global = tables.intern_str(&String::from_utf8_lossy(bytes));
            self.strings.insert(id, global);
        }
        Ok(())
    }

    fn load_stacks(&mut self, data: &[u8], b: &BatchRef, tables: &mut Tables) -> Result<()> {
        let mut c = Cursor::new(&data[b.start..b.end], b.start);
        c.byte("the Stacks event")?;
        while !c.is_empty() {
            expect_type(&mut c, EV_STACK, "a Stack event")?;
            let id = c.uvarint("a stack id")?;
            let at = c.offset();
            let n = c.uvarint("a stack's frame count")?;
            if n > c.remaining() as u64 / MIN_FRAME_BYTES {
                return Err(TraceError::malformed(at, format_args!("a frame count that fits the {} bytes left, found {n}", c.remaining())));
            }
            self.frames.clear();
            for _ in 0..n {
                let frame = self.read_frame(&mut c)?;
                self.frames.push(frame);
            }
            let global = tables.intern_stack(&self.frames);
            self.stacks.insert(id, global);
        }
        Ok(())
    }

    fn read_frame(&self, c: &mut Cursor<'_>) -> Result<InternedFrame> {
        let pc = c.uvarint("a frame's PC")?;
        let at = c.offset();
        let func = self.string(c.uvarint("a frame's function name id")?, at)?;
        let at = c.offset();
        let file = self.string(c.uvarint("a frame's file name id")?, at)?;
        let at = c.offset();
        let line = c.uvarint("a frame's line")?;
        let line = u32::try_from(line).map_err(|_| TraceError::malformed(at, format_args!("a line number, found {line}")))?;
        Ok(InternedFrame { pc, func, file, line })
    }

    /// The global id of string `id` of this generation; `at` is where `id` was read.
    #[inline]
    pub fn string(&self, id: u64, at: usize) -> Result<StrId> {
        if id == 0 {
            return Ok(StrId(0));
        }
        match self.strings.get(id) {
            Some(&s) => Ok(s),
            None => Err(unknown_id(at, "string", id)),
        }
    }

    /// The global id of stack `id` of this generation; `at` is where `id` was read.
    #[inline]
    pub fn stack(&self, id: u64, at: usize) -> Result<StackId> {
        if id == 0 {
            return Ok(StackId::NONE);
        }
        match self.stacks.get(id) {
            Some(&s) => Ok(s),
            None => Err(unknown_id(at, "stack", id)),
        }
    }
}

/// Kept out of line so that the lookups above stay small enough to inline into the
/// per-event path.
#[cold]
#[inline(never)]
fn unknown_id(at: usize, what: &str, id: u64) -> TraceError {
    TraceError::malformed(at, format_args!("a {what} id of this generation, found {id}"))
}

fn expect_type(c: &mut Cursor<'_>, typ: u8, what: &str) -> Result<()> {
    let at = c.offset();
    let found = c.byte(what)?;
    if found != typ {
        return Err(TraceError::malformed(at, format_args!("{what}, found event type {found}")));
    }
    Ok(())
}
