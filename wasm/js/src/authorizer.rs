//! One authorizer: a verified snapshot, the keys that may replace it, and the token
//! rules. The hot calls follow the table in the crate docs; the rest take and return
//! wasm-bindgen values and throw the JSON text of a failure.

use tessera_core::external::{ExternalSignature, SignatureVerdict, prepare_external};
use tessera_core::{
    Authorization, Authorizer, CheckRequest, Decision, ErrorReport, LoadedSnapshot, Query, Reason,
    SearchRequest, TokenError,
};
use wasm_bindgen::prelude::*;

use crate::failure::{self, Failure, thrown};
use crate::options::Options;
use crate::scratch::{self, Output};

/// An authorizer as the wrapper drives it.
#[wasm_bindgen(js_name = WasmAuthorizer)]
pub struct WasmAuthorizer {
    options: Options,
    loaded: Option<LoadedSnapshot>,
}

/// Seconds since the Unix epoch from a JS number (the wrapper checks it is finite).
fn seconds(now: f64) -> i64 {
    // `as` saturates and maps NaN to 0: the wrapper refuses both before calling.
    now as i64
}

/// Lists cross as JS arrays of strings.
fn owned(list: Result<Vec<&str>, tessera_core::QueryError>) -> Result<Vec<String>, JsValue> {
    list.map(|items| items.into_iter().map(String::from).collect()).map_err(thrown)
}

/// The core's reasons by code: the wrapper reads `check`'s value through this table.
#[wasm_bindgen(js_name = reasonNames)]
pub fn reason_names() -> Vec<String> {
    Reason::ALL.iter().map(|reason| reason.name().into()).collect()
}

#[wasm_bindgen(js_class = WasmAuthorizer)]
impl WasmAuthorizer {
    /// An authorizer with the options JSON (see `options.rs`), and nothing loaded yet.
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str) -> Result<WasmAuthorizer, JsValue> {
        Ok(Self { options: Options::from_json(options_json).map_err(thrown)?, loaded: None })
    }

    fn loaded(&self) -> Result<&LoadedSnapshot, Failure> {
        self.loaded.as_ref().ok_or_else(Failure::not_loaded)
    }

    /// The authorizer, to decide at `now`: refused past the snapshot's expiry. A
    /// snapshot that expires is never judged at a time that is no time (the wrapper
    /// passes 0 only for one that does not expire).
    fn at(&self, now: f64) -> Result<&Authorizer, Failure> {
        let loaded = self.loaded()?;
        if loaded.expires() && !(now.is_finite() && now > 0.0) {
            return Err(failure::argument("a decision on a snapshot that expires needs the time"));
        }
        Ok(loaded.authorizer_at(seconds(now))?)
    }

    /// [`at`](Self::at), failing as the non-hot calls fail.
    fn authz(&self, now: f64) -> Result<&Authorizer, JsValue> {
        self.at(now).map_err(thrown)
    }

    /// Verifies, decrypts and compiles a snapshot, then puts it in force and returns
    /// its summary JSON. A snapshot for another tenant, with an older revision, a bad
    /// signature or any defect is refused and what was in force stays.
    pub fn load(&mut self, bytes: &[u8], now: f64) -> Result<String, JsValue> {
        let current = self.loaded.as_ref().map(|loaded| &loaded.info);
        self.loaded = Some(self.options.loader.load(bytes, seconds(now), current).map_err(thrown)?);
        self.info()
    }

    /// What is in force, as the core's summary JSON.
    pub fn info(&self) -> Result<String, JsValue> {
        serde_json::to_string(&self.loaded().map_err(thrown)?.summary())
            .map_err(|e| thrown(ErrorReport::new("ERR_INTERNAL", e.to_string())))
    }

    /// `can`: see the crate docs' table.
    pub fn can(&self, user_len: u32, permission_len: u32, now: f64) -> u32 {
        scratch::call(&[user_len, permission_len], |inputs, _| {
            let (user, permission) = (inputs.str(user_len)?, inputs.str(permission_len)?);
            Ok(u8::from(self.at(now)?.has_permission(user, permission)?))
        })
    }

    /// `check`: see the crate docs' table.
    pub fn check(&self, user_len: u32, permission_len: u32, now: f64) -> u32 {
        scratch::call(&[user_len, permission_len], |inputs, output| {
            let (user, permission) = (inputs.str(user_len)?, inputs.str(permission_len)?);
            let decision = self.at(now)?.check(user, permission)?;
            if let (Some(role), Some(pattern)) = (decision.role(), decision.pattern()) {
                output.fields(&[role.as_bytes(), pattern.as_bytes()])?;
            }
            Ok(scratch::decision_value(&decision))
        })
    }

    /// `evaluate`: see the crate docs' table.
    pub fn evaluate(&self, subject_len: u32, action_len: u32, type_len: u32, id_len: u32, now: f64) -> u32 {
        scratch::call(&[subject_len, action_len, type_len, id_len], |inputs, output| {
            let (subject, action) = (inputs.str(subject_len)?, inputs.str(action_len)?);
            let (kind, id) = (inputs.str(type_len)?, inputs.str(id_len)?);
            let decision = self.at(now)?.evaluate(&Query::on(subject, action, kind, id))?;
            write_decision(output, &decision)?;
            Ok(scratch::decision_value(&decision))
        })
    }

    /// A check with request attributes: the core's `CheckRequest` JSON in, the
    /// decision JSON out.
    pub fn evaluate_json(&self, request: &str, now: f64) -> Result<String, JsValue> {
        let request = CheckRequest::from_json(request).map_err(thrown)?;
        let decision = self.authz(now)?.evaluate(&request.query()).map_err(thrown)?;
        json(&decision)
    }

    /// A search: the core's `SearchRequest` JSON in, `{items, next?}` JSON out.
    pub fn search(&self, request: &str, now: f64) -> Result<String, JsValue> {
        let request = SearchRequest::from_json(request).map_err(thrown)?;
        json(&self.authz(now)?.search(&request).map_err(thrown)?)
    }

    /// `check_many`: see the crate docs' table.
    pub fn check_many(&self, user_len: u32, list_len: u32, now: f64) -> u32 {
        scratch::call(&[user_len, list_len], |inputs, output| {
            let (user, permissions) = (inputs.str(user_len)?, inputs.list(list_len)?);
            let decisions = self.at(now)?.check_many(user, &permissions)?;
            for (slot, decision) in output.slot(decisions.len())?.iter_mut().zip(&decisions) {
                *slot = u8::from(decision.allowed());
            }
            Ok(0)
        })
    }

    /// Whether `role` is in the closure of `user`'s roles.
    pub fn has_role(&self, user: &str, role: &str, now: f64) -> Result<bool, JsValue> {
        self.authz(now)?.has_role(user, role).map_err(thrown)
    }

    /// Direct roles of `user`, sorted.
    pub fn user_roles(&self, user: &str, now: f64) -> Result<Vec<String>, JsValue> {
        owned(self.authz(now)?.user_roles(user))
    }

    /// Effective grant patterns of `user`, sorted.
    pub fn user_permissions(&self, user: &str, now: f64) -> Result<Vec<String>, JsValue> {
        owned(self.authz(now)?.user_permissions(user))
    }

    /// Effective grant patterns of `role`'s closure, sorted.
    pub fn role_permissions(&self, role: &str, now: f64) -> Result<Vec<String>, JsValue> {
        owned(self.authz(now)?.role_permissions(role))
    }

    /// Direct members of `role`, sorted.
    pub fn role_members(&self, role: &str, now: f64) -> Result<Vec<String>, JsValue> {
        owned(self.authz(now)?.role_members(role))
    }

    /// Roles whose closure allows `permission`, sorted.
    pub fn which_roles_can(&self, permission: &str, now: f64) -> Result<Vec<String>, JsValue> {
        owned(self.authz(now)?.which_roles_can(permission))
    }

    /// Users for whom `check` allows `permission`, sorted.
    pub fn which_users_can(&self, permission: &str, now: f64) -> Result<Vec<String>, JsValue> {
        owned(self.authz(now)?.which_users_can(permission))
    }

    /// Every role, sorted.
    pub fn roles(&self, now: f64) -> Result<Vec<String>, JsValue> {
        owned(self.authz(now)?.roles())
    }

    /// Validates a token at `now` and returns its claims as JSON.
    pub fn verify(&self, token: &str, now: f64) -> Result<String, JsValue> {
        let claims =
            tessera_core::verify_token(token, &self.options.token_keys, &self.options.token, seconds(now))
                .map_err(thrown)?;
        Ok(claims.json)
    }

    /// `authorize`: see the crate docs' table. A refused token is an answer (the
    /// token error's code as reason), not a failure. The token is judged at `now`,
    /// the snapshot at `decided_at` (the clock: a caller's `now` cannot revive an
    /// expired snapshot).
    pub fn authorize(&self, token_len: u32, permission_len: u32, now: f64, decided_at: f64) -> u32 {
        let Options { token_keys, token: rules, .. } = &self.options;
        scratch::call(&[token_len, permission_len], |inputs, output| {
            let (token, permission) = (inputs.str(token_len)?, inputs.str(permission_len)?);
            let authz = self.at(decided_at)?;
            let answer = tessera_core::authorize(authz, token_keys, rules, token, permission, seconds(now))?;
            write_authorization(output, &answer)?;
            Ok(u8::from(answer.allowed()))
        })
    }

    /// `verify_webcrypto`: see the crate docs' table.
    pub fn verify_webcrypto(&self, token_len: u32, now: f64) -> u32 {
        let Options { token_keys, token: rules, .. } = &self.options;
        scratch::call(&[token_len], |inputs, output| {
            let prepared = prepare_external(inputs.str(token_len)?, token_keys, rules)?;
            if is_hmac(&prepared) {
                return Ok(0);
            }
            write_signature_parts(output, &prepared)?;
            let claims = |verdict| prepared.claims(rules, seconds(now), verdict);
            let (valid, invalid) = (claims(SignatureVerdict::Valid), claims(SignatureVerdict::Invalid));
            let outcome = |claims: Result<tessera_core::Claims, TokenError>| match claims {
                Ok(claims) => claims.json,
                Err(error) => ErrorReport::from(error).to_json(),
            };
            let verdicts = scratch::verdict_bits(valid.is_ok(), invalid.is_ok());
            output.fields(&[outcome(valid).as_bytes(), outcome(invalid).as_bytes()])?;
            Ok(verdicts)
        })
    }

    /// `authorize_webcrypto`: see the crate docs' table; `now` and `decided_at` as
    /// for `authorize`.
    pub fn authorize_webcrypto(&self, token_len: u32, permission_len: u32, now: f64, decided_at: f64) -> u32 {
        let Options { token_keys, token: rules, .. } = &self.options;
        scratch::call(&[token_len, permission_len], |inputs, output| {
            let (token, permission) = (inputs.str(token_len)?, inputs.str(permission_len)?);
            let authz = self.at(decided_at)?;
            let prepared = prepare_external(token, token_keys, rules)?;
            if is_hmac(&prepared) {
                return Ok(0);
            }
            write_signature_parts(output, &prepared)?;
            let answer = |verdict| prepared.authorize(authz, rules, permission, seconds(now), verdict);
            let (valid, invalid) = (answer(SignatureVerdict::Valid)?, answer(SignatureVerdict::Invalid)?);
            write_authorization(output, &valid)?;
            write_authorization(output, &invalid)?;
            Ok(scratch::verdict_bits(valid.allowed(), invalid.allowed()))
        })
    }
}

fn json(value: &impl serde::Serialize) -> Result<String, JsValue> {
    serde_json::to_string(value).map_err(|e| thrown(ErrorReport::new("ERR_INTERNAL", e.to_string())))
}

/// A resource decision's fields: `role`, `pattern`, `on` (empty when held
/// tenant-wide) for a role's decision, `rule` for a rule's, none otherwise.
fn write_decision(output: &mut Output<'_>, decision: &Decision<'_>) -> Result<(), Failure> {
    if let (Some(role), Some(pattern)) = (decision.role(), decision.pattern()) {
        let on = decision.on().unwrap_or_default();
        return output.fields(&[role.as_bytes(), pattern.as_bytes(), on.as_bytes()]);
    }
    match decision.rule() {
        Some(rule) => output.fields(&[rule.as_bytes()]),
        None => Ok(()),
    }
}

/// Whether the token is the synchronous path's: HMAC keys are secrets WebCrypto
/// is not given.
fn is_hmac(prepared: &ExternalSignature<'_, '_>) -> bool {
    prepared.algorithm.min_secret_len().is_some()
}

/// What WebCrypto needs: the fields `ALG`, `KID`, signature. The signed bytes are the
/// token's up to its last dot, still at the buffer's start.
fn write_signature_parts(
    output: &mut Output<'_>,
    prepared: &ExternalSignature<'_, '_>,
) -> Result<(), Failure> {
    output.fields(&[prepared.algorithm.name().as_bytes(), prepared.kid.as_bytes(), &prepared.signature])
}

/// An answer of `authorize` as the fields `reason`, `subject`, `role`, `pattern`
/// (absent ones empty: a present one never is), its `allowed` being the call's value.
fn write_authorization(output: &mut Output<'_>, answer: &Authorization<'_>) -> Result<(), Failure> {
    let decision = match answer {
        Authorization::Decided { decision, .. } => Some(decision),
        _ => None,
    };
    output.fields(&[
        answer.reason().as_bytes(),
        answer.subject().unwrap_or_default().as_bytes(),
        decision.and_then(|d| d.role()).unwrap_or_default().as_bytes(),
        decision.and_then(|d| d.pattern()).unwrap_or_default().as_bytes(),
    ])
}
