//! `gotrace run` and `gotrace build`: find Go, resolve the target, instrument a copy, build,
//! run with the user's terminal, then hand the trace to the viewer.

pub mod build;
pub mod exec;
pub mod target;

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};

use crate::instrument::{self, Plan};
use crate::progress::Step;
use crate::toolchain::Go;
use crate::view::ViewOptions;
use target::Target;

pub struct RunOptions {
    pub targets: Vec<OsString>,
    /// Arguments for the program (after `--`).
    pub args: Vec<OsString>,
    pub go: Option<PathBuf>,
    pub timeout: Option<Duration>,
    /// Keep the raw trace here.
    pub trace_out: Option<PathBuf>,
    /// Let the trace go to the program's stderr, as the 2016 original did.
    pub trace_stderr: bool,
    pub view: ViewOptions,
}

/// `gotrace run`: returns the exit code, the program's when it failed.
pub fn run(opts: &RunOptions) -> anyhow::Result<i32> {
    let interrupts = exec::Interrupts::catch();
    let (go, target) = prepare(opts.go.as_deref(), &opts.targets)?;
    let work = tempfile::Builder::new().prefix("gotrace-").tempdir().context("cannot create a temporary directory")?;
    let plan = plan(&target)?;
    let binary = cached_binary(&go, &target, &plan).unwrap_or_else(|| work.path().join(binary_name(&target.name)));
    build::build(&go, &target, &plan, work.path(), &binary)?;
    if interrupts.happened() {
        bail!("interrupted");
    }

    let trace = work.path().join("trace.out");
    let trace_on_stderr = opts.trace_stderr || matches!(plan, Plan::OwnTrace);
    let ended = run_program(opts, &binary, &trace, trace_on_stderr, &interrupts)?;
    let program_code = report_end(&ended, opts.timeout);

    if std::fs::metadata(&trace).map(|m| m.len()).unwrap_or(0) == 0 {
        eprintln!("gotrace: the program wrote no trace");
        return Ok(if program_code == 0 { 1 } else { program_code });
    }
    if let Some(keep) = &opts.trace_out {
        std::fs::copy(&trace, keep).with_context(|| format!("cannot write {}", keep.display()))?;
    }
    interrupts.exit_on_next(work.path().to_path_buf(), program_code);
    show(opts, &trace, &binary, program_code)
}

/// Runs the built program with its trace going to `trace`, directly or through its stderr.
fn run_program(
    opts: &RunOptions,
    binary: &Path,
    trace: &Path,
    trace_on_stderr: bool,
    interrupts: &exec::Interrupts,
) -> anyhow::Result<exec::Ended> {
    let mut spec = exec::Spec { binary, args: &opts.args, trace_file: None, stderr: None, timeout: opts.timeout };
    if trace_on_stderr {
        spec.stderr = Some(File::create(trace).with_context(|| format!("cannot create {}", trace.display()))?);
    } else {
        spec.trace_file = Some(trace);
    }
    exec::run(spec, interrupts)
}

/// Hands the trace to the viewer; the program's failure, if any, decides the exit code.
pub fn show(opts: &RunOptions, trace: &Path, binary: &Path, program_code: i32) -> anyhow::Result<i32> {
    match crate::view::view_trace(trace, Some(binary), &opts.view) {
        Ok(()) => Ok(program_code),
        // The program's failure matters more than a trace it cut short.
        Err(e) if program_code != 0 => {
            eprintln!("gotrace: {e:#}");
            Ok(program_code)
        }
        Err(e) if opts.trace_out.is_none() => Err(e.context("cannot show the trace (keep it with --trace-out FILE)")),
        Err(e) => Err(e),
    }
}

/// `gotrace build`: the instrumented binary at `output` (default: named like `go build` would).
pub fn build(go: Option<&Path>, targets: &[OsString], output: Option<&Path>) -> anyhow::Result<()> {
    let _interrupts = exec::Interrupts::catch();
    let (go, target) = prepare(go, targets)?;
    let work = tempfile::Builder::new().prefix("gotrace-").tempdir().context("cannot create a temporary directory")?;
    let plan = plan(&target)?;
    let output = output.map_or_else(|| PathBuf::from(binary_name(&target.name)), Path::to_path_buf);
    let output = std::path::absolute(&output).with_context(|| format!("bad path {}", output.display()))?;
    build::build(&go, &target, &plan, work.path(), &output)?;
    if !matches!(plan, Plan::OwnTrace) {
        let bin = output.display();
        eprintln!("gotrace: built {bin}; run it as `GOTRACE_TRACE_FILE=trace.out {bin}` (or `{bin} 2> trace.out`, as the original did), then `gotrace trace.out {bin}`");
    }
    Ok(())
}

fn prepare(go: Option<&Path>, targets: &[OsString]) -> anyhow::Result<(Go, Target)> {
    let go = Go::find(go)?;
    eprintln!("gotrace: {}", go.describe());
    let target = target::resolve(&go, targets)?;
    Ok((go, target))
}

pub fn plan(target: &Target) -> anyhow::Result<Plan> {
    let plan = {
        let _step = Step::start("instrumenting");
        instrument::plan(&target.files)?
    };
    if matches!(plan, Plan::OwnTrace) {
        eprintln!("gotrace: the program starts its own trace; reading it from the program's stderr, as the original gotrace did");
    }
    Ok(plan)
}

/// Where `gotrace run` keeps the binary of `target` between runs: `go build` relinks only when
/// the existing binary is out of date, which a fresh temporary path would always be (linking is
/// most of a warm build). `None` when there is no cache directory to use.
fn cached_binary(go: &Go, target: &Target, plan: &Plan) -> Option<PathBuf> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let cache =
        std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
    let mut key = DefaultHasher::new();
    (&go.path, &go.version, &target.dir, &target.build_args, std::mem::discriminant(plan)).hash(&mut key);
    let dir = cache.join("gotrace").join("bin").join(format!("{:016x}", key.finish()));
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join(binary_name(&target.name)))
}

fn binary_name(name: &str) -> String {
    if cfg!(windows) {
        format!("{name}.exe")
    } else {
        name.to_owned()
    }
}

/// Says how the program ended unless it simply succeeded; returns the code to pass on.
fn report_end(ended: &exec::Ended, timeout: Option<Duration>) -> i32 {
    if ended.timed_out {
        let after = timeout.map(|t| format!(" after {t:?}")).unwrap_or_default();
        eprintln!("gotrace: stopped the program{after} (--timeout)");
        return 0;
    }
    let code = exec::exit_code(&ended.status);
    if ended.interrupted {
        eprintln!("gotrace: the program was interrupted");
    } else if code != 0 {
        eprintln!("gotrace: the program {}", exec::describe(&ended.status));
    }
    code
}
