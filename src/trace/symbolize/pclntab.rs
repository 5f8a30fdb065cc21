//! Function names from Go's own symbol table, `.gopclntab`, for binaries without DWARF and
//! without a symbol table (`-ldflags=-s -w`). Only the function table is read (entry PC and
//! name of each function), in the layouts of Go 1.2–1.15, 1.16–1.17, 1.18–1.19 and 1.20+
//! (see Go's `debug/gosym/pclntab.go`). Every read is bounds-checked: a damaged table
//! yields fewer names, never a panic.

use object::{Object, ObjectSection};

const GO12_MAGIC: u32 = 0xfffffffb;
const GO116_MAGIC: u32 = 0xfffffffa;
const GO118_MAGIC: u32 = 0xfffffff0;
const GO120_MAGIC: u32 = 0xfffffff1;

/// Section names of the table: ELF, ELF PIE, Mach-O.
const SECTIONS: [&str; 3] = [".gopclntab", ".data.rel.ro.gopclntab", "__gopclntab"];

/// `(entry PC, name)` of every function in the binary's pclntab, sorted by entry; empty
/// when there is no table or it is in a layout we do not know.
pub fn functions(file: &object::File<'_>) -> Vec<(u64, String)> {
    let Some(tab) = SECTIONS.iter().find_map(|name| file.section_by_name(name)).and_then(|s| s.data().ok()) else {
        return Vec::new();
    };
    let text_start = [".text", "__text"].iter().find_map(|name| file.section_by_name(name)).map_or(0, |s| s.address());
    let mut funcs = Table::parse(tab, text_start).map(|t| t.functions()).unwrap_or_default();
    funcs.sort();
    funcs
}

struct Table<'a> {
    data: &'a [u8],
    big_endian: bool,
    ptr_size: usize,
    /// Go 1.18+: entries are 32-bit offsets from the text start.
    text_relative: bool,
    text_start: u64,
    nfunc: usize,
    functab: usize,
    funcdata: usize,
    funcnames: usize,
}

impl<'a> Table<'a> {
    fn parse(data: &'a [u8], text_start: u64) -> Option<Table<'a>> {
        let head = data.get(..8)?;
        let (quantum, ptr_size) = (head[6], usize::from(head[7]));
        if head[4] != 0 || head[5] != 0 || ![1, 2, 4].contains(&quantum) || ![4, 8].contains(&ptr_size) {
            return None;
        }
        let le = u32::from_le_bytes(head[..4].try_into().ok()?);
        let be = u32::from_be_bytes(head[..4].try_into().ok()?);
        let known = [GO12_MAGIC, GO116_MAGIC, GO118_MAGIC, GO120_MAGIC];
        let (magic, big_endian) = if known.contains(&le) {
            (le, false)
        } else if known.contains(&be) {
            (be, true)
        } else {
            return None;
        };
        let mut t = Table { data, big_endian, ptr_size, text_relative: false, text_start, nfunc: 0, functab: 0, funcdata: 0, funcnames: 0 };
        // The header's pointer-sized words after the first 8 bytes.
        let words: Vec<usize> = (0..8).map_while(|i| t.uint(8 + i * ptr_size, ptr_size).and_then(|v| usize::try_from(v).ok())).collect();
        let word = |i: usize| words.get(i).copied();
        t.nfunc = word(0)?;
        match magic {
            GO118_MAGIC | GO120_MAGIC => {
                t.text_relative = true;
                t.funcnames = word(3)?;
                t.funcdata = word(7)?;
                t.functab = t.funcdata;
            }
            GO116_MAGIC => {
                t.funcnames = word(2)?;
                t.funcdata = word(6)?;
                t.functab = t.funcdata;
            }
            _ => t.functab = 8 + ptr_size,
        }
        Some(t)
    }

    /// The size of a function-table field and of a function's entry field.
    fn field_size(&self) -> usize {
        if self.text_relative {
            4
        } else {
            self.ptr_size
        }
    }

    fn uint(&self, at: usize, size: usize) -> Option<u64> {
        let b = self.data.get(at..at.checked_add(size)?)?;
        let mut v = 0u64;
        for i in 0..size {
            let byte = if self.big_endian { b[i] } else { b[size - 1 - i] };
            v = v << 8 | u64::from(byte);
        }
        Some(v)
    }

    fn function(&self, i: usize) -> Option<(u64, String)> {
        let sz = self.field_size();
        let entry = self.uint(self.functab.checked_add(2 * i * sz)?, sz)?;
        let entry = if self.text_relative { self.text_start.checked_add(entry)? } else { entry };
        let funcoff = usize::try_from(self.uint(self.functab.checked_add((2 * i + 1) * sz)?, sz)?).ok()?;
        // _func: entry (pointer, or 32-bit offset since 1.18), then the 32-bit name offset.
        let nameoff = usize::try_from(self.uint(self.funcdata.checked_add(funcoff)?.checked_add(sz)?, 4)?).ok()?;
        let name = self.data.get(self.funcnames.checked_add(nameoff)?..)?;
        let name = &name[..name.iter().position(|&b| b == 0)?];
        Some((entry, String::from_utf8_lossy(name).into_owned()))
    }

    fn functions(&self) -> Vec<(u64, String)> {
        // A corrupt count cannot make us allocate: the table must hold two fields per
        // function, and we stop at the first entry that does not read.
        let fits = self.data.len() / (2 * self.field_size());
        (0..self.nfunc.min(fits)).map_while(|i| self.function(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_pclntab() {
        assert!(Table::parse(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", 0).is_none());
        assert!(Table::parse(&[0xf1, 0xff, 0xff, 0xff, 0, 0, 1], 0).is_none());
        // A 1.20 header whose counts point past the end reads as no functions.
        let mut t = vec![0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8];
        t.extend_from_slice(&[0xff; 64]);
        assert_eq!(Table::parse(&t, 0).map(|t| t.functions()), Some(Vec::new()));
    }
}
