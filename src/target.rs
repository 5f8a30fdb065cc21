//! What the user asked to build: `.go` files of one directory, or one package (a directory or
//! a package path such as `./cmd/server`), resolved with `go list` when it is a package.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

use crate::toolchain::Go;

#[derive(Debug)]
pub struct Target {
    /// The package directory.
    pub dir: PathBuf,
    /// Absolute paths of the package's Go files, with their contents.
    pub files: Vec<(PathBuf, String)>,
    /// What `go build` gets to name the package (files are given absolute, as go resolves them).
    pub build_args: Vec<OsString>,
    /// Files named on the command line (the helper file then has to be named too).
    pub by_files: bool,
    /// A name for the binary: the first file's stem or the directory's name, like `go build`.
    pub name: String,
}

/// Resolves the TARGET arguments of `gotrace run` / `gotrace build`.
pub fn resolve(go: &Go, args: &[OsString]) -> anyhow::Result<Target> {
    // A Go without modules (the original's 1.6) builds in a GOPATH of gotrace's making, where
    // `go list` has nothing to say about the user's package: its files are taken as they are.
    if !go.has_overlay() {
        return resolve_without_go(args);
    }
    let is_file = |a: &OsString| Path::new(a).extension().is_some_and(|e| e == "go");
    if args.iter().all(is_file) {
        return from_files(args);
    }
    match args {
        [package] => from_package(go, package),
        _ => bail!("give either .go files of one directory or one package, not {}", show(args)),
    }
}

/// Resolves TARGET where no Go answers `go list` (inside a container, or in a GOPATH): `.go`
/// files of one directory, or a directory, built as a package of the module above it (if any)
/// and otherwise as its files.
pub fn resolve_without_go(args: &[OsString]) -> anyhow::Result<Target> {
    let is_file = |a: &OsString| Path::new(a).extension().is_some_and(|e| e == "go");
    if args.iter().all(is_file) {
        return from_files(args);
    }
    let [dir] = args else {
        bail!("give either .go files of one directory or one package directory, not {}", show(args));
    };
    let dir = std::path::absolute(dir).with_context(|| format!("bad path {}", dir.to_string_lossy()))?;
    if !dir.is_dir() {
        bail!(
            "{} is neither .go files nor a package directory (with --docker or --runtime go1.6.3, name the package by its directory)",
            dir.display()
        );
    }
    let mut target = from_files(&go_files_in(&dir)?)?;
    if module_root(&dir).is_some() {
        target.name = dir.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "main".into());
        target.build_args = vec![dir.clone().into_os_string()];
        target.by_files = false;
    }
    Ok(target)
}

/// The directory of the `go.mod` that `dir` belongs to.
pub fn module_root(dir: &Path) -> Option<&Path> {
    dir.ancestors().find(|d| d.join("go.mod").is_file())
}

fn show(args: &[OsString]) -> String {
    args.iter().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>().join(" ")
}

fn from_files(args: &[OsString]) -> anyhow::Result<Target> {
    let mut files = Vec::with_capacity(args.len());
    for arg in args {
        let path = std::path::absolute(arg).with_context(|| format!("bad path {}", arg.to_string_lossy()))?;
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", Path::new(arg).display()))?;
        files.push((path, text));
    }
    let dir = files.first().and_then(|(p, _)| p.parent()).context("no files given")?.to_path_buf();
    if let Some((other, _)) = files.iter().find(|(p, _)| p.parent() != Some(dir.as_path())) {
        bail!("the .go files must all be in one directory: {} is not in {}", other.display(), dir.display());
    }
    let name = files.first().and_then(|(p, _)| p.file_stem()).map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let build_args = files.iter().map(|(p, _)| p.clone().into_os_string()).collect();
    Ok(Target { dir, files, build_args, by_files: true, name })
}

/// The non-test `.go` files of `dir`, sorted as Go sorts them.
fn go_files_in(dir: &Path) -> anyhow::Result<Vec<OsString>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.with_context(|| format!("cannot read {}", dir.display()))?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.ends_with(".go") && !name.ends_with("_test.go") && !name.starts_with(['.', '_']) {
            files.push(path.into_os_string());
        }
    }
    if files.is_empty() {
        bail!("no .go files in {}", dir.display());
    }
    files.sort();
    Ok(files)
}

/// The parts of `go list -json` gotrace reads.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Listed {
    #[serde(default)]
    dir: PathBuf,
    #[serde(default)]
    name: String,
    #[serde(default)]
    go_files: Vec<String>,
    #[serde(default)]
    cgo_files: Vec<String>,
    error: Option<ListError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListError {
    err: String,
}

fn from_package(go: &Go, package: &OsString) -> anyhow::Result<Target> {
    // `gotrace run examples` means the directory, which Go would take for an import path.
    let as_dir = Path::new(package);
    let package = if as_dir.is_dir() && as_dir.is_relative() && !package.to_string_lossy().starts_with('.') {
        Path::new(".").join(as_dir).into_os_string()
    } else {
        package.clone()
    };
    let package = &package;
    let out = go.command().args(["list", "-e", "-json", "--"]).arg(package).output().context("cannot run go list")?;
    if !out.status.success() {
        // A directory outside any module: Go cannot build it as a package, but as its files.
        if as_dir.is_dir() {
            return from_files(&go_files_in(as_dir)?);
        }
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let listed: Listed = serde_json::from_slice(&out.stdout).context("cannot read the answer of go list")?;
    if let Some(error) = listed.error {
        bail!("{}", error.err.trim());
    }
    if listed.name != "main" {
        bail!("{} is package {}, not a command (package main)", package.to_string_lossy(), listed.name);
    }
    let mut files = Vec::new();
    for file in listed.go_files.iter().chain(&listed.cgo_files) {
        let path = listed.dir.join(file);
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        files.push((path, text));
    }
    let name = listed.dir.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "main".into());
    Ok(Target { dir: listed.dir, files, build_args: vec![package.clone()], by_files: false, name })
}
