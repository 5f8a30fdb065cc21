//! Runs the built program with the user's stdin, stdout and (unless the trace goes there)
//! stderr, and stops it on `--timeout` or Ctrl-C in a way that lets it complete its trace:
//! SIGINT first (the inserted code stops the trace and ends the program), SIGKILL after a grace
//! period.

use std::ffi::OsString;
use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::instrument::TRACE_FILE_ENV;
use crate::interrupts::Interrupts;

/// How long a program has to end after SIGINT before it is killed.
const GRACE: Duration = Duration::from_secs(3);
/// How often the child is checked; short, since it adds to every run's wall time.
const POLL: Duration = Duration::from_millis(2);

pub struct Spec<'a> {
    pub binary: &'a Path,
    pub args: &'a [OsString],
    /// Where the inserted code writes the trace; `None`: to the program's stderr.
    pub trace_file: Option<&'a Path>,
    /// Where the program's stderr goes instead of the user's (the trace, in stderr mode).
    pub stderr: Option<File>,
    pub timeout: Option<Duration>,
    /// More environment for the program.
    pub env: &'a [(OsString, OsString)],
}

pub struct Ended {
    pub status: ExitStatus,
    /// gotrace stopped the program because `--timeout` passed.
    pub timed_out: bool,
    /// The user interrupted it (Ctrl-C).
    pub interrupted: bool,
}

pub fn run(spec: Spec, _interrupts: &Interrupts) -> anyhow::Result<Ended> {
    let mut cmd = Command::new(spec.binary);
    cmd.args(spec.args).envs(spec.env.iter().map(|(k, v)| (k, v)));
    match spec.trace_file {
        Some(path) => cmd.env(TRACE_FILE_ENV, path),
        None => cmd.env_remove(TRACE_FILE_ENV),
    };
    if let Some(file) = spec.stderr {
        cmd.stderr(Stdio::from(file));
    }
    let child = cmd.spawn().map_err(|source| super::RunError::CannotStart { binary: spec.binary.to_path_buf(), source })?;
    supervise(child, spec.timeout)
}

/// Waits for `child`, stopping it when the deadline passes or the user interrupts gotrace.
fn supervise(mut child: Child, timeout: Option<Duration>) -> anyhow::Result<Ended> {
    let started = Instant::now();
    let mut stopping_since: Option<Instant> = None;
    let mut timed_out = false;
    let mut interrupts_seen = crate::interrupts::signals::count();
    let before = interrupts_seen;
    loop {
        if let Some(status) = child.try_wait().context("cannot wait for the program")? {
            return Ok(Ended { status, timed_out, interrupted: interrupts_seen > before });
        }
        let interrupts = crate::interrupts::signals::count();
        if interrupts > interrupts_seen {
            // A terminal's Ctrl-C reaches the program too; forwarding covers `kill -INT gotrace`.
            interrupts_seen = interrupts;
            stopping_since.get_or_insert_with(Instant::now);
            crate::interrupts::signals::interrupt(&mut child, interrupts > before + 1);
        }
        if !timed_out && timeout.is_some_and(|t| started.elapsed() >= t) {
            timed_out = true;
            stopping_since = Some(Instant::now());
            crate::interrupts::signals::interrupt(&mut child, false);
        }
        if stopping_since.is_some_and(|since| since.elapsed() >= GRACE) {
            let _ = child.kill();
        }
        std::thread::sleep(POLL);
    }
}

/// The exit code gotrace passes on for `status`: the program's own, or 128+signal.
pub fn exit_code(status: &ExitStatus) -> i32 {
    if let Some(code) = status.code() {
        return code;
    }
    crate::interrupts::signals::number(status).map_or(1, |sig| 128 + sig)
}

/// "exited with status 3", "was killed by signal 9 (SIGKILL)".
pub fn describe(status: &ExitStatus) -> String {
    match (status.code(), crate::interrupts::signals::number(status)) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => format!("was killed by signal {sig}{}", crate::interrupts::signals::name(sig)),
        (None, None) => "ended abnormally".to_owned(),
    }
}
