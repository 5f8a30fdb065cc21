//! One container of gotrace's, for one step (a build or a run): unprivileged, without network
//! unless asked, labelled as gotrace's, and removed when dropped, whichever way the step ended.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptions, DownloadFromContainerOptions, KillContainerOptions, ListContainersOptions, LogsOptions, RemoveContainerOptions,
    UploadToContainerOptions, WaitContainerOptions,
};
use futures_util::StreamExt;

use super::engine::Engine;
use super::error::Error;

/// The label every gotrace container carries, so that `--prune` finds stale ones.
pub const LABEL: &str = "org.gotrace.container";

/// The label naming the gotrace process that made the container: `--prune` leaves the
/// containers of gotraces still running alone.
const PID_LABEL: &str = "org.gotrace.pid";

/// The unprivileged user containers run as (nobody).
const USER: &str = "65534:65534";

pub struct Spec<'a> {
    pub image: &'a str,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub workdir: Option<String>,
    /// `--network`: the default bridge instead of no network at all.
    pub network: bool,
}

/// What a running container asks of its caller while its output streams.
pub enum Output<'a> {
    Stdout(&'a [u8]),
    Stderr(&'a [u8]),
}

pub struct Sandbox<'e> {
    engine: &'e Engine,
    pub id: String,
}

impl<'e> Sandbox<'e> {
    pub fn create(engine: &'e Engine, spec: &Spec) -> Result<Sandbox<'e>, Error> {
        let host = HostConfig {
            network_mode: Some(if spec.network { "bridge" } else { "none" }.to_owned()),
            cap_drop: Some(vec!["ALL".to_owned()]),
            security_opt: Some(vec!["no-new-privileges".to_owned()]),
            privileged: Some(false),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(spec.image.to_owned()),
            cmd: Some(spec.cmd.clone()),
            env: Some(spec.env.clone()),
            working_dir: spec.workdir.clone(),
            user: Some(USER.to_owned()),
            labels: Some(HashMap::from([(LABEL.to_owned(), "1".to_owned()), (PID_LABEL.to_owned(), std::process::id().to_string())])),
            network_disabled: Some(!spec.network),
            host_config: Some(host),
            ..Default::default()
        };
        let created = engine.block_on(engine.docker.create_container(None::<CreateContainerOptions>, body));
        let created = created.map_err(|e| match e {
            bollard::errors::Error::DockerResponseServerError { status_code: 404, .. } => {
                Error::NoImage { image: spec.image.to_owned(), flag: super::image_flag(spec.image) }
            }
            other => Error::engine("create a container", other),
        })?;
        Ok(Sandbox { engine, id: created.id })
    }

    /// Unpacks `tar` at the container's root.
    pub fn upload(&self, tar: Vec<u8>) -> Result<(), Error> {
        let options = UploadToContainerOptions { path: "/".to_owned(), ..Default::default() };
        let docker = &self.engine.docker;
        self.engine
            .block_on(docker.upload_to_container(&self.id, Some(options), bollard::body_full(tar.into())))
            .map_err(|e| Error::engine("copy files into the container", e))
    }

    /// The tar archive of `path` in the container.
    pub fn download(&self, path: &str) -> Result<Vec<u8>, Error> {
        let options = DownloadFromContainerOptions { path: path.to_owned() };
        self.engine.block_on(async {
            let mut stream = self.engine.docker.download_from_container(&self.id, Some(options));
            let mut tar = Vec::new();
            while let Some(chunk) = stream.next().await {
                tar.extend_from_slice(&chunk.map_err(|e| Error::engine(&format!("copy {path} out of the container"), e))?);
            }
            Ok(tar)
        })
    }

    /// Starts the container and hands its output to `output` as it comes, until it ends; every
    /// 50 ms `signal` may name a signal to send it (Ctrl-C, a timeout). Returns the exit code.
    pub fn run(&self, mut output: impl FnMut(Output), mut signal: impl FnMut() -> Option<&'static str>) -> Result<i64, Error> {
        let docker = &self.engine.docker;
        self.engine.block_on(async {
            docker.start_container(&self.id, None).await.map_err(|e| Error::engine("start the container", e))?;
            let options = LogsOptions { follow: true, stdout: true, stderr: true, ..Default::default() };
            let mut logs = docker.logs(&self.id, Some(options));
            let mut tick = tokio::time::interval(Duration::from_millis(50));
            loop {
                tokio::select! {
                    item = logs.next() => match item {
                        Some(Ok(bollard::container::LogOutput::StdOut { message })) => output(Output::Stdout(&message)),
                        Some(Ok(bollard::container::LogOutput::StdErr { message })) => output(Output::Stderr(&message)),
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Err(Error::engine("stream the container's output", e)),
                        None => break,
                    },
                    _ = tick.tick() => {
                        if let Some(sig) = signal() {
                            let options = KillContainerOptions { signal: sig.to_owned() };
                            // It may have ended meanwhile: then there is nothing to stop.
                            let _ = docker.kill_container(&self.id, Some(options)).await;
                        }
                    }
                }
            }
            wait(docker, &self.id).await
        })
    }
}

async fn wait(docker: &bollard::Docker, id: &str) -> Result<i64, Error> {
    let mut waits = docker.wait_container(id, None::<WaitContainerOptions>);
    match waits.next().await {
        Some(Ok(answer)) => Ok(answer.status_code),
        // bollard reports a non-zero exit as an error that carries the code.
        Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
        Some(Err(e)) => Err(Error::engine("wait for the container", e)),
        None => Err(Error::Engine { action: "wait for the container".into(), message: "no answer".into() }),
    }
}

impl Drop for Sandbox<'_> {
    fn drop(&mut self) {
        let options = RemoveContainerOptions { force: true, v: true, ..Default::default() };
        if let Err(e) = self.engine.block_on(self.engine.docker.remove_container(&self.id, Some(options))) {
            eprintln!("gotrace: cannot remove container {}: {}", &self.id[..12.min(self.id.len())], Error::engine("remove it", e));
        }
    }
}

/// `setup-runtime --docker --prune`: removes the gotrace containers whose gotrace is gone (it was
/// killed outright); returns how many.
pub fn prune(engine: &Engine) -> Result<usize, Error> {
    let filters = HashMap::from([("label".to_owned(), vec![LABEL.to_owned()])]);
    let options = ListContainersOptions { all: true, filters: Some(filters), ..Default::default() };
    let docker = &engine.docker;
    let stale = engine.block_on(docker.list_containers(Some(options))).map_err(|e| Error::engine("list containers", e))?;
    let mut removed = 0;
    let owner_alive =
        |labels: Option<HashMap<String, String>>| labels.and_then(|l| l.get(PID_LABEL)?.parse::<u32>().ok()).is_some_and(process_alive);
    for id in stale.into_iter().filter(|c| !owner_alive(c.labels.clone())).filter_map(|c| c.id) {
        let options = RemoveContainerOptions { force: true, v: true, ..Default::default() };
        engine.block_on(docker.remove_container(&id, Some(options))).map_err(|e| Error::engine("remove a stale container", e))?;
        removed += 1;
    }
    Ok(removed)
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    // SAFETY: signal 0 only asks whether the process exists.
    libc::pid_t::try_from(pid).is_ok_and(|pid| unsafe { libc::kill(pid, 0) } == 0)
}

/// Without a way to ask, every gotrace container counts as stale.
#[cfg(not(unix))]
fn process_alive(_: u32) -> bool {
    false
}
