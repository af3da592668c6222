//! Counters for `/metrics` in Prometheus' text format: requests and their latency by
//! route, method and status; decisions by outcome; token failures by code.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Everything `/metrics` reports.
#[derive(Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, &'static str, u16), Series>>,
    allowed: AtomicU64,
    denied: AtomicU64,
    token_failures: Mutex<BTreeMap<String, u64>>,
    /// Decision events the full audit queue dropped.
    pub(crate) audit_dropped: std::sync::Arc<AtomicU64>,
}

impl Metrics {
    /// One answered request; `route` is the matched pattern (`/api/roles`), never the
    /// raw path, so user names do not become label values.
    pub(crate) fn request(&self, route: &str, method: &'static str, status: u16, took: Duration) {
        let seconds = took.as_secs_f64();
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        let series = requests.entry((route.to_owned(), method, status)).or_default();
        series.count += 1;
        series.sum += seconds;
        for (bucket, bound) in series.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
    }

    /// One decision.
    pub(crate) fn decision(&self, allowed: bool) {
        let counter = if allowed { &self.allowed } else { &self.denied };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// One refused token (or login), by its error code.
    pub(crate) fn token_failure(&self, code: &str) {
        let mut failures = self.token_failures.lock().unwrap_or_else(PoisonError::into_inner);
        *failures.entry(code.to_owned()).or_default() += 1;
    }

    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP tessera_http_requests_total Requests answered, by route, method and status.\n");
        out.push_str("# TYPE tessera_http_requests_total counter\n");
        let requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        for ((route, method, status), series) in requests.iter() {
            let _ = writeln!(
                out,
                "tessera_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {}",
                series.count
            );
        }
        out.push_str(
            "# HELP tessera_http_request_duration_seconds Time to answer, by route, method and status.\n",
        );
        out.push_str("# TYPE tessera_http_request_duration_seconds histogram\n");
        for ((route, method, status), series) in requests.iter() {
            let labels = format!("route=\"{route}\",method=\"{method}\",status=\"{status}\"");
            for (count, bound) in series.buckets.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "tessera_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "tessera_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                series.count
            );
            let _ = writeln!(out, "tessera_http_request_duration_seconds_sum{{{labels}}} {}", series.sum);
            let _ = writeln!(out, "tessera_http_request_duration_seconds_count{{{labels}}} {}", series.count);
        }
        drop(requests);
        out.push_str("# HELP tessera_decisions_total Permission decisions, by outcome.\n");
        out.push_str("# TYPE tessera_decisions_total counter\n");
        let _ = writeln!(
            out,
            "tessera_decisions_total{{outcome=\"allowed\"}} {}",
            self.allowed.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "tessera_decisions_total{{outcome=\"denied\"}} {}",
            self.denied.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP tessera_audit_dropped_total Decision events dropped because the audit queue was full.\n",
        );
        out.push_str("# TYPE tessera_audit_dropped_total counter\n");
        let _ = writeln!(out, "tessera_audit_dropped_total {}", self.audit_dropped.load(Ordering::Relaxed));
        out.push_str("# HELP tessera_token_failures_total Refused tokens and logins, by error code.\n");
        out.push_str("# TYPE tessera_token_failures_total counter\n");
        for (code, count) in self.token_failures.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            let _ = writeln!(out, "tessera_token_failures_total{{code=\"{code}\"}} {count}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_buckets() {
        let metrics = Metrics::default();
        metrics.request("/api/roles", "GET", 200, Duration::from_micros(700));
        metrics.request("/api/roles", "GET", 200, Duration::from_millis(30));
        metrics.decision(true);
        metrics.decision(false);
        metrics.decision(false);
        metrics.token_failure("ERR_TOKEN_EXPIRED");
        let text = metrics.render();
        assert!(
            text.contains(
                "tessera_http_requests_total{route=\"/api/roles\",method=\"GET\",status=\"200\"} 2"
            )
        );
        assert!(text.contains("le=\"0.001\"} 1"), "{text}");
        assert!(text.contains("le=\"0.05\"} 2"), "{text}");
        assert!(text.contains("tessera_decisions_total{outcome=\"denied\"} 2"));
        assert!(text.contains("tessera_token_failures_total{code=\"ERR_TOKEN_EXPIRED\"} 1"));
    }
}
