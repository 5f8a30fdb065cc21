//! `gotrace setup-runtime --docker`, `gotrace build --docker` and `gotrace run --docker` against
//! a real Docker engine. No registry is reachable here, so the base image is made locally first:
//! an import (through the Engine API) of a root holding a copy of Go 1.27 and a static busybox.
//! Without an engine the tests say SKIPPED, and fail when GOTRACE_REQUIRE_DOCKER=1 (as
//! scripts/test.sh sets).

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::common::*;
use bollard::query_parameters::{CreateImageOptions, ListContainersOptions};
use bollard::Docker;
use futures_util::StreamExt;

const BUSYBOX: &str = "/bin/busybox";
const BASE: &str = "gotrace-test/base:go1.27";
const IMAGE: &str = "gotrace-test/golang:1.27-gotrace";
const LABEL: &str = "org.gotrace.container";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime").block_on(f)
}

/// The engine, or `None` (said loudly) when none answers and GOTRACE_REQUIRE_DOCKER=1 does not
/// make that a failure.
fn engine() -> Option<Docker> {
    let answer = Docker::connect_with_local_defaults().map_err(|e| e.to_string()).and_then(|d| {
        block_on(d.ping()).map_err(|e| e.to_string())?;
        Ok(d)
    });
    match answer {
        Ok(docker) => Some(docker),
        Err(e) if std::env::var("GOTRACE_REQUIRE_DOCKER").as_deref() == Ok("1") => {
            panic!("a Docker engine is required (GOTRACE_REQUIRE_DOCKER=1) but none answers: {e}; run scripts/install-docker.sh")
        }
        Err(e) => {
            eprintln!("SKIPPED: no Docker engine answers ({e}); scripts/install-docker.sh installs and starts one");
            None
        }
    }
}

/// One test at a time uses the engine: the checks for leftover containers would otherwise see
/// another test's.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The base image as a tar stream of a root tree: Go under /usr/local/go, busybox and its
/// applets under /bin, a /tmp for everyone.
fn base_root() -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    tar.follow_symlinks(false);
    let go = toolchains::goroot("1.27").expect("Go 1.27 for the base image (scripts/install-go-toolchains.sh)");
    tar.append_dir_all("usr/local/go", go).expect("pack Go");
    tar.append_path_with_name(BUSYBOX, "bin/busybox").expect("pack busybox");
    for applet in ["sh", "cat", "sed", "patch", "basename", "rm", "echo", "sleep", "ls", "chmod"] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        header.set_mode(0o777);
        tar.append_link(&mut header, format!("bin/{applet}"), "busybox").expect("pack an applet");
    }
    let mut tmp = tar::Header::new_gnu();
    tmp.set_entry_type(tar::EntryType::Directory);
    tmp.set_mode(0o1777);
    tmp.set_size(0);
    tar.append_data(&mut tmp, "tmp", std::io::empty()).expect("pack /tmp");
    tar.into_inner().expect("finish the root")
}

/// The base image and the gotrace image built on it, made once per test run.
fn images(docker: &Docker) -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let started = Instant::now();
        let (repo, tag) = BASE.split_once(':').expect("repo:tag");
        let options = CreateImageOptions {
            from_src: Some("-".into()),
            repo: Some(repo.into()),
            tag: Some(tag.into()),
            changes: vec!["ENV PATH=/usr/local/go/bin:/bin".into()],
            ..Default::default()
        };
        let root = base_root();
        block_on(async {
            let mut stream = docker.create_image(Some(options), Some(bollard::body_full(root.into())), None);
            while let Some(item) = stream.next().await {
                item.expect("import the base image");
            }
        });
        let dir = tempfile::tempdir().expect("temp dir");
        let out = gotrace()
            .current_dir(dir.path())
            .args(["setup-runtime", "--docker", "--base", BASE, "--image", IMAGE])
            .output()
            .expect("gotrace runs");
        assert!(out.status.success(), "setup-runtime --docker failed: {}", stderr(&out));
        assert!(stderr(&out).contains(&format!("built the image {IMAGE}")), "{}", stderr(&out));
        eprintln!("images made in {:.1?}", started.elapsed());
    });
    let labels = block_on(docker.inspect_image(IMAGE)).expect("the gotrace image exists").config.and_then(|c| c.labels).unwrap_or_default();
    assert_eq!(labels.get("org.gotrace.image").map(String::as_str), Some("1"), "{labels:?}");
    IMAGE
}

fn gotrace_containers(docker: &Docker) -> Vec<String> {
    let filters = HashMap::from([("label".to_owned(), vec![LABEL.to_owned()])]);
    let options = ListContainersOptions { all: true, filters: Some(filters), ..Default::default() };
    block_on(docker.list_containers(Some(options))).expect("list containers").into_iter().filter_map(|c| c.id).collect()
}

fn example(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

#[test]
fn builds_for_linux_darwin_and_windows() {
    let Some(docker) = engine() else { return };
    let _one = serial();
    let image = images(&docker);
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: [(&str, Option<&str>, &[u8]); 3] =
        [("linux", Some("pingpong"), b"\x7fELF"), ("darwin", Some("pingpong-mac"), &[0xcf, 0xfa, 0xed, 0xfe]), ("windows", None, b"MZ")];
    for (goos, output, magic) in cases {
        let mut cmd = gotrace();
        cmd.current_dir(dir.path()).args(["build", "--docker", "--image", image, "--goos", goos]);
        if let Some(o) = output {
            cmd.args(["-o", o]);
        }
        let out = cmd.arg(example("pingpong.go")).output().expect("gotrace runs");
        assert!(out.status.success(), "build --docker --goos {goos} failed: {}", stderr(&out));
        // Without -o, windows binaries get the name Windows runs.
        let binary = dir.path().join(output.unwrap_or("binary.exe"));
        let data = std::fs::read(&binary).unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
        assert!(data.starts_with(magic), "{goos}: {:?}", &data[..8]);
        if goos == "windows" {
            let pe = u32::from_le_bytes(data[0x3c..0x40].try_into().expect("4 bytes")) as usize;
            assert_eq!(&data[pe..pe + 4], b"PE\0\0", "windows binary without a PE header");
        }
        assert!(stderr(&out).contains("gotrace trace.out"), "no next step said: {}", stderr(&out));
    }
    assert!(gotrace_containers(&docker).is_empty(), "containers left behind");

    // The linux binary runs here and its trace is visualized.
    let run = isolated(dir.path().join("pingpong"))
        .current_dir(dir.path())
        .stderr(std::fs::File::create(dir.path().join("trace.out")).expect("trace"))
        .output()
        .expect("run the binary");
    assert!(run.status.success());
    assert!(stdout(&run).contains("game over after 10 hits"), "{}", stdout(&run));
    let (model, view) = gotrace().current_dir(dir.path()).args(["trace.out", "./pingpong"]).model();
    assert!(view.status.success(), "{}", stderr(&view));
    let goroutines = model.goroutines.len();
    assert!(goroutines >= 3, "main and two players expected, got {goroutines}");
}

#[test]
fn run_in_a_container_shows_the_trace() {
    let Some(docker) = engine() else { return };
    let _one = serial();
    let image = images(&docker);
    let dir = tempfile::tempdir().expect("temp dir");
    let (model, out) = gotrace()
        .current_dir(dir.path())
        .args(["run", "--docker", "--image", image, "--no-browser", "--trace-out", "trace.out"])
        .arg(example("pingpong.go"))
        .model();
    assert!(out.status.success(), "{}", stderr(&out));
    // The program's stdout streams through, line for line: ten hits, the players taking turns
    // (which of them hits first is the scheduler's choice), then the end.
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 11, "{text}");
    for (i, hit) in lines[..10].iter().enumerate() {
        let (player, n) = hit.split_once(' ').unwrap_or_default();
        assert_eq!(n, (i + 1).to_string(), "{text}");
        assert!(matches!(player, "ping" | "pong") && !lines[i + 1].starts_with(player), "{text}");
    }
    assert_eq!(lines[10], "game over after 10 hits", "{text}");
    assert!(std::fs::read(dir.path().join("trace.out")).expect("trace").starts_with(b"go 1."));
    assert!(model.goroutines.len() >= 3, "{:?}", model.goroutines);
    assert!(gotrace_containers(&docker).is_empty(), "containers left behind");
}

#[test]
fn a_failing_build_says_go_s_message_with_the_user_s_path_and_leaves_no_container() {
    let Some(docker) = engine() else { return };
    let _one = serial();
    let image = images(&docker);
    let dir = project(&[("broken.go", "package main\n\nfunc main() {\n\tvar x int = \"text\"\n}\n")]);
    let file = dir.path().join("broken.go");
    let out = gotrace().current_dir(dir.path()).args(["build", "--docker", "--image", image]).arg(&file).output().expect("gotrace runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // Go names the file as it does outside a container: relative to the directory it builds in,
    // which is the user's own.
    assert!(
        stderr(&out).contains("./broken.go:4:6: declared and not used: x"),
        "Go's message should name {}: {}",
        file.display(),
        stderr(&out)
    );
    assert!(stderr(&out).contains("go build failed"), "{}", stderr(&out));
    assert!(!dir.path().join("binary").exists());
    assert!(gotrace_containers(&docker).is_empty(), "containers left behind");
}

const FOREVER: &str = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tc := make(chan int)\n\tgo func() { c <- 1 }()\n\t<-c\n\tfmt.Println(\"ready\")\n\tselect {}\n}\n";

/// Starts `run --docker` of a program that never ends and waits until it has printed "ready".
fn start_forever(dir: &Path, image: &str) -> std::process::Child {
    let mut child = gotrace()
        .current_dir(dir)
        .args(["run", "--docker", "--image", image, "--no-browser", "-o", "m.json"])
        .arg(dir.join("forever.go"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gotrace starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    let started = Instant::now();
    while !String::from_utf8_lossy(&seen).contains("ready") {
        let mut buf = [0u8; 256];
        let n = std::io::Read::read(&mut stdout, &mut buf).expect("read stdout");
        assert!(
            n > 0 && started.elapsed() < Duration::from_secs(240),
            "the program never said ready: {:?}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    child
}

#[test]
fn an_interrupted_run_keeps_its_trace_and_a_killed_one_is_pruned() {
    let Some(docker) = engine() else { return };
    let _one = serial();
    let image = images(&docker);
    let dir = project(&[("forever.go", FOREVER)]);

    // Ctrl-C: the program is asked to stop, its trace is shown, its container removed.
    let child = start_forever(dir.path(), image);
    // SAFETY: kill(2) on our own child, not yet reaped.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let out = child.wait_with_output().expect("gotrace ends");
    assert!(dir.path().join("m.json").exists(), "no model after Ctrl-C: {}", stderr(&out));
    assert!(gotrace_containers(&docker).is_empty(), "containers left behind after Ctrl-C");

    // SIGKILL leaves gotrace no chance to clean up: `setup-runtime --docker --prune` does it.
    let mut child = start_forever(dir.path(), image);
    child.kill().expect("kill gotrace");
    child.wait().expect("reap gotrace");
    assert_eq!(gotrace_containers(&docker).len(), 1, "the killed run's container should be there to prune");
    let prune = gotrace().current_dir(dir.path()).args(["setup-runtime", "--docker", "--prune"]).output().expect("gotrace runs");
    assert!(prune.status.success(), "{}", stderr(&prune));
    assert!(stderr(&prune).contains("removed 1 stale"), "{}", stderr(&prune));
    assert!(gotrace_containers(&docker).is_empty(), "containers left behind after --prune");
}

#[test]
fn no_engine_is_one_line_that_says_what_to_do() {
    let dir = project(&[("main.go", "package main\n\nfunc main() {}\n")]);
    let out = gotrace()
        .current_dir(dir.path())
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args(["build", "--docker", "main.go"])
        .output()
        .expect("gotrace runs");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("gotrace: cannot reach the Docker engine at unix:///nonexistent/docker.sock"), "{err}");
    assert!(err.contains("DOCKER_HOST"), "{err}");
}

#[test]
fn a_missing_image_says_how_to_build_it() {
    let Some(_docker) = engine() else { return };
    let dir = project(&[("main.go", "package main\n\nfunc main() {}\n")]);
    let out = gotrace()
        .current_dir(dir.path())
        .args(["build", "--docker", "--image", "gotrace-test/none:nowhere", "main.go"])
        .output()
        .expect("gotrace runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("gotrace setup-runtime --docker --image gotrace-test/none:nowhere"), "{}", stderr(&out));
}
