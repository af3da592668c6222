//! Strict JSON for token headers and claims: an object at the top, and no member
//! name twice at any depth (a parser keeping the first or the last of two would let
//! two readers of one token disagree about what it says).
//!
//! The object is read once, into its members, in the few shapes registered names
//! take; strings without escapes are borrowed from the decoded segment. Building a
//! `serde_json::Value` tree instead cost more than the signature in the wasm build.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;
use serde_json::{Map, Value};

/// A member's value, in the shapes registered names take.
#[derive(Debug, PartialEq)]
pub(crate) enum Item<'a> {
    /// A string.
    Text(Cow<'a, str>),
    /// A number without fraction or exponent that fits an i64.
    Integer(i64),
    /// Any other number.
    Number(f64),
    /// An array of strings only (possibly empty).
    Texts(Vec<Cow<'a, str>>),
    /// An object.
    Object(Members<'a>),
    /// `true`, `false`, `null`, or an array holding anything but strings.
    Other,
}

/// The members of a JSON object, in document order.
pub(crate) type Members<'a> = Vec<(Cow<'a, str>, Item<'a>)>;

/// The value of the member `name`, if the object has one (names are distinct).
pub(crate) fn member<'m>(members: &'m Members<'_>, name: &str) -> Option<&'m Item<'m>> {
    members.iter().find(|(member, _)| member == name).map(|(_, value)| value)
}

/// Why `read_object` refused its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not JSON, or JSON that is not an object.
    NotAnObject,
    /// Valid JSON with a member name twice in one object.
    DuplicateName,
}

/// Reads `bytes` as one JSON object without duplicate member names.
pub(crate) fn read_object(bytes: &[u8]) -> Result<Members<'_>, Refusal> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    // Our visitors accept every JSON value, so the only data error is the one they
    // raise for a repeated name; everything else is syntax or an early end.
    let classify = |error: serde_json::Error| match error.classify() {
        Category::Data => Refusal::DuplicateName,
        _ => Refusal::NotAnObject,
    };
    let value = ItemSeed.deserialize(&mut deserializer).map_err(classify)?;
    deserializer.end().map_err(classify)?;
    match value {
        Item::Object(members) => Ok(members),
        _ => Err(Refusal::NotAnObject),
    }
}

/// [`read_object`] into a map, for documents read once (key sets): the text is
/// checked first, so serde_json's own map, which keeps the last of two equal
/// names, never sees one.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, &'static str> {
    read_object(bytes).map_err(|refusal| match refusal {
        Refusal::DuplicateName => DUPLICATE,
        Refusal::NotAnObject => "not a JSON object",
    })?;
    serde_json::from_slice(bytes).map_err(|_| "not a JSON object")
}

const DUPLICATE: &str = "duplicate member name";

/// Whether no name repeats: pairwise for the handful of members tokens carry, by
/// sorting beyond that, so a crafted object cannot make the check quadratic.
fn distinct<T>(items: &[T], name: impl Fn(&T) -> &str) -> bool {
    if items.len() <= 16 {
        return items
            .iter()
            .enumerate()
            .all(|(i, item)| items.get(..i).unwrap_or_default().iter().all(|seen| name(seen) != name(item)));
    }
    let mut names: Vec<&str> = items.iter().map(name).collect();
    names.sort_unstable();
    names.windows(2).all(|pair| pair.first() != pair.get(1))
}

/// One value, as an [`Item`].
struct ItemSeed;

/// A member name, borrowed when it has no escapes.
struct NameSeed;

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Item<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Item<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = Item<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Item<'de>, E> {
        Ok(Item::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Item<'de>, E> {
        Ok(Item::Text(Cow::Owned(v.into())))
    }

    fn visit_string<E>(self, v: String) -> Result<Item<'de>, E> {
        Ok(Item::Text(Cow::Owned(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Item<'de>, E> {
        Ok(Item::Integer(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Item<'de>, E> {
        Ok(i64::try_from(v).map_or(Item::Number(v as f64), Item::Integer))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Item<'de>, E> {
        Ok(Item::Number(v))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Item<'de>, E> {
        Ok(Item::Other)
    }

    fn visit_unit<E>(self) -> Result<Item<'de>, E> {
        Ok(Item::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Item<'de>, A::Error> {
        // Every element is read (and its objects checked) even once one is not a string.
        let mut texts = Some(Vec::new());
        while let Some(item) = seq.next_element_seed(ItemSeed)? {
            match (item, texts.as_mut()) {
                (Item::Text(text), Some(list)) => list.push(text),
                _ => texts = None,
            }
        }
        Ok(texts.map_or(Item::Other, Item::Texts))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item<'de>, A::Error> {
        let mut members = Vec::new();
        while let Some(name) = map.next_key_seed(NameSeed)? {
            members.push((name, map.next_value_seed(ItemSeed)?));
        }
        if !distinct(&members, |(name, _)| name) {
            return Err(de::Error::custom(DUPLICATE));
        }
        Ok(Item::Object(members))
    }
}

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.into()))
    }
}

#[cfg(test)]
mod tests {
    use alloc::borrow::Cow;
    use alloc::format;
    use alloc::string::String;
    use alloc::vec;

    use super::{Item, Refusal, parse_object, read_object};

    #[test]
    fn duplicates_are_refused_at_any_depth() {
        assert!(read_object(br#"{"a":1,"b":{"c":[1,{"d":2}]}}"#).is_ok());
        assert_eq!(read_object(br#"{"a":1,"a":2}"#), Err(Refusal::DuplicateName));
        assert_eq!(read_object(br#"{"a":{"b":1,"b":1}}"#), Err(Refusal::DuplicateName));
        assert_eq!(read_object(br#"{"a":[{"b":1,"b":1}]}"#), Err(Refusal::DuplicateName));
        assert_eq!(read_object(br#"{"a":["x",{"b":1,"b":1}]}"#), Err(Refusal::DuplicateName));
        // The same name once escaped and once not is still the same name.
        assert_eq!(read_object(br#"{"a":1,"\u0061":2}"#), Err(Refusal::DuplicateName));
    }

    #[test]
    fn duplicates_are_found_in_large_objects() {
        let many: String = (0..40).map(|i| format!("\"k{i}\":{i},")).collect();
        assert!(read_object(format!("{{{many}\"last\":0}}").as_bytes()).is_ok());
        let repeated = format!("{{{many}\"k7\":0}}");
        assert_eq!(read_object(repeated.as_bytes()), Err(Refusal::DuplicateName));
        let nested = format!("{{\"n\":{{{many}\"k39\":0}}}}");
        assert_eq!(read_object(nested.as_bytes()), Err(Refusal::DuplicateName));
    }

    #[test]
    fn key_set_documents_are_checked_before_they_become_maps() {
        let map = parse_object(br#"{"keys":[{"kid":"a"}]}"#).expect("an object");
        assert_eq!(map.get("keys").and_then(|keys| keys.as_array()).map(alloc::vec::Vec::len), Some(1));
        assert_eq!(parse_object(br#"{"keys":[{"kid":"a","kid":"b"}]}"#), Err("duplicate member name"));
        assert_eq!(parse_object(b"[]"), Err("not a JSON object"));
    }

    #[test]
    fn only_one_object_is_accepted() {
        assert_eq!(read_object(b"[1]"), Err(Refusal::NotAnObject));
        assert_eq!(read_object(b"\"x\""), Err(Refusal::NotAnObject));
        assert_eq!(read_object(b"null"), Err(Refusal::NotAnObject));
        assert_eq!(read_object(br#"{"a":1}{"b":2}"#), Err(Refusal::NotAnObject));
        assert_eq!(read_object(br#"{"a":1"#), Err(Refusal::NotAnObject));
        assert_eq!(read_object(b"{\"a\":\xff}"), Err(Refusal::NotAnObject));
        assert_eq!(read_object(b"{\"\xff\":1}"), Err(Refusal::NotAnObject));
        assert!(read_object(b" {\"a\":1} ").is_ok());
    }

    #[test]
    fn values_take_the_registered_shapes() {
        let members = read_object(
            br#"{"s":"x","e":"\u0078","i":-5,"u":18446744073709551615,"f":1.5,
                "l":["a","b"],"m":["a",1],"o":{"a":null},"t":true,"z":[]}"#,
        )
        .expect("an object");
        let text = |s: &'static str| Item::Text(Cow::Borrowed(s));
        let expected = vec![
            ("s", text("x")),
            ("e", Item::Text(Cow::Owned("x".into()))),
            ("i", Item::Integer(-5)),
            ("u", Item::Number(18_446_744_073_709_551_615.0)),
            ("f", Item::Number(1.5)),
            ("l", Item::Texts(vec![Cow::Borrowed("a"), Cow::Borrowed("b")])),
            ("m", Item::Other),
            ("o", Item::Object(vec![(Cow::Borrowed("a"), Item::Other)])),
            ("t", Item::Other),
            ("z", Item::Texts(vec![])),
        ];
        let got: vec::Vec<(&str, &Item<'_>)> = members.iter().map(|(n, v)| (&**n, v)).collect();
        let want: vec::Vec<(&str, &Item<'_>)> = expected.iter().map(|(n, v)| (*n, v)).collect();
        assert_eq!(got, want);
        // Unescaped strings are borrowed from the input.
        assert!(matches!(members.first(), Some((Cow::Borrowed("s"), Item::Text(Cow::Borrowed("x"))))));
    }
}
