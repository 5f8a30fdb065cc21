//! The message layer: the messages between a pair of goroutines merged into arrows.

use std::borrow::Cow;
use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;

use super::drawing::reduction;
use super::grid::{bits, overflows, Apart, Grid};
use super::{Counted, Reduction, Window};
use crate::model::Message;
use crate::trace::GoId;

/// Messages: the messages from one goroutine to another within one cell become one arrow.
pub(super) struct MessageLayer {
    window: Window,
    budget: usize,
    grid: Option<Grid>,
    drawn: Vec<Arrow>,
    /// What was drawn before the last coarsening: an empty buffer for the next one.
    spare: Vec<Arrow>,
    /// The arrow of each (sender, receiver, cell), when on a grid.
    arrows: FxHashMap<(GoId, GoId, u64), usize>,
}

/// Messages drawn as one: the first sent, standing for all of them.
struct Arrow {
    first: Message,
    n: u32,
    last_ns: u64,
}

impl Arrow {
    fn of(m: Message) -> Arrow {
        Arrow { last_ns: m.send_ns, first: m, n: 1 }
    }

    /// Takes in `n` messages whose first is `m` (its channel and value those they share) and
    /// the last of which was sent at `last_ns`. They may come in any order: messages are made
    /// when received, not when sent.
    fn absorb(&mut self, m: &Message, n: u32, last_ns: u64) {
        let channel = if self.first.channel == m.channel { m.channel } else { None };
        let same_value = self.first.value == m.value && self.first.value_text == m.value_text;
        if (m.send_ns, m.recv_ns) < (self.first.send_ns, self.first.recv_ns) {
            self.first = m.clone();
        }
        // An arrow names a channel or a value only when every message in it has that one:
        // the viewer colours, filters and labels arrows by them.
        self.first.channel = channel;
        if !same_value {
            self.first.value = None;
            self.first.value_text = None;
        }
        self.n += n;
        self.last_ns = self.last_ns.max(last_ns);
    }
}

/// Where an item goes on a grid.
enum Place {
    /// A new arrow.
    New,
    /// Into the arrow at this index of what is drawn.
    Join(usize),
}

impl MessageLayer {
    pub(super) fn new(window: Window, budget: usize) -> Self {
        MessageLayer { window, budget, grid: None, drawn: Vec::new(), spare: Vec::new(), arrows: FxHashMap::default() }
    }

    pub(super) fn push(&mut self, m: Cow<'_, Message>) {
        if m.send_ns < self.window.start_ns || m.send_ns >= self.window.end_ns {
            return;
        }
        match self.place(&m) {
            Place::New => self.drawn.push(Arrow::of(m.into_owned())),
            Place::Join(at) => self.drawn[at].absorb(&m, 1, m.send_ns),
        }
        while overflows(self.drawn.len(), self.budget, self.grid) {
            self.coarsen();
        }
    }

    fn place(&mut self, m: &Message) -> Place {
        let Some(grid) = self.grid else { return Place::New };
        let next = self.drawn.len();
        match self.arrows.entry((m.from, m.to, grid.of(self.window, m.send_ns))) {
            Entry::Occupied(at) => Place::Join(*at.get()),
            Entry::Vacant(slot) => {
                slot.insert(next);
                Place::New
            }
        }
    }

    fn coarsen(&mut self) {
        self.grid = Some(Grid { shift: self.finest_fitting() });
        self.arrows.clear();
        let mut before = std::mem::replace(&mut self.drawn, std::mem::take(&mut self.spare));
        for arrow in before.drain(..) {
            match self.place(&arrow.first) {
                Place::New => self.drawn.push(arrow),
                Place::Join(at) => self.drawn[at].absorb(&arrow.first, arrow.n, arrow.last_ns),
            }
        }
        self.spare = before;
    }

    /// The finest grid coarser than the current one on which the arrows fit the budget, in
    /// one counting pass: ordered by pair and send time, an arrow stands apart on the grid of
    /// cells 2^u ns when it is its pair's first or its send time differs from the one before
    /// in a bit at u or above.
    fn finest_fitting(&self) -> u32 {
        let mut sent: Vec<(GoId, GoId, u64)> =
            self.drawn.iter().map(|a| (a.first.from, a.first.to, a.first.send_ns - self.window.start_ns)).collect();
        sent.sort_unstable();
        let mut apart = Apart::default();
        for (i, &(from, to, ns)) in sent.iter().enumerate() {
            apart.add(match i.checked_sub(1).map(|j| sent[j]) {
                Some((f, t, before)) if (f, t) == (from, to) => bits(before ^ ns),
                _ => u64::BITS,
            });
        }
        apart.finest_fitting(self.grid, self.budget)
    }

    /// The arrows between shown goroutines, by send time.
    pub(super) fn finish(self, shows: &impl Fn(GoId) -> bool) -> (Vec<Counted<Message>>, Reduction) {
        let mut drawn: Vec<Counted<Message>> = self
            .drawn
            .into_iter()
            .filter(|a| shows(a.first.from) && shows(a.first.to))
            .map(|a| Counted { last_ns: (a.n > 1).then_some(a.last_ns), item: a.first, n: a.n })
            .collect();
        // Stable: arrows that start together stay in the order they came.
        drawn.sort_by_key(|a| (a.item.send_ns, a.item.recv_ns));
        let reduction = reduction(&drawn, self.grid);
        (drawn, reduction)
    }
}

/// The messages sent within the window: a contiguous run, since they are sorted by send time.
pub(super) fn in_window_messages(messages: &[Message], w: Window) -> &[Message] {
    let from = messages.partition_point(|m| m.send_ns < w.start_ns);
    let to = messages.partition_point(|m| m.send_ns < w.end_ns);
    &messages[from..to.max(from)]
}
