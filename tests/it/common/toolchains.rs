//! The Go toolchains the tests use: one table of versions, one finder. They live where
//! scripts/install-go-toolchains.sh puts them, `$GOTRACE_TOOLCHAINS/<version>/go/bin/go`
//! (default /opt/gotrace-go), and Debian's Go 1.19 at /usr/lib/go-1.19.

use std::path::PathBuf;

/// Every toolchain the tests and fixtures use, as `major.minor` and full version.
pub const VERSIONS: &[(&str, &str)] = &[
    ("1.19", "1.19"),
    ("1.21", "1.21.13"),
    ("1.22", "1.22.10"),
    ("1.23", "1.23.9"),
    ("1.24", "1.24.11"),
    ("1.25", "1.25.5"),
    ("1.26", "1.26.6"),
    ("1.27", "1.27.3"),
];

/// Where the `go` command of Go `version` ("1.21" or "1.21.13", a row of [`VERSIONS`]) is
/// installed when it is.
fn path_of(version: &str) -> PathBuf {
    let (minor, full) = VERSIONS
        .iter()
        .find(|(minor, full)| *minor == version || *full == version)
        .unwrap_or_else(|| panic!("Go {version} is not in tests/it/common/toolchains.rs's VERSIONS"));
    if *minor == "1.19" {
        return PathBuf::from("/usr/lib/go-1.19/bin/go");
    }
    let dir = std::env::var_os("GOTRACE_TOOLCHAINS").map_or_else(|| PathBuf::from("/opt/gotrace-go"), PathBuf::from);
    dir.join(full).join("go/bin/go")
}

/// The `go` command of Go `version` ("1.21" or "1.21.13"), if installed.
pub fn go_tool(version: &str) -> Option<PathBuf> {
    let path = path_of(version);
    path.is_file().then_some(path)
}

/// The GOROOT of Go `version`, if installed.
pub fn goroot(version: &str) -> Option<PathBuf> {
    Some(go_tool(version)?.parent()?.parent()?.to_path_buf())
}

/// CI sets GOTRACE_REQUIRE_TOOLCHAINS=1: there a missing toolchain fails the test instead of
/// skipping what needs it.
pub fn required() -> bool {
    std::env::var("GOTRACE_REQUIRE_TOOLCHAINS").is_ok_and(|v| v == "1")
}

/// The `go` command of Go `version`, or `None` (said loudly) when it is missing and
/// GOTRACE_REQUIRE_TOOLCHAINS=1 does not make that a failure.
pub fn require(version: &str) -> Option<PathBuf> {
    if let Some(go) = go_tool(version) {
        return Some(go);
    }
    let go = path_of(version);
    if required() {
        panic!("Go {version} is required (GOTRACE_REQUIRE_TOOLCHAINS=1) but {} does not exist", go.display());
    }
    eprintln!("SKIPPED: Go {version} not installed at {}", go.display());
    None
}

/// Any one installed toolchain, newest first, for tests about gotrace rather than about Go.
pub fn any_go() -> Option<PathBuf> {
    let found = VERSIONS.iter().rev().find_map(|(minor, _)| go_tool(minor));
    if found.is_none() {
        if required() {
            panic!("no Go toolchain installed (GOTRACE_REQUIRE_TOOLCHAINS=1)");
        }
        eprintln!("SKIPPED: no Go toolchain installed");
    }
    found
}

/// The minor version of "1.22" or "1.22.10": 22.
pub fn minor(version: &str) -> u32 {
    version
        .strip_prefix("1.")
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("not a Go version: {version}"))
}

/// How the `go tool trace` of Go 1.`minor` is asked to parse and dump a trace: `-d` up to
/// 1.21, `-d=1` on 1.22/1.23, `-d=parsed` from 1.24 on (which renamed it).
pub fn dump_flag(minor: u32) -> &'static str {
    match minor {
        ..=21 => "-d",
        22 | 23 => "-d=1",
        _ => "-d=parsed",
    }
}
