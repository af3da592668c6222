//! The whole vector suite through the native core.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use serde_json::{Value, json};
use tessera_conformance::{Face, Query, Refusal, run_all};
use tessera_core::{
    Authorizer, CheckRequest, Decision, ErrorReport, IdentifierKind, KeySet, PolicyDocument, QueryError,
    SanitizeOptions, SearchRequest, ValidationOptions,
};

#[derive(Default)]
struct Native {
    authz: Option<Authorizer>,
}

fn refusal(error: QueryError) -> Refusal {
    report(error.into())
}

fn report(error: ErrorReport) -> Refusal {
    Refusal { code: error.code.into(), violation: error.violation.map(Into::into) }
}

fn decision(d: Decision<'_>) -> Value {
    json!(d)
}

impl Face for Native {
    fn load(&mut self, policy_json: &str) -> Result<(), Refusal> {
        let policy = PolicyDocument::from_json(policy_json)
            .and_then(PolicyDocument::into_policy)
            .map_err(|e| Refusal { code: e.code().into(), violation: None })?;
        self.authz = Some(Authorizer::new(policy));
        Ok(())
    }

    fn query(&mut self, query: &Query) -> Result<Value, Refusal> {
        let authz = self.authz.as_ref().expect("a policy is loaded before queries");
        let list = |r: Result<Vec<&str>, QueryError>| r.map(|l| json!(l)).map_err(refusal);
        match query {
            Query::Check { user, permission } => authz.check(user, permission).map(decision).map_err(refusal),
            Query::CheckMany { user, permissions } => authz
                .check_many(user, permissions)
                .map(|ds| json!(ds.iter().map(Decision::allowed).collect::<Vec<_>>()))
                .map_err(refusal),
            Query::HasRole { user, role } => authz.has_role(user, role).map(Value::from).map_err(refusal),
            Query::UserRoles { user } => list(authz.user_roles(user)),
            Query::UserPermissions { user } => list(authz.user_permissions(user)),
            Query::RolePermissions { role } => list(authz.role_permissions(role)),
            Query::RoleMembers { role } => list(authz.role_members(role)),
            Query::WhichRolesCan { permission } => list(authz.which_roles_can(permission)),
            Query::WhichUsersCan { permission } => list(authz.which_users_can(permission)),
            Query::Roles => list(authz.roles()),
            Query::Evaluate { .. } => {
                let text = query.request_json().map(|r| r.to_string()).unwrap_or_default();
                let request = CheckRequest::from_json(&text).map_err(report)?;
                authz.evaluate(&request.query()).map(decision).map_err(refusal)
            }
            Query::Search { .. } => {
                let text = query.request_json().map(|r| r.to_string()).unwrap_or_default();
                let request = SearchRequest::from_json(&text).map_err(report)?;
                authz.search(&request).map(|found| json!(found)).map_err(refusal)
            }
        }
    }

    fn verify_token(&mut self, jwks: &str, options: &Value, token: &str, now: i64) -> Result<Value, Refusal> {
        let (keys, options) = token_setup(jwks, options);
        let claims = tessera_core::verify_token(token, &keys, &options, now)
            .map_err(|e| Refusal { code: e.code().into(), violation: None })?;
        Ok(Value::Object(claims.all()))
    }

    fn authorize(
        &mut self,
        jwks: &str,
        options: &Value,
        token: &str,
        permission: &str,
        now: i64,
    ) -> Result<Value, Refusal> {
        let (keys, options) = token_setup(jwks, options);
        let authz = self.authz.as_ref().expect("a policy is loaded before authorize");
        let answer =
            tessera_core::authorize(authz, &keys, &options, token, permission, now).map_err(refusal)?;
        Ok(json!(answer))
    }

    fn sanitize(&mut self, mode: &str, text: &str) -> String {
        let options = SanitizeOptions::default();
        match mode {
            "escape" => tessera_core::escape(text, &options),
            _ => tessera_core::strip(text, &options),
        }
    }

    fn inspect(&mut self, text: &str) -> Value {
        json!(tessera_core::inspect(text))
    }

    fn validate_identifier(&mut self, kind: &str, value: &str) -> Result<(), Refusal> {
        let kind = IdentifierKind::from_code(kind).expect("vectors name known identifier kinds");
        tessera_core::validate_identifier(kind, value).map_err(|e| report(e.into()))
    }
}

fn token_setup(jwks: &str, options: &Value) -> (KeySet, ValidationOptions) {
    let keys = KeySet::from_jwks(jwks).expect("the vectors' JWKS is valid");
    let options = serde_json::from_value(options.clone()).expect("the vectors' options are valid");
    (keys, options)
}

#[test]
fn native_core_passes_every_vector() {
    let report = run_all(&mut Native::default());
    for failure in &report.failures {
        eprintln!("{failure}");
    }
    assert!(report.failures.is_empty(), "{} of {} vector cases failed", report.failures.len(), report.cases);
    // The suite must not shrink silently.
    assert!(report.cases >= 200, "only {} vector cases", report.cases);
    println!("{} vector cases passed", report.cases);
}
