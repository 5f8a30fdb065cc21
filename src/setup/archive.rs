//! Extraction of `.tar.gz` archives that refuses, rather than skips, any entry that would land
//! outside the target: absolute paths, `..`, and symbolic or hard links pointing outside.
//! A downloaded archive is checked against a pinned sum first, but a mirror or a `--source`
//! file is only as trustworthy as its sum, so extraction does not rely on it.

use std::fs::File;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot read the archive {archive}: {source}")]
    Read { archive: PathBuf, source: std::io::Error },
    #[error("refusing the archive {archive}: its entry {entry} {why}")]
    Escapes { archive: PathBuf, entry: String, why: &'static str },
}

/// Extracts the gzip-compressed tar `archive` into the directory `dest`.
pub fn extract(archive: &Path, dest: &Path) -> Result<(), ArchiveError> {
    let read = |source| ArchiveError::Read { archive: archive.to_path_buf(), source };
    let file = File::open(archive).map_err(read)?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    tar.set_preserve_permissions(true);
    for entry in tar.entries().map_err(read)? {
        let mut entry = entry.map_err(read)?;
        let path = entry.path().map_err(read)?.into_owned();
        let escapes = |why| ArchiveError::Escapes { archive: archive.to_path_buf(), entry: path.display().to_string(), why };
        if !stays_inside(Path::new(""), &path) {
            return Err(escapes("is an absolute path or goes up with `..`"));
        }
        if let Some(target) = entry.link_name().map_err(read)? {
            // A symbolic link resolves from its own directory, a hard link from the archive root.
            let base = if entry.header().entry_type().is_symlink() { path.parent().unwrap_or(Path::new("")) } else { Path::new("") };
            if !stays_inside(base, &target) {
                return Err(escapes("is a link pointing outside the archive"));
            }
        }
        // unpack_in also refuses to write through a link made by an earlier entry that leads
        // out (a chain of links each harmless on its own).
        if !entry.unpack_in(dest).map_err(read)? {
            return Err(escapes("would be written outside the target"));
        }
    }
    Ok(())
}

/// Whether `path`, relative and taken from `base` (itself relative), stays at or below the
/// archive root without leaving it on the way.
fn stays_inside(base: &Path, path: &Path) -> bool {
    let mut depth = base.components().filter(|c| matches!(c, Component::Normal(_))).count();
    for component in path.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => depth -= 1,
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_that_stay_below_the_root_are_inside() {
        assert!(stays_inside(Path::new(""), Path::new("go/src/make.bash")));
        assert!(stays_inside(Path::new("go/bin"), Path::new("../pkg/tool")));
        assert!(stays_inside(Path::new("go"), Path::new("./..")));
        assert!(!stays_inside(Path::new("go"), Path::new("../..")));
        assert!(!stays_inside(Path::new(""), Path::new("/etc/passwd")));
        assert!(!stays_inside(Path::new(""), Path::new("../x")));
        assert!(!stays_inside(Path::new(""), Path::new("a/../../x")));
    }
}
