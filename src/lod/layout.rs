//! The two layers of a window together, and the drawing of a model held in memory.

use std::borrow::Cow;

use super::messages::{in_window_messages, MessageLayer};
use super::segments::SegmentLayer;
use super::{Drawing, Lod, Window};
use crate::model::Model;
use crate::trace::GoId;

/// How many items the viewer gets at most.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub segments: usize,
    pub messages: usize,
}

impl Default for Budget {
    /// What software WebGL in a headless browser still draws interactively (see the scale
    /// benchmark in viewer/README.md).
    fn default() -> Self {
        Budget { segments: 200_000, messages: 100_000 }
    }
}

/// The drawing of `window` of a model held in memory, at most `budget` items of each kind
/// (stacks are the model's).
pub fn draw(model: &Model, window: Window, budget: Budget) -> Drawing {
    let mut layout = Layout::new(window, budget);
    // Two independent layers, one per core.
    std::thread::scope(|scope| {
        let segments = &mut layout.segments;
        scope.spawn(move || model.segments.iter().for_each(|s| segments.push(Cow::Borrowed(s))));
        in_window_messages(&model.messages, window).iter().for_each(|m| layout.messages.push(Cow::Borrowed(m)));
    });
    // A hand-edited model file may have items of goroutines it does not list.
    layout.finish(window, |g| model.lists(g))
}

/// Lays the segments and messages of a window on the finest grid that keeps each kind within
/// its budget, as they come, holding no more than the budget. When what is drawn so far no
/// longer fits, it is merged onto the finest coarser grid on which it fits: the items of one
/// cell of a grid lie in one cell of every coarser one, so merging what is drawn gives
/// exactly what drawing every item on the coarser grid would. What is drawn only grows as
/// items come, so the grid at the end is the finest on which all of them fit, as if it had
/// been chosen knowing them.
pub(super) struct Layout {
    pub(super) segments: SegmentLayer,
    pub(super) messages: MessageLayer,
}

impl Layout {
    /// For a window whose end may not be known yet (`u64::MAX`: until the trace ends).
    pub(super) fn new(window: Window, budget: Budget) -> Self {
        Layout { segments: SegmentLayer::new(window, budget.segments), messages: MessageLayer::new(window, budget.messages) }
    }

    /// What is drawn, of the goroutines `shows` keeps, in `window` (the one the layout was
    /// made for, its end now known).
    pub(super) fn finish(self, window: Window, shows: impl Fn(GoId) -> bool) -> Drawing {
        let (segments, segs) = self.segments.finish(&shows);
        let (messages, msgs) = self.messages.finish(&shows);
        Drawing { lod: Lod { window, segments: segs, messages: msgs }, segments, messages }
    }
}
