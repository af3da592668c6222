//! What a rule's condition reads: the request's subject, resource, action and
//! context, stored facts first.

use super::ModelIndex;
use crate::authz::RequestAttributes;
use crate::condition::{Attributes, Root, Value};
use crate::policy::{AttributeMap, AttributeValue};

/// The facts of one check. `subject.id`, `resource.id`, `resource.type` and
/// `action.name` are the query's own; any other name is read from what the
/// snapshot stores, then from what the request brings.
pub(in crate::authz) struct Facts<'f> {
    pub(in crate::authz) subject: &'f str,
    /// The model's index and the subject's model user, when it is one.
    pub(in crate::authz) subject_stored: Option<(&'f ModelIndex, u32)>,
    pub(in crate::authz) kind: &'f str,
    pub(in crate::authz) id: &'f str,
    /// The stored resource, when there is one: its attributes are read from the index.
    pub(in crate::authz) resource_stored: Option<(&'f ModelIndex, u32)>,
    pub(in crate::authz) action: &'f str,
    pub(in crate::authz) request: &'f RequestAttributes,
}

fn read<'a>(stored: Option<&'a AttributeValue>, request: &'a AttributeMap, name: &str) -> Option<Value<'a>> {
    stored.or_else(|| request.get(name)).map(|v| v.as_value())
}

impl Attributes for Facts<'_> {
    fn value(&self, root: Root, name: &str) -> Option<Value<'_>> {
        match (root, name) {
            (Root::Subject, "id") => Some(Value::Str(self.subject)),
            (Root::Subject, _) => {
                let stored = self.subject_stored.and_then(|(index, u)| index.user_attribute(u, name));
                read(stored, &self.request.subject, name)
            }
            (Root::Resource, "id") => Some(Value::Str(self.id)),
            (Root::Resource, "type") => Some(Value::Str(self.kind)),
            (Root::Resource, _) => {
                let stored = self.resource_stored.and_then(|(index, r)| index.resource_attribute(r, name));
                read(stored, &self.request.resource, name)
            }
            (Root::Action, "name") => Some(Value::Str(self.action)),
            (Root::Action, _) => self.request.action.get(name).map(|v| v.as_value()),
            (Root::Context, _) => self.request.context.get(name).map(|v| v.as_value()),
        }
    }
}
