//! Checks and searches as every face receives them, in JSON: one shape, read once
//! here, so the guest, the npm package and the server cannot drift apart.
//!
//! ```json
//! {"subject": "alice", "action": "edit", "resource": {"type": "document", "id": "42"},
//!  "attributes": {"subject": {}, "resource": {"owner": "alice"}, "action": {}, "context": {"mfa": true}}}
//! {"search": "resources", "subject": "alice", "action": "read", "type": "document",
//!  "page": {"after": "41", "limit": 50}}
//! ```

use alloc::format;
use alloc::string::{String, ToString};

use serde::{Deserialize, Serialize};

use super::{Authorizer, Found, Page, Query, RequestAttributes, ResourceRef};
use crate::error::ErrorReport;
use crate::error::QueryError;

/// The page size of a search that names none.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;

/// A resource as requests name it: `{"type", "id"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ResourceKey {
    /// The resource type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The resource id.
    pub id: String,
}

impl ResourceKey {
    /// The key as a query names it.
    pub fn as_resource(&self) -> ResourceRef<'_> {
        ResourceRef { kind: &self.kind, id: &self.id }
    }
}

/// A check: `subject` doing `action` on `resource` (tenant-wide without one, with
/// `action` the permission).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct CheckRequest {
    /// The user.
    pub subject: String,
    /// The action, or the permission of a tenant-wide check.
    pub action: String,
    /// The resource, if any.
    #[serde(default)]
    pub resource: Option<ResourceKey>,
    /// Attributes the request brings.
    #[serde(default)]
    pub attributes: RequestAttributes,
}

/// Which page a search asks for: `{"after"?, "limit"?}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct PageRequest {
    /// The last item of the previous page.
    #[serde(default)]
    pub after: Option<String>,
    /// The most items to return: at least 1, by default [`DEFAULT_PAGE_LIMIT`].
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One of the three searches; in JSON tagged by `search`, with the fields that
/// search needs and no others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchRequest {
    /// The actions `subject` may do on `resource`.
    Actions {
        /// The user.
        subject: String,
        /// The resource.
        resource: ResourceKey,
        /// Attributes the request brings.
        attributes: RequestAttributes,
        /// Which page.
        page: PageRequest,
    },
    /// The stored resources of `type` that `subject` may `action`.
    Resources {
        /// The user.
        subject: String,
        /// The action.
        action: String,
        /// The resource type.
        kind: String,
        /// Attributes the request brings.
        attributes: RequestAttributes,
        /// Which page.
        page: PageRequest,
    },
    /// The users who may `action` on `resource`.
    Subjects {
        /// The action.
        action: String,
        /// The resource.
        resource: ResourceKey,
        /// Attributes the request brings.
        attributes: RequestAttributes,
        /// Which page.
        page: PageRequest,
    },
}

fn read<'de, T: Deserialize<'de>>(what: &str, text: &'de str) -> Result<T, ErrorReport> {
    serde_json::from_str(text).map_err(|e| ErrorReport::invalid_argument(format!("{what}: {e}")))
}

impl CheckRequest {
    /// Reads a check from JSON; a wrong shape, or attributes without a resource
    /// (a tenant-wide check reads none), is `ERR_INVALID_ARGUMENT`, naming what.
    pub fn from_json(text: &str) -> Result<Self, ErrorReport> {
        let request: Self = read("check request", text)?;
        if request.resource.is_none() && request.attributes != RequestAttributes::NONE {
            return Err(ErrorReport::invalid_argument("check request: `attributes` need a `resource`"));
        }
        Ok(request)
    }

    /// The request as JSON, as [`from_json`](Self::from_json) reads it (for a face
    /// that hands it to a guest).
    pub fn to_json(&self) -> String {
        let mut request = serde_json::json!({ "subject": self.subject, "action": self.action });
        if let Some(resource) = &self.resource {
            request["resource"] = serde_json::json!({ "type": resource.kind, "id": resource.id });
            request["attributes"] = serde_json::json!(self.attributes);
        }
        request.to_string()
    }

    /// The request as a query.
    pub fn query(&self) -> Query<'_> {
        Query {
            subject: &self.subject,
            action: &self.action,
            resource: self.resource.as_ref().map(ResourceKey::as_resource),
            attributes: &self.attributes,
        }
    }
}

/// Which search a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum SearchKind {
    Actions,
    Resources,
    Subjects,
}

/// A search as read, every field optional; [`SearchRequest::from_json`] checks that
/// the kind's fields are there and no others. (Read flat rather than as a tagged
/// enum: serde's tagged enums buffer the whole input, which costs the npm module
/// several kilobytes.)
#[derive(Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
struct RawSearch {
    search: SearchKind,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    resource: Option<ResourceKey>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    attributes: RequestAttributes,
    #[serde(default)]
    page: PageRequest,
}

// A request written as arrays (`"page": [null, 5]`) would pass serde's derive as
// the same request; JSON objects only.
crate::policy::mapping_only!(ResourceKey);
crate::policy::mapping_only!(deserialize: CheckRequest, PageRequest, RawSearch);

impl SearchRequest {
    /// Reads a search from JSON; a wrong shape, a missing field or one the search
    /// does not take is `ERR_INVALID_ARGUMENT`, naming what.
    pub fn from_json(text: &str) -> Result<Self, ErrorReport> {
        let RawSearch { search, subject, action, resource, kind, attributes, page } =
            read("search request", text)?;
        if page.limit == Some(0) {
            return Err(ErrorReport::invalid_argument("search request: `page.limit` must be at least 1"));
        }
        let name = match search {
            SearchKind::Actions => "actions",
            SearchKind::Resources => "resources",
            SearchKind::Subjects => "subjects",
        };
        let missing =
            |field: &str| ErrorReport::invalid_argument(format!("search request: `{name}` needs `{field}`"));
        let extra = |field: &str| {
            ErrorReport::invalid_argument(format!("search request: `{name}` takes no `{field}`"))
        };
        match search {
            SearchKind::Actions => {
                if action.is_some() {
                    return Err(extra("action"));
                }
                if kind.is_some() {
                    return Err(extra("type"));
                }
                let subject = subject.ok_or_else(|| missing("subject"))?;
                let resource = resource.ok_or_else(|| missing("resource"))?;
                Ok(Self::Actions { subject, resource, attributes, page })
            }
            SearchKind::Resources => {
                if resource.is_some() {
                    return Err(extra("resource"));
                }
                if !attributes.resource.is_empty() {
                    return Err(extra("attributes.resource"));
                }
                let subject = subject.ok_or_else(|| missing("subject"))?;
                let action = action.ok_or_else(|| missing("action"))?;
                let kind = kind.ok_or_else(|| missing("type"))?;
                Ok(Self::Resources { subject, action, kind, attributes, page })
            }
            SearchKind::Subjects => {
                if subject.is_some() {
                    return Err(extra("subject"));
                }
                if !attributes.subject.is_empty() {
                    return Err(extra("attributes.subject"));
                }
                if kind.is_some() {
                    return Err(extra("type"));
                }
                let action = action.ok_or_else(|| missing("action"))?;
                let resource = resource.ok_or_else(|| missing("resource"))?;
                Ok(Self::Subjects { action, resource, attributes, page })
            }
        }
    }
}

impl SearchRequest {
    /// The request as JSON, as [`from_json`](Self::from_json) reads it (for a face
    /// that hands it to a guest).
    pub fn to_json(&self) -> String {
        use serde_json::json;
        let resource = |r: &ResourceKey| json!({ "type": r.kind, "id": r.id });
        let page = |p: &PageRequest| {
            let mut page = json!({});
            if let Some(after) = &p.after {
                page["after"] = json!(after);
            }
            if let Some(limit) = p.limit {
                page["limit"] = json!(limit);
            }
            page
        };
        match self {
            Self::Actions { subject, resource: r, attributes, page: p } => json!({
                "search": "actions", "subject": subject, "resource": resource(r),
                "attributes": attributes, "page": page(p),
            }),
            Self::Resources { subject, action, kind, attributes, page: p } => json!({
                "search": "resources", "subject": subject, "action": action, "type": kind,
                "attributes": attributes, "page": page(p),
            }),
            Self::Subjects { action, resource: r, attributes, page: p } => json!({
                "search": "subjects", "action": action, "resource": resource(r),
                "attributes": attributes, "page": page(p),
            }),
        }
        .to_string()
    }
}

impl PageRequest {
    fn page(&self) -> Page<'_> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE_LIMIT);
        // `from_json` refused 0.
        Page { after: self.after.as_deref(), limit: usize::try_from(limit).unwrap_or(usize::MAX) }
    }
}

impl Authorizer {
    /// Runs a search request.
    pub fn search<'a>(&'a self, request: &SearchRequest) -> Result<Found<'a>, QueryError> {
        match request {
            SearchRequest::Actions { subject, resource, attributes, page } => {
                self.actions(subject, resource.as_resource(), attributes, page.page())
            }
            SearchRequest::Resources { subject, action, kind, attributes, page } => {
                self.resources(subject, action, kind, attributes, page.page())
            }
            SearchRequest::Subjects { action, resource, attributes, page } => {
                self.subjects(action, resource.as_resource(), attributes, page.page())
            }
        }
    }
}
