//! Stored attributes of many owners (resources, users) in one flat table.
//!
//! Names are interned once per table; each owner's attributes are one contiguous
//! run of `(name index, value)` ordered by name. A rule reading `resource.owner`
//! finds the name's index in a short sorted list that stays in cache, then scans
//! one run: one place in memory per owner, instead of a map per owner whose names
//! each live on the heap (two or three cache misses per candidate in a search).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ops::Range;

use crate::policy::{AttributeMap, AttributeValue};

pub(super) struct AttributeTable {
    /// Every name any owner has, sorted.
    names: Vec<Box<str>>,
    entries: Vec<(u32, AttributeValue)>,
    /// Per owner, its run of `entries`.
    runs: Vec<Range<u32>>,
}

impl AttributeTable {
    /// The attributes of each owner, in owner order. (A slice, not an iterator: one
    /// copy of this code serves every kind of owner.)
    pub(super) fn build(maps: &[&AttributeMap]) -> Self {
        let mut names: Vec<&str> =
            maps.iter().flat_map(|map| map.entries().iter().map(|(name, _)| name.as_str())).collect();
        names.sort_unstable();
        names.dedup();
        let names: Vec<Box<str>> = names.into_iter().map(Box::from).collect();
        let mut entries = Vec::new();
        let runs = maps
            .iter()
            .map(|map| {
                let start = entries.len() as u32;
                // A map is sorted by name, so its run is ordered by name index.
                // Every name is in `names`, which was made from these maps.
                entries.extend(map.entries().iter().filter_map(|(name, value)| {
                    let id = names.binary_search_by(|n| (**n).cmp(name.as_str())).ok()?;
                    Some((id as u32, value.clone()))
                }));
                start..entries.len() as u32
            })
            .collect();
        Self { names, entries, runs }
    }

    /// The attribute `name` of `owner`, if it has one.
    pub(super) fn get(&self, owner: u32, name: &str) -> Option<&AttributeValue> {
        let id = self.names.binary_search_by(|n| (**n).cmp(name)).ok()? as u32;
        let run = self.runs.get(owner as usize)?;
        let entries = self.entries.get(run.start as usize..run.end as usize).unwrap_or_default();
        entries.iter().find(|(n, _)| *n == id).map(|(_, value)| value)
    }
}
