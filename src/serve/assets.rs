//! The viewer's files (`viewer/`), compiled into the binary so that `gotrace view` needs no
//! network and no install step.

pub struct Asset {
    /// Path under `viewer/`.
    pub path: &'static str,
    pub body: &'static str,
}

macro_rules! asset {
    ($path:literal) => {
        Asset { path: $path, body: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/viewer/", $path)) }
    };
}

pub const INDEX: Asset = asset!("index.html");
pub const STYLE: Asset = asset!("style.css");

/// The ES modules; `main.js` is the entry point.
pub const MODULES: &[Asset] = &[
    asset!("main.js"),
    asset!("address.js"),
    asset!("bench.js"),
    asset!("camera.js"),
    asset!("channels.js"),
    asset!("detail.js"),
    asset!("focus.js"),
    asset!("format.js"),
    asset!("geometry.js"),
    asset!("hover.js"),
    asset!("input.js"),
    asset!("lanes.js"),
    asset!("layout.js"),
    asset!("loop.js"),
    asset!("map.js"),
    asset!("palette.js"),
    asset!("render.js"),
    asset!("scene.js"),
    asset!("ui.js"),
    asset!("view.js"),
];

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
                assert!(MODULES.iter().any(|m| m.path == name), "viewer/{name} is not embedded");
            }
        }
    }

    /// Static imports and dynamic `import()` (the benchmark, loaded when asked for) alike: a
    /// relative specifier would not resolve from the `data:` URLs of the `--html` page.
    #[test]
    fn modules_import_each_other_through_the_import_map() {
        for module in MODULES {
            for line in module.body.lines().filter(|l| l.starts_with("import ")) {
                assert!(line.contains("from 'gotrace/"), "{}: {line}", module.path);
            }
            for (at, _) in module.body.match_indices("import(") {
                assert!(
                    module.body[at..].starts_with("import('gotrace/"),
                    "{}: {}",
                    module.path,
                    module.body[at..].lines().next().unwrap_or_default()
                );
            }
        }
    }
}
