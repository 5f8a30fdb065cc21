//! Runs the built program with the user's stdin, stdout and (unless the trace goes there)
//! stderr, and stops it on `--timeout` or Ctrl-C in a way that lets it complete its trace:
//! SIGINT first (the inserted code stops the trace and ends the program), SIGKILL after a grace
//! period.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::instrument::TRACE_FILE_ENV;

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

/// Ctrl-C and SIGTERM while gotrace works: counted instead of killing gotrace (which would
/// leave its temporary files behind), for as long as this lives.
pub struct Interrupts {
    _catch: signals::Catch,
}

impl Interrupts {
    pub fn catch() -> Interrupts {
        Interrupts { _catch: signals::Catch::install() }
    }

    pub fn happened(&self) -> bool {
        signals::count() > 0
    }

    /// From now on the next interrupt removes `work` and ends gotrace with `code`: the
    /// viewer may serve until the user presses Ctrl-C.
    pub fn exit_on_next(&self, work: PathBuf, code: i32) {
        let seen = signals::count();
        std::thread::spawn(move || loop {
            if signals::count() > seen {
                let _ = std::fs::remove_dir_all(&work);
                std::process::exit(code);
            }
            std::thread::sleep(Duration::from_millis(50));
        });
    }
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
    let mut interrupts_seen = signals::count();
    let before = interrupts_seen;
    loop {
        if let Some(status) = child.try_wait().context("cannot wait for the program")? {
            return Ok(Ended { status, timed_out, interrupted: interrupts_seen > before });
        }
        let interrupts = signals::count();
        if interrupts > interrupts_seen {
            // A terminal's Ctrl-C reaches the program too; forwarding covers `kill -INT gotrace`.
            interrupts_seen = interrupts;
            stopping_since.get_or_insert_with(Instant::now);
            signals::interrupt(&mut child, interrupts > before + 1);
        }
        if !timed_out && timeout.is_some_and(|t| started.elapsed() >= t) {
            timed_out = true;
            stopping_since = Some(Instant::now());
            signals::interrupt(&mut child, false);
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
    signals::number(status).map_or(1, |sig| 128 + sig)
}

/// "exited with status 3", "was killed by signal 9 (SIGKILL)".
pub fn describe(status: &ExitStatus) -> String {
    match (status.code(), signals::number(status)) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => format!("was killed by signal {sig}{}", signals::name(sig)),
        (None, None) => "ended abnormally".to_owned(),
    }
}

#[cfg(unix)]
mod signals {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Child, ExitStatus};
    use std::sync::atomic::{AtomicUsize, Ordering};

    static INTERRUPTS: AtomicUsize = AtomicUsize::new(0);

    extern "C" fn on_signal(_: libc::c_int) {
        INTERRUPTS.fetch_add(1, Ordering::SeqCst);
    }

    /// SIGINT/SIGTERM are counted instead of ending gotrace while the program runs; the
    /// defaults come back when this is dropped. A handler (not SIG_IGN) is used so that the
    /// program, after exec, starts with the default disposition.
    pub struct Catch(());

    impl Catch {
        pub fn install() -> Catch {
            INTERRUPTS.store(0, Ordering::SeqCst);
            let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // SAFETY: the handler only touches an atomic, which is async-signal-safe.
            unsafe {
                libc::signal(libc::SIGINT, handler);
                libc::signal(libc::SIGTERM, handler);
            }
            Catch(())
        }
    }

    impl Drop for Catch {
        fn drop(&mut self) {
            // SAFETY: restoring the default disposition.
            unsafe {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::signal(libc::SIGTERM, libc::SIG_DFL);
            }
        }
    }

    pub fn count() -> usize {
        INTERRUPTS.load(Ordering::SeqCst)
    }

    /// SIGINT to the program, or SIGKILL when `hard`.
    pub fn interrupt(child: &mut Child, hard: bool) {
        if hard {
            let _ = child.kill();
            return;
        }
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: plain kill(2) on our own child, which has not been reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGINT);
            }
        }
    }

    pub fn number(status: &ExitStatus) -> Option<i32> {
        status.signal()
    }

    pub fn name(sig: i32) -> &'static str {
        match sig {
            libc::SIGINT => " (SIGINT)",
            libc::SIGKILL => " (SIGKILL)",
            libc::SIGTERM => " (SIGTERM)",
            libc::SIGABRT => " (SIGABRT)",
            libc::SIGSEGV => " (SIGSEGV)",
            _ => "",
        }
    }
}

#[cfg(not(unix))]
mod signals {
    use std::process::{Child, ExitStatus};

    pub struct Catch(());

    impl Catch {
        pub fn install() -> Catch {
            Catch(())
        }
    }

    pub fn count() -> usize {
        0
    }

    /// Without signals the program can only be killed (its trace then ends where it was cut).
    pub fn interrupt(child: &mut Child, _hard: bool) {
        let _ = child.kill();
    }

    pub fn number(_: &ExitStatus) -> Option<i32> {
        None
    }

    pub fn name(_: i32) -> &'static str {
        ""
    }
}
