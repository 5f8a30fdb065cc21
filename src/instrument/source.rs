//! What gotrace needs to know about one Go source file, read with tree-sitter-go: its package,
//! where `func main`'s body opens, which calls inside it leave the program without running
//! deferred calls, and whether the program starts a trace itself.

use tree_sitter::{Node, Parser, Point};

/// A call inside `main` that ends the program without running deferred calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitCall {
    /// Bytes of the called function expression (`os.Exit`, `log.Fatalf`, ...).
    pub start: usize,
    pub end: usize,
    /// Where the function expression ends (the `(` follows), to restore positions after it.
    pub end_point: Point,
    /// The helper in the generated file that stops the trace first.
    pub helper: &'static str,
}

/// `func main`'s body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MainBody {
    /// The byte just after the body's `{`.
    pub after_brace: usize,
    pub after_brace_point: Point,
    pub exits: Vec<ExitCall>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoFile {
    /// The package name, "" when the file has none.
    pub package: String,
    /// Where the `package` keyword starts.
    pub package_start: usize,
    pub package_point: Point,
    /// tree-sitter found syntax errors; Go's compiler will explain them better than we can.
    pub has_error: bool,
    pub main: Option<MainBody>,
    /// Imports runtime/trace and calls its Start.
    pub starts_trace: bool,
    /// Line ranges (1-based, inclusive) of the functions that use timers, contexts or signals,
    /// where a receive or `select` may be woken by a timer or a signal rather than by another
    /// goroutine: the deadlock watch leaves those alone.
    pub timer_funcs: Vec<(usize, usize)>,
}

/// What in a function's text says it may wait on a timer, a context's deadline or a signal.
const TIMER_WORDS: &[&str] = &[
    "time.After",
    "time.Tick",
    "time.NewTimer",
    "time.NewTicker",
    "time.Timer",
    "time.Ticker",
    "context.",
    "Done()",
    "signal.Notify",
    "os.Signal",
];

/// Package-qualified calls that must stop the trace first, and the helper replacing each.
const EXITS: &[(&str, &str, &str)] = &[
    ("os", "Exit", "_gotraceExit"),
    ("log", "Fatal", "_gotraceFatal"),
    ("log", "Fatalf", "_gotraceFatalf"),
    ("log", "Fatalln", "_gotraceFatalln"),
];

/// Reads `source`; `None` only when tree-sitter cannot run at all.
pub fn analyze(source: &str) -> Option<GoFile> {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_go::LANGUAGE.into()).ok()?;
    let tree = parser.parse(source, None)?;
    let root = tree.root_node();
    let src = source.as_bytes();
    let imports = imports(root, src);
    let mut file = GoFile {
        package: String::new(),
        package_start: 0,
        package_point: Point::default(),
        has_error: root.has_error(),
        main: None,
        starts_trace: false,
        timer_funcs: timer_funcs(root, src),
    };
    let mut cursor = root.walk();
    for node in root.named_children(&mut cursor) {
        match node.kind() {
            "package_clause" => {
                file.package_start = node.start_byte();
                file.package_point = node.start_position();
                if let Some(name) = node.named_child(0) {
                    file.package = text(name, src).to_owned();
                }
            }
            "function_declaration" if is_main(node, src) => {
                file.main = node.child_by_field_name("body").and_then(|body| main_body(body, src, &imports));
            }
            _ => {}
        }
    }
    file.starts_trace = imports.iter().any(|(name, path)| path == "runtime/trace" && calls(root, src, name, "Start"));
    Some(file)
}

fn timer_funcs(root: Node, src: &[u8]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    visit(root, &mut |node| {
        if matches!(node.kind(), "function_declaration" | "method_declaration" | "func_literal") && uses_timers(text(node, src)) {
            found.push((node.start_position().row + 1, node.end_position().row + 1));
        }
    });
    found
}

/// Whether `code` names a timer: one of [`TIMER_WORDS`], or a `.C` field (a timer's or ticker's
/// channel).
fn uses_timers(code: &str) -> bool {
    let field_c = code.match_indices(".C").any(|(at, _)| !code[at + 2..].starts_with(|c: char| c.is_alphanumeric() || c == '_'));
    field_c || TIMER_WORDS.iter().any(|w| code.contains(w))
}

fn text<'s>(node: Node, src: &'s [u8]) -> &'s str {
    node.utf8_text(src).unwrap_or("")
}

fn is_main(func: Node, src: &[u8]) -> bool {
    let named_main = func.child_by_field_name("name").is_some_and(|n| text(n, src) == "main");
    named_main && func.child_by_field_name("type_parameters").is_none()
}

/// (local name, import path) of every import that can be called by name.
fn imports(root: Node, src: &[u8]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    visit(root, &mut |node| {
        if node.kind() != "import_spec" {
            return;
        }
        let Some(path) = node.child_by_field_name("path") else { return };
        let path = text(path, src).trim_matches(|c| c == '"' || c == '`').to_owned();
        let name = match node.child_by_field_name("name") {
            Some(name) if name.kind() == "package_identifier" => text(name, src).to_owned(),
            Some(_) => return, // `.` or `_`: no qualified calls to find
            None => path.rsplit('/').next().unwrap_or_default().to_owned(),
        };
        found.push((name, path));
    });
    found
}

fn main_body(body: Node, src: &[u8], imports: &[(String, String)]) -> Option<MainBody> {
    let brace = body.child(0).filter(|b| b.kind() == "{")?;
    // `log := log.New(...)` inside main makes `log.Fatal` a method call: leave those alone.
    let declared = declared_names(body, src);
    let imports: Vec<(String, String)> = imports.iter().filter(|(name, _)| !declared.contains(&name.as_str())).cloned().collect();
    let imports = imports.as_slice();
    let mut exits = Vec::new();
    visit(body, &mut |node| {
        if let Some(exit) = exit_call(node, src, imports) {
            exits.push(exit);
        }
    });
    Some(MainBody { after_brace: brace.end_byte(), after_brace_point: brace.end_position(), exits })
}

fn exit_call(node: Node, src: &[u8], imports: &[(String, String)]) -> Option<ExitCall> {
    if node.kind() != "call_expression" {
        return None;
    }
    let func = node.child_by_field_name("function").filter(|f| f.kind() == "selector_expression")?;
    let operand = func.child_by_field_name("operand").filter(|o| o.kind() == "identifier")?;
    let field = func.child_by_field_name("field")?;
    let (operand, field) = (text(operand, src), text(field, src));
    let path = imports.iter().find(|(name, _)| name == operand).map(|(_, path)| path.as_str())?;
    let (_, _, helper) = EXITS.iter().find(|(p, f, _)| *p == path && *f == field)?;
    Some(ExitCall { start: func.start_byte(), end: func.end_byte(), end_point: func.end_position(), helper })
}

/// Names declared anywhere under `root` (variables, constants, parameters), which may shadow
/// an import. Scopes are not tracked: a name declared anywhere in main counts everywhere.
fn declared_names<'s>(root: Node, src: &'s [u8]) -> Vec<&'s str> {
    let mut names = Vec::new();
    visit(root, &mut |node| {
        let declares = match node.kind() {
            "short_var_declaration" | "range_clause" | "assignment_statement" => node.child_by_field_name("left"),
            "var_spec" | "const_spec" | "parameter_declaration" | "variadic_parameter_declaration" => Some(node),
            _ => None,
        };
        let Some(declares) = declares else { return };
        let mut cursor = declares.walk();
        for child in declares.named_children(&mut cursor) {
            if child.kind() == "identifier" {
                names.push(text(child, src));
            }
        }
        if declares.kind() == "identifier" {
            names.push(text(declares, src));
        }
    });
    names
}

/// Whether `package.function(` is called anywhere under `root`.
fn calls(root: Node, src: &[u8], package: &str, function: &str) -> bool {
    let mut found = false;
    visit(root, &mut |node| {
        if found || node.kind() != "call_expression" {
            return;
        }
        let Some(func) = node.child_by_field_name("function").filter(|f| f.kind() == "selector_expression") else { return };
        let operand = func.child_by_field_name("operand").map(|o| text(o, src));
        let field = func.child_by_field_name("field").map(|f| text(f, src));
        found = operand == Some(package) && field == Some(function);
    });
    found
}

/// Calls `f` on `root` and every named node below it, depth first, without recursion (Go
/// files can nest deeply).
fn visit<'t>(root: Node<'t>, f: &mut impl FnMut(Node<'t>)) {
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if node.is_named() {
            f(node);
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == root {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}
