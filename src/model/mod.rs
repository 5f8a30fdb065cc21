//! Events → what a Go programmer wants to see: goroutines (a spawn tree), what each one was
//! doing over time (state segments), and the messages they handed each other.
//!
//! The model is format-independent: it only reads the event vocabulary of `crate::trace`.

mod goroutines;
mod messages;
mod segments;

use std::io::Write;

use serde::Serialize;

use crate::progress::Step;
use crate::trace::{Event, EventKind, Reader, Tables};

pub use goroutines::Goroutine;
pub use messages::{Message, MessageKind};
pub use segments::{Segment, State};

/// The version of the JSON that `-o` writes. Bump on any incompatible change.
pub const JSON_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Model {
    pub version: u32,
    pub meta: Meta,
    pub goroutines: Vec<Goroutine>,
    pub segments: Vec<Segment>,
    pub messages: Vec<Message>,
}

#[derive(Debug, Serialize)]
pub struct Meta {
    /// The trace format, e.g. "go 1.26".
    pub format: String,
    pub duration_ns: u64,
    /// "exact" when the trace came from a patched runtime that records every channel
    /// operation; "inferred" when messages were reconstructed from blocks and unblocks.
    pub channel_truth: &'static str,
    /// Unblocks of goroutines blocked in a channel operation that could not be turned into
    /// a message (the other side is not a goroutine, or the direction is unknown).
    pub unattributed: u64,
    /// Runtime and tracer goroutines left out (see `Options::all`).
    pub hidden_goroutines: u64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Keep runtime and tracer goroutines too.
    pub all: bool,
}

/// Reads every event of `reader` and builds the model.
pub fn build(reader: &mut Reader<'_>, options: Options) -> crate::trace::Result<Model> {
    let mut builder = Builder::default();
    let mut end_ns = 0;
    let mut events = 0;
    let progress = Step::start("reading the trace");
    reader.for_each_event(|ev, tables| {
        events += 1;
        progress.events(events);
        end_ns = ev.ts;
        builder.apply(tables, ev);
    })?;
    Ok(builder.finish(reader, end_ns, options))
}

#[derive(Default)]
struct Builder {
    goroutines: goroutines::Table,
    segments: segments::Tracker,
    messages: messages::Matcher,
}

impl Builder {
    fn apply(&mut self, tables: &Tables, ev: &Event) {
        match ev.kind {
            EventKind::GoCreate { child, start_stack } => {
                self.goroutines.created(child, ev.g, ev.ts, tables, start_stack);
                self.segments.enter(child, State::Runnable, None, ev.ts);
            }
            EventKind::GoExisting { goroutine, state } if self.goroutines.existing(goroutine, ev.ts) => {
                self.segments.enter(goroutine, State::from_existing(state), None, ev.ts);
            }
            EventKind::GoStart => self.segments.enter(ev.g, State::Running, None, ev.ts),
            EventKind::GoStop { .. } => self.segments.enter(ev.g, State::Runnable, None, ev.ts),
            EventKind::GoBlock { reason } => {
                let reason = tables.str(reason);
                self.segments.enter(ev.g, State::for_block(reason), Some(reason), ev.ts);
            }
            EventKind::GoUnblock { goroutine } => {
                let blocked = self.segments.current(goroutine);
                self.messages.unblocked(tables, ev, goroutine, blocked);
                self.segments.enter(goroutine, State::Runnable, None, ev.ts);
            }
            EventKind::GoSyscallBegin => self.segments.enter(ev.g, State::Syscall, None, ev.ts),
            EventKind::GoSyscallEnd { blocked } => {
                let state = if blocked { State::Runnable } else { State::Running };
                self.segments.enter(ev.g, state, None, ev.ts);
            }
            EventKind::GoEnd => {
                self.segments.end(ev.g, ev.ts);
                self.goroutines.ended(ev.g, ev.ts);
            }
            EventKind::ChanSend { chan, op, value } => self.messages.exact_send(ev, chan, op, value),
            EventKind::ChanRecv { chan, op, value } => self.messages.exact_recv(ev, chan, op, value),
            _ => {}
        }
        if ev.stack != crate::trace::StackId::NONE && ev.g != 0 {
            self.goroutines.saw_stack(ev.g, tables, ev.stack);
        }
    }

    fn finish(self, reader: &Reader<'_>, end_ns: u64, options: Options) -> Model {
        let (goroutines, hidden) = self.goroutines.finish(end_ns, options.all);
        let shown = |id: u64| goroutines.binary_search_by_key(&id, |g| g.id).is_ok();
        let segments = self.segments.finish(end_ns).into_iter().filter(|s| shown(s.goroutine)).collect();
        let (messages, channel_truth, unattributed) = self.messages.finish(&shown);
        Model {
            version: JSON_VERSION,
            meta: Meta {
                format: reader.format().to_string(),
                duration_ns: end_ns,
                channel_truth,
                unattributed,
                hidden_goroutines: hidden,
            },
            goroutines,
            segments,
            messages,
        }
    }
}

impl Model {
    pub fn write_json(&self, out: impl Write) -> serde_json::Result<()> {
        let mut out = std::io::BufWriter::new(out);
        serde_json::to_writer(&mut out, self)?;
        out.flush().map_err(serde_json::Error::io)
    }
}
