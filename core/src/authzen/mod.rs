//! AuthZEN 1.0 (the OpenID Authorization API) in Tessera's terms: its requests read
//! into the core's checks and searches, its answers written from the core's
//! decisions and pages. A face that speaks AuthZEN (today the server's `/access/v1`
//! routes) translates through here, so none reads a request or builds an answer of
//! its own; [`respond`] answers a request end to end from a face's [`Engine`].
//!
//! The mapping: `subject.id` is the user (subjects of any `type` but `user` are no
//! user: denied, found nowhere), `subject.properties` the subject's attributes,
//! `action.name` the action, `resource.type`/`resource.id` the resource,
//! `resource.properties` and `action.properties` their attributes, `context` the
//! context; rules read them as `subject.x`, `resource.x`, `action.x`, `context.x`.
//!
//! As the specification asks, fields this PDP does not know are ignored. A property
//! whose value has no attribute type (an object, null, a fraction, a list of
//! anything but strings) is left out: no rule can compare it, so it reads as
//! missing, which is what a comparison of mistyped operands gives anyway.
//! Everything else that is wrong is refused, naming the field.

mod evaluation;
mod respond;
mod search;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Map, Value, json};

use crate::error::ErrorReport;
use crate::ident::IdentifierKind;
use crate::policy::{AttributeMap, AttributeValue};

pub use evaluation::{Evaluations, ItemFailure, Semantic, Target, evaluation};
pub use respond::{Endpoint, Engine, Failure, Request, respond};
pub use search::{Search, SearchKind, search};

/// The subject type that names a user.
pub const USER: &str = "user";

/// The most evaluations one batch may ask for: each is a decision (and, denied, an
/// audit record), so a bound keeps one request from holding an engine for long.
pub const MAX_EVALUATIONS: usize = 1_000;

/// The paths of the API below the PDP's base URL.
pub const EVALUATION_PATH: &str = "/access/v1/evaluation";
/// See [`EVALUATION_PATH`].
pub const EVALUATIONS_PATH: &str = "/access/v1/evaluations";
/// See [`EVALUATION_PATH`].
pub const SEARCH_SUBJECT_PATH: &str = "/access/v1/search/subject";
/// See [`EVALUATION_PATH`].
pub const SEARCH_RESOURCE_PATH: &str = "/access/v1/search/resource";
/// See [`EVALUATION_PATH`].
pub const SEARCH_ACTION_PATH: &str = "/access/v1/search/action";
/// The discovery document's path.
pub const CONFIGURATION_PATH: &str = "/.well-known/authzen-configuration";

/// The PDP's metadata (`GET /.well-known/authzen-configuration`) for a PDP served
/// at `base` (scheme and authority, no trailing slash): its identifier and the
/// absolute URL of every endpoint.
pub fn configuration(base: &str) -> Value {
    let at = |path: &str| format!("{base}{path}");
    json!({
        "policy_decision_point": base,
        "access_evaluation_endpoint": at(EVALUATION_PATH),
        "access_evaluations_endpoint": at(EVALUATIONS_PATH),
        "search_subject_endpoint": at(SEARCH_SUBJECT_PATH),
        "search_resource_endpoint": at(SEARCH_RESOURCE_PATH),
        "search_action_endpoint": at(SEARCH_ACTION_PATH),
    })
}

/// A refusal of the request as a whole (HTTP 400).
fn refused(message: impl Into<String>) -> ErrorReport {
    ErrorReport::invalid_argument(message)
}

/// The request body as a JSON object.
fn body(text: &str) -> Result<Map<String, Value>, ErrorReport> {
    if text.trim().is_empty() {
        return Err(refused("the request body is empty; an AuthZEN request is a JSON object"));
    }
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(refused("the request body must be a JSON object")),
        Err(e) => Err(refused(format!("the request body is not valid JSON: {e}"))),
    }
}

/// `value`, the request's field `field`, as an object.
fn object<'v>(value: Option<&'v Value>, field: &str) -> Result<&'v Map<String, Value>, ErrorReport> {
    match value {
        None | Some(Value::Null) => Err(refused(format!("`{field}` is missing"))),
        Some(Value::Object(inner)) => Ok(inner),
        Some(_) => Err(refused(format!("`{field}` must be an object"))),
    }
}

/// The string at `field` of the object `what`.
fn text<'v>(map: &'v Map<String, Value>, what: &str, field: &str) -> Result<&'v str, ErrorReport> {
    match map.get(field) {
        None | Some(Value::Null) => Err(refused(format!("`{what}.{field}` is missing"))),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(refused(format!("`{what}.{field}` must be a string"))),
    }
}

/// The string at `field` of the object `what`, an identifier of `kind`.
fn identifier<'v>(
    map: &'v Map<String, Value>,
    what: &str,
    field: &str,
    kind: IdentifierKind,
) -> Result<&'v str, ErrorReport> {
    let value = text(map, what, field)?;
    crate::ident::validate(kind, value).map_err(|e| {
        let report = ErrorReport::from(e);
        ErrorReport { message: format!("`{what}.{field}`: {}", report.message), ..report }
    })?;
    Ok(value)
}

/// A subject's type and id: a user's name when the type is `user`, any string for
/// a subject of another type (no user, so denied or found nowhere, never refused).
fn subject_id(subject: &Map<String, Value>) -> Result<(&str, &str), ErrorReport> {
    let kind = text(subject, "subject", "type")?;
    let id = if kind == USER {
        identifier(subject, "subject", "id", IdentifierKind::User)?
    } else {
        text(subject, "subject", "id")?
    };
    Ok((kind, id))
}

/// A field a request may carry and this PDP ignores (a subject search's
/// `subject.id`): a string if present.
fn ignored_text(map: &Map<String, Value>, what: &str, field: &str) -> Result<(), ErrorReport> {
    match map.get(field) {
        None | Some(Value::Null | Value::String(_)) => Ok(()),
        Some(_) => Err(refused(format!("`{what}.{field}` must be a string"))),
    }
}

/// The attributes an object of properties gives (`properties` of an entity, or the
/// `context`); `what` names it in refusals.
fn attributes(value: Option<&Value>, what: &str) -> Result<AttributeMap, ErrorReport> {
    let entries = match value {
        None | Some(Value::Null) => return Ok(AttributeMap::new()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(refused(format!("`{what}` must be an object"))),
    };
    let typed = entries.iter().filter_map(|(name, value)| Some((name.to_string(), attribute(value)?)));
    // A JSON object read by serde_json has each name once.
    AttributeMap::from_entries(typed.collect())
        .map_err(|name| refused(format!("`{what}.{name}` appears twice")))
}

/// The attribute a property's value is, if it has an attribute type.
fn attribute(value: &Value) -> Option<AttributeValue> {
    match value {
        Value::String(s) => Some(AttributeValue::Str(s.clone())),
        Value::Bool(b) => Some(AttributeValue::Bool(*b)),
        Value::Number(n) => whole(n).map(AttributeValue::Int),
        Value::Array(items) => {
            let strings: Option<Vec<String>> = items.iter().map(|v| v.as_str().map(String::from)).collect();
            strings.map(AttributeValue::Strs)
        }
        Value::Null | Value::Object(_) => None,
    }
}

/// A number that is whole (JSON does not tell 5 from 5.0), if it fits an `i64`.
fn whole(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        // Within ±2^53 every whole f64 converts exactly.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        let f = n.as_f64().filter(|f| (-EXACT..=EXACT).contains(f))?;
        let cast = f as i64;
        (cast as f64 == f).then_some(cast)
    })
}

/// An entity's properties (`subject`, `resource`): `properties` of the object.
fn properties(entity: &Map<String, Value>, what: &str) -> Result<AttributeMap, ErrorReport> {
    attributes(entity.get("properties"), &format!("{what}.properties"))
}

#[cfg(test)]
mod tests;
