//! Strict JSON for token headers and claims: an object at the top, and no member
//! name twice at any depth (serde_json's own `Value` would keep the last silently,
//! letting two parsers of one token disagree about what it says).

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;
use core::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parses `bytes` as one JSON object without duplicate member names.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, &'static str> {
    let duplicate = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = Strict { duplicate: &duplicate }
        .deserialize(&mut deserializer)
        .map_err(|_| if duplicate.get() { "duplicate member name" } else { "not valid JSON" })?;
    deserializer.end().map_err(|_| "not valid JSON")?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err("not a JSON object"),
    }
}

/// A `Value` builder that notes, and fails on, a repeated member name.
#[derive(Clone, Copy)]
struct Strict<'f> {
    duplicate: &'f Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.into()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                self.duplicate.set(true);
                return Err(de::Error::custom("duplicate member name"));
            }
            let value = map.next_value_seed(self)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_object;

    #[test]
    fn duplicates_are_refused_at_any_depth() {
        assert!(parse_object(br#"{"a":1,"b":{"c":[1,{"d":2}]}}"#).is_ok());
        assert_eq!(parse_object(br#"{"a":1,"a":2}"#), Err("duplicate member name"));
        assert_eq!(parse_object(br#"{"a":{"b":1,"b":1}}"#), Err("duplicate member name"));
        assert_eq!(parse_object(br#"{"a":[{"b":1,"b":1}]}"#), Err("duplicate member name"));
    }

    #[test]
    fn only_one_object_is_accepted() {
        assert_eq!(parse_object(b"[1]"), Err("not a JSON object"));
        assert_eq!(parse_object(b"\"x\""), Err("not a JSON object"));
        assert_eq!(parse_object(br#"{"a":1}{"b":2}"#), Err("not valid JSON"));
        assert_eq!(parse_object(br#"{"a":1"#), Err("not valid JSON"));
        assert!(parse_object(b" {\"a\":1} ").is_ok());
    }
}
