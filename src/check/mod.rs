//! Findings about how a program ended: the goroutines it left stuck (leaks, or a deadlock's
//! stuck goroutines) from the model of its trace, how it ended, and the reports CI reads
//! (text on stderr, JUnit XML, GitHub Actions annotations).

pub mod github;
pub mod junit;
mod report;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use anyhow::Context;

use crate::model::{Check, Frame, Leak, Model, Outcome, State};
use crate::trace::GoId;

pub use report::{deadlock_report, leak_report};

/// Block reasons (as Go's tool names them) that only another goroutine can end.
const STUCK_REASONS: &[&str] = &["chan receive", "chan send", "select", "sync", "sync.(*Cond).Wait", "forever"];

/// Start functions of goroutines that are never the program's leaks: gotrace's helper, the
/// runtime, the tracer, os/signal and the testing package.
const NEVER_LEAKS: &[&str] = &["main._gotrace", "runtime.", "runtime/trace.", "os/signal.", "testing."];

/// Frames skipped to find where the program blocks: the primitive's own, not the caller's.
const PRIMITIVE_FRAMES: &[&str] = &["runtime.", "sync.", "internal/"];

/// What the user asked of the check (`--check`, `--ignore`, `--junit`).
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Leaks fail the run (exit status 3).
    pub fail: bool,
    /// More functions whose goroutines are never leaks.
    pub ignore: Vec<String>,
    /// Write JUnit XML here.
    pub junit: Option<PathBuf>,
}

/// Tells `check` of the program `name` where CI looks: leaks on stderr, GitHub Actions
/// annotations on stdout when running there (not when stdout carries JSON), the JUnit file
/// when asked for.
pub fn report(check: &Check, name: &str, opts: &CheckOptions, json: bool) -> anyhow::Result<()> {
    if !check.leaks.is_empty() && check.outcome != Outcome::Deadlock {
        eprint!("{}", leak_report(&check.leaks));
    }
    if github::active() && !json {
        print!("{}", github::annotations(check));
    }
    if let Some(path) = &opts.junit {
        std::fs::write(path, junit::document(name, check)).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The check of `model`, whose program ended as `outcome`; goroutines whose start function
/// or blocking stack names a function of `ignore` are not reported.
pub fn check(model: &Model, outcome: Outcome, crashed: Option<GoId>, ignore: &[String]) -> Check {
    Check { outcome, leaks: leaks(model, ignore), crashed }
}

/// The goroutines still blocked where only another goroutine could wake them when the trace
/// ended, grouped by reason, where they block and where they were created; earliest first.
pub fn leaks(model: &Model, ignore: &[String]) -> Vec<Leak> {
    let mut last = BTreeMap::new();
    for s in &model.segments {
        last.insert(s.goroutine, s); // segments come in the order they ended
    }
    let mut groups: HashMap<(String, Option<Frame>, Option<Frame>), Leak> = HashMap::new();
    for g in model.goroutines.iter().filter(|g| g.end_ns.is_none() && !g.system) {
        let Some(s) = last.get(&g.id).filter(|s| s.state == State::Blocked) else { continue };
        let reason = s.reason.as_deref().unwrap_or_default();
        let stack = s.stack.map_or(&[][..], |r| model.stacks[r.index()].as_slice());
        let named = |f: &str| g.name == f || stack.iter().any(|frame| frame.func == f);
        if !STUCK_REASONS.contains(&reason)
            || NEVER_LEAKS.iter().any(|p| g.name.starts_with(p))
            || stack.iter().any(|f| f.func.starts_with("main._gotrace"))
            || ignore.iter().any(|f| named(f.as_str()))
        {
            continue;
        }
        let blocked_at = stack.iter().find(|f| !PRIMITIVE_FRAMES.iter().any(|p| f.func.starts_with(p))).or(stack.first()).cloned();
        let created_at = g.create_stack.and_then(|r| model.stacks[r.index()].first()).cloned();
        let leak = groups.entry((reason.to_owned(), blocked_at.clone(), created_at.clone())).or_insert_with(|| Leak {
            count: 0,
            goroutines: Vec::new(),
            reason: reason.to_owned(),
            blocked_at,
            created_at,
            since_ns: s.start_ns,
        });
        leak.count += 1;
        leak.goroutines.push(g.id);
        leak.since_ns = leak.since_ns.min(s.start_ns);
    }
    let mut leaks: Vec<Leak> = groups.into_values().collect();
    leaks.sort_by_key(|l| (l.since_ns, l.goroutines[0]));
    leaks
}

/// `gotrace check TRACE [BINARY]`: the findings for an existing trace (or model file), as text
/// on stderr or, with `json`, the `check` object on stdout. Returns the exit status: 3 when
/// goroutines leaked, 2 when they deadlocked, else 0.
pub fn run(trace: &std::path::Path, binary: Option<&std::path::Path>, json: bool, opts: &CheckOptions) -> anyhow::Result<i32> {
    let model = crate::model::load(trace, binary, false)?;
    // A model file that `gotrace run` wrote knows how its program ended; a trace alone does not.
    let (outcome, crashed) = model.check.as_ref().map_or((Outcome::Exited, None), |c| (c.outcome, c.crashed));
    let found = check(&model, outcome, crashed, &opts.ignore);
    if json {
        let mut text = serde_json::to_string_pretty(&found).context("cannot encode the check")?;
        text.push('\n');
        crate::output::write_stdout(text.as_bytes())?;
    } else if found.leaks.is_empty() {
        eprintln!("gotrace: {}: no leaked goroutines (outcome: {})", trace.display(), outcome.name());
    }
    let name = trace.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    report(&found, &name, opts, json)?;
    Ok(exit_status(&found, 0))
}

/// The goroutine that a Go crash report (`panic: …` / `fatal error: …`, then the goroutines)
/// names first: the one that crashed.
pub fn crashed_goroutine(report: &str) -> Option<GoId> {
    report.lines().find_map(|l| l.strip_prefix("goroutine ")?.split(' ').next()?.parse().ok())
}

/// The exit status `--check` asks for: the program's own when it failed, 2 on a deadlock, 3 when
/// it succeeded but leaked goroutines.
pub fn exit_status(check: &Check, program_code: i32) -> i32 {
    match check.outcome {
        Outcome::Deadlock => 2,
        _ if program_code != 0 => program_code,
        Outcome::Exited if !check.leaks.is_empty() => 3,
        _ => program_code,
    }
}

#[cfg(test)]
mod tests;
