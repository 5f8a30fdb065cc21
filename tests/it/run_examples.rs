//! Every program in examples/ through `gotrace run --check --no-browser -o model.json` with an
//! old-format Go (1.21) and a new-format one (1.27), with assertions on the model: the
//! goroutines each example starts exist with main as their parent, the messages the
//! example sends appear between the right goroutines, and no goroutine leaks, except the
//! sieve's generator and filters, which the classic sieve leaks by design (status 3).
//!
//! Missing toolchains skip loudly; GOTRACE_REQUIRE_TOOLCHAINS=1 makes them failures.

use std::path::Path;

use crate::common::*;
use serde_json::Value;

/// The model as the tests read it.
struct Model {
    goroutines: Vec<G>,
    messages: Vec<M>,
}

struct G {
    id: u64,
    parent: Option<u64>,
    name: String,
}

struct M {
    from: u64,
    to: u64,
    kind: String,
}

impl Model {
    fn read(json: &Value) -> Model {
        let goroutines = json["goroutines"].as_array().expect("goroutines").iter().map(|g| G {
            id: g["id"].as_u64().expect("id"),
            parent: g["parent"].as_u64(),
            name: g["name"].as_str().unwrap_or_default().to_owned(),
        });
        let messages = json["messages"].as_array().expect("messages").iter().map(|m| M {
            from: m["from"].as_u64().expect("from"),
            to: m["to"].as_u64().expect("to"),
            kind: m["kind"].as_str().unwrap_or_default().to_owned(),
        });
        Model { goroutines: goroutines.collect(), messages: messages.collect() }
    }

    /// The goroutine running main.main, there before the trace started.
    fn main(&self) -> u64 {
        let mains: Vec<&G> = self.goroutines.iter().filter(|g| g.name == "main.main" && g.parent.is_none()).collect();
        assert_eq!(mains.len(), 1, "one main goroutine: {:?}", self.goroutines.iter().map(|g| (&g.name, g.parent)).collect::<Vec<_>>());
        mains[0].id
    }

    /// Ids of the goroutines named `name` whose parent is main, checking there are `count`.
    fn children(&self, name: &str, count: usize) -> Vec<u64> {
        let main = self.main();
        let found: Vec<u64> = self.goroutines.iter().filter(|g| g.name == name && g.parent == Some(main)).map(|g| g.id).collect();
        assert_eq!(
            found.len(),
            count,
            "{count} {name} started by main; all: {:?}",
            self.goroutines.iter().map(|g| (g.id, &g.name, g.parent)).collect::<Vec<_>>()
        );
        found
    }

    fn named(&self, name: &str) -> Vec<u64> {
        self.goroutines.iter().filter(|g| g.name == name).map(|g| g.id).collect()
    }

    /// Messages of `kinds` from one of `from` to one of `to`.
    fn between(&self, from: &[u64], to: &[u64], kinds: &[&str]) -> usize {
        self.messages.iter().filter(|m| from.contains(&m.from) && to.contains(&m.to) && kinds.contains(&m.kind.as_str())).count()
    }
}

const CHAN: &[&str] = &["chan", "select"];

/// (example, its exact stdout or a prefix ending in "…", model assertions)
type Check = fn(&Model);

const EXAMPLES: &[(&str, &str, Check)] = &[
    ("hello", "hello, gotrace\n", |m| {
        m.main();
        let users: Vec<&str> =
            m.goroutines.iter().map(|g| g.name.as_str()).filter(|n| n.starts_with("main.") && !n.starts_with("main._gotrace")).collect();
        assert_eq!(users, ["main.main"]);
    }),
    ("pingpong", "game over after 10 hits…", |m| {
        let main = m.main();
        let players = m.children("main.player", 2);
        let all = [main, players[0], players[1]];
        // The serve, nine hits between the players, the last hit to main.
        assert_eq!(m.between(&[main], &players, CHAN), 1, "serve");
        assert_eq!(m.between(&players[..1], &players[1..], CHAN) + m.between(&players[1..], &players[..1], CHAN), 9, "hits");
        assert_eq!(m.between(&players, &[main], CHAN), 1, "game over");
        assert_eq!(m.between(&all, &all, CHAN), 11);
    }),
    ("players", "32 hits; the last by player …", |m| {
        let main = m.main();
        let players = m.children("main.player", 8);
        assert_eq!(m.between(&players, &players, CHAN), 31, "hits");
        assert_eq!(m.between(&players, &[main], CHAN), 1, "done");
        // The serve, then close(table) wakes every player waiting at the table: all, or all
        // but the one that has just told main it made the last hit. Stock traces cannot tell
        // a close from a send (the waker's stack starts at its caller), hence either kind.
        let from_main = m.between(&[main], &players, &["chan", "close"]);
        assert!((8..=9).contains(&from_main), "{from_main} messages from main to the players");
    }),
    ("sieve", "2\n3\n5\n7\n11\n13\n17\n19\n23\n29\n", |m| {
        let main = m.main();
        let generate = m.children("main.generate", 1);
        let filters = m.children("main.filter", 10);
        let sources: Vec<u64> = generate.iter().chain(&filters).copied().collect();
        assert!(m.between(&sources, &[main], CHAN) >= 10, "each prime reaches main");
        assert!(m.between(&generate, &filters, CHAN) >= 1, "numbers enter the chain");
        assert!(m.between(&filters, &filters, CHAN) >= 1, "and pass along it");
    }),
    ("fanin", "merged 7 values\n", |m| {
        let main = m.main();
        let producers = m.children("main.producer.func1", 2);
        let forwards = m.children("main.forward", 2);
        m.children("main.fanIn.func1", 1);
        assert_eq!(m.between(&producers, &forwards, CHAN), 7);
        assert_eq!(m.between(&forwards, &[main], CHAN), 7);
    }),
    ("workers", "sum of squares: 650\n", |m| {
        let main = m.main();
        let workers = m.children("main.worker", 4);
        let feeder = m.children("main.main.func1", 1);
        assert!(m.between(&feeder, &workers, CHAN) >= 1, "jobs reach the workers");
        assert_eq!(m.between(&workers, &[main], CHAN), 12, "every result reaches main");
    }),
    ("select_timeout", "reply after 1ms\ntimeout\nreply after 2ms\n", |m| {
        let main = m.main();
        let replier = m.children("main.replier", 1);
        // Three requests, each a hand-off whichever side parks first. The close that ends the
        // replier's loop shows only when the replier is already parked in `range` by then (a
        // race the program does not settle), and may read as a send (see players on close).
        let requests = m.between(&[main], &replier, &["chan", "close"]);
        assert!((3..=4).contains(&requests), "requests: {requests}, want the 3 requests and maybe the close");
        // main waits in a select; the replier sends from a select too.
        assert_eq!(m.between(&replier, &[main], CHAN), 2, "replies in time");
    }),
    ("prodcons", "consumed 45\n", |m| {
        let main = m.main();
        let producer = m.children("main.producer", 1);
        let consumer = m.children("main.consumer", 1);
        // The producer fills the buffer and waits; each item the consumer takes lets it go on.
        assert!(m.between(&producer, &consumer, CHAN) >= 3, "items reach the consumer");
        assert_eq!(m.between(&consumer, &[main], CHAN), 1, "the sum");
    }),
    ("mutex", "count: 20\n", |m| {
        let main = m.main();
        let incrementers = m.children("main.incrementer", 5);
        assert!(m.between(&incrementers, &incrementers, &["sync"]) >= 1, "an unlock wakes a waiting incrementer");
        assert_eq!(m.between(&incrementers, &[main], &["sync"]), 1, "the last Done wakes main");
    }),
    ("waitgroup", "all 5 workers done\n", |m| {
        let main = m.main();
        let workers = m.children("main.worker", 5);
        assert_eq!(m.between(&workers, &[main], &["sync"]), 1, "the last Done wakes main");
    }),
    ("timers", "ticked\n", |m| {
        let main = m.main();
        let ticking = m.children("main.ticking", 1);
        assert_eq!(m.named("main.main.func1").len(), 1, "the AfterFunc goroutine");
        assert_eq!(m.between(&[main], &ticking, CHAN), 1, "stop");
        assert_eq!(m.between(&ticking, &[main], CHAN), 1, "count");
    }),
    ("server", "received 60 bytes\n", |m| {
        let main = m.main();
        m.children("main.client", 3);
        m.children("net/http.(*Server).Serve", 1);
        // func1 is the handler; func2 closes the channel once the clients are done.
        m.children("main.main.func2", 1);
        assert!(!m.named("net/http.(*conn).serve").is_empty(), "connections are served on goroutines of their own");
        let clients = m.named("main.client");
        assert!(m.between(&clients, &[main], CHAN) >= 6, "each response size reaches main");
    }),
];

fn run_examples(version: &str) {
    let Some(go) = require(version) else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    for (name, expected, check) in EXAMPLES {
        let (json, out) = gotrace()
            .current_dir(root)
            .arg("run")
            .arg("--go")
            .arg(&go)
            .args(["--check", "--no-browser"])
            .arg(format!("examples/{name}.go"))
            .model_json();
        let stdout = stdout(&out);
        let stdout_ok = match expected.strip_suffix('…') {
            Some(prefix) => stdout.lines().last().is_some_and(|l| l.starts_with(prefix)),
            None => stdout == *expected,
        };
        let want_status = if *name == "sieve" { 3 } else { 0 };
        if out.status.code() != Some(want_status) || !stdout_ok {
            failures.push(format!("{name}: status {:?}, stdout {stdout:?}, stderr {}", out.status.code(), stderr(&out)));
            continue;
        }
        let model = Model::read(&json);
        if let Err(why) = leaks_as_expected(name, &json["check"], &model) {
            failures.push(format!("{name}: {why}; stderr {}", stderr(&out)));
        }
        if let Err(panic) = std::panic::catch_unwind(|| check(&model)) {
            let why = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            failures.push(format!("{name}: {}", why.unwrap_or_default()));
        }
    }
    assert!(failures.is_empty(), "Go {version}:\n{}", failures.join("\n"));
}

/// The check says the program exited and leaked nothing, or for the sieve, exactly its
/// generator and ten filters.
fn leaks_as_expected(name: &str, check: &Value, model: &Model) -> Result<(), String> {
    if check["outcome"] != "exited" {
        return Err(format!("outcome {}", check["outcome"]));
    }
    let mut leaked: Vec<u64> = check["leaks"]
        .as_array()
        .ok_or("no leaks array")?
        .iter()
        .flat_map(|l| l["goroutines"].as_array().cloned().unwrap_or_default())
        .filter_map(|id| id.as_u64())
        .collect();
    leaked.sort_unstable();
    let mut want = if name == "sieve" { [model.named("main.generate"), model.named("main.filter")].concat() } else { vec![] };
    want.sort_unstable();
    if leaked != want {
        return Err(format!("leaked {leaked:?}, want {want:?}: {check}"));
    }
    Ok(())
}

#[test]
fn examples_go_1_21() {
    run_examples("1.21.13");
}

#[test]
fn examples_go_1_27() {
    run_examples("1.27.3");
}

#[test]
fn every_example_is_checked() {
    let mut on_disk: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".go").map(str::to_owned))
        .collect();
    on_disk.sort();
    let mut checked: Vec<String> = EXAMPLES.iter().map(|(n, _, _)| n.to_string()).collect();
    checked.sort();
    assert_eq!(on_disk, checked);
}
