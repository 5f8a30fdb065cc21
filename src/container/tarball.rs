//! Tar archives made and read in memory: what goes into a container (the build context, the
//! user's sources, a binary) and what comes out of one (a binary, a trace).

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context};

/// Files for a container, owned by its unprivileged user so that it may read and write them.
pub struct Tree {
    builder: tar::Builder<Vec<u8>>,
    owner: u64,
}

impl Tree {
    pub fn new(owner: u64) -> Tree {
        let mut builder = tar::Builder::new(Vec::new());
        builder.mode(tar::HeaderMode::Deterministic);
        Tree { builder, owner }
    }

    /// Adds `data` at `path` (absolute in the container, or relative to its root).
    pub fn file(&mut self, path: &Path, data: &[u8], mode: u32) -> anyhow::Result<()> {
        let mut header = self.header(tar::EntryType::Regular, mode, data.len() as u64);
        self.builder.append_data(&mut header, relative(path), data).with_context(|| format!("cannot pack {}", path.display()))
    }

    pub fn dir(&mut self, path: &Path) -> anyhow::Result<()> {
        let mut header = self.header(tar::EntryType::Directory, 0o755, 0);
        self.builder.append_data(&mut header, relative(path), std::io::empty()).with_context(|| format!("cannot pack {}", path.display()))
    }

    fn header(&self, kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(size);
        header.set_uid(self.owner);
        header.set_gid(self.owner);
        header
    }

    pub fn finish(self) -> anyhow::Result<Vec<u8>> {
        self.builder.into_inner().context("cannot finish a tar archive")
    }
}

fn relative(path: &Path) -> &Path {
    path.strip_prefix("/").unwrap_or(path)
}

/// A gzipped tar of `files` (relative paths), the form of a Docker build context.
pub fn gzipped(files: &[(&str, &[u8])]) -> anyhow::Result<Vec<u8>> {
    let mut tree = Tree::new(0);
    for (path, data) in files {
        let mode = if path.ends_with(".sh") { 0o755 } else { 0o644 };
        tree.file(Path::new(path), data, mode)?;
    }
    let tar = tree.finish()?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).context("cannot compress the build context")?;
    gz.finish().context("cannot compress the build context")
}

/// The contents of the one file in `tar` (what the engine sends for a file's path).
pub fn only_file(tar: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries().context("cannot read the archive from the container")? {
        let mut entry = entry.context("cannot read the archive from the container")?;
        if entry.header().entry_type().is_file() {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).context("cannot read the archive from the container")?;
            return Ok(data);
        }
    }
    bail!("the container sent no file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_packed_for_a_container_comes_back_whole() {
        let mut tree = Tree::new(65534);
        tree.dir(Path::new("/tmp/out")).unwrap();
        tree.file(Path::new("/tmp/out/binary"), b"\x7fELF", 0o755).unwrap();
        let tar = tree.finish().unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let paths: Vec<_> = archive.entries().unwrap().map(|e| e.unwrap().path().unwrap().display().to_string()).collect();
        assert_eq!(paths, ["tmp/out", "tmp/out/binary"]);
        assert_eq!(only_file(&tar).unwrap(), b"\x7fELF");
    }

    #[test]
    fn a_build_context_is_gzipped_tar() {
        let gz = gzipped(&[("docker/Dockerfile", b"FROM x\n")]).unwrap();
        assert_eq!(&gz[..2], [0x1f, 0x8b]);
    }
}
