//! The build with a Go that has no modules and no `-overlay` (the original's Go 1.6.3,
//! `--runtime go1.6.3`): the package's `.go` files are copied into a GOPATH in gotrace's
//! temporary directory, main's file as instrumented, the helper files beside them, and built
//! there in GOPATH mode. The user's files are only read.
//!
//! Each copy starts with a `//line` directive naming the user's file, so that Go's messages
//! and the binary's stacks name the user's paths, not the copy's. Go 1.6 knows only that
//! form, not the `/*line*/` ones inside the instrumented text (Go 1.10+), which it reads as
//! comments: no harm, since gotrace's insertions keep every line where it was and Go 1.6's
//! messages have no columns.

use std::ffi::OsString;
use std::path::Path;

use anyhow::Context;

use super::{helper_path, run_go_build};
use crate::instrument::{self, Plan};
use crate::target::Target;
use crate::toolchain::Go;

/// The directory of the copy under `$GOPATH/src` (the binary is named by `-o`, not by it).
const PACKAGE: &str = "gotrace-program";

/// Copies `target` into a GOPATH under `work` as `plan` says and builds it into `binary`.
pub(super) fn build(go: &Go, target: &Target, plan: &Plan, work: &Path, binary: &Path) -> anyhow::Result<()> {
    let gopath = work.join("gopath");
    let package = gopath.join("src").join(PACKAGE);
    std::fs::create_dir_all(&package).with_context(|| format!("cannot create {}", package.display()))?;
    for (path, text) in &target.files {
        let text = match plan {
            Plan::Instrument { file, source, .. } if file == path => source,
            _ => text,
        };
        let name = path.file_name().with_context(|| format!("{} has no file name", path.display()))?;
        write(&package.join(name), &format!("{}{text}", line_directive(path)))?;
    }
    if matches!(plan, Plan::Instrument { .. }) {
        for (name, text) in instrument::helper_sources(go.minor()) {
            write(&helper_path(&package, name), text)?;
        }
    }
    let mut cmd = go.command();
    cmd.current_dir(&package).env("GO111MODULE", "off").env("GOPATH", search_path(&gopath)?).env("GOFLAGS", "");
    cmd.arg("build").arg("-o").arg(binary);
    run_go_build(go, cmd, &target.name)
}

/// `//line FILE:1` for a copy of `path`: what follows is line 1 of the user's file. Empty for
/// a name a directive cannot carry (then Go names the copy).
fn line_directive(path: &Path) -> String {
    match path.to_str() {
        Some(name) if !name.contains('\n') => format!("//line {name}:1\n"),
        _ => String::new(),
    }
}

/// GOPATH: gotrace's, then the user's own (`$GOPATH`), where Go 1.6 finds the packages the
/// program imports.
fn search_path(gopath: &Path) -> anyhow::Result<OsString> {
    let mut paths = vec![gopath.to_path_buf()];
    paths.extend(std::env::var_os("GOPATH").iter().flat_map(std::env::split_paths));
    std::env::join_paths(paths).context("the GOPATH cannot hold gotrace's temporary directory")
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_name_the_users_files() {
        assert_eq!(line_directive(Path::new("/src/my app/main.go")), "//line /src/my app/main.go:1\n");
        assert_eq!(line_directive(Path::new("/src/odd\nname.go")), "");
    }
}
