//! What the user chose to build with: `--go` (or its default) and `--runtime`. Finding that Go
//! is `crate::setup`'s, since a patched copy lives in its store.

use std::path::PathBuf;

/// The original's Go version, set up by downloading and bootstrapping it.
pub const LEGACY_GO: &str = "1.6.3";

/// Whether `--go` names the original's Go 1.6.3 rather than a `go` command.
pub fn is_legacy(go: Option<&str>) -> bool {
    go.is_some_and(|g| g.strip_prefix("go").unwrap_or(g) == LEGACY_GO)
}

/// Which runtime builds the program (`--runtime` of `run`, `build` and `test`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Runtime {
    /// The patched copy of the chosen Go when `setup-runtime` made one, else that Go.
    #[default]
    Auto,
    /// The chosen Go as it is.
    Stock,
    /// The patched copy of the chosen Go; an error when there is none.
    Patched,
    /// The original's Go 1.6.3 that `setup-runtime --go 1.6.3` made (`--runtime go1.6.3`); an
    /// error when there is none.
    Legacy,
}

/// The Go that builds a program: `--go` (or its default) and `--runtime`.
#[derive(Debug, Clone, Default)]
pub struct GoChoice {
    pub go: Option<PathBuf>,
    pub runtime: Runtime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_go_is_named_with_or_without_its_prefix() {
        assert!(is_legacy(Some("1.6.3")));
        assert!(is_legacy(Some("go1.6.3")));
        assert!(!is_legacy(Some("/usr/local/go/bin/go")));
        assert!(!is_legacy(Some("1.27.3")));
        assert!(!is_legacy(None));
    }
}
