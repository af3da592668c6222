//! The whole conformance suite through the guest in wasmtime: it must give the answers
//! the native core gives (the same vectors the native test runs). Twice: with each
//! policy compiled from its document inside the guest, and with each policy signed
//! into a snapshot natively and loaded through the guest's storage and key imports.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use serde_json::{Value, json};
use tessera_conformance::{Face, Query, Refusal, run_all};
use tessera_core::{PolicyDocument, ValidationOptions};
use tessera_runtime::{Decision, Guest, GuestConfig, GuestError, Runtime, RuntimeConfig};

use common::Fixture;

struct GuestFace {
    fixture: Fixture,
    runtime: Runtime,
    guest: Guest,
    via_snapshot: bool,
    revision: u64,
}

impl GuestFace {
    fn new(via_snapshot: bool) -> Self {
        let fixture = Fixture::new();
        let runtime = fixture.runtime(RuntimeConfig::default());
        let guest = runtime.guest().unwrap();
        Self { fixture, runtime, guest, via_snapshot, revision: 0 }
    }

    fn use_tokens(&mut self, jwks: &str, options: &Value) {
        *self.fixture.keys.jwks.lock().unwrap() = Some(jwks.to_owned());
        let token: ValidationOptions = serde_json::from_value(options.clone()).unwrap();
        // Reconfiguring also drops the guest's cached token keys.
        self.guest.configure(&GuestConfig { token, ..GuestConfig::default() }).unwrap();
    }
}

fn refusal(error: GuestError) -> Refusal {
    let violation = match &error {
        GuestError::Refused { violation, .. } => violation.clone(),
        _ => None,
    };
    Refusal { code: error.code().to_owned(), violation }
}

fn decision(d: Decision) -> Value {
    json!(d)
}

impl Face for GuestFace {
    fn load(&mut self, policy_json: &str) -> Result<(), Refusal> {
        // A fresh instance per policy: vectors change tenants, which a loaded guest refuses.
        self.guest = self.runtime.guest().unwrap();
        self.guest.compile_policy(policy_json).map_err(refusal)?;
        if self.via_snapshot {
            self.revision += 1;
            let bytes = self.fixture.seal(policy_json, self.revision);
            let tenant = PolicyDocument::from_json(policy_json).unwrap().tenant;
            self.fixture.store.put(&tenant, bytes);
            let info = self.guest.load(&tenant).map_err(refusal)?;
            assert_eq!(info.revision, self.revision, "the snapshot, not the document, is in force");
        }
        Ok(())
    }

    fn query(&mut self, query: &Query) -> Result<Value, Refusal> {
        let request = |query: &Query| query.request_json().map(|r| r.to_string()).unwrap_or_default();
        let g = &mut self.guest;
        let list = |r: Result<Vec<String>, GuestError>| r.map(|l| json!(l)).map_err(refusal);
        match query {
            Query::Check { user, permission } => g.check(user, permission).map(decision).map_err(refusal),
            Query::CheckMany { user, permissions } => {
                g.check_many(user, permissions).map(|answers| json!(answers)).map_err(refusal)
            }
            Query::HasRole { user, role } => g.has_role(user, role).map(Value::from).map_err(refusal),
            Query::UserRoles { user } => list(g.user_roles(user)),
            Query::UserPermissions { user } => list(g.user_permissions(user)),
            Query::RolePermissions { role } => list(g.role_permissions(role)),
            Query::RoleMembers { role } => list(g.role_members(role)),
            Query::WhichRolesCan { permission } => list(g.which_roles_can(permission)),
            Query::WhichUsersCan { permission } => list(g.which_users_can(permission)),
            Query::Roles => list(g.roles()),
            Query::Evaluate { .. } => g.evaluate(&request(query)).map_err(refusal),
            Query::Search { .. } => g.search(&request(query)).map_err(refusal),
        }
    }

    fn validate_identifier(&mut self, kind: &str, value: &str) -> Result<(), Refusal> {
        self.guest.validate_identifier(kind, value).map_err(refusal)
    }

    fn verify_token(&mut self, jwks: &str, options: &Value, token: &str, now: i64) -> Result<Value, Refusal> {
        self.use_tokens(jwks, options);
        self.guest.verify_token(token, Some(now)).map(Value::Object).map_err(refusal)
    }

    fn sanitize(&mut self, mode: &str, text: &str) -> String {
        match mode {
            "escape" => self.guest.escape(text, None).unwrap(),
            _ => self.guest.strip(text, None).unwrap(),
        }
    }

    fn inspect(&mut self, text: &str) -> Value {
        json!(self.guest.inspect(text).unwrap())
    }

    fn authorize(
        &mut self,
        jwks: &str,
        options: &Value,
        token: &str,
        permission: &str,
        now: i64,
    ) -> Result<Value, Refusal> {
        self.use_tokens(jwks, options);
        let answer = self.guest.authorize(token, permission, Some(now)).map_err(refusal)?;
        Ok(json!(answer))
    }
}

fn run(via_snapshot: bool) {
    let report = run_all(&mut GuestFace::new(via_snapshot));
    for failure in &report.failures {
        eprintln!("{failure}");
    }
    assert!(report.failures.is_empty(), "{} of {} vector cases failed", report.failures.len(), report.cases);
    assert!(report.cases >= 400, "only {} vector cases", report.cases);
    println!("{} vector cases passed through the guest", report.cases);
}

#[test]
fn guest_passes_every_vector() {
    run(false);
}

#[test]
fn guest_passes_every_vector_through_signed_snapshots() {
    run(true);
}

/// Beyond the vectors: a large synthetic tenant, native and guest side by side, every
/// answer compared (reasons, roles and patterns included).
#[test]
fn guest_matches_native_on_a_large_synthetic_tenant() {
    use tessera_conformance::synthetic::{Rng, policy_json, queries};
    use tessera_core::Authorizer;

    let json = policy_json(10_000, 3, 11);
    let native = Authorizer::new(PolicyDocument::from_json(&json).unwrap().into_policy().unwrap());
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig::default());
    let mut guest = runtime.guest().unwrap();
    guest.compile_policy(&json).unwrap();

    let owned = |list: Vec<&str>| list.into_iter().map(String::from).collect::<Vec<_>>();
    let mut allowed = 0;
    for (user, permission) in queries(&mut Rng(3), 10_000, 3_000) {
        let (n, g) = (native.check(&user, &permission).unwrap(), guest.check(&user, &permission).unwrap());
        assert_eq!(
            (n.reason(), n.role(), n.pattern()),
            (g.reason(), g.role(), g.pattern()),
            "{user} {permission}"
        );
        allowed += usize::from(g.allowed());
    }
    assert!(allowed > 100, "the mix exercises grants ({allowed} allowed)");
    for (user, permission) in queries(&mut Rng(4), 10_000, 50) {
        assert_eq!(owned(native.user_roles(&user).unwrap()), guest.user_roles(&user).unwrap());
        assert_eq!(owned(native.user_permissions(&user).unwrap()), guest.user_permissions(&user).unwrap());
        assert_eq!(owned(native.user_denies(&user).unwrap()), guest.user_denies(&user).unwrap());
        assert_eq!(
            owned(native.which_roles_can(&permission).unwrap()),
            guest.which_roles_can(&permission).unwrap()
        );
        assert_eq!(
            owned(native.which_users_can(&permission).unwrap()),
            guest.which_users_can(&permission).unwrap()
        );
    }
    for role in ["role-0000", "role-0150", "role-0999"] {
        assert_eq!(owned(native.role_members(role).unwrap()), guest.role_members(role).unwrap());
        assert_eq!(owned(native.role_permissions(role).unwrap()), guest.role_permissions(role).unwrap());
        assert_eq!(owned(native.role_denies(role).unwrap()), guest.role_denies(role).unwrap());
    }
    assert_eq!(owned(native.roles().unwrap()), guest.roles().unwrap());
}
