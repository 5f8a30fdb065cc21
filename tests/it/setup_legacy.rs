//! `gotrace setup-runtime --go 1.6.3` on a small Go-like tree the test builds: its
//! `src/make.bash` is a script that makes `bin/go`; archives are served by a loopback HTTP
//! server started here (as `--mirror`) or given as files. The sums of these test archives are
//! pinned with the test-only variable GOTRACE_TEST_PINNED_SHA256, and the real patch is
//! replaced by a small one with GOTRACE_TEST_LEGACY_PATCH.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::gotrace;
use sha2::{Digest, Sha256};

const SOURCE: &str = "go1.6.3.src.tar.gz";
const BOOTSTRAP: &str = "go1.4.3.linux-amd64.tar.gz";
const MAKE_OK: &str = "#!/bin/bash\nset -e\ntest -x \"$GOROOT_BOOTSTRAP/bin/go\"\necho building with $GOROOT_BOOTSTRAP\nmkdir -p ../bin\nprintf '#!/bin/sh\\necho go version go1.6.3\\n' > ../bin/go\nchmod +x ../bin/go\n";
const TEST_PATCH: &str =
    "--- a/src/runtime/chan.go\n+++ b/src/runtime/chan.go\n@@ -1,2 +1,3 @@\n package runtime\n+// patched\n type hchan struct{}\n";

enum Entry<'a> {
    File(&'a str, &'a str, u32),
    Symlink(&'a str, &'a str),
}

fn targz(path: &Path, entries: &[Entry]) {
    let file = std::fs::File::create(path).unwrap();
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        match entry {
            Entry::File(name, text, mode) => {
                header.set_size(text.len() as u64);
                header.set_mode(*mode);
                header.set_entry_type(tar::EntryType::Regular);
                // set_path refuses `..` and absolute paths: write the raw name, as an attacker would.
                header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
                header.set_cksum();
                tar.append(&header, text.as_bytes()).unwrap();
            }
            Entry::Symlink(name, target) => {
                header.set_size(0);
                header.set_mode(0o777);
                header.set_entry_type(tar::EntryType::Symlink);
                tar.append_link(&mut header, name, target).unwrap();
            }
        }
    }
    tar.into_inner().unwrap().finish().unwrap();
}

fn sha(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(make: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let f = Fixture { dir };
        targz(
            &f.path(SOURCE),
            &[
                Entry::File("go/src/make.bash", make, 0o755),
                Entry::File("go/src/runtime/chan.go", "package runtime\ntype hchan struct{}\n", 0o644),
            ],
        );
        targz(&f.path(BOOTSTRAP), &[Entry::File("go/bin/go", "#!/bin/sh\necho go1.4.3\n", 0o755)]);
        std::fs::write(f.path("test.patch"), TEST_PATCH).unwrap();
        f
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn setup(&self, args: &[&str], pins: &str) -> Output {
        gotrace()
            .args(["setup-runtime", "--go", "1.6.3"])
            .args(args)
            .env("GOTRACE_DATA_DIR", self.path("data"))
            .env("GOTRACE_TEST_PINNED_SHA256", pins)
            .env("GOTRACE_TEST_LEGACY_PATCH", self.path("test.patch"))
            .output()
            .unwrap()
    }

    fn good_pins(&self) -> String {
        format!("{SOURCE}={},{BOOTSTRAP}={}", sha(&self.path(SOURCE)), sha(&self.path(BOOTSTRAP)))
    }

    fn runtimes(&self) -> Vec<String> {
        let dir = self.path("data/runtimes");
        let mut names: Vec<String> =
            std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()).unwrap_or_default();
        names.sort();
        names
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Serves the fixture's files on loopback until the test ends; counts requests.
fn serve(dir: PathBuf) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr().to_ip().unwrap());
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let name = request.url().trim_start_matches('/').to_string();
            match std::fs::read(dir.join(&name)) {
                Ok(bytes) if !name.contains('/') => request.respond(tiny_http::Response::from_data(bytes)).unwrap(),
                _ => request.respond(tiny_http::Response::empty(404)).unwrap(),
            }
        }
    });
    (url, hits)
}

#[test]
fn downloads_verifies_patches_builds_and_installs_once() {
    let f = Fixture::new(MAKE_OK);
    let (url, hits) = serve(f.dir.path().to_path_buf());
    let out = f.setup(&["--mirror", &url], &f.good_pins());
    assert!(out.status.success(), "{}", stderr(&out));
    let goroot = f.path("data/runtimes/go1.6.3-tracenew/go");
    assert!(goroot.join("bin/go").is_file());
    assert_eq!(std::fs::read_to_string(goroot.join("src/runtime/chan.go")).unwrap(), "package runtime\n// patched\ntype hchan struct{}\n");
    let manifest = std::fs::read_to_string(f.path("data/runtimes/go1.6.3-tracenew/manifest.json")).unwrap();
    assert!(manifest.contains("\"go_version\": \"go1.6.3\""), "{manifest}");
    let log = std::fs::read_to_string(f.path("data/logs/go1.6.3-tracenew-make.log")).unwrap();
    assert!(log.contains("building with"), "make.bash's output goes to the log: {log}");
    assert_eq!(f.runtimes(), ["go1.6.3-tracenew"], "no staging left");
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);

    let again = f.setup(&["--mirror", &url], &f.good_pins());
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stderr(&again).contains("already installed"), "{}", stderr(&again));
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2, "a second run downloads nothing");
}

#[test]
fn a_wrong_checksum_stops_with_both_sums_and_installs_nothing() {
    let f = Fixture::new(MAKE_OK);
    let wrong = "0".repeat(64);
    let pins = format!("{SOURCE}={wrong},{BOOTSTRAP}={}", sha(&f.path(BOOTSTRAP)));
    let out = f.setup(&["--source", f.path(SOURCE).to_str().unwrap(), "--bootstrap-archive", f.path(BOOTSTRAP).to_str().unwrap()], &pins);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&wrong) && err.contains(&sha(&f.path(SOURCE))), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(f.runtimes().is_empty());
}

#[test]
fn a_failing_make_bash_leaves_nothing_and_points_at_the_log() {
    let f = Fixture::new("#!/bin/bash\necho compile error here\nexit 3\n");
    let out = f
        .setup(&["--source", f.path(SOURCE).to_str().unwrap(), "--bootstrap-archive", f.path(BOOTSTRAP).to_str().unwrap()], &f.good_pins());
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("make.bash of Go 1.6.3 failed") && err.contains("compile error here") && err.contains("make.log"), "{err}");
    assert!(f.runtimes().is_empty(), "{:?}", f.runtimes());
}

#[test]
fn a_hunk_that_does_not_apply_is_a_clear_error() {
    let f = Fixture::new(MAKE_OK);
    std::fs::write(f.path("test.patch"), TEST_PATCH.replace(" type hchan struct{}", " type other struct{}")).unwrap();
    let out = f
        .setup(&["--source", f.path(SOURCE).to_str().unwrap(), "--bootstrap-archive", f.path(BOOTSTRAP).to_str().unwrap()], &f.good_pins());
    assert!(!out.status.success());
    assert!(stderr(&out).contains("the patch does not apply to src/runtime/chan.go"), "{}", stderr(&out));
    assert!(f.runtimes().is_empty());
}

#[test]
fn archives_with_entries_escaping_the_target_are_refused() {
    let cases: [(&str, Vec<Entry>); 3] = [
        ("dotdot", vec![Entry::File("go/../../evil", "x", 0o644)]),
        ("absolute", vec![Entry::File("/tmp/gotrace-evil", "x", 0o644)]),
        ("symlink", vec![Entry::Symlink("go/link", "../../../etc"), Entry::File("go/link/evil", "x", 0o644)]),
    ];
    for (what, entries) in cases {
        let f = Fixture::new(MAKE_OK);
        targz(&f.path(SOURCE), &entries);
        let out = f.setup(
            &["--source", f.path(SOURCE).to_str().unwrap(), "--bootstrap-archive", f.path(BOOTSTRAP).to_str().unwrap()],
            &f.good_pins(),
        );
        assert!(!out.status.success(), "{what}");
        assert!(stderr(&out).contains("refusing the archive"), "{what}: {}", stderr(&out));
        assert!(f.runtimes().is_empty(), "{what}");
        assert!(!f.dir.path().parent().unwrap().join("evil").exists());
    }
}

/// The real patch against a copy of Go 1.6's runtime (GOTRACE_GO16_SRC: a GOROOT with
/// src/runtime and src/internal/trace), where one is present.
#[test]
fn the_real_patch_applies_to_go_1_6() {
    let Some(src) = std::env::var_os("GOTRACE_GO16_SRC") else {
        eprintln!("SKIP the_real_patch_applies_to_go_1_6: set GOTRACE_GO16_SRC to a Go 1.6 GOROOT copy");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    for file in
        ["src/runtime/chan.go", "src/runtime/select.go", "src/runtime/runtime2.go", "src/runtime/trace.go", "src/internal/trace/parser.go"]
    {
        let to = work.path().join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(Path::new(&src).join(file), to).unwrap();
    }
    let patch = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("patches/go1.6.3-tracenew.patch")).unwrap();
    let changed = gotrace::setup::patch::apply(&patch, work.path()).unwrap();
    assert_eq!(changed.len(), 5);
    let trace = std::fs::read_to_string(work.path().join("src/runtime/trace.go")).unwrap();
    assert!(trace.contains("traceEvGoSend         = 37"));
    let _ = std::io::stderr().flush();
}

/// Serves the fixture's files over raw HTTP/1.1 on loopback, cutting the first answer for
/// `cut` halfway through its body (the connection drops, as a flaky network would) and
/// honouring `Range: bytes=N-` with 206; returns the URL and every Range asked for.
fn serve_cutting(dir: PathBuf, cut: &'static str) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let ranges = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = ranges.clone();
    std::thread::spawn(move || {
        let mut cut_done = false;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut path, mut from) = (String::new(), 0usize);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some(rest) = line.strip_prefix("GET /") {
                    path = rest.split(' ').next().unwrap_or_default().to_string();
                }
                if let Some(range) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
                    seen.lock().unwrap().push(format!("{path} {}", range.trim()));
                    from = range.trim().trim_end_matches('-').parse().unwrap_or(0);
                }
                line.clear();
            }
            let Ok(body) = std::fs::read(dir.join(&path)) else {
                let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                continue;
            };
            if path == cut && !cut_done {
                cut_done = true;
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body[..body.len() / 2]);
                continue; // dropped: the client sees the body end early
            }
            let (status, part) = if from > 0 { ("206 Partial Content", &body[from..]) } else { ("200 OK", &body[..]) };
            let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", part.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(part);
        }
    });
    (url, ranges)
}

#[test]
fn a_cut_download_resumes_where_it_stopped() {
    let f = Fixture::new(MAKE_OK);
    let half = std::fs::metadata(f.path(SOURCE)).unwrap().len() / 2;
    let (url, ranges) = serve_cutting(f.dir.path().to_path_buf(), SOURCE);
    let out = f.setup(&["--mirror", &url], &f.good_pins());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(f.runtimes(), ["go1.6.3-tracenew"]);
    assert_eq!(*ranges.lock().unwrap(), [format!("{SOURCE} {half}-")], "the second request asks for the rest only");
}
