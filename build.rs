//! Embeds `docker/` and `patches/` in the binary: they are the build context of the gotrace
//! image, which `gotrace setup-runtime --docker` sends to the Docker engine as a tar stream.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["docker", "patches"] {
        println!("cargo:rerun-if-changed={dir}");
        collect(&root, &root.join(dir), &mut files);
    }
    files.sort();
    let mut code = String::from("&[\n");
    for rel in &files {
        let abs = root.join(rel);
        writeln!(code, "    ({rel:?}, include_bytes!({:?}) as &[u8]),", abs.display().to_string()).expect("writing to a String");
    }
    code.push(']');
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("image_context.rs");
    std::fs::write(out, code).expect("cannot write the embedded image context");
}

/// Every file under `dir`, as a '/'-separated path relative to `root`.
fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let parts: Vec<_> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            files.push(parts.join("/"));
        }
    }
}
