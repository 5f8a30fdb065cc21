//! Go's debug dumps of a trace, reduced to [`Counts`]. Both reducers are strict: a line they
//! do not understand is an error, so that a changed dump format cannot quietly count zero.

use super::counts::Counts;

/// Block reasons of old-format events, named as Go 1.27's `tracev1.go` names them when it
/// reads old traces (`GoBlock` has no reason there: the empty string).
fn old_block_reason(event: &str) -> Option<&'static str> {
    Some(match event {
        "GoBlockSend" => "chan send",
        "GoBlockRecv" => "chan receive",
        "GoBlockSelect" => "select",
        "GoBlockSync" => "sync",
        "GoBlockCond" => "sync.(*Cond).Wait",
        "GoBlockNet" => "network",
        "GoSleep" => "sleep",
        "GoBlockGC" => "GC mark assist wait for work",
        "GoStop" => "forever",
        "GoBlock" => "",
        _ => return None,
    })
}

/// Whether a goroutine starting in `func` is the user's own (as `gotrace inspect` decides).
fn is_user_function(func: &str) -> bool {
    func.starts_with("main.")
}

/// Old format: `go tool trace -d` of Go 1.19/1.21, one event a line
/// (`TS Name p=P g=G off=O arg=V...`), or the same from `scripts/go-oracle.sh`, which adds
/// `startfn=F` (or `startfn=?`) to GoCreate lines. Events before the first `Gomaxprocs` are
/// the trace-start dump of goroutines that already existed: not creations. The duration is
/// measured as Go 1.27 measures old traces (see below), which gotrace follows.
pub fn old_dump(text: &str) -> Result<Counts, String> {
    let mut c = Counts::default();
    let mut started = false;
    let mut user = Some(0u64);
    let (mut first, mut last) = (None, 0u64);
    for (i, line) in text.lines().enumerate() {
        let bad = || format!("old-format dump line {}: cannot read {line:?}", i + 1);
        let mut words = line.split_whitespace();
        let ts: u64 = words.next().and_then(|w| w.parse().ok()).ok_or_else(bad)?;
        let name = words.next().filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric())).ok_or_else(bad)?;
        if !words.next().is_some_and(|w| w.starts_with("p=")) {
            return Err(bad());
        }
        // Go 1.27 drops the trace-start GoCreates (their goroutines reappear as existing ones
        // at the first Gomaxprocs), so its traces begin at the first other event.
        if started || name != "GoCreate" {
            first.get_or_insert(ts);
        }
        last = last.max(ts);
        match name {
            "Gomaxprocs" => started = true,
            "GoCreate" if started => {
                c.created += 1;
                let start_fn = words.find_map(|w| w.strip_prefix("startfn="));
                user = match (user, start_fn) {
                    (Some(n), Some(f)) if f != "?" => Some(n + u64::from(is_user_function(f))),
                    _ => None,
                };
            }
            "GoUnblock" => c.unblocks += 1,
            _ => {
                if let Some(reason) = old_block_reason(name) {
                    c.blocks_total += 1;
                    *c.blocks_by_reason.entry(reason.to_string()).or_default() += 1;
                }
            }
        }
    }
    let first = first.ok_or("old-format dump without events")?;
    c.user_created = user;
    c.duration_ns = Some(last - first);
    Ok(c)
}

/// New format: `go tool trace -d=1` (Go 1.22/1.23) or `-d=parsed` (1.24+). Events are lines
/// `M=.. P=.. G=.. Kind Time=T ...`, followed by indented stacks. Goroutine state
/// transitions carry the counts: `NotExist->*` is a creation whose `TransitionStack=` starts
/// in the new goroutine's function, `Running->Waiting` a block with its `Reason="..."`,
/// `Waiting->Runnable` an unblock.
pub fn parsed_dump(text: &str) -> Result<Counts, String> {
    let mut c = Counts { user_created: Some(0), ..Counts::default() };
    let (mut first, mut last) = (None, 0u64);
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with("M=") {
            continue;
        }
        let bad = |what: &str| format!("parsed dump line {}: {what} in {line:?}", i + 1);
        let kind = line.split_whitespace().nth(3).ok_or_else(|| bad("no event kind"))?;
        // Sync events mark generation boundaries and clock snapshots, not program activity
        // (and have Time=-1 when Go 1.27 reads an old trace).
        if kind == "Sync" {
            continue;
        }
        let time: u64 = field(line, "Time=").and_then(|t| t.parse().ok()).ok_or_else(|| bad("no Time="))?;
        first = Some(first.map_or(time, |f: u64| f.min(time)));
        last = last.max(time);
        if kind != "StateTransition" || field(line, "GoID=").is_none() {
            continue;
        }
        let transition = line
            .split_whitespace()
            .find(|w| w.contains("->") && !w.contains('='))
            .and_then(|w| w.split_once("->"))
            .ok_or_else(|| bad("no transition"))?;
        match transition {
            ("NotExist", _) => {
                c.created += 1;
                let user = start_function(&lines[i + 1..]).is_some_and(is_user_function);
                c.user_created = c.user_created.map(|n| n + u64::from(user));
            }
            ("Running", "Waiting") => {
                let reason = quoted_reason(line).ok_or_else(|| bad("no Reason=\"...\""))?;
                c.blocks_total += 1;
                *c.blocks_by_reason.entry(reason).or_default() += 1;
            }
            ("Waiting", "Runnable") => c.unblocks += 1,
            _ => {}
        }
    }
    let first = first.ok_or("parsed dump without events")?;
    c.duration_ns = Some(last - first);
    Ok(c)
}

/// The value after ` NAME` up to the next space.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let start = line.find(&format!(" {name}"))? + 1 + name.len();
    line[start..].split(' ').next()
}

/// `Reason="..."`, written with Go's %q: quotes and backslashes are escaped.
fn quoted_reason(line: &str) -> Option<String> {
    let start = line.find(" Reason=\"")? + " Reason=\"".len();
    let mut out = String::new();
    let mut chars = line[start..].chars();
    while let Some(ch) = chars.next() {
        match ch {
            '"' => return Some(out),
            '\\' => out.push(chars.next()?),
            _ => out.push(ch),
        }
    }
    None
}

/// The first function of the `TransitionStack=` that directly follows a transition line
/// (`\tmain.player @ 0x4a8a80`); `None` when the transition has no stack.
fn start_function<'a>(following: &[&'a str]) -> Option<&'a str> {
    match following {
        [head, frame, ..] if *head == "TransitionStack=" => frame.trim().split(" @ ").next(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle-data/");

    fn data(name: &str) -> String {
        std::fs::read_to_string(format!("{DATA}{name}")).unwrap()
    }

    fn reasons(pairs: &[(&str, u64)]) -> std::collections::BTreeMap<String, u64> {
        pairs.iter().map(|&(r, n)| (r.to_string(), n)).collect()
    }

    // Expected values below were counted with grep/awk on the captured outputs.

    #[test]
    fn go_1_21_dump_of_pingpong() {
        let c = old_dump(&data("go1.21_d_pingpong_1_21.txt")).unwrap();
        // Five goroutines of the trace-start dump are not creations; the trace reader and
        // the two players are. `-d` prints no stacks, so start functions are unknown.
        assert_eq!(c.created, 3);
        assert_eq!(c.user_created, None);
        assert_eq!(c.blocks_by_reason, reasons(&[("", 1), ("chan receive", 2), ("chan send", 10)]));
        assert_eq!(c.blocks_total, 13);
        assert_eq!(c.unblocks, 11);
        // From the first event after the trace-start GoCreates (GoWaiting at 3916).
        assert_eq!(c.duration_ns, Some(213_460 - 3_916));
    }

    #[test]
    fn traceoracle_adds_start_functions() {
        let plain = old_dump(&data("go1.21_d_pingpong_1_21.txt")).unwrap();
        let c = old_dump(&data("traceoracle_pingpong_1_21.txt")).unwrap();
        assert_eq!(c.user_created, Some(2));
        assert_eq!(Counts { user_created: None, ..c }, plain);
    }

    #[test]
    fn go_1_5_start_functions_are_unknown_without_the_binary() {
        let c = old_dump(&data("traceoracle_stress_1_5_good_head.txt")).unwrap();
        assert_eq!(c.created, 1);
        assert_eq!(c.user_created, None);
        assert_eq!(c.blocks_by_reason, reasons(&[("", 1), ("sleep", 1)]));
        assert_eq!(c.unblocks, 1);
        assert_eq!(c.duration_ns, Some(142_334 - 3_676));
    }

    #[test]
    fn go_1_22_dump_of_pingpong() {
        let c = parsed_dump(&data("go1.22_d1_pingpong_1_22.txt")).unwrap();
        assert_eq!(c.created, 5);
        assert_eq!(c.user_created, Some(2));
        assert_eq!(c.blocks_by_reason, reasons(&[("chan receive", 3), ("chan send", 10)]));
        assert_eq!(c.blocks_total, 13);
        assert_eq!(c.unblocks, 11);
        assert_eq!(c.duration_ns, Some(426_228_273_152 - 426_227_810_688));
    }

    #[test]
    fn go_1_27_dump_of_pingpong() {
        let c = parsed_dump(&data("go1.27_parsed_pingpong_1_27.txt")).unwrap();
        assert_eq!(c.created, 5);
        assert_eq!(c.user_created, Some(2));
        assert_eq!(c.blocks_by_reason, reasons(&[("chan receive", 4), ("chan send", 10)]));
        assert_eq!(c.unblocks, 11);
        // From the first event after the Sync line, which is no program activity.
        assert_eq!(c.duration_ns, Some(495_887_014_656 - 495_886_782_208));
    }

    #[test]
    fn go_1_27_dump_of_an_old_trace() {
        let c = parsed_dump(&data("go1.27_parsed_stress_1_21_good_head.txt")).unwrap();
        assert_eq!(c.created, 1);
        assert_eq!(c.user_created, Some(0));
        assert_eq!(c.blocks_by_reason, reasons(&[("", 1), ("sleep", 1)]));
        assert_eq!(c.unblocks, 0);
        assert_eq!(c.duration_ns, Some(131_470 - 199));
    }

    #[test]
    fn unreadable_dumps_are_errors_not_zero_counts() {
        assert!(old_dump("").is_err());
        assert!(old_dump("2026/11/29 09:12:29 Parsing trace...\n").is_err());
        assert!(old_dump("12 GoCreate g=1\n").is_err());
        assert!(parsed_dump("").is_err());
        assert!(parsed_dump("M=1 P=0 G=1 StateTransition GoID=1 Running->Waiting Reason=\"x\"\n").is_err());
        assert!(parsed_dump("M=1 P=0 G=1 StateTransition Time=5 GoID=1 Running->Waiting\n").is_err());
    }

    #[test]
    fn reasons_are_unquoted_like_go_quotes_them() {
        let line = r#"M=1 P=0 G=1 StateTransition Time=5 GoID=1 Running->Waiting Reason="a \"b\" \\c""#;
        assert_eq!(quoted_reason(line).as_deref(), Some(r#"a "b" \c"#));
        assert_eq!(quoted_reason(r#"x Reason="sync.(*Cond).Wait""#).as_deref(), Some("sync.(*Cond).Wait"));
    }
}
