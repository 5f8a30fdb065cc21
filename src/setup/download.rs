//! Downloads with a progress bar, retries, and resume: the bytes already received are kept in
//! `FILE.part` and asked for again with an HTTP `Range` request, so a cut connection (or an
//! interrupted setup run again later) continues where it stopped.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::header::{CONTENT_LENGTH, RANGE};
use reqwest::StatusCode;

use crate::progress::Bytes;

/// Attempts per file: the first plus this many minus one resumed ones.
const ATTEMPTS: u32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error(
        "cannot download {url} after {ATTEMPTS} attempts: {last} (use --mirror URL, or --source/--bootstrap-archive with a file on disk)"
    )]
    Failed { url: String, last: String },
    #[error("cannot download {url}: the server answered {status} (is --mirror laid out like Go's download site?)")]
    Refused { url: String, status: StatusCode },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// Downloads `url` to `dest` (complete or not at all: the file appears by rename).
pub fn fetch(url: &str, dest: &Path) -> Result<(), DownloadError> {
    let part = dest.with_extension("part");
    let write = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DownloadError::Write { path, source }
    };
    let client = Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| DownloadError::Failed { url: url.into(), last: e.to_string() })?;
    let name = url.rsplit('/').next().unwrap_or(url);
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(500 << attempt.min(4)));
        }
        match fetch_once(&client, url, &part, name) {
            Ok(()) => return std::fs::rename(&part, dest).map_err(write(dest)),
            Err(Attempt::Write(e)) => return Err(write(&part)(e)),
            Err(Attempt::Refused(status)) => return Err(DownloadError::Refused { url: url.into(), status }),
            Err(Attempt::Http(e)) => last = e,
        }
    }
    Err(DownloadError::Failed { url: url.into(), last })
}

enum Attempt {
    /// Worth retrying: the network or the server.
    Http(String),
    /// Not worth retrying: the server says there is no such file.
    Refused(StatusCode),
    /// Not worth retrying: the local disk.
    Write(std::io::Error),
}

/// One request, resuming after the bytes already in `part`.
fn fetch_once(client: &Client, url: &str, part: &Path, name: &str) -> Result<(), Attempt> {
    let have = std::fs::metadata(part).map_or(0, |m| m.len());
    let mut request = client.get(url);
    if have > 0 {
        request = request.header(RANGE, format!("bytes={have}-"));
    }
    let mut response = request.send().map_err(|e| Attempt::Http(format!("{e:#}")))?;
    let status = response.status();
    if status == StatusCode::RANGE_NOT_SATISFIABLE && have > 0 {
        // What we have is the whole file (or junk): the sum check that follows decides.
        return Ok(());
    }
    if status.is_client_error() {
        return Err(Attempt::Refused(status));
    }
    if !status.is_success() {
        return Err(Attempt::Http(format!("the server answered {status}")));
    }
    let resumed = status == StatusCode::PARTIAL_CONTENT;
    let mut file = open_part(part, resumed).map_err(Attempt::Write)?;
    let start = if resumed { have } else { 0 };
    let length = response.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let bar = Bytes::start(&format!("downloading {name}"), length.map(|l| l + start), start);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = response.read(&mut buf).map_err(|e| Attempt::Http(format!("the download was cut: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        file.write_all(&buf[..n]).map_err(Attempt::Write)?;
        bar.advance(n as u64);
    }
}

fn open_part(part: &Path, resumed: bool) -> std::io::Result<File> {
    if resumed {
        OpenOptions::new().append(true).open(part)
    } else {
        File::create(part)
    }
}
