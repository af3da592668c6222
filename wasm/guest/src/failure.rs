//! Why a guest call failed: the core's [`ErrorReport`] (a stable code, a message, and
//! for identifiers the violated part of the rule), serialized as the output of a
//! failed call; plus the guest's own refusals.

pub(crate) use tessera_core::ErrorReport as Failure;

/// The host passed arguments the ABI does not allow.
pub(crate) fn input(message: impl Into<String>) -> Failure {
    Failure::new("ERR_GUEST_INPUT", message)
}

/// A query came before any policy was loaded.
pub(crate) fn not_loaded() -> Failure {
    Failure::new("ERR_GUEST_NOT_LOADED", "no snapshot or policy is loaded")
}

/// The audit sink refused an event the call must record.
pub(crate) fn audit_unavailable() -> Failure {
    Failure::new("ERR_AUDIT_UNAVAILABLE", "the audit event could not be recorded, so the call did nothing")
}
