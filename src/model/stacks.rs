//! The call stacks a Go programmer wants to see on hover: where a goroutine was created, where
//! it blocked, where a message was sent. Items keep a small id; the frames live once in the
//! model's `stacks` table, which holds only the stacks that something refers to.

use std::collections::HashMap;
use std::num::NonZeroU32;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::trace::{StackId, StrId, Tables};

/// A reference to a stack, four bytes (absent is free: `Option` uses the zero niche), so that
/// millions of segments and messages stay small. While the model is built it holds the
/// trace's own stack id; [`Numbering`] turns it into 1 + the index into `Model::stacks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StackRef(NonZeroU32);

impl StackRef {
    /// The trace's stack `id`; none for the empty stack.
    pub fn of(id: StackId) -> Option<StackRef> {
        NonZeroU32::new(id.0).map(StackRef)
    }

    /// The trace's own stack id, while the model is being built (before numbering).
    pub fn trace_id(self) -> StackId {
        StackId(self.0.get())
    }

    /// The index into `Model::stacks` (once the model is built).
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

impl Serialize for StackRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0.get() - 1)
    }
}

/// From a model file: the index into its `stacks`.
impl<'de> Deserialize<'de> for StackRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let index = u32::deserialize(d)?;
        index.checked_add(1).and_then(NonZeroU32::new).map(StackRef).ok_or_else(|| serde::de::Error::custom("stack index too large"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Frame {
    pub func: String,
    pub file: String,
    pub line: u32,
}

/// Innermost frame first, as Go records them.
pub type Stack = Vec<Frame>;

/// Renumbers the stacks that the model refers to densely, in the trace's order: first
/// [`mark`](Numbering::mark) every reference, then [`stacks`](Numbering::stacks), then
/// [`renumber`](Numbering::renumber) every reference.
pub struct Numbering<'t> {
    tables: &'t Tables,
    /// By trace stack id: 0 when not referenced (or not worth showing), else the new ref.
    new: Vec<u32>,
}

impl<'t> Numbering<'t> {
    pub fn new(tables: &'t Tables) -> Self {
        Numbering { tables, new: vec![0; tables.stack_count()] }
    }

    pub fn mark(&mut self, r: Option<StackRef>) {
        if let Some(slot) = r.and_then(|r| self.new.get_mut(r.0.get() as usize)) {
            *slot = 1;
        }
    }

    /// The frames of every marked stack, in their new order. Stacks that differ only in PCs
    /// read the same and become one. A stack of bare PCs (Go 1.5/1.6 without the program
    /// binary) names nothing and is left out, its references dropped.
    pub fn stacks(&mut self) -> Vec<Stack> {
        let mut out = Vec::new();
        let mut seen: HashMap<Stack, u32> = HashMap::new();
        for (id, slot) in self.new.iter_mut().enumerate() {
            if *slot == 0 {
                continue;
            }
            let frames = self.tables.stack(StackId(id as u32));
            if frames.iter().all(|f| f.func == StrId(0)) {
                *slot = 0;
                continue;
            }
            let frame = |f: &crate::trace::InternedFrame| Frame {
                func: self.tables.str(f.func).into(),
                file: self.tables.str(f.file).into(),
                line: f.line,
            };
            let stack: Stack = frames.iter().map(frame).collect();
            *slot = *seen.entry(stack).or_insert_with_key(|stack| {
                out.push(stack.clone());
                out.len() as u32
            });
        }
        out
    }

    pub fn renumber(&self, r: Option<StackRef>) -> Option<StackRef> {
        r.and_then(|r| NonZeroU32::new(*self.new.get(r.0.get() as usize)?)).map(StackRef)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::InternedFrame as TraceFrame;

    #[test]
    fn only_referenced_named_stacks_are_kept_and_numbered_densely() {
        let mut tables = Tables::default();
        let func = tables.intern_str("main.worker");
        let file = tables.intern_str("/src/main.go");
        let named = |line| TraceFrame { pc: line as u64, func, file, line };
        let unused = tables.intern_stack(&[named(1)]);
        let bare = tables.intern_stack(&[TraceFrame { pc: 0x42, func: StrId(0), file: StrId(0), line: 0 }]);
        let used = tables.intern_stack(&[named(7), named(3)]);
        let other_pc = tables.intern_stack(&[TraceFrame { pc: 99, ..named(7) }, named(3)]);
        let (unused, bare, used, other_pc) = (StackRef::of(unused), StackRef::of(bare), StackRef::of(used), StackRef::of(other_pc));
        assert_eq!(StackRef::of(StackId::NONE), None);

        let mut n = Numbering::new(&tables);
        for r in [used, bare, used, None, other_pc] {
            n.mark(r);
        }
        let stacks = n.stacks();
        assert_eq!(stacks.len(), 1);
        assert_eq!(stacks[0].iter().map(|f| f.line).collect::<Vec<_>>(), vec![7, 3]);
        assert_eq!(stacks[0][0], Frame { func: "main.worker".into(), file: "/src/main.go".into(), line: 7 });
        assert_eq!(n.renumber(used).map(StackRef::index), Some(0));
        assert_eq!(n.renumber(other_pc), n.renumber(used), "the same lines are the same stack");
        assert_eq!((n.renumber(bare), n.renumber(unused), n.renumber(None)), (None, None, None));
        assert_eq!(serde_json::to_string(&n.renumber(used)).unwrap(), "0");
    }
}
