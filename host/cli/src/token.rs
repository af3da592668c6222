//! `tessera token issue|verify` and `tessera apikey create|list|revoke`. Access tokens signed with AUTH_JWT_SECRET_KEY (HS256)
//! when it is set, else with the keyring's current token key (EdDSA or ES256).

use serde_json::{Map, json};
use tessera_core::{
    IdentifierKind, KeySet, TokenRequest, TokenSigner, ValidationOptions, validate_identifier, verify_token,
};

use crate::args::{ApiKeyCommand, TokenCommand};
use crate::error::CliError;
use crate::{Context, now};
use tessera_store::Entry;
use tessera_store::keyring::hmac_signer;

pub(super) fn run(ctx: &Context, command: TokenCommand) -> Result<u8, CliError> {
    match command {
        TokenCommand::Issue { sub, ttl } => issue(ctx, &sub, ttl),
        TokenCommand::Verify { token } => verify(ctx, &token),
    }
}

fn signer(ctx: &Context) -> Result<TokenSigner, CliError> {
    if let Some(secret) = &ctx.settings()?.jwt_secret {
        return Ok(hmac_signer(secret)?);
    }
    ctx.keyring()?.token_signer()?.ok_or_else(|| {
        CliError::Usage(
            "no token key: set AUTH_JWT_SECRET_KEY, or run `tessera init` (it creates an EdDSA key)".into(),
        )
    })
}

fn issue(ctx: &Context, subject: &str, ttl: Option<i64>) -> Result<u8, CliError> {
    validate_identifier(IdentifierKind::User, subject).map_err(CliError::Identifier)?;
    let settings = ctx.settings()?;
    let tenant = ctx.tenant()?;
    let signer = signer(ctx)?;
    // As `tessera serve` issues them: the tenant named by its key's digest in the
    // audience, never by the key itself (a token is handed to its user).
    let audience =
        [settings.audience.clone(), format!("urn:tessera:tenant:{}", tessera_store::key_digest(&tenant))];
    let request = TokenRequest {
        subject,
        issuer: &settings.issuer,
        audience: &audience,
        now: now(),
        ttl_seconds: ttl.unwrap_or(settings.access_token_minutes.saturating_mul(60)),
        token_type: "at+jwt",
        extra: Map::new(),
    };
    let issued = signer.issue(&request)?;
    let details = json!({"subject": subject, "expires_at": issued.expires_at, "kid": signer.kid()});
    ctx.store()?.record(
        &tenant,
        Some(&ctx.actor()),
        &Entry::new("token.issue", "token", issued.token_id.as_str(), details),
    )?;
    ctx.out.print(
        &json!({"token": issued.token, "token_id": issued.token_id, "expires_at": issued.expires_at, "kid": signer.kid()}),
        &issued.token,
    );
    Ok(0)
}

fn verify(ctx: &Context, token: &str) -> Result<u8, CliError> {
    let settings = ctx.settings()?;
    let mut keys: KeySet = ctx.keyring()?.token_keys()?;
    if let Some(secret) = &settings.jwt_secret {
        keys.add(hmac_signer(secret)?.verification_key())?;
    }
    let options = ValidationOptions {
        issuers: vec![settings.issuer.clone()],
        audiences: vec![settings.audience.clone()],
        ..ValidationOptions::default()
    };
    let claims = verify_token(token, &keys, &options, now())?;
    let value = json!({
        "valid": true, "sub": claims.subject, "iss": claims.issuer, "aud": claims.audience,
        "exp": claims.expires_at, "iat": claims.issued_at, "jti": claims.token_id,
    });
    ctx.out.print(
        &value,
        &format!(
            "valid: subject {}, expires at {}, id {}",
            claims.subject.as_deref().unwrap_or("-"),
            claims.expires_at,
            claims.token_id.as_deref().unwrap_or("-")
        ),
    );
    Ok(0)
}

pub(super) fn api_key(ctx: &Context, command: ApiKeyCommand) -> Result<u8, CliError> {
    let store = ctx.store()?;
    match command {
        ApiKeyCommand::Create { user, label, ttl } => {
            let expires_at = ttl.map(|ttl| now().saturating_add(ttl));
            let (info, secret) = store.create_api_key(&ctx.scope()?, &user, label.as_deref(), expires_at)?;
            ctx.out.print(
                &json!({"id": info.id, "user": info.user, "label": info.label, "expires_at": info.expires_at, "secret": secret.as_str()}),
                &format!("{}\n(API key {} for {user}: shown once, store it now; only its hash is kept)", secret.as_str(), info.id),
            );
        }
        ApiKeyCommand::List { user } => {
            let keys = store.api_keys(&ctx.tenant()?, user.as_deref())?;
            let text: Vec<String> = keys
                .iter()
                .map(|k| {
                    let state = if k.revoked_at.is_some() { "revoked" } else { "active" };
                    format!("{}  {:<20} {:<24} {state}", k.id, k.user, k.label.as_deref().unwrap_or("-"))
                })
                .collect();
            ctx.out.print(&json!(keys), &text.join("\n"));
        }
        ApiKeyCommand::Revoke { id } => {
            store.revoke_api_key(&ctx.scope()?, &id)?;
            ctx.out.print(&json!({"id": id, "revoked": true}), &format!("revoked API key {id}"));
        }
    }
    Ok(0)
}
