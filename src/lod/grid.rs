//! The time grid items are merged on, and how the finest one that fits a budget is found.

use super::Window;

/// A time grid of cells 2^shift ns long from the start of a window: a power of two, so that
/// finding the cell of an item is a shift, not a division, in the passes over millions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Grid {
    pub(super) shift: u32,
}

impl Grid {
    pub(super) fn len_ns(self) -> u64 {
        1 << self.shift
    }

    pub(super) fn of(self, window: Window, ts: u64) -> u64 {
        ts.saturating_sub(window.start_ns) >> self.shift
    }
}

/// The next grid: None (every item as it is) is finer than any.
pub(super) fn coarser(grid: Option<Grid>) -> Grid {
    Grid { shift: grid.map_or(0, |c| (c.shift + 1).min(MAX_SHIFT)) }
}

/// The coarsest grid: cells of 2^63 ns hold any trace.
pub(super) const MAX_SHIFT: u32 = 63;

/// How many items stand apart from the item before them on each grid, as the highest bit
/// that tells them apart: an item whose highest such bit is `b` stands apart on every grid of
/// cells shorter than 2^b ns and is merged on the others.
pub(super) struct Apart([usize; 65]);

impl Default for Apart {
    fn default() -> Self {
        Apart([0; 65])
    }
}

impl Apart {
    pub(super) fn add(&mut self, highest: u32) {
        self.0[highest as usize] += 1;
    }

    /// The finest grid coarser than `grid` that draws at most `budget` items (the coarsest
    /// there is when none does).
    pub(super) fn finest_fitting(&self, grid: Option<Grid>, budget: usize) -> u32 {
        let drawn = |shift: u32| self.0[shift as usize + 1..].iter().sum::<usize>();
        (coarser(grid).shift..MAX_SHIFT).find(|&shift| drawn(shift) <= budget).unwrap_or(MAX_SHIFT)
    }
}

/// Whether `drawn` items on `grid` are over `budget` and a coarser grid remains.
pub(super) fn overflows(drawn: usize, budget: usize, grid: Option<Grid>) -> bool {
    drawn > budget && grid.is_none_or(|c| c.shift < MAX_SHIFT)
}

/// The number of bits of `x`: on grids of cells shorter than 2^bits(x) ns, a span `x` long
/// reaches a cell's length, and two times that differ in the bits of `x` lie in different cells.
pub(super) fn bits(x: u64) -> u32 {
    u64::BITS - x.leading_zeros()
}
