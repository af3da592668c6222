//! The `tessera` binary: the command line over the store, the runtime and the server.
//! It reads `.env`, parses the arguments, runs one command and maps what went wrong
//! to an exit code in one place ([`error::CliError::exit_code`]).
//!
//! Exit codes: 0 ok or allowed, 1 denied, 2 usage error, 3 any other error.

mod args;
mod audit;
mod check;
mod context;
mod edit;
mod error;
mod files;
mod init;
mod keys;
mod output;
mod serve;
mod snapshot;
mod token;

use std::process::ExitCode;

use clap::Parser;
use tessera_server::settings::SettingsError;
// The host's clock, which the core must not read: the store's, so rows and commands agree.
use tessera_store::now;

use args::{AuditCommand, Cli, Command, SnapshotCommand};
use context::Context;
use error::CliError;
use output::Output;

/// jemalloc, not the system allocator: under hundreds of threads it returns freed
/// memory that glibc's allocator keeps (host/cli/Cargo.toml).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // A `.env` file in the working directory fills in AUTH_* settings the environment
    // does not already set; a malformed one is an error, not silently half-read.
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        let error = CliError::Settings(dot_env_error(&error));
        eprintln!("error[{}]: {error}", error.code());
        return ExitCode::from(error.exit_code());
    }
    run(Cli::parse())
}

/// Says where `.env` is malformed without repeating the line: it may hold a secret.
fn dot_env_error(error: &dotenvy::Error) -> SettingsError {
    let message = match error {
        dotenvy::Error::LineParse(line, at) => {
            let number = std::fs::read_to_string(".env")
                .ok()
                // dotenvy reports the part of the line it was reading, not always all of it.
                .and_then(|text| text.lines().position(|l| !line.is_empty() && l.contains(line.as_str())))
                .map_or_else(String::new, |n| format!("line {}, ", n + 1));
            format!("malformed at {number}character {}", at + 1)
        }
        dotenvy::Error::Io(e) => e.to_string(),
        _ => "unreadable".to_owned(),
    };
    SettingsError { name: ".env", message, code: "ERR_SETTING" }
}

/// Runs a parsed command line and returns the process exit code.
fn run(cli: Cli) -> ExitCode {
    let out = Output::new(cli.json);
    let ctx = Context::new(out, cli.tenant, std::env::var("AUTH_ACTOR").ok().filter(|a| !a.is_empty()));
    let result = match cli.command {
        Command::Init => init::init(&ctx),
        Command::Role(command) => edit::role(&ctx, command),
        Command::Perm(command) => edit::perm(&ctx, command),
        Command::Member(command) => edit::member(&ctx, command),
        Command::Check(args) => check::check(&ctx, &args),
        Command::Query(args) => check::query(&ctx, &args),
        Command::Import(args) => edit::import(&ctx, &args),
        Command::Export(args) => edit::export(&ctx, &args),
        Command::Snapshot(SnapshotCommand::Build(args)) => snapshot::build(&ctx, &args),
        Command::Snapshot(SnapshotCommand::Inspect(args)) => snapshot::inspect(&ctx, &args),
        Command::Keys(command) => keys::run(&ctx, command),
        Command::Token(command) => token::run(&ctx, command),
        Command::Apikey(command) => token::api_key(&ctx, command),
        Command::Settings(args) => edit::settings(&ctx, &args),
        Command::Audit(AuditCommand::Query(args)) => audit::query(&ctx, &args),
        Command::Audit(AuditCommand::Verify { all }) => audit::verify(&ctx, all),
        Command::Reencrypt(args) => init::reencrypt(&ctx, &args),
        Command::Serve(args) => serve::run(&ctx, &args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            out.error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}
