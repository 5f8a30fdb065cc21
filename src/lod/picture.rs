//! What the page reads: a drawing with the goroutines, channels and stacks it needs.

use serde::Serialize;

use super::{Counted, Drawing, Lod};
use crate::model::{Channel, Check, Goroutine, Group, Message, Meta, Model, Segment, Stack};

/// What the viewer gets: the goroutines and channels of `context` (a model, or what a pass
/// over the trace keeps besides the picture), the stacks that `drawing` refers to, and the drawing
/// of a window.
#[derive(Debug, Clone, Copy)]
pub struct Picture<'a> {
    pub context: &'a Model,
    pub stacks: &'a [Stack],
    pub drawing: &'a Drawing,
}

impl Serialize for Picture<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (c, d) = (self.context, self.drawing);
        Wire {
            version: crate::model::JSON_VERSION,
            meta: &c.meta,
            lod: d.lod,
            goroutines: &c.goroutines,
            groups: &c.groups,
            segments: &d.segments,
            messages: &d.messages,
            channels: &c.channels,
            stacks: self.stacks,
            check: c.check.as_ref(),
        }
        .serialize(s)
    }
}

/// The picture as the page reads it.
#[derive(Serialize)]
struct Wire<'a> {
    version: u32,
    meta: &'a Meta,
    lod: Lod,
    goroutines: &'a [Goroutine],
    groups: &'a [Group],
    segments: &'a [Counted<Segment>],
    messages: &'a [Counted<Message>],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    channels: &'a [Channel],
    stacks: &'a [Stack],
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<&'a Check>,
}

/// The picture of a trace read without its model, in the pass that reads it: what `--html` writes and the
/// served viewer starts from.
pub struct Overview {
    /// The model without segments and messages: metadata, goroutines, channels, and the
    /// stacks that what is drawn refers to.
    pub context: Model,
    pub drawing: Drawing,
}

impl Overview {
    pub fn picture(&self) -> Picture<'_> {
        Picture { context: &self.context, stacks: &self.context.stacks, drawing: &self.drawing }
    }
}
