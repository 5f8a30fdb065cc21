//! The connection to the Docker engine: `DOCKER_HOST`, else the platform's default socket, and
//! a small current-thread runtime that drives bollard's futures (tokio stays inside
//! `crate::container`).

use std::future::Future;

use bollard::Docker;

use super::error::Error;

pub struct Engine {
    pub docker: Docker,
    runtime: tokio::runtime::Runtime,
}

impl Engine {
    /// Connects and checks that a daemon answers, so that every later failure is about the
    /// work and not about the connection.
    pub fn connect() -> Result<Engine, Error> {
        let host = std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty());
        let shown = host.clone().unwrap_or_else(|| default_host().to_owned());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(Error::Runtime)?;
        let docker = match &host {
            Some(h) => Docker::connect_with_host(h),
            None => Docker::connect_with_local_defaults(),
        }
        .map_err(|source| Error::connect(&shown, source))?;
        runtime.block_on(docker.ping()).map_err(|source| Error::connect(&shown, source))?;
        Ok(Engine { docker, runtime })
    }

    pub fn block_on<F: Future>(&self, work: F) -> F::Output {
        self.runtime.block_on(work)
    }
}

fn default_host() -> &'static str {
    if cfg!(windows) {
        "npipe:////./pipe/docker_engine"
    } else {
        "unix:///var/run/docker.sock"
    }
}
