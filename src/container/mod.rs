//! Containers through the Docker Engine API (bollard): the gotrace image (`setup-runtime
//! --docker`), `gotrace build --docker` (cross-compiling for linux, darwin or windows) and
//! `gotrace run --docker`. Nothing here runs the docker CLI.
//!
//! Sources go into a container at the same absolute paths they have here, so that Go's messages
//! and the instrumented file's `/*line*/` directives name the user's paths; the instrumented file
//! replaces main's file in that copy, which is why no `-overlay` (and no work directory) is
//! needed there.

mod engine;
mod error;
mod image;
mod sandbox;
mod tarball;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::instrument::{self, Plan};
use crate::interrupts::Interrupts;
use crate::model::Outcome;
use crate::runner::{ProgramEnd, RunOptions};
use crate::setup::SetupOptions;
use crate::target::{self, Target};
use engine::Engine;
use sandbox::{Output, Sandbox, Spec};

/// The flags `build` and `run` take with `--docker`.
#[derive(Debug, Clone, Default)]
pub struct DockerOptions {
    pub goos: Option<String>,
    pub goarch: Option<String>,
    pub image: Option<String>,
    pub network: bool,
}

/// Where the container's build puts the binary and its run the trace.
const OUT_DIR: &str = "/tmp/gotrace-out";
/// nobody, who owns what gotrace puts into a container.
const OWNER: u64 = 65534;
/// How long a program that was asked to stop (Ctrl-C, --timeout) has to finish its trace.
const GRACE: Duration = Duration::from_secs(5);
/// The most of the user's tree gotrace copies into a container.
const MAX_UPLOAD: u64 = 512 << 20;

/// `go build` in the container, with the image's GODEBUG (the patched runtime's switch, written
/// by docker/patch-go.sh) made the binary's default, so that it records channel operations when
/// run on its own. Any Go image serves: without /gotrace/godebug it is a plain `go build`.
const BUILD_SCRIPT: &str = r#"out=$1; shift
godebug=$(cat /gotrace/godebug 2>/dev/null || true)
if [ -n "$godebug" ]; then exec go build -o "$out" -ldflags="-X=runtime.godebugDefault=$godebug" "$@"; fi
exec go build -o "$out" "$@""#;

/// `gotrace setup-runtime --docker`: builds the image, or with `--prune` removes stale containers.
pub fn setup(opts: &SetupOptions) -> anyhow::Result<()> {
    let engine = Engine::connect()?;
    if opts.prune {
        let removed = sandbox::prune(&engine)?;
        eprintln!("gotrace: removed {removed} stale gotrace container(s)");
        return Ok(());
    }
    image::Recipe::new(opts.go.as_deref(), opts.image.as_deref(), opts.base.as_deref())?.build(&engine)
}

/// `gotrace build --docker`: the instrumented binary for GOOS/GOARCH, built in a container.
pub fn build(targets: &[std::ffi::OsString], output: Option<&Path>, docker: &DockerOptions) -> anyhow::Result<()> {
    let interrupts = Interrupts::catch();
    let goos = docker.goos.as_deref().unwrap_or("linux");
    let output = output.map_or_else(|| PathBuf::from(if goos == "windows" { "binary.exe" } else { "binary" }), Path::to_path_buf);
    let engine = Engine::connect()?;
    let (target, plan) = prepare(targets)?;
    let binary = build_in_container(&engine, &target, &plan, docker, &interrupts)?;
    install(&output, &binary)?;
    let bin = output.display();
    if goos == std::env::consts::OS {
        eprintln!("gotrace: built {bin}; run it as `{bin} 2> trace.out` (or `GOTRACE_TRACE_FILE=trace.out {bin}`), then `gotrace trace.out {bin}`");
    } else {
        eprintln!("gotrace: built {bin} for {goos}; there run it as `{bin} 2> trace.out`, then `gotrace trace.out {bin}`");
    }
    Ok(())
}

/// `gotrace run --docker`: build and run in linux containers, then show the trace here.
pub fn run(opts: &RunOptions, docker: &DockerOptions) -> anyhow::Result<i32> {
    let interrupts = Interrupts::catch();
    let engine = Engine::connect()?;
    let (target, plan) = prepare(&opts.targets)?;
    let linux = DockerOptions { goos: None, goarch: None, ..docker.clone() };
    let binary = build_in_container(&engine, &target, &plan, &linux, &interrupts)?;

    let work = tempfile::Builder::new().prefix("gotrace-").tempdir().context("cannot create a temporary directory")?;
    let local_binary = work.path().join(&target.name);
    std::fs::write(&local_binary, &binary).with_context(|| format!("cannot write {}", local_binary.display()))?;
    let trace_on_stderr = opts.trace_stderr || matches!(plan, Plan::OwnTrace);
    let (code, outcome, trace) = run_in_container(&engine, opts, docker, binary, trace_on_stderr, &interrupts)?;
    if code != 0 && outcome == Outcome::Exited {
        eprintln!("gotrace: the program exited with code {code}");
    }
    let trace_path = work.path().join("trace.out");
    std::fs::write(&trace_path, trace.unwrap_or_default()).with_context(|| format!("cannot write {}", trace_path.display()))?;
    // A program stopped on request ended as asked.
    let code = if outcome == Outcome::Exited { i32::try_from(code).unwrap_or(1) } else { 0 };
    let ending = ProgramEnd { name: &target.name, outcome, program_code: code, crashed: None };
    crate::runner::finish(opts, &trace_path, &local_binary, &ending, work.path(), &interrupts)
}

fn prepare(targets: &[std::ffi::OsString]) -> anyhow::Result<(Target, Plan)> {
    if !cfg!(unix) {
        bail!("--docker needs a Unix host here: the sources go into the container at their own paths");
    }
    let target = target::resolve_without_go(targets)?;
    let plan = crate::runner::plan(&target)?;
    Ok((target, plan))
}

fn default_image() -> String {
    image::default_tag(image::DEFAULT_GO)
}

/// The `--image` flag that names `image`, or nothing for the default one.
fn image_flag(image: &str) -> String {
    if image == default_image() {
        String::new()
    } else {
        format!(" --image {image}")
    }
}

/// Builds `target` in a fresh container and returns the binary.
fn build_in_container(
    engine: &Engine,
    target: &Target,
    plan: &Plan,
    docker: &DockerOptions,
    interrupts: &Interrupts,
) -> anyhow::Result<Vec<u8>> {
    let image = docker.image.clone().unwrap_or_else(default_image);
    image::ensure(engine, &image)?;
    let root = target::module_root(&target.dir).unwrap_or(&target.dir).to_path_buf();
    let (sources, helpers) = sources(&root, target, plan)?;

    let out = format!("{OUT_DIR}/binary");
    let mut cmd: Vec<String> = ["sh", "-c", BUILD_SCRIPT, "gotrace-build", &out, "--"].map(str::to_owned).into();
    cmd.extend(target.build_args.iter().map(|a| a.to_string_lossy().into_owned()));
    if target.by_files {
        cmd.extend(helpers.iter().map(|h| h.display().to_string()));
    }
    let mut env = go_env(docker.network);
    env.extend(docker.goos.iter().map(|v| format!("GOOS={v}")));
    env.extend(docker.goarch.iter().map(|v| format!("GOARCH={v}")));
    let spec = Spec { image: &image, cmd, env, workdir: Some(root.display().to_string()), network: docker.network };

    let step = crate::progress::Step::start(&format!("building {} in {image}", target.name));
    let sandbox = Sandbox::create(engine, &spec)?;
    sandbox.upload(sources)?;
    // Go's messages go to stderr as they come; they name the user's paths.
    let code = sandbox.run(|o| pass_on(o, None), || interrupts.happened().then_some("SIGKILL"))?;
    drop(step);
    if interrupts.happened() {
        bail!("interrupted");
    }
    if code != 0 {
        bail!("go build failed (in a container of {image})");
    }
    tarball::only_file(&sandbox.download(&out)?)
}

/// The environment of Go in a container: no toolchain downloads, and no module proxy to wait
/// for when there is no network.
fn go_env(network: bool) -> Vec<String> {
    let mut env: Vec<String> =
        ["GOTOOLCHAIN=local", "CGO_ENABLED=0", "HOME=/tmp", "GOCACHE=/tmp/.cache/go-build", "GOPATH=/tmp/go"].map(str::to_owned).into();
    if !network {
        env.push("GOPROXY=off".to_owned());
    }
    env
}

/// The tar of the tree at `root` as the build sees it (main's file instrumented, the helpers
/// added, hidden directories left out), and the helpers' paths.
fn sources(root: &Path, target: &Target, plan: &Plan) -> anyhow::Result<(Vec<u8>, Vec<PathBuf>)> {
    let mut tree = tarball::Tree::new(OWNER);
    tree.dir(Path::new(OUT_DIR))?;
    // The image's Go is taken to be current (1.23+), as the images gotrace builds are.
    let (replaced, helpers) = match plan {
        Plan::Instrument { file, source, .. } => (
            Some((file.as_path(), source.as_str())),
            instrument::helper_sources(None)
                .into_iter()
                .map(|(name, text)| (crate::runner::build::helper_path(&target.dir, name), text))
                .collect(),
        ),
        _ => (None, Vec::new()),
    };
    let mut total = 0;
    let mut files = Vec::new();
    walk(root, &mut files)?;
    for path in files {
        let data = match replaced {
            Some((file, source)) if file == path => source.as_bytes().to_vec(),
            _ => std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?,
        };
        total += data.len() as u64;
        if total > MAX_UPLOAD {
            bail!("{} holds more than {} MB to copy into the container: build a smaller module", root.display(), MAX_UPLOAD >> 20);
        }
        tree.file(&path, &data, 0o644)?;
    }
    for (helper, text) in &helpers {
        tree.file(helper, text.as_bytes(), 0o644)?;
    }
    Ok((tree.finish()?, helpers.into_iter().map(|(path, _)| path).collect()))
}

/// Every regular file under `dir`, hidden directories (.git, …) left out.
fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let kind = entry.file_type().with_context(|| format!("cannot read {}", entry.path().display()))?;
        if kind.is_dir() && !entry.file_name().to_string_lossy().starts_with('.') {
            walk(&entry.path(), files)?;
        } else if kind.is_file() {
            files.push(entry.path());
        }
    }
    Ok(())
}

/// Runs `binary` in a fresh linux container with the program's output streaming here; returns
/// its exit code and trace. Ctrl-C and --timeout ask it to stop (SIGINT, so that it completes
/// the trace), then kill it after a grace period.
fn run_in_container(
    engine: &Engine,
    opts: &RunOptions,
    docker: &DockerOptions,
    binary: Vec<u8>,
    trace_on_stderr: bool,
    interrupts: &Interrupts,
) -> anyhow::Result<(i64, Outcome, Option<Vec<u8>>)> {
    let image = docker.image.clone().unwrap_or_else(default_image);
    let program = format!("{OUT_DIR}/program");
    let trace_file = format!("{OUT_DIR}/trace.out");
    let mut cmd = vec![program.clone()];
    cmd.extend(opts.args.iter().map(|a| a.to_string_lossy().into_owned()));
    let env = if trace_on_stderr { Vec::new() } else { vec![format!("{}={trace_file}", instrument::TRACE_FILE_ENV)] };
    let spec = Spec { image: &image, cmd, env, workdir: Some("/tmp".to_owned()), network: docker.network };

    let mut tree = tarball::Tree::new(OWNER);
    tree.dir(Path::new(OUT_DIR))?;
    tree.file(Path::new(&program), &binary, 0o755)?;
    let sandbox = Sandbox::create(engine, &spec)?;
    sandbox.upload(tree.finish()?)?;

    let started = Instant::now();
    let mut stop_asked: Option<Instant> = None;
    let mut stderr_trace = Vec::new();
    let signal = || {
        let due = interrupts.happened() || opts.timeout.is_some_and(|t| started.elapsed() >= t);
        match stop_asked {
            None if due => {
                stop_asked = Some(Instant::now());
                Some("SIGINT")
            }
            Some(at) if at.elapsed() >= GRACE => Some("SIGKILL"),
            _ => None,
        }
    };
    let mut sink = trace_on_stderr.then_some(&mut stderr_trace);
    let code = sandbox.run(|o| pass_on(o, sink.as_deref_mut()), signal)?;
    let outcome = if interrupts.happened() {
        eprintln!("gotrace: the program was interrupted");
        Outcome::Interrupted
    } else if stop_asked.is_some() {
        eprintln!("gotrace: stopped the program after {:?} (--timeout)", opts.timeout.unwrap_or_default());
        Outcome::Timeout
    } else {
        Outcome::Exited
    };
    let trace = if trace_on_stderr {
        Some(stderr_trace)
    } else {
        sandbox.download(&trace_file).ok().map(|t| tarball::only_file(&t)).transpose()?
    };
    Ok((code, outcome, trace))
}

/// The container's stdout to ours, its stderr to ours or, when the trace goes there, to `trace`.
fn pass_on(output: Output, trace: Option<&mut Vec<u8>>) {
    // A closed stdout (gotrace piped into `head`) must not stop the program's run.
    match (output, trace) {
        (Output::Stdout(bytes), _) => {
            let _ = std::io::stdout().write_all(bytes).and_then(|()| std::io::stdout().flush());
        }
        (Output::Stderr(bytes), Some(trace)) => trace.extend_from_slice(bytes),
        (Output::Stderr(bytes), None) => {
            let _ = std::io::stderr().write_all(bytes);
        }
    }
}

/// Writes the binary to `output` through a temporary file beside it, so that a failure leaves
/// no half-written binary.
fn install(output: &Path, binary: &[u8]) -> anyhow::Result<()> {
    let dir = output.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::Builder::new().prefix(".gotrace-").tempfile_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(binary).with_context(|| format!("cannot write {}", output.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", output.display()))?;
    }
    tmp.persist(output).map_err(|e| e.error).with_context(|| format!("cannot write {}", output.display()))?;
    Ok(())
}
