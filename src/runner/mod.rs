//! `gotrace run` and `gotrace build`: find Go, resolve the target, instrument a copy, build,
//! run with the user's terminal, then hand the trace to the viewer.

pub mod build;
mod error;
mod exec;

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use crate::check;
use crate::instrument::{self, Plan};
use crate::interrupts::Interrupts;
use crate::model::Outcome;
use crate::progress::Step;
use crate::target::{self, Target};
use crate::toolchain::choice::GoChoice;
use crate::toolchain::Go;
use crate::view::ViewOptions;

pub use error::RunError;
pub use exec::exit_code;

pub struct RunOptions {
    pub targets: Vec<OsString>,
    /// Arguments for the program (after `--`).
    pub args: Vec<OsString>,
    pub go: GoChoice,
    pub timeout: Option<Duration>,
    /// Keep the raw trace here.
    pub trace_out: Option<PathBuf>,
    /// Let the trace go to the program's stderr, as the 2016 original did.
    pub trace_stderr: bool,
    pub view: ViewOptions,
    pub check: check::CheckOptions,
}

/// `gotrace run`: returns the exit code, the program's when it failed.
pub fn run(opts: &RunOptions) -> anyhow::Result<i32> {
    let interrupts = Interrupts::catch();
    let (go, target) = prepare(&opts.go, &opts.targets)?;
    let work = tempfile::Builder::new().prefix("gotrace-").tempdir().context("cannot create a temporary directory")?;
    let plan = plan(&target)?;
    let binary = cached_binary(&go, &target, &plan).unwrap_or_else(|| work.path().join(binary_name(&target.name)));
    build::build(&go, &target, &plan, work.path(), &binary)?;
    if interrupts.happened() {
        return Err(RunError::Interrupted.into());
    }

    let trace = work.path().join("trace.out");
    let trace_on_stderr = opts.trace_stderr || matches!(plan, Plan::OwnTrace);
    let watch = Watch::new(work.path(), &plan);
    let ended = run_program(opts, &binary, &trace, trace_on_stderr, &watch.env(&go), &interrupts)?;
    let (outcome, program_code) = watch.outcome(&ended, opts.timeout);
    let crashed = watch.crash_report().as_deref().and_then(check::crashed_goroutine);
    let ending = ProgramEnd { name: &target.name, outcome, program_code, crashed };

    finish(opts, &trace, &binary, &ending, work.path(), &interrupts)
}

/// The end of a run, here or in a container, once the program wrote `trace`: the trace kept
/// where `--trace-out` says, then checked and shown. A second Ctrl-C from here on leaves at
/// once with the program's code, removing `work`.
pub fn finish(
    opts: &RunOptions,
    trace: &Path,
    binary: &Path,
    ending: &ProgramEnd,
    work: &Path,
    interrupts: &Interrupts,
) -> anyhow::Result<i32> {
    let program_code = ending.program_code;
    let written = std::fs::metadata(trace).map(|m| m.len()).unwrap_or(0);
    if written == 0 {
        eprintln!("gotrace: the program wrote no trace");
        return Ok(if program_code == 0 { 1 } else { program_code });
    }
    if written <= crate::trace::HEADER_LEN as u64 && program_code != 0 {
        // Before Go 1.22 the runtime flushes nothing of the trace when a goroutine crashes.
        eprintln!("gotrace: the program ended before any of its trace was written: no picture");
        return Ok(program_code);
    }
    if let Some(keep) = &opts.trace_out {
        std::fs::copy(trace, keep).with_context(|| format!("cannot write {}", keep.display()))?;
    }
    interrupts.exit_on_next(work.to_path_buf(), program_code);
    show(opts, trace, binary, ending)
}

/// How the program ended, for the check.
pub struct ProgramEnd<'a> {
    /// The program's name (the JUnit suite's).
    pub name: &'a str,
    pub outcome: Outcome,
    pub program_code: i32,
    pub crashed: Option<crate::trace::GoId>,
}

/// What the program's helper files report beside the trace: a deadlock the watch saw, a
/// crash's report (Go 1.23+). Both files live in gotrace's temporary directory.
struct Watch {
    report: PathBuf,
    crash: PathBuf,
    timer_funcs: Option<String>,
}

impl Watch {
    fn new(work: &Path, plan: &Plan) -> Watch {
        let timer_funcs = match plan {
            Plan::Instrument { timer_funcs, .. } => Some(timer_funcs.clone()),
            _ => None,
        };
        Watch { report: work.join("report.txt"), crash: work.join("crash.txt"), timer_funcs }
    }

    /// The environment that turns the watch on, for an instrumented program. Go 1.22+ also
    /// completes a generation of the trace every 100 ms instead of every second, so that a
    /// crash loses little of it. A program that starts its own trace has no helper to switch
    /// a patched runtime's channel events on: the environment does.
    fn env(&self, go: &Go) -> Vec<(OsString, OsString)> {
        let Some(timer_funcs) = &self.timer_funcs else {
            return crate::setup::patched::godebug_for(go).map(|g| ("GODEBUG".into(), g.into())).into_iter().collect();
        };
        let mut env = vec![
            (instrument::REPORT_FILE_ENV.into(), self.report.clone().into_os_string()),
            (instrument::CRASH_FILE_ENV.into(), self.crash.clone().into_os_string()),
            (instrument::TIMER_FUNCS_ENV.into(), timer_funcs.into()),
        ];
        if let Some(godebug) = crate::toolchain::godebug_with("traceadvanceperiod=100000000") {
            env.push(("GODEBUG".into(), godebug.into()));
        }
        env
    }

    /// The goroutine dump of a deadlock, when the watch ended the program for one.
    fn deadlock(&self) -> Option<String> {
        std::fs::read_to_string(&self.report).ok()?.strip_prefix("deadlock\n").map(str::to_owned)
    }

    /// Go's report of a crash, when the program crashed.
    fn crash_report(&self) -> Option<String> {
        std::fs::read_to_string(&self.crash).ok().filter(|r| !r.trim().is_empty())
    }

    /// How the program ended, said on stderr unless it simply succeeded, and the exit code
    /// to pass on.
    fn outcome(&self, ended: &exec::Ended, timeout: Option<Duration>) -> (Outcome, i32) {
        if let Some(dump) = self.deadlock().filter(|_| !ended.timed_out && !ended.interrupted) {
            eprint!("{}", check::deadlock_report(&dump));
            eprintln!("gotrace: ended the program: every goroutine was blocked with nothing left to wake it");
            return (Outcome::Deadlock, 2);
        }
        let code = report_end(ended, timeout);
        let outcome = if ended.timed_out {
            Outcome::Timeout
        } else if ended.interrupted {
            Outcome::Interrupted
        } else if self.crash_report().is_some() {
            Outcome::Panic
        } else if ended.status.code().is_none() {
            Outcome::Signal
        } else {
            Outcome::Exited
        };
        (outcome, code)
    }
}

/// Runs the built program with its trace going to `trace`, directly or through its stderr.
fn run_program(
    opts: &RunOptions,
    binary: &Path,
    trace: &Path,
    trace_on_stderr: bool,
    env: &[(OsString, OsString)],
    interrupts: &Interrupts,
) -> anyhow::Result<exec::Ended> {
    let mut spec = exec::Spec { binary, args: &opts.args, trace_file: None, stderr: None, timeout: opts.timeout, env };
    if trace_on_stderr {
        spec.stderr = Some(File::create(trace).with_context(|| format!("cannot create {}", trace.display()))?);
    } else {
        spec.trace_file = Some(trace);
    }
    exec::run(spec, interrupts)
}

/// Checks the trace and hands it to the viewer; the program's failure, if any, decides the
/// exit code, and with `--check` also what it left stuck.
fn show(opts: &RunOptions, trace: &Path, binary: &Path, ending: &ProgramEnd) -> anyhow::Result<i32> {
    let program_code = ending.program_code;
    let checked = crate::model::load(trace, Some(binary), opts.view.all).and_then(|mut model| {
        let found = check::check(&model, ending.outcome, ending.crashed, &opts.check.ignore);
        check::report(&found, ending.name, &opts.check, false)?;
        let code = if opts.check.fail { check::exit_status(&found, program_code) } else { program_code };
        model.check = Some(found);
        crate::view::show(model, &opts.view)?;
        Ok(code)
    });
    match checked {
        Ok(code) => Ok(code),
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
pub fn build(go: &GoChoice, targets: &[OsString], output: Option<&Path>) -> anyhow::Result<()> {
    let _interrupts = Interrupts::catch();
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

fn prepare(go: &GoChoice, targets: &[OsString]) -> anyhow::Result<(Go, Target)> {
    let go = crate::setup::find_go(go)?;
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
