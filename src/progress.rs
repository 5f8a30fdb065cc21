//! Spinners for gotrace's own steps, on stderr and only when stderr is a terminal (CI logs
//! and pipes stay clean). Nothing spins while the program runs: the terminal is the program's.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Step(Option<ProgressBar>);

impl Step {
    pub fn start(message: &str) -> Step {
        if !std::io::stderr().is_terminal() {
            return Step(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        Step(Some(bar))
    }
}

impl Step {
    /// Replaces the step's message, e.g. with the last line of a log that streams in.
    pub fn say(&self, message: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.to_owned());
        }
    }

    /// Shows how many events were read so far; cheap enough to call for every event.
    #[inline]
    pub fn events(&self, n: u64) {
        if n.is_multiple_of(1 << 20) {
            if let Some(bar) = &self.0 {
                bar.set_message(format!("reading the trace: {} M events", n >> 20));
            }
        }
    }
}

impl Step {
    /// Replaces the message, e.g. with the latest line of a long build.
    pub fn set_message(&self, message: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.to_owned());
        }
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// A bar of bytes received (a download), on stderr when it is a terminal.
pub struct Bytes(Option<ProgressBar>);

impl Bytes {
    /// `total` when the size is known, `done` bytes already there (a resumed download).
    pub fn start(message: &str, total: Option<u64>, done: u64) -> Bytes {
        if !std::io::stderr().is_terminal() {
            return Bytes(None);
        }
        let bar = total.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
        let template = if total.is_some() {
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}"
        } else {
            "{spinner} {msg} {bytes} {bytes_per_sec}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message.to_owned());
        bar.set_position(done);
        Bytes(Some(bar))
    }

    pub fn advance(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }
}

impl Drop for Bytes {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
