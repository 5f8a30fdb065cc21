//! Wake-ups by `close` in stock traces of every Go from 1.19 to 1.27 are messages of kind
//! `close`, not sends, and `inspect` counts them apart. The fixtures (`tests/traces/`, from
//! `tests/programs/rangepong` and `fanin`) close channels that goroutines range over while
//! every receiver waits, so the counts are exact.

use std::collections::BTreeMap;

use crate::common::gotrace;
use crate::common::toolchains::VERSIONS;

/// Every Go of the fixtures, as their file names say it: "1_19", …
fn versions() -> impl Iterator<Item = String> {
    VERSIONS.iter().map(|(v, _)| v.replace('.', "_"))
}

fn trace(program: &str, version: &str) -> String {
    format!("{}/tests/traces/{program}_{version}.trace", env!("CARGO_MANIFEST_DIR"))
}

/// The model's messages of `program`'s trace by Go `version`, counted by kind.
fn kinds(program: &str, version: &str) -> BTreeMap<String, u64> {
    let (model, out) = gotrace().arg("view").arg(trace(program, version)).model();
    assert!(out.status.success(), "{program} {version}: {}", String::from_utf8_lossy(&out.stderr));
    let mut kinds = BTreeMap::new();
    for m in &model.messages {
        let kind = serde_json::to_value(m.kind).unwrap();
        *kinds.entry(kind.as_str().unwrap().to_string()).or_default() += 1;
    }
    kinds
}

fn inspect_json(program: &str, version: &str) -> serde_json::Value {
    let out = gotrace().args(["inspect", "--json"]).arg(trace(program, version)).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn ping_pong_over_a_ranged_table_hands_over_11_values_and_closes_twice() {
    for v in versions() {
        let k = kinds("rangepong", &v);
        assert_eq!((k.get("chan"), k.get("close")), (Some(&11), Some(&2)), "Go {v}: {k:?}");
    }
}

#[test]
fn a_fan_ins_closes_are_closes() {
    // 7 values to the forwarders, 7 forwarded to main, 2 done; the producers' closes end
    // the forwarders' ranges, the merger's close ends main's.
    for v in versions() {
        let k = kinds("fanin", &v);
        assert_eq!((k.get("chan"), k.get("close")), (Some(&16), Some(&3)), "Go {v}: {k:?}");
    }
}

#[test]
fn inspect_counts_closes_apart_in_text_and_json() {
    for v in versions() {
        assert_eq!(inspect_json("rangepong", &v)["unblocks"]["by_close"], 2, "Go {v}");
        assert_eq!(inspect_json("fanin", &v)["unblocks"]["by_close"], 3, "Go {v}");
    }
    let out = gotrace().arg("inspect").arg(trace("rangepong", "1_27")).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().any(|l| l.trim() == "2  by close of a channel"), "{text}");
}
