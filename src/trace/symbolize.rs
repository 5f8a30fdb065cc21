//! Resolves the bare PCs of Go 1.5/1.6 traces against the traced program's binary.
//!
//! The `object` crate reads ELF, Mach-O and PE files; DWARF sections are decompressed
//! (ELF `SHF_COMPRESSED` and `.zdebug_*`, Mach-O `__zdebug_*`, and the `.zdebug_*` sections
//! Go's linker writes into PE files, which `object` leaves compressed) and handed to
//! `addr2line`. Function, file and line come from DWARF, innermost inlined function first,
//! which is how Go's tracer names a frame. A binary linked with `-w` (or `-s -w`) has no
//! DWARF: then Go's own function table, `.gopclntab` (see [`pclntab`]), or failing that the
//! symbol table, still names the function (the one the code was inlined into).
//!
//! PC convention: old traces record return addresses (the instruction after the call), and
//! the gotrace reader stores a created goroutine's start PC plus one, as Go's parser does.
//! So `resolve(pc)` looks up `pc - 1`, which lies in the call instruction. Go 1.7+ traces
//! store `return address - 1` themselves; `resolve(pc + 1)` of such a PC gives what the trace
//! recorded for it.

mod pclntab;

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use object::{Object, ObjectSection, ObjectSymbol};

#[derive(Debug, thiserror::Error)]
pub enum SymbolizeError {
    #[error("cannot read binary {path}: {detail}")]
    Unreadable { path: PathBuf, detail: String },
}

type Dwarf = gimli::EndianRcSlice<gimli::RunTimeEndian>;

pub struct Resolver {
    dwarf: addr2line::Context<Dwarf>,
    /// Functions (from pclntab, or the symbol table) by start address.
    symbols: Vec<(u64, String)>,
}

impl Resolver {
    pub fn open(path: &Path) -> Result<Resolver, SymbolizeError> {
        let fail = |detail: String| SymbolizeError::Unreadable { path: path.into(), detail };
        let data = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
        let file = object::File::parse(&*data).map_err(|e| fail(e.to_string()))?;
        let endian = if file.is_little_endian() { gimli::RunTimeEndian::Little } else { gimli::RunTimeEndian::Big };
        let sections = gimli::Dwarf::load(|id| -> Result<Dwarf, String> {
            let bytes = dwarf_section(&file, id.name())?;
            Ok(gimli::EndianRcSlice::new(Rc::from(bytes.into_owned().into_boxed_slice()), endian))
        })
        .map_err(fail)?;
        let dwarf = addr2line::Context::from_dwarf(sections).map_err(|e| fail(format!("DWARF: {e}")))?;
        // Go's own function table names functions as the runtime (and so the tracer) does;
        // the ELF/Mach-O/PE symbol table is the fallback for a table we cannot read.
        let mut symbols = pclntab::functions(&file);
        if symbols.is_empty() {
            symbols = file
                .symbols()
                .filter(|s| s.kind() == object::SymbolKind::Text && s.address() != 0)
                .filter_map(|s| Some((s.address(), s.name().ok()?.to_string())))
                .collect();
            symbols.sort();
        }
        Ok(Resolver { dwarf, symbols })
    }

    /// Function, file and line of the call before return address `pc`.
    pub fn resolve(&self, pc: u64) -> Option<(String, String, u32)> {
        let probe = pc.checked_sub(1)?;
        let (mut func, mut file, mut line) = (None, String::new(), 0);
        let mut frames = self.dwarf.find_frames(probe).skip_all_loads().ok()?;
        if let Ok(Some(frame)) = frames.next() {
            func = frame.function.as_ref().and_then(|f| f.raw_name().ok()).map(|n| n.into_owned());
            if let Some(loc) = frame.location {
                file = loc.file.unwrap_or_default().to_string();
                line = loc.line.unwrap_or(0);
            }
        }
        let func = func.or_else(|| self.symbol(probe))?;
        Some((func, file, line))
    }

    /// The function symbol containing `addr`: the last one starting at or before it.
    fn symbol(&self, addr: u64) -> Option<String> {
        let i = self.symbols.partition_point(|&(start, _)| start <= addr);
        i.checked_sub(1).map(|i| self.symbols[i].1.clone())
    }
}

/// The uncompressed bytes of DWARF section `name` (".debug_info"), empty when absent.
fn dwarf_section<'a>(file: &object::File<'a>, name: &str) -> Result<Cow<'a, [u8]>, String> {
    if let Some(section) = file.section_by_name(name) {
        let data = section.uncompressed_data().map_err(|e| format!("section {name}: {e}"))?;
        // PE files get no `.zdebug` handling from `object`.
        return Ok(match section.name() {
            Ok(n) if n.starts_with(".zdebug_") => Cow::Owned(unzdebug(&data).map_err(|e| format!("section {n}: {e}"))?),
            _ => data,
        });
    }
    let zname = name.replacen(".debug_", ".zdebug_", 1);
    match file.section_by_name(&zname) {
        Some(section) => {
            let data = section.data().map_err(|e| format!("section {zname}: {e}"))?;
            Ok(Cow::Owned(unzdebug(data).map_err(|e| format!("section {zname}: {e}"))?))
        }
        None => Ok(Cow::Borrowed(&[])),
    }
}

/// GNU-style compressed section: "ZLIB", the uncompressed size (8 bytes big-endian), zlib.
fn unzdebug(data: &[u8]) -> Result<Vec<u8>, String> {
    let Some(rest) = data.strip_prefix(b"ZLIB") else { return Ok(data.to_vec()) };
    let (size, stream) = rest.split_at_checked(8).ok_or("a zdebug header of 12 bytes")?;
    let size = u64::from_be_bytes(size.try_into().map_err(|_| "an 8-byte size")?);
    let mut out = Vec::with_capacity(size.min(data.len() as u64 * 64) as usize);
    flate2::read::ZlibDecoder::new(stream).take(size).read_to_end(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    //! Checks the resolver against Go itself: a Go 1.19 trace records func/file/line for
    //! every PC of its stacks, so resolving those PCs through the binary must agree.

    use std::path::Path;
    use std::process::Command;

    use super::*;
    use crate::trace::{InternedFrame, Reader};

    const GO: &str = "/usr/lib/go-1.19/bin/go";

    const PROGRAM: &str = r#"package main

import (
	"os"
	"runtime/trace"
	"sync"
)

func worker(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for v := range ch {
		_ = v
	}
}

func main() {
	f, _ := os.Create(os.Args[1])
	trace.Start(f)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		ch := make(chan int)
		wg.Add(1)
		go worker(ch, &wg)
		for j := 0; j < 100; j++ {
			ch <- j
		}
		close(ch)
	}
	wg.Wait()
	trace.Stop()
	f.Close()
}
"#;

    /// Builds the program with `ldflags`, runs it, and returns (binary, trace bytes).
    fn build_and_trace(dir: &Path, ldflags: &str) -> (PathBuf, Vec<u8>) {
        let bin = go_build(GO, dir, ldflags);
        let out = dir.join("trace.out");
        assert!(Command::new(&bin).arg(&out).status().unwrap().success());
        (bin, std::fs::read(out).unwrap())
    }

    /// Every frame of the trace's stacks that is the innermost at its PC (outer frames of
    /// inlined calls share the PC), with the frame that inlines it, if any.
    fn innermost_frames(data: &[u8]) -> (Reader<'_>, Vec<(InternedFrame, bool)>) {
        let reader = Reader::new(data).unwrap();
        let t = reader.tables();
        let mut out = Vec::new();
        for id in 1..t.stack_count() {
            let stack = t.stack(crate::trace::StackId(id as u32));
            for (i, f) in stack.iter().enumerate() {
                if i > 0 && stack[i - 1].pc == f.pc {
                    continue;
                }
                let inlined = stack.get(i + 1).is_some_and(|outer| outer.pc == f.pc);
                out.push((*f, inlined));
            }
        }
        (reader, out)
    }

    #[test]
    fn dwarf_agrees_with_what_go_1_19_recorded() {
        if !Path::new(GO).exists() {
            eprintln!("skipped: {GO} not installed");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let (bin, data) = build_and_trace(dir.path(), "");
        let resolver = Resolver::open(&bin).unwrap();
        let (reader, frames) = innermost_frames(&data);
        let t = reader.tables();
        assert!(frames.len() > 10, "{} frames", frames.len());
        for (f, _) in &frames {
            let want = (t.str(f.func).to_string(), t.str(f.file).to_string(), f.line);
            assert_eq!(resolver.resolve(f.pc + 1), Some(want), "pc {:#x}", f.pc);
        }
        assert!(frames.iter().any(|(f, _)| t.str(f.func) == "main.worker"));
    }

    /// The function that physically contains `pc - 1`: the outermost DWARF frame.
    fn containing_function(r: &Resolver, pc: u64) -> Option<String> {
        let mut frames = r.dwarf.find_frames(pc - 1).skip_all_loads().ok()?;
        let mut last = None;
        while let Ok(Some(f)) = frames.next() {
            last = f.function.and_then(|f| f.raw_name().ok().map(|n| n.into_owned()));
        }
        last
    }

    #[test]
    fn without_dwarf_functions_are_still_named() {
        if !Path::new(GO).exists() {
            eprintln!("skipped: {GO} not installed");
            return;
        }
        let full_dir = tempfile::tempdir().unwrap();
        let (full_bin, data) = build_and_trace(full_dir.path(), "");
        let stripped_dir = tempfile::tempdir().unwrap();
        let (stripped_bin, _) = build_and_trace(stripped_dir.path(), "-w");
        let full = Resolver::open(&full_bin).unwrap();
        let stripped = Resolver::open(&stripped_bin).unwrap();
        let (reader, frames) = innermost_frames(&data);
        let t = reader.tables();
        // -w drops DWARF but leaves the code where it was, so pclntab must name the function
        // that holds each PC (for inlined code, the one it was inlined into).
        for (f, inlined) in &frames {
            let got = stripped.resolve(f.pc + 1);
            assert_eq!(got.as_ref().map(|r| r.0.clone()), containing_function(&full, f.pc + 1), "pc {:#x}", f.pc);
            if !inlined && t.str(f.func).starts_with("main.") {
                assert_eq!(got.map(|r| r.0).as_deref(), Some(t.str(f.func)));
            }
        }
    }

    /// Cross-compiles the program for `goos` and returns the binary and main.worker's entry
    /// address as `go tool nm` prints it.
    fn cross_build(dir: &Path, goos: &str) -> (PathBuf, u64) {
        std::fs::write(dir.join("go.mod"), "module x\n\ngo 1.19\n").unwrap();
        std::fs::write(dir.join("main.go"), PROGRAM).unwrap();
        let bin = dir.join("prog");
        let go = |args: &[&str]| {
            Command::new(GO)
                .args(args)
                .current_dir(dir)
                .env("GOOS", goos)
                .env("GOARCH", "amd64")
                .env("CGO_ENABLED", "0")
                .env("GOTOOLCHAIN", "local")
                .env("GOPROXY", "off")
                .env("GOCACHE", std::env::temp_dir().join("gotrace-symbolize-gocache"))
                .output()
                .unwrap()
        };
        assert!(go(&["build", "-o", bin.to_str().unwrap(), "."]).status.success());
        let nm = String::from_utf8(go(&["tool", "nm", bin.to_str().unwrap()]).stdout).unwrap();
        let line = nm.lines().find(|l| l.ends_with(" T main.worker")).unwrap();
        let addr = u64::from_str_radix(line.split_whitespace().next().unwrap(), 16).unwrap();
        (bin, addr)
    }

    #[test]
    fn reads_mach_o_and_pe_binaries() {
        if !Path::new(GO).exists() {
            eprintln!("skipped: {GO} not installed");
            return;
        }
        for goos in ["darwin", "windows", "linux"] {
            let dir = tempfile::tempdir().unwrap();
            let (bin, entry) = cross_build(dir.path(), goos);
            let resolver = Resolver::open(&bin).unwrap();
            // A start PC as the reader stores it: entry + 1.
            let (func, file, line) = resolver.resolve(entry + 1).unwrap_or_else(|| panic!("{goos}: nothing at {entry:#x}"));
            assert_eq!((func.as_str(), line), ("main.worker", 9), "{goos}");
            assert!(file.ends_with("main.go"), "{goos}: {file}");
        }
    }

    fn go_build(go: &str, dir: &Path, ldflags: &str) -> PathBuf {
        std::fs::write(dir.join("go.mod"), "module x\n\ngo 1.19\n").unwrap();
        std::fs::write(dir.join("main.go"), PROGRAM).unwrap();
        let bin = dir.join("prog");
        let status = Command::new(go)
            .args(["build", "-ldflags", ldflags, "-o"])
            .arg(&bin)
            .arg(".")
            .current_dir(dir)
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOCACHE", std::env::temp_dir().join("gotrace-symbolize-gocache"))
            .status()
            .unwrap();
        assert!(status.success());
        bin
    }

    /// The binary's own (ELF) symbol table, read independently of the resolver.
    fn symbol_table(bin: &Path) -> Vec<(u64, String)> {
        let data = std::fs::read(bin).unwrap();
        let file = object::File::parse(&*data).unwrap();
        file.symbols()
            .filter(|s| s.kind() == object::SymbolKind::Text && s.address() != 0)
            .map(|s| (s.address(), s.name().unwrap().to_string()))
            .collect()
    }

    #[test]
    fn without_any_symbols_pclntab_names_functions() {
        // Go 1.19 writes the 1.18 layout, Go 1.21 the 1.20 layout.
        for go in [GO, "/opt/gotrace-go/1.21.13/go/bin/go"] {
            if !Path::new(go).exists() {
                eprintln!("skipped: {go} not installed");
                continue;
            }
            let full_dir = tempfile::tempdir().unwrap();
            let full = symbol_table(&go_build(go, full_dir.path(), ""));
            let bare_dir = tempfile::tempdir().unwrap();
            let bare = Resolver::open(&go_build(go, bare_dir.path(), "-s -w")).unwrap();
            assert!(!bare.symbols.is_empty(), "{go}: no functions from pclntab");
            // -s -w leave the code where it was: every function the symbol table of the
            // full build names must be found at the same address. Names differ in form only:
            // the symbol table marks assembly functions ".abi0" and spells out array types
            // that pclntab abbreviates ("[...]"); runtime.text marks the start of the code.
            let comparable: Vec<_> = full.iter().filter(|(_, n)| !n.contains('[') && n != "runtime.text").collect();
            let found = comparable
                .iter()
                .filter(|(addr, name)| bare.resolve(addr + 1).is_some_and(|r| r.0 == name.trim_end_matches(".abi0")))
                .count();
            assert!(found * 100 >= comparable.len() * 99, "{go}: {found} of {}", comparable.len());
            assert!(comparable.len() > 1000, "{go}: a Go binary has over a thousand functions");
            for (addr, name) in full.iter().filter(|(_, n)| n.starts_with("main.")) {
                assert_eq!(bare.resolve(addr + 1).map(|r| r.0).as_deref(), Some(name.as_str()), "{go}");
            }
        }
    }

    #[test]
    fn unreadable_binaries_are_one_line_errors() {
        let err = Resolver::open(Path::new("/nonexistent/prog")).err().unwrap();
        assert!(err.to_string().starts_with("cannot read binary /nonexistent/prog"));
        assert!(!err.to_string().contains('\n'));
    }
}
