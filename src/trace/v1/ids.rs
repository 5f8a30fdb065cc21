//! A map from the runtime's small integer ids (goroutines, stacks) to values, without hashing
//! in the common case: Go hands out these ids sequentially, so a vector indexed by id works.
//! Ids beyond what the input could justify go to a hash map, so a corrupt id cannot make us
//! allocate a huge vector.

use std::collections::HashMap;

pub struct IdMap<V> {
    dense: Vec<V>,
    /// Ids below this go to `dense`.
    limit: u64,
    sparse: HashMap<u64, V>,
}

impl<V: Copy + Default> IdMap<V> {
    /// `limit` bounds the dense part; callers derive it from the input size.
    pub fn new(limit: u64) -> Self {
        IdMap { dense: Vec::new(), limit, sparse: HashMap::new() }
    }

    #[inline]
    pub fn get(&self, id: u64) -> V {
        if id < self.limit {
            self.dense.get(id as usize).copied().unwrap_or_default()
        } else {
            self.sparse.get(&id).copied().unwrap_or_default()
        }
    }

    #[inline]
    pub fn set(&mut self, id: u64, v: V) {
        if id < self.limit {
            let i = id as usize;
            if i >= self.dense.len() {
                // Grow geometrically so that sequential ids cost amortized O(1).
                let want = (i + 1).max(self.dense.len() * 2).min(self.limit as usize);
                self.dense.resize(want, V::default());
            }
            self.dense[i] = v;
        } else {
            self.sparse.insert(id, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_ids_both_work() {
        let mut m: IdMap<u32> = IdMap::new(100);
        m.set(3, 7);
        m.set(1 << 40, 9);
        assert_eq!((m.get(3), m.get(1 << 40), m.get(4), m.get(99), m.get(5000)), (7, 9, 0, 0, 0));
        assert!(m.dense.len() <= 100);
    }
}
