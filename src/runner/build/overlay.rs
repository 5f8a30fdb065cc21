//! The build with Go's `-overlay`: the rewritten copy of main's file and the helper files are
//! swapped in for lone files and modules alike, so the module is not copied and Go's messages
//! name the user's paths.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{helper_path, run_go_build};
use crate::instrument::{self, Plan};
use crate::target::Target;
use crate::toolchain::Go;

/// Writes the overlay into `work` and builds `target` as `plan` says into `binary`.
pub(super) fn build(go: &Go, target: &Target, plan: &Plan, work: &Path, binary: &Path) -> anyhow::Result<()> {
    let mut cmd = go.command();
    cmd.arg("build").arg("-o").arg(binary);
    let mut extra = Vec::new();
    if let Plan::Instrument { file, source, .. } = plan {
        let mut files = vec![(file.clone(), source.as_str())];
        for (name, text) in instrument::helper_sources(go.minor()) {
            let helper = helper_path(&target.dir, name);
            files.push((helper.clone(), text));
            extra.push(helper);
        }
        let overlay = write_overlay(work, &files)?;
        cmd.arg("-overlay").arg(overlay);
    }
    cmd.arg("--").args(&target.build_args);
    if target.by_files {
        cmd.args(extra);
    }
    run_go_build(go, cmd, &target.name)
}

/// Go's overlay file: {"Replace": {user path: path of the replacement in `work`}}.
fn write_overlay(work: &Path, files: &[(PathBuf, &str)]) -> anyhow::Result<PathBuf> {
    let mut replace = BTreeMap::new();
    for (i, (path, text)) in files.iter().enumerate() {
        let copy = work.join(format!("{i}_{}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()));
        std::fs::write(&copy, text).with_context(|| format!("cannot write {}", copy.display()))?;
        replace.insert(path.clone(), copy);
    }
    let overlay = work.join("overlay.json");
    let json = serde_json::json!({ "Replace": replace });
    std::fs::write(&overlay, json.to_string()).with_context(|| format!("cannot write {}", overlay.display()))?;
    Ok(overlay)
}
