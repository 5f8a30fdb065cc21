//! Which Go toolchain builds the user's program: `--go PATH`, then `GOTRACE_GO`, then `go` on
//! PATH. gotrace never downloads or patches a toolchain here; it uses the one the user has.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

/// The environment variable naming the `go` binary to use when `--go` is not given.
pub const GO_ENV: &str = "GOTRACE_GO";

const NOT_FOUND: &str = "no Go toolchain found: install Go (https://go.dev/dl) or pass --go PATH";

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
    pub fn find(explicit: Option<&Path>) -> anyhow::Result<Go> {
        let env = std::env::var_os(GO_ENV).filter(|v| !v.is_empty());
        let path = locate(explicit, env.as_deref(), std::env::var_os("PATH").as_deref())?;
        Go::ask(Go { path, version: String::new(), goroot: PathBuf::new(), pinned: false })
    }

    /// The `go` of a GOROOT that gotrace made, pinned to it.
    pub fn at_root(goroot: &Path) -> anyhow::Result<Go> {
        let path = goroot.join("bin").join(executable_name());
        Go::ask(Go { path, version: String::new(), goroot: goroot.to_path_buf(), pinned: true })
    }

    /// Fills in what `go env` says of `go`'s version and GOROOT.
    fn ask(mut go: Go) -> anyhow::Result<Go> {
        let mut cmd = go.command();
        let values = env_values(&mut cmd, &go.path, &["GOVERSION", "GOROOT"])?;
        let [version, goroot] =
            <[String; 2]>::try_from(values).map_err(|_| anyhow::anyhow!("`{} env` answered oddly", go.path.display()))?;
        if version.is_empty() {
            bail!("{} is too old for gotrace: it does not report GOVERSION (Go 1.16 or newer needed)", go.path.display());
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
        self.version.strip_prefix("go1.")?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
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
fn locate(explicit: Option<&Path>, env: Option<&OsStr>, path_var: Option<&OsStr>) -> anyhow::Result<PathBuf> {
    let chosen = explicit.map(Path::to_path_buf).or_else(|| env.map(PathBuf::from));
    if let Some(go) = chosen {
        // A bare name such as `go1.22` is looked up on PATH like a shell would.
        if go.components().count() == 1 && !go.exists() {
            return search_path(go.as_os_str(), path_var).with_context(|| format!("{} not found on PATH", go.display()));
        }
        if !is_executable(&go) {
            bail!("{} is not an executable Go command", go.display());
        }
        return Ok(go);
    }
    search_path(OsStr::new(executable_name()), path_var).context(NOT_FOUND)
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
fn env_values(cmd: &mut Command, go: &Path, keys: &[&str]) -> anyhow::Result<Vec<String>> {
    cmd.arg("env").args(keys);
    let out = cmd.output().with_context(|| format!("cannot run {}", go.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        bail!("`{} env` failed: {}", go.display(), stderr.trim());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let values: Vec<String> = text.lines().map(str::to_owned).collect();
    if values.len() != keys.len() {
        bail!("`{} env {}` answered {} lines", go.display(), keys.join(" "), values.len());
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
        assert_eq!(format!("{err:#}"), NOT_FOUND);
    }

    #[test]
    fn explicit_path_must_be_executable() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("go");
        std::fs::write(&fake, "not a program").unwrap();
        let err = locate(Some(&fake), None, None).unwrap_err();
        assert!(err.to_string().contains("is not an executable Go command"), "{err}");
    }
}
