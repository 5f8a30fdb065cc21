//! A trace file's bytes, mapped into memory when the file can be, so that a reader can give
//! back the pages of what it has read: a 500 MB trace then costs about one generation of
//! memory, not the whole file.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;

use memmap2::Mmap;

/// The bytes of one trace, for [`Reader::from_file`](super::Reader::from_file).
pub struct TraceFile {
    bytes: Bytes,
}

enum Bytes {
    Mapped(Mmap),
    Read(Vec<u8>),
}

impl TraceFile {
    /// Maps `path` read-only when it is a regular file that is not empty; reads it into
    /// memory otherwise (a pipe, `/dev/stdin`, an empty file: none can be mapped).
    pub fn open(path: &Path) -> io::Result<TraceFile> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_file() && meta.len() > 0 {
            // SAFETY: the map is undefined behaviour if another process changes the file
            // while it is mapped. Traces are written once, by a program that has stopped
            // tracing, before anyone reads them; like other tools that map their input
            // (ripgrep), gotrace accepts that a file cut short while it is being read may
            // crash it (SIGBUS) rather than give an error.
            if let Ok(map) = unsafe { Mmap::map(&file) } {
                return Ok(TraceFile { bytes: Bytes::Mapped(map) });
            }
        }
        let mut data = Vec::new();
        (&file).read_to_end(&mut data)?;
        Ok(TraceFile::from_vec(data))
    }

    pub fn from_vec(data: Vec<u8>) -> TraceFile {
        TraceFile { bytes: Bytes::Read(data) }
    }

    pub fn bytes(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Mapped(map) => map,
            Bytes::Read(data) => data,
        }
    }

    /// Says that the bytes in `range` will not be read again (soon): a mapped file's whole
    /// pages in it stop counting against this process's memory. Reading them later still
    /// gives the same bytes, only slower. Bytes read into memory are kept as they are.
    pub fn release(&self, range: Range<usize>) {
        if let Bytes::Mapped(map) = &self.bytes {
            dont_need(map, range);
        }
    }
}

#[cfg(unix)]
fn dont_need(map: &Mmap, range: Range<usize>) {
    let page = page_size();
    // Only pages entirely inside the range: the bytes around it may still be wanted.
    let start = range.start.next_multiple_of(page);
    let end = range.end.min(map.len()) / page * page;
    if start >= end {
        return;
    }
    // SAFETY: MADV_DONTNEED drops the pages from this process; the next access faults them
    // in again from the file. That gives back the same bytes because the map is of a file,
    // read-only, so no page of it was ever written (on anonymous or written private memory,
    // DONTNEED would zero the pages: it must never be used on the `Read` bytes). Slices of
    // the map that are alive meanwhile see no change.
    // Advice only: if the kernel refuses it, the pages stay resident and nothing else changes.
    let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start) };
}

/// Elsewhere the system decides alone which pages stay in memory.
#[cfg(not(unix))]
fn dont_need(_: &Mmap, _: Range<usize>) {}

#[cfg(unix)]
fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).ok().filter(|&s| s > 0).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that are not zeros, so that pages wrongly zeroed would show.
    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8 + 1).collect()
    }

    #[test]
    fn a_regular_file_is_mapped_and_reads_the_same_after_release() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        let data = sample(5 * 4096 + 123);
        std::fs::write(&path, &data).unwrap();
        let file = TraceFile::open(&path).unwrap();
        assert!(matches!(file.bytes, Bytes::Mapped(_)));
        assert_eq!(file.bytes(), &data[..]);
        file.release(100..4 * 4096 + 7);
        file.release(0..data.len());
        assert_eq!(file.bytes(), &data[..], "released pages read again from the file");
    }

    #[test]
    fn bytes_read_into_memory_are_kept_on_release() {
        let data = sample(3 * 4096);
        let file = TraceFile::from_vec(data.clone());
        file.release(0..data.len());
        assert_eq!(file.bytes(), &data[..]);
    }

    #[test]
    fn an_empty_file_is_read_not_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty");
        std::fs::write(&path, b"").unwrap();
        let file = TraceFile::open(&path).unwrap();
        assert!(matches!(file.bytes, Bytes::Read(_)));
        assert!(file.bytes().is_empty());
        file.release(0..0);
    }

    #[cfg(unix)]
    #[test]
    fn a_pipe_is_read_to_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "{}", io::Error::last_os_error());
        let data = sample(200_000);
        let writer = {
            let (path, data) = (path.clone(), data.clone());
            std::thread::spawn(move || std::fs::write(path, data).unwrap())
        };
        let file = TraceFile::open(&path).unwrap();
        writer.join().unwrap();
        assert!(matches!(file.bytes, Bytes::Read(_)));
        assert_eq!(file.bytes(), &data[..]);
    }

    #[test]
    fn a_missing_file_is_the_system_error() {
        let err = TraceFile::open(Path::new("/nonexistent/trace")).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
