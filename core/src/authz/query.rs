//! What a resource check and a search are asked with, and how searches answer.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::policy::AttributeMap;

/// A resource named in a query: its type and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceRef<'q> {
    /// The resource type (`document`).
    pub kind: &'q str,
    /// The resource id (`42`).
    pub id: &'q str,
}

/// Attributes a request brings (AuthZEN's `properties` and `context`). Stored facts
/// win: these only fill names the snapshot lacks for the subject or resource.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct RequestAttributes {
    /// Read as `subject.<name>`.
    #[serde(default)]
    pub subject: AttributeMap,
    /// Read as `resource.<name>`.
    #[serde(default)]
    pub resource: AttributeMap,
    /// Read as `action.<name>`.
    #[serde(default)]
    pub action: AttributeMap,
    /// Read as `context.<name>`.
    #[serde(default)]
    pub context: AttributeMap,
}

impl RequestAttributes {
    /// No attributes.
    pub const NONE: Self = Self {
        subject: AttributeMap::new(),
        resource: AttributeMap::new(),
        action: AttributeMap::new(),
        context: AttributeMap::new(),
    };
}

crate::policy::mapping_only!(RequestAttributes);

static NO_ATTRIBUTES: RequestAttributes = RequestAttributes::NONE;

/// A part of the request attributes.
#[derive(Clone, Copy)]
pub(crate) enum Part {
    Subject,
    Resource,
}

impl RequestAttributes {
    /// The attributes without `part`: a search over candidates decides each with its
    /// own, so the request's must not stand in for them. Copies only when there is
    /// something to drop.
    pub(crate) fn without(&self, part: Part) -> Cow<'_, Self> {
        let empty = |a: &Self| match part {
            Part::Subject => a.subject.is_empty(),
            Part::Resource => a.resource.is_empty(),
        };
        if empty(self) {
            return Cow::Borrowed(self);
        }
        let mut own = self.clone();
        match part {
            Part::Subject => own.subject = AttributeMap::new(),
            Part::Resource => own.resource = AttributeMap::new(),
        }
        Cow::Owned(own)
    }
}

/// One question: may `subject` do `action` on `resource`? Without a resource it is
/// the tenant-wide check of the permission `action`.
#[derive(Clone, Copy, Debug)]
pub struct Query<'q> {
    /// The user asking.
    pub subject: &'q str,
    /// The action (`edit`), or without a resource the permission (`posts:edit`).
    pub action: &'q str,
    /// The resource, if any.
    pub resource: Option<ResourceRef<'q>>,
    /// Attributes the request brings.
    pub attributes: &'q RequestAttributes,
}

impl<'q> Query<'q> {
    /// `subject` doing `action` on the resource `kind:id`, with no request attributes.
    pub fn on(subject: &'q str, action: &'q str, kind: &'q str, id: &'q str) -> Self {
        Self { subject, action, resource: Some(ResourceRef { kind, id }), attributes: &NO_ATTRIBUTES }
    }

    /// The same query with `attributes`.
    pub fn with(self, attributes: &'q RequestAttributes) -> Self {
        Self { attributes, ..self }
    }
}

/// Which page of a search to return: the items after `after` (the last item of the
/// previous page), at most `limit` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page<'p> {
    /// Start after this item; `None` for the first page.
    pub after: Option<&'p str>,
    /// The most items to return (0 is read as 1).
    pub limit: usize,
}

impl Page<'_> {
    /// Everything, in one page.
    pub const ALL: Page<'static> = Page { after: None, limit: usize::MAX };
}

/// One page of a search: items in ascending order, and the cursor of the next page
/// (the last item) when more follow.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Found<'a> {
    /// The items, sorted.
    pub items: Vec<&'a str>,
    /// Pass as [`Page::after`] for the next page; `None` on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<&'a str>,
}

impl<'a> Found<'a> {
    /// Collects a page from candidates in ascending order of `name` that pass `allowed`.
    pub(crate) fn collect<T>(
        candidates: impl Iterator<Item = T>,
        name: impl Fn(&T) -> &'a str,
        page: Page<'_>,
        mut allowed: impl FnMut(&T) -> bool,
    ) -> Self {
        let limit = page.limit.max(1);
        let mut found = Self::default();
        for candidate in candidates.skip_while(|c| page.after.is_some_and(|after| name(c) <= after)) {
            if !allowed(&candidate) {
                continue;
            }
            if found.items.len() == limit {
                found.next = found.items.last().copied();
                break;
            }
            found.items.push(name(&candidate));
        }
        found
    }
}
