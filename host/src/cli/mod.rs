//! The `tessera` command line: argument definitions and dispatch. One file per
//! command group does the work.
//!
//! Exit codes: 0 ok or allowed, 1 denied, 2 usage error, 3 any other error.

mod check;
mod keys;
mod output;
mod snapshot;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand};

pub use output::Output;

/// Tessera: roles, permissions and signed policy snapshots.
#[derive(Debug, Parser)]
#[command(name = "tessera", version, about, propagate_version = true)]
pub struct Cli {
    /// Print machine-readable JSON instead of text (errors too).
    #[arg(long, global = true)]
    pub json: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage snapshot-signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Build and inspect signed policy snapshots.
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// Decide whether USER holds PERMISSION (exit 0 allowed, 1 denied).
    Check(CheckArgs),
}

/// `tessera keys ...`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate an Ed25519 signing key and write it, as a private JWK, to a file of mode 0600.
    Generate {
        /// Where to write the private key.
        #[arg(long)]
        out: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Print the public JWK (with its kid) of a key file.
    Public {
        /// A key file from `tessera keys generate`.
        keyfile: PathBuf,
    },
}

/// `tessera snapshot ...`
#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Compile a policy file (YAML or JSON) into a signed snapshot.
    Build(BuildArgs),
    /// Show what a snapshot holds; verifies it when given a key.
    Inspect(InspectArgs),
}

/// Arguments of `tessera snapshot build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The policy file.
    pub policy: PathBuf,
    /// The private signing key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Where to write the snapshot.
    #[arg(long)]
    pub out: PathBuf,
    /// Revision number (must grow with every build); defaults to the current time in milliseconds.
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
pub struct InspectArgs {
    /// The snapshot file.
    pub snapshot: PathBuf,
    /// Key file (public or private) to verify the signature with.
    #[arg(long, env = "AUTH_SNAPSHOT_KEY_FILE")]
    pub key: Option<PathBuf>,
    /// Also print the policy, as a policy-as-code document.
    #[arg(long)]
    pub policy: bool,
}

/// Arguments of `tessera check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The signed snapshot to decide from.
    #[arg(long)]
    pub snapshot: PathBuf,
    /// Key file (public or private) trusted to have signed the snapshot.
    #[arg(long, env = "AUTH_SNAPSHOT_KEY_FILE")]
    pub key: PathBuf,
    /// The user.
    pub user: String,
    /// The permission.
    pub permission: String,
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let out = Output::new(cli.json);
    let result = match cli.command {
        Command::Keys(KeysCommand::Generate { out: path, force }) => keys::generate(&out, &path, force),
        Command::Keys(KeysCommand::Public { keyfile }) => keys::public(&keyfile),
        Command::Snapshot(SnapshotCommand::Build(args)) => snapshot::build(&out, &args),
        Command::Snapshot(SnapshotCommand::Inspect(args)) => snapshot::inspect(&out, &args),
        Command::Check(args) => check::check(&out, &args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            out.error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}

/// Seconds since the Unix epoch: the host supplies the clock the core must not read.
fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `90s`, `30m`, `24h`, `7d` → seconds.
fn parse_duration(text: &str) -> Result<i64, String> {
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
    use super::parse_duration;

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
}
