//! The `AUTH_*` settings, read once from the environment (after a `.env` file, which
//! the binary loads first and which never overrides the real environment). Weak or
//! placeholder secrets are refused here, at start, unless `AUTH_DEBUG_MODE=true`.

use std::fmt;
use std::path::PathBuf;

use tessera_core::EncryptionKey;
use zeroize::Zeroizing;

use tessera_store::Location;

/// Shortest accepted `AUTH_JWT_SECRET_KEY`, in bytes (HS256 needs a 256-bit key).
pub const MIN_SECRET_BYTES: usize = 32;

/// Values people leave in configuration files: a secret equal to one of these, or
/// containing one of the marked ones, is refused.
const PLACEHOLDERS: &[&str] = &[
    "secret",
    "changeme",
    "change-me",
    "change_me",
    "dev-secret-key",
    "development",
    "password",
    "default",
    "example",
    "test",
    "testing",
    "your-secret-key",
    "secret-key",
    "supersecret",
    "jwt-secret",
    "insecure",
];
const PLACEHOLDER_PARTS: &[&str] =
    &["changeme", "change-me", "change_me", "dev-secret", "your-secret", "placeholder", "insecure"];

/// Everything the host reads from `AUTH_*`.
pub struct Settings {
    /// Where the default database and keyring live (`AUTH_DATA_DIR`, else
    /// `$XDG_DATA_HOME/tessera`, else `~/.local/share/tessera`).
    pub data_dir: PathBuf,
    /// The database (`AUTH_DATABASE_URL`, else `AUTH_POSTGRESQL_URL`, else the SQLite file).
    pub database: Location,
    /// The key file (`AUTH_KEYRING_FILE`, else `keyring.json` in the data directory).
    pub keyring_file: PathBuf,
    /// `AUTH_DEBUG_MODE`: weak secrets are accepted (with a warning).
    pub debug: bool,
    /// `AUTH_ENABLE_ENCRYPTION`: sensitive columns are stored encrypted.
    pub encryption: bool,
    /// `AUTH_ENCRYPTION_KEY`: data keys, newest first (comma-separated base64).
    pub encryption_keys: Vec<EncryptionKey>,
    /// `AUTH_JWT_SECRET_KEY`: the HMAC secret for tokens, when set.
    pub jwt_secret: Option<Zeroizing<String>>,
    /// `AUTH_JWT_ACCESS_TOKEN_EXPIRE_MINUTES` (default 15).
    pub access_token_minutes: i64,
    /// `AUTH_JWT_REFRESH_TOKEN_EXPIRE_DAYS` (default 7).
    pub refresh_token_days: i64,
    /// `AUTH_SUBJECT_SNAPSHOT_TTL`: seconds a subject-scoped snapshot (one user's,
    /// for browsers) stays valid (default 300). Shorter: a revoked grant leaves a
    /// page sooner; longer: fewer fetches.
    pub subject_snapshot_ttl: i64,
    /// `AUTH_JWT_ISSUER` (default `tessera`).
    pub issuer: String,
    /// `AUTH_JWT_AUDIENCE` (default `tessera`).
    pub audience: String,
    /// `AUTH_ENABLE_AUDIT_LOGGING` (default true).
    pub audit_logging: bool,
    /// `AUTH_AUDIT_CHECKS`: every check is audited, not only denied ones (default false).
    pub audit_checks: bool,
    /// `AUTH_STRICT_USERS_DEFAULT`: whether a tenant with no stored `strict_users`
    /// setting is strict (default true, as in Auth 3.x).
    pub strict_users_default: bool,
    /// `AUTH_AUDIT_DURABLE`: an audited decision is answered only after its record
    /// commits (default false: records are queued and written in batches, and dropped,
    /// counted, past 65,536 waiting).
    pub audit_durable: bool,
    /// `AUTH_LOGIN_MAX_ATTEMPTS`: failed password logins in a row before a lockout (default 5).
    pub login_max_attempts: i64,
    /// `AUTH_LOGIN_LOCKOUT_MINUTES`: how long a lockout lasts (default 30).
    pub login_lockout_minutes: i64,
    /// `AUTH_TRUSTED_PROXIES`: addresses of reverse proxies whose `X-Forwarded-For` is
    /// believed (comma-separated IPs); the client is then the last address in it that
    /// is not one of them. Empty (default): the peer address is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `AUTH_SNAPSHOT_ENCRYPTION`: snapshots served by `GET /api/snapshot` are
    /// encrypted (AES-256-GCM) with the current data key, not only signed (default false).
    pub snapshot_encryption: bool,
    /// `AUTH_REQUIRE_HTTPS`: `/api/*` and `/access/*` refuse requests that came neither over TLS nor
    /// with `X-Forwarded-Proto: https` (default false).
    pub require_https: bool,
    /// `AUTH_PUBLIC_URL`: the URL clients reach this server at (`https://pdp.example.com`,
    /// no path), which names the AuthZEN endpoints in
    /// `/.well-known/authzen-configuration`. Unset: the address each request was sent to.
    pub public_url: Option<String>,
    /// `AUTH_ALLOW_CORS`: browsers on other origins may call the API (default false).
    pub allow_cors: bool,
    /// `AUTH_CORS_ORIGINS`: the origins allowed (comma-separated; `*` for any, which
    /// then never comes with credentials). Empty with CORS on: none.
    pub cors_origins: Vec<String>,
    /// `AUTH_RATE_LIMIT_ENABLED` (default true), `AUTH_RATE_LIMIT_PER_CLIENT` (requests
    /// per minute per client key, default 60000) and `AUTH_RATE_LIMIT_PER_IP`
    /// (per peer address, default 120000).
    pub rate_limit: Option<RateLimits>,
    /// Things the operator should know (debug mode, audit off, weak secrets allowed).
    pub warnings: Vec<String>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database", &self.database.to_string())
            .field("keyring_file", &self.keyring_file)
            .field("encryption", &self.encryption)
            .field("encryption_keys", &self.encryption_keys.len())
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

/// Requests per minute allowed, each a token bucket with a minute's worth of burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Per client key.
    pub per_client: u32,
    /// Per peer address.
    pub per_ip: u32,
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// The variable.
    pub name: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
    /// `ERR_WEAK_SECRET` or `ERR_SETTING`.
    pub code: &'static str,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

impl std::error::Error for SettingsError {}

fn invalid(name: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError { name, message: message.into(), code: "ERR_SETTING" }
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_vars(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads settings through `var` (tests pass a map).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let flag = |name: &'static str, default: bool| -> Result<bool, SettingsError> {
            match var(name).map(|v| v.trim().to_ascii_lowercase()) {
                None => Ok(default),
                Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
                Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
                Some(v) => Err(invalid(name, format!("`{v}` is not a boolean (true or false)"))),
            }
        };
        let number = |name: &'static str, default: i64| -> Result<i64, SettingsError> {
            match var(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| invalid(name, format!("`{v}` is not a positive whole number"))),
            }
        };
        let debug = flag("AUTH_DEBUG_MODE", false)?;
        let mut warnings = Vec::new();
        if debug {
            warnings.push(
                "AUTH_DEBUG_MODE=true: weak secrets are accepted; never run like this in production".into(),
            );
        }
        let data_dir = match var("AUTH_DATA_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => default_data_dir()
                .ok_or_else(|| invalid("AUTH_DATA_DIR", "no home directory; set AUTH_DATA_DIR"))?,
        };
        let database = match var("AUTH_DATABASE_URL").or_else(|| var("AUTH_POSTGRESQL_URL")) {
            Some(url) => {
                Location::parse(url.trim()).map_err(|e| invalid("AUTH_DATABASE_URL", e.to_string()))?
            }
            None => Location::Sqlite(data_dir.join("tessera.db")),
        };
        let keyring_file =
            var("AUTH_KEYRING_FILE").map_or_else(|| data_dir.join("keyring.json"), PathBuf::from);
        let mut encryption_keys = Vec::new();
        if let Some(text) = var("AUTH_ENCRYPTION_KEY").map(Zeroizing::new) {
            for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let key = EncryptionKey::from_base64(part).map_err(|_| {
                    invalid(
                        "AUTH_ENCRYPTION_KEY",
                        "each key must be standard base64 of exactly 32 bytes (`openssl rand -base64 32`)",
                    )
                })?;
                if let Some(reason) = weak_key(&key) {
                    refuse_or_warn(debug, &mut warnings, "AUTH_ENCRYPTION_KEY", reason)?;
                }
                encryption_keys.push(key);
            }
        }
        let jwt_secret = var("AUTH_JWT_SECRET_KEY").map(Zeroizing::new);
        if let Some(reason) = jwt_secret.as_deref().and_then(|s| weak_secret(s)) {
            refuse_or_warn(debug, &mut warnings, "AUTH_JWT_SECRET_KEY", reason)?;
        }
        let audit_logging = flag("AUTH_ENABLE_AUDIT_LOGGING", true)?;
        if !audit_logging {
            warnings
                .push("AUTH_ENABLE_AUDIT_LOGGING=false: changes are not recorded in the audit log".into());
        }
        let cors_origins: Vec<String> = var("AUTH_CORS_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(bad) = cors_origins
            .iter()
            .find(|o| *o != "*" && !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(invalid(
                "AUTH_CORS_ORIGINS",
                format!("`{bad}` is not an origin such as https://app.example.com"),
            ));
        }
        let mut trusted_proxies = Vec::new();
        for part in var("AUTH_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let ip = part.parse().map_err(|_| {
                invalid("AUTH_TRUSTED_PROXIES", format!("`{part}` is not an IP address such as 10.0.0.2"))
            })?;
            trusted_proxies.push(ip);
        }
        let limit = |name: &'static str, default: i64| -> Result<u32, SettingsError> {
            number(name, default).and_then(|n| u32::try_from(n).map_err(|_| invalid(name, "too large")))
        };
        let rate_limit = if flag("AUTH_RATE_LIMIT_ENABLED", true)? {
            Some(RateLimits {
                per_client: limit("AUTH_RATE_LIMIT_PER_CLIENT", 60_000)?,
                per_ip: limit("AUTH_RATE_LIMIT_PER_IP", 120_000)?,
            })
        } else {
            None
        };
        let public_url = match var("AUTH_PUBLIC_URL") {
            None => None,
            Some(url) => Some(public_url(&url).ok_or_else(|| {
                invalid(
                    "AUTH_PUBLIC_URL",
                    format!("`{url}` is not an http(s) URL of a server without path, query or fragment, such as https://pdp.example.com"),
                )
            })?),
        };
        Ok(Self {
            public_url,
            login_max_attempts: number("AUTH_LOGIN_MAX_ATTEMPTS", 5)?,
            login_lockout_minutes: number("AUTH_LOGIN_LOCKOUT_MINUTES", 30)?,
            require_https: flag("AUTH_REQUIRE_HTTPS", false)?,
            trusted_proxies,
            snapshot_encryption: flag("AUTH_SNAPSHOT_ENCRYPTION", false)?,
            allow_cors: flag("AUTH_ALLOW_CORS", false)?,
            cors_origins,
            rate_limit,
            data_dir,
            database,
            keyring_file,
            debug,
            encryption: flag("AUTH_ENABLE_ENCRYPTION", false)?,
            encryption_keys,
            jwt_secret,
            access_token_minutes: number("AUTH_JWT_ACCESS_TOKEN_EXPIRE_MINUTES", 15)?,
            refresh_token_days: number("AUTH_JWT_REFRESH_TOKEN_EXPIRE_DAYS", 7)?,
            subject_snapshot_ttl: number("AUTH_SUBJECT_SNAPSHOT_TTL", 300)?,
            issuer: var("AUTH_JWT_ISSUER").unwrap_or_else(|| "tessera".into()),
            audience: var("AUTH_JWT_AUDIENCE").unwrap_or_else(|| "tessera".into()),
            audit_logging,
            audit_checks: flag("AUTH_AUDIT_CHECKS", false)?,
            audit_durable: flag("AUTH_AUDIT_DURABLE", false)?,
            strict_users_default: flag("AUTH_STRICT_USERS_DEFAULT", true)?,
            warnings,
        })
    }
}

/// A server's base URL: `http(s)://authority`, without a trailing slash.
fn public_url(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let (scheme, authority) = url.split_once("://")?;
    let usable = matches!(scheme, "http" | "https")
        && !authority.is_empty()
        && authority.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    usable.then(|| url.to_string())
}

fn refuse_or_warn(
    debug: bool,
    warnings: &mut Vec<String>,
    name: &'static str,
    reason: String,
) -> Result<(), SettingsError> {
    let how = match name {
        "AUTH_JWT_SECRET_KEY" => {
            "`tessera keys generate --kind jwt-secret --out FILE` (or `openssl rand -base64 48`)"
        }
        _ => "`tessera keys generate --kind data --out FILE` (or `openssl rand -base64 32`)",
    };
    if debug {
        warnings.push(format!("{name} is weak ({reason}); accepted only because AUTH_DEBUG_MODE=true"));
        return Ok(());
    }
    Err(SettingsError {
        name,
        message: format!(
            "refusing a weak secret ({reason}). Generate a strong one with {how}, \
             or set AUTH_DEBUG_MODE=true to allow it during development"
        ),
        code: "ERR_WEAK_SECRET",
    })
}

/// Why `secret` is too weak to sign tokens with, if it is.
pub fn weak_secret(secret: &str) -> Option<String> {
    let lower = secret.trim().to_ascii_lowercase();
    if PLACEHOLDERS.contains(&lower.as_str()) || PLACEHOLDER_PARTS.iter().any(|p| lower.contains(p)) {
        return Some("a well-known placeholder".into());
    }
    if secret.len() < MIN_SECRET_BYTES {
        return Some(format!("{} bytes, fewer than {MIN_SECRET_BYTES}", secret.len()));
    }
    let mut distinct: Vec<char> = secret.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 8 {
        return Some(format!("only {} distinct characters", distinct.len()));
    }
    None
}

/// Why a data key is too weak, if it is: 32 random bytes have ~30 distinct values.
fn weak_key(key: &EncryptionKey) -> Option<String> {
    let mut bytes = *key.to_secret_bytes();
    bytes.sort_unstable();
    let distinct = 1 + bytes.windows(2).filter(|w| w[0] != w[1]).count();
    zeroize::Zeroize::zeroize(&mut bytes);
    (distinct < 12).then(|| format!("only {distinct} distinct byte values: not random"))
}

fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("tessera"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share/tessera"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::from_vars(|name| map.get(name).cloned())
    }

    #[test]
    fn weak_secrets_are_refused_unless_debugging() {
        for weak in [
            "dev-secret-key",
            "changeme",
            "secret",
            "short",
            "please-changeme-before-production-now!",
            &"a".repeat(40),
        ] {
            let error = settings(&[("AUTH_DATA_DIR", "/tmp/x"), ("AUTH_JWT_SECRET_KEY", weak)]).unwrap_err();
            assert_eq!(error.code, "ERR_WEAK_SECRET", "{weak}");
            assert!(error.message.contains("tessera keys generate"), "{}", error.message);
            assert!(!error.to_string().contains(weak) || weak.len() < 8, "the secret must not be echoed");
            let debug = settings(&[
                ("AUTH_DATA_DIR", "/tmp/x"),
                ("AUTH_JWT_SECRET_KEY", weak),
                ("AUTH_DEBUG_MODE", "true"),
            ])
            .unwrap();
            assert!(debug.warnings.iter().any(|w| w.contains("AUTH_JWT_SECRET_KEY")));
        }
        let strong = "q8T2x9Lm4Vb7Nc1Zr6Yw3Ks5Jd0Hf8Ga2Pe4Uo7Ii";
        assert!(settings(&[("AUTH_DATA_DIR", "/tmp/x"), ("AUTH_JWT_SECRET_KEY", strong)]).is_ok());
        let zeros = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        assert_eq!(
            settings(&[("AUTH_DATA_DIR", "/tmp/x"), ("AUTH_ENCRYPTION_KEY", zeros)]).unwrap_err().code,
            "ERR_WEAK_SECRET"
        );
        assert_eq!(
            settings(&[("AUTH_DATA_DIR", "/tmp/x"), ("AUTH_ENCRYPTION_KEY", "bm90IGEga2V5")])
                .unwrap_err()
                .code,
            "ERR_SETTING"
        );
    }

    #[test]
    fn database_location_and_flags() {
        let s = settings(&[("AUTH_DATA_DIR", "/data")]).unwrap();
        assert_eq!(s.database, Location::Sqlite("/data/tessera.db".into()));
        assert!(s.audit_logging && !s.encryption && s.warnings.is_empty());
        let s = settings(&[("AUTH_DATA_DIR", "/d"), ("AUTH_POSTGRESQL_URL", "postgres://u@h/db")]).unwrap();
        assert_eq!(s.database, Location::Postgres("postgres://u@h/db".into()));
        let s = settings(&[
            ("AUTH_DATA_DIR", "/d"),
            ("AUTH_POSTGRESQL_URL", "postgres://u@h/db"),
            ("AUTH_DATABASE_URL", "sqlite:///x.db"),
        ])
        .unwrap();
        assert_eq!(s.database, Location::Sqlite("/x.db".into()));
        let s = settings(&[("AUTH_DATA_DIR", "/d"), ("AUTH_ENABLE_AUDIT_LOGGING", "false")]).unwrap();
        assert!(!s.audit_logging && s.warnings.iter().any(|w| w.contains("not recorded")));
        assert_eq!(
            settings(&[("AUTH_DATA_DIR", "/d"), ("AUTH_ENABLE_ENCRYPTION", "maybe")]).unwrap_err().name,
            "AUTH_ENABLE_ENCRYPTION"
        );
        assert!(settings(&[("AUTH_DATA_DIR", "/d"), ("AUTH_DATABASE_URL", "mysql://x")]).is_err());
    }
}
