//! `gotrace view`: trace file → model → JSON file, one-file HTML, or the served viewer.
//! Also the last step of `gotrace run`.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::lod::{Budget, Drawing, DrawingSink, Overview, Picture, TimeRange, Window};
use crate::model::{self, Model, Stack, Start};
use crate::serve::{self, ModelPictures, Pictures, ServeOptions};
use crate::trace::{Format, GenerationMark, Reader, TraceFile};

#[derive(Debug, Clone, Default)]
pub struct ViewOptions {
    /// Write the model as JSON here (and do not serve).
    pub json_out: Option<PathBuf>,
    /// Write one self-contained HTML page here (and do not serve).
    pub html_out: Option<PathBuf>,
    /// Serve, but do not open a browser.
    pub no_browser: bool,
    /// Port to serve on; the next free one from the default when absent.
    pub port: Option<u16>,
    /// Keep runtime and tracer goroutines.
    pub all: bool,
    /// Show only this part of the trace.
    pub window: Option<TimeRange>,
}

impl ViewOptions {
    fn serve_options(&self) -> ServeOptions {
        ServeOptions { port: self.port, no_browser: self.no_browser }
    }
}

/// How many events a zoomed window's pass reads, past where it would stop, between two
/// looks at whether a message sent in the window is still to be received.
const PENDING_CHECK_EVERY: u64 = 4096;

/// The example that `gotrace view` shows without arguments: a real Go 1.27 trace of a
/// ping-pong between two goroutines, carried in the binary so that no Go is needed.
const EXAMPLE_TRACE: &[u8] = include_bytes!("../tests/traces/pingpong_1_27.trace");

/// Shows `trace` as `opts` asks. `trace` may also be a model that `-o` wrote, to view it again.
pub fn view_trace(trace: &Path, binary: Option<&Path>, opts: &ViewOptions) -> anyhow::Result<()> {
    let file = TraceFile::open(trace).with_context(|| format!("cannot read {}", trace.display()))?;
    view_file(&file, binary, opts).with_context(|| trace.display().to_string())
}

/// `gotrace view` with no trace: the bundled example.
pub fn view_example(opts: &ViewOptions) -> anyhow::Result<()> {
    eprintln!("gotrace: no trace given; showing the bundled example (a ping-pong between two goroutines)");
    view_file(&TraceFile::from_vec(EXAMPLE_TRACE.to_vec()), None, opts)
}

/// Shows a trace or a model file. A page (`--html`, the served viewer's first one) needs only
/// what it draws, so a trace is read into that alone, not into its model; `-o` needs the model.
fn view_file(file: &TraceFile, binary: Option<&Path>, opts: &ViewOptions) -> anyhow::Result<()> {
    let data = file.bytes();
    if model::is_model(data) {
        return show(Model::from_json(data)?, opts);
    }
    let mut trace = Trace { file, binary, options: model::ModelOptions { all: opts.all }, marks: Vec::new() };
    if let Some(path) = &opts.json_out {
        let duration_ns = trace.write_json(&path.display().to_string(), || std::fs::File::create(path))?;
        if let Some(range) = opts.window {
            range.window_in(duration_ns)?;
        }
        if opts.html_out.is_none() {
            return Ok(());
        }
    }
    if opts.html_out.is_none() && matches!(Format::detect(data), Ok(Format::V1 { .. })) {
        // An old-format trace is read whole to be read at all: held as a model, its zoomed
        // windows are cut from memory instead of read again from the start.
        return show(model::from_trace(data, binary, opts.all)?, opts);
    }
    let window = opts.window.map_or(Window { start_ns: 0, end_ns: u64::MAX }, TimeRange::open_window);
    let overview = trace.overview(window)?;
    if let Some(range) = opts.window {
        range.window_in(overview.context.meta.duration_ns)?;
    }
    let page = serve::picture_json(overview.picture())?;
    if let Some(path) = &opts.html_out {
        return write_page(path, &page);
    }
    serve::serve(&TracePictures { trace, overview }, &page, &opts.serve_options())
}

fn write_page(path: &Path, picture_json: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, serve::html::page(picture_json)).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("gotrace: wrote {}", path.display());
    Ok(())
}

/// Writes or serves `model` as `opts` asks.
pub fn show(model: Model, opts: &ViewOptions) -> anyhow::Result<()> {
    let window = match opts.window {
        Some(range) => range.window(&model)?,
        None => Window::whole(&model),
    };
    if let Some(path) = &opts.json_out {
        let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
        model.write_json(file).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let pictures = ModelPictures(&model);
    let page = pictures.picture_json(window)?;
    if let Some(path) = &opts.html_out {
        write_page(path, &page)?;
    }
    if opts.json_out.is_some() || opts.html_out.is_some() {
        return Ok(());
    }
    serve::serve(&pictures, &page, &opts.serve_options())
}

/// A trace to be read again for each picture, never held as a model.
struct Trace<'a> {
    file: &'a TraceFile,
    binary: Option<&'a Path>,
    options: model::ModelOptions,
    /// Where each generation of a new-format trace starts, and what every goroutine was
    /// doing there, once read through.
    marks: Vec<(GenerationMark, Start)>,
}

impl Trace<'_> {
    /// The picture of `window` (its end `u64::MAX` for the trace's), from one pass that also
    /// notes where each generation starts.
    fn overview(&mut self, window: Window) -> anyhow::Result<Overview> {
        let mut reader = Reader::open_file(self.file, self.binary)?;
        let (sink, mut ending) = model::read(&mut reader, self.options, DrawingSink::new(window, Budget::default()))?;
        self.marks = reader.generations().iter().cloned().zip(std::mem::take(&mut ending.starts)).collect();
        Ok(sink.overview(ending, reader.tables()))
    }

    /// Writes the model as JSON, streamed (see [`model::ModelWriter`]), into what `out` makes once
    /// the trace was read through, so that a trace that cannot be read leaves nothing half
    /// written; `what` names it in errors. Returns the trace's duration.
    fn write_json<W: std::io::Write>(&self, what: &str, out: impl FnOnce() -> std::io::Result<W>) -> anyhow::Result<u64> {
        let mut first = Reader::open_file(self.file, self.binary)?;
        let mut second = Reader::open_file(self.file, self.binary)?;
        let plan = model::ModelWriter::read(&mut first, self.options)?;
        let cannot = || format!("cannot write {what}");
        plan.write(&mut second, out().with_context(cannot)?, model::SORT_RUN_LEN).with_context(cannot)
    }

    /// A pass into `sink` from the last generation that starts before `ns` (from the start
    /// of the trace when there are no generations to start at), and its reader.
    fn pass_from<S: model::Sink>(&self, ns: u64, sink: S) -> anyhow::Result<(Reader<'_>, model::Pass<S>)> {
        match self.marks.iter().rev().find(|(m, _)| m.events > 0 && m.first_ns <= ns) {
            Some((mark, start)) => Ok((Reader::resume(self.file, mark)?, model::Pass::resumed(sink, start))),
            None => Ok((Reader::open_file(self.file, self.binary)?, model::Pass::new(sink))),
        }
    }

    /// The drawing of `window`, and the stacks it refers to, from the events of the
    /// generations it overlaps; the goroutines and metadata are the whole trace's (`context`).
    fn detail(&self, window: Window, context: &Model) -> anyhow::Result<(Drawing, Vec<Stack>)> {
        let (mut reader, mut pass) = self.pass_from(window.start_ns, DrawingSink::new(window, Budget::default()))?;
        // Read on past the window by its length, so that most messages sent in it are
        // received, then on until every one is (a sender can wait long for its receiver);
        // what is still open then ends there, outside the window.
        let stop_ns = window.end_ns.saturating_add(window.end_ns - window.start_ns);
        let span = window.start_ns..window.end_ns;
        let (mut end_ns, mut last_ns, mut past) = (None, 0, 0u64);
        while let Some(ev) = reader.next_event()? {
            if ev.ts >= stop_ns {
                // Asked now and then: it looks at every goroutine.
                if past % PENDING_CHECK_EVERY == 0 && !pass.sends_pending(&span) {
                    end_ns = Some(stop_ns.max(last_ns));
                    break;
                }
                past += 1;
            }
            last_ns = ev.ts;
            pass.apply(reader.tables(), &ev);
        }
        let end_ns = end_ns.unwrap_or(context.meta.duration_ns);
        let (sink, _) = pass.finish(&reader, end_ns, self.options);
        let mut drawing = sink.finish(&context.meta, |g| context.lists(g));
        let stacks = model::number_stacks(reader.tables(), |f| drawing.each_stack_ref(f));
        Ok((drawing, stacks))
    }
}

/// The pictures of a trace: the overview, and each zoomed window read again.
struct TracePictures<'a> {
    trace: Trace<'a>,
    overview: Overview,
}

impl Pictures for TracePictures<'_> {
    fn picture_json(&self, window: Window) -> anyhow::Result<Vec<u8>> {
        let (drawing, stacks) = self.trace.detail(window, &self.overview.context)?;
        serve::picture_json(Picture { context: &self.overview.context, stacks: &stacks, drawing: &drawing })
    }

    fn write_model(&self, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
        self.trace.write_json("the model", || Ok(out)).map(drop)
    }
}
