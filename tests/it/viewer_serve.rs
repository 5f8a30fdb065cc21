//! `gotrace view` as a server, without a browser: what it serves, which port it takes, and
//! that Ctrl-C stops it cleanly. Uses the real pingpong trace fixture.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::browser::{get, repo_path, Server};
use crate::common::gotrace;

const TRACE: &str = "tests/traces/pingpong_1_27.trace";

/// The tests that start servers on the default ports run one at a time.
static PORTS: Mutex<()> = Mutex::new(());

fn trace() -> std::path::PathBuf {
    let path = repo_path(TRACE);
    assert!(path.exists(), "{TRACE} is missing: it is one of the committed trace fixtures (scripts/gen-traces.sh)");
    path
}

fn port_of(url: &str) -> u16 {
    url.trim_end_matches('/').rsplit(':').next().and_then(|p| p.parse().ok()).expect("port in URL")
}

#[test]
fn serves_the_page_and_the_model_that_dash_o_writes() {
    let _ports = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("model.json");
    assert!(gotrace().arg("view").arg(trace()).arg("-o").arg(&json).status().unwrap().success());
    let written = std::fs::read(&json).unwrap();

    let server = Server::start(&trace(), &[]);
    let (status, model) = get(&server.url, "/model.json");
    assert_eq!(status, 200);
    assert_eq!(model, written, "/model.json differs from -o");
    let (status, page) = get(&server.url, "/");
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains(r#"<script id="gotrace-model" type="application/json">"#), "the page carries the model");
    assert!(!page.contains(r#"src="main.js""#), "the page needs no other file");
    assert_eq!(get(&server.url, "/nothing-here").0, 404);

    // A model written by -o can be viewed again.
    let again = Server::start(&json, &[]);
    assert_eq!(get(&again.url, "/model.json").1, written);
}

#[test]
fn takes_the_next_free_port_after_2000() {
    let _ports = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    // Hold 2000 (unless something else already does): either way it is taken.
    let _held = TcpListener::bind(("127.0.0.1", 2000));
    let server = Server::start(&trace(), &[]);
    let port = port_of(&server.url);
    assert!((2001..2100).contains(&port), "served on {port}");
    assert!(server.url.starts_with("http://127.0.0.1:"), "{}", server.url);
}

#[test]
fn a_taken_port_given_with_dash_dash_port_is_a_one_line_error() {
    let held = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = held.local_addr().unwrap().port();
    let out = gotrace().arg("view").arg(trace()).args(["--no-browser", "--port", &port.to_string()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("gotrace: ") && l.contains("cannot")).count(), 1, "{stderr}");
}

/// A loopback port that was free a moment ago.
#[cfg(unix)]
fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port()
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_server_cleanly() {
    let port = free_port();
    let mut child =
        gotrace().arg("view").arg(trace()).args(["--no-browser", "--port", &port.to_string()]).stderr(Stdio::piped()).spawn().unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "the server never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(get(&url, "/").0, 200);
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "still running 10 s after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("gotrace: stopped"), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn without_a_display_it_says_so_instead_of_opening_a_browser() {
    use std::io::{BufRead, BufReader};
    let port = free_port();
    let mut child = gotrace()
        .arg("view")
        .arg(trace())
        .args(["--port", &port.to_string()])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines: Vec<String> = BufReader::new(child.stderr.take().unwrap()).lines().take(2).map(|l| l.unwrap()).collect();
    let _ = child.kill();
    let _ = child.wait();
    assert!(lines[0].contains(&format!("http://127.0.0.1:{port}/")), "{lines:?}");
    assert_eq!(lines[1], format!("gotrace: no display found; open http://127.0.0.1:{port}/ in a browser"));
}

#[test]
fn a_json_file_that_is_not_a_model_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, br#"{"version":1,"goroutines":[]}"#).unwrap();
    let out = gotrace().arg("view").arg(&bad).arg("--no-browser").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bad.json: not a gotrace model: missing field"), "{stderr}");
    assert_eq!(stderr.matches("missing field").count(), 1, "said once: {stderr}");
}
