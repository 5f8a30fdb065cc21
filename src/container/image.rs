//! The gotrace image: built from the `docker/` and `patches/` embedded in gotrace, found before
//! a build or run, pulled when it is missing and a registry answers.

use std::collections::HashMap;

use anyhow::bail;
use bollard::query_parameters::{BuildImageOptions, CreateImageOptions};
use futures_util::StreamExt;

use super::engine::Engine;
use super::error::Error;
use crate::progress::Step;

/// The Go of the default base image and tag.
pub const DEFAULT_GO: &str = "1.27";

/// `docker/` and `patches/` of the source tree, embedded by build.rs.
const CONTEXT: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/image_context.rs"));

/// The tag of the image for Go `version`.
pub fn default_tag(version: &str) -> String {
    format!("gotrace/golang:{version}-gotrace")
}

/// What `setup-runtime --docker` builds.
pub struct Recipe {
    pub tag: String,
    pub base: String,
    pub dockerfile: &'static str,
}

impl Recipe {
    /// `go` is `--go`: a version such as 1.26 or 1.6.3 (the original's, with its own Dockerfile).
    pub fn new(go: Option<&str>, image: Option<&str>, base: Option<&str>) -> anyhow::Result<Recipe> {
        let version = go.map(|g| g.strip_prefix("go").unwrap_or(g)).unwrap_or(DEFAULT_GO);
        if !version.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
            bail!(
                "with --docker, --go takes a Go version such as {DEFAULT_GO} or {}, not {version:?}",
                crate::toolchain::choice::LEGACY_GO
            );
        }
        let dockerfile = if crate::toolchain::choice::is_legacy(Some(version)) { "docker/go1.6.3/Dockerfile" } else { "docker/Dockerfile" };
        Ok(Recipe {
            tag: image.map_or_else(|| default_tag(version), str::to_owned),
            base: base.map_or_else(|| format!("golang:{version}"), str::to_owned),
            dockerfile,
        })
    }

    /// Builds the image, the engine's log going to a spinner (and to stderr when it fails).
    pub fn build(&self, engine: &Engine) -> anyhow::Result<()> {
        let context = super::tarball::gzipped(CONTEXT)?;
        let options = BuildImageOptions {
            dockerfile: self.dockerfile.to_owned(),
            t: Some(self.tag.clone()),
            buildargs: Some(HashMap::from([("BASE".to_owned(), self.base.clone())])),
            rm: true,
            forcerm: true,
            labels: Some(HashMap::from([("org.gotrace.image".to_owned(), "1".to_owned())])),
            ..Default::default()
        };
        let step = Step::start(&format!("building {} from {}", self.tag, self.base));
        let mut log = String::new();
        let failure = engine.block_on(async {
            let mut stream = engine.docker.build_image(options, None, Some(bollard::body_full(context.into())));
            while let Some(item) = stream.next().await {
                match item {
                    Ok(info) => {
                        if let Some(text) = info.stream {
                            step.say(text.trim());
                            log.push_str(&text);
                        }
                        if let Some(message) = info.error_detail.and_then(|d| d.message) {
                            return Some(message);
                        }
                    }
                    Err(bollard::errors::Error::DockerStreamError { error }) => return Some(error),
                    Err(e) => return Some(Error::engine("build the image", e).to_string()),
                }
            }
            None
        });
        drop(step);
        if let Some(message) = failure {
            eprint!("{log}");
            bail!("building {} from {} failed: {}", self.tag, self.base, message.trim());
        }
        // The build's own notes (such as a Go without a patch) are worth a line each.
        for note in log.lines().filter(|l| l.starts_with("gotrace: ")) {
            eprintln!("{note}");
        }
        eprintln!("gotrace: built the image {}; use it with `gotrace build --docker` or `gotrace run --docker`", self.tag);
        Ok(())
    }
}

/// Makes sure `image` is there: pulls it (with progress) when it is not and a registry answers,
/// otherwise says how to build it.
pub fn ensure(engine: &Engine, image: &str) -> Result<(), Error> {
    if engine.block_on(engine.docker.inspect_image(image)).is_ok() {
        return Ok(());
    }
    let step = Step::start(&format!("pulling {image}"));
    let options = CreateImageOptions { from_image: Some(image.to_owned()), ..Default::default() };
    let pulled = engine.block_on(async {
        let mut stream = engine.docker.create_image(Some(options), None, None);
        while let Some(item) = stream.next().await {
            let info = item?;
            if let Some(status) = info.status {
                step.say(&format!("pulling {image}: {} {status}", info.id.unwrap_or_default()));
            }
        }
        Ok::<(), bollard::errors::Error>(())
    });
    drop(step);
    pulled.map_err(|_| Error::NoImage { image: image.to_owned(), flag: super::image_flag(image) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_image_is_named_for_its_go() {
        let recipe = Recipe::new(None, None, None).unwrap();
        assert_eq!((recipe.tag.as_str(), recipe.base.as_str()), ("gotrace/golang:1.27-gotrace", "golang:1.27"));
        let legacy = Recipe::new(Some("go1.6.3"), None, Some("my/go:1.6.3")).unwrap();
        assert_eq!((legacy.tag.as_str(), legacy.dockerfile), ("gotrace/golang:1.6.3-gotrace", "docker/go1.6.3/Dockerfile"));
        assert!(Recipe::new(Some("/usr/bin/go"), None, None).is_err());
    }

    #[test]
    fn the_context_holds_the_dockerfiles_and_their_scripts() {
        let names: Vec<_> = CONTEXT.iter().map(|(n, _)| *n).collect();
        for needed in ["docker/Dockerfile", "docker/go1.6.3/Dockerfile", "docker/patch-go.sh", "patches/go1.27-chanops.patch"] {
            assert!(names.contains(&needed), "{needed} not in {names:?}");
        }
    }
}
