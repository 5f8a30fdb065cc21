//! Level of detail: the part of a model that the viewer draws. A browser draws a few hundred
//! thousand lines interactively, a 9 M-event trace has millions of segments and messages, so
//! what does not fit a budget is aggregated on a time grid: the state changes of one goroutine
//! within one grid cell become one segment in the state it spent most time in, and the
//! messages from one goroutine to another within one cell become one arrow. Every aggregate
//! says how many items it stands for (`n`), and `lod` in the output says what was done, so
//! the page can say it on screen. The grid is the finest that fits the budget; a window of
//! time gets its own, finer grid, which is how the served viewer shows detail on zoom.
//!
//! The words, one per thing, here and in `view` and `serve`:
//! - **window**: a span of trace time that is drawn ([`Window`]); the user's `--window`
//!   names one before the trace's end is known ([`TimeRange`]).
//! - **item**: a segment or a message of the model.
//! - **budget**: how many items of each kind the viewer gets at most ([`Budget`]).
//! - **grid**: cells of 2^k ns from the start of the window; items of one goroutine (segments)
//!   or of one pair of goroutines (messages) within one cell are merged.
//! - **layer**: lays the items of one kind on the finest grid that keeps them within budget,
//!   as they come: segments into **runs**, messages into **arrows**. A **layout** is the two.
//! - **drawing**: what a layout ends with: every item drawn, alone or standing for `n`
//!   ([`Counted`]), and what was done to each kind ([`Lod`]).
//! - **picture**: a drawing with what the page needs besides (goroutines, channels, the
//!   stacks it refers to): what the page reads, as JSON ([`Picture`]).
//! - **overview**: the picture of a trace read without its model, in the same pass that
//!   reads it ([`DrawingSink`]): what `--html` writes and the served viewer starts from.

mod drawing;
mod grid;
mod layout;
mod messages;
mod picture;
mod segments;
mod sink;
mod window;

pub use drawing::{Counted, Drawing, Lod, Reduction};
pub use layout::{draw, Budget};
pub use picture::{Overview, Picture};
pub use sink::DrawingSink;
pub use window::{TimeRange, Window, WindowError};

#[cfg(test)]
mod tests;
