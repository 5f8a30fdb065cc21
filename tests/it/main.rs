//! The integration tests: one test crate, so that the suite links once (about a minute each on
//! two cores when every file was a crate of its own). Every test runs the real `gotrace` binary
//! through [`common::gotrace`], which gives it an environment of its own (see there). One
//! module per feature; `tests/README.md` says what each checks.

mod browser;
mod common;
mod oracle;

mod bad_input;
mod chanops;
mod closes;
mod docker;
mod generations;
mod groups;
mod instrument_build;
mod layout;
mod legacy_run;
mod oracle_agreement;
mod real_traces;
mod run_cli;
mod run_examples;
mod setup_legacy;
mod stuck;
mod v1_testdata;
mod v2_reader;
mod viewer_bench;
mod viewer_browser;
mod viewer_channels;
mod viewer_lod;
mod viewer_serve;
