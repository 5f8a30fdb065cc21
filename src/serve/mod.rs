//! The local viewer server: the embedded page and the model on 127.0.0.1 with tiny_http,
//! until Ctrl-C. Nothing is fetched from the network at view time.
//!
//! URLs: `/` the page, which is the same self-contained page that `--html` writes (viewer and
//! model inline, so one request loads everything), and `/model.json`, the model exactly as
//! `-o` writes it, for other tools. There is no other transfer format.

mod assets;
mod browser;
pub mod html;

use std::sync::Arc;

use anyhow::Context;
use tiny_http::{Header, Request, Response, Server};

/// The 2016 original's port; the next free one is used when it is taken.
pub const DEFAULT_PORT: u16 = 2000;
const PORTS_TO_TRY: u16 = 100;

pub struct ServeOptions {
    /// Exactly this port, or fail; the first free one from `DEFAULT_PORT` when absent.
    pub port: Option<u16>,
    pub no_browser: bool,
}

/// Serves the viewer for `model_json` until Ctrl-C.
pub fn serve(model_json: Vec<u8>, opts: &ServeOptions) -> anyhow::Result<()> {
    let page = html::page(&model_json);
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
        respond(request, &page, &model_json);
    }
    eprintln!("gotrace: stopped");
    Ok(())
}

fn bind(port: Option<u16>) -> anyhow::Result<(Server, u16)> {
    if let Some(port) = port {
        let server = Server::http(("127.0.0.1", port)).map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        return Ok((server, port));
    }
    let last = DEFAULT_PORT.saturating_add(PORTS_TO_TRY - 1);
    (DEFAULT_PORT..=last)
        .find_map(|port| Server::http(("127.0.0.1", port)).ok().map(|s| (s, port)))
        .ok_or_else(|| anyhow::anyhow!("no free port on 127.0.0.1 from {DEFAULT_PORT} to {last}; choose one with --port"))
}

fn respond(request: Request, page: &[u8], model_json: &[u8]) {
    let path = request.url().split(['?', '#']).next().unwrap_or("").trim_start_matches('/');
    let (status, mime, body): (u16, &str, &[u8]) = if *request.method() != tiny_http::Method::Get {
        (405, "text/plain", b"only GET")
    } else if path == "model.json" {
        (200, "application/json", model_json)
    } else if path.is_empty() || path == "index.html" {
        (200, "text/html; charset=utf-8", page)
    } else {
        (404, "text/plain", b"not found")
    };
    // Connection: close: with kept-alive connections, tiny_http left some of Chromium's
    // parallel requests unanswered (seen when the modules were served one file each).
    let response = Response::from_data(body)
        .with_status_code(status)
        .with_header(header("Content-Type", mime))
        .with_header(header("Cache-Control", "no-store"))
        .with_header(header("Connection", "close"));
    // A browser that went away mid-response is not the server's problem.
    let _ = request.respond(response);
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header names and values are valid")
}
