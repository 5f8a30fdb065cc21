//! The local viewer server: the embedded page and the model on 127.0.0.1 with tiny_http,
//! until Ctrl-C. Nothing is fetched from the network at view time.
//!
//! URLs: `/` the page, which is the same self-contained page that `--html` writes (viewer and
//! the picture of the whole trace inline, so one request loads everything);
//! `/picture.json?from=NS&to=NS`, the picture of a window of time, which the page asks for
//! when the user zooms into an aggregated picture; and `/model.json`, the model exactly as
//! `-o` writes it, for other tools. A model file given to `view` is read back into a model,
//! so it gets the same level of detail as a trace.

mod assets;
mod browser;
pub mod html;

use std::io::{Seek, Write};
use std::sync::Arc;

use anyhow::Context;
use tiny_http::{Header, Request, Response, Server};

use crate::lod::{self, Budget, Picture, Window};
use crate::model::Model;

/// The 2016 original's port; the next free one is used when it is taken.
pub const DEFAULT_PORT: u16 = 2000;
const PORTS_TO_TRY: u16 = 100;

/// Why the viewer cannot be served, said with the flag to change.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on 127.0.0.1:{port} (--port {port})")]
    PortTaken { port: u16, source: Box<dyn std::error::Error + Send + Sync> },
    #[error("no free port on 127.0.0.1 from {first} to {last}; choose one with --port")]
    NoFreePort { first: u16, last: u16 },
}

pub struct ServeOptions {
    /// Exactly this port, or fail; the first free one from `DEFAULT_PORT` when absent.
    pub port: Option<u16>,
    pub no_browser: bool,
}

/// A picture as JSON: what the page draws.
pub fn picture_json(picture: Picture<'_>) -> anyhow::Result<Vec<u8>> {
    serde_json::to_vec(&picture).context("cannot encode the picture")
}

/// What the server shows: the picture of any window of the trace, and its model.
pub trait Pictures {
    /// The picture of `window` as JSON.
    fn picture_json(&self, window: Window) -> anyhow::Result<Vec<u8>>;
    /// Writes the model exactly as `-o` writes it.
    fn write_model(&self, out: &mut dyn std::io::Write) -> anyhow::Result<()>;
}

/// The pictures of a model held in memory.
pub struct ModelPictures<'a>(pub &'a Model);

impl Pictures for ModelPictures<'_> {
    fn picture_json(&self, window: Window) -> anyhow::Result<Vec<u8>> {
        let drawing = lod::draw(self.0, window, Budget::default());
        picture_json(Picture { context: self.0, stacks: &self.0.stacks, drawing: &drawing })
    }

    fn write_model(&self, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
        self.0.write_json(out).context("cannot encode the model")
    }
}

/// Serves the viewer until Ctrl-C: `page` the picture of its first page (JSON), `pictures`
/// what the page asks for when zoomed.
pub fn serve(pictures: &impl Pictures, page: &[u8], opts: &ServeOptions) -> anyhow::Result<()> {
    let page = html::page(page);
    let (server, port) = bind(opts.port)?;
    let server = Arc::new(server);
    let url = format!("http://127.0.0.1:{port}/");
    let stopper = Arc::clone(&server);
    ctrlc::set_handler(move || stopper.unblock()).context("cannot install the Ctrl-C handler")?;
    eprintln!("gotrace: viewer at {url} (Ctrl-C stops)");
    if !opts.no_browser {
        browser::open(&url);
    }
    for request in server.incoming_requests() {
        respond(request, &page, pictures);
    }
    eprintln!("gotrace: stopped");
    Ok(())
}

/// The listener: exactly `port` when given, else the first free one from `DEFAULT_PORT`.
fn bind(port: Option<u16>) -> Result<(Server, u16), ServeError> {
    if let Some(port) = port {
        let server = Server::http(("127.0.0.1", port)).map_err(|source| ServeError::PortTaken { port, source })?;
        return Ok((server, port));
    }
    let last = DEFAULT_PORT.saturating_add(PORTS_TO_TRY - 1);
    (DEFAULT_PORT..=last)
        .find_map(|port| Server::http(("127.0.0.1", port)).ok().map(|s| (s, port)))
        .ok_or(ServeError::NoFreePort { first: DEFAULT_PORT, last })
}

fn respond(request: Request, page: &[u8], pictures: &impl Pictures) {
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let bytes = |status, mime, body: Vec<u8>| (status, mime, Response::from_data(body).boxed());
    let failed = |e: anyhow::Error| bytes(500, "text/plain", format!("{e:#}").into_bytes());
    let (status, mime, body) = if *request.method() != tiny_http::Method::Get {
        bytes(405, "text/plain", b"only GET".to_vec())
    } else {
        match path.trim_start_matches('/') {
            "" | "index.html" => bytes(200, "text/html; charset=utf-8", page.to_vec()),
            "model.json" => match model_file(pictures) {
                Ok(file) => (200, "application/json", Response::from_file(file).boxed()),
                Err(e) => failed(e),
            },
            "picture.json" => match window_of(query) {
                Some(window) => match pictures.picture_json(window) {
                    Ok(json) => bytes(200, "application/json", json),
                    Err(e) => failed(e),
                },
                None => bytes(400, "text/plain", b"picture.json needs from=NS&to=NS with from < to".to_vec()),
            },
            _ => bytes(404, "text/plain", b"not found".to_vec()),
        }
    };
    // Connection: close: with kept-alive connections, tiny_http left some of Chromium's
    // parallel requests unanswered (seen when the modules were served one file each).
    let response = body
        .with_status_code(status)
        .with_header(header("Content-Type", mime))
        .with_header(header("Cache-Control", "no-store"))
        .with_header(header("Connection", "close"));
    // A browser that went away mid-response is not the server's problem.
    let _ = request.respond(response);
}

/// The model in a temporary file: a big trace's model is many times the trace, and is not
/// to be held in memory to be sent.
fn model_file(pictures: &impl Pictures) -> anyhow::Result<std::fs::File> {
    let mut file = tempfile::tempfile().context("cannot make a temporary file for the model")?;
    let mut out = std::io::BufWriter::new(&mut file);
    pictures.write_model(&mut out)?;
    out.flush().context("cannot write the model")?;
    drop(out);
    file.rewind().context("cannot read the model back")?;
    Ok(file)
}

/// The window of `from=NS&to=NS`.
fn window_of(query: &str) -> Option<Window> {
    let value = |name: &str| query.split('&').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse::<u64>().ok());
    let (start_ns, end_ns) = (value("from")?, value("to")?);
    (start_ns < end_ns).then_some(Window { start_ns, end_ns })
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header names and values are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_port_is_told_apart_and_names_the_flag() {
        let held = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = held.local_addr().unwrap().port();
        let err = bind(Some(port)).err().expect("the port is taken");
        assert!(matches!(err, ServeError::PortTaken { port: p, .. } if p == port), "{err:?}");
        assert_eq!(err.to_string(), format!("cannot listen on 127.0.0.1:{port} (--port {port})"));
    }
}
