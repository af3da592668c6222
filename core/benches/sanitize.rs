//! Run with: `cargo bench -p tessera-core --bench sanitize`
//!
//! Throughput of `escape`, `strip` and `inspect` on 1 KB and 100 KB of mixed text:
//! prose with some markup, an entity, a URL and a quoted name, repeated.

#![allow(clippy::unwrap_used, missing_docs, reason = "benchmark code")]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tessera_core::{SanitizeOptions, escape, inspect, strip};

const SAMPLE: &str = "Dear O'Brien, the <b>select committee</b> met on Tuesday &amp; agreed: see \
    https://example.com/report?id=42 for the drop-down menu changes (1 or 2 items). \
    <a href=\"/docs/guide\">Read the guide</a> before 5 < 10 p.m.\n";

fn text(len: usize) -> String {
    SAMPLE.repeat(len / SAMPLE.len() + 1).chars().take(len).collect()
}

fn bench(c: &mut Criterion) {
    let options = SanitizeOptions::default();
    let mut group = c.benchmark_group("sanitize");
    for (label, len) in [("1KB", 1024), ("100KB", 100 * 1024)] {
        let input = text(len);
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(format!("escape {label}"), |b| {
            b.iter(|| black_box(escape(black_box(&input), &options)))
        });
        group.bench_function(format!("strip {label}"), |b| {
            b.iter(|| black_box(strip(black_box(&input), &options)))
        });
        group
            .bench_function(format!("inspect {label}"), |b| b.iter(|| black_box(inspect(black_box(&input)))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
