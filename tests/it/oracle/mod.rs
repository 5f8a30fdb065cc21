//! The oracle side of the agreement tests: Go's own tools read a trace, their output is
//! reduced to the fields `gotrace inspect --json` reports ([`reduce`], [`counts`]), and the
//! two are compared. Test files include it with `mod common; mod oracle;`.
//!
//! Which Go tool vouches for which trace:
//! As the issue puts it: a trace is read by the `go tool trace` of the Go version that wrote
//! it (`-d` on 1.19/1.21, `-d=1` on 1.22/1.23, `-d=parsed` on 1.24+); Go's own old-format
//! test traces by Go 1.21's `-d`, and those from 1.11 on by Go 1.27 as well (its
//! `tracev1.go` converts them); go 1.5 traces, which the tools refuse without the program
//! binary, by Go 1.21's parser itself through scripts/go-oracle.sh, which also names the
//! start functions `-d` leaves out.

pub mod counts;
pub mod inspect;
pub mod reduce;

use std::fmt;
use std::path::Path;
use std::process::Command;

use crate::common::toolchains::{dump_flag, go_tool, minor};
use counts::Counts;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Oracle {
    /// `go tool trace -d` of an old-format toolchain ("1.19", "1.21").
    OldDump(&'static str),
    /// `go tool trace -d=1` / `-d=parsed` of a new-format toolchain ("1.22" … "1.27").
    ParsedDump(&'static str),
    /// Go 1.21's `internal/trace.Parse` without a binary (scripts/go-oracle.sh).
    Go121Parser,
}

pub enum OracleError {
    /// The toolchain is not installed.
    Missing(String),
    Failed(String),
}

impl fmt::Display for Oracle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Oracle::OldDump(v) => write!(f, "go{v} tool trace -d"),
            Oracle::ParsedDump(v) => write!(f, "go{v} tool trace {}", dump_flag(minor(v))),
            Oracle::Go121Parser => write!(f, "go1.21 internal/trace.Parse (scripts/go-oracle.sh)"),
        }
    }
}

/// The Go version whose runtime wrote a fixture, as "1.N", and whether the file is one of
/// Go's own test traces rather than ours.
pub fn oracles_for(minor: u32, go_testdata: bool) -> Vec<Oracle> {
    match minor {
        5 | 6 => vec![Oracle::Go121Parser],
        7..=10 => vec![Oracle::OldDump("1.21"), Oracle::Go121Parser],
        19 if !go_testdata => vec![Oracle::OldDump("1.19"), Oracle::Go121Parser, Oracle::ParsedDump("1.27")],
        11..=21 => vec![Oracle::OldDump("1.21"), Oracle::Go121Parser, Oracle::ParsedDump("1.27")],
        22 => vec![Oracle::ParsedDump("1.22")],
        23 => vec![Oracle::ParsedDump("1.23")],
        24 => vec![Oracle::ParsedDump("1.24")],
        25 => vec![Oracle::ParsedDump("1.25")],
        26 => vec![Oracle::ParsedDump("1.26")],
        27 => vec![Oracle::ParsedDump("1.27")],
        _ => Vec::new(),
    }
}

impl Oracle {
    pub fn read(&self, file: &Path) -> Result<Counts, OracleError> {
        let failed = |e: String| OracleError::Failed(format!("{self}: {e}"));
        match self {
            Oracle::OldDump(v) => reduce::old_dump(&run_go(v, &["tool", "trace", dump_flag(minor(v))], file)?).map_err(failed),
            Oracle::ParsedDump(v) => reduce::parsed_dump(&run_go(v, &["tool", "trace", dump_flag(minor(v))], file)?).map_err(failed),
            Oracle::Go121Parser => {
                if go_tool("1.21").is_none() {
                    return Err(OracleError::Missing(format!("{self} needs Go 1.21")));
                }
                let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/go-oracle.sh");
                let mut cmd = crate::common::isolated("bash");
                cmd.arg(script).arg(file);
                reduce::old_dump(&stdout_of(cmd).map_err(failed)?).map_err(failed)
            }
        }
    }
}

fn run_go(version: &str, args: &[&str], file: &Path) -> Result<String, OracleError> {
    let go = go_tool(version).ok_or_else(|| OracleError::Missing(format!("Go {version} is not installed")))?;
    let mut cmd = crate::common::isolated(&go);
    cmd.args(args).arg(file);
    stdout_of(cmd).map_err(|e| OracleError::Failed(format!("go{version} {}: {e}", args.join(" "))))
}

fn stdout_of(mut cmd: Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("cannot run: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("{}: {}", out.status, err.trim().lines().last().unwrap_or("")));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("output is not UTF-8: {e}"))
}
