//! The viewer's files (`viewer/`), compiled into the binary so that `gotrace view` needs no
//! network and no install step.

pub struct Asset {
    /// Path under `viewer/`, which is also the URL path.
    pub path: &'static str,
    pub mime: &'static str,
    pub body: &'static str,
}

macro_rules! asset {
    ($path:literal, $mime:expr) => {
        Asset { path: $path, mime: $mime, body: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/viewer/", $path)) }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

pub const INDEX: Asset = asset!("index.html", "text/html; charset=utf-8");
pub const STYLE: Asset = asset!("style.css", "text/css; charset=utf-8");

/// The ES modules; `main.js` is the entry point.
pub const MODULES: &[Asset] = &[
    asset!("main.js", JS),
    asset!("bench.js", JS),
    asset!("camera.js", JS),
    asset!("format.js", JS),
    asset!("geometry.js", JS),
    asset!("hover.js", JS),
    asset!("layout.js", JS),
    asset!("palette.js", JS),
    asset!("render.js", JS),
    asset!("ui.js", JS),
];

/// The asset served at `path` (without the leading slash; "" is the page).
pub fn get(path: &str) -> Option<&'static Asset> {
    match path {
        "" | "index.html" => Some(&INDEX),
        "style.css" => Some(&STYLE),
        _ => MODULES.iter().find(|a| a.path == path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module added to viewer/ but not listed here would load when developing from the
    /// directory and fail in the binary.
    #[test]
    fn every_viewer_module_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("viewer");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".js") {
                assert!(get(&name).is_some(), "viewer/{name} is not embedded");
            }
        }
    }

    #[test]
    fn modules_import_each_other_through_the_import_map() {
        for module in MODULES {
            for line in module.body.lines().filter(|l| l.starts_with("import ")) {
                assert!(line.contains("from 'gotrace/"), "{}: {line}", module.path);
            }
        }
    }
}
