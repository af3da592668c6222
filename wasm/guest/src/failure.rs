//! Why a guest call failed: the core's [`ErrorReport`] (a stable code, a message, and
//! for identifiers the violated part of the rule), serialized as the output of a
//! failed call; plus the guest's own refusals.

pub(crate) use tessera_core::ErrorReport as Failure;

/// The host passed arguments the ABI does not allow.
pub(crate) fn input(message: impl Into<String>) -> Failure {
    Failure::invalid_argument(message)
}

/// The audit sink refused an event the call must record.
pub(crate) fn audit_unavailable() -> Failure {
    Failure::new("ERR_AUDIT_UNAVAILABLE", "the audit event could not be recorded, so the call did nothing")
}
