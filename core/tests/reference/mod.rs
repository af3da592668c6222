//! Plain references the property tests compare Tessera's compiled forms against.

pub(crate) mod condition;
pub(crate) mod model;
