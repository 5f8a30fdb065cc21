//! What the viewer is given: a model that gotrace built, drawn through the level of detail
//! (`crate::lod`), or a model file that `-o` wrote earlier, passed through as it is.

use std::io::Write;

use anyhow::Context;

use crate::lod::{self, Budget, Window};
use crate::model::Model;

pub enum Content {
    Model(Model),
    /// A model JSON file, already checked to have the arrays the viewer needs.
    Json(Vec<u8>),
}

impl Content {
    /// The picture of the whole trace as JSON: what the page carries inline.
    pub fn overview(&self) -> anyhow::Result<Vec<u8>> {
        match self {
            Content::Model(model) => picture_json(model, Window::whole(model)),
            Content::Json(json) => Ok(json.clone()),
        }
    }

    /// The picture of a window of time, for the served page to show in detail on zoom;
    /// None when there is no model to cut (a model file is shown as it is).
    pub fn window(&self, window: Window) -> Option<anyhow::Result<Vec<u8>>> {
        match self {
            Content::Model(model) => Some(picture_json(model, window)),
            Content::Json(_) => None,
        }
    }

    /// The model in full, as `-o` writes it.
    pub fn write_model(&self, mut out: impl Write) -> anyhow::Result<()> {
        match self {
            Content::Model(model) => model.write_json(out).context("cannot encode the model"),
            Content::Json(json) => out.write_all(json).context("cannot write the model"),
        }
    }
}

fn picture_json(model: &Model, window: Window) -> anyhow::Result<Vec<u8>> {
    serde_json::to_vec(&lod::picture(model, window, Budget::default())).context("cannot encode the picture")
}
