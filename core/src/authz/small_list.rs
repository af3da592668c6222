//! A list that keeps its first few items on the stack: what a check gathers (the
//! roles held on a resource's ancestors, the role patterns matching a permission) is
//! a handful, and a check allocates nothing on its way.

use alloc::vec::Vec;

pub(crate) struct SmallList<T: Copy, const N: usize> {
    inline: [Option<T>; N],
    len: usize,
    spill: Vec<T>,
}

impl<T: Copy, const N: usize> SmallList<T, N> {
    pub(crate) const fn new() -> Self {
        Self { inline: [None; N], len: 0, spill: Vec::new() }
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.spill.clear();
    }

    pub(crate) fn push(&mut self, item: T) {
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(item);
                self.len += 1;
            }
            None => self.spill.push(item),
        }
    }

    /// The items in the order they were pushed.
    pub(crate) fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.inline.iter().take(self.len).flatten().copied().chain(self.spill.iter().copied())
    }
}
