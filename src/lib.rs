//! gotrace: Go source → instrumented build → run → execution trace → parse → model → level of
//! detail → viewer.
//!
//! One module per stage of that pipeline; `cli` only parses the command line and calls them.

pub mod check;
pub mod cli;
pub mod container;
pub mod gotest;
pub mod inspect;
pub mod instrument;
pub mod interrupts;
pub mod lod;
pub mod model;
pub mod output;
pub mod progress;
pub mod runner;
pub mod serve;
pub mod setup;
pub mod target;
pub mod toolchain;
pub mod trace;
pub mod view;
