//! Applies a unified diff (as `git diff` or `diff -ru` writes it, paths with one leading
//! directory such as `a/`) to a directory tree. Every file is patched in memory first and the
//! tree is written only when every hunk applied, so a patch that does not fit changes nothing.

use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error("the patch is malformed: {0}")]
    Malformed(String),
    #[error("the patch names {0}, which is not a relative path inside the tree")]
    BadPath(String),
    #[error("the patch does not apply to {file}: {reason} (is this the Go version the patch is for?)")]
    DoesNotApply { file: PathBuf, reason: String },
    #[error("cannot patch {file}: {source}")]
    Io { file: PathBuf, source: std::io::Error },
}

/// Applies `patch` to the tree at `root`; returns the files it changed, relative to `root`.
pub fn apply(patch: &str, root: &Path) -> Result<Vec<PathBuf>, PatchError> {
    let mut patched = Vec::new();
    for section in file_sections(patch) {
        let parsed = diffy::Patch::from_str(section).map_err(|e| PatchError::Malformed(e.to_string()))?;
        let name = parsed.modified().or(parsed.original()).ok_or_else(|| PatchError::Malformed("a file without a name".into()))?;
        let rel = strip_first_dir(name)?;
        let file = root.join(&rel);
        let creating = parsed.original().is_some_and(|o| o == "/dev/null");
        let old = if creating {
            String::new()
        } else {
            std::fs::read_to_string(&file).map_err(|source| PatchError::Io { file: rel.clone(), source })?
        };
        let new = diffy::apply(&old, &parsed).map_err(|e| PatchError::DoesNotApply { file: rel.clone(), reason: e.to_string() })?;
        patched.push((rel, file, new));
    }
    if patched.is_empty() {
        return Err(PatchError::Malformed("it changes no file".into()));
    }
    for (rel, file, new) in &patched {
        std::fs::write(file, new).map_err(|source| PatchError::Io { file: rel.clone(), source })?;
    }
    Ok(patched.into_iter().map(|(rel, _, _)| rel).collect())
}

/// The patch cut into one piece per file, each starting at its `--- ` line (what comes before,
/// such as `diff --git` lines and prose, is dropped).
fn file_sections(patch: &str) -> Vec<&str> {
    let mut starts: Vec<usize> = Vec::new();
    let mut offset = 0;
    let mut lines = patch.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("--- ") && lines.peek().is_some_and(|next| next.starts_with("+++ ")) {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts.iter().enumerate().map(|(i, &s)| &patch[s..starts.get(i + 1).copied().unwrap_or(patch.len())]).collect()
}

/// `a/src/runtime/chan.go` → `src/runtime/chan.go`, refusing paths that leave the tree.
fn strip_first_dir(name: &str) -> Result<PathBuf, PatchError> {
    let name = name.split('\t').next().unwrap_or(name);
    let bad = || PatchError::BadPath(name.to_string());
    let mut components = Path::new(name).components();
    // The first component is the `a/` or `b/` of a diff; an absolute path has none.
    if !matches!(components.next(), Some(Component::Normal(_))) {
        return Err(bad());
    }
    let rel: PathBuf = components.as_path().to_path_buf();
    if rel.as_os_str().is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(bad());
    }
    Ok(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "diff --git a/x/one.txt b/x/one.txt\n--- a/x/one.txt\n+++ b/x/one.txt\n@@ -1,2 +1,2 @@\n a\n-b\n+B\ndiff --git a/two.txt b/two.txt\n--- a/two.txt\n+++ b/two.txt\n@@ -1 +1,2 @@\n c\n+d\n";

    #[test]
    fn every_file_of_the_patch_is_patched() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("x")).unwrap();
        std::fs::write(dir.path().join("x/one.txt"), "a\nb\n").unwrap();
        std::fs::write(dir.path().join("two.txt"), "c\n").unwrap();
        let changed = apply(PATCH, dir.path()).unwrap();
        assert_eq!(changed, [PathBuf::from("x/one.txt"), PathBuf::from("two.txt")]);
        assert_eq!(std::fs::read_to_string(dir.path().join("x/one.txt")).unwrap(), "a\nB\n");
        assert_eq!(std::fs::read_to_string(dir.path().join("two.txt")).unwrap(), "c\nd\n");
    }

    #[test]
    fn a_hunk_that_does_not_apply_changes_nothing_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("x")).unwrap();
        std::fs::write(dir.path().join("x/one.txt"), "a\nb\n").unwrap();
        std::fs::write(dir.path().join("two.txt"), "other\n").unwrap();
        let err = apply(PATCH, dir.path()).unwrap_err().to_string();
        assert!(err.starts_with("the patch does not apply to two.txt"), "{err}");
        assert_eq!(std::fs::read_to_string(dir.path().join("x/one.txt")).unwrap(), "a\nb\n");
    }

    #[test]
    fn paths_that_leave_the_tree_are_refused() {
        assert!(strip_first_dir("a/../../etc/passwd").is_err());
        assert!(strip_first_dir("/etc").is_err());
        assert_eq!(strip_first_dir("b/src/runtime/chan.go\t2016-07-18").unwrap(), PathBuf::from("src/runtime/chan.go"));
    }
}
