//! Prints the resource-model benchmark tenant's policy document (JSON) to stdout:
//! the same tenant `cargo bench -p tessera-core --bench resources` builds, for the
//! benchmarks outside Rust (`js/bench/resources.mjs`).
//!
//!   cargo run --release -p tessera-conformance --example resource_tenant [SEED] > tenant.json

#![allow(clippy::print_stdout, reason = "the document is the output")]

use tessera_conformance::synthetic;

fn main() {
    let seed = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(11);
    println!("{}", synthetic::resource_tenant_json(seed));
}
