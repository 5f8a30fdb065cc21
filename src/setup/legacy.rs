//! `gotrace setup-runtime --go 1.6.3`: the 2016 original's runtime. Downloads Go 1.6.3's
//! source and a bootstrap Go (1.4.3, or an installed Go given with `--bootstrap`), checks both
//! against pinned sums, extracts them safely, applies `patches/go1.6.3-tracenew.patch` (trace
//! events 37 GoSend and 38 GoRecv) and builds it with `make.bash`, in a staging directory that
//! the store renames into place only when the build succeeded.
//!
//! Tests (and only tests) replace the patch with the file named by [`TEST_PATCH_ENV`], so that
//! the flow can run on a small Go-like tree the test builds; it is not a user option.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use super::store::{Manifest, Store};
use super::{archive, checksum, download, patch, SetupOptions};
use crate::progress::Step;
use crate::toolchain::choice::LEGACY_GO;
use crate::toolchain::Go;

/// The runtime's name in the store.
pub const RUNTIME_NAME: &str = "go1.6.3-tracenew";
pub const TEST_PATCH_ENV: &str = "GOTRACE_TEST_LEGACY_PATCH";

const PATCH_NAME: &str = "go1.6.3-tracenew.patch";
const PATCH: &str = include_str!("../../patches/go1.6.3-tracenew.patch");
const SOURCE_ARCHIVE: &str = "go1.6.3.src.tar.gz";
/// Go's download site; `--mirror` replaces it with a base laid out the same way.
const DOWNLOAD_SITE: &str = "https://dl.google.com/go/";

/// The top-level entry point for `--go 1.6.3` (with `--remove`, its removal).
pub fn setup(opts: &SetupOptions) -> anyhow::Result<()> {
    let store = Store::open()?;
    if opts.remove {
        store.remove(RUNTIME_NAME)?;
        eprintln!("gotrace: removed {RUNTIME_NAME}");
        return Ok(());
    }
    if let Some(found) = store.get(RUNTIME_NAME)? {
        eprintln!("gotrace: {RUNTIME_NAME} is already installed at {}", found.goroot().display());
        return Ok(());
    }
    let base = opts.mirror.as_deref().unwrap_or(DOWNLOAD_SITE);
    let downloads = store.work_dir("downloads")?;
    let source = obtain(opts.source.as_deref(), SOURCE_ARCHIVE, base, &downloads)?;
    let bootstrap = match &opts.bootstrap {
        Some(path) => Bootstrap::Installed(installed_goroot(path)?),
        None => Bootstrap::Archive(obtain(opts.bootstrap_archive.as_deref(), &bootstrap_archive_name()?, base, &downloads)?),
    };
    let patch_text = patch_text()?;
    let log = store.work_dir("logs")?.join(format!("{RUNTIME_NAME}-make.log"));
    let final_goroot = store.dir().join(RUNTIME_NAME).join("go");
    let installed = store.install(RUNTIME_NAME, |staging| {
        let goroot = unpack_source(&source, staging)?;
        let applied = patch::apply(&patch_text, &goroot).with_context(|| format!("cannot apply {PATCH_NAME}"))?;
        eprintln!("gotrace: patched {} files of Go {LEGACY_GO}", applied.len());
        let bootstrap_dir = tempfile::tempdir_in(staging).context("cannot create a directory for the bootstrap Go")?;
        let bootstrap_root = bootstrap.goroot(bootstrap_dir.path())?;
        make(&goroot, &bootstrap_root, &final_goroot, &log)?;
        Ok(Manifest {
            name: RUNTIME_NAME.into(),
            go_version: format!("go{LEGACY_GO}"),
            goroot: "go".into(),
            source: source.display().to_string(),
            patch: PATCH_NAME.into(),
            patch_sha256: checksum::sha256_bytes(patch_text.as_bytes()),
            installed_unix: 0,
        })
    })?;
    eprintln!(
        "gotrace: installed Go {LEGACY_GO} with channel events at {}; use it with `gotrace run --runtime go{LEGACY_GO} main.go`",
        installed.goroot().display()
    );
    Ok(())
}

/// The Go of the installed runtime, for `--runtime go1.6.3`.
pub fn installed_go() -> anyhow::Result<Option<Go>> {
    let installed = Store::open()?.get(RUNTIME_NAME)?;
    Ok(installed.map(|rt| Go::at_old_root(&rt.goroot(), &rt.manifest.go_version)))
}

/// The bootstrap Go that builds Go 1.6.3.
enum Bootstrap {
    /// `--bootstrap PATH`: an installed Go's GOROOT.
    Installed(PathBuf),
    /// A verified Go 1.4.3 archive, extracted for the build only.
    Archive(PathBuf),
}

impl Bootstrap {
    /// Its GOROOT, extracting it under `scratch` if it is an archive.
    fn goroot(&self, scratch: &Path) -> anyhow::Result<PathBuf> {
        match self {
            Bootstrap::Installed(root) => Ok(root.clone()),
            Bootstrap::Archive(file) => {
                archive::extract(file, scratch)?;
                let root = scratch.join("go");
                if !root.join("bin").join("go").is_file() {
                    bail!("the bootstrap archive {} has no go/bin/go", file.display());
                }
                Ok(root)
            }
        }
    }
}

/// The verified archive `name`: the file given on the command line, else the one downloaded
/// earlier, else a fresh download from `base`.
fn obtain(given: Option<&Path>, name: &str, base: &str, downloads: &Path) -> anyhow::Result<PathBuf> {
    if let Some(file) = given {
        checksum::verify(file, name)?;
        return Ok(file.to_path_buf());
    }
    let cached = downloads.join(name);
    if cached.is_file() {
        if checksum::verify(&cached, name).is_ok() {
            return Ok(cached);
        }
        std::fs::remove_file(&cached).with_context(|| format!("cannot remove {}", cached.display()))?;
    }
    let url = format!("{}/{name}", base.trim_end_matches('/'));
    download::fetch(&url, &cached)?;
    if let Err(e) = checksum::verify(&cached, name) {
        // Keep no bad copy: the next run downloads again.
        let _ = std::fs::remove_file(&cached);
        return Err(e.into());
    }
    Ok(cached)
}

/// Go 1.4.3's archive for this machine (Go's download site has none for other platforms).
fn bootstrap_archive_name() -> anyhow::Result<String> {
    let os = match std::env::consts::OS {
        "linux" => "linux",
        "macos" => "darwin",
        other => bail!("Go 1.4.3 has no download for {other}: give an installed Go with --bootstrap PATH"),
    };
    if std::env::consts::ARCH != "x86_64" {
        bail!("Go 1.4.3 has no download for {os}/{}: give an installed Go with --bootstrap PATH", std::env::consts::ARCH);
    }
    Ok(format!("go1.4.3.{os}-amd64.tar.gz"))
}

/// `--bootstrap PATH`: a `go` command or a GOROOT; returns the GOROOT.
fn installed_goroot(path: &Path) -> anyhow::Result<PathBuf> {
    let root =
        if path.is_dir() { path.to_path_buf() } else { path.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default() };
    let root = std::path::absolute(&root).unwrap_or(root);
    if !root.join("bin").join("go").is_file() {
        bail!("--bootstrap {}: not a Go installation (give its GOROOT or its bin/go)", path.display());
    }
    Ok(root)
}

fn patch_text() -> anyhow::Result<String> {
    match std::env::var_os(TEST_PATCH_ENV) {
        Some(file) => std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", Path::new(&file).display())),
        None => Ok(PATCH.to_string()),
    }
}

/// Extracts the source archive into `staging`; returns the GOROOT it holds.
fn unpack_source(source: &Path, staging: &Path) -> anyhow::Result<PathBuf> {
    let step = Step::start("extracting the Go 1.6.3 source");
    archive::extract(source, staging)?;
    drop(step);
    let goroot = staging.join("go");
    if !goroot.join("src").join("make.bash").is_file() {
        bail!("{} is not a Go source archive: it has no go/src/make.bash", source.display());
    }
    Ok(goroot)
}

/// Runs `make.bash` in `goroot`, its output going to `log` and its latest line to a spinner.
fn make(goroot: &Path, bootstrap: &Path, final_goroot: &Path, log: &Path) -> anyhow::Result<()> {
    let mut log_file = std::fs::File::create(log).with_context(|| format!("cannot write {}", log.display()))?;
    let (reader, writer) = std::io::pipe().context("cannot make a pipe for make.bash")?;
    let mut cmd = Command::new("bash");
    cmd.arg("make.bash")
        .current_dir(goroot.join("src"))
        .env("GOROOT_BOOTSTRAP", bootstrap)
        // Binaries look for their GOROOT where it will be once installed, not in the staging.
        .env("GOROOT_FINAL", final_goroot)
        .env("CGO_ENABLED", "0")
        // A modern bootstrap Go builds Go 1.6's cmd/dist in GOPATH mode only.
        .env("GO111MODULE", "off")
        .env("GOTOOLCHAIN", "local")
        .env_remove("GOROOT")
        .env_remove("GOPATH")
        .env_remove("GOFLAGS")
        .env_remove("GOBIN")
        .stdin(std::process::Stdio::null())
        .stdout(writer.try_clone().context("cannot make a pipe for make.bash")?)
        .stderr(writer);
    let spinner = Step::start("building Go 1.6.3 (make.bash)");
    let mut child = cmd.spawn().context("cannot run bash for make.bash")?;
    // The command keeps copies of the pipe's writing end: drop them, or the reader never ends.
    drop(cmd);
    let mut last = String::new();
    for line in BufReader::new(reader).lines() {
        let line = line.unwrap_or_default();
        writeln!(log_file, "{line}").with_context(|| format!("cannot write {}", log.display()))?;
        spinner.set_message(&format!("building Go 1.6.3: {line}"));
        if !line.trim().is_empty() {
            last = line;
        }
    }
    let status = child.wait().context("make.bash did not finish")?;
    drop(spinner);
    if !status.success() {
        bail!("make.bash of Go 1.6.3 failed ({status}; last line: {}); its output is in {}", last.trim(), log.display());
    }
    if !goroot.join("bin").join("go").is_file() {
        bail!("make.bash of Go 1.6.3 made no bin/go; its output is in {}", log.display());
    }
    Ok(())
}
