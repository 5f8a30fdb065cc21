//! Which Go toolchain builds the user's program: `--go PATH`, then `GOTRACE_GO`, then `go` on
//! PATH. gotrace never downloads or patches a toolchain here; it uses the one the user has.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable naming the `go` binary to use when `--go` is not given.
pub const GO_ENV: &str = "GOTRACE_GO";

/// Why no usable `go` command was found, each said with what to change.
#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    #[error("no Go toolchain found: install Go (https://go.dev/dl) or pass --go PATH")]
    NotFound,
    #[error("{name} not found on PATH (named by {by})")]
    NotOnPath { name: PathBuf, by: &'static str },
    #[error("{path} is not an executable Go command (named by {by})")]
    NotExecutable { path: PathBuf, by: &'static str },
    #[error("{path} is too old for gotrace: it does not report GOVERSION (Go 1.16 or newer needed; choose another with --go)")]
    TooOld { path: PathBuf },
    #[error("cannot run {path}")]
    CannotRun { path: PathBuf, source: std::io::Error },
    #[error("`{path} env {keys}` failed: {stderr}")]
    EnvFailed { path: PathBuf, keys: String, stderr: String },
    #[error("`{path} env {keys}` answered {lines} lines")]
    EnvAnswer { path: PathBuf, keys: String, lines: usize },
}

/// A usable `go` command and what it reports about itself.
#[derive(Debug, Clone)]
pub struct Go {
    /// The `go` binary.
    pub path: PathBuf,
    /// `go env GOVERSION`, e.g. "go1.21.13".
    pub version: String,
    /// `go env GOROOT`.
    pub goroot: PathBuf,
}

impl Go {
    /// Finds the toolchain (`explicit` is `--go`) and asks it for its version and GOROOT.
    pub fn find(explicit: Option<&Path>) -> Result<Go, ToolchainError> {
        let env = std::env::var_os(GO_ENV).filter(|v| !v.is_empty());
        let path = locate(explicit, env.as_deref(), std::env::var_os("PATH").as_deref())?;
        let values = env_values(&path, &["GOVERSION", "GOROOT"])?;
        let [version, goroot] = <[String; 2]>::try_from(values).map_err(|v| ToolchainError::EnvAnswer {
            path: path.clone(),
            keys: "GOVERSION GOROOT".into(),
            lines: v.len(),
        })?;
        if version.is_empty() {
            return Err(ToolchainError::TooOld { path });
        }
        Ok(Go { path, version, goroot: PathBuf::from(goroot) })
    }

    /// A `go` command with the caller's environment.
    pub fn command(&self) -> Command {
        Command::new(&self.path)
    }

    /// The minor version, 21 for "go1.21.13"; `None` for development builds (taken as new).
    pub fn minor(&self) -> Option<u32> {
        self.version.strip_prefix("go1.")?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    }

    /// The line gotrace prints before building: "using go1.21.13 at /usr/local/go/bin/go".
    pub fn describe(&self) -> String {
        format!("using {} at {}", self.version, self.path.display())
    }
}

/// Picks the `go` binary: an explicit path must exist; otherwise the first `go` on `path_var`.
fn locate(explicit: Option<&Path>, env: Option<&OsStr>, path_var: Option<&OsStr>) -> Result<PathBuf, ToolchainError> {
    let chosen = explicit.map(|go| (go.to_path_buf(), "--go")).or_else(|| env.map(|go| (PathBuf::from(go), GO_ENV)));
    if let Some((go, by)) = chosen {
        // A bare name such as `go1.22` is looked up on PATH like a shell would.
        if go.components().count() == 1 && !go.exists() {
            return search_path(go.as_os_str(), path_var).ok_or(ToolchainError::NotOnPath { name: go, by });
        }
        if !is_executable(&go) {
            return Err(ToolchainError::NotExecutable { path: go, by });
        }
        return Ok(go);
    }
    search_path(OsStr::new(executable_name()), path_var).ok_or(ToolchainError::NotFound)
}

fn executable_name() -> &'static str {
    if cfg!(windows) {
        "go.exe"
    } else {
        "go"
    }
}

fn search_path(name: &OsStr, path_var: Option<&OsStr>) -> Option<PathBuf> {
    let dirs = path_var.map(std::env::split_paths).into_iter().flatten();
    for dir in dirs {
        let candidate = dir.join(name);
        if is_executable(&candidate) {
            return Some(candidate);
        }
    }
    None
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// `go env KEY...`: one value per line, in the order asked.
fn env_values(go: &Path, keys: &[&str]) -> Result<Vec<String>, ToolchainError> {
    let mut cmd = Command::new(go);
    cmd.arg("env").args(keys);
    let out = cmd.output().map_err(|source| ToolchainError::CannotRun { path: go.to_path_buf(), source })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        return Err(ToolchainError::EnvFailed { path: go.to_path_buf(), keys: keys.join(" "), stderr });
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let values: Vec<String> = text.lines().map(str::to_owned).collect();
    if values.len() != keys.len() {
        return Err(ToolchainError::EnvAnswer { path: go.to_path_buf(), keys: keys.join(" "), lines: values.len() });
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_versions() {
        let go = |v: &str| Go { path: PathBuf::new(), version: v.to_owned(), goroot: PathBuf::new() };
        assert_eq!(go("go1.21.13").minor(), Some(21));
        assert_eq!(go("go1.27rc1").minor(), Some(27));
        assert_eq!(go("devel go1.28-abc").minor(), None);
    }

    #[test]
    fn no_go_anywhere_says_how_to_get_one() {
        let empty = tempfile::tempdir().unwrap();
        let err = locate(None, None, Some(empty.path().as_os_str())).unwrap_err();
        assert!(matches!(err, ToolchainError::NotFound), "{err:?}");
        assert_eq!(format!("{err:#}"), "no Go toolchain found: install Go (https://go.dev/dl) or pass --go PATH");
    }

    #[test]
    fn explicit_path_must_be_executable() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("go");
        std::fs::write(&fake, "not a program").unwrap();
        let err = locate(Some(&fake), None, None).unwrap_err();
        assert!(err.to_string().contains("is not an executable Go command"), "{err}");
        assert!(err.to_string().ends_with("(named by --go)"), "{err}");
        let err = locate(None, Some(OsStr::new("go-nowhere")), Some(dir.path().as_os_str())).unwrap_err();
        assert_eq!(err.to_string(), "go-nowhere not found on PATH (named by GOTRACE_GO)");
    }
}
