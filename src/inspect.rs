//! `gotrace inspect`: a summary of a trace that can be checked against Go's own tool.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::model::groups::{group_of, EdgeCounter};
use crate::model::{
    closable, kept, Channel, Group, GroupEdge, Message, MessageKind, ModelOptions, Pass, PassEnd, Segment, Sink, SourceLines, State,
};
use crate::progress::Step;
use crate::trace::{EventKind, GoId, Reader, StackId, StrId, Tables, TraceFile, KIND_NAMES};

/// How many blocking stacks the summary lists.
const TOP_STACKS: usize = 10;
/// How many groups, and edges between them, the summary lists.
const TOP_GROUPS: usize = 10;

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// e.g. "go 1.26"
    pub format: String,
    pub duration_ns: u64,
    pub events: u64,
    pub events_by_kind: BTreeMap<&'static str, u64>,
    /// Events of runtime experiments (e.g. `GODEBUG=traceallocfree=1`), stepped over and not
    /// in `events`.
    pub experimental_skipped: u64,
    pub goroutines: Goroutines,
    pub blocks: Blocks,
    pub unblocks: Unblocks,
    pub top_block_stacks: Vec<BlockStack>,
    /// The biggest groups of goroutines (made at one place, starting in one function), and
    /// how their goroutines were at the end of the trace.
    pub groups: Vec<GroupSummary>,
    /// The groups that send each other the most messages, most first.
    pub group_edges: Vec<EdgeSummary>,
    /// Patched runtimes only: the channels that carried values or were closed while tracing
    /// ran, busiest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<ChannelTraffic>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct GroupSummary {
    /// As the model (`gotrace view TRACE -o FILE`) has it.
    #[serde(flatten)]
    pub group: Group,
    /// The parent group's name: groups made at one site by goroutines of different groups
    /// are told apart by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub under: Option<String>,
    /// How many of its goroutines had ended, or were in each state at the end ("blocked"
    /// says on what, e.g. "blocked: chan send").
    pub at_end: BTreeMap<String, u64>,
}

#[derive(Debug, Serialize)]
pub struct EdgeSummary {
    /// As the model has it: groups by id.
    #[serde(flatten)]
    pub edge: GroupEdge,
    pub from_name: String,
    pub to_name: String,
}

#[derive(Debug, Serialize)]
pub struct ChannelTraffic {
    pub id: u64,
    /// The element type as Go prints it; absent for a channel made before tracing started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elem_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u64>,
    /// The program's frame that made it (`make(chan …)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub made_at: Option<FrameText>,
    pub sends: u64,
    pub recvs: u64,
    pub closed: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct Goroutines {
    /// Created while the trace was running.
    pub created: u64,
    /// Of those, the ones whose start function is in package main.
    pub user_created: u64,
    /// Already there when the trace started.
    pub existing: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct Blocks {
    pub total: u64,
    pub by_reason: BTreeMap<String, u64>,
}

#[derive(Debug, Default, Serialize)]
pub struct Unblocks {
    pub total: u64,
    /// Of those, goroutines woken from a channel operation by `close` of the channel.
    pub by_close: u64,
}

#[derive(Debug, Serialize)]
pub struct BlockStack {
    pub count: u64,
    pub reason: String,
    pub frames: Vec<FrameText>,
}

#[derive(Debug, Serialize)]
pub struct FrameText {
    pub func: String,
    pub file: String,
    pub line: u32,
}

/// Whether a goroutine starting in `func` is the user's own: Go names functions of package
/// main `main.f`, `main.(*T).m`, `main.main.func1`.
fn is_user_function(func: &str) -> bool {
    func.starts_with("main.")
}

impl Summary {
    /// Reads every event of `reader` once.
    pub fn collect(reader: &mut Reader<'_>, progress: &Step) -> crate::trace::Result<Summary> {
        let mut s = Summary { format: reader.format().to_string(), ..Summary::default() };
        let mut first_ts = None;
        let mut last_ts = 0;
        // Per-event bookkeeping is array indexing or a fast hash: this loop runs millions of times.
        let mut by_kind = [0u64; KIND_NAMES.len()];
        // Counted by start stack, not listed: a long trace creates millions of goroutines
        // from a few places.
        let mut creations: FxHashMap<StackId, u64> = FxHashMap::default();
        let mut block_stacks: FxHashMap<(StackId, StrId), u64> = FxHashMap::default();
        // What each goroutine last blocked on, to tell which wake-ups a close could be.
        let mut blocked_on: FxHashMap<GoId, StrId> = FxHashMap::default();
        let mut sources = SourceLines::default();
        let mut pass = Pass::new(LastSegments::default());
        reader.for_each_event(|ev, tables| {
            s.events += 1;
            pass.apply(tables, ev);
            progress.events(s.events);
            first_ts.get_or_insert(ev.ts);
            last_ts = ev.ts;
            by_kind[ev.kind.index()] += 1;
            match ev.kind {
                EventKind::GoCreate { start_stack, .. } => *creations.entry(start_stack).or_default() += 1,
                EventKind::GoExisting { .. } => s.goroutines.existing += 1,
                EventKind::GoBlock { reason } => {
                    *block_stacks.entry((ev.stack, reason)).or_default() += 1;
                    blocked_on.insert(ev.g, reason);
                }
                EventKind::GoUnblock { goroutine } => {
                    s.unblocks.total += 1;
                    let on_channel = blocked_on.remove(&goroutine).is_some_and(|r| closable(tables.str(r)));
                    if on_channel && ev.g != 0 && sources.woke_by_close(tables, ev.stack) {
                        s.unblocks.by_close += 1;
                    }
                }
                _ => {}
            }
        })?;
        let end_ns = reader.end_ns().unwrap_or(last_ts);
        pass.sink_mut().at_end = true;
        let (last, ending) = pass.finish(reader, end_ns, ModelOptions::default());
        s.group_edges = busiest_edges(&ending, &last.pairs);
        s.groups = biggest_groups(&ending, last);
        s.channels = channel_traffic(reader.tables(), ending.channels);
        let tables = reader.tables();
        s.duration_ns = reader.end_ns().unwrap_or(last_ts - first_ts.unwrap_or(0));
        s.events_by_kind = KIND_NAMES.iter().zip(by_kind).filter(|&(_, n)| n > 0).map(|(&k, n)| (k, n)).collect();
        s.goroutines.created = creations.values().sum();
        s.goroutines.user_created =
            creations.iter().filter(|&(&st, _)| start_function(tables, st).is_some_and(is_user_function)).map(|(_, &n)| n).sum();
        for (&(_, reason), &n) in &block_stacks {
            *s.blocks.by_reason.entry(tables.str(reason).to_string()).or_default() += n;
        }
        s.blocks.total = s.blocks.by_reason.values().sum();
        s.top_block_stacks = top_stacks(tables, block_stacks);
        s.warnings = reader.warnings().to_vec();
        s.experimental_skipped = reader.experimental_skipped();
        Ok(s)
    }

    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "format       {}", self.format);
        let _ = writeln!(out, "duration     {:.3} ms", self.duration_ns as f64 / 1e6);
        let _ = writeln!(out, "events       {}", self.events);
        if self.experimental_skipped > 0 {
            let _ = writeln!(out, "             (and {} events of runtime experiments, skipped)", self.experimental_skipped);
        }
        let g = &self.goroutines;
        let _ = writeln!(out, "goroutines   {} created ({} in package main), {} already running", g.created, g.user_created, g.existing);
        let _ = writeln!(out, "blocks       {}", self.blocks.total);
        for (reason, n) in sorted_desc(&self.blocks.by_reason) {
            let _ = writeln!(out, "  {n:>10}  {}", reason_text(reason));
        }
        let _ = writeln!(out, "unblocks     {}", self.unblocks.total);
        let _ = writeln!(out, "  {:>10}  by close of a channel", self.unblocks.by_close);
        let _ = writeln!(out, "events by kind");
        for (kind, n) in sorted_desc(&self.events_by_kind) {
            let _ = writeln!(out, "  {n:>10}  {kind}");
        }
        if !self.top_block_stacks.is_empty() {
            let _ = writeln!(out, "where goroutines block most");
            for b in &self.top_block_stacks {
                let _ = writeln!(out, "  {:>10}  {}", b.count, reason_text(&b.reason));
                for f in &b.frames {
                    let _ = writeln!(out, "              {} {}:{}", f.func, f.file, f.line);
                }
            }
        }
        if !self.groups.is_empty() {
            let _ = writeln!(out, "biggest groups (goroutines made at one place), and how they were at the end");
            for GroupSummary { group: g, under, at_end } in &self.groups {
                let name = if g.name.is_empty() { "(start function not traced)" } else { &g.name };
                let under =
                    under.as_ref().map(|p| format!("  (group {}, under {p})", g.id)).unwrap_or_else(|| format!("  (group {})", g.id));
                let _ = writeln!(out, "  {:>10}  {name}{under}", g.count);
                if !g.site.is_empty() {
                    let _ = writeln!(out, "              made at {}", g.site);
                }
                let mut at_end: Vec<String> = sorted_desc(at_end).into_iter().map(|(state, n)| format!("{n} {state}")).collect();
                at_end.truncate(4);
                let _ = writeln!(out, "              {}", at_end.join(", "));
            }
        }
        if !self.group_edges.is_empty() {
            let _ = writeln!(out, "groups that send each other the most messages");
            for e in &self.group_edges {
                let (g, n) = (&e.edge, e.edge.messages);
                let _ = writeln!(out, "  {n:>10}  {} (group {}) -> {} (group {})", e.from_name, g.from, e.to_name, g.to);
            }
        }
        if !self.channels.is_empty() {
            let _ = writeln!(out, "channels     {} carried values or were closed", self.channels.len());
            for c in &self.channels {
                let closed = if c.closed { ", closed" } else { "" };
                let elem = c.elem_type.as_deref().unwrap_or("? (made before the trace)");
                let room = match c.capacity {
                    Some(0) => " unbuffered".to_string(),
                    Some(n) => format!(" buffered {n}"),
                    None => String::new(),
                };
                let at = c.made_at.as_ref().map(|f| format!(", made at {} {}:{}", f.func, f.file, f.line)).unwrap_or_default();
                let _ = writeln!(out, "  {:>10}  sent, {} received{closed}: chan {elem}{room}{at}", c.sends, c.recvs);
            }
        }
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        out
    }
}

/// How the goroutines still alive at the end of the trace were then: the segments that the
/// pass's end closes, one a goroutine. The others are not kept: there are millions.
#[derive(Default)]
struct LastSegments {
    at_end: bool,
    last: FxHashMap<GoId, Segment>,
    /// Messages by sender, receiver, kind and whether inferred: whether the model keeps them
    /// is known only at the end. Far fewer keys than messages.
    pairs: FxHashMap<(GoId, GoId, MessageKind, bool), u64>,
}

impl Sink for LastSegments {
    fn segment(&mut self, segment: Segment) {
        if self.at_end {
            self.last.insert(segment.goroutine, segment);
        }
    }

    fn message(&mut self, m: Message, inferred: bool) {
        *self.pairs.entry((m.from, m.to, m.kind, inferred)).or_default() += 1;
    }
}

/// The edges between groups that send each other the most.
fn busiest_edges(ending: &PassEnd, pairs: &FxHashMap<(GoId, GoId, MessageKind, bool), u64>) -> Vec<EdgeSummary> {
    let group = |g: GoId| group_of(&ending.goroutines, g);
    let mut counter = EdgeCounter::default();
    for (&(from, to, kind, inferred), &n) in pairs {
        if !kept(kind, inferred, ending.meta.channel_truth) {
            continue;
        }
        if let (Some(from), Some(to)) = (group(from), group(to)) {
            counter.add(from, to, None, n);
        }
    }
    let mut v = counter.finish();
    v.sort_by(|a, b| b.messages.cmp(&a.messages).then((a.from, a.to).cmp(&(b.from, b.to))));
    v.truncate(TOP_GROUPS);
    let name = |g: u32| ending.groups[g as usize].name.clone();
    v.into_iter().map(|edge| EdgeSummary { from_name: name(edge.from), to_name: name(edge.to), edge }).collect()
}

fn biggest_groups(ending: &PassEnd, last: LastSegments) -> Vec<GroupSummary> {
    let mut v: Vec<GroupSummary> = ending
        .groups
        .iter()
        .map(|g| GroupSummary {
            group: g.clone(),
            under: g.parent.map(|p| ending.groups[p as usize].name.clone()),
            at_end: BTreeMap::new(),
        })
        .collect();
    for g in &ending.goroutines {
        let state = match (g.end_ns, last.last.get(&g.id)) {
            (Some(_), _) | (None, None) => "ended".to_string(),
            (None, Some(s)) => match &s.reason {
                Some(r) if s.state == State::Blocked => format!("blocked: {}", reason_text(r)),
                _ => s.state.name().to_string(),
            },
        };
        *v[g.group as usize].at_end.entry(state).or_default() += 1;
    }
    v.sort_by(|a, b| b.group.count.cmp(&a.group.count).then(a.group.id.cmp(&b.group.id)));
    v.truncate(TOP_GROUPS);
    v
}

/// Go's tool gives old traces' plain GoBlock no reason; text output says so in words.
fn reason_text(reason: &str) -> &str {
    if reason.is_empty() {
        "(no reason given)"
    } else {
        reason
    }
}

fn sorted_desc<K: std::fmt::Display + Ord>(map: &BTreeMap<K, u64>) -> Vec<(&K, u64)> {
    let mut v: Vec<_> = map.iter().map(|(k, &n)| (k, n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v
}

fn start_function(tables: &Tables, stack: StackId) -> Option<&str> {
    tables.stack(stack).first().map(|f| tables.str(f.func))
}

fn top_stacks(tables: &Tables, counts: FxHashMap<(StackId, StrId), u64>) -> Vec<BlockStack> {
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.into_iter()
        .take(TOP_STACKS)
        .map(|((stack, reason), count)| BlockStack {
            count,
            reason: tables.str(reason).to_string(),
            frames: tables
                .stack(stack)
                .iter()
                .map(|f| FrameText { func: display_func(tables, f), file: tables.str(f.file).to_string(), line: f.line })
                .collect(),
        })
        .collect()
}

/// The channels with traffic, busiest first, each with the program's frame that made it.
fn channel_traffic(tables: &Tables, channels: Vec<Channel>) -> Vec<ChannelTraffic> {
    let mut v: Vec<ChannelTraffic> = channels
        .into_iter()
        .filter(|c| c.sends + c.recvs > 0 || c.closed_ns.is_some())
        .map(|c| ChannelTraffic {
            id: c.id,
            made_at: c.make_stack.and_then(|s| {
                let frames = tables.stack(s.trace_id());
                let program = frames.iter().find(|f| !tables.str(f.func).starts_with("runtime.")).or(frames.first());
                program.map(|f| FrameText { func: display_func(tables, f), file: tables.str(f.file).to_string(), line: f.line })
            }),
            elem_type: c.elem_type,
            capacity: c.capacity,
            sends: c.sends,
            recvs: c.recvs,
            closed: c.closed_ns.is_some(),
        })
        .collect();
    v.sort_by(|a, b| (b.sends + b.recvs).cmp(&(a.sends + a.recvs)).then(a.id.cmp(&b.id)));
    v
}

fn display_func(tables: &Tables, f: &crate::trace::InternedFrame) -> String {
    match tables.str(f.func) {
        "" => format!("{:#x}", f.pc),
        name => name.to_string(),
    }
}

/// `gotrace inspect TRACE [BINARY] [--json]`
pub fn run(trace: &Path, binary: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let file = TraceFile::open(trace).with_context(|| format!("cannot read {}", trace.display()))?;
    let mut reader = Reader::open_file(&file, binary).with_context(|| trace.display().to_string())?;
    let summary = Summary::collect(&mut reader, &Step::start("reading the trace")).with_context(|| trace.display().to_string())?;
    let text = if json { serde_json::to_string_pretty(&summary)? + "\n" } else { summary.to_text() };
    crate::output::write_stdout(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_functions_are_those_of_package_main() {
        assert!(is_user_function("main.worker"));
        assert!(is_user_function("main.main.func1"));
        assert!(is_user_function("main.(*server).loop"));
        assert!(!is_user_function("runtime.main"));
        assert!(!is_user_function("mainly.f"));
    }
}
