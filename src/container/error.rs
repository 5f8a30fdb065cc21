//! What can go wrong between gotrace and the Docker engine, each said in one line with what
//! to do about it.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    #[error("no permission to use the Docker engine at {host}: add yourself to the `docker` group (`sudo usermod -aG docker $USER`, then log in again) or run gotrace as root")]
    Permission { host: String },
    #[error("cannot reach the Docker engine at {host} ({detail}): start it (`sudo systemctl start docker`, or `dockerd &`) or point DOCKER_HOST at a running one")]
    NoDaemon { host: String, detail: String },
    #[error("the image {image} is not there: build it with `gotrace setup-runtime --docker{flag}`")]
    NoImage { image: String, flag: String },
    #[error("cannot start the async runtime for the Docker connection")]
    Runtime(#[source] std::io::Error),
    #[error("the Docker engine refused to {action}: {message}")]
    Engine { action: String, message: String },
}

impl Error {
    pub fn connect(host: &str, source: bollard::errors::Error) -> Error {
        let detail = source.to_string();
        if detail.contains("ermission denied") {
            return Error::Permission { host: host.to_owned() };
        }
        Error::NoDaemon { host: host.to_owned(), detail }
    }

    /// An engine error met while trying to `action` (e.g. "create the container").
    pub fn engine(action: &str, source: bollard::errors::Error) -> Error {
        let message = match source {
            bollard::errors::Error::DockerResponseServerError { message, .. } => message,
            other => other.to_string(),
        };
        Error::Engine { action: action.to_owned(), message: message.trim().to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_socket_says_how_to_get_in() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "Permission denied (os error 13)");
        let err = Error::connect("unix:///var/run/docker.sock", bollard::errors::Error::from(io));
        assert!(err.to_string().contains("`docker` group"), "{err}");
    }

    #[test]
    fn a_missing_image_says_how_to_build_it() {
        let err = Error::NoImage { image: "x:y".into(), flag: " --image x:y".into() };
        assert_eq!(err.to_string(), "the image x:y is not there: build it with `gotrace setup-runtime --docker --image x:y`");
    }
}
