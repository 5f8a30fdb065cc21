//! The layers checked against the grid computed directly.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use super::grid::{Grid, MAX_SHIFT};
use super::layout::Layout;
use super::messages::in_window_messages;
use super::segments::overlaps;
use super::*;
use crate::model::{ChannelTruth, Goroutine, Message, MessageKind, Meta, Model, Segment, State, JSON_VERSION};
use crate::trace::GoId;

fn picture(model: &Model, window: Window, budget: Budget) -> Drawing {
    draw(model, window, budget)
}

fn seg(goroutine: GoId, state: State, start_ns: u64, end_ns: u64) -> Segment {
    Segment { goroutine, state, start_ns, end_ns, reason: None, stack: None }
}

fn msg(from: GoId, to: GoId, send_ns: u64) -> Message {
    Message { from, to, send_ns, recv_ns: send_ns + 1, kind: MessageKind::Chan, channel: None, value: None, value_text: None, stack: None }
}

fn model(segments: Vec<Segment>, messages: Vec<Message>, duration_ns: u64) -> Model {
    let g = |id| Goroutine {
        id,
        parent: None,
        name: "main.f".into(),
        start_ns: 0,
        end_ns: None,
        depth: 0,
        system: false,
        create_stack: None,
        group: 0,
    };
    Model {
        version: JSON_VERSION,
        meta: Meta { format: "go 1.26".into(), duration_ns, channel_truth: ChannelTruth::Inferred, unattributed: 0, hidden_goroutines: 0 },
        goroutines: vec![g(1), g(2)],
        groups: vec![],
        segments,
        messages,
        group_edges: vec![],
        channels: vec![],
        stacks: vec![],
        check: None,
    }
}

#[test]
fn what_fits_is_drawn_as_it_is() {
    let m = model(vec![seg(1, State::Running, 0, 10), seg(1, State::Blocked, 10, 20)], vec![msg(1, 2, 5)], 20);
    let p = picture(&m, Window::whole(&m), Budget::default());
    assert_eq!(p.lod.segments, Reduction { total: 2, shown: 2, cell_ns: None });
    assert_eq!(p.lod.messages, Reduction { total: 1, shown: 1, cell_ns: None });
    assert!(p.segments.iter().all(|s| s.n == 1));
}

#[test]
fn short_segments_merge_into_their_dominant_state_and_long_ones_stay() {
    // Goroutine 1 flips state every 10 ns for 1000 ns, then sleeps 1000 ns.
    let mut segs: Vec<Segment> =
        (0..100).map(|i| seg(1, if i % 3 == 0 { State::Blocked } else { State::Running }, i * 10, i * 10 + 10)).collect();
    segs.push(seg(1, State::Sleeping, 1000, 2000));
    let m = model(segs, vec![], 2000);
    let p = picture(&m, Window::whole(&m), Budget { segments: 10, messages: 10 });
    assert!(p.segments.len() <= 10, "{} segments", p.segments.len());
    assert_eq!(p.segments.iter().map(|s| s.n as usize).sum::<usize>(), 101, "every segment is accounted for");
    let last = p.segments.last().unwrap();
    assert_eq!((last.item.state, last.n, last.item.start_ns, last.item.end_ns), (State::Sleeping, 1, 1000, 2000));
    assert!(p.segments[..p.segments.len() - 1].iter().all(|s| s.item.state == State::Running && s.n > 1));
    assert_eq!(p.lod.segments.total, 101);
    assert!(p.lod.segments.cell_ns.is_some());
}

#[test]
fn segments_of_a_goroutine_the_model_does_not_list_are_left_out() {
    let segs: Vec<Segment> =
        (0..100).flat_map(|i| [seg(1, State::Running, i * 10, i * 10 + 10), seg(7, State::Running, i * 10, i * 10 + 10)]).collect();
    let m = model(segs, vec![], 1000);
    for budget in [1000, 10] {
        let p = picture(&m, Window::whole(&m), Budget { segments: budget, messages: 10 });
        assert!(p.segments.iter().all(|s| s.item.goroutine == 1), "budget {budget}");
        assert_eq!(p.lod.segments.total, 100, "budget {budget}");
        assert_eq!(p.segments.iter().map(|s| s.n as usize).sum::<usize>(), 100, "budget {budget}");
    }
}

#[test]
fn messages_between_one_pair_in_one_cell_become_one_arrow() {
    let msgs: Vec<Message> = (0..1000).flat_map(|i| [msg(1, 2, i * 10), msg(2, 1, i * 10 + 5)]).collect();
    let m = model(vec![], msgs, 10_000);
    let p = picture(&m, Window::whole(&m), Budget { segments: 10, messages: 100 });
    assert!(p.messages.len() <= 100 && p.messages.len() >= 50, "{} arrows", p.messages.len());
    assert_eq!(p.messages.iter().map(|a| a.n as usize).sum::<usize>(), 2000);
    assert!(p.messages.windows(2).all(|w| w[0].item.send_ns <= w[1].item.send_ns), "still ordered by send time");
    let first = &p.messages[0];
    assert_eq!((first.item.from, first.item.to, first.item.send_ns), (1, 2, 0));
    assert!(first.last_ns.unwrap() > first.item.send_ns);
}

#[test]
fn a_window_has_only_its_items_and_a_finer_grid() {
    let msgs: Vec<Message> = (0..10_000).map(|i| msg(1, 2, i * 10)).collect();
    let m = model(vec![], msgs, 100_000);
    let whole = picture(&m, Window::whole(&m), Budget { segments: 10, messages: 100 });
    let part = picture(&m, Window { start_ns: 50_000, end_ns: 51_000 }, Budget { segments: 10, messages: 100 });
    assert_eq!(part.lod.messages, Reduction { total: 100, shown: 100, cell_ns: None });
    assert!(part.messages.iter().all(|a| (50_000..51_000).contains(&a.item.send_ns)));
    assert!(whole.lod.messages.cell_ns.unwrap() > 500);
}

/// What is drawn, plainly: (goroutine, state, start, end, n) and (from, to, sent, n).
type Plain = (Vec<(GoId, State, u64, u64, u32)>, Vec<(GoId, GoId, u64, u32)>);

/// Every item of the window drawn on `grid`, computed directly: per goroutine, a
/// segment a cell long or longer on its own, runs of shorter ones within one cell merged
/// (n, start, end, the state of most time); per pair, the messages of one cell merged.
fn drawn_directly(m: &Model, window: Window, grid: Option<Grid>) -> Plain {
    let mut segs: Vec<(GoId, State, u64, u64, u32, [u64; State::COUNT])> = Vec::new();
    let mut open: FxHashMap<GoId, (u64, usize)> = FxHashMap::default();
    for s in m.segments.iter().filter(|s| overlaps(s, window)) {
        let mut time_in = [0; State::COUNT];
        time_in[s.state as usize] = s.end_ns - s.start_ns;
        let run = grid.filter(|c| s.end_ns - s.start_ns < c.len_ns()).map(|c| c.of(window, s.start_ns));
        match (run, open.get(&s.goroutine)) {
            (Some(cell), Some(&(open_cell, at))) if open_cell == cell => {
                let r = &mut segs[at];
                r.3 = s.end_ns;
                r.4 += 1;
                (0..State::COUNT).for_each(|k| r.5[k] += time_in[k]);
                r.1 = State::ALL.into_iter().max_by_key(|st| r.5[*st as usize]).unwrap();
            }
            _ => {
                open.insert(s.goroutine, (run.unwrap_or(u64::MAX), segs.len()));
                segs.push((s.goroutine, s.state, s.start_ns, s.end_ns, 1, time_in));
            }
        }
    }
    let mut msgs: Vec<(GoId, GoId, u64, u32)> = Vec::new();
    let mut arrows: FxHashMap<(GoId, GoId, u64), usize> = FxHashMap::default();
    for (i, x) in in_window_messages(&m.messages, window).iter().enumerate() {
        let key = (x.from, x.to, grid.map_or(i as u64, |c| c.of(window, x.send_ns)));
        match arrows.get(&key) {
            Some(&at) => msgs[at].3 += 1,
            None => {
                arrows.insert(key, msgs.len());
                msgs.push((x.from, x.to, x.send_ns, 1));
            }
        }
    }
    (segs.into_iter().map(|(g, st, a, b, n, _)| (g, st, a, b, n)).collect(), msgs)
}

fn as_drawn(d: &Drawing) -> Plain {
    (
        d.segments.iter().map(|s| (s.item.goroutine, s.item.state, s.item.start_ns, s.item.end_ns, s.n)).collect(),
        d.messages.iter().map(|a| (a.item.from, a.item.to, a.item.send_ns, a.n)).collect(),
    )
}

/// The grid of `cell_ns`, and the one just finer.
fn grid_and_finer(cell_ns: Option<u64>) -> (Option<Grid>, Option<Option<Grid>>) {
    match cell_ns {
        None => (None, None),
        Some(1) => (Some(Grid { shift: 0 }), Some(None)),
        Some(len) => (Some(Grid { shift: len.trailing_zeros() }), Some(Some(Grid { shift: len.trailing_zeros() - 1 }))),
    }
}
/// A trace-like model from a seed: goroutines switching state after runs of mostly short
/// and sometimes long segments, messages between random pairs at uneven times.
fn random_model(seed: u64) -> Model {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    let goroutines = 2 + next(6);
    let mut clock = vec![0u64; goroutines as usize];
    let mut segments = Vec::new();
    for _ in 0..(200 + next(2000)) {
        let g = next(goroutines);
        let width = if next(10) == 0 { 20 } else { 1 + next(12) };
        let len = 1 + next(1 << width);
        let start = clock[g as usize];
        clock[g as usize] += len;
        segments.push(seg(g + 1, State::ALL[next(State::COUNT as u64) as usize], start, start + len));
    }
    segments.sort_by_key(|s| s.end_ns);
    let mut sent = 0;
    let messages: Vec<Message> = (0..(100 + next(3000)))
        .map(|_| {
            let width = 1 + next(14);
            sent += next(1 << width);
            msg(1 + next(goroutines), 1 + next(goroutines), sent)
        })
        .collect();
    let duration_ns = clock.iter().copied().chain([sent]).max().unwrap_or(0);
    let mut m = model(segments, messages, duration_ns);
    m.goroutines = (1..=goroutines).map(|id| Goroutine { id, ..m.goroutines[0].clone() }).collect();
    m
}

#[test]
fn merging_as_items_come_draws_what_the_finest_fitting_grid_draws() {
    for seed in 0..60 {
        let m = random_model(seed);
        let whole = Window::whole(&m);
        let windows = [whole, Window { start_ns: whole.end_ns / 3, end_ns: whole.end_ns / 2 + 1 }];
        for (window, budget) in windows.into_iter().flat_map(|w| [1, 7, 50, 300, 5000].map(|b| (w, b))) {
            let d = picture(&m, window, Budget { segments: budget, messages: budget });
            let (segs, msgs) = as_drawn(&d);
            let (seg_grid, seg_finer) = grid_and_finer(d.lod.segments.cell_ns);
            let (msg_grid, msg_finer) = grid_and_finer(d.lod.messages.cell_ns);
            let at = format!("seed {seed}, {window:?}, budget {budget}");
            assert_eq!(segs, drawn_directly(&m, window, seg_grid).0, "{at}");
            assert_eq!(msgs, drawn_directly(&m, window, msg_grid).1, "{at}");
            assert!(segs.len() <= budget || seg_grid == Some(Grid { shift: MAX_SHIFT }), "{at}");
            assert!(msgs.len() <= budget || msg_grid == Some(Grid { shift: MAX_SHIFT }), "{at}");
            if let Some(finer) = seg_finer {
                assert!(drawn_directly(&m, window, finer).0.len() > budget, "{at}: a finer grid fits the segments");
            }
            if let Some(finer) = msg_finer {
                assert!(drawn_directly(&m, window, finer).1.len() > budget, "{at}: a finer grid fits the messages");
            }
        }
    }
}

/// A pass over a trace makes messages as they are received, not in order of sending.
#[test]
fn messages_in_any_order_make_the_same_arrows() {
    for seed in 0..20 {
        let m = random_model(seed);
        let whole = Window::whole(&m);
        for budget in [3, 40, 10_000] {
            let mut layout = Layout::new(whole, Budget { segments: 10, messages: budget });
            for m in m.messages.iter().rev() {
                layout.messages.push(Cow::Borrowed(m));
            }
            let shuffled = layout.finish(whole, |_| true);
            let sorted = picture(&m, whole, Budget { segments: 10, messages: budget });
            // Arrows sent at the same time may come in either order.
            let arrows = |d: &Drawing| {
                let mut a: Vec<_> = d.messages.iter().map(|a| (a.item.send_ns, a.item.from, a.item.to, a.n, a.last_ns)).collect();
                a.sort_unstable();
                a
            };
            assert_eq!(arrows(&shuffled), arrows(&sorted), "seed {seed}, budget {budget}");
        }
    }
}

#[test]
fn an_arrow_keeps_the_channel_and_value_its_messages_share() {
    let on = |chan: u64, value: u64, send_ns: u64| Message {
        channel: Some(chan),
        value: Some(value),
        value_text: Some(value.to_string()),
        ..msg(1, 2, send_ns)
    };
    // Cells of 2 ns: [0, 1] on channel 7 with one value, [4, 5] on 7 with two, [8, 9] on 7 and 8.
    let msgs = vec![on(7, 1, 0), on(7, 1, 1), on(7, 1, 4), on(7, 2, 5), on(7, 3, 8), on(8, 3, 9)];
    let m = model(vec![], msgs, 12);
    let p = picture(&m, Window::whole(&m), Budget { segments: 10, messages: 3 });
    assert_eq!(p.lod.messages.cell_ns, Some(2));
    let arrows: Vec<_> = p.messages.iter().map(|a| (a.n, a.item.channel, a.item.value, a.item.value_text.as_deref())).collect();
    assert_eq!(arrows, [(2, Some(7), Some(1), Some("1")), (2, Some(7), None, None), (2, None, Some(3), Some("3"))]);
    assert_eq!(m.messages[3].channel, Some(7), "the model itself is untouched");
}

#[test]
fn aggregates_say_how_many_they_stand_for_in_json() {
    let msgs: Vec<Message> = (0..10).map(|i| msg(1, 2, i)).collect();
    let m = model(vec![], msgs, 10);
    let drawing = draw(&m, Window::whole(&m), Budget { segments: 10, messages: 1 });
    let json = serde_json::to_value(Picture { context: &m, stacks: &m.stacks, drawing: &drawing }).unwrap();
    assert_eq!(json["messages"][0]["n"], 10);
    assert_eq!(json["messages"][0]["last_ns"], 9);
    assert_eq!(json["messages"][0]["from"], 1);
    assert_eq!(json["lod"]["messages"]["total"], 10);
}
