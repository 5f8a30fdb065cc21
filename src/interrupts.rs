//! Ctrl-C and SIGTERM while gotrace works (the program runs, a container runs, the viewer
//! serves), and the signals gotrace sends the program and reads from how it ended.

use std::path::PathBuf;
use std::time::Duration;

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

#[cfg(unix)]
pub mod signals {
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
pub mod signals {
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
