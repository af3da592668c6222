//! The `tessera` binary: parses arguments and dispatches, nothing else.

use std::process::ExitCode;

use clap::Parser;
use tessera_host::cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    run(cli)
}
