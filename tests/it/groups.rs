//! Groups (issue 21): goroutines grouped by where they were made, with real Go (1.21: old
//! trace format, 1.27: new). Six workers that each start 12 subworkers for each of two jobs
//! are two groups, `main.worker` ×6 and `main.subworker` ×144 under the workers'; 36 players
//! at one ping-pong table are one group. The model (`-o`), the `--html` page's picture and
//! `inspect` (text and `--json`) all say so.

use std::path::Path;

use crate::common::*;
use gotrace::model::{Group, Model};
use serde_json::Value;

const GO_VERSIONS: &[&str] = &["1.21.13", "1.27.3"];

const WORKERS: &str = r#"package main

import "sync"

func subworker(job, n int, out chan<- int) {
	out <- job*100 + n
}

func worker(jobs <-chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for job := range jobs {
		out := make(chan int)
		for n := 0; n < 12; n++ {
			go subworker(job, n, out)
		}
		for n := 0; n < 12; n++ {
			<-out
		}
	}
}

func main() {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go worker(jobs, &wg)
	}
	for job := 0; job < 12; job++ {
		jobs <- job
	}
	close(jobs)
	wg.Wait()
}
"#;

const PLAYERS: &str = r#"package main

import "time"

func player(table chan int, done chan struct{}) {
	for {
		select {
		case ball := <-table:
			time.Sleep(time.Millisecond)
			table <- ball + 1
		case <-done:
			return
		}
	}
}

func main() {
	table := make(chan int)
	done := make(chan struct{})
	for p := 0; p < 36; p++ {
		go player(table, done)
	}
	table <- 0
	time.Sleep(50 * time.Millisecond)
	<-table
	close(done)
	time.Sleep(10 * time.Millisecond)
}
"#;

/// The 1-based line of `source` holding `marker`.
fn line(source: &str, marker: &str) -> u32 {
    source.lines().position(|l| l.contains(marker)).unwrap_or_else(|| panic!("no line with {marker:?}")) as u32 + 1
}

/// The one group named `name`.
fn group<'m>(model: &'m Model, name: &str) -> &'m Group {
    let found: Vec<&Group> = model.groups.iter().filter(|g| g.name == name).collect();
    assert_eq!(found.len(), 1, "one group {name}: {:?}", model.groups);
    found[0]
}

/// Every goroutine is in a group of its start function, and the groups' counts are their
/// goroutines'; parents come first; the edges between groups count every message once.
fn assert_consistent(model: &Model, what: &str) {
    let mut edges = std::collections::BTreeMap::new();
    for m in &model.messages {
        let group = |g| model.goroutines.iter().find(|x| x.id == g).map(|x| x.group).expect("a listed goroutine");
        *edges.entry((group(m.from), group(m.to))).or_insert(0u64) += 1;
    }
    let counted: std::collections::BTreeMap<_, _> = model.group_edges.iter().map(|e| ((e.from, e.to), e.messages)).collect();
    assert_eq!(counted, edges, "{what}: the edges between groups");
    let mut counts = vec![0u64; model.groups.len()];
    for g in &model.goroutines {
        let group = &model.groups[g.group as usize];
        assert_eq!(group.name, g.name, "{what}: goroutine {} in {group:?}", g.id);
        counts[g.group as usize] += 1;
    }
    for (g, n) in model.groups.iter().zip(counts) {
        assert_eq!(g.count, n, "{what}: {g:?}");
        assert!(g.parent.is_none_or(|p| p < g.id), "{what}: {g:?} comes before its parent");
    }
}

fn site_line(group: &Group) -> u32 {
    group.site.rsplit(':').next().and_then(|l| l.parse().ok()).unwrap_or_else(|| panic!("a site ending in :LINE: {group:?}"))
}

/// For each Go of [`GO_VERSIONS`]: `test(version, dir, model)` of `gotrace run` of `source`,
/// which kept its trace in `dir/prog.trace`; the groups are checked to add up first.
fn each_go(source: &str, test: impl Fn(&str, &Path, &Model)) {
    for version in GO_VERSIONS {
        let Some(go) = require(version) else { continue };
        let dir = tempfile::tempdir().expect("temp dir");
        let model = run(&go, dir.path(), source);
        assert_consistent(&model, version);
        test(version, dir.path(), &model);
    }
}

/// `gotrace run` of `source` with `go`: the model, and the trace it read (kept in `dir`).
fn run(go: &Path, dir: &Path, source: &str) -> Model {
    std::fs::write(dir.join("prog.go"), source).expect("write prog.go");
    let (model, out) = gotrace()
        .current_dir(dir)
        .arg("run")
        .arg("--go")
        .arg(go)
        .args(["--no-browser", "--timeout", "60s", "--trace-out", "prog.trace", "prog.go"])
        .model();
    assert!(out.status.success(), "gotrace run: {}", stderr(&out));
    model
}

#[test]
fn workers_and_their_subworkers_are_two_groups_one_under_the_other() {
    each_go(WORKERS, |version, dir, model| {
        let main = group(model, "main.main");
        let workers = group(model, "main.worker");
        let subworkers = group(model, "main.subworker");
        assert_eq!((workers.count, workers.parent), (6, Some(main.id)), "Go {version}: {workers:?}");
        assert_eq!((subworkers.count, subworkers.parent), (144, Some(workers.id)), "Go {version}: {subworkers:?}");
        assert!(workers.site.starts_with("main.main ") && workers.site.contains("prog.go:"), "Go {version}: {workers:?}");
        assert_eq!(site_line(workers), line(WORKERS, "go worker("), "Go {version}");
        assert!(subworkers.site.starts_with("main.worker "), "Go {version}: {subworkers:?}");
        assert_eq!(site_line(subworkers), line(WORKERS, "go subworker("), "Go {version}");
        // Each subworker sends its worker one value, each on its job's channel.
        let edge = model.group_edges.iter().find(|e| (e.from, e.to) == (subworkers.id, workers.id)).expect("subworkers -> workers");
        assert_eq!((edge.messages, edge.channel), (144, None), "Go {version}: {edge:?}");

        // The page carries the same groups, and inspect lists them with how they ended.
        let (page, out) = gotrace().current_dir(dir).args(["view", "prog.trace"]).page();
        assert!(out.status.success(), "view --html: {}", stderr(&out));
        let groups: Vec<Group> = serde_json::from_value(page["groups"].clone()).expect("the page's groups");
        assert_eq!(groups, model.groups, "Go {version}: the page's groups are the model's");
        assert_eq!(page["goroutines"].as_array().map(|g| g.iter().filter(|g| g["group"] == subworkers.id).count()), Some(144));

        let out = gotrace().current_dir(dir).args(["inspect", "--json", "prog.trace"]).output().expect("inspect runs");
        assert!(out.status.success(), "inspect --json: {}", stderr(&out));
        let summary: Value = serde_json::from_slice(&out.stdout).expect("inspect --json is JSON");
        let listed = summary["groups"].as_array().expect("inspect's groups");
        assert_eq!(listed[0]["name"], "main.subworker", "Go {version}: the biggest group first: {listed:?}");
        assert_eq!(listed[0]["count"], 144);
        // Each subworker returns once its value is taken; main may end the trace before the last
        // few have: none is blocked at the end.
        let at_end: std::collections::BTreeMap<String, u64> = serde_json::from_value(listed[0]["at_end"].clone()).expect("at_end");
        assert_eq!(at_end.values().sum::<u64>(), 144, "Go {version}: {at_end:?}");
        assert!(at_end.keys().all(|k| ["ended", "runnable", "running"].contains(&k.as_str())), "Go {version}: {at_end:?}");
        assert!(at_end.get("ended") > Some(&100), "Go {version}: {at_end:?}");
        assert_eq!(listed[0]["site"], subworkers.site.as_str());
        let talks = &summary["group_edges"][0];
        assert_eq!(
            (talks["from_name"].as_str(), talks["to_name"].as_str(), talks["messages"].as_u64()),
            (Some("main.subworker"), Some("main.worker"), Some(144)),
            "Go {version}: {talks}"
        );
        let text = stdout(&gotrace().current_dir(dir).args(["inspect", "prog.trace"]).output().expect("inspect runs"));
        let subworker_line = format!("made at {}", subworkers.site);
        assert!(text.contains("biggest groups") && text.contains(&subworker_line), "Go {version}: {text}");
        let talk_line = format!("144  main.subworker (group {}) -> main.worker (group {})", subworkers.id, workers.id);
        assert!(text.contains(&talk_line), "Go {version}: {text}");
    });
}

#[test]
fn players_at_one_table_are_one_group() {
    each_go(PLAYERS, |version, _, model| {
        let players = group(model, "main.player");
        assert_eq!(players.count, 36, "Go {version}: {players:?}");
        assert_eq!(site_line(players), line(PLAYERS, "go player("), "Go {version}");

        // A model written before groups were is grouped the same when read back.
        let mut json: Value = serde_json::to_value(model).expect("the model as JSON");
        json.as_object_mut().expect("an object").remove("groups");
        json.as_object_mut().expect("an object").remove("group_edges");
        json["goroutines"].as_array_mut().expect("goroutines").iter_mut().for_each(|g| {
            g.as_object_mut().expect("a goroutine").remove("group");
        });
        let old = Model::from_json(&serde_json::to_vec(&json).expect("JSON")).expect("an old model reads");
        assert_eq!((&old.groups, &old.group_edges), (&model.groups, &model.group_edges), "Go {version}");
        // The players hand the ball to each other: one edge, from the group to itself.
        assert!(model.group_edges.iter().any(|e| (e.from, e.to) == (players.id, players.id) && e.messages > 10), "{:?}", model.group_edges);
    });
}
