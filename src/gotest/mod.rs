//! `gotrace test [PACKAGES] [-- go test flags]`: `go test` with an execution trace of each
//! package's test binary (Go writes one trace per binary, so packages are tested one at a
//! time), then per package the goroutines its tests left stuck and a summary line; the
//! picture of a single package. `go test`'s own output and status stay as they are.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{bail, Context};

use crate::check;
use crate::model::Outcome;
use crate::toolchain::Go;
use crate::view::ViewOptions;

pub struct TestOptions {
    /// Package patterns for `go list` (default `.`).
    pub packages: Vec<OsString>,
    /// Flags for `go test` (after `--`).
    pub flags: Vec<OsString>,
    pub go: crate::toolchain::choice::GoChoice,
    pub view: ViewOptions,
    pub check: check::CheckOptions,
}

/// What became of one package.
struct Tested {
    package: String,
    /// `go test`'s exit code.
    code: i32,
    /// The leaked goroutines, when the package had tests that wrote a trace.
    leaked: Option<usize>,
}

/// Runs the tests; returns the exit code: `go test`'s when a package failed, else 3 when
/// `--check` found leaks, else 0.
pub fn run(opts: &TestOptions) -> anyhow::Result<i32> {
    if opts.go.runtime == crate::toolchain::choice::Runtime::Legacy {
        // Testing goes through `go list` and `go test` of modules, which Go 1.6 does not have.
        bail!("gotrace test cannot use --runtime go{}: use it with `gotrace run` or `gotrace build`", crate::toolchain::choice::LEGACY_GO);
    }
    let go = crate::setup::find_go(&opts.go)?;
    eprintln!("gotrace: {}", go.describe());
    let packages = list(&go, &opts.packages)?;
    let work = tempfile::Builder::new().prefix("gotrace-test-").tempdir().context("cannot create a temporary directory")?;
    let show_picture = packages.len() == 1 && !opts.check.fail;
    let one_package = packages.len() == 1;
    let mut results = Vec::with_capacity(packages.len());
    for (i, package) in packages.iter().enumerate() {
        let trace = work.path().join(format!("{i}.trace"));
        let binary = work.path().join(format!("{i}.test"));
        let mut cmd = go.command();
        // The testing package starts the trace: no helper is there to switch a patched
        // runtime's channel events on.
        if let Some(godebug) = crate::setup::patched::godebug_for(&go) {
            cmd.env("GODEBUG", godebug);
        }
        let status = cmd
            .arg("test")
            .arg(format!("-trace={}", trace.display()))
            .arg("-o")
            .arg(&binary)
            .args(&opts.flags)
            .arg(package)
            .stdin(Stdio::inherit())
            .status()
            .context("cannot run go test")?;
        let code = crate::runner::exit_code(&status);
        let junit = opts.check.junit.as_ref().map(|j| if one_package { j.clone() } else { per_package(j, package) });
        let leaked = if trace.exists() { Some(check_package(package, (&trace, &binary), code, show_picture, junit, opts)?) } else { None };
        results.push(Tested { package: package.clone(), code, leaked });
    }
    for t in &results {
        eprintln!("{}", summary(t, opts.check.fail));
    }
    let failed = results.iter().find(|t| t.code != 0).map(|t| t.code);
    let leaked = results.iter().any(|t| t.leaked.is_some_and(|n| n > 0));
    Ok(failed.unwrap_or(if opts.check.fail && leaked { 3 } else { 0 }))
}

/// The check of one package's trace, reported; shown as a picture when asked. Returns how many
/// goroutines leaked.
fn check_package(
    package: &str,
    (trace, binary): (&Path, &Path),
    code: i32,
    show: bool,
    junit: Option<PathBuf>,
    opts: &TestOptions,
) -> anyhow::Result<usize> {
    let mut model = crate::model::load(trace, Some(binary), opts.view.all)?;
    let outcome = if code == 2 { Outcome::Panic } else { Outcome::Exited };
    let found = check::check(&model, outcome, None, &opts.check.ignore);
    if !found.leaks.is_empty() {
        eprintln!("gotrace: {package}:");
    }
    check::report(&found, package, &check::CheckOptions { junit, ..opts.check.clone() }, false)?;
    let leaked = found.leaks.iter().map(|l| l.count).sum();
    if show {
        model.check = Some(found);
        crate::view::show(model, &opts.view)?;
    }
    Ok(leaked)
}

/// `--junit FILE` with several packages: one file per package next to FILE, named after it
/// (`FILE-example.com_p.xml`), so that each package's report is kept.
fn per_package(junit: &Path, package: &str) -> PathBuf {
    let stem = junit.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "junit".into());
    let safe: String = package.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    junit.with_file_name(format!("{stem}-{safe}.xml"))
}

/// "gotrace: ok   example.com/p: no leaked goroutines".
fn summary(t: &Tested, fail_on_leaks: bool) -> String {
    let leaks = match t.leaked {
        None => "no trace (no tests, or the test binary did not build)".to_owned(),
        Some(0) => "no leaked goroutines".to_owned(),
        Some(n) => format!("{n} leaked goroutine{}", if n == 1 { "" } else { "s" }),
    };
    let verdict = if t.code != 0 || (fail_on_leaks && t.leaked.is_some_and(|n| n > 0)) { "FAIL" } else { "ok  " };
    format!("gotrace: {verdict} {}: {leaks}", t.package)
}

/// The import paths of `patterns` (`.` when none), as `go list` resolves them (`./...` too).
fn list(go: &Go, patterns: &[OsString]) -> anyhow::Result<Vec<String>> {
    let mut cmd = go.command();
    cmd.args(["list", "--"]);
    if patterns.is_empty() {
        cmd.arg(".");
    } else {
        cmd.args(patterns);
    }
    let out = cmd.stdin(Stdio::null()).output().context("cannot run go list")?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let packages: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect();
    if packages.is_empty() {
        bail!("no packages match {}", patterns.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>().join(" "));
    }
    Ok(packages)
}
