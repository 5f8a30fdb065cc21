//! GitHub Actions workflow commands: one `::error file=…,line=…::` line per finding, which the
//! job's page shows on the line of the source it names.

use super::report::{millis, place};
use crate::model::{Check, Outcome};

/// Whether gotrace runs as a step of a GitHub Actions job.
pub fn active() -> bool {
    std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true")
}

/// The annotations of `check`, one line each.
pub fn annotations(check: &Check) -> String {
    let mut out = String::new();
    let what = if check.outcome == Outcome::Deadlock { "stuck in a deadlock" } else { "leaked" };
    for leak in &check.leaks {
        let location = leak.blocked_at.as_ref().map(|f| format!(" file={},line={}", escape_property(&f.file), f.line)).unwrap_or_default();
        let message = format!(
            "{} goroutine(s) {what}: [{}] since {}, blocked at {}, created at {}",
            leak.count,
            leak.reason,
            millis(leak.since_ns),
            place(leak.blocked_at.as_ref()),
            place(leak.created_at.as_ref())
        );
        out.push_str(&format!("::error{location}::{}\n", escape_data(&message)));
    }
    out
}

/// Workflow-command escaping of a message (`%`, CR, LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Workflow-command escaping of a property value (also `:` and `,`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
