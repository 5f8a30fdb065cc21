//! Drives Debian's Chromium (never a downloaded one: scripts/install-chromium.sh installs it)
//! against the real `gotrace` binary, for the viewer tests (`viewer_*.rs`).

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use headless_chrome::browser::tab::point::Point;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const WINDOW: (u32, u32) = (1280, 800);

/// The one builder of `common`.
pub use crate::common::{gotrace, inline_picture};

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `gotrace view FILE --no-browser` running until dropped, at the URL it printed.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    pub fn start(file: &Path, extra: &[&str]) -> Server {
        let mut child = gotrace()
            .arg("view")
            .arg(file)
            .args(["--no-browser"])
            .args(extra)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("cannot start gotrace");
        let stderr = child.stderr.take().expect("piped stderr");
        let mut lines = BufReader::new(stderr).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(at) = line.find("http://") {
                        break line[at..].split_whitespace().next().unwrap_or_default().to_string();
                    }
                }
                _ => {
                    let status = child.wait().expect("gotrace exit status");
                    panic!("gotrace view {} exited ({status}) without printing a URL", file.display());
                }
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET over plain HTTP/1.0 (so that big bodies do not come chunked): (status, body).
pub fn get(url: &str, path: &str) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("response");
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("end of headers");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status code");
    (status, response[split + 4..].to_vec())
}

/// A headless Chromium with one tab, collecting console errors, uncaught exceptions and
/// failed loads.
pub struct Page {
    _browser: Browser,
    _profile: tempfile::TempDir,
    pub tab: Arc<Tab>,
    errors: Arc<Mutex<Vec<String>>>,
}

impl Page {
    pub fn open(url: &str) -> Page {
        assert!(Path::new(CHROMIUM).exists(), "{CHROMIUM} is missing: run scripts/install-chromium.sh (Debian's chromium package)");
        let profile = tempfile::tempdir().expect("temp dir");
        let args: Vec<&OsStr> =
            ["--disable-gpu", "--enable-unsafe-swiftshader", "--disable-background-networking", "--no-first-run", "--hide-scrollbars"]
                .iter()
                .map(OsStr::new)
                .collect();
        let options = LaunchOptions::default_builder()
            .path(Some(PathBuf::from(CHROMIUM)))
            .headless(true)
            .sandbox(false)
            .window_size(Some(WINDOW))
            .user_data_dir(Some(profile.path().to_path_buf()))
            .args(args)
            .idle_browser_timeout(Duration::from_secs(600))
            .build()
            .expect("launch options");
        let browser = Browser::new(options).expect("cannot start Chromium");
        let tab = browser.new_tab().expect("new tab");
        tab.set_default_timeout(Duration::from_secs(60));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&errors);
        tab.add_event_listener(Arc::new(move |event: &Event| {
            if let Some(e) = error_text(event) {
                sink.lock().unwrap().push(e);
            }
        }))
        .expect("listener");
        tab.enable_runtime().expect("runtime domain");
        tab.enable_log().expect("log domain");
        // Not wait_until_navigated: its event can be missed; polling the page's hook is enough.
        tab.navigate_to(url).expect("navigate");
        let page = Page { _browser: browser, _profile: profile, tab, errors };
        page.wait_for("window.gotrace && (window.gotrace.ready || window.gotrace.error !== null)", Duration::from_secs(60));
        let error = page.eval("window.gotrace.error");
        assert!(error.is_null(), "the viewer failed: {error}");
        page
    }

    /// Evaluates a JS expression (awaiting promises) and returns its JSON value.
    pub fn eval(&self, expression: &str) -> Value {
        self.try_eval(expression).unwrap_or_else(|e| panic!("{expression}: {e}"))
    }

    fn try_eval(&self, expression: &str) -> anyhow::Result<Value> {
        let wrapped = format!("(async () => JSON.stringify(await ({expression})))()");
        let result = self.tab.evaluate(&wrapped, true)?;
        Ok(match result.value {
            Some(Value::String(s)) => serde_json::from_str(&s)?,
            _ => Value::Null,
        })
    }

    /// Polls until `expression` is true; evaluation errors (e.g. while the page is still
    /// loading) count as not yet.
    pub fn wait_for(&self, expression: &str, timeout: Duration) {
        let start = Instant::now();
        while self.try_eval(&format!("Boolean({expression})")).ok() != Some(Value::Bool(true)) {
            if start.elapsed() > timeout {
                let at = self.try_eval(
                    "[location.href, document.readyState, typeof window.gotrace, performance.getEntriesByType('resource').map(r => `${r.name} ${Math.round(r.responseEnd)}`)]",
                );
                panic!("timed out waiting for {expression} (page: {at:?}); errors: {:?}", self.errors());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().unwrap().clone()
    }

    /// A point on screen where hovering shows `expected`, by the viewer's own picking
    /// (`hoverAt`): tried along each screen segment `[[x, y], [x, y]]` that the JS expression
    /// `segments` lists, at its middle first.
    pub fn point_showing(&self, segments: &str, expected: &str) -> Point {
        let at = self.eval(&format!(
            "(() => {{ for (const [a, b] of {segments})
                for (const u of [0.5, 0.3, 0.7, 0.15, 0.85]) {{
                  const x = a[0] + (b[0] - a[0]) * u, y = a[1] + (b[1] - a[1]) * u;
                  if ((gotrace.hoverAt(x, y) || '').includes({expected:?})) return [x, y];
                }}
              return null; }})()"
        ));
        assert!(at.is_array(), "no point along {segments} shows {expected:?}");
        Point { x: at[0].as_f64().unwrap(), y: at[1].as_f64().unwrap() }
    }

    pub fn press(&self, key: &str) {
        self.tab.press_key(key).unwrap_or_else(|e| panic!("key {key}: {e}"));
    }

    /// Saves a PNG screenshot under target/test-artifacts/ and returns its path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.tab.capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true).expect("screenshot");
        let dir = repo_path("target/test-artifacts");
        std::fs::create_dir_all(&dir).expect("artifact dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }
}

fn error_text(event: &Event) -> Option<String> {
    use headless_chrome::protocol::cdp::Log::LogEntryLevel;
    use headless_chrome::protocol::cdp::Runtime::ConsoleAPICalledEventTypeOption;
    match event {
        Event::RuntimeExceptionThrown(e) => Some(format!("exception: {}", describe_exception(&e.params.exception_details))),
        Event::RuntimeConsoleAPICalled(e) if matches!(e.params.Type, ConsoleAPICalledEventTypeOption::Error) => {
            let args: Vec<String> = e.params.args.iter().map(|a| format!("{:?}", a.value)).collect();
            Some(format!("console.error: {}", args.join(" ")))
        }
        Event::LogEntryAdded(e) if matches!(e.params.entry.level, LogEntryLevel::Error) => {
            Some(format!("{:?}: {} {}", e.params.entry.source, e.params.entry.text, e.params.entry.url.clone().unwrap_or_default()))
        }
        _ => None,
    }
}

fn describe_exception(d: &headless_chrome::protocol::cdp::Runtime::ExceptionDetails) -> String {
    let what = d.exception.as_ref().and_then(|e| e.description.clone()).unwrap_or_else(|| d.text.clone());
    format!("{what} at {}:{}", d.url.clone().unwrap_or_default(), d.line_number)
}
