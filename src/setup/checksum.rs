//! SHA-256 sums of the archives gotrace downloads, pinned in the source: an archive whose sum
//! differs is never extracted.
//!
//! Tests (and only tests) pin sums for the small archives they build with the environment
//! variable [`TEST_PINS_ENV`], `NAME=SHA256[,NAME=SHA256…]`; a name it lists replaces the
//! built-in pin for that name. It is not a user option and is not shown in `--help`.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub const TEST_PINS_ENV: &str = "GOTRACE_TEST_PINNED_SHA256";

/// The archives of Go's download site that setting up Go 1.6.3 uses.
const PINS: &[(&str, &str)] = &[
    ("go1.6.3.src.tar.gz", "6326aeed5f86cf18f16d6dc831405614f855e2d416a91fd3fdc334f772345b00"),
    ("go1.4.3.linux-amd64.tar.gz", "ce3140662f45356eb78bc16a88fc7cfb29fb00e18d7c632608245b789b2086d2"),
];

#[derive(Debug, thiserror::Error)]
pub enum ChecksumError {
    #[error("no pinned SHA-256 for {0}: gotrace only uses archives whose sum it knows")]
    Unpinned(String),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not the archive gotrace expects for {name}: its SHA-256 is {actual}, the pinned one is {expected}; nothing was installed (check --mirror or --source)")]
    Mismatch { path: PathBuf, name: String, expected: String, actual: String },
}

/// The pinned sum of the archive named `name` (its file name on Go's download site).
pub fn pinned(name: &str) -> Result<String, ChecksumError> {
    let test_pins = std::env::var(TEST_PINS_ENV).unwrap_or_default();
    let from_test = test_pins.split(',').filter_map(|pair| pair.split_once('=')).find(|(n, _)| *n == name).map(|(_, s)| s);
    from_test
        .or_else(|| PINS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s))
        .map(|s| s.trim().to_ascii_lowercase())
        .ok_or_else(|| ChecksumError::Unpinned(name.to_string()))
}

/// The SHA-256 of the file at `path`, in lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String, ChecksumError> {
    let read = |source| ChecksumError::Read { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(read)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(read)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Checks the file at `path` against the pin for `name`.
pub fn verify(path: &Path, name: &str) -> Result<(), ChecksumError> {
    let expected = pinned(name)?;
    let actual = sha256_file(path)?;
    if actual != expected {
        return Err(ChecksumError::Mismatch { path: path.to_path_buf(), name: name.to_string(), expected, actual });
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_lower_case_hex() {
        assert_eq!(sha256_bytes(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn the_go_archives_are_pinned_and_others_are_not() {
        assert!(pinned("go1.6.3.src.tar.gz").unwrap().starts_with("6326aeed"));
        assert!(matches!(pinned("go1.7.src.tar.gz"), Err(ChecksumError::Unpinned(_))));
    }
}
