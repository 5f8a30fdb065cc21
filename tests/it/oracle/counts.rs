//! The fields of `gotrace inspect --json` that Go's own tools can confirm.

use std::collections::BTreeMap;

/// One reading of a trace, by gotrace or by a Go tool. `None` marks what a reader cannot
/// tell (e.g. the start functions in a go 1.5 trace without its binary).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: u64,
    pub user_created: Option<u64>,
    pub blocks_total: u64,
    pub blocks_by_reason: BTreeMap<String, u64>,
    pub unblocks: u64,
    pub duration_ns: Option<u64>,
}

/// A field where `ours` disagrees with `go`, as "field: gotrace X, go Y".
pub fn differences(ours: &Counts, go: &Counts) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |field: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{field}: gotrace {a}, go {b}"));
        }
    };
    check("goroutines.created", ours.created.to_string(), go.created.to_string());
    if let Some(go_user) = go.user_created {
        check("goroutines.user_created", fmt_opt(ours.user_created), go_user.to_string());
    }
    check("blocks.total", ours.blocks_total.to_string(), go.blocks_total.to_string());
    let reasons = ours.blocks_by_reason.keys().chain(go.blocks_by_reason.keys());
    for reason in reasons.collect::<std::collections::BTreeSet<_>>() {
        let n = |m: &BTreeMap<String, u64>| m.get(reason).copied().unwrap_or(0).to_string();
        check(&format!("blocks.by_reason[{reason:?}]"), n(&ours.blocks_by_reason), n(&go.blocks_by_reason));
    }
    check("unblocks.total", ours.unblocks.to_string(), go.unblocks.to_string());
    if let Some(go_duration) = go.duration_ns {
        check("duration_ns", fmt_opt(ours.duration_ns), go_duration.to_string());
    }
    out
}

fn fmt_opt(v: Option<u64>) -> String {
    v.map_or_else(|| "(none)".to_string(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts() -> Counts {
        Counts {
            created: 2,
            user_created: Some(2),
            blocks_total: 3,
            blocks_by_reason: [("chan send".to_string(), 3)].into(),
            unblocks: 3,
            duration_ns: Some(1_000_000),
        }
    }

    #[test]
    fn equal_counts_have_no_differences() {
        assert!(differences(&counts(), &counts()).is_empty());
    }

    #[test]
    fn every_field_is_compared() {
        let go = counts();
        let mut ours = counts();
        ours.created = 3;
        ours.user_created = Some(1);
        ours.blocks_total = 4;
        ours.blocks_by_reason.insert("forever".into(), 1);
        ours.unblocks = 0;
        ours.duration_ns = Some(2_000_000);
        let d = differences(&ours, &go);
        assert_eq!(d.len(), 6, "{d:#?}");
        assert!(d.iter().any(|l| l == "blocks.by_reason[\"forever\"]: gotrace 1, go 0"), "{d:#?}");
    }

    #[test]
    fn unknown_go_fields_are_not_compared() {
        let mut go = counts();
        go.user_created = None;
        go.duration_ns = None;
        let mut ours = counts();
        ours.user_created = Some(0);
        ours.duration_ns = Some(7);
        assert!(differences(&ours, &go).is_empty());
    }
}
