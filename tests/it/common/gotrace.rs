//! [`Gotrace`]: the binary under test, run as a user runs it, and what it wrote read back: the
//! model that `-o` writes ([`Gotrace::model`]) or the picture that the `--html` page carries
//! ([`Gotrace::page`]). Its calls are `Command`'s, so a test says only what is its own.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};

use gotrace::model::Model;
use serde_json::Value;

use super::{isolated, stderr, GOTRACE};

/// The gotrace binary in the tests' own environment (see [`isolated`]).
pub fn gotrace() -> Gotrace {
    Gotrace { cmd: isolated(GOTRACE), args: Vec::new() }
}

pub struct Gotrace {
    cmd: Command,
    /// Kept apart from `cmd` until it runs, so that `-o` or `--html` can go before a `--`.
    args: Vec<OsString>,
}

impl Gotrace {
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(&mut self, args: I) -> &mut Self {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.env_remove(key);
        self
    }

    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.cmd.current_dir(dir);
        self
    }

    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Self {
        self.cmd.stdout(cfg);
        self
    }

    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Self {
        self.cmd.stderr(cfg);
        self
    }

    pub fn output(&mut self) -> std::io::Result<Output> {
        self.command().output()
    }

    pub fn status(&mut self) -> std::io::Result<ExitStatus> {
        self.command().status()
    }

    pub fn spawn(&mut self) -> std::io::Result<Child> {
        self.command().spawn()
    }

    /// Runs it with `-o` and reads back the model it wrote, whatever its exit status (a test
    /// of a program that fails asserts that itself); fails the test, with gotrace's stderr,
    /// when it wrote none.
    pub fn model(&mut self) -> (Model, Output) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        self.model_at(&dir.path().join("model.json"))
    }

    /// The same, with the model written to `file`, which the test keeps (to view it again).
    pub fn model_at(&mut self, file: &Path) -> (Model, Output) {
        let (bytes, out) = self.written("-o", file);
        let bytes = bytes.unwrap_or_else(|| panic!("gotrace wrote no model: {}", stderr(&out)));
        let model = Model::from_json(&bytes).unwrap_or_else(|e| panic!("the model does not read back: {e:#}"));
        (model, out)
    }

    /// The model as `-o` writes it, for what a test reads of the JSON itself (its field names
    /// and the `check` object that other tools read); `null` when gotrace wrote none.
    pub fn model_json(&mut self) -> (Value, Output) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (bytes, out) = self.written("-o", &dir.path().join("model.json"));
        let json = bytes.map_or(Value::Null, |b| serde_json::from_slice(&b).expect("the model is JSON"));
        (json, out)
    }

    /// Runs it with `--html` and reads the picture its page carries inline; fails the test,
    /// with gotrace's stderr, when it wrote no page.
    pub fn page(&mut self) -> (Value, Output) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (bytes, out) = self.written("--html", &dir.path().join("page.html"));
        let html = bytes.unwrap_or_else(|| panic!("gotrace wrote no page: {}", stderr(&out)));
        (inline_picture(&String::from_utf8_lossy(&html)), out)
    }

    /// Runs it with `flag FILE` (before the program's own arguments) and reads FILE.
    fn written(&mut self, flag: &str, file: &Path) -> (Option<Vec<u8>>, Output) {
        let at = self.args.iter().position(|a| a == "--").unwrap_or(self.args.len());
        self.args.splice(at..at, [OsString::from(flag), file.as_os_str().to_owned()]);
        let out = self.output().expect("gotrace runs");
        (std::fs::read(file).ok(), out)
    }

    fn command(&mut self) -> &mut Command {
        self.cmd.args(std::mem::take(&mut self.args));
        &mut self.cmd
    }
}

/// The picture a page (`--html`, or the served `/`) carries inline.
pub fn inline_picture(html: &str) -> Value {
    let open = r#"<script id="gotrace-model" type="application/json">"#;
    let start = html.find(open).expect("inline picture") + open.len();
    let end = start + html[start..].find("</script>").expect("end of the inline picture");
    serde_json::from_str(&html[start..end]).expect("the inline picture is JSON")
}
