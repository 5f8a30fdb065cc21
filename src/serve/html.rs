//! `--html FILE`: the viewer and the model in one HTML file that opens from file:// offline.
//!
//! The modules import each other as `gotrace/NAME.js` through an import map; here the map
//! points every name at a `data:` URL holding the module, the stylesheet is inlined and the
//! model is a JSON `<script>` block that `scene.js` reads before trying `model.json`.

use base64::Engine;

use super::assets::{INDEX, MODULES, STYLE};

const IMPORT_MAP: &str = r#"<script type="importmap">{"imports": {"gotrace/": "./"}}</script>"#;
const STYLESHEET: &str = r#"<link rel="stylesheet" href="style.css">"#;
const ENTRY: &str = r#"<script type="module" src="main.js"></script>"#;

/// The self-contained page for a model given as JSON text.
pub fn page(model_json: &[u8]) -> Vec<u8> {
    let engine = base64::engine::general_purpose::STANDARD;
    let imports: serde_json::Map<String, serde_json::Value> = MODULES
        .iter()
        .map(|m| (format!("gotrace/{}", m.path), format!("data:text/javascript;base64,{}", engine.encode(m.body)).into()))
        .collect();
    let map = serde_json::json!({ "imports": imports });
    let head = INDEX.body.replacen(IMPORT_MAP, &format!(r#"<script type="importmap">{map}</script>"#), 1).replacen(
        STYLESHEET,
        &format!("<style>\n{}</style>", STYLE.body),
        1,
    );
    let (before, after) = head.split_once(ENTRY).unwrap_or((&head, ""));
    let mut out = Vec::with_capacity(before.len() + after.len() + model_json.len() + 200);
    out.extend_from_slice(before.as_bytes());
    out.extend_from_slice(br#"<script id="gotrace-model" type="application/json">"#);
    push_script_safe(&mut out, model_json);
    out.extend_from_slice(b"</script>\n<script type=\"module\">import 'gotrace/main.js';</script>");
    out.extend_from_slice(after.as_bytes());
    out
}

/// Copies JSON into a `<script>` element: `</` would end the element early, and in JSON
/// text it can only occur inside a string, where `<\/` means the same.
fn push_script_safe(out: &mut Vec<u8>, json: &[u8]) {
    let mut rest = json;
    while let Some(i) = rest.windows(2).position(|w| w == b"</") {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(b"<\\/");
        rest = &rest[i + 2..];
    }
    out.extend_from_slice(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_nothing_from_outside() {
        let html = String::from_utf8(page(br#"{"goroutines":[]}"#)).unwrap();
        for external in [IMPORT_MAP, STYLESHEET, ENTRY] {
            assert!(!html.contains(external), "still refers to {external}");
        }
        for attribute in ["src=\"", "href=\""] {
            for (at, _) in html.match_indices(attribute) {
                assert!(html[at + attribute.len()..].starts_with("data:"), "a link outside the page at byte {at}");
            }
        }
        assert!(html.contains(r#""gotrace/main.js":"data:text/javascript;base64,"#));
        assert!(html.contains(r#"<script id="gotrace-model" type="application/json">{"goroutines":[]}</script>"#));
    }

    #[test]
    fn model_text_cannot_close_the_script_element() {
        let mut out = Vec::new();
        push_script_safe(&mut out, br#"{"name":"</script><b>"}"#);
        assert_eq!(out, br#"{"name":"<\/script><b>"}"#);
    }
}
