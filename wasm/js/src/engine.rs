//! One authorizer: a verified snapshot, the keys that may replace it, and the token
//! rules.

use serde_json::json;
use tessera_core::{
    Authorization, Authorizer, Decision, ExternalSignature, IdentifierError, IdentifierKind, LoadedSnapshot,
    validate_identifier,
};
use wasm_bindgen::prelude::*;

use crate::failure::{self, Failure, thrown};
use crate::options::Options;
use crate::scratch;

/// An authorizer as the wrapper drives it. Every method that can fail throws the
/// JSON text of a failure (see the crate docs).
#[wasm_bindgen]
pub struct Engine {
    options: Options,
    loaded: Option<LoadedSnapshot>,
}

/// Seconds since the Unix epoch from a JS number (the wrapper checks it is finite).
fn seconds(now: f64) -> i64 {
    // `as` saturates and maps NaN to 0: the wrapper refuses both before calling.
    now as i64
}

/// Joins a list for the wrapper to split: identifiers never contain `\n`.
fn joined(list: Result<Vec<&str>, IdentifierError>) -> Result<String, JsValue> {
    list.map(|items| items.join("\n")).map_err(thrown)
}

/// The wrapper's index of a decision's reason.
fn reason_code(decision: &Decision<'_>) -> u32 {
    match decision {
        Decision::Granted { .. } => 0,
        Decision::Denied { .. } => 1,
        Decision::UnknownUser => 2,
        Decision::NoMatchingGrant => 3,
        Decision::UserNotKeyBacked => 4,
    }
}

/// Splits `count` permissions joined by `\n`. A count that does not match means an
/// item held a `\n`, which no permission may: reported as the identifier rule does.
fn split_list(list: &str, count: u32) -> Result<Vec<&str>, Failure> {
    let items: Vec<&str> =
        if count == 0 && list.is_empty() { Vec::new() } else { list.split('\n').collect() };
    if items.len() != count as usize {
        validate_identifier(IdentifierKind::Permission, "\n")?;
    }
    Ok(items)
}

#[wasm_bindgen]
impl Engine {
    /// An engine with the options JSON (see `options.rs`), and nothing loaded yet.
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str) -> Result<Engine, JsValue> {
        Ok(Self { options: Options::from_json(options_json).map_err(thrown)?, loaded: None })
    }

    fn loaded(&self) -> Result<&LoadedSnapshot, JsValue> {
        self.loaded.as_ref().ok_or_else(|| thrown(failure::not_loaded()))
    }

    fn authz(&self) -> Result<&Authorizer, JsValue> {
        self.loaded().map(|loaded| &loaded.authorizer)
    }

    /// [`Engine::authz`] for the hot calls, which report failures by [`failure::answer`].
    fn loaded_authz(&self) -> Result<&Authorizer, Failure> {
        self.loaded.as_ref().map(|loaded| &loaded.authorizer).ok_or_else(failure::not_loaded)
    }

    /// Verifies, decrypts and compiles a snapshot, then puts it in force and returns
    /// its info JSON. A snapshot for another tenant, with an older revision, a bad
    /// signature or any defect is refused and what was in force stays.
    pub fn load(&mut self, bytes: &[u8], now: f64) -> Result<String, JsValue> {
        let current = self.loaded.as_ref().map(|loaded| &loaded.info);
        self.loaded = Some(self.options.loader.load(bytes, seconds(now), current).map_err(thrown)?);
        self.info()
    }

    /// What is in force, as JSON: tenant, revision, issued/expiry times, key ids, counts.
    pub fn info(&self) -> Result<String, JsValue> {
        let LoadedSnapshot { info, authorizer } = self.loaded()?;
        let value = json!({
            "tenant": info.tenant,
            "revision": info.revision,
            "issued_at": info.issued_at,
            "expires_at": info.expires_at,
            "signed_by": info.signed_by,
            "encrypted_with": info.encrypted_with,
            "users": authorizer.user_count(),
            "roles": authorizer.roles().len(),
        });
        Ok(value.to_string())
    }

    /// Whether `user` holds `permission`, both in the scratch buffer (their lengths
    /// in bytes given): 1 or 0, or `FAILED` (`u32::MAX`).
    pub fn can(&self, user_len: u32, permission_len: u32) -> u32 {
        failure::answer(scratch::with(|buffer| {
            let (user, permission) = scratch::two_strs(buffer, user_len, permission_len)?;
            Ok(u32::from(self.loaded_authz()?.has_permission(user, permission)?))
        }))
    }

    /// The decision with its reason, through the scratch buffer: the answer is `reason
    /// | lines' length << 8`, with the lines `role`, `pattern` (empty for a decision
    /// that names neither; at most 64 + 1 + 128 bytes) at the start of the buffer, or
    /// `FAILED` (`u32::MAX`).
    pub fn check(&self, user_len: u32, permission_len: u32) -> u32 {
        failure::answer(scratch::with(|buffer| {
            let (user, permission) = scratch::two_strs(buffer, user_len, permission_len)?;
            let decision = self.loaded_authz()?.check(user, permission)?;
            let lines = [decision.role().unwrap_or_default(), decision.pattern().unwrap_or_default()];
            Ok(reason_code(&decision) | scratch::put_answer(buffer, 0, &lines, &[])? << 8)
        }))
    }

    /// One decision per permission, through the scratch buffer: `user` then `count`
    /// permissions joined by `\n` in, one byte (0/1) per permission out at the start;
    /// returns 0, or `FAILED` (`u32::MAX`).
    pub fn check_many(&self, user_len: u32, list_len: u32, count: u32) -> u32 {
        failure::answer(scratch::with(|buffer| {
            let (user, list) = scratch::two_strs(buffer, user_len, list_len)?;
            let items = split_list(list, count)?;
            let decisions = self.loaded_authz()?.check_many(user, &items)?;
            let out = buffer
                .get_mut(..decisions.len())
                .ok_or_else(|| failure::argument("the scratch buffer is too small"))?;
            for (slot, decision) in out.iter_mut().zip(&decisions) {
                *slot = u8::from(decision.allowed());
            }
            Ok(0)
        }))
    }

    /// Whether `role` is in the closure of `user`'s roles.
    pub fn has_role(&self, user: &str, role: &str) -> Result<bool, JsValue> {
        self.authz()?.has_role(user, role).map_err(thrown)
    }

    /// Direct roles of `user`, sorted.
    pub fn user_roles(&self, user: &str) -> Result<String, JsValue> {
        joined(self.authz()?.user_roles(user))
    }

    /// Effective grant patterns of `user`, sorted.
    pub fn user_permissions(&self, user: &str) -> Result<String, JsValue> {
        joined(self.authz()?.user_permissions(user))
    }

    /// Effective grant patterns of `role`'s closure, sorted.
    pub fn role_permissions(&self, role: &str) -> Result<String, JsValue> {
        joined(self.authz()?.role_permissions(role))
    }

    /// Direct members of `role`, sorted.
    pub fn role_members(&self, role: &str) -> Result<String, JsValue> {
        joined(self.authz()?.role_members(role))
    }

    /// Roles whose closure allows `permission`, sorted.
    pub fn which_roles_can(&self, permission: &str) -> Result<String, JsValue> {
        joined(self.authz()?.which_roles_can(permission))
    }

    /// Users for whom `check` allows `permission`, sorted.
    pub fn which_users_can(&self, permission: &str) -> Result<String, JsValue> {
        joined(self.authz()?.which_users_can(permission))
    }

    /// Every role, sorted.
    pub fn roles(&self) -> Result<String, JsValue> {
        Ok(self.authz()?.roles().join("\n"))
    }

    /// Validates a token at `now` and returns its claims as JSON.
    pub fn verify(&self, token: &str, now: f64) -> Result<String, JsValue> {
        let claims =
            tessera_core::verify_token(token, &self.options.token_keys, &self.options.token, seconds(now))
                .map_err(thrown)?;
        Ok(claims.json)
    }

    /// Validates a token and decides `permission` for its subject, both in the
    /// scratch buffer; the answer is left at its start as the lines of
    /// `answer_lines`, and their length returned (or `FAILED`, `u32::MAX`). A
    /// refused token is an answer (the token error's code as reason), not a failure.
    pub fn authorize(&self, token_len: u32, permission_len: u32, now: f64) -> u32 {
        let Options { token_keys, token: rules, .. } = &self.options;
        failure::answer(scratch::with(|buffer| {
            let (token, permission) = scratch::two_strs(buffer, token_len, permission_len)?;
            let authz = self.loaded_authz()?;
            let answer = tessera_core::authorize(authz, token_keys, rules, token, permission, seconds(now))?;
            scratch::put_answer(buffer, 0, &answer_lines(&answer), &[])
        }))
    }

    /// The first step of `verifyAsync`, for the token in the scratch buffer: every
    /// rule before the signature; then, when the key is public (ES256, EdDSA, RS256,
    /// PS256), what WebCrypto needs (see `webcrypto_parts`): the lines `ALG`, `KID`
    /// then the signature after the token, the lines' length | the signature's
    /// length << 16 returned. 0 when the token is the synchronous path's (HMAC), and
    /// `FAILED` (`u32::MAX`) with the token's error.
    pub fn external_signature(&self, token_len: u32) -> u32 {
        let Options { token_keys, token: rules, .. } = &self.options;
        failure::answer(scratch::with(|buffer| {
            let (token, _) = scratch::two_strs(buffer, token_len, 0)?;
            let prepared = tessera_core::prepare_external(token, token_keys, rules)?;
            if is_hmac(&prepared) {
                return Ok(0);
            }
            let (algorithm, kid, signature) = webcrypto_parts(prepared);
            scratch::put_answer(buffer, token_len as usize, &[algorithm, kid], &signature)
        }))
    }

    /// `authorizeAsync`'s one call into wasm, token and permission in the scratch
    /// buffer: every rule before the signature and, when the key is public, the
    /// answer as it stands if the signature verifies, left after the inputs as the
    /// lines `ALG`, `KID`, then `answer_lines`, then the signature, as
    /// [`Engine::external_signature`] does (the wrapper releases the answer only once
    /// WebCrypto agrees; otherwise it asks `authorize_external` with `false`). 0 when the token
    /// is the synchronous path's (HMAC), `FAILED` (`u32::MAX`) with the token's
    /// or the permission's error.
    pub fn authorize_webcrypto(&self, token_len: u32, permission_len: u32, now: f64) -> u32 {
        let Options { token_keys, token: rules, .. } = &self.options;
        failure::answer(scratch::with(|buffer| {
            let (token, permission) = scratch::two_strs(buffer, token_len, permission_len)?;
            let authz = self.loaded_authz()?;
            let prepared = tessera_core::prepare_external(token, token_keys, rules)?;
            if is_hmac(&prepared) {
                return Ok(0);
            }
            let answer =
                tessera_core::authorize_prepared(authz, &prepared, rules, permission, seconds(now), true)?;
            let (algorithm, kid, signature) = webcrypto_parts(prepared);
            let [reason, subject, role, pattern] = answer_lines(&answer);
            let at = (token_len + permission_len) as usize;
            scratch::put_answer(buffer, at, &[algorithm, kid, reason, subject, role, pattern], &signature)
        }))
    }

    /// [`Engine::verify`] for a token whose signature the wrapper checked with
    /// WebCrypto, using the key [`Engine::external_signature`] named.
    pub fn verify_external(&self, token: &str, now: f64, signature_valid: bool) -> Result<String, JsValue> {
        let Options { token_keys, token: rules, .. } = &self.options;
        let claims = tessera_core::verify_external(token, token_keys, rules, seconds(now), signature_valid)
            .map_err(thrown)?;
        Ok(claims.json)
    }

    /// [`Engine::authorize`] for a token whose signature the wrapper checked (the
    /// WebCrypto path's answer when the signature did not verify).
    pub fn authorize_external(
        &self,
        token_len: u32,
        permission_len: u32,
        now: f64,
        signature_valid: bool,
    ) -> u32 {
        let Options { token_keys, token: rules, .. } = &self.options;
        failure::answer(scratch::with(|buffer| {
            let (token, permission) = scratch::two_strs(buffer, token_len, permission_len)?;
            let authz = self.loaded_authz()?;
            let now = seconds(now);
            let answer = tessera_core::authorize_external(
                authz,
                token_keys,
                rules,
                token,
                permission,
                now,
                signature_valid,
            )?;
            scratch::put_answer(buffer, 0, &answer_lines(&answer), &[])
        }))
    }
}

/// Whether the token is the synchronous path's: HMAC keys are secrets WebCrypto
/// is not given.
fn is_hmac(prepared: &ExternalSignature<'_, '_>) -> bool {
    prepared.algorithm.min_secret_len().is_some()
}

/// What WebCrypto needs of a prepared token: the algorithm, the key id and the
/// signature, taken out so the token (in the scratch buffer) is no longer borrowed.
/// The wrapper finds them after its inputs, as lines then bytes, and the signed
/// bytes at the buffer's start, where the token still is.
fn webcrypto_parts<'k>(prepared: ExternalSignature<'_, 'k>) -> (&'static str, &'k str, Vec<u8>) {
    (prepared.algorithm.name(), prepared.kid, prepared.signature)
}

/// An answer as the lines `reason`, `subject`, `role`, `pattern` (absent ones
/// empty; all ASCII, as reasons and identifiers are).
fn answer_lines<'a>(answer: &'a Authorization<'_>) -> [&'a str; 4] {
    let decision = match answer {
        Authorization::Decided { decision, .. } => Some(decision),
        _ => None,
    };
    let role = decision.and_then(|d| d.role()).unwrap_or_default();
    let pattern = decision.and_then(|d| d.pattern()).unwrap_or_default();
    [answer.reason(), answer.subject().unwrap_or_default(), role, pattern]
}
