//! Where the Go toolchains that serve as oracles live (see scripts/install-go-toolchains.sh).

use std::path::PathBuf;

/// Every toolchain the fixtures come from, as `major.minor` and full version.
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

/// The `go` command of Go `version` ("1.21"), if installed.
pub fn go_tool(version: &str) -> Option<PathBuf> {
    let full = VERSIONS.iter().find(|(v, _)| *v == version)?.1;
    let path = if version == "1.19" {
        PathBuf::from("/usr/lib/go-1.19/bin/go")
    } else {
        let dir = std::env::var_os("GOTRACE_TOOLCHAINS").map_or_else(|| PathBuf::from("/opt/gotrace-go"), PathBuf::from);
        dir.join(full).join("go/bin/go")
    };
    path.is_file().then_some(path)
}

/// CI sets GOTRACE_REQUIRE_TOOLCHAINS=1: there a missing toolchain fails the test instead of
/// skipping the comparisons that need it.
pub fn required() -> bool {
    std::env::var("GOTRACE_REQUIRE_TOOLCHAINS").is_ok_and(|v| v == "1")
}
