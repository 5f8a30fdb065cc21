//! `gotrace view`: trace file → model → JSON file, one-file HTML, or the served viewer.
//! Also the last step of `gotrace run`.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::model::{self, Model};

#[derive(Debug, Clone, Default)]
pub struct ViewOptions {
    /// Write the model as JSON here (and do not serve).
    pub json_out: Option<PathBuf>,
    /// Write one self-contained HTML page here (and do not serve).
    pub html_out: Option<PathBuf>,
    /// Serve, but do not open a browser.
    pub no_browser: bool,
    /// Port to serve on; the next free one from the default when absent.
    pub port: Option<u16>,
    /// Keep runtime and tracer goroutines.
    pub all: bool,
}

/// Reads a trace file and builds its model, symbolizing bare PCs with `binary` when given.
pub fn load_model(trace: &Path, binary: Option<&Path>, all: bool) -> anyhow::Result<Model> {
    let data = std::fs::read(trace).with_context(|| format!("cannot read {}", trace.display()))?;
    let mut reader = crate::trace::Reader::new(&data).with_context(|| trace.display().to_string())?;
    if let Some(binary) = binary {
        reader.symbolize(binary)?;
    }
    model::build(&mut reader, model::Options { all }).with_context(|| trace.display().to_string())
}

/// Shows `trace` as `opts` asks.
pub fn view_trace(trace: &Path, binary: Option<&Path>, opts: &ViewOptions) -> anyhow::Result<()> {
    let model = load_model(trace, binary, opts.all)?;
    if let Some(path) = &opts.json_out {
        let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        model.write_json(file).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if opts.json_out.is_some() && opts.html_out.is_none() {
        return Ok(());
    }
    anyhow::bail!("the viewer is not part of this build yet; use -o FILE.json to export the model")
}
