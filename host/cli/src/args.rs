//! The `tessera` command line's arguments (clap definitions). One file per command
//! group does the work; `main.rs` dispatches.
//!
//! Exit codes: 0 ok or allowed, 1 denied, 2 usage error, 3 any other error.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use tessera_store::keyring::KeyKind;

/// Tessera: roles, permissions, memberships and signed policy snapshots.
///
/// Settings come from AUTH_* environment variables (and a `.env` file): the database
/// (AUTH_DATABASE_URL, AUTH_POSTGRESQL_URL; SQLite in the data directory by default),
/// AUTH_ENABLE_ENCRYPTION, AUTH_ENCRYPTION_KEY, AUTH_JWT_SECRET_KEY,
/// AUTH_ENABLE_AUDIT_LOGGING, AUTH_AUDIT_CHECKS, AUTH_DEBUG_MODE, AUTH_ACTOR (who the
/// audit log names for changes made here; default `cli:$USER`). Exit codes: 0 ok or
/// allowed, 1 denied, 2 usage error, 3 any other error.
#[derive(Debug, Parser)]
#[command(name = "tessera", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// Print machine-readable JSON instead of text (errors too).
    #[arg(long, global = true)]
    pub json: bool,
    /// The tenant (client key, a UUID4); optional when the store has only one.
    #[arg(long, global = true, env = "AUTH_CLIENT_KEY")]
    pub tenant: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create the database, the keyring (a snapshot key and a token key) and a tenant.
    Init,
    /// Add, delete and list roles.
    #[command(subcommand)]
    Role(RoleCommand),
    /// Grant, revoke and deny permissions of roles.
    #[command(subcommand)]
    Perm(PermCommand),
    /// Add users to roles and remove them.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Decide whether USER holds PERMISSION, or may do ACTION on RESOURCE (`type:id`)
    /// (exit 0 allowed, 1 denied), from the store or from a snapshot file.
    Check(CheckArgs),
    /// Ask the policy a question (the same answers as Auth's REST queries).
    Query(QueryArgs),
    /// Replace the tenant's policy with a policy-as-code file (YAML or JSON).
    Import(ImportArgs),
    /// Print the tenant's policy as a policy-as-code document.
    Export(ExportArgs),
    /// Build and inspect signed policy snapshots.
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// Manage keys: snapshot signing, token signing, data encryption.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Issue and verify access tokens (JWT).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Create, list and revoke users' API keys.
    #[command(subcommand)]
    Apikey(ApiKeyCommand),
    /// Show the tenant's settings, or change them (Auth's `/api/settings`).
    Settings(SettingsArgs),
    /// Query the audit log and verify its hash chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Move every encrypted column to the newest data key, in resumable batches.
    Reencrypt(ReencryptArgs),
    /// Serve the HTTP API (Auth's REST routes, snapshots) until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
}

/// `tessera settings`
#[derive(Debug, Args)]
pub(crate) struct SettingsArgs {
    /// Strict users: only users holding a live API key get a yes (`user_not_key_backed`
    /// for everyone else). A tenant that never set it follows AUTH_STRICT_USERS_DEFAULT.
    #[arg(long, action = clap::ArgAction::Set)]
    pub strict_users: Option<bool>,
}

/// `tessera serve`
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "AUTH_BIND", default_value = "127.0.0.1:4000")]
    pub bind: std::net::SocketAddr,
    /// `json` (default: one JSON object per line) or `text`.
    #[arg(long, value_parser = ["json", "text"])]
    pub log_format: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, env = "AUTH_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "AUTH_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// `tessera role ...`
#[derive(Debug, Subcommand)]
pub(crate) enum RoleCommand {
    /// Add a role.
    Add {
        /// The role name (`^[A-Za-z0-9_-]{1,64}$`).
        name: String,
        /// Free text shown to administrators.
        #[arg(long)]
        description: Option<String>,
        /// A role this one inherits from (repeatable).
        #[arg(long = "parent")]
        parents: Vec<String>,
    },
    /// Delete a role with its grants, denies and memberships.
    Del {
        /// The role name.
        name: String,
    },
    /// List the roles.
    List,
}

/// `tessera perm ...`
#[derive(Debug, Subcommand)]
pub(crate) enum PermCommand {
    /// Grant a permission (or a pattern such as `posts:*`) to a role.
    Grant {
        /// The role.
        role: String,
        /// The permission or pattern.
        permission: String,
    },
    /// Take a grant (or, with --deny, a deny) away from a role.
    Revoke {
        /// The role.
        role: String,
        /// The permission or pattern.
        permission: String,
        /// Remove a deny instead of a grant.
        #[arg(long)]
        deny: bool,
    },
    /// Deny a permission to a role: a deny beats any grant, inherited ones included.
    Deny {
        /// The role.
        role: String,
        /// The permission or pattern.
        permission: String,
    },
}

/// `tessera member ...`
#[derive(Debug, Subcommand)]
pub(crate) enum MemberCommand {
    /// Make a user a member of a role.
    Add {
        /// The user (`^[A-Za-z0-9_.@+|:-]{1,64}$`).
        user: String,
        /// The role.
        role: String,
    },
    /// Remove a user from a role.
    Del {
        /// The user.
        user: String,
        /// The role.
        role: String,
    },
}

/// Arguments of `tessera check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Where the policy comes from: the store, or a snapshot file.
    #[command(flatten)]
    pub source: SourceArgs,
    /// The user.
    pub user: String,
    /// The permission; with RESOURCE, the action on it.
    pub permission: String,
    /// The resource (`type:id`) the action is on; without it the check is tenant-wide.
    pub resource: Option<String>,
    /// Request attributes: JSON `{"subject"?, "resource"?, "action"?, "context"?}`,
    /// each a map of strings, integers, booleans and lists of strings.
    #[arg(long, value_name = "JSON")]
    pub attributes: Option<String>,
    /// The request's context attributes (JSON map); replaces `context` in --attributes.
    #[arg(long, value_name = "JSON")]
    pub context: Option<String>,
}

/// Where `check` and `query` take the policy from.
#[derive(Debug, Args)]
pub(crate) struct SourceArgs {
    /// Decide from this signed snapshot file instead of the store.
    #[arg(long, requires = "key")]
    pub snapshot: Option<PathBuf>,
    /// Key file (public or private) trusted to have signed the snapshot.
    #[arg(long, env = "AUTH_SNAPSHOT_KEY_FILE")]
    pub key: Option<PathBuf>,
}

/// Which question `tessera query` asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum QueryKind {
    /// Effective grant patterns of a user.
    UserPermissions,
    /// Direct roles of a user.
    UserRoles,
    /// Effective grant patterns of a role (with inherited ones).
    RolePermissions,
    /// Direct members of a role.
    RoleMembers,
    /// Roles whose closure allows a permission.
    WhichRolesCan,
    /// Users allowed a permission.
    WhichUsersCan,
    /// Actions USER may do on RESOURCE (`type:id`): `actions USER RESOURCE`.
    Actions,
    /// Stored resources of TYPE that USER may ACTION: `resources USER ACTION TYPE`.
    Resources,
    /// Users who may ACTION on RESOURCE: `subjects ACTION RESOURCE`.
    Subjects,
}

/// Arguments of `tessera query`.
#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    /// The question.
    pub kind: QueryKind,
    /// What it is about: a user, role or permission; for `actions`, `resources` and
    /// `subjects` the arguments their help names.
    #[arg(required = true, num_args = 1..=3)]
    pub args: Vec<String>,
    /// Where the policy comes from: the store, or a snapshot file.
    #[command(flatten)]
    pub source: SourceArgs,
    /// For searches: start after this item (the `next` of the previous page).
    #[arg(long)]
    pub after: Option<String>,
    /// For searches: the most items to return (default 100).
    #[arg(long)]
    pub limit: Option<u32>,
    /// For searches: request attributes, as for `check`.
    #[arg(long, value_name = "JSON")]
    pub attributes: Option<String>,
    /// For searches: the request's context attributes (JSON map).
    #[arg(long, value_name = "JSON")]
    pub context: Option<String>,
}

/// Arguments of `tessera import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The policy file (YAML or JSON); its tenant is created if the store lacks it.
    pub file: PathBuf,
}

/// Arguments of `tessera export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `tessera snapshot ...`
#[derive(Debug, Subcommand)]
pub(crate) enum SnapshotCommand {
    /// Compile the tenant's policy (or a policy file) into a signed snapshot.
    Build(BuildArgs),
    /// Show what a snapshot holds; verifies it with a key file or the keyring.
    Inspect(InspectArgs),
}

/// Arguments of `tessera snapshot build`.
#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    /// A policy file; without it, the tenant's policy in the store.
    pub policy: Option<PathBuf>,
    /// Private signing key file; without it, the keyring's current snapshot key.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Where to write the snapshot.
    #[arg(long)]
    pub out: PathBuf,
    /// Revision number (must grow with every build); defaults to the store's revision,
    /// or for a policy file the current time in milliseconds.
    #[arg(long)]
    pub revision: Option<u64>,
    /// Validity, e.g. `30m`, `24h`, `7d`; without it the snapshot does not expire.
    #[arg(long, value_parser = parse_duration)]
    pub ttl: Option<i64>,
    /// Encrypt the payload with AES-256-GCM using AUTH_ENCRYPTION_KEY (base64 of 32 bytes).
    #[arg(long)]
    pub encrypt: bool,
}

/// Arguments of `tessera snapshot inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The snapshot file.
    pub snapshot: PathBuf,
    /// Key file (public or private) to verify the signature with; without it, the
    /// keyring's snapshot keys when there is a keyring.
    #[arg(long, env = "AUTH_SNAPSHOT_KEY_FILE")]
    pub key: Option<PathBuf>,
    /// Also print the policy, as a policy-as-code document.
    #[arg(long)]
    pub policy: bool,
}

/// `tessera keys ...`
#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Generate a key and write it to a new file of mode 0600 (not into the keyring).
    Generate {
        /// Where to write the key.
        #[arg(long)]
        out: PathBuf,
        /// What kind: `snapshot` (Ed25519 private JWK), `data` (base64 for
        /// AUTH_ENCRYPTION_KEY), `jwt-secret` (for AUTH_JWT_SECRET_KEY).
        #[arg(long, value_enum, default_value = "snapshot")]
        kind: GenerateKind,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Print the public JWK (with its kid) of a key file.
    Public {
        /// A key file from `tessera keys generate`.
        keyfile: PathBuf,
    },
    /// List the keyring's keys (ids, kinds, dates; never secrets).
    List,
    /// Add a new key of a kind to the keyring; it signs or encrypts from now on, and
    /// older keys keep verifying or decrypting until retired.
    Rotate {
        /// Which kind.
        #[arg(long, default_value = "snapshot", value_parser = key_kind())]
        kind: KeyKind,
    },
    /// Retire a key: it no longer verifies or decrypts.
    Retire {
        /// The key id (base64url, so it may start with `-`).
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
}

/// What `keys generate` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum GenerateKind {
    /// An Ed25519 snapshot-signing key, as a private JWK.
    Snapshot,
    /// An AES-256 data key, as base64 (a value for AUTH_ENCRYPTION_KEY).
    Data,
    /// A 64-byte random secret, as base64url (a value for AUTH_JWT_SECRET_KEY).
    JwtSecret,
}

/// `tessera token ...`
#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Issue an access token for a user (prints the token on standard output).
    Issue {
        /// The user the token speaks for.
        #[arg(long)]
        sub: String,
        /// Lifetime, e.g. `15m`, `1h` (default AUTH_JWT_ACCESS_TOKEN_EXPIRE_MINUTES).
        #[arg(long, value_parser = parse_duration)]
        ttl: Option<i64>,
    },
    /// Verify a token's signature and claims; exit 0 valid, 1 invalid.
    Verify {
        /// The token.
        token: String,
    },
}

/// `tessera apikey ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ApiKeyCommand {
    /// Create an API key for a user; its secret is printed once and never stored.
    Create {
        /// The user the key speaks for.
        #[arg(long)]
        user: String,
        /// What the key is for (`^[A-Za-z0-9 _.-]{1,64}$`).
        #[arg(long)]
        label: Option<String>,
        /// Lifetime, e.g. `90d`; without it the key lives until revoked.
        #[arg(long, value_parser = parse_duration)]
        ttl: Option<i64>,
    },
    /// List API keys (ids, users, labels, dates; never secrets).
    List {
        /// Only this user's keys.
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke an API key by its id (`ak...`).
    Revoke {
        /// The key's id.
        id: String,
    },
}

/// `tessera audit ...`
#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Show audit rows, newest first.
    Query(AuditQueryArgs),
    /// Recompute the hash chain and name the first row that does not fit (exit 1).
    Verify {
        /// Verify every tenant and the installation's own chain.
        #[arg(long)]
        all: bool,
    },
}

/// Arguments of `tessera audit query`.
#[derive(Debug, Args)]
pub(crate) struct AuditQueryArgs {
    /// Only this action (`role.add`, `member.add`, `check`, ...).
    #[arg(long)]
    pub action: Option<String>,
    /// Only this entity type (`role`, `permission`, `membership`, ...).
    #[arg(long)]
    pub entity_type: Option<String>,
    /// Only this actor (the user of a check, `cli:NAME` for CLI changes, ...).
    #[arg(long)]
    pub actor: Option<String>,
    /// Only the last N hours.
    #[arg(long)]
    pub hours: Option<u32>,
    /// At most N rows.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    /// The installation's own chain (key rotation, re-encryption) instead of a tenant's.
    #[arg(long)]
    pub system: bool,
}

/// Arguments of `tessera reencrypt`.
#[derive(Debug, Args)]
pub(crate) struct ReencryptArgs {
    /// Rows per transaction.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
}

/// A keyring key kind, by the name the keyring gives it.
fn key_kind() -> impl TypedValueParser<Value = KeyKind> {
    PossibleValuesParser::new(KeyKind::ALL.map(KeyKind::name))
        .try_map(|name| KeyKind::from_name(&name).ok_or("not a key kind"))
}

/// `90s`, `30m`, `24h`, `7d` → seconds.
pub(crate) fn parse_duration(text: &str) -> Result<i64, String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 =
        number.parse().map_err(|_| format!("`{text}` is not a duration like 30m, 24h or 7d"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{text}`: the unit must be s, m, h or d")),
    };
    number.checked_mul(scale).filter(|&s| s > 0).ok_or_else(|| format!("`{text}` is out of range"))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command, KeysCommand, parse_duration};

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("30m"), Ok(1800));
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert!(parse_duration("7").is_err());
        assert!(parse_duration("0h").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("99999999999999999d").is_err());
    }

    #[test]
    fn a_key_id_may_start_with_a_hyphen() {
        // Key ids are base64url: one in 64 starts with `-` (seen failing in CI).
        let cli =
            Cli::try_parse_from(["tessera", "keys", "retire", "-_vOKLh6UlgR7IBygI2uV1uDRMALn0gP76PjOwd0d1g"]);
        let Ok(Cli { command: Command::Keys(KeysCommand::Retire { kid }), .. }) = cli else {
            panic!("not parsed as a key id: {cli:?}");
        };
        assert_eq!(kid, "-_vOKLh6UlgR7IBygI2uV1uDRMALn0gP76PjOwd0d1g");
    }
}
