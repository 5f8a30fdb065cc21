use super::*;

/// main (1) returned; three `main.ask` goroutines created by main.first at line 11: 5 and 6
/// still blocked sending at line 12, 7 ended; 8 blocked in the helper's signal goroutine;
/// 9 a `main.watch` blocked in select; 10 sleeping.
fn model() -> Model {
    let json = r#"{"version":1,
      "meta":{"format":"go 1.26","duration_ns":1000,"channel_truth":"inferred","unattributed":0,"hidden_goroutines":0},
      "goroutines":[
        {"id":1,"name":"main.main","start_ns":0,"depth":0,"system":false},
        {"id":5,"parent":1,"name":"main.ask","start_ns":10,"depth":1,"system":false,"create_stack":1},
        {"id":6,"parent":1,"name":"main.ask","start_ns":10,"depth":1,"system":false,"create_stack":1},
        {"id":7,"parent":1,"name":"main.ask","start_ns":10,"end_ns":90,"depth":1,"system":false,"create_stack":1},
        {"id":8,"name":"main._gotraceOnSignal.func1","start_ns":0,"depth":0,"system":false},
        {"id":9,"parent":1,"name":"main.watch","start_ns":20,"depth":1,"system":false,"create_stack":1},
        {"id":10,"parent":1,"name":"main.nap","start_ns":20,"depth":1,"system":false,"create_stack":1}],
      "segments":[
        {"goroutine":5,"state":"blocked","start_ns":40,"end_ns":1000,"reason":"chan send","stack":0},
        {"goroutine":6,"state":"running","start_ns":10,"end_ns":30},
        {"goroutine":6,"state":"blocked","start_ns":30,"end_ns":1000,"reason":"chan send","stack":0},
        {"goroutine":8,"state":"blocked","start_ns":0,"end_ns":1000,"reason":"chan receive","stack":2},
        {"goroutine":9,"state":"blocked","start_ns":50,"end_ns":1000,"reason":"select","stack":3},
        {"goroutine":10,"state":"sleeping","start_ns":50,"end_ns":1000,"reason":"sleep"}],
      "messages":[],
      "stacks":[
        [{"func":"runtime.chansend1","file":"/go/src/runtime/chan.go","line":161},{"func":"main.ask","file":"/p/main.go","line":12}],
        [{"func":"main.first","file":"/p/main.go","line":11},{"func":"main.main","file":"/p/main.go","line":20}],
        [{"func":"runtime.chanrecv1","file":"/go/src/runtime/chan.go","line":1},{"func":"main._gotraceOnSignal.func1","file":"/p/zz_gotrace.go","line":70}],
        [{"func":"runtime.selectgo","file":"/go/src/runtime/select.go","line":1},{"func":"main.watch","file":"/p/main.go","line":30}]]}"#;
    Model::from_json(json.as_bytes()).unwrap()
}

fn frame(func: &str, line: u32) -> Frame {
    Frame { func: func.into(), file: "/p/main.go".into(), line }
}

#[test]
fn leaks_are_grouped_where_they_block_and_were_created() {
    let leaks = leaks(&model(), &[]);
    assert_eq!(leaks.len(), 2, "{leaks:?}");
    assert_eq!(
        leaks[0],
        Leak {
            count: 2,
            goroutines: vec![5, 6],
            reason: "chan send".into(),
            blocked_at: Some(frame("main.ask", 12)),
            created_at: Some(frame("main.first", 11)),
            since_ns: 30,
        }
    );
    assert_eq!((leaks[1].reason.as_str(), leaks[1].goroutines.as_slice()), ("select", &[9][..]));
    assert_eq!(leaks[1].blocked_at, Some(frame("main.watch", 30)));
}

#[test]
fn ignored_functions_are_not_leaks() {
    let leaks = leaks(&model(), &["main.watch".to_owned(), "runtime.chansend1".to_owned()]);
    assert!(leaks.is_empty(), "{leaks:?}");
}

#[test]
fn exit_status_under_check() {
    let mut c = check(&model(), Outcome::Exited, None, &[]);
    assert_eq!(exit_status(&c, 0), 3, "succeeded but leaked");
    assert_eq!(exit_status(&c, 1), 1, "the program's own failure first");
    c.outcome = Outcome::Deadlock;
    assert_eq!(exit_status(&c, 2), 2);
    c.outcome = Outcome::Exited;
    c.leaks.clear();
    assert_eq!(exit_status(&c, 0), 0);
}

#[test]
fn the_crashed_goroutine_is_the_first_named() {
    let report = "panic: bad value 3\n\ngoroutine 25 [running]:\nmain.worker(...)\n\t/p/main.go:11\n\ngoroutine 1 [chan send]:\n";
    assert_eq!(crashed_goroutine(report), Some(25));
    assert_eq!(crashed_goroutine("fatal error: out of memory\n"), None);
}

#[test]
fn reports_for_people_and_ci() {
    let c = check(&model(), Outcome::Exited, None, &[]);
    let text = leak_report(&c.leaks);
    assert!(text.starts_with("gotrace: found 3 leaked goroutines in 2 groups:\n"), "{text}");
    assert!(text.contains("  2 × [chan send] since 0.000 ms: goroutines 5, 6\n      blocked at main.ask (/p/main.go:12)\n      created at main.first (/p/main.go:11)\n"), "{text}");
    let annotations = github::annotations(&c);
    assert_eq!(annotations.lines().count(), 2);
    assert!(annotations.starts_with("::error file=/p/main.go,line=12::2 goroutine(s) leaked: [chan send]"), "{annotations}");
    let xml = junit::document("first <q>", &c);
    assert!(xml.contains(r#"<testsuite name="gotrace first &lt;q&gt;" tests="3" failures="2">"#), "{xml}");
    assert!(xml.contains(r#"<testcase classname="gotrace.outcome" name="exited"></testcase>"#), "{xml}");
    assert_eq!(xml.matches("<failure").count(), 2);
}

#[test]
fn the_check_object_has_the_issue_format() {
    let value = serde_json::to_value(check(&model(), Outcome::Deadlock, None, &[])).unwrap();
    assert_eq!(value["outcome"], "deadlock");
    let leak = &value["leaks"][0];
    for key in ["count", "goroutines", "reason", "blocked_at", "created_at", "since_ns"] {
        assert!(!leak[key].is_null(), "{key} in {leak}");
    }
    assert_eq!(leak["blocked_at"], serde_json::json!({"func": "main.ask", "file": "/p/main.go", "line": 12}));
    assert!(value.get("crashed").is_none());
}
