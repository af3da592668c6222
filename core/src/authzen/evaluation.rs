//! `POST /access/v1/evaluation` and `POST /access/v1/evaluations`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde_json::{Map, Value, json};

use super::{MAX_EVALUATIONS, USER, attributes, body, identifier, object, properties, refused, subject_id};
use crate::authz::{CheckRequest, Decision, RequestAttributes, ResourceKey};
use crate::error::ErrorReport;
use crate::ident::IdentifierKind;
use crate::policy::AttributeMap;

/// What one evaluation asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A check on a user.
    Check(CheckRequest),
    /// A subject of another type: no user, so denied (`unknown_user`) without a
    /// check.
    NotAUser,
}

/// Reads an evaluation request (`{subject, action, resource, context?}`).
pub fn evaluation(text: &str) -> Result<Target, ErrorReport> {
    let request = body(text)?;
    target(|field| request.get(field))
}

/// The evaluation asked for by the request whose fields `field` gives.
fn target<'v>(field: impl Fn(&str) -> Option<&'v Value>) -> Result<Target, ErrorReport> {
    let (kind, user, subject) = subject(object(field("subject"), "subject")?)?;
    let (name, action) = action(object(field("action"), "action")?)?;
    let (key, resource) = resource(object(field("resource"), "resource")?)?;
    let context = attributes(field("context"), "context")?;
    if kind != USER {
        return Ok(Target::NotAUser);
    }
    let attributes = RequestAttributes { subject, resource, action, context };
    Ok(Target::Check(CheckRequest {
        subject: user.into(),
        action: name.into(),
        resource: Some(key),
        attributes,
    }))
}

/// A subject's type, id and properties.
fn subject(subject: &Map<String, Value>) -> Result<(&str, &str, AttributeMap), ErrorReport> {
    let (kind, id) = subject_id(subject)?;
    Ok((kind, id, properties(subject, "subject")?))
}

/// An action's name and properties.
fn action(action: &Map<String, Value>) -> Result<(&str, AttributeMap), ErrorReport> {
    Ok((identifier(action, "action", "name", IdentifierKind::Action)?, properties(action, "action")?))
}

/// A resource's key and properties.
fn resource(resource: &Map<String, Value>) -> Result<(ResourceKey, AttributeMap), ErrorReport> {
    let key = ResourceKey {
        kind: identifier(resource, "resource", "type", IdentifierKind::ResourceType)?.into(),
        id: identifier(resource, "resource", "id", IdentifierKind::ResourceId)?.into(),
    };
    Ok((key, properties(resource, "resource")?))
}

/// Refuses a top-level default no evaluation could use: a batch's defaults are the
/// batch's, checked as a single evaluation's fields are.
fn check_defaults(request: &Map<String, Value>) -> Result<(), ErrorReport> {
    let present = |field: &str| request.get(field).is_some_and(|v| !v.is_null());
    if present("subject") {
        subject(object(request.get("subject"), "subject")?)?;
    }
    if present("action") {
        action(object(request.get("action"), "action")?)?;
    }
    if present("resource") {
        resource(object(request.get("resource"), "resource")?)?;
    }
    attributes(request.get("context"), "context").map(|_| ())
}

impl Target {
    /// The AuthZEN answer, deciding a check with `decide` (which returns the
    /// decision as the core serializes it: `{allowed, reason, ...}`).
    pub fn answer(
        &self,
        decide: impl FnOnce(&CheckRequest) -> Result<Value, ErrorReport>,
    ) -> Result<Value, ErrorReport> {
        let decision = match self {
            Self::Check(check) => decide(check)?,
            Self::NotAUser => json!(Decision::UnknownUser),
        };
        Ok(answer(decision))
    }
}

/// The AuthZEN answer to a decision: `decision`, and what decided it (`reason`,
/// `role`, `pattern`, `on`, `rule`) as its `context`.
fn answer(decision: Value) -> Value {
    let Value::Object(mut fields) = decision else { return json!({ "decision": false }) };
    let allowed = fields.remove("allowed") == Some(Value::Bool(true));
    json!({ "decision": allowed, "context": fields })
}

/// How a batch runs (`options.evaluations_semantic`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Semantic {
    /// Every evaluation, each answered (the default).
    #[default]
    ExecuteAll,
    /// Up to and including the first denial (or failure).
    DenyOnFirstDeny,
    /// Up to and including the first permission.
    PermitOnFirstPermit,
}

impl Semantic {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "execute_all" => Some(Self::ExecuteAll),
            "deny_on_first_deny" => Some(Self::DenyOnFirstDeny),
            "permit_on_first_permit" => Some(Self::PermitOnFirstPermit),
            _ => None,
        }
    }

    /// Whether the batch ends after an answer with this decision.
    fn stops_at(self, decision: bool) -> bool {
        match self {
            Self::ExecuteAll => false,
            Self::DenyOnFirstDeny => !decision,
            Self::PermitOnFirstPermit => decision,
        }
    }
}

/// Why one evaluation of a batch has no decision: answered `false`, with the error
/// under `context.error` (`status`, `code`, `message`), the batch going on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemFailure(pub ErrorReport);

impl ItemFailure {
    /// The HTTP status the failure would have had alone: 400 for what the request
    /// got wrong, 500 for the rest.
    pub fn status(&self) -> u16 {
        if crate::error::refusal(self.0.code).is_some() { 400 } else { 500 }
    }

    fn answer(&self) -> Value {
        let error = json!({ "status": self.status(), "code": self.0.code, "message": self.0.message });
        json!({ "decision": false, "context": { "error": error } })
    }
}

/// A batch request (`POST /access/v1/evaluations`), read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evaluations {
    /// Without `evaluations` (or with none): one evaluation, answered as
    /// `/access/v1/evaluation` answers.
    Single(Target),
    /// The evaluations with the top-level defaults merged in, each read or refused
    /// on its own.
    Batch {
        /// Each evaluation, in order.
        items: Vec<Result<Target, ItemFailure>>,
        /// How the batch runs.
        semantic: Semantic,
    },
}

/// The fields of a request the top level may default for each evaluation.
const DEFAULTED: [&str; 4] = ["subject", "action", "resource", "context"];

impl Evaluations {
    /// Reads a batch: `subject`, `action`, `resource`, `context` at the top level
    /// default each evaluation's (an evaluation's own field replaces the default
    /// whole: no merging inside it); `options.evaluations_semantic` says how it
    /// runs. A defect of the batch as a whole is refused; a defect of one
    /// evaluation is that evaluation's failure.
    pub fn from_json(text: &str) -> Result<Self, ErrorReport> {
        let request = body(text)?;
        let semantic = match request.get("options") {
            None | Some(Value::Null) => Semantic::default(),
            Some(Value::Object(options)) => match options.get("evaluations_semantic") {
                None | Some(Value::Null) => Semantic::default(),
                Some(Value::String(name)) => Semantic::from_name(name).ok_or_else(|| {
                    refused(format!(
                        "`options.evaluations_semantic` is `{name}`; it must be `execute_all`, `deny_on_first_deny` or `permit_on_first_permit`"
                    ))
                })?,
                Some(_) => return Err(refused("`options.evaluations_semantic` must be a string")),
            },
            Some(_) => return Err(refused("`options` must be an object")),
        };
        let evaluations = match request.get("evaluations") {
            None | Some(Value::Null) => return Ok(Self::Single(target(|field| request.get(field))?)),
            Some(Value::Array(items)) if items.is_empty() => {
                return Ok(Self::Single(target(|field| request.get(field))?));
            }
            Some(Value::Array(items)) if items.len() > MAX_EVALUATIONS => {
                return Err(refused(format!(
                    "`evaluations` holds {} evaluations; a batch holds at most {MAX_EVALUATIONS}",
                    items.len()
                )));
            }
            Some(Value::Array(items)) => items,
            Some(_) => return Err(refused("`evaluations` must be an array")),
        };
        check_defaults(&request)?;
        let items = evaluations
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let Value::Object(own) = item else {
                    return Err(ItemFailure(refused(format!("`evaluations[{i}]` must be an object"))));
                };
                // An evaluation's own field replaces the default whole (null: not given).
                let field = |name: &str| {
                    let default = || DEFAULTED.contains(&name).then(|| request.get(name)).flatten();
                    own.get(name).filter(|v| !v.is_null()).or_else(default)
                };
                target(field).map_err(|error| {
                    ItemFailure(ErrorReport {
                        message: format!("`evaluations[{i}]`: {}", error.message),
                        ..error
                    })
                })
            })
            .collect();
        Ok(Self::Batch { items, semantic })
    }

    /// The AuthZEN answer, deciding each check with `decide` (as
    /// [`Target::answer`]). A single evaluation's failure is the request's; in a
    /// batch it is that evaluation's answer.
    pub fn answer(
        &self,
        mut decide: impl FnMut(&CheckRequest) -> Result<Value, ErrorReport>,
    ) -> Result<Value, ErrorReport> {
        let (items, semantic) = match self {
            Self::Single(target) => return target.answer(decide),
            Self::Batch { items, semantic } => (items, *semantic),
        };
        let mut answers = Vec::with_capacity(items.len());
        for item in items {
            let answer = item
                .as_ref()
                .map_err(ItemFailure::clone)
                .and_then(|target| target.answer(&mut decide).map_err(ItemFailure))
                .unwrap_or_else(|failure| failure.answer());
            let decision = answer["decision"] == true;
            answers.push(answer);
            if semantic.stops_at(decision) {
                break;
            }
        }
        Ok(json!({ "evaluations": answers }))
    }
}
