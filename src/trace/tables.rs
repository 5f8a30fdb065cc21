//! Interned strings and stacks shared by every event of a trace.
//!
//! Both formats number strings and stacks per file (old format) or per generation (new
//! format); readers re-intern them here so that ids stay valid for the whole trace and equal
//! stacks get equal ids.

use std::collections::HashMap;

use super::event::{StackId, StrId};

/// One frame of a stack. `func`, `file` and `line` are empty/0 when the trace carries bare
/// PCs (Go 1.5/1.6) and no binary was given to symbolize them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InternedFrame {
    pub pc: u64,
    pub func: StrId,
    pub file: StrId,
    pub line: u32,
}

#[derive(Debug)]
pub struct Tables {
    strings: Vec<Box<str>>,
    string_ids: HashMap<Box<str>, StrId>,
    /// `stacks[i]` is the range of `frames` that stack `StackId(i)` occupies.
    stacks: Vec<(u32, u32)>,
    frames: Vec<InternedFrame>,
    stack_ids: HashMap<Box<[InternedFrame]>, StackId>,
}

impl Default for Tables {
    fn default() -> Self {
        let mut t =
            Tables { strings: Vec::new(), string_ids: HashMap::new(), stacks: vec![(0, 0)], frames: Vec::new(), stack_ids: HashMap::new() };
        t.intern_str("");
        t
    }
}

impl Tables {
    pub fn intern_str(&mut self, s: &str) -> StrId {
        if let Some(&id) = self.string_ids.get(s) {
            return id;
        }
        let id = StrId(self.strings.len() as u32);
        self.strings.push(s.into());
        self.string_ids.insert(s.into(), id);
        id
    }

    pub fn str(&self, id: StrId) -> &str {
        self.strings.get(id.0 as usize).map_or("", |s| s)
    }

    pub fn intern_stack(&mut self, frames: &[InternedFrame]) -> StackId {
        if frames.is_empty() {
            return StackId::NONE;
        }
        if let Some(&id) = self.stack_ids.get(frames) {
            return id;
        }
        let id = StackId(self.stacks.len() as u32);
        let start = self.frames.len() as u32;
        self.frames.extend_from_slice(frames);
        self.stacks.push((start, self.frames.len() as u32));
        self.stack_ids.insert(frames.into(), id);
        id
    }

    /// Innermost frame first, as Go records them.
    pub fn stack(&self, id: StackId) -> &[InternedFrame] {
        match self.stacks.get(id.0 as usize) {
            Some(&(start, end)) => &self.frames[start as usize..end as usize],
            None => &[],
        }
    }

    pub fn stack_count(&self) -> usize {
        self.stacks.len()
    }

    /// Whether some frame is a bare PC (Go 1.5/1.6 traces), which only the binary names.
    pub fn has_bare_frames(&self) -> bool {
        self.frames.iter().any(|f| f.func == StrId(0))
    }

    /// Fills in function, file and line of every frame that has only a PC, from `resolve`.
    /// Used for Go 1.5/1.6 traces once the program binary is known.
    pub fn symbolize_frames(&mut self, mut resolve: impl FnMut(u64) -> Option<(String, String, u32)>) {
        let mut cache: HashMap<u64, Option<(StrId, StrId, u32)>> = HashMap::new();
        for i in 0..self.frames.len() {
            let frame = self.frames[i];
            if frame.func != StrId(0) {
                continue;
            }
            let resolved = match cache.get(&frame.pc) {
                Some(r) => *r,
                None => {
                    let r = resolve(frame.pc).map(|(func, file, line)| (self.intern_str(&func), self.intern_str(&file), line));
                    cache.insert(frame.pc, r);
                    r
                }
            };
            if let Some((func, file, line)) = resolved {
                self.frames[i] = InternedFrame { pc: frame.pc, func, file, line };
            }
        }
        self.stack_ids.clear();
        for (i, &(start, end)) in self.stacks.iter().enumerate().skip(1) {
            self.stack_ids.insert(self.frames[start as usize..end as usize].into(), StackId(i as u32));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_and_stacks_get_equal_ids() {
        let mut t = Tables::default();
        assert_eq!(t.intern_str(""), StrId(0));
        let a = t.intern_str("main.main");
        assert_eq!(t.intern_str("main.main"), a);
        assert_eq!(t.str(a), "main.main");
        let f = InternedFrame { pc: 0x1000, func: a, file: StrId(0), line: 3 };
        let s = t.intern_stack(&[f, f]);
        assert_eq!(t.intern_stack(&[f, f]), s);
        assert_ne!(t.intern_stack(&[f]), s);
        assert_eq!(t.stack(s), &[f, f]);
        assert_eq!(t.intern_stack(&[]), StackId::NONE);
    }

    #[test]
    fn symbolizes_bare_pcs() {
        let mut t = Tables::default();
        let s = t.intern_stack(&[InternedFrame { pc: 0x42, func: StrId(0), file: StrId(0), line: 0 }]);
        t.symbolize_frames(|pc| (pc == 0x42).then(|| ("main.worker".into(), "/src/main.go".into(), 7)));
        let f = t.stack(s)[0];
        assert_eq!((t.str(f.func), t.str(f.file), f.line), ("main.worker", "/src/main.go", 7));
    }
}
