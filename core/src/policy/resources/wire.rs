//! How a [`ResourceModel`] travels inside a snapshot (format 3): interned strings and
//! tables of integers.
//!
//! `strings` holds every string once (type, action, id, user, group and rule
//! names, patterns, attribute names and values, conditions); everything else is a
//! `u32` index into it, or into `ints` for integer attribute values. Each table is
//! one flat list of `u32` records:
//!
//! - `types`: `name, n, action × n`
//! - `resources`: `type, id, n, parent × n, attributes` (parents are resource indices)
//! - `users`: `name, attributes`
//! - `groups`: `name, n, member × n, n, parent × n, n, role × n`
//! - `grants`: `resource, principal, role` (a principal below the user count is a
//!   user, the rest are groups after them)
//! - `rules`: `id, effect (0 permit, 1 forbid), n, pattern × n, n, role × n, when`
//!   (`when` is a string, or `u32::MAX` for none)
//!
//! and `attributes` is `n, (name, tag, value) × n` with tag 0 a string, 1 an
//! integer (`value` indexes `ints`), 2 a boolean (0 or 1), 3 a list (`value` is its
//! length and the strings follow). A reader walks them with every index and length
//! checked; the authoring rules run after. Runs of integers and one string table
//! make the layout one a later reader can use where it lies, with an offset table
//! per record.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::Cell;

use hashbrown::HashMap;
use serde::Serialize;

use super::{Effect, Grant, GroupDef, Principal, ResourceDef, ResourceModel, RuleDef, TypeDef, UserDef};
use crate::condition::Condition;
use crate::error::{PolicyError, SnapshotError};
use crate::policy::attributes::{AttributeMap, AttributeValue};
use crate::snapshot::reader::{self, once, required};

const NO_CONDITION: u32 = u32::MAX;

/// The model's tables, as written and as read (borrowing the strings).
#[derive(Serialize)]
pub(crate) struct ModelTables<'a> {
    strings: Vec<&'a str>,
    ints: Vec<i64>,
    types: Vec<u32>,
    resources: Vec<u32>,
    users: Vec<u32>,
    groups: Vec<u32>,
    grants: Vec<u32>,
    rules: Vec<u32>,
}

/// Builds the string table while the records are written.
struct Interner<'a> {
    strings: Vec<&'a str>,
    index: HashMap<&'a str, u32>,
    ints: Vec<i64>,
}

impl<'a> Interner<'a> {
    fn id(&mut self, text: &'a str) -> u32 {
        let next = self.strings.len() as u32;
        *self.index.entry(text).or_insert_with(|| {
            self.strings.push(text);
            next
        })
    }

    fn list(&mut self, out: &mut Vec<u32>, items: impl ExactSizeIterator<Item = &'a str>) {
        out.push(items.len() as u32);
        for item in items {
            let id = self.id(item);
            out.push(id);
        }
    }

    fn attributes(&mut self, out: &mut Vec<u32>, attributes: &'a AttributeMap) {
        out.push(attributes.entries().len() as u32);
        for (name, value) in attributes.entries() {
            let name = self.id(name);
            out.push(name);
            match value {
                AttributeValue::Str(s) => {
                    let s = self.id(s);
                    out.extend([0, s]);
                }
                AttributeValue::Int(i) => {
                    out.extend([1, self.ints.len() as u32]);
                    self.ints.push(*i);
                }
                AttributeValue::Bool(b) => out.extend([2, u32::from(*b)]),
                AttributeValue::Strs(list) => {
                    out.push(3);
                    self.list(out, list.iter().map(String::as_str));
                }
            }
        }
    }
}

impl<'a> ModelTables<'a> {
    /// Reads the tables; `rebuild` checks every index and length in them.
    pub(crate) fn read(reader: &mut reader::Reader<'a>) -> Result<Self, SnapshotError> {
        let mut strings = None;
        let mut ints = None;
        let mut tables: [Option<Vec<u32>>; 6] = Default::default();
        const TABLES: [&str; 6] =
            ["model.types", "model.resources", "model.users", "model.groups", "model.grants", "model.rules"];
        reader.fields("policy.model", true, |r, name| match name {
            "strings" => once(&mut strings, r.strs("model.strings")?, "model.strings"),
            "ints" => once(&mut ints, r.list("model.ints", |r| r.int("model.ints"))?, "model.ints"),
            _ => match TABLES.iter().position(|table| table.strip_prefix("model.") == Some(name)) {
                Some(at) => once(&mut tables[at], r.u32s(TABLES[at])?, TABLES[at]),
                None => Ok(false),
            },
        })?;
        let [types, resources, users, groups, grants, rules] =
            core::array::from_fn(|at| required(tables[at].take(), TABLES[at]));
        Ok(Self {
            strings: required(strings, "model.strings")?,
            ints: required(ints, "model.ints")?,
            types: types?,
            resources: resources?,
            users: users?,
            groups: groups?,
            grants: grants?,
            rules: rules?,
        })
    }

    pub(crate) fn new(model: &'a ResourceModel) -> Self {
        let mut strings = Interner { strings: Vec::new(), index: HashMap::new(), ints: Vec::new() };
        let mut types = Vec::new();
        for t in &model.types {
            let name = strings.id(&t.name);
            types.push(name);
            strings.list(&mut types, t.actions.iter().map(String::as_str));
        }
        let mut resources = Vec::new();
        for r in &model.resources {
            let id = strings.id(&r.id);
            resources.extend([r.kind, id, r.parents.len() as u32]);
            resources.extend_from_slice(&r.parents);
            strings.attributes(&mut resources, &r.attributes);
        }
        let mut users = Vec::new();
        for u in &model.users {
            let name = strings.id(&u.name);
            users.push(name);
            strings.attributes(&mut users, &u.attributes);
        }
        let mut groups = Vec::new();
        for g in &model.groups {
            let name = strings.id(&g.name);
            groups.push(name);
            for list in [&g.members, &g.parents, &g.roles] {
                groups.push(list.len() as u32);
                groups.extend_from_slice(list);
            }
        }
        let user_count = model.users.len() as u32;
        let mut grants = Vec::with_capacity(model.grants.len() * 3);
        for g in &model.grants {
            let principal = match g.principal {
                Principal::User(u) => u,
                Principal::Group(g) => user_count.saturating_add(g),
            };
            grants.extend([g.on, principal, g.role]);
        }
        let mut rules = Vec::new();
        for r in &model.rules {
            let id = strings.id(&r.id);
            rules.extend([id, u32::from(r.effect == Effect::Forbid)]);
            strings.list(&mut rules, r.actions.iter().map(String::as_str));
            rules.push(r.roles.len() as u32);
            rules.extend_from_slice(&r.roles);
            let when = r.when.as_ref().map_or(NO_CONDITION, |(text, _)| strings.id(text));
            rules.push(when);
        }
        Self { strings: strings.strings, ints: strings.ints, types, resources, users, groups, grants, rules }
    }
}

/// Reads one table's records, every index and length checked.
struct Reader<'r, 'a> {
    table: &'static str,
    words: &'r [u32],
    at: usize,
    strings: &'r [&'a str],
    ints: &'r [i64],
    /// Bytes of text the model may still copy out of the string table.
    budget: &'r Cell<usize>,
}

impl<'r, 'a> Reader<'r, 'a> {
    fn new(table: &'static str, words: &'r [u32], raw: &'r ModelTables<'a>, budget: &'r Cell<usize>) -> Self {
        Self { table, words, at: 0, strings: &raw.strings, ints: &raw.ints, budget }
    }

    fn done(&self) -> bool {
        self.at >= self.words.len()
    }

    fn short(&self) -> PolicyError {
        PolicyError::NotCanonical { field: self.table }
    }

    fn word(&mut self) -> Result<u32, PolicyError> {
        let word = *self.words.get(self.at).ok_or_else(|| self.short())?;
        self.at += 1;
        Ok(word)
    }

    fn words(&mut self) -> Result<Vec<u32>, PolicyError> {
        let n = self.word()? as usize;
        let end =
            self.at.checked_add(n).filter(|&end| end <= self.words.len()).ok_or_else(|| self.short())?;
        let list = self.words.get(self.at..end).ok_or_else(|| self.short())?.to_vec();
        self.at = end;
        Ok(list)
    }

    fn text(&mut self) -> Result<&'a str, PolicyError> {
        let index = self.word()?;
        self.lookup(index)
    }

    /// The string at `index`, charged to the budget.
    fn lookup(&self, index: u32) -> Result<&'a str, PolicyError> {
        let text = self.strings.get(index as usize).copied();
        let text = text.ok_or(PolicyError::IndexOutOfRange { field: "model.strings", index })?;
        // A reference copies its string: many references to a long one must not
        // turn a small snapshot into a huge model.
        let left = self
            .budget
            .get()
            .checked_sub(text.len())
            .ok_or(PolicyError::NotCanonical { field: "model.strings" })?;
        self.budget.set(left);
        Ok(text)
    }

    fn string(&mut self) -> Result<String, PolicyError> {
        self.text().map(ToString::to_string)
    }

    fn strings(&mut self) -> Result<Vec<String>, PolicyError> {
        let n = self.word()? as usize;
        // Each string takes a word: a count past the table is refused before allocating.
        if n > self.words.len().saturating_sub(self.at) {
            return Err(self.short());
        }
        (0..n).map(|_| self.string()).collect()
    }

    fn attributes(&mut self) -> Result<AttributeMap, PolicyError> {
        let n = self.word()? as usize;
        if n > self.words.len().saturating_sub(self.at) {
            return Err(self.short());
        }
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            let name = self.string()?;
            let value = match self.word()? {
                0 => AttributeValue::Str(self.string()?),
                1 => {
                    let index = self.word()?;
                    let int = self.ints.get(index as usize).copied();
                    AttributeValue::Int(
                        int.ok_or(PolicyError::IndexOutOfRange { field: "model.ints", index })?,
                    )
                }
                2 => match self.word()? {
                    0 => AttributeValue::Bool(false),
                    1 => AttributeValue::Bool(true),
                    _ => return Err(self.short()),
                },
                3 => AttributeValue::Strs(self.strings()?),
                _ => return Err(self.short()),
            };
            entries.push((name, value));
        }
        // Canonical: names ascending, each once (what `from_entries` would sort is refused).
        if entries.windows(2).any(|pair| pair[0].0 >= pair[1].0) {
            return Err(PolicyError::NotCanonical { field: "model.attributes" });
        }
        AttributeMap::from_entries(entries)
            .map_err(|_| PolicyError::NotCanonical { field: "model.attributes" })
    }
}

impl ModelTables<'_> {
    /// Rebuilds the model, checking every index and length; the authoring rules run after.
    pub(crate) fn rebuild(self) -> Result<ResourceModel, PolicyError> {
        let mut model = ResourceModel::default();
        // Every string once, and 64 bytes per reference besides: far more than a
        // model written by a signer (names are short, long texts used once).
        let tables = [&self.types, &self.resources, &self.users, &self.groups, &self.rules];
        let words: usize = tables.iter().map(|t| t.len()).sum();
        let text: usize = self.strings.iter().map(|s| s.len()).sum();
        let budget = Cell::new(text.saturating_add(words.saturating_mul(64)));

        let mut r = Reader::new("model.types", &self.types, &self, &budget);
        while !r.done() {
            model.types.push(TypeDef { name: r.string()?, actions: r.strings()? });
        }
        let mut r = Reader::new("model.resources", &self.resources, &self, &budget);
        while !r.done() {
            let kind = r.word()?;
            let id = r.string()?;
            model.resources.push(ResourceDef { kind, id, parents: r.words()?, attributes: r.attributes()? });
        }
        let mut r = Reader::new("model.users", &self.users, &self, &budget);
        while !r.done() {
            model.users.push(UserDef { name: r.string()?, attributes: r.attributes()? });
        }
        let mut r = Reader::new("model.groups", &self.groups, &self, &budget);
        while !r.done() {
            let name = r.string()?;
            let (members, parents, roles) = (r.words()?, r.words()?, r.words()?);
            model.groups.push(GroupDef { name, members, parents, roles });
        }
        if !self.grants.len().is_multiple_of(3) {
            return Err(PolicyError::NotCanonical { field: "model.grants" });
        }
        let user_count = model.users.len() as u32;
        model.grants = self
            .grants
            .chunks_exact(3)
            .map(|g| {
                let principal = match g[1].checked_sub(user_count) {
                    Some(group) => Principal::Group(group),
                    None => Principal::User(g[1]),
                };
                Grant { on: g[0], principal, role: g[2] }
            })
            .collect();
        let mut r = Reader::new("model.rules", &self.rules, &self, &budget);
        while !r.done() {
            let id = r.string()?;
            let effect = match r.word()? {
                0 => Effect::Permit,
                1 => Effect::Forbid,
                _ => return Err(PolicyError::NotCanonical { field: "model.rules" }),
            };
            let actions = r.strings()?;
            let roles = r.words()?;
            let when = match r.word()? {
                NO_CONDITION => None,
                index => {
                    let text = r.lookup(index)?;
                    let condition = Condition::parse(text)
                        .map_err(|error| PolicyError::Condition { rule: id.clone(), error })?;
                    Some((text.to_string(), condition))
                }
            };
            model.rules.push(RuleDef { id, effect, actions, roles, when });
        }
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(json: &str) -> ResourceModel {
        let text = alloc::format!(
            r#"{{"tenant": "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b", "roles": {{"r": {{}}}}, {json}}}"#
        );
        crate::PolicyDocument::from_json(&text)
            .and_then(crate::PolicyDocument::into_policy)
            .expect("valid")
            .model
    }

    fn round_trip(model: &ResourceModel) -> Result<ResourceModel, PolicyError> {
        let bytes = messagepack_serde::to_vec(&ModelTables::new(model)).expect("encodes");
        let raw = ModelTables::read(&mut reader::Reader::new(&bytes)).expect("decodes");
        raw.rebuild()
    }

    #[test]
    fn every_section_round_trips() {
        let model = model(
            r#""types": {"doc": {"actions": ["read", "edit"]}},
               "resources": {"doc:a": {"attributes": {"n": -7, "b": true, "s": "x", "l": ["p", "q"]}},
                             "doc:b": {"parents": ["doc:a"]}},
               "groups": {"g": {"members": ["u"], "roles": ["r"]}, "h": {"parents": ["g"]}},
               "users": {"u": {"attributes": {"level": 3}}},
               "grants": [{"group": "g", "role": "r", "on": "doc:a"}, {"user": "u", "role": "r", "on": "doc:b"}],
               "rules": [{"id": "one", "effect": "forbid", "actions": ["doc:*"], "roles": ["r"], "when": "resource.b"},
                         {"id": "two", "effect": "permit", "actions": ["*"]}]"#,
        );
        assert_eq!(round_trip(&model).expect("rebuilds"), model);
    }

    #[test]
    fn forged_tables_are_refused_without_panicking() {
        let base = model(r#""types": {"doc": {"actions": ["read"]}}, "resources": {"doc:a": {}}"#);
        let bytes = messagepack_serde::to_vec(&ModelTables::new(&base)).expect("encodes");
        let mut raw = ModelTables::read(&mut reader::Reader::new(&bytes)).expect("decodes");
        raw.resources.push(7);
        assert!(raw.rebuild().is_err());
        let mut raw = ModelTables::read(&mut reader::Reader::new(&bytes)).expect("decodes");
        raw.types = alloc::vec![0, u32::MAX];
        assert!(raw.rebuild().is_err());
        let mut raw = ModelTables::read(&mut reader::Reader::new(&bytes)).expect("decodes");
        raw.grants = alloc::vec![0, 0];
        assert!(raw.rebuild().is_err());
        let mut raw = ModelTables::read(&mut reader::Reader::new(&bytes)).expect("decodes");
        raw.resources = alloc::vec![0, 99, 0, 0];
        assert!(raw.rebuild().is_err());
    }

    /// A long string referenced over and over would copy it each time: refused
    /// once the copies outgrow what the snapshot could carry.
    #[test]
    fn references_cannot_multiply_a_long_string() {
        let long = "x".repeat(10_000);
        let mut users = alloc::vec::Vec::new();
        for _ in 0..1_000 {
            // name, one attribute: its name and a string value, both the long string.
            users.extend([0, 1, 0, 0, 0]);
        }
        let raw = ModelTables {
            strings: alloc::vec![&long],
            ints: alloc::vec![],
            types: alloc::vec![],
            resources: alloc::vec![],
            users,
            groups: alloc::vec![],
            grants: alloc::vec![],
            rules: alloc::vec![],
        };
        assert_eq!(raw.rebuild(), Err(PolicyError::NotCanonical { field: "model.strings" }));
    }
}
