//! JUnit XML, which CI systems show as test results: one test case for how the program ended
//! and one failing test case per group of leaked goroutines.

use std::fmt::Write;

use super::report::{millis, place};
use crate::model::{Check, Outcome};

/// The JUnit document of `check` for the program called `name`.
pub fn document(name: &str, check: &Check) -> String {
    let ended_badly = matches!(check.outcome, Outcome::Deadlock | Outcome::Panic);
    let failures = check.leaks.len() + usize::from(ended_badly);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites>\n  <testsuite name=\"gotrace {}\" tests=\"{}\" failures=\"{failures}\">",
        xml(name),
        check.leaks.len() + 1
    );
    let _ = write!(out, "    <testcase classname=\"gotrace.outcome\" name=\"{}\">", check.outcome.name());
    if ended_badly {
        let _ = write!(out, "<failure message=\"the program ended in a {}\"/>", check.outcome.name());
    }
    out.push_str("</testcase>\n");
    for leak in &check.leaks {
        let blocked = place(leak.blocked_at.as_ref());
        let message = format!("{} goroutine(s) stuck in [{}] since {}", leak.count, leak.reason, millis(leak.since_ns));
        let ids: Vec<String> = leak.goroutines.iter().map(u64::to_string).collect();
        let detail = format!("blocked at {blocked}\ncreated at {}\ngoroutines {}", place(leak.created_at.as_ref()), ids.join(", "));
        let _ = writeln!(
            out,
            "    <testcase classname=\"gotrace.leaks\" name=\"{}\"><failure message=\"{}\">{}</failure></testcase>",
            xml(&blocked),
            xml(&message),
            xml(&detail)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
