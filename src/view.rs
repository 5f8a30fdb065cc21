//! `gotrace view`: trace file → model → JSON file, one-file HTML, or the served viewer.
//! Also the last step of `gotrace run`.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::model::{self, Model};
use crate::serve::{self, Content, ServeOptions};

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

/// The example that `gotrace view` shows without arguments: a real Go 1.27 trace of a
/// ping-pong between two goroutines, carried in the binary so that no Go is needed.
const EXAMPLE_TRACE: &[u8] = include_bytes!("../tests/traces/pingpong_1_27.trace");

/// The model of trace bytes, symbolizing bare PCs with `binary` when given.
fn model_of(data: &[u8], binary: Option<&Path>, all: bool) -> anyhow::Result<Model> {
    let mut reader = crate::trace::Reader::open(data, binary)?;
    Ok(model::build(&mut reader, model::Options { all })?)
}

/// Shows `trace` as `opts` asks. `trace` may also be a model that `-o` wrote, to view it again.
pub fn view_trace(trace: &Path, binary: Option<&Path>, opts: &ViewOptions) -> anyhow::Result<()> {
    let data = std::fs::read(trace).with_context(|| format!("cannot read {}", trace.display()))?;
    view_bytes(data, binary, opts).with_context(|| trace.display().to_string())
}

fn view_bytes(data: Vec<u8>, binary: Option<&Path>, opts: &ViewOptions) -> anyhow::Result<()> {
    let content = if looks_like_json(&data) {
        check_model_json(&data)?;
        Content::Json(data)
    } else {
        Content::Model(model_of(&data, binary, opts.all)?)
    };
    show(content, opts)
}

/// `gotrace view` with no trace: the bundled example.
pub fn view_example(opts: &ViewOptions) -> anyhow::Result<()> {
    eprintln!("gotrace: no trace given; showing the bundled example (a ping-pong between two goroutines)");
    view_bytes(EXAMPLE_TRACE.to_vec(), None, opts)
}

fn show(content: Content, opts: &ViewOptions) -> anyhow::Result<()> {
    if let Some(path) = &opts.json_out {
        let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
        content.write_model(file).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &opts.html_out {
        std::fs::write(path, serve::html::page(&content.overview()?)).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("gotrace: wrote {}", path.display());
    }
    if opts.json_out.is_some() || opts.html_out.is_some() {
        return Ok(());
    }
    serve::serve(content, &ServeOptions { port: opts.port, no_browser: opts.no_browser })
}

/// Traces start with "go 1.", models with "{".
fn looks_like_json(data: &[u8]) -> bool {
    data.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// The viewer needs these arrays; a JSON file without them is not a model.
fn check_model_json(data: &[u8]) -> anyhow::Result<()> {
    let value: serde_json::Value = serde_json::from_slice(data).context("not a gotrace model (invalid JSON)")?;
    for field in ["goroutines", "segments", "messages"] {
        if !value.get(field).is_some_and(|v| v.is_array()) {
            anyhow::bail!("not a gotrace model: no `{field}` array");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_file_is_recognized_and_checked() {
        assert!(looks_like_json(b" \n{\"goroutines\":[]}"));
        assert!(!looks_like_json(b"go 1.26 trace\0\0\0"));
        assert!(check_model_json(br#"{"goroutines":[],"segments":[],"messages":[]}"#).is_ok());
        let err = check_model_json(br#"{"goroutines":[],"segments":[]}"#).unwrap_err();
        assert_eq!(err.to_string(), "not a gotrace model: no `messages` array");
    }
}
