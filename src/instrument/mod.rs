//! Instrumentation: a rewritten copy of the Go file holding `func main`, plus one generated
//! file for the same package, so that the program writes an execution trace. The user's files
//! are only read.
//!
//! Every position in the user's code stays where it was, for compiler errors and panics alike:
//! insertions go onto existing lines, each followed by a `/*line FILE:L:C*/` directive restoring
//! the original position, and a directive before `package` names the user's file instead of the
//! copy. Imports the inserted calls need live in the generated file.

mod source;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

pub use source::GoFile;

/// The generated file added to package main: the trace's start and stop, built by every Go.
pub const HELPER_SOURCE: &str = include_str!("helper.go");

/// The generated files added to package main for Go 1.`minor` (`None`: a development Go),
/// as (name, source): [`HELPER_SOURCE`] and the parts that depend on the Go. Chosen here
/// rather than by build constraints, which Go ignores in files named on its command line.
pub fn helper_sources(minor: Option<u32>) -> Vec<(&'static str, &'static str)> {
    // runtime/debug.SetCrashOutput came with Go 1.23.
    let crash = if minor.is_none_or(|m| m >= 23) { include_str!("helper_crash.go") } else { include_str!("helper_nocrash.go") };
    let mut files = vec![("zz_gotrace.go", HELPER_SOURCE), ("zz_gotrace_crash.go", crash)];
    // The original's Go 1.6 is the only Go older than 1.16 gotrace builds with: its standard
    // library has no room for the watch (strings.Cut, os.WriteFile, ...), and its patched
    // runtime needs no switch for the channel events.
    if minor.is_some_and(|m| m < 16) {
        files.push(("zz_gotrace_go16.go", include_str!("helper_go16.go")));
    } else {
        files.push(("zz_gotrace_watch.go", include_str!("helper_watch.go")));
        files.push(("zz_gotrace_chanops.go", include_str!("helper_chanops.go")));
    }
    files
}

/// The environment variable the instrumented program reads its trace path from.
pub const TRACE_FILE_ENV: &str = "GOTRACE_TRACE_FILE";
/// Where the deadlock watch writes its report; the watch runs only when this is set.
pub const REPORT_FILE_ENV: &str = "GOTRACE_REPORT_FILE";
/// Where a crash's report is copied (Go 1.23+).
pub const CRASH_FILE_ENV: &str = "GOTRACE_CRASH_FILE";
/// `FILE:FROM:TO` lines: the functions where the watch takes a receive or `select` for a
/// wait a timer may end.
pub const TIMER_FUNCS_ENV: &str = "GOTRACE_TIMER_FUNCS";

/// What to do with a package's files.
#[derive(Debug)]
pub enum Plan {
    /// Build with `file` replaced by `source` and the helper files added. `timer_funcs` is
    /// the value of [`TIMER_FUNCS_ENV`] for the program.
    Instrument { file: PathBuf, source: String, timer_funcs: String },
    /// The program starts a trace itself: build it untouched and read the trace from stderr.
    OwnTrace,
    /// Go will refuse the source (syntax errors): build it untouched so that Go explains.
    AsIs,
}

/// Plans the instrumentation of the package made of `files` (absolute paths with contents).
pub fn plan(files: &[(PathBuf, String)]) -> anyhow::Result<Plan> {
    let mut main = None;
    let mut timer_funcs = String::new();
    for (path, text) in files {
        let parsed = source::analyze(text).context("cannot start the Go parser")?;
        if parsed.has_error {
            return Ok(Plan::AsIs);
        }
        if parsed.starts_trace {
            return Ok(Plan::OwnTrace);
        }
        for (from, to) in &parsed.timer_funcs {
            timer_funcs.push_str(&format!("{}:{from}:{to}\n", path.display()));
        }
        if parsed.package == "main" && parsed.main.is_some() && main.is_none() {
            main = Some((path, text, parsed));
        }
    }
    let Some((path, text, parsed)) = main else {
        bail!("no `func main` in package main among {}", describe(files));
    };
    Ok(Plan::Instrument { file: path.clone(), source: rewrite(path, text, &parsed)?, timer_funcs })
}

fn describe(files: &[(PathBuf, String)]) -> String {
    files.iter().map(|(p, _)| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// The instrumented text of `text`, the file at `path` whose analysis is `parsed`.
pub fn rewrite(path: &Path, text: &str, parsed: &GoFile) -> anyhow::Result<String> {
    let Some(main) = &parsed.main else { bail!("{} has no func main", path.display()) };
    let name = path.to_str().with_context(|| format!("{}: gotrace needs file names in UTF-8", path.display()))?;
    if name.contains("*/") || name.contains('\n') {
        bail!("{name}: file name cannot appear in a line directive");
    }
    let directive = |point: tree_sitter::Point| format!("/*line {name}:{}:{}*/", point.row + 1, point.column + 1);

    // (start, end, replacement), applied in order of position.
    let mut edits: Vec<(usize, usize, String)> = Vec::with_capacity(main.exits.len() + 2);
    edits.push((parsed.package_start, parsed.package_start, directive(parsed.package_point)));
    let start = format!(" _gotraceStart(); defer _gotraceStop();{}", directive(main.after_brace_point));
    edits.push((main.after_brace, main.after_brace, start));
    for exit in &main.exits {
        edits.push((exit.start, exit.end, format!("{}{}", exit.helper, directive(exit.end_point))));
    }
    edits.sort_by_key(|&(start, end, _)| (start, end));

    let mut out = String::with_capacity(text.len() + edits.iter().map(|e| e.2.len()).sum::<usize>());
    let mut done = 0;
    for (start, end, replacement) in &edits {
        let kept = text.get(done..*start).context("overlapping edits")?;
        out.push_str(kept);
        out.push_str(replacement);
        done = *end;
    }
    out.push_str(text.get(done..).unwrap_or_default());
    keep_imports_used(&mut out, text, &main.exits);
    Ok(out)
}

/// Replacing `os.Exit(...)` by a helper call may leave `os` imported and unused, which Go
/// refuses. One `var _ = os.Exit` per replaced function, after the user's last line (so no
/// line moves), keeps each import used.
fn keep_imports_used(out: &mut String, text: &str, exits: &[source::ExitCall]) {
    let mut used: Vec<&str> = exits.iter().filter_map(|e| text.get(e.start..e.end)).collect();
    used.sort_unstable();
    used.dedup();
    if !used.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for function in used {
        out.push_str("var _ = ");
        out.push_str(function);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests;
