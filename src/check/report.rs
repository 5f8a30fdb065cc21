//! The findings as a person reads them on stderr.

use std::fmt::Write;

use crate::model::{Frame, Leak};

/// A deadlock in Go's own words: its fatal error, then the stuck goroutines as the program's
/// goroutine dump (`dump`) gives them: id, reason, where each blocks, where it was created.
pub fn deadlock_report(dump: &str) -> String {
    format!("fatal error: all goroutines are asleep - deadlock!\n\n{}\n", dump.trim_end())
}

/// The leaked goroutines, group by group, goleak-like but with how many and since when.
pub fn leak_report(leaks: &[Leak]) -> String {
    let total: usize = leaks.iter().map(|l| l.count).sum();
    let mut out = format!("gotrace: found {total} leaked goroutine{} in {} group{}:\n", plural(total), leaks.len(), plural(leaks.len()));
    for leak in leaks {
        let ids: Vec<String> = leak.goroutines.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "  {} × [{}] since {}: goroutine{} {}",
            leak.count,
            leak.reason,
            millis(leak.since_ns),
            plural(leak.count),
            ids.join(", ")
        );
        let _ = writeln!(out, "      blocked at {}", place(leak.blocked_at.as_ref()));
        let _ = writeln!(out, "      created at {}", place(leak.created_at.as_ref()));
    }
    out
}

/// "main.worker (/src/main.go:12)".
pub fn place(frame: Option<&Frame>) -> String {
    frame.map_or_else(|| "(unknown: the trace has no stack there)".to_owned(), |f| format!("{} ({}:{})", f.func, f.file, f.line))
}

/// "12.345 ms" from the start of the trace.
pub fn millis(ns: u64) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
