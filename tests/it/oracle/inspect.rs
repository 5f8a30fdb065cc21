//! The binary under test, `gotrace inspect FILE --json`, read into [`Counts`].

use std::path::Path;

use super::counts::Counts;
use crate::common::gotrace;

/// What gotrace reports about one trace.
pub struct Inspected {
    pub format: String,
    pub counts: Counts,
}

pub fn inspect(file: &Path) -> Result<Inspected, String> {
    let out = gotrace().arg("inspect").arg(file).arg("--json").output().map_err(|e| format!("cannot run gotrace: {e}"))?;
    if !out.status.success() {
        return Err(format!("gotrace inspect failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim()));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("gotrace inspect --json printed no JSON: {e}"))?;
    let num = |ptr: &str| json.pointer(ptr).and_then(|v| v.as_u64()).ok_or(format!("gotrace JSON has no number at {ptr}"));
    let by_reason = json
        .pointer("/blocks/by_reason")
        .and_then(|v| v.as_object())
        .ok_or("gotrace JSON has no blocks.by_reason")?
        .iter()
        .map(|(reason, n)| n.as_u64().map(|n| (reason.clone(), n)).ok_or(format!("blocks.by_reason[{reason:?}] is no number")))
        .collect::<Result<_, _>>()?;
    Ok(Inspected {
        format: json.pointer("/format").and_then(|v| v.as_str()).ok_or("gotrace JSON has no format")?.to_string(),
        counts: Counts {
            created: num("/goroutines/created")?,
            user_created: Some(num("/goroutines/user_created")?),
            blocks_total: num("/blocks/total")?,
            blocks_by_reason: by_reason,
            unblocks: num("/unblocks/total")?,
            duration_ns: Some(num("/duration_ns")?),
        },
    })
}
