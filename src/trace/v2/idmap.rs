//! A map from the runtime's numeric ids to values that is a plain `Vec` index for the usual
//! small, dense ids (goroutines, procs, string and stack ids of one generation) and falls back
//! to hashing for ids far apart, so that one absurd id in a corrupt trace can never make the
//! reader allocate a huge vector.

use std::collections::HashMap;

#[derive(Debug)]
pub struct IdMap<V> {
    dense: Vec<Option<V>>,
    /// Entries stored in `dense`; bounds how far `dense` may grow.
    dense_count: usize,
    sparse: HashMap<u64, V>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap { dense: Vec::new(), dense_count: 0, sparse: HashMap::new() }
    }
}

/// Ids below this always go to the vector.
const DENSE_SLACK: usize = 1024;

impl<V> IdMap<V> {
    #[inline]
    pub fn get(&self, id: u64) -> Option<&V> {
        match self.dense.get(id as usize) {
            Some(slot) => slot.as_ref(),
            None if self.sparse.is_empty() => None,
            None => self.sparse.get(&id),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, id: u64) -> Option<&mut V> {
        if (id as usize) < self.dense.len() {
            return self.dense[id as usize].as_mut();
        }
        if self.sparse.is_empty() {
            return None;
        }
        self.sparse.get_mut(&id)
    }

    /// Inserts or replaces.
    pub fn insert(&mut self, id: u64, value: V) {
        let i = id as usize;
        if i < self.dense.len() {
            if self.dense[i].is_none() {
                self.dense_count += 1;
            }
            self.dense[i] = Some(value);
            return;
        }
        // The vector may grow to about twice the entries it holds: linear in the input.
        let bound = 2 * self.dense_count + DENSE_SLACK;
        if i < bound {
            // Geometric growth keeps sequential ids amortized O(1) and makes the moves out of
            // `sparse` in `grow` rare.
            self.grow((i + 1).max(2 * self.dense.len()).min(bound));
            if self.dense[i].is_none() {
                self.dense_count += 1;
            }
            self.dense[i] = Some(value);
        } else {
            self.sparse.insert(id, value);
        }
    }

    /// Lengthens the vector, moving the ids it now covers out of `sparse`: an id lives in
    /// `dense` exactly when it is below `dense.len()`, which is all `get` looks at. (Ids come
    /// in any order: a generation's stack table lists them as the runtime's hash map holds
    /// them, so a large id can arrive while the vector is still short.)
    fn grow(&mut self, len: usize) {
        self.dense.resize_with(len, || None);
        if self.sparse.is_empty() {
            return;
        }
        for (id, v) in self.sparse.extract_if(|&id, _| id < len as u64) {
            self.dense[id as usize] = Some(v);
            self.dense_count += 1;
        }
    }

    pub fn remove(&mut self, id: u64) {
        let i = id as usize;
        if i < self.dense.len() {
            if self.dense[i].take().is_some() {
                self.dense_count -= 1;
            }
        } else {
            self.sparse.remove(&id);
        }
    }

    pub fn clear(&mut self) {
        self.dense.clear();
        self.dense_count = 0;
        self.sparse.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_ids_do_not_grow_the_vector() {
        let mut m = IdMap::default();
        m.insert(3, 'a');
        m.insert(u64::MAX, 'b');
        m.insert(1 << 40, 'c');
        assert!(m.dense.len() <= DENSE_SLACK);
        assert_eq!((m.get(3), m.get(u64::MAX), m.get(1 << 40), m.get(4)), (Some(&'a'), Some(&'b'), Some(&'c'), None));
        m.remove(u64::MAX);
        m.remove(3);
        assert_eq!((m.get(3), m.get(u64::MAX)), (None, None));
        *m.get_mut(1 << 40).unwrap() = 'd';
        assert_eq!(m.get(1 << 40), Some(&'d'));
    }

    #[test]
    fn an_id_kept_aside_is_found_after_the_vector_grows_past_it() {
        let mut m = IdMap::default();
        let far = DENSE_SLACK as u64 + 100;
        m.insert(far, "far");
        for id in 1..far + 10 {
            if id != far {
                m.insert(id, "near");
            }
        }
        assert!(m.dense.len() > far as usize, "the vector grew past the far id");
        assert_eq!((m.get(far), m.get(far - 1), m.get(far + 10)), (Some(&"far"), Some(&"near"), None));
        m.remove(far);
        assert_eq!(m.get(far), None);
    }
}
