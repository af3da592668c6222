//! The `tessera` binary: reads `.env`, parses arguments and dispatches, nothing else.

use std::process::ExitCode;

use clap::Parser;
use tessera_host::cli::{Cli, run};

/// jemalloc, not the system allocator: under hundreds of threads it returns freed
/// memory that glibc's allocator keeps (host/Cargo.toml).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // A `.env` file in the working directory fills in AUTH_* settings the environment
    // does not already set; a malformed one is an error, not silently half-read.
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("error[ERR_SETTING]: .env: {error}");
        return ExitCode::from(3);
    }
    let cli = Cli::parse();
    run(cli)
}
