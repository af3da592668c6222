//! `POST /access/v1/search/subject`, `/search/resource` and `/search/action`: the
//! core's three searches, paginated by an opaque token.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{Map, Value, json};

use super::{USER, attributes, body, identifier, ignored_text, object, properties, refused, text};
use crate::authz::{PageRequest, RequestAttributes, ResourceKey, SearchRequest};
use crate::error::ErrorReport;
use crate::ident::IdentifierKind;

/// Which search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchKind {
    /// The users who may do `action` on `resource` (`subject.type` says which
    /// kind of subject is searched; its `id` is ignored).
    Subject,
    /// The resources of `resource.type` that `subject` may do `action` on
    /// (`resource.id` is ignored).
    Resource,
    /// The actions `subject` may do on `resource` (`action` is ignored).
    Action,
}

/// A search request, read: the core's search, or none when nothing can be found
/// (a subject that is no user).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search {
    kind: SearchKind,
    request: Option<SearchRequest>,
}

/// Reads a search request of `kind`.
pub fn search(kind: SearchKind, json: &str) -> Result<Search, ErrorReport> {
    let request = body(json)?;
    let context = attributes(request.get("context"), "context")?;
    let page = page(&request)?;
    let entity = |field: &str| object(request.get(field), field);
    let read = match kind {
        SearchKind::Subject => {
            let (subject, action, resource) = (entity("subject")?, entity("action")?, entity("resource")?);
            let searched = text(subject, "subject", "type")?;
            ignored_text(subject, "subject", "id")?;
            // Read to refuse a malformed one; a subject search filters by type only.
            properties(subject, "subject")?;
            let (action, resource, attributes) = (
                identifier(action, "action", "name", IdentifierKind::Action)?,
                key(resource)?,
                RequestAttributes {
                    resource: properties(resource, "resource")?,
                    action: properties(action, "action")?,
                    context,
                    ..RequestAttributes::NONE
                },
            );
            (searched == USER).then(|| SearchRequest::Subjects {
                action: action.into(),
                resource: key_of(resource),
                attributes,
                page,
            })
        }
        SearchKind::Resource => {
            let (subject, action, resource) = (entity("subject")?, entity("action")?, entity("resource")?);
            let (user, name) =
                (user(subject)?, identifier(action, "action", "name", IdentifierKind::Action)?);
            let kind = identifier(resource, "resource", "type", IdentifierKind::ResourceType)?;
            ignored_text(resource, "resource", "id")?;
            // Read to refuse a malformed one; the resources searched bring their own.
            properties(resource, "resource")?;
            let attributes = RequestAttributes {
                subject: properties(subject, "subject")?,
                action: properties(action, "action")?,
                context,
                ..RequestAttributes::NONE
            };
            user.map(|user| SearchRequest::Resources {
                subject: user.into(),
                action: name.into(),
                kind: kind.into(),
                attributes,
                page,
            })
        }
        SearchKind::Action => {
            let (subject, resource) = (entity("subject")?, entity("resource")?);
            let (user, resource_key) = (user(subject)?, key(resource)?);
            let attributes = RequestAttributes {
                subject: properties(subject, "subject")?,
                resource: properties(resource, "resource")?,
                context,
                ..RequestAttributes::NONE
            };
            user.map(|user| SearchRequest::Actions {
                subject: user.into(),
                resource: key_of(resource_key),
                attributes,
                page,
            })
        }
    };
    Ok(Search { kind, request: read })
}

/// The user a subject names, or `None` for a subject of another type.
fn user(subject: &Map<String, Value>) -> Result<Option<&str>, ErrorReport> {
    let (kind, id) =
        (text(subject, "subject", "type")?, identifier(subject, "subject", "id", IdentifierKind::User)?);
    Ok((kind == USER).then_some(id))
}

/// A resource's type and id.
fn key(resource: &Map<String, Value>) -> Result<(&str, &str), ErrorReport> {
    Ok((
        identifier(resource, "resource", "type", IdentifierKind::ResourceType)?,
        identifier(resource, "resource", "id", IdentifierKind::ResourceId)?,
    ))
}

fn key_of((kind, id): (&str, &str)) -> ResourceKey {
    ResourceKey { kind: kind.into(), id: id.into() }
}

/// The page asked for: `page.token` (one this PDP issued) and `page.limit` (0 or
/// absent: the default size).
fn page(request: &Map<String, Value>) -> Result<PageRequest, ErrorReport> {
    let page = match request.get("page") {
        None | Some(Value::Null) => return Ok(PageRequest::default()),
        Some(Value::Object(page)) => page,
        Some(_) => return Err(refused("`page` must be an object")),
    };
    let after = match page.get("token") {
        None | Some(Value::Null) => None,
        Some(Value::String(token)) if token.is_empty() => None,
        Some(Value::String(token)) => Some(
            Base64UrlUnpadded::decode_vec(token)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| refused("`page.token` is not a token this PDP issued"))?,
        ),
        Some(_) => return Err(refused("`page.token` must be a string")),
    };
    let limit = match page.get("limit") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => {
            let integral = super::whole(n);
            match integral.map(u32::try_from) {
                Some(Ok(0)) => None,
                Some(Ok(limit)) => Some(limit),
                _ => return Err(refused(format!("`page.limit` must be an integer from 0 to {}", u32::MAX))),
            }
        }
        Some(_) => return Err(refused(format!("`page.limit` must be an integer from 0 to {}", u32::MAX))),
    };
    Ok(PageRequest { after, limit })
}

impl Search {
    /// The core's search this asks for; `None` when nothing can be found.
    pub fn request(&self) -> Option<&SearchRequest> {
        self.request.as_ref()
    }

    /// The AuthZEN answer, running the core's search with `run` (which returns the
    /// page as the core serializes it: `{items, next?}`): `results` (users and
    /// resources as `{type, id}`, actions as `{name}`) and `page.next_token`, empty
    /// on the last page.
    pub fn answer(
        &self,
        run: impl FnOnce(&SearchRequest) -> Result<Value, ErrorReport>,
    ) -> Result<Value, ErrorReport> {
        let Some(request) = &self.request else {
            return Ok(json!({ "page": { "next_token": "" }, "results": [] }));
        };
        let found = run(request)?;
        let items = found.get("items").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let results: Vec<Value> = items
            .iter()
            .filter_map(Value::as_str)
            .map(|item| match (self.kind, request) {
                (SearchKind::Subject, _) => json!({ "type": USER, "id": item }),
                (SearchKind::Resource, SearchRequest::Resources { kind, .. }) => {
                    json!({ "type": kind, "id": item })
                }
                _ => json!({ "name": item }),
            })
            .collect();
        let next = found
            .get("next")
            .and_then(Value::as_str)
            .map(|after| Base64UrlUnpadded::encode_string(after.as_bytes()));
        Ok(json!({ "page": { "next_token": next.unwrap_or_default() }, "results": results }))
    }
}
