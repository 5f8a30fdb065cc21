//! The command line: clap definitions and one call per subcommand. No stage logic lives here.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};

use crate::lod::TimeRange;

#[derive(Parser, Debug)]
#[command(name = "gotrace", version, about = "See the concurrency of a Go program: goroutines and channel messages in 3D")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Summarize a trace: format, duration, goroutines, events, blocks and where they happen.
    Inspect {
        /// An execution trace written by runtime/trace (any Go from 1.5 to 1.27).
        trace: PathBuf,
        /// The traced program's binary; needed to name functions in Go 1.5/1.6 traces.
        binary: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Visualize an existing trace file in the browser.
    View {
        /// A trace file, or a model written by `-o`; the bundled example when absent.
        trace: Option<PathBuf>,
        binary: Option<PathBuf>,
        #[command(flatten)]
        show: ShowArgs,
    },
    /// Instrument, build and run a Go program, then show its trace.
    Run {
        /// A .go file, several .go files of one directory, a package directory or ./cmd/x.
        #[arg(required = true)]
        target: Vec<OsString>,
        /// Arguments for the program.
        #[arg(last = true, value_name = "ARGS")]
        args: Vec<OsString>,
        #[command(flatten)]
        go: GoArgs,
        /// Stop the program after DURATION (e.g. 5s, 1m) and show what was traced.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        timeout: Option<std::time::Duration>,
        /// Also keep the raw trace in FILE.
        #[arg(long, value_name = "FILE")]
        trace_out: Option<PathBuf>,
        /// Take the trace from the program's stderr, as the 2016 original did.
        #[arg(long)]
        trace_stderr: bool,
        #[command(flatten)]
        docker: DockerArgs,
        #[command(flatten)]
        show: ShowArgs,
        #[command(flatten)]
        check: CheckArgs,
    },
    /// Run `go test` with an execution trace per package; report leaked goroutines per package.
    Test {
        /// Packages, as `go test` takes them (default `.`; `./...` for all).
        packages: Vec<OsString>,
        /// Flags for `go test` (e.g. -run TestX -count 1).
        #[arg(last = true, value_name = "GO TEST FLAGS")]
        flags: Vec<OsString>,
        #[command(flatten)]
        go: GoArgs,
        #[command(flatten)]
        show: ShowArgs,
        #[command(flatten)]
        check: CheckArgs,
    },
    /// Report the goroutines an existing trace left stuck (leaks). Exit status 3 on leaks.
    Check {
        /// An execution trace, or a model written by `-o`.
        trace: PathBuf,
        /// The traced program's binary; needed to name functions in Go 1.5/1.6 traces.
        binary: Option<PathBuf>,
        /// Print the `check` object as JSON on stdout.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        check: LeakReportArgs,
    },
    /// Build an instrumented binary without running it (it writes its trace to stderr).
    Build {
        #[arg(required = true)]
        target: Vec<OsString>,
        /// Where to write the binary (default: named like `go build` names it).
        #[arg(short = 'o', value_name = "BINARY")]
        output: Option<PathBuf>,
        #[command(flatten)]
        go: GoArgs,
        #[command(flatten)]
        docker: DockerArgs,
        /// With --docker: the OS to build for.
        #[arg(long, value_name = "OS", value_parser = ["linux", "darwin", "windows"], requires = "docker")]
        goos: Option<String>,
        /// With --docker: the architecture to build for.
        #[arg(long, value_name = "ARCH", value_parser = ["amd64", "arm64"], requires = "docker")]
        goarch: Option<String>,
    },
    /// Make a Go runtime whose tracer records every channel operation (channel, value).
    SetupRuntime(SetupArgs),
}

/// `gotrace setup-runtime`'s flags.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SetupArgs {
    /// The Go to patch a copy of (a `go` command; default as for `run`), or `1.6.3` for the
    /// 2016 original's runtime, downloaded and bootstrap-built.
    #[arg(long = "go", value_name = "PATH|VERSION")]
    pub go: Option<String>,
    /// List the runtimes gotrace has set up.
    #[arg(long, conflicts_with = "remove")]
    pub list: bool,
    /// Remove the runtime that --go selects.
    #[arg(long)]
    pub remove: bool,
    /// Build the gotrace container image (Docker Engine API) instead of a local runtime.
    #[arg(long)]
    pub docker: bool,
    /// With --docker: the image's tag.
    #[arg(long, value_name = "NAME", requires = "docker")]
    pub image: Option<String>,
    /// With --docker: the image to build FROM.
    #[arg(long, value_name = "IMAGE", requires = "docker")]
    pub base: Option<String>,
    /// With --docker: remove stale gotrace containers.
    #[arg(long, requires = "docker")]
    pub prune: bool,
    /// Go 1.6.3: bootstrap with this installed Go instead of downloading Go 1.4.3.
    #[arg(long, value_name = "PATH", conflicts_with = "bootstrap_archive")]
    pub bootstrap: Option<PathBuf>,
    /// Go 1.6.3: the bootstrap Go archive, already on disk.
    #[arg(long, value_name = "FILE")]
    pub bootstrap_archive: Option<PathBuf>,
    /// Go 1.6.3: the source archive (go1.6.3.src.tar.gz), already on disk.
    #[arg(long, value_name = "FILE")]
    pub source: Option<PathBuf>,
    /// Go 1.6.3: download from this base URL, laid out like Go's download site.
    #[arg(long, value_name = "URL")]
    pub mirror: Option<String>,
}

impl SetupArgs {
    pub fn options(&self) -> crate::setup::SetupOptions {
        crate::setup::SetupOptions {
            go: self.go.clone(),
            list: self.list,
            remove: self.remove,
            image: self.image.clone(),
            base: self.base.clone(),
            prune: self.prune,
            bootstrap: self.bootstrap.clone(),
            bootstrap_archive: self.bootstrap_archive.clone(),
            source: self.source.clone(),
            mirror: self.mirror.clone(),
        }
    }
}

/// Which Go builds the program.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct GoArgs {
    /// The go command to use (default: $GOTRACE_GO, then `go` on PATH).
    #[arg(long = "go", value_name = "PATH")]
    pub go: Option<PathBuf>,
    /// Which runtime: `patched`, the copy that `gotrace setup-runtime` made of that Go, whose
    /// trace records every channel operation; `stock`, that Go as it is; `auto` (default),
    /// the patched copy when there is one; `go1.6.3`, the original's runtime that
    /// `gotrace setup-runtime --go 1.6.3` made (`run` and `build` only; not with --go).
    #[arg(long, value_name = "RUNTIME", default_value = "auto", value_parser = parse_runtime)]
    pub runtime: crate::toolchain::choice::Runtime,
}

impl GoArgs {
    fn choice(self) -> crate::toolchain::choice::GoChoice {
        crate::toolchain::choice::GoChoice { go: self.go, runtime: self.runtime }
    }
}

fn parse_runtime(text: &str) -> Result<crate::toolchain::choice::Runtime, String> {
    use crate::toolchain::choice::Runtime;
    match text {
        "auto" => Ok(Runtime::Auto),
        "stock" => Ok(Runtime::Stock),
        "patched" => Ok(Runtime::Patched),
        _ if crate::toolchain::choice::is_legacy(Some(text)) => Ok(Runtime::Legacy),
        _ => Err(format!("unknown runtime {text:?}: use auto, stock, patched or go{}", crate::toolchain::choice::LEGACY_GO)),
    }
}

/// Building inside a container (Docker Engine API), shared by `run` and `build`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct DockerArgs {
    /// Build (and for `run`, run) in a container of the gotrace image; see `setup-runtime --docker`.
    #[arg(long)]
    pub docker: bool,
    /// With --docker: the image to use (default gotrace/golang:1.27-gotrace).
    #[arg(long, value_name = "NAME", requires = "docker")]
    pub image: Option<String>,
    /// With --docker: give the container network (default: none).
    #[arg(long, requires = "docker")]
    pub network: bool,
}

impl DockerArgs {
    fn options(&self, goos: Option<String>, goarch: Option<String>) -> Option<crate::container::DockerOptions> {
        self.docker.then(|| crate::container::DockerOptions { goos, goarch, image: self.image.clone(), network: self.network })
    }
}

/// What leaks are and where they are reported: shared by `run` and `test`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct CheckArgs {
    /// Fail on leaked goroutines: exit status 3 when the program succeeded but left goroutines
    /// blocked on channels, select, locks, WaitGroups or conds (2 on a deadlock, the program's
    /// own when it failed).
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub ignore: LeakReportArgs,
}

/// Which goroutines are never leaks, and the JUnit report.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LeakReportArgs {
    /// Goroutines started in FUNC or blocked under a call of FUNC are never leaks (repeatable;
    /// e.g. main.watch, net/http.(*persistConn).readLoop).
    #[arg(long, value_name = "FUNC")]
    pub ignore: Vec<String>,
    /// Also write the findings as JUnit XML to FILE, one test case per group of leaks.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

impl CheckArgs {
    pub fn options(&self) -> crate::check::CheckOptions {
        crate::check::CheckOptions { fail: self.check, ..self.ignore.options() }
    }
}

impl LeakReportArgs {
    pub fn options(&self) -> crate::check::CheckOptions {
        crate::check::CheckOptions { fail: false, ignore: self.ignore.clone(), junit: self.junit.clone() }
    }
}

/// How to show a model: shared by `view` and `run`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ShowArgs {
    /// Write the model as versioned JSON to FILE and exit without serving.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub json_out: Option<PathBuf>,
    /// Write one self-contained HTML page (viewer and data inline) to FILE and exit.
    #[arg(long = "html", value_name = "FILE")]
    pub html_out: Option<PathBuf>,
    /// Serve the viewer but do not open a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// Port to serve on (default 2000, or the next free one).
    #[arg(long)]
    pub port: Option<u16>,
    /// Also show runtime and tracer goroutines.
    #[arg(long)]
    pub all: bool,
    /// Show only this part of the trace, e.g. 1.2s..1.5s, 500ms.., ..2s (times from its start);
    /// the page then has room for every item of it. `-o` still writes the whole model.
    #[arg(long, value_name = "FROM..TO", value_parser = parse_time_range)]
    pub window: Option<TimeRange>,
}

impl ShowArgs {
    pub fn options(&self) -> crate::view::ViewOptions {
        crate::view::ViewOptions {
            json_out: self.json_out.clone(),
            html_out: self.html_out.clone(),
            no_browser: self.no_browser,
            port: self.port,
            all: self.all,
            window: self.window,
        }
    }
}

/// Parses `--timeout` values: "500ms", "5s", "2m", "1h", or bare seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("not a duration: {text:?} (try 5s, 500ms, 2m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("unknown unit {unit:?} in {text:?} (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("not a usable duration: {text:?}"))
}

/// Parses `--window` values: "FROM..TO", "FROM.." or "..TO", each end a duration.
fn parse_time_range(text: &str) -> Result<TimeRange, String> {
    let (from, to) = text.split_once("..").ok_or_else(|| format!("not a window: {text:?} (try 1.2s..1.5s, 500ms.. or ..2s)"))?;
    let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    let from_ns = if from.is_empty() { 0 } else { ns(parse_duration(from)?) };
    let to_ns = if to.is_empty() { None } else { Some(ns(parse_duration(to)?)) };
    if to_ns.is_some_and(|to| to <= from_ns) {
        return Err(format!("the window {text:?} is empty: it must end after it starts"));
    }
    Ok(TimeRange { from_ns, to_ns })
}

/// Whether `word` names a subcommand (or one of its aliases, or `help`), as clap knows them.
fn is_subcommand(word: &str) -> bool {
    word == "help" || Cli::command().get_subcommands().any(|c| c.get_name() == word || c.get_all_aliases().any(|a| a == word))
}

/// `gotrace trace.out [binary]`, the 2016 original's form, means `gotrace view trace.out [binary]`.
fn with_default_subcommand(mut args: Vec<OsString>) -> Vec<OsString> {
    if let Some(first) = args.get(1).and_then(|a| a.to_str()) {
        if !first.starts_with('-') && !is_subcommand(first) {
            args.insert(1, "view".into());
        }
    }
    args
}

/// Runs the command line and returns the process exit code: 0 success, 1 failure, 2 usage.
pub fn main() -> i32 {
    let cli = match Cli::try_parse_from(with_default_subcommand(std::env::args_os().collect())) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let result = match cli.command {
        Command::Inspect { trace, binary, json } => crate::inspect::run(&trace, binary.as_deref(), json).map(|()| 0),
        Command::View { trace: Some(trace), binary, show } => {
            crate::view::view_trace(&trace, binary.as_deref(), &show.options()).map(|()| 0)
        }
        Command::View { trace: None, show, .. } => crate::view::view_example(&show.options()).map(|()| 0),
        Command::Run { target, args, go, timeout, trace_out, trace_stderr, docker, show, check } => {
            let opts = crate::runner::RunOptions {
                targets: target,
                args,
                go: go.choice(),
                timeout,
                trace_out,
                trace_stderr,
                view: show.options(),
                check: check.options(),
            };
            match docker.options(None, None) {
                Some(docker) => crate::container::run(&opts, &docker),
                None => crate::runner::run(&opts),
            }
        }
        Command::Test { packages, flags, go, show, check } => crate::gotest::run(&crate::gotest::TestOptions {
            packages,
            flags,
            go: go.choice(),
            view: show.options(),
            check: check.options(),
        }),
        Command::Check { trace, binary, json, check } => crate::check::run(&trace, binary.as_deref(), json, &check.options()),
        Command::Build { target, output, go, docker, goos, goarch } => match docker.options(goos, goarch) {
            Some(docker) => crate::container::build(&target, output.as_deref(), &docker),
            None => crate::runner::build(&go.choice(), &target, output.as_deref()),
        }
        .map(|()| 0),
        Command::SetupRuntime(setup) if setup.docker => crate::container::setup(&setup.options()).map(|()| 0),
        Command::SetupRuntime(setup) => crate::setup::run(&setup.options()).map(|()| 0),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // `{:#}`: the error and its causes on one line, so that CI logs show the whole story.
            eprintln!("gotrace: {e:#}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn time_ranges() {
        assert_eq!(parse_time_range("1.2s..1.5s"), Ok(TimeRange { from_ns: 1_200_000_000, to_ns: Some(1_500_000_000) }));
        assert_eq!(parse_time_range("500ms.."), Ok(TimeRange { from_ns: 500_000_000, to_ns: None }));
        assert_eq!(parse_time_range("..2s"), Ok(TimeRange { from_ns: 0, to_ns: Some(2_000_000_000) }));
        assert!(parse_time_range("2s..1s").unwrap_err().contains("is empty"));
        assert!(parse_time_range("2s").unwrap_err().starts_with("not a window"));
    }

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn a_bare_trace_file_means_view() {
        assert_eq!(with_default_subcommand(args(&["gotrace", "trace.out", "bin"])), args(&["gotrace", "view", "trace.out", "bin"]));
        assert_eq!(with_default_subcommand(args(&["gotrace", "inspect", "t"])), args(&["gotrace", "inspect", "t"]));
        assert_eq!(with_default_subcommand(args(&["gotrace", "--help"])), args(&["gotrace", "--help"]));
        assert_eq!(with_default_subcommand(args(&["gotrace", "help", "run"])), args(&["gotrace", "help", "run"]));
    }

    #[test]
    fn every_subcommand_is_known() {
        for name in ["inspect", "view", "run", "test", "check", "build", "setup-runtime", "help"] {
            assert!(is_subcommand(name), "{name}");
        }
        assert!(!is_subcommand("trace.out"));
    }
}
