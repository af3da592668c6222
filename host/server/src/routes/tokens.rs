//! Tokens, which the seed system's documentation promised and never built:
//! `POST /api/token` (grant `password` or `api_key`) → an access and a refresh JWT;
//! `POST /api/token/refresh` (rotation; a reused refresh token revokes its family);
//! `POST /api/token/revoke`; `GET /.well-known/jwks.json`; `POST /api/authorize`
//! (token + permission → the guest's decision). Passwords: `PUT` and `DELETE
//! /api/users/{user}/password`.
//!
//! Tokens carry `iss`, `aud` (AUTH_JWT_AUDIENCE plus the tenant's own audience,
//! `urn:tessera:tenant:<hex SHA-256 of the client key>`, so a token of one tenant is
//! refused by every other), `sub`, `jti`, `iat`, `exp`; never the client key.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tessera_core::IdentifierKind::{Permission, User};
use tessera_core::TokenRequest;
use zeroize::Zeroizing;

use super::{Caller, required_json, valid};
use crate::app::{App, tenant_audience};
use crate::gate::ClientKey;
use crate::reply::ApiError;
use tessera_store::{KeyStatus, Login, RefreshOutcome, Scope, now};

type AppState = State<Arc<App>>;

fn invalid_grant(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "ERR_INVALID_GRANT", message)
}

fn random_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal("ERR_CRYPTO", &e))?;
    Ok(Base64UrlUnpadded::encode_string(&bytes))
}

/// Signs an access token and a refresh token of `family` for `subject`, stores the
/// refresh token, and answers in OAuth 2.0's shape (RFC 6749 §5.1).
async fn issue(
    app: &Arc<App>,
    key: &str,
    actor: String,
    subject: &str,
    family: &str,
) -> Result<Response, ApiError> {
    let (access, refresh) = sign_pair(app, key, subject, family)?;
    let scope = Scope { tenant: key.to_owned(), actor };
    let (jti, fam, sub, exp) =
        (refresh.token_id.clone(), family.to_owned(), subject.to_owned(), refresh.expires_at);
    app.blocking(move |store| store.store_refresh(&scope, &jti, &fam, &sub, exp)).await?;
    Ok(token_response(app, &access, &refresh))
}

/// An access token and a refresh token of `family` for `subject`.
fn sign_pair(
    app: &App,
    key: &str,
    subject: &str,
    family: &str,
) -> Result<(tessera_core::IssuedToken, tessera_core::IssuedToken), ApiError> {
    let settings = &app.settings;
    let audience = [settings.audience.clone(), tenant_audience(key)];
    let now = now();
    let request = |ttl: i64, token_type: &'static str, extra: Map<String, Value>| TokenRequest {
        subject,
        issuer: &settings.issuer,
        audience: &audience,
        now,
        ttl_seconds: ttl,
        token_type,
        extra,
    };
    // The tenant is named by the audience alone: a token goes to its user, so it
    // carries nothing of the client key.
    let access_extra = Map::new();
    let mut refresh_extra = Map::new();
    refresh_extra.insert("fam".into(), family.into());
    let signer = &app.tokens.signer;
    let failed = |e: tessera_core::KeyError| ApiError::internal("ERR_TOKEN_SIGNING", &e);
    let access = signer
        .issue(&request(settings.access_token_minutes.saturating_mul(60), "at+jwt", access_extra))
        .map_err(failed)?;
    let refresh = signer
        .issue(&request(settings.refresh_token_days.saturating_mul(86_400), "refresh+jwt", refresh_extra))
        .map_err(failed)?;
    Ok((access, refresh))
}

fn token_response(
    app: &App,
    access: &tessera_core::IssuedToken,
    refresh: &tessera_core::IssuedToken,
) -> Response {
    let body = json!({
        "access_token": access.token, "token_type": "Bearer",
        "expires_in": app.settings.access_token_minutes.saturating_mul(60),
        "refresh_token": refresh.token,
        "refresh_expires_in": app.settings.refresh_token_days.saturating_mul(86_400),
    });
    ([(axum::http::header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenBody {
    grant_type: String,
    username: Option<String>,
    password: Option<Zeroizing<String>>,
    api_key: Option<Zeroizing<String>>,
}

pub(crate) async fn token(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    const SHAPE: &str =
        r#"{"grant_type": "password", "username", "password"} or {"grant_type": "api_key", "api_key"}"#;
    let body: TokenBody = required_json(&body, SHAPE)?;
    let subject = match body.grant_type.as_str() {
        "password" => {
            let (Some(user), Some(password)) = (body.username, body.password) else {
                return Err(ApiError::bad_request(
                    "ERR_INVALID_BODY",
                    format!("JSON body required: {SHAPE}"),
                ));
            };
            valid(User, &user)?;
            password_login(&app, &key, &actor, &user, password).await?;
            user
        }
        "api_key" => {
            let secret = body.api_key.ok_or_else(|| {
                ApiError::bad_request("ERR_INVALID_BODY", format!("JSON body required: {SHAPE}"))
            })?;
            let tenant = key.clone();
            match app.blocking(move |store| store.api_key_status(&tenant, &secret)).await? {
                KeyStatus::Valid(info) => info.user,
                _ => {
                    app.metrics.token_failure("ERR_INVALID_GRANT");
                    return Err(invalid_grant("The API key is not valid (unknown, revoked or expired)."));
                }
            }
        }
        other => {
            let shown: String = other.chars().take(40).collect();
            return Err(ApiError::bad_request(
                "ERR_UNSUPPORTED_GRANT_TYPE",
                format!("grant_type `{shown}` is not supported: use password or api_key"),
            ));
        }
    };
    let family = random_id()?;
    issue(&app, &key, actor, &subject, &family).await
}

/// Checks `password` against the user's hash (argon2id, off the async threads) and
/// records the attempt; a locked user is refused before any hash is computed.
async fn password_login(
    app: &Arc<App>,
    key: &str,
    actor: &str,
    user: &str,
    password: Zeroizing<String>,
) -> Result<(), ApiError> {
    let (tenant, name) = (key.to_owned(), user.to_owned());
    let stored = app.read_tenant(move |store| store.password_hash(&tenant, &name)).await?;
    let locked = |until: i64| {
        let wait = (until - now()).max(1);
        let mut response = ApiError::new(
            StatusCode::FORBIDDEN,
            "ERR_ACCOUNT_LOCKED",
            "Too many failed logins; the account is locked for now.",
        )
        .with_details(json!({"retry_after_seconds": wait}))
        .into_response();
        response.headers_mut().insert(RETRY_AFTER, wait.into());
        response
    };
    let Some((hash, locked_until)) = stored else {
        // As slow as a real check, so timing does not tell which users exist.
        let _ =
            tokio::task::spawn_blocking(move || crate::password::verify(&password, crate::password::decoy()))
                .await;
        app.metrics.token_failure("ERR_INVALID_GRANT");
        return Err(invalid_grant("Wrong user name or password."));
    };
    if let Some(until) = locked_until.filter(|until| *until > now()) {
        app.metrics.token_failure("ERR_ACCOUNT_LOCKED");
        return Err(LoginRefusal(locked(until)).into());
    }
    let accepted = tokio::task::spawn_blocking(move || crate::password::verify(&password, &hash)).await?;
    let (scope, name) = (Scope { tenant: key.to_owned(), actor: actor.to_owned() }, user.to_owned());
    let (max, lockout) =
        (app.settings.login_max_attempts, app.settings.login_lockout_minutes.saturating_mul(60));
    match app.blocking(move |store| store.record_login(&scope, &name, accepted, max, lockout)).await? {
        Login::Accepted => Ok(()),
        Login::Refused { .. } => {
            app.metrics.token_failure("ERR_INVALID_GRANT");
            Err(invalid_grant("Wrong user name or password."))
        }
        Login::Locked { until } => {
            app.metrics.token_failure("ERR_ACCOUNT_LOCKED");
            Err(LoginRefusal(locked(until)).into())
        }
    }
}

/// A finished refusal response (with its Retry-After) carried through `?`.
struct LoginRefusal(Response);

impl From<LoginRefusal> for ApiError {
    fn from(refusal: LoginRefusal) -> Self {
        ApiError::prebuilt(refusal.0)
    }
}

/// The refresh token's claims, verified natively with the same core as the guest:
/// signature, `iss`, the tenant's audience, `typ` = `refresh+jwt`, expiry.
fn verify_refresh(app: &App, key: &str, token: &str) -> Result<(String, String, String), ApiError> {
    let digest = tessera_store::key_digest(key);
    let claims = app.verify_tenant_token(token, &digest, Some("refresh+jwt")).map_err(|e| {
        app.metrics.token_failure(e.code());
        invalid_grant(&format!("The refresh token is not valid ({}).", e.code()))
    })?;
    let all = claims.all();
    let text = |name: &str| all.get(name).and_then(Value::as_str).map(str::to_owned);
    match (claims.subject.clone(), claims.token_id.clone(), text("fam")) {
        (Some(subject), Some(jti), Some(family)) => Ok((subject, jti, family)),
        _ => Err(invalid_grant("The refresh token lacks sub, jti or fam.")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshBody {
    refresh_token: Zeroizing<String>,
}

pub(crate) async fn refresh(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: RefreshBody = required_json(&body, r#"{"refresh_token": "..."}"#)?;
    let (subject, jti, family) = verify_refresh(&app, &key, &body.refresh_token)?;
    let (access, refresh) = sign_pair(&app, &key, &subject, &family)?;
    let scope = Scope { tenant: key.clone(), actor };
    let (next, expires) = (refresh.token_id.clone(), refresh.expires_at);
    match app.blocking(move |store| store.rotate_refresh(&scope, &jti, &next, expires)).await? {
        RefreshOutcome::Rotated => Ok(token_response(&app, &access, &refresh)),
        RefreshOutcome::Reused => {
            app.metrics.token_failure("ERR_TOKEN_REUSED");
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "ERR_TOKEN_REUSED",
                "This refresh token was used before; its whole family is revoked. Log in again.",
            ))
        }
        RefreshOutcome::Invalid => {
            app.metrics.token_failure("ERR_TOKEN_REVOKED");
            Err(invalid_grant("The refresh token is revoked or unknown."))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevokeBody {
    token: Zeroizing<String>,
    /// RFC 7009's hint; both kinds are looked up whatever it says.
    #[serde(default, rename = "token_type_hint")]
    _hint: Option<String>,
}

/// RFC 7009: 200 whether or not the token was known. A refresh token revokes its
/// family; an access token is refused by `/api/authorize` until it expires.
pub(crate) async fn revoke(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: RevokeBody = required_json(&body, r#"{"token": "..."}"#)?;
    let scope = Scope { tenant: key.clone(), actor };
    if let Ok((_, jti, _)) = verify_refresh(&app, &key, &body.token) {
        app.blocking(move |store| store.revoke_refresh(&scope, &jti)).await?;
    } else if let Some((jti, exp)) = access_claims(&app, &key, &body.token) {
        app.blocking(move |store| store.revoke_access(&scope, &jti, exp)).await?;
    }
    Ok(Json(json!({"revoked": true})).into_response())
}

/// `jti` and `exp` of a valid access token of this tenant.
fn access_claims(app: &App, key: &str, token: &str) -> Option<(String, i64)> {
    let claims = app.verify_tenant_token(token, &tessera_store::key_digest(key), None).ok()?;
    Some((claims.token_id?, claims.expires_at))
}

pub(crate) async fn jwks(State(app): AppState) -> Response {
    ([(axum::http::header::CACHE_CONTROL, "public, max-age=300")], Json(app.tokens.public_jwks.clone()))
        .into_response()
}

/// The `jti` of a token whose signature was verified already.
fn token_id(token: &str) -> Option<String> {
    crate::gate::unverified_claims(token)?.get("jti")?.as_str().map(str::to_owned)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthorizeBody {
    token: Zeroizing<String>,
    permission: String,
}

/// The guest validates the token (with the tenant's audience) and decides for its
/// subject; a revoked access token and strict users are applied on top.
pub(crate) async fn authorize(
    State(app): AppState,
    ClientKey(key): ClientKey,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: AuthorizeBody = required_json(&body, r#"{"token": "...", "permission": "..."}"#)?;
    valid(Permission, &body.permission)?;
    let Some(tenant) = app.tenant(&key).await? else {
        return Ok(Json(json!({"allowed": false, "reason": "unknown_tenant"})).into_response());
    };
    let decided = tenant.authorizer.authorize(&body.token, &body.permission, None)?;
    let mut answer = json!(decided);
    answer["revision"] = tenant.view().revision.into();
    if decided.reason.starts_with("ERR_") {
        app.metrics.token_failure(&decided.reason);
        return Ok(Json(answer).into_response());
    }
    // The guest has verified the token, so its payload is the issuer's: read the
    // `jti` from it rather than verify the signature a second time.
    if let Some(jti) = token_id(&body.token)
        && app.blocking(move |store| store.access_revoked(&jti)).await?
    {
        app.metrics.token_failure("ERR_TOKEN_REVOKED");
        answer["allowed"] = false.into();
        answer["reason"] = "ERR_TOKEN_REVOKED".into();
    } else {
        app.metrics.decision(answer["allowed"] == true);
    }
    Ok(Json(answer).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordBody {
    password: Zeroizing<String>,
}

pub(crate) async fn set_password(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path(user): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    valid(User, &user)?;
    let body: PasswordBody = required_json(&body, r#"{"password": "..."}"#)?;
    if let Some(reason) = crate::password::weakness(&body.password) {
        return Err(ApiError::bad_request(
            "ERR_WEAK_PASSWORD",
            format!(
                "{reason} (at least 8 characters with an upper-case letter, a lower-case letter and a digit)"
            ),
        ));
    }
    let password = body.password;
    let hash = tokio::task::spawn_blocking(move || crate::password::hash(&password))
        .await?
        .map_err(|e| ApiError::internal("ERR_CRYPTO", &e))?;
    let name = user.clone();
    app.change(&key, actor, move |store, scope| store.set_password(scope, &name, &hash)).await?;
    Ok(Json(json!({"result": true, "user": user})).into_response())
}

pub(crate) async fn delete_password(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path(user): Path<String>,
) -> Result<Response, ApiError> {
    valid(User, &user)?;
    let deleted = app.change(&key, actor, move |store, scope| store.delete_password(scope, &user)).await?;
    Ok(Json(json!({"result": deleted})).into_response())
}
