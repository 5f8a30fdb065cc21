//! The default setup: a copy of the user's Go (1.25+) whose runtime records every channel
//! operation (the ChanOps trace experiment of `patches/`). Since Go 1.20 the standard library
//! is compiled from `$GOROOT/src` into the build cache, so patching the copy's sources is
//! enough: no `make.bash`. The copy is proved by building and tracing a probe program before
//! it is installed.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

use super::store::{Installed, Manifest, Store};
use super::{checksum, patch};
use crate::model::ChannelTruth;
use crate::progress::Step;
use crate::toolchain::Go;

/// The patches, by Go minor version, embedded so that an installed gotrace needs no source
/// tree.
const PATCHES: [(u32, &str); 3] = [
    (25, include_str!("../../patches/go1.25-chanops.patch")),
    (26, include_str!("../../patches/go1.26-chanops.patch")),
    (27, include_str!("../../patches/go1.27-chanops.patch")),
];

/// The probe: one of each channel operation, traced into the file named by its argument.
const PROBE: [(&str, &str); 2] =
    [("main.go", include_str!("../../patches/probe/main.go")), ("go.mod", include_str!("../../patches/probe/go.mod"))];

/// The GODEBUG setting that switches the experiment on when tracing starts.
pub const GODEBUG_SETTING: &str = "tracechanops=1";

/// GODEBUG for a program built with `go` that starts its own trace, where no gotrace helper
/// switches the channel events on: `None` unless `go` is a patched copy, or when the user's
/// GODEBUG already decides.
pub fn godebug_for(go: &Go) -> Option<String> {
    go.is_patched().then(|| crate::toolchain::godebug_with(GODEBUG_SETTING)).flatten()
}

/// The patch for `version` (`go1.27.3`), with its file name.
fn patch_for(version: &str) -> anyhow::Result<(String, &'static str)> {
    let minor = crate::toolchain::minor_of(version);
    match PATCHES.iter().find(|(m, _)| Some(*m) == minor) {
        Some((m, text)) => Ok((format!("go1.{m}-chanops.patch"), text)),
        None => {
            bail!("gotrace has no channel-operations patch for {version}: it has them for {}; pass --go PATH to one of those", supported())
        }
    }
}

/// "Go 1.25, Go 1.26, Go 1.27"
pub fn supported() -> String {
    PATCHES.iter().map(|(m, _)| format!("Go 1.{m}")).collect::<Vec<_>>().join(", ")
}

/// The store's name of the patched copy of `version`.
pub fn runtime_name(version: &str) -> String {
    format!("{version}-chanops")
}

/// The patched copy of `go`, if one is installed.
pub fn installed(go: &Go) -> anyhow::Result<Option<Installed>> {
    Ok(Store::open()?.get(&runtime_name(&go.version))?)
}

/// `gotrace setup-runtime [--go PATH] [--remove]`.
pub fn setup(go: Option<&str>, remove: bool) -> anyhow::Result<()> {
    let go = Go::find(go.map(Path::new))?;
    let store = Store::open()?;
    let name = runtime_name(&go.version);
    if remove {
        store.remove(&name)?;
        eprintln!("gotrace: removed {name}");
        return Ok(());
    }
    if let Some(found) = store.get(&name)? {
        eprintln!("gotrace: {name} is already installed at {}", found.goroot().display());
        return Ok(());
    }
    let (patch_name, patch_text) = patch_for(&go.version)?;
    eprintln!("gotrace: {}", go.describe());
    let rt = store.install(&name, |staging| {
        let goroot = staging.join("go");
        {
            let _step = Step::start(&format!("copying {} (your Go is left as it is)", go.goroot.display()));
            copy_tree(&go.goroot, &goroot).with_context(|| format!("cannot copy {}", go.goroot.display()))?;
        }
        let applied = patch::apply(patch_text, &goroot).with_context(|| format!("cannot apply {patch_name}"))?;
        eprintln!("gotrace: patched {} files of {}", applied.len(), go.version);
        prove(&goroot).context("the patched runtime failed its probe; nothing was installed")?;
        Ok(Manifest {
            name: String::new(),
            go_version: go.version.clone(),
            goroot: "go".into(),
            source: go.goroot.display().to_string(),
            patch: patch_name.clone(),
            patch_sha256: checksum::sha256_bytes(patch_text.as_bytes()),
            installed_unix: 0,
        })
    })?;
    eprintln!(
        "gotrace: installed {name} at {}; `gotrace run` and `gotrace build` with {} now record every channel operation (`--runtime stock` opts out)",
        rt.goroot().display(),
        go.path.display()
    );
    Ok(())
}

/// Copies, never hard-links: the user's Go may be updated in place.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let ty = entry.file_type()?;
        if ty.is_dir() {
            copy_tree(&src, &dst)?;
        } else if ty.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src)?, &dst)?;
        } else {
            fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// Builds the probe with the patched GOROOT, runs it with the experiment on and reads its
/// trace: its four channels must come back, with exact messages, one of them carrying 42.
fn prove(goroot: &Path) -> anyhow::Result<()> {
    let go = Go::at_root(goroot)?;
    let work = tempfile::tempdir().context("cannot create a temporary directory")?;
    for (name, text) in PROBE {
        fs::write(work.path().join(name), text).with_context(|| format!("cannot write the probe's {name}"))?;
    }
    let probe = work.path().join("probe");
    {
        let _step = Step::start("building a probe program (compiles the patched standard library once)");
        let out = go
            .command()
            .args(["build", "-o"])
            .arg(&probe)
            .arg(".")
            .current_dir(work.path())
            .env("GOFLAGS", "")
            .env("GOWORK", "off")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {}", go.path.display()))?;
        if !out.status.success() {
            bail!("the probe does not build: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
    }
    let trace = work.path().join("probe.trace");
    let status = Command::new(&probe).arg(&trace).env("GODEBUG", GODEBUG_SETTING).status().context("cannot run the probe")?;
    if !status.success() {
        bail!("the probe failed ({status})");
    }
    let model = crate::model::load(&trace, Some(&probe), false)?;
    let values: Vec<&str> = model.messages.iter().filter_map(|m| m.value_text.as_deref()).collect();
    if model.meta.channel_truth != ChannelTruth::Exact || model.channels.len() < 4 || !values.contains(&"42") {
        bail!("the probe's trace lacks its channel events ({} channels, values {values:?})", model.channels.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_go_without_a_patch_is_refused_naming_the_supported_ones() {
        let err = patch_for("go1.22.10").unwrap_err().to_string();
        assert!(err.contains("go1.22.10") && err.contains("Go 1.25, Go 1.26, Go 1.27"), "{err}");
        assert_eq!(patch_for("go1.27.3").unwrap().0, "go1.27-chanops.patch");
        assert_eq!(patch_for("go1.25.5").unwrap().0, "go1.25-chanops.patch");
    }

    #[test]
    fn every_embedded_patch_is_for_the_minor_it_is_filed_under() {
        for (minor, text) in PATCHES {
            assert!(text.contains("src/runtime/tracechanops.go"), "patch for Go 1.{minor} adds no tracechanops.go");
        }
    }
}
