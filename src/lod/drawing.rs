//! What a layout ends with: the items drawn, each alone or standing for several, and what was
//! done to draw them.

use serde::Serialize;

use super::grid::Grid;
use super::Window;
use crate::model::{Message, Segment, StackRef};

/// What is drawn of a window: its segments and messages, aggregated where they exceed
/// the budget.
#[derive(Debug)]
pub struct Drawing {
    pub lod: Lod,
    pub segments: Vec<Counted<Segment>>,
    pub messages: Vec<Counted<Message>>,
}

impl Drawing {
    /// Hands every stack reference of what is drawn to `f` (see `model::number_stacks`).
    pub fn each_stack_ref(&mut self, f: &mut dyn FnMut(&mut Option<StackRef>)) {
        self.segments.iter_mut().for_each(|s| f(&mut s.item.stack));
        self.messages.iter_mut().for_each(|m| f(&mut m.item.stack));
    }
}

/// What the level of detail did, for the page to tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lod {
    pub window: Window,
    pub segments: Reduction,
    pub messages: Reduction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reduction {
    /// Items of the model in the window.
    pub total: usize,
    /// Items drawn: `total` unless aggregated.
    pub shown: usize,
    /// The grid cell, when aggregated: items within one cell were merged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell_ns: Option<u64>,
}

/// One item of the model, or an aggregate of `n` of them.
#[derive(Debug, Serialize)]
pub struct Counted<T> {
    #[serde(flatten)]
    pub item: T,
    #[serde(skip_serializing_if = "is_one")]
    pub n: u32,
    /// For an aggregate of messages: when the last of them was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_ns: Option<u64>,
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// What was done to draw `drawn` on `grid`: every item is in one of them.
pub(super) fn reduction<T>(drawn: &[Counted<T>], grid: Option<Grid>) -> Reduction {
    let total = drawn.iter().map(|c| c.n as usize).sum();
    Reduction { total, shown: drawn.len(), cell_ns: grid.map(Grid::len_ns) }
}
