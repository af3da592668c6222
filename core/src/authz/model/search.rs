//! The resource model's questions: a check on a resource (and its batch form),
//! and the three searches: which actions, which resources, which subjects.

use alloc::vec::Vec;

use super::Facts;
use super::evaluate::{Held, Matches, Patterns, SubjectView};
use crate::authz::query::Part;
use crate::authz::{
    Authorizer, Decision, Found, NONE, Page, Query, RequestAttributes, ResourceRef, RoleSet, Subject,
};
use crate::error::QueryError;
use crate::ident::{self, IdentifierError, IdentifierKind};

/// The longest `type:action`: both parts are at most 64 bytes.
const PERMISSION_CAP: usize = 129;

/// `kind:action` written into `buf`; `None` when it does not fit (then one of the
/// two breaks its identifier rule).
fn join<'b>(buf: &'b mut [u8; PERMISSION_CAP], kind: &str, action: &str) -> Option<&'b str> {
    let len = kind.len() + 1 + action.len();
    let out = buf.get_mut(..len)?;
    let (head, tail) = out.split_at_mut(kind.len());
    head.copy_from_slice(kind.as_bytes());
    let (colon, rest) = tail.split_first_mut()?;
    *colon = b':';
    rest.copy_from_slice(action.as_bytes());
    core::str::from_utf8(out).ok()
}

fn validate_resource(resource: ResourceRef<'_>) -> Result<(), IdentifierError> {
    ident::validate(IdentifierKind::ResourceType, resource.kind)?;
    ident::validate(IdentifierKind::ResourceId, resource.id)
}

impl Authorizer {
    /// Decides a query: may its subject do its action on its resource, given the
    /// request's attributes? Without a resource it is [`check`](Self::check) of the
    /// permission `action`.
    ///
    /// A resource that is not stored is one with no parents, no grants and the
    /// request's attributes. A type the policy does not declare is decided by the
    /// permission `type:action` as any other; an action its declared type does not
    /// offer is denied (`no_matching_grant`). Unknown users are denied, never
    /// errors; identifiers that break their rule are errors.
    pub fn evaluate<'a>(&'a self, query: &Query<'_>) -> Result<Decision<'a>, QueryError> {
        let Some(resource) = query.resource else { return self.check(query.subject, query.action) };
        self.about(query.subject)?;
        let mut buf = [0u8; PERMISSION_CAP];
        let permission = join(&mut buf, resource.kind, query.action);
        // Stored names were validated at load: only what is not found is checked.
        let declared = permission.and_then(|p| self.model.declared(p));
        if declared.is_none() {
            ident::validate(IdentifierKind::ResourceType, resource.kind)?;
            ident::validate(IdentifierKind::Action, query.action)?;
        }
        let found = self.model.resource(resource.kind, resource.id);
        if found.is_none() {
            ident::validate(IdentifierKind::ResourceId, resource.id)?;
        }
        let found_subject = self.subject(query.subject);
        if found_subject.is_none() {
            ident::validate(IdentifierKind::User, query.subject)?;
        }
        if self.blocks(query.subject) {
            return Ok(Decision::UserNotKeyBacked);
        }
        // An action a declared type does not offer is refused at authoring as a typo;
        // asked about, nothing can allow it.
        if declared.is_none() && self.model.kind(resource.kind).is_some() {
            return Ok(Decision::NoMatchingGrant);
        }
        let permission = permission.unwrap_or_default();
        let subject = self.view_of(query.subject, found_subject);
        let mut held = Held::new();
        if let Some(found) = found {
            self.model.collect_held(found, subject.principals, &mut held);
        }
        let facts = self.facts(&subject, resource, found, query.action, query.attributes);
        let mut scratch = Vec::new();
        let (rules, patterns) = self.governing(declared, permission, &mut scratch);
        Ok(self.decide_on(&subject, &held, &patterns, rules, &facts))
    }

    /// Decides many queries; the first identifier that breaks its rule fails them all.
    pub fn evaluate_many<'a>(&'a self, queries: &[Query<'_>]) -> Result<Vec<Decision<'a>>, QueryError> {
        queries.iter().map(|query| self.evaluate(query)).collect()
    }

    /// The actions of `resource`'s type that `subject` may do on it, sorted, one page.
    /// None for a type the policy does not declare.
    pub fn actions<'a>(
        &'a self,
        subject: &str,
        resource: ResourceRef<'_>,
        attributes: &RequestAttributes,
        page: Page<'_>,
    ) -> Result<Found<'a>, QueryError> {
        self.about(subject)?;
        ident::validate(IdentifierKind::User, subject)?;
        validate_resource(resource)?;
        let Some(kind) = self.model.kind(resource.kind).and_then(|k| self.model.types.get(k as usize)) else {
            return Ok(Found::default());
        };
        if self.blocks(subject) {
            return Ok(Found::default());
        }
        let view = self.view(subject);
        let found = self.model.resource(resource.kind, resource.id);
        let mut held = Held::new();
        if let Some(found) = found {
            self.model.collect_held(found, view.principals, &mut held);
        }
        let mut scratch = Vec::new();
        Ok(Found::collect(
            kind.actions.iter().map(|a| &**a),
            |a| a,
            page,
            |&action| {
                let mut buf = [0u8; PERMISSION_CAP];
                let Some(permission) = join(&mut buf, resource.kind, action) else { return false };
                let facts = self.facts(&view, resource, found, action, attributes);
                let (rules, patterns) =
                    self.governing(self.model.declared(permission), permission, &mut scratch);
                self.decide_on(&view, &held, &patterns, rules, &facts).allowed()
            },
        ))
    }

    /// The ids of stored resources of type `kind` that `subject` may `action`,
    /// sorted, one page. Each is decided with its own stored attributes: the
    /// request's `resource` attributes are not used.
    pub fn resources<'a>(
        &'a self,
        subject: &str,
        action: &str,
        kind: &str,
        attributes: &RequestAttributes,
        page: Page<'_>,
    ) -> Result<Found<'a>, QueryError> {
        self.about(subject)?;
        ident::validate(IdentifierKind::User, subject)?;
        ident::validate(IdentifierKind::Action, action)?;
        ident::validate(IdentifierKind::ResourceType, kind)?;
        let Some(range) =
            self.model.kind(kind).and_then(|k| self.model.types.get(k as usize)).map(|t| t.resources.clone())
        else {
            return Ok(Found::default());
        };
        if self.blocks(subject) {
            return Ok(Found::default());
        }
        let mut buf = [0u8; PERMISSION_CAP];
        let permission = join(&mut buf, kind, action).unwrap_or_default();
        let Some(declared) = self.model.declared(permission) else {
            return Ok(Found::default());
        };
        let attributes = &*attributes.without(Part::Resource);
        let view = self.view(subject);
        let rules = (declared.forbids, declared.permits);
        let mut held = Held::new();
        // Unless something allows it everywhere (a role held tenant-wide, a permit rule
        // for anyone or for a role held tenant-wide), only resources the subject's
        // roles reach can be allowed: the rest are not decided at all.
        let matches = self.matches(permission);
        let everywhere = self.allows_anywhere(&view, &matches, rules.1);
        let reach = if everywhere { Vec::new() } else { self.model.reach(view.principals) };
        let direct =
            self.held_matters(&view, &matches, rules).then(|| self.model.directly_held(view.principals));
        let reached =
            |r: u32| everywhere || reach.get(r as usize / 64).is_some_and(|w| w & (1 << (r % 64)) != 0);
        let candidates = (range.start..range.end)
            .filter(|&r| reached(r))
            .filter(|&r| (r as usize) < self.model.resources.len());
        Ok(Found::collect(
            candidates,
            |&r| self.model.id(r),
            page,
            |&r| {
                if let Some(direct) = &direct {
                    self.model.collect_held_from(r, direct, &mut held);
                }
                let facts = self.facts(
                    &view,
                    ResourceRef { kind, id: self.model.id(r) },
                    Some(r),
                    action,
                    attributes,
                );
                self.decide_on(&view, &held, &Patterns::Answered(declared.answers), rules, &facts).allowed()
            },
        ))
    }

    /// The users who may `action` on `resource`, sorted, one page: members of roles,
    /// and the users the model names (group members, grantees, users with attributes).
    /// Each is decided with its own stored attributes: the request's `subject`
    /// attributes are not used.
    pub fn subjects<'a>(
        &'a self,
        action: &str,
        resource: ResourceRef<'_>,
        attributes: &RequestAttributes,
        page: Page<'_>,
    ) -> Result<Found<'a>, QueryError> {
        ident::validate(IdentifierKind::Action, action)?;
        validate_resource(resource)?;
        self.at_large()?;
        let mut buf = [0u8; PERMISSION_CAP];
        let permission = join(&mut buf, resource.kind, action).unwrap_or_default();
        let declared = self.model.declared(permission);
        if self.model.kind(resource.kind).is_some() && declared.is_none() {
            return Ok(Found::default());
        }
        let attributes = &*attributes.without(Part::Subject);
        let mut scratch = Vec::new();
        let (rules, patterns) = self.governing(declared, permission, &mut scratch);
        let found = self.model.resource(resource.kind, resource.id);
        let mut held = Held::new();
        let names = self.subjects.iter().map(|s| self.subject_name(s));
        Ok(Found::collect(
            names,
            |name| name,
            page,
            |&name| {
                if self.blocks(name) {
                    return false;
                }
                let view = self.view(name);
                if let Some(found) = found {
                    self.model.collect_held(found, view.principals, &mut held);
                }
                let facts = self.facts(&view, resource, found, action, attributes);
                self.decide_on(&view, &held, &patterns, rules, &facts).allowed()
            },
        ))
    }

    /// Whether the roles a subject holds on a resource or above can change whether it
    /// is allowed: not when a role it holds tenant-wide grants the permission, no
    /// matching pattern is denied to any role, and no rule asks for a role. A search
    /// then decides each candidate without gathering them (the answer, not its
    /// reason, is what a search keeps).
    fn held_matters(
        &self,
        subject: &SubjectView<'_>,
        matches: &Matches<'_>,
        (forbids, permits): (&[u32], &[u32]),
    ) -> bool {
        let granted = self.granted_tenant_wide(subject, matches);
        let denied = matches.iter().any(|rule| !self.rules.denies(rule).roles.is_empty());
        let roles =
            forbids.iter().chain(permits).any(|&i| self.model.rule_roles(i).is_none_or(|r| !r.is_empty()));
        !granted || denied || roles
    }

    /// Whether a role the subject holds tenant-wide grants one of `matches`.
    fn granted_tenant_wide(&self, subject: &SubjectView<'_>, matches: &Matches<'_>) -> bool {
        matches.iter().any(|rule| subject.tenant.first_common(self.rules.grants(rule)).is_some())
    }

    /// Whether the subject may be allowed `permission` on a resource it holds no role
    /// on or above: a role it holds tenant-wide grants it, or a permit rule needs no
    /// role or one it holds tenant-wide.
    fn allows_anywhere(&self, subject: &SubjectView<'_>, matches: &Matches<'_>, permits: &[u32]) -> bool {
        let granted = self.granted_tenant_wide(subject, matches);
        granted
            || permits.iter().any(|&i| {
                self.model.rule_roles(i).is_none_or(|roles| {
                    roles.is_empty() || roles.iter().any(|r| subject.tenant.roles.binary_search(r).is_ok())
                })
            })
    }

    /// What a check needs about `name`; empty for a subject the policy does not know.
    fn view<'s>(&'s self, name: &'s str) -> SubjectView<'s> {
        self.view_of(name, self.subject(name))
    }

    /// The view of a subject already looked up (`None`: unknown).
    fn view_of<'s>(&'s self, name: &'s str, subject: Option<&'s Subject>) -> SubjectView<'s> {
        let class = subject.and_then(|s| self.classes.get(s.class as usize));
        let user = subject.map(|s| s.user).filter(|&u| u != NONE);
        SubjectView {
            name,
            tenant: class.map_or(RoleSet { roles: &[], mask: 0 }, |c| self.set(c.closure)),
            principals: user.map_or(&[][..], |u| self.model.holders_of(u)),
            user,
        }
    }

    fn facts<'f>(
        &'f self,
        subject: &SubjectView<'f>,
        resource: ResourceRef<'f>,
        found: Option<u32>,
        action: &'f str,
        request: &'f RequestAttributes,
    ) -> Facts<'f> {
        Facts {
            subject: subject.name,
            subject_stored: subject.user.map(|u| (&self.model, u)),
            kind: resource.kind,
            id: resource.id,
            resource_stored: found.map(|r| (&self.model, r)),
            action,
            request,
        }
    }
}
