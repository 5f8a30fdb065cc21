//! Which Go toolchain builds the user's program: `--go PATH`, then `GOTRACE_GO`, then `go` on
//! PATH. gotrace never downloads or patches a toolchain here; it uses the one the user has.

use std::ffi::OsStr;
pub mod choice;

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
    /// A GOROOT gotrace made (a patched copy): its `go` runs with that GOROOT whatever the
    /// environment says, and is never handed over to another toolchain (`GOTOOLCHAIN`),
    /// either of which would drop the patch.
    pinned: bool,
}

impl Go {
    /// Finds the toolchain (`explicit` is `--go`) and asks it for its version and GOROOT.
    pub fn find(explicit: Option<&Path>) -> Result<Go, ToolchainError> {
        let env = std::env::var_os(GO_ENV).filter(|v| !v.is_empty());
        let path = locate(explicit, env.as_deref(), std::env::var_os("PATH").as_deref())?;
        Go::ask(Go { path, version: String::new(), goroot: PathBuf::new(), pinned: false })
    }

    /// The `go` of a GOROOT that gotrace made, pinned to it.
    pub fn at_root(goroot: &Path) -> Result<Go, ToolchainError> {
        let path = goroot.join("bin").join(executable_name());
        Go::ask(Go { path, version: String::new(), goroot: goroot.to_path_buf(), pinned: true })
    }

    /// The `go` of a GOROOT that gotrace made of a Go too old to report its version (the
    /// original's Go 1.6.3, which has no `go env GOVERSION`): `version` is what the store's
    /// manifest says.
    pub fn at_old_root(goroot: &Path, version: &str) -> Go {
        Go { path: goroot.join("bin").join(executable_name()), version: version.to_owned(), goroot: goroot.to_path_buf(), pinned: true }
    }

    /// Fills in what `go env` says of `go`'s version and GOROOT.
    fn ask(mut go: Go) -> Result<Go, ToolchainError> {
        let mut cmd = go.command();
        let values = env_values(&mut cmd, &go.path, &["GOVERSION", "GOROOT"])?;
        let [version, goroot] = <[String; 2]>::try_from(values).map_err(|v| ToolchainError::EnvAnswer {
            path: go.path.clone(),
            keys: "GOVERSION GOROOT".into(),
            lines: v.len(),
        })?;
        if version.is_empty() {
            return Err(ToolchainError::TooOld { path: go.path });
        }
        (go.version, go.goroot) = (version, PathBuf::from(goroot));
        Ok(go)
    }

    /// A `go` command with the caller's environment (a pinned GOROOT's own).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.path);
        if self.pinned {
            cmd.env("GOROOT", &self.goroot).env("GOTOOLCHAIN", "local");
        }
        cmd
    }

    /// The minor version, 21 for "go1.21.13"; `None` for development builds (taken as new).
    pub fn minor(&self) -> Option<u32> {
        minor_of(&self.version)
    }

    /// Whether this Go has modules and `go build -overlay` (Go 1.16+); older ones build in a
    /// GOPATH.
    pub fn has_overlay(&self) -> bool {
        self.minor().is_none_or(|m| m >= 16)
    }

    /// Whether this is a GOROOT gotrace made: a patched copy whose runtime records every
    /// channel operation (`gotrace setup-runtime`).
    pub fn is_patched(&self) -> bool {
        self.pinned
    }

    /// The line gotrace prints before building: "using go1.21.13 at /usr/local/go/bin/go".
    pub fn describe(&self) -> String {
        let patched = if self.pinned { " (patched: records every channel operation)" } else { "" };
        format!("using {} at {}{patched}", self.version, self.path.display())
    }
}

/// The minor version of a Go version string, 27 for "go1.27.3" or "go1.27rc1"; `None` for
/// development builds.
pub fn minor_of(version: &str) -> Option<u32> {
    version.strip_prefix("go1.")?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// `GODEBUG` as the environment has it, with `setting` (`key=value`) added unless the
/// environment already sets that key (the user's word wins); `None` when nothing changes.
pub fn godebug_with(setting: &str) -> Option<String> {
    let godebug = std::env::var("GODEBUG").unwrap_or_default();
    add_godebug(&godebug, setting)
}

fn add_godebug(godebug: &str, setting: &str) -> Option<String> {
    let key = setting.split_once('=').map_or(setting, |(k, _)| k);
    if godebug.split(',').any(|kv| kv.split_once('=').is_some_and(|(k, _)| k.trim() == key)) {
        return None;
    }
    Some(if godebug.is_empty() { setting.to_owned() } else { format!("{godebug},{setting}") })
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

/// `go env KEY...` run as `cmd`: one value per line, in the order asked.
fn env_values(cmd: &mut Command, go: &Path, keys: &[&str]) -> Result<Vec<String>, ToolchainError> {
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
        let go = |v: &str| Go { path: PathBuf::new(), version: v.to_owned(), goroot: PathBuf::new(), pinned: false };
        assert_eq!(go("go1.21.13").minor(), Some(21));
        assert_eq!(go("go1.27rc1").minor(), Some(27));
        assert_eq!(go("devel go1.28-abc").minor(), None);
        assert!(!go("go1.6.3").has_overlay() && go("go1.16").has_overlay() && go("devel go1.28-abc").has_overlay());
    }

    #[test]
    fn godebug_settings_are_added_unless_the_user_set_them() {
        assert_eq!(add_godebug("", "tracechanops=1").as_deref(), Some("tracechanops=1"));
        assert_eq!(add_godebug("gctrace=1", "tracechanops=1").as_deref(), Some("gctrace=1,tracechanops=1"));
        assert_eq!(add_godebug("tracechanops=0", "tracechanops=1"), None);
        assert_eq!(add_godebug("x=1, tracechanops=0", "tracechanops=1"), None);
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
