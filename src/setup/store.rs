//! Where gotrace keeps the runtimes it made: `$GOTRACE_DATA_DIR`, else
//! `$XDG_DATA_HOME/gotrace`, else `~/.local/share/gotrace`; each runtime is one directory under
//! `runtimes/`, with a `manifest.json` that says what it is.
//!
//! Installing is atomic: a runtime is built in a staging directory beside its final place and
//! renamed into place only when complete, so an interrupted or failed setup leaves nothing that
//! looks installed. Staging directories of dead processes are swept on the next open.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The environment variable that overrides the data directory (tests, CI, shared machines).
pub const DATA_DIR_ENV: &str = "GOTRACE_DATA_DIR";

const MANIFEST: &str = "manifest.json";
const STAGING_PREFIX: &str = ".staging-";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no data directory for gotrace: set {DATA_DIR_ENV}, XDG_DATA_HOME or HOME")]
    NoDataDir,
    #[error("cannot use the data directory {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is damaged ({reason}): remove it with `gotrace setup-runtime --remove` and set it up again")]
    BadManifest { path: PathBuf, reason: String },
    #[error("no runtime named {0} is installed (see `gotrace setup-runtime --list`)")]
    NotInstalled(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

/// What an installed runtime is; written by the setup that made it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// The runtime's name in the store, e.g. `go1.27.3-chanops` or `go1.6.3-tracenew`.
    pub name: String,
    /// The Go version it runs, e.g. `go1.27.3`.
    pub go_version: String,
    /// The GOROOT inside the runtime's directory, relative to it (e.g. `go`).
    pub goroot: String,
    /// Where it came from: the stock GOROOT it copies, or the archive it was built from.
    pub source: String,
    /// The patch applied (file name under `patches/`) and its SHA-256.
    pub patch: String,
    pub patch_sha256: String,
    /// Seconds since the Unix epoch when it was installed.
    pub installed_unix: u64,
}

/// One runtime in the store.
#[derive(Debug, Clone)]
pub struct Installed {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Installed {
    pub fn goroot(&self) -> PathBuf {
        self.dir.join(&self.manifest.goroot)
    }

    /// The runtime's `go` command.
    pub fn go(&self) -> PathBuf {
        self.goroot().join("bin").join(if cfg!(windows) { "go.exe" } else { "go" })
    }
}

pub struct Store {
    runtimes: PathBuf,
}

impl Store {
    /// The store of this user, created if missing; stale staging directories are swept.
    pub fn open() -> Result<Store, StoreError> {
        let root = data_dir(|k| std::env::var_os(k)).ok_or(StoreError::NoDataDir)?;
        Store::at(&root)
    }

    /// The store under `root` (the data directory).
    pub fn at(root: &Path) -> Result<Store, StoreError> {
        let runtimes = root.join("runtimes");
        fs::create_dir_all(&runtimes).map_err(io(&runtimes))?;
        let store = Store { runtimes };
        store.sweep_staging();
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.runtimes
    }

    /// A directory of the data directory beside `runtimes/` (downloads, logs), created if
    /// missing.
    pub fn work_dir(&self, name: &str) -> Result<PathBuf, StoreError> {
        let dir = self.runtimes.parent().unwrap_or(&self.runtimes).join(name);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(dir)
    }

    /// The runtime named `name`, if it is installed.
    pub fn get(&self, name: &str) -> Result<Option<Installed>, StoreError> {
        let dir = self.runtimes.join(name);
        if !dir.is_dir() {
            return Ok(None);
        }
        read_manifest(&dir).map(|manifest| Some(Installed { dir, manifest }))
    }

    /// Every installed runtime, by name.
    pub fn list(&self) -> Result<Vec<Installed>, StoreError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.runtimes).map_err(io(&self.runtimes))? {
            let entry = entry.map_err(io(&self.runtimes))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if let Some(found) = self.get(&name)? {
                out.push(found);
            }
        }
        out.sort_by(|a, b| a.manifest.name.cmp(&b.manifest.name));
        Ok(out)
    }

    /// Installs `name`: `build` fills a staging directory and returns the manifest, which is
    /// written last; then the directory is renamed into place. Any failure (an error of
    /// `build`, a panic, an interrupt) leaves no `name`. A runtime already installed is left as
    /// it is and returned: setting it up again is a no-op.
    pub fn install(&self, name: &str, build: impl FnOnce(&Path) -> anyhow::Result<Manifest>) -> anyhow::Result<Installed> {
        if let Some(found) = self.get(name)? {
            return Ok(found);
        }
        let staging = tempfile::Builder::new()
            .prefix(&format!("{STAGING_PREFIX}{}-{name}-", std::process::id()))
            .tempdir_in(&self.runtimes)
            .map_err(io(&self.runtimes))?;
        let mut manifest = build(staging.path())?;
        manifest.name = name.to_string();
        manifest.installed_unix = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let text = serde_json::to_vec_pretty(&manifest)?;
        let manifest_path = staging.path().join(MANIFEST);
        fs::write(&manifest_path, text).map_err(io(&manifest_path))?;
        let target = self.runtimes.join(name);
        let staged = staging.keep();
        if let Err(e) = fs::rename(&staged, &target) {
            let _ = fs::remove_dir_all(&staged);
            // Another setup of the same runtime finished first: that one stands.
            if let Some(found) = self.get(name)? {
                return Ok(found);
            }
            return Err(io(&target)(e).into());
        }
        Ok(Installed { dir: target, manifest })
    }

    /// Removes `name`: renamed out of sight first, so that a half-removed runtime never looks
    /// installed.
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        let dir = self.runtimes.join(name);
        if name.starts_with('.') || !dir.is_dir() {
            return Err(StoreError::NotInstalled(name.to_string()));
        }
        let doomed = self.runtimes.join(format!("{STAGING_PREFIX}{}-removed-{name}", std::process::id()));
        fs::rename(&dir, &doomed).map_err(io(&dir))?;
        fs::remove_dir_all(&doomed).map_err(io(&doomed))
    }

    /// Removes staging directories whose process is gone (killed mid-setup).
    fn sweep_staging(&self) {
        let Ok(entries) = fs::read_dir(&self.runtimes) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(STAGING_PREFIX) else { continue };
            let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|pid| !process_alive(pid)) {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn read_manifest(dir: &Path) -> Result<Manifest, StoreError> {
    let path = dir.join(MANIFEST);
    let bad = |reason: String| StoreError::BadManifest { path: dir.to_path_buf(), reason };
    let text = fs::read(&path).map_err(|e| bad(format!("cannot read {MANIFEST}: {e}")))?;
    serde_json::from_slice(&text).map_err(|e| bad(format!("{MANIFEST}: {e}")))
}

/// The data directory from the environment (`var` reads one variable).
fn data_dir(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let set = |k: &str| var(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    set(DATA_DIR_ENV)
        .or_else(|| set("XDG_DATA_HOME").map(|d| d.join("gotrace")))
        .or_else(|| set("HOME").map(|h| h.join(".local/share/gotrace")))
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    // Signal 0 checks for existence only; EPERM still means the process exists.
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    unsafe { libc::kill(pid, 0) == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM) }
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            name: String::new(),
            go_version: "go1.27.3".into(),
            goroot: "go".into(),
            source: "/usr/local/go".into(),
            patch: "go1.27-chanops.patch".into(),
            patch_sha256: "00".into(),
            installed_unix: 0,
        }
    }

    #[test]
    fn data_dir_prefers_the_explicit_variable_then_xdg_then_home() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| std::ffi::OsString::from(v))
        };
        assert_eq!(data_dir(env(&[(DATA_DIR_ENV, "/d"), ("HOME", "/h")])), Some(PathBuf::from("/d")));
        assert_eq!(data_dir(env(&[("XDG_DATA_HOME", "/x"), ("HOME", "/h")])), Some(PathBuf::from("/x/gotrace")));
        assert_eq!(data_dir(env(&[("HOME", "/h")])), Some(PathBuf::from("/h/.local/share/gotrace")));
        assert_eq!(data_dir(env(&[])), None);
    }

    #[test]
    fn install_is_all_or_nothing_and_a_second_install_is_a_no_op() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::at(root.path()).unwrap();
        let failed = store.install("go1.27.3-chanops", |dir| {
            fs::write(dir.join("half"), "x")?;
            anyhow::bail!("make.bash failed")
        });
        assert_eq!(failed.unwrap_err().to_string(), "make.bash failed");
        assert!(store.get("go1.27.3-chanops").unwrap().is_none());
        assert_eq!(fs::read_dir(store.dir()).unwrap().count(), 0, "the staging directory is gone");

        let made = store
            .install("go1.27.3-chanops", |dir| {
                fs::create_dir(dir.join("go"))?;
                Ok(manifest())
            })
            .unwrap();
        assert_eq!(made.manifest.name, "go1.27.3-chanops");
        assert_eq!(made.go(), store.dir().join("go1.27.3-chanops/go/bin/go"));
        let again = store.install("go1.27.3-chanops", |_| panic!("must not build again")).unwrap();
        assert_eq!(again.manifest, made.manifest);
        assert_eq!(store.list().unwrap().len(), 1);

        store.remove("go1.27.3-chanops").unwrap();
        assert!(store.list().unwrap().is_empty());
        assert!(matches!(store.remove("go1.27.3-chanops"), Err(StoreError::NotInstalled(_))));
    }

    #[test]
    fn staging_left_by_a_dead_process_is_swept() {
        let root = tempfile::tempdir().unwrap();
        let runtimes = root.path().join("runtimes");
        // Pid 0x7fff_fff0 is above Linux's pid_max: no such process.
        let stale = runtimes.join(format!("{STAGING_PREFIX}{}-go1.27.3-chanops-abc", 0x7fff_fff0u32));
        fs::create_dir_all(stale.join("go")).unwrap();
        let store = Store::at(root.path()).unwrap();
        assert!(!stale.exists());
        assert!(store.list().unwrap().is_empty());
    }

    #[test]
    fn a_damaged_runtime_says_how_to_fix_it() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::at(root.path()).unwrap();
        fs::create_dir(store.dir().join("go1.27.3-chanops")).unwrap();
        let err = store.get("go1.27.3-chanops").unwrap_err().to_string();
        assert!(err.contains("--remove"), "{err}");
    }
}
