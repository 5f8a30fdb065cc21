//! The default setup: a copy of the user's Go (1.25+) whose runtime records every channel
//! operation (the ChanOps trace experiment of `patches/`). Since Go 1.20 the standard library
//! is compiled from `$GOROOT/src` into the build cache, so patching the copy's sources is
//! enough: no `make.bash`.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

use super::store::{Installed, Manifest, Store};
use crate::progress::Step;
use crate::toolchain::Go;

/// The patches, one per Go minor, embedded so that an installed gotrace needs no source tree.
const PATCHES: [(&str, &str); 3] = [
    ("1.25", include_str!("../../patches/go1.25-chanops.patch")),
    ("1.26", include_str!("../../patches/go1.26-chanops.patch")),
    ("1.27", include_str!("../../patches/go1.27-chanops.patch")),
];

/// The patch for `version` (`go1.27.3`), with its file name.
fn patch_for(version: &str) -> anyhow::Result<(String, &'static str)> {
    let minor = version.strip_prefix("go").unwrap_or(version).split('.').take(2).collect::<Vec<_>>().join(".");
    match PATCHES.iter().find(|(v, _)| *v == minor) {
        Some((v, text)) => Ok((format!("go{v}-chanops.patch"), text)),
        None => {
            let names: Vec<String> = PATCHES.iter().map(|(v, _)| format!("Go {v}")).collect();
            bail!(
                "gotrace has no channel-operations patch for {version}: supported are {}; pass --go PATH to one of them",
                names.join(", ")
            )
        }
    }
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
pub fn run(go: Option<&str>, remove: bool) -> anyhow::Result<()> {
    let go = Go::find(go.map(Path::new))?;
    let store = Store::open()?;
    let name = runtime_name(&go.version);
    if remove {
        store.remove(&name)?;
        return crate::output::write_stdout(format!("removed {name}\n").as_bytes());
    }
    let (patch_name, patch) = patch_for(&go.version)?;
    let rt = store.install(&name, |dir| build(&go, dir, &patch_name, patch))?;
    crate::output::write_stdout(format!("{name}\t{}\n", rt.go().display()).as_bytes())
}

fn build(go: &Go, dir: &Path, patch_name: &str, patch: &str) -> anyhow::Result<Manifest> {
    let goroot = dir.join("go");
    let step = Step::start(&format!("copying {} (the user's Go is left as it is)", go.goroot.display()));
    copy_tree(&go.goroot, &goroot).with_context(|| format!("cannot copy {}", go.goroot.display()))?;
    drop(step);
    let _step = Step::start(&format!("applying {patch_name}"));
    apply(&goroot, patch).with_context(|| format!("{patch_name} does not apply to {}", go.goroot.display()))?;
    Ok(Manifest {
        name: String::new(),
        go_version: go.version.clone(),
        goroot: "go".into(),
        source: go.goroot.display().to_string(),
        patch: patch_name.into(),
        patch_sha256: String::new(),
        installed_unix: 0,
    })
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

/// `patch -p1` at the copy's top, strict: no fuzz, no half-applied hunks left to guess at.
fn apply(goroot: &Path, patch: &str) -> anyhow::Result<()> {
    let mut child = Command::new("patch")
        .args(["-p1", "--batch", "--forward", "--fuzz=0", "--no-backup-if-mismatch", "--quiet"])
        .current_dir(goroot)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run `patch` (install it, e.g. `apt-get install patch`)")?;
    child.stdin.take().context("patch's stdin")?.write_all(patch.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stdout);
        bail!("{}", why.lines().next().unwrap_or("patch failed"));
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
    }
}
