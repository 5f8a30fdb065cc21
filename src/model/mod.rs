//! Events → what a Go programmer wants to see: goroutines (a spawn tree), what each one was
//! doing over time (state segments), and the messages they handed each other.
//!
//! The model is format-independent: it only reads the event vocabulary of `crate::trace`.

pub mod channels;
mod check;
mod goroutines;
pub mod groups;
mod load;
pub use load::{from_trace, is_model, load};
mod messages;
mod segments;
mod stacks;
mod stream;

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::progress::Step;
use crate::trace::{Event, EventKind, GoId, Reader, StackId, Tables};

pub use channels::Channel;
pub use check::{Check, Leak, Outcome};
pub use goroutines::Goroutine;
pub use groups::{Group, GroupEdge};
pub use messages::{closable, kept, ChannelTruth, Message, MessageKind, SourceLines};
pub use segments::{Segment, Start, State};
pub use stacks::{Frame, Stack, StackRef};
pub use stream::{ModelWriter, WriteError, SORT_RUN_LEN};

/// The version of the JSON that `-o` writes. Bump on any incompatible change.
pub const JSON_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct Model {
    pub version: u32,
    pub meta: Meta,
    pub goroutines: Vec<Goroutine>,
    /// The goroutines grouped by where they were made (`Goroutine::group`), parents first.
    #[serde(default)]
    pub groups: Vec<Group>,
    pub segments: Vec<Segment>,
    pub messages: Vec<Message>,
    /// The messages between groups (`groups`), counted.
    #[serde(default)]
    pub group_edges: Vec<GroupEdge>,
    /// The channels a patched runtime recorded (empty for stock traces).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
    /// The stacks that goroutines, segments, messages and channels refer to by index.
    #[serde(default)]
    pub stacks: Vec<Stack>,
    /// How the program ended and what it left stuck (`gotrace run`, `gotrace check`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Meta {
    /// The trace format, e.g. "go 1.26".
    pub format: String,
    pub duration_ns: u64,
    pub channel_truth: ChannelTruth,
    /// Unblocks of goroutines blocked in a channel operation that could not be turned into
    /// a message (the other side is not a goroutine, or the direction is unknown).
    pub unattributed: u64,
    /// Runtime and tracer goroutines left out (see `ModelOptions::all`).
    pub hidden_goroutines: u64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ModelOptions {
    /// Keep runtime and tracer goroutines too.
    pub all: bool,
}

/// Reads every event of `reader` and builds the model.
pub fn build(reader: &mut Reader<'_>, options: ModelOptions) -> crate::trace::Result<Model> {
    let (collected, ending) = read(reader, options, Collect::default())?;
    Ok(collected.into_model(ending, reader))
}

/// Where the segments and messages of a pass over a trace go, as they are made: collected into
/// a [`Model`], or laid on the level of detail's grid without being held (`crate::lod`).
/// Segments come in the order they end; messages in the order they complete, not of sending.
pub trait Sink {
    fn segment(&mut self, segment: Segment);
    /// `inferred`: made from how the runtime woke a goroutine, not recorded by a patched one;
    /// whether it belongs to the model is known only at the end (see [`messages::kept`]).
    fn message(&mut self, message: Message, inferred: bool);
}

/// What a pass over a trace knows only at its end, besides what it gave the sink: the
/// goroutines (ordered by id, runtime ones left out unless `ModelOptions::all`), the channels and
/// the trace's metadata.
pub struct PassEnd {
    pub meta: Meta,
    pub goroutines: Vec<Goroutine>,
    pub groups: Vec<Group>,
    pub channels: Vec<Channel>,
    /// Where each generation of a new-format trace starts, what every goroutine was doing
    /// (one per `Reader::generations`): a pass from there on starts from it.
    pub starts: Vec<Start>,
}

impl PassEnd {
    /// Whether the goroutine is one the model shows.
    pub fn shows(&self, g: GoId) -> bool {
        goroutines::listed(&self.goroutines, g)
    }

    /// Whether a message that the sink was given belongs to the model.
    pub fn keeps(&self, m: &Message, inferred: bool) -> bool {
        messages::kept(m.kind, inferred, self.meta.channel_truth) && self.shows(m.from) && self.shows(m.to)
    }
}

/// Reads every event of `reader` into `sink`.
pub fn read<S: Sink>(reader: &mut Reader<'_>, options: ModelOptions, sink: S) -> crate::trace::Result<(S, PassEnd)> {
    let mut pass = Pass::new(sink);
    let progress = Step::start("reading the trace");
    let generations = std::cell::Cell::new(0);
    reader.for_each_event_by_generation(
        |ev, tables| {
            pass.note_starts(generations.get());
            pass.apply(tables, ev);
            progress.events(pass.events);
        },
        || generations.set(generations.get() + 1),
    )?;
    pass.note_starts(generations.get());
    let end_ns = reader.end_ns().unwrap_or(pass.last_ns);
    Ok(pass.finish(reader, end_ns, options))
}

/// One pass over a trace's events, in the order the reader hands them out.
pub struct Pass<S> {
    goroutines: goroutines::GoroutineLedger,
    segments: segments::Tracker,
    messages: messages::Matcher,
    channels: channels::ChannelLedger,
    sink: S,
    events: u64,
    last_ns: u64,
    starts: Vec<Start>,
}

impl<S: Sink> Pass<S> {
    pub fn new(sink: S) -> Self {
        Pass::resumed(sink, &Start::default())
    }

    /// A pass over a trace read from a later generation on, which starts from what a pass
    /// from the start knew there (`PassEnd::starts`). Without it, a goroutine that did nothing
    /// for a while would be seen only where the generation states its status: when something
    /// first happens to it, or at the generation's end.
    pub fn resumed(sink: S, start: &Start) -> Self {
        let mut goroutines = goroutines::GoroutineLedger::default();
        for g in start.goroutines() {
            goroutines.existing(g, 0);
        }
        Pass {
            goroutines,
            segments: segments::Tracker::from_start(start),
            messages: messages::Matcher::default(),
            channels: channels::ChannelLedger::default(),
            sink,
            events: 0,
            last_ns: 0,
            starts: Vec::new(),
        }
    }

    pub fn apply(&mut self, tables: &Tables, ev: &Event) {
        self.events += 1;
        self.last_ns = ev.ts;
        self.channels.apply(tables, ev);
        let ended = match ev.kind {
            EventKind::GoCreate { child, start_stack } => {
                self.goroutines.created(child, ev.g, ev.ts, tables, ev.stack, start_stack);
                self.segments.enter(child, State::Runnable, None, StackId::NONE, ev.ts)
            }
            EventKind::GoExisting { goroutine, state } if self.goroutines.existing(goroutine, ev.ts) => {
                self.segments.enter(goroutine, State::from_existing(state), None, StackId::NONE, ev.ts)
            }
            EventKind::GoStart => self.segments.enter(ev.g, State::Running, None, StackId::NONE, ev.ts),
            EventKind::GoStop { .. } => self.segments.enter(ev.g, State::Runnable, None, StackId::NONE, ev.ts),
            EventKind::GoBlock { reason: id } => {
                let reason = tables.str(id);
                self.segments.enter(ev.g, State::for_block(reason), Some((id, reason)), ev.stack, ev.ts)
            }
            EventKind::GoUnblock { goroutine } => {
                let blocked = self.segments.current(goroutine);
                if let Some(m) = self.messages.unblocked(tables, ev, goroutine, blocked) {
                    self.sink.message(m, true);
                }
                self.segments.enter(goroutine, State::Runnable, None, StackId::NONE, ev.ts)
            }
            EventKind::GoSyscallBegin => self.segments.enter(ev.g, State::Syscall, None, ev.stack, ev.ts),
            EventKind::GoSyscallEnd { blocked } => {
                let state = if blocked { State::Runnable } else { State::Running };
                self.segments.enter(ev.g, state, None, StackId::NONE, ev.ts)
            }
            EventKind::GoEnd => {
                self.goroutines.ended(ev.g, ev.ts);
                self.segments.end(ev.g, ev.ts)
            }
            EventKind::ChanSend { chan, seq, value, flags } => {
                let m = self.messages.exact_send(ev, chan, seq, value, flags, self.channels.kind(chan));
                self.exact(m)
            }
            EventKind::ChanRecv { chan, seq, value, flags } => {
                let m = self.messages.exact_recv(ev, chan, seq, value, flags, self.channels.kind(chan));
                self.exact(m)
            }
            EventKind::ChanClose { chan } => {
                self.messages.exact_close(ev, chan);
                None
            }
            _ => None,
        };
        if let Some(segment) = ended {
            self.sink.segment(segment);
        }
        if ev.stack != crate::trace::StackId::NONE && ev.g != 0 {
            self.goroutines.saw_stack(ev.g, tables, ev.stack);
        }
    }

    /// The sink, to be told before [`finish`](Pass::finish) that what comes now are the
    /// segments still open at the end.
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// Whether a message sent in `span` may still come to the sink: its receive is yet to be
    /// read. A pass that draws a window reads on until none may.
    pub fn sends_pending(&self, span: &std::ops::Range<u64>) -> bool {
        self.segments.blocked_sending_since(span) || self.messages.unmatched_in(span)
    }

    /// Notes what every goroutine is doing as the start of each generation begun since the
    /// last note (`generations` begun in all), before any event of theirs is applied.
    fn note_starts(&mut self, generations: usize) {
        while self.starts.len() < generations {
            self.starts.push(self.segments.start());
        }
    }

    /// Passes on an exact message; no segment ends with it.
    fn exact(&mut self, m: Option<Message>) -> Option<Segment> {
        if let Some(m) = m {
            self.sink.message(m, false);
        }
        None
    }

    /// Ends the segments still open with the trace at `end_ns`; the sink and what the pass
    /// learnt.
    pub fn finish(mut self, reader: &Reader<'_>, end_ns: u64, options: ModelOptions) -> (S, PassEnd) {
        for segment in self.segments.finish(end_ns) {
            self.sink.segment(segment);
        }
        let (mut goroutines, hidden) = self.goroutines.finish(end_ns, options.all);
        let tables = reader.tables();
        let groups = groups::assign(&mut goroutines, |r| {
            tables.stack(r.trace_id()).first().map_or_else(String::new, |f| groups::site(tables.str(f.func), tables.str(f.file), f.line))
        });
        let (channel_truth, unattributed) = self.messages.finish();
        let meta =
            Meta { format: reader.format().to_string(), duration_ns: end_ns, channel_truth, unattributed, hidden_goroutines: hidden };
        (self.sink, PassEnd { meta, goroutines, groups, channels: self.channels.finish(), starts: self.starts })
    }
}

/// The sink that keeps everything: the model.
#[derive(Default)]
struct Collect {
    segments: Vec<Segment>,
    messages: Vec<(Message, bool)>,
}

impl Sink for Collect {
    fn segment(&mut self, segment: Segment) {
        self.segments.push(segment);
    }

    fn message(&mut self, message: Message, inferred: bool) {
        self.messages.push((message, inferred));
    }
}

impl Collect {
    fn into_model(self, ending: PassEnd, reader: &Reader<'_>) -> Model {
        let mut segments: Vec<Segment> = self.segments.into_iter().filter(|s| ending.shows(s.goroutine)).collect();
        let mut messages: Vec<Message> =
            self.messages.into_iter().filter(|(m, inferred)| ending.keeps(m, *inferred)).map(|(m, _)| m).collect();
        messages::order(&mut messages);
        let PassEnd { meta, mut goroutines, groups, mut channels, .. } = ending;
        let stacks = export_stacks(reader.tables(), &mut goroutines, &mut segments, &mut messages, &mut channels);
        let group_edges = groups::edges(&goroutines, &messages);
        Model { version: JSON_VERSION, meta, goroutines, groups, segments, messages, group_edges, channels, stacks, check: None }
    }
}

/// Keeps the stacks that the model refers to, numbered densely, and points the references
/// at them.
fn export_stacks(
    tables: &Tables,
    goroutines: &mut [Goroutine],
    segments: &mut [Segment],
    messages: &mut [Message],
    channels: &mut [Channel],
) -> Vec<Stack> {
    number_stacks(tables, |f| stack_refs(goroutines, segments, messages, channels).for_each(f))
}

/// Keeps the stacks that `refs` walks to (it is called twice: it must walk the same
/// references both times), numbered densely, and points the references at them.
pub fn number_stacks(tables: &Tables, mut refs: impl FnMut(&mut dyn FnMut(&mut Option<StackRef>))) -> Vec<Stack> {
    let mut numbering = stacks::Numbering::new(tables);
    refs(&mut |r| numbering.mark(*r));
    let stacks = numbering.stacks();
    refs(&mut |r| *r = numbering.renumber(*r));
    stacks
}

fn stack_refs<'a>(
    goroutines: &'a mut [Goroutine],
    segments: &'a mut [Segment],
    messages: &'a mut [Message],
    channels: &'a mut [Channel],
) -> impl Iterator<Item = &'a mut Option<StackRef>> {
    let g = goroutines.iter_mut().map(|g| &mut g.create_stack);
    let c = channels.iter_mut().map(|c| &mut c.make_stack);
    g.chain(segments.iter_mut().map(|s| &mut s.stack)).chain(messages.iter_mut().map(|m| &mut m.stack)).chain(c)
}

/// Why a file is not a model that this gotrace can show.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    // Not a `source`: serde's message is the whole story, and a source would repeat it.
    #[error("not a gotrace model: {0}")]
    Json(serde_json::Error),
    #[error("a version {0} model; this gotrace reads version {JSON_VERSION}: write it again with `gotrace view TRACE -o FILE`")]
    Version(u32),
    #[error("not a gotrace model: stack {0} is not in `stacks`")]
    Stack(usize),
    #[error("not a gotrace model: group {0} is not in `groups`")]
    Group(u32),
}

impl Model {
    /// Whether the model lists goroutine `g`.
    pub fn lists(&self, g: GoId) -> bool {
        goroutines::listed(&self.goroutines, g)
    }

    /// A model that `-o` wrote, read back to be shown again: checked to be of this version
    /// and to refer only to stacks it has; goroutines ordered by id and messages by send
    /// time, as built (the level of detail relies on both).
    pub fn from_json(data: &[u8]) -> Result<Model, ModelFileError> {
        let mut model: Model = serde_json::from_slice(data).map_err(ModelFileError::Json)?;
        if model.version != JSON_VERSION {
            return Err(ModelFileError::Version(model.version));
        }
        let count = model.stacks.len();
        let Model { goroutines, segments, messages, channels, .. } = &mut model;
        if let Some(r) = stack_refs(goroutines, segments, messages, channels).flatten().find(|r| r.index() >= count) {
            return Err(ModelFileError::Stack(r.index()));
        }
        model.goroutines.sort_by_key(|g| g.id);
        model.messages.sort_by_key(|m| m.send_ns);
        if model.groups.is_empty() && !model.goroutines.is_empty() {
            // Written before groups were: group it as a pass would have.
            let Model { goroutines, groups, stacks, .. } = &mut model;
            *groups = groups::assign(goroutines, |r| {
                stacks[r.index()].first().map_or_else(String::new, |f| groups::site(&f.func, &f.file, f.line))
            });
        }
        let count = model.groups.len();
        if let Some(g) = model.goroutines.iter().find(|g| g.group as usize >= count) {
            return Err(ModelFileError::Group(g.group));
        }
        if model.group_edges.is_empty() {
            model.group_edges = groups::edges(&model.goroutines, &model.messages);
        }
        Ok(model)
    }

    pub fn write_json(&self, out: impl Write) -> serde_json::Result<()> {
        let mut out = std::io::BufWriter::new(out);
        serde_json::to_writer(&mut out, self)?;
        out.flush().map_err(serde_json::Error::io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_of(path: &str) -> Model {
        model_with(path, ModelOptions::default())
    }

    fn model_with(path: &str, options: ModelOptions) -> Model {
        let data = std::fs::read(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap_or_else(|e| panic!("{path}: {e}"));
        build(&mut Reader::new(&data).unwrap(), options).unwrap()
    }

    /// The functions of a stack, innermost first.
    fn funcs(model: &Model, r: Option<StackRef>) -> Vec<&str> {
        r.map_or(vec![], |r| model.stacks[r.index()].iter().map(|f| f.func.as_str()).collect())
    }

    /// tests/programs/pingpong: main creates two `main.player`s that hit a ball over an
    /// unbuffered channel, so every hand-off parks one side in a channel operation.
    #[test]
    fn pingpong_stacks_say_where_in_the_program() {
        for trace in ["tests/traces/pingpong_1_19.trace", "tests/traces/pingpong_1_27.trace"] {
            let m = model_of(trace);
            let players: Vec<u64> = m.goroutines.iter().filter(|g| g.name == "main.player").map(|g| g.id).collect();
            assert_eq!(players.len(), 2, "{trace}");
            for g in m.goroutines.iter().filter(|g| players.contains(&g.id)) {
                assert_eq!(funcs(&m, g.create_stack), ["main.main"], "{trace}: goroutine {} created by `go player(…)`", g.id);
            }
            let blocked: Vec<_> = m.segments.iter().filter(|s| players.contains(&s.goroutine) && s.state == State::Blocked).collect();
            assert!(blocked.len() >= 9, "{trace}: {} blocked player segments", blocked.len());
            for s in blocked {
                let f = funcs(&m, s.stack);
                assert!(f.len() == 2 && f[0].starts_with("runtime.chan") && f[1] == "main.player", "{trace}: {s:?}: {f:?}");
            }
            let hits: Vec<_> = m.messages.iter().filter(|x| players.contains(&x.from) && players.contains(&x.to)).collect();
            assert_eq!(hits.len(), 9, "{trace}");
            for x in hits {
                assert_eq!(funcs(&m, x.stack), ["runtime.chansend1", "main.player"], "{trace}: {x:?} sent by `ch <- ball`");
            }
            let serve = m.messages.iter().find(|x| !players.contains(&x.from)).unwrap();
            assert_eq!(funcs(&m, serve.stack), ["runtime.chansend1", "main.main"], "{trace}: main serves");
        }
    }

    #[test]
    fn every_exported_stack_is_referenced_and_every_reference_resolves() {
        let mut m = model_of("tests/traces/pingpong_1_27.trace");
        let len = m.stacks.len();
        let mut used = vec![false; len];
        for r in stack_refs(&mut m.goroutines, &mut m.segments, &mut m.messages, &mut m.channels).flatten() {
            assert!(r.index() < len);
            used[r.index()] = true;
        }
        assert!(len > 0 && used.iter().all(|&u| u), "{used:?}");
        let json = serde_json::to_value(&m).unwrap();
        let frame = &json["stacks"][0][0];
        assert!(frame["func"].is_string() && frame["file"].is_string() && frame["line"].is_u64(), "{frame}");
    }

    /// Go 1.5 traces carry bare PCs; without the program binary nothing names them (nor the
    /// goroutines, hence `all`).
    #[test]
    fn bare_pc_stacks_are_left_out() {
        let m = model_with("tests/go-testdata/http_1_5_good", ModelOptions { all: true });
        assert!(m.stacks.is_empty());
        assert!(m.segments.iter().all(|s| s.stack.is_none()) && m.messages.iter().all(|x| x.stack.is_none()));
        assert!(!m.segments.is_empty());
    }
}
