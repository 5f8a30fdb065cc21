//! The layout of `src/`: modules import downward only. Every `crate::` and `super::` path in
//! the code (comments left out) is an edge between two sibling modules, where the path from
//! the using module and the used one part; a circle among siblings at any level fails, with
//! the places that make it. A child using its parent's items (or a parent its child's) is no
//! edge: the child lives inside the parent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module's path from the crate root: `src/runner/build/mod.rs` is `["runner", "build"]`.
type ModPath = Vec<String>;

/// Sibling edges: (parent, from, to) -> a place that makes the edge, as "file:line".
type Edges = BTreeMap<(ModPath, String, String), String>;

fn module_of(file: &Path, src: &Path) -> ModPath {
    let rel = file.strip_prefix(src).expect("under src").with_extension("");
    let mut path: ModPath = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    if matches!(path.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        path.pop();
    }
    path
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module paths that `line` of module `from` names: `crate::a::b`, `super::c`,
/// `crate::{a, b::c}`.
fn named(line: &str, from: &ModPath) -> Vec<ModPath> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::").into_iter().chain(rest.find("super::")).min() {
        let word_before = rest[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_');
        let (base, tail) = if rest[at..].starts_with("crate::") {
            (Vec::new(), &rest[at + "crate::".len()..])
        } else {
            let mut parent = from.clone();
            parent.pop();
            let mut tail = &rest[at + "super::".len()..];
            while let Some(t) = tail.strip_prefix("super::") {
                parent.pop();
                tail = t;
            }
            (parent, tail)
        };
        rest = tail;
        if word_before {
            continue;
        }
        let paths: Vec<&str> = match tail.strip_prefix('{') {
            Some(group) => group.split('}').next().unwrap_or("").split(',').collect(),
            None => vec![tail],
        };
        for path in paths {
            let mut module = base.clone();
            for part in path.trim().split("::") {
                let ident: String = part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if ident.is_empty() {
                    break;
                }
                module.push(ident);
                if !part.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    break;
                }
            }
            found.push(module);
        }
    }
    found
}

fn edges(src: &Path) -> Edges {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<ModPath> = files.iter().map(|f| module_of(f, src)).collect();
    let mut edges = Edges::new();
    for file in &files {
        let from = module_of(file, src);
        let text = std::fs::read_to_string(file).expect("a source file");
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for to in named(line, &from) {
                let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
                if common >= from.len() || common >= to.len() {
                    continue; // one is inside the other
                }
                let sibling = to[..=common].to_vec();
                if !modules.contains(&sibling) && !modules.iter().any(|m| m.starts_with(&sibling)) {
                    continue; // an item of the parent, not a module
                }
                let key = (from[..common].to_vec(), from[common].clone(), to[common].clone());
                edges.entry(key).or_insert_with(|| format!("{}:{}", file.strip_prefix(src).unwrap().display(), n + 1));
            }
        }
    }
    edges
}

/// The circles among siblings, each as its modules in order with the places of its edges.
fn circles(edges: &Edges) -> Vec<String> {
    let mut by_parent: BTreeMap<&ModPath, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for (parent, from, to) in edges.keys() {
        by_parent.entry(parent).or_default().entry(from).or_default().push(to);
    }
    let mut found = Vec::new();
    for (parent, graph) in by_parent {
        // Depth-first from every module; a path back to where it started is a circle.
        let mut seen = BTreeSet::new();
        for start in graph.keys() {
            let mut stack = vec![(*start, vec![*start])];
            while let Some((at, path)) = stack.pop() {
                for next in graph.get(at).into_iter().flatten() {
                    if next == start {
                        let mut key: Vec<&str> = path.clone();
                        key.sort();
                        if seen.insert(key) {
                            let places: Vec<String> = path
                                .iter()
                                .zip(path.iter().skip(1).chain([start]))
                                .map(|(a, b)| format!("{a} -> {b} ({})", edges[&(parent.clone(), a.to_string(), b.to_string())]))
                                .collect();
                            let module = parent.iter().fold("crate".to_string(), |m, p| m + "::" + p);
                            found.push(format!("in {module}: {}", places.join(", ")));
                        }
                    } else if !path.contains(next) {
                        let mut longer = path.clone();
                        longer.push(next);
                        stack.push((next, longer));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn modules_import_downward_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = edges(&src);
    let top: BTreeSet<&str> = edges.keys().filter(|(p, _, _)| p.is_empty()).map(|(_, from, _)| from.as_str()).collect();
    assert!(top.contains("cli") && top.contains("runner"), "the edges were not found: {top:?}");
    let circles = circles(&edges);
    assert!(circles.is_empty(), "modules that import each other:\n{}", circles.join("\n"));
}

#[test]
fn a_circle_is_found_with_its_places() {
    let line = "use crate::b::Thing; use super::c::{self, D};";
    assert_eq!(named(line, &vec!["a".into(), "x".into()]), vec![vec!["b".to_string(), "Thing".into()], vec!["a".into(), "c".into()]]);
    let mut edges = Edges::new();
    edges.insert((vec![], "a".into(), "b".into()), "a.rs:1".into());
    edges.insert((vec![], "b".into(), "c".into()), "b.rs:2".into());
    assert!(circles(&edges).is_empty());
    edges.insert((vec![], "c".into(), "a".into()), "c/mod.rs:3".into());
    assert_eq!(circles(&edges), ["in crate: a -> b (a.rs:1), b -> c (b.rs:2), c -> a (c/mod.rs:3)"]);
}
