//! `gotrace view`: trace file → model → JSON file, one-file HTML, or the served viewer.
//! Also the last step of `gotrace run`.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::lod::{Pictures, TimeRange, Window};
use crate::model::{self, Model};
use crate::serve::{self, ServeOptions};

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
    /// Show only this part of the trace.
    pub window: Option<TimeRange>,
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
    show(load_trace(trace, binary, opts.all)?, opts)
}

/// The model of `trace`, a trace file or a model that `-o` wrote.
pub fn load_trace(trace: &Path, binary: Option<&Path>, all: bool) -> anyhow::Result<Model> {
    let data = std::fs::read(trace).with_context(|| format!("cannot read {}", trace.display()))?;
    load_bytes(&data, binary, all).with_context(|| trace.display().to_string())
}

fn load_bytes(data: &[u8], binary: Option<&Path>, all: bool) -> anyhow::Result<Model> {
    Ok(if looks_like_json(data) { Model::from_json(data)? } else { model_of(data, binary, all)? })
}

/// `gotrace view` with no trace: the bundled example.
pub fn view_example(opts: &ViewOptions) -> anyhow::Result<()> {
    eprintln!("gotrace: no trace given; showing the bundled example (a ping-pong between two goroutines)");
    show(load_bytes(EXAMPLE_TRACE, None, opts.all)?, opts)
}

/// Writes or serves `model` as `opts` asks.
pub fn show(model: Model, opts: &ViewOptions) -> anyhow::Result<()> {
    let window = match opts.window {
        Some(range) => range.window(&model)?,
        None => Window::whole(&model),
    };
    if let Some(path) = &opts.json_out {
        let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
        model.write_json(file).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &opts.html_out {
        std::fs::write(path, serve::html::page(&serve::picture_json(&Pictures::new(&model), window)?))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("gotrace: wrote {}", path.display());
    }
    if opts.json_out.is_some() || opts.html_out.is_some() {
        return Ok(());
    }
    serve::serve(model, window, &ServeOptions { port: opts.port, no_browser: opts.no_browser })
}

/// Traces start with "go 1.", models with "{".
fn looks_like_json(data: &[u8]) -> bool {
    data.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_file_is_recognized_and_checked() {
        assert!(looks_like_json(b" \n{\"goroutines\":[]}"));
        assert!(!looks_like_json(b"go 1.26 trace\0\0\0"));
        let written = to_json(&model_of(include_bytes!("../tests/traces/pingpong_1_27.trace"), None, false).unwrap());
        let again = Model::from_json(&written).unwrap();
        assert_eq!(to_json(&again), written, "a model file reads back as it was written");
        let err = Model::from_json(br#"{"version":1,"goroutines":[],"segments":[]}"#).unwrap_err();
        assert!(err.to_string().starts_with("not a gotrace model: missing field"), "{err}");
        let newer = String::from_utf8(written.clone()).unwrap().replacen("\"version\":1", "\"version\":2", 1);
        assert!(Model::from_json(newer.as_bytes()).unwrap_err().to_string().starts_with("a version 2 model"));
        let stray = String::from_utf8(written).unwrap().replacen("\"stack\":0", "\"stack\":99", 1);
        assert_eq!(Model::from_json(stray.as_bytes()).unwrap_err().to_string(), "not a gotrace model: stack 99 is not in `stacks`");
    }

    fn to_json(model: &Model) -> Vec<u8> {
        let mut out = Vec::new();
        model.write_json(&mut out).unwrap();
        out
    }
}
