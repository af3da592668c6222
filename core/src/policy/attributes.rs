//! Attribute values and maps: what users, resources and requests carry for rule
//! conditions to read.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::condition::Value;

/// One attribute value: a string, an integer, a boolean or a list of strings.
/// Anything else (a float, a null, a map, a list holding a non-string) is refused
/// where it is read, so a value can never change its meaning on the way in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttributeValue {
    /// A string.
    Str(String),
    /// A 64-bit signed integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A list of strings.
    Strs(Vec<String>),
}

impl AttributeValue {
    /// The value as a condition reads it.
    pub fn as_value(&self) -> Value<'_> {
        match self {
            Self::Str(s) => Value::Str(s),
            Self::Int(i) => Value::Int(*i),
            Self::Bool(b) => Value::Bool(*b),
            Self::Strs(list) => Value::Strs(list),
        }
    }
}

impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Str(s) => serializer.serialize_str(s),
            Self::Int(i) => serializer.serialize_i64(*i),
            Self::Bool(b) => serializer.serialize_bool(*b),
            Self::Strs(list) => list.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;

        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = AttributeValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, an integer, a boolean or a list of strings")
            }

            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(AttributeValue::Bool(v))
            }

            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(AttributeValue::Int(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v)
                    .map(AttributeValue::Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &"an integer within 64 bits"))
            }

            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(AttributeValue::Str(v.into()))
            }

            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(AttributeValue::Str(v))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut list = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    list.push(item);
                }
                Ok(AttributeValue::Strs(list))
            }
        }

        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Attributes by name, sorted, each name once.
///
/// Read from a map; a name given twice is refused rather than one value silently
/// winning. Names are not checked here: stored attributes are checked as policy
/// (`^[A-Za-z_][A-Za-z0-9_]{0,63}$`), while a request may carry any name (one a
/// condition cannot spell is simply never read).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributeMap(Vec<(String, AttributeValue)>);

impl AttributeMap {
    /// An empty map.
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// A map from entries in any order; `Err(name)` names a name given twice.
    pub fn from_entries(mut entries: Vec<(String, AttributeValue)>) -> Result<Self, String> {
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        if let Some(pair) = entries.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(pair[0].0.clone());
        }
        Ok(Self(entries))
    }

    /// The value named `name`.
    pub fn get(&self, name: &str) -> Option<&AttributeValue> {
        self.0
            .binary_search_by(|(key, _)| key.as_str().cmp(name))
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|e| &e.1)
    }

    /// The entries, sorted by name.
    pub fn entries(&self) -> &[(String, AttributeValue)] {
        &self.0
    }

    /// Whether there are no attributes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds or replaces `name`.
    pub fn insert(&mut self, name: String, value: AttributeValue) {
        match self.0.binary_search_by(|(key, _)| key.as_str().cmp(&name)) {
            Ok(i) => {
                if let Some(entry) = self.0.get_mut(i) {
                    entry.1 = value;
                }
            }
            Err(i) => self.0.insert(i, (name, value)),
        }
    }
}

impl Serialize for AttributeMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for AttributeMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor;

        impl<'de> Visitor<'de> for MapVisitor {
            type Value = AttributeMap;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of attributes")
            }

            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(AttributeMap::new())
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = access.next_entry::<String, AttributeValue>()? {
                    entries.push(entry);
                }
                AttributeMap::from_entries(entries)
                    .map_err(|name| de::Error::custom(alloc::format!("attribute `{name}` appears twice")))
            }
        }

        deserializer.deserialize_map(MapVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_four_shapes_and_refuses_the_rest() {
        let map: AttributeMap =
            serde_json::from_str(r#"{"b": 3, "a": "x", "c": true, "d": ["p", "q"]}"#).expect("reads");
        assert_eq!(map.entries().iter().map(|e| e.0.as_str()).collect::<Vec<_>>(), ["a", "b", "c", "d"]);
        assert_eq!(map.get("b"), Some(&AttributeValue::Int(3)));
        for bad in
            [r#"{"a": 1.5}"#, r#"{"a": null}"#, r#"{"a": {"b": 1}}"#, r#"{"a": [1]}"#, r#"{"a": 1, "a": 2}"#]
        {
            assert!(serde_json::from_str::<AttributeMap>(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<AttributeMap>(r#"{"a": 18446744073709551615}"#).is_err());
    }
}
