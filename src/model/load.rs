//! A trace or a model file that `-o` wrote, read into a [`Model`]: what `run`, `test`,
//! `check` and `setup-runtime`'s probe hold, and `view` shows.

use std::path::Path;

use anyhow::Context;

use super::{build, Model, ModelOptions};
use crate::trace::Reader;

/// The model of `path`, a trace file or a model that `-o` wrote.
pub fn load(path: &Path, binary: Option<&Path>, all: bool) -> anyhow::Result<Model> {
    let data = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let model = if is_model(&data) { Model::from_json(&data).map_err(Into::into) } else { from_trace(&data, binary, all) };
    model.with_context(|| path.display().to_string())
}

/// The model of trace bytes, symbolizing bare PCs with `binary` when given.
pub fn from_trace(data: &[u8], binary: Option<&Path>, all: bool) -> anyhow::Result<Model> {
    let mut reader = Reader::open(data, binary)?;
    Ok(build(&mut reader, ModelOptions { all })?)
}

/// Whether `data` is a model rather than a trace: traces start with "go 1.", models with "{".
pub fn is_model(data: &[u8]) -> bool {
    data.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_file_is_recognized_and_checked() {
        assert!(is_model(b" \n{\"goroutines\":[]}"));
        assert!(!is_model(b"go 1.26 trace\0\0\0"));
        let written = to_json(&from_trace(include_bytes!("../../tests/traces/pingpong_1_27.trace"), None, false).unwrap());
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
