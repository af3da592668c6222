//! What every request passes through, as tower layers around the routes (outermost
//! first): the caller's `X-Request-ID` echoed, metrics, security headers, CORS, JSON
//! error bodies, header and body size limits, a timeout, HTTPS-required, the
//! client's address (trusted proxies), rate limits, the suspicious-input detector,
//! and the audit of refused writes.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, RETRY_AFTER,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::PropagateRequestIdLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use super::app::App;
use super::gate::client_key;
use super::reply::{ApiError, ErrorCode};
use crate::settings::{RateLimits, Settings};
use tessera_store::Entry;

/// Largest request body (Auth's bodies are a few fields).
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// Largest total size of the request headers.
const MAX_HEADERS: usize = 16 * 1024;
/// Longest time a request may take.
const TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) fn apply(router: Router, app: &Arc<App>, tls: bool) -> Router {
    let limits = Arc::new(Limiter::new(app.settings.rate_limit));
    let https = Https { native: tls, required: app.settings.require_https };
    router
        .layer(from_fn_with_state(Arc::clone(app), audit_refusals))
        .layer(from_fn_with_state(Arc::clone(app), detect_suspicious))
        .layer(from_fn_with_state(limits, rate_limit))
        .layer(from_fn_with_state(Arc::new(app.settings.trusted_proxies.clone()), client_address))
        .layer(from_fn_with_state(https, require_https))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, TIMEOUT))
        .layer(from_fn(limit_headers))
        .layer(from_fn(json_errors))
        .layer(cors(&app.settings))
        .layer(header(STRICT_TRANSPORT_SECURITY, "max-age=63072000; includeSubDomains"))
        .layer(header(X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(X_FRAME_OPTIONS, "DENY"))
        .layer(header(CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"))
        .layer(header(REFERRER_POLICY, "no-referrer"))
        .layer(SetResponseHeaderLayer::if_not_present(CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(from_fn_with_state(Arc::clone(app), record_metrics))
        // Outermost, so every answer carries the caller's id back, refusals included
        // (AuthZEN requires it; it helps every client correlate its logs).
        .layer(PropagateRequestIdLayer::x_request_id())
}

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Whether a proxy in front says the request came over HTTPS (`X-Forwarded-Proto`,
/// its first value).
pub(crate) fn forwarded_https(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').next().is_some_and(|p| p.trim().eq_ignore_ascii_case("https")))
}

fn header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

/// CORS from `AUTH_ALLOW_CORS` / `AUTH_CORS_ORIGINS`. Credentials are allowed only
/// with a list of origins, never with `*` (browsers refuse that pair, rightly).
fn cors(settings: &Settings) -> CorsLayer {
    let base = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([AUTHORIZATION, CONTENT_TYPE, axum::http::header::IF_NONE_MATCH, X_REQUEST_ID])
        .expose_headers([
            X_REQUEST_ID,
            axum::http::header::ETAG,
            HeaderName::from_static("x-tessera-revision"),
            RETRY_AFTER,
        ])
        .max_age(Duration::from_secs(600));
    if !settings.allow_cors || settings.cors_origins.is_empty() {
        return CorsLayer::new();
    }
    if settings.cors_origins.iter().any(|o| o == "*") {
        return base.allow_origin(AllowOrigin::any());
    }
    let origins: Vec<HeaderValue> =
        settings.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    base.allow_origin(AllowOrigin::list(origins)).allow_credentials(true)
}

async fn record_metrics(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let method = match *request.method() {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::HEAD => "HEAD",
        _ => "OTHER",
    };
    let response = next.run(request).await;
    let status = response.status().as_u16();
    app.metrics.request(&route, method, status, started.elapsed());
    tracing::debug!(route, method, status, micros = started.elapsed().as_micros() as u64, "request");
    response
}

/// Any error answer that is not JSON already (axum's extractor rejections, the
/// timeout, the body limit) becomes the JSON error envelope, with nothing internal.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("ERR_BODY_TOO_LARGE", format!("The request body is larger than {MAX_BODY} bytes."))
        }
        StatusCode::REQUEST_TIMEOUT => ("ERR_TIMEOUT", "The request took too long.".to_owned()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("ERR_INVALID_BODY", "Send the body as application/json.".to_owned())
        }
        s if s.is_client_error() => ("ERR_BAD_REQUEST", "The request is malformed.".to_owned()),
        _ => ("ERR_INTERNAL", "An internal error occurred".to_owned()),
    };
    let mut error = ApiError::new(status, code, message).into_response();
    for name in [RETRY_AFTER] {
        if let Some(value) = response.headers().get(&name) {
            error.headers_mut().insert(name, value.clone());
        }
    }
    error
}

/// The client's address: the peer's, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not a trusted proxy.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientAddress(pub(crate) IpAddr);

async fn client_address(
    State(trusted): State<Arc<Vec<IpAddr>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let Some(peer) = peer {
        let client = if trusted.contains(&peer) {
            let forwarded: Vec<&str> =
                request.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
            forwarded
                .iter()
                .rev()
                .flat_map(|value| value.rsplit(','))
                .filter_map(|part| part.trim().parse::<IpAddr>().ok())
                .find(|ip| !trusted.contains(ip))
                .unwrap_or(peer)
        } else {
            peer
        };
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

/// Whether connections are TLS here, and whether the API insists on HTTPS.
#[derive(Clone, Copy)]
struct Https {
    native: bool,
    required: bool,
}

/// With `AUTH_REQUIRE_HTTPS=true`, `/api/*` and `/access/*` refuse plain HTTP: a request must come
/// over native TLS or through a proxy that says `X-Forwarded-Proto: https`. Probes
/// (`/ping`, `/health`, ...) stay reachable over plain HTTP inside a cluster.
async fn require_https(State(https): State<Https>, request: Request, next: Next) -> Response {
    let forwarded = forwarded_https(request.headers());
    let path = request.uri().path();
    let guarded = path.starts_with("/api/") || path.starts_with("/access/");
    if https.required && !https.native && !forwarded && guarded {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "ERR_HTTPS_REQUIRED",
            "This API is served over HTTPS only.",
        )
        .into_response();
    }
    next.run(request).await
}

/// 431 for oversized headers (hyper's own bound is far larger).
async fn limit_headers(request: Request, next: Next) -> Response {
    let size: usize = request.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if size > MAX_HEADERS {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "ERR_HEADERS_TOO_LARGE",
            format!("The request headers are larger than {MAX_HEADERS} bytes."),
        )
        .into_response();
    }
    next.run(request).await
}

/// Token buckets: `per_minute` requests a minute, refilled continuously, with a
/// minute's worth of burst.
struct Buckets<K> {
    per_minute: f64,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: std::hash::Hash + Eq + Clone> Buckets<K> {
    fn new(per_minute: u32) -> Self {
        Self { per_minute: f64::from(per_minute), buckets: Mutex::default() }
    }

    /// `Ok` when `key` may proceed; else how long until it may.
    fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let rate = self.per_minute / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > 100_000 {
            // Drop buckets that have refilled: they hold no information.
            let full = self.per_minute;
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < full);
        }
        let (tokens, at) = buckets.entry(key.clone()).or_insert((self.per_minute, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(self.per_minute);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / rate))
        }
    }
}

struct Limiter {
    per_client: Option<Buckets<String>>,
    per_ip: Option<Buckets<IpAddr>>,
}

impl Limiter {
    fn new(limits: Option<RateLimits>) -> Self {
        Self {
            per_client: limits.map(|l| Buckets::new(l.per_client)),
            per_ip: limits.map(|l| Buckets::new(l.per_ip)),
        }
    }
}

/// 429 with `Retry-After` (whole seconds, rounded up) past either limit.
async fn rate_limit(State(limiter): State<Arc<Limiter>>, request: Request, next: Next) -> Response {
    let now = Instant::now();
    let ip = request.extensions().get::<ClientAddress>().map(|c| c.0);
    let mut verdict = Ok(());
    if let (Some(buckets), Some(ip)) = (&limiter.per_ip, ip) {
        verdict = buckets.take(&ip, now);
    }
    if verdict.is_ok()
        && let Some(buckets) = &limiter.per_client
        && let Ok(key) = client_key(request.headers().get(AUTHORIZATION).map(|v| v.as_bytes()))
    {
        verdict = buckets.take(&key.0, now);
    }
    match verdict {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "ERR_RATE_LIMITED",
                "Too many requests; slow down.",
            )
            .with_details(json!({"retry_after_seconds": seconds}))
            .into_response();
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
    }
}

/// A write the server refused (an identifier breaking its rule, a conflict, a missing
/// role, a body of the wrong shape) becomes a `request.refused` event with `success:
/// false` in the tenant's audit log, as security event logging asks. Only for a client
/// key naming an existing tenant: an unauthenticated request writes nothing, and a
/// refusal creates no tenant.
async fn audit_refusals(State(app): State<Arc<App>>, request: Request<Body>, next: Next) -> Response {
    let write = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let key = client_key(request.headers().get(AUTHORIZATION).map(|v| v.as_bytes())).ok();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let method = request.method().clone();
    let peer = request.extensions().get::<ClientAddress>().map(|c| c.0.to_string());
    let response = next.run(request).await;
    let status = response.status();
    let refused = status.is_client_error()
        && !matches!(status, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS);
    if let (true, true, Some(key), Some(route)) = (write, refused, key, route) {
        let code = response.extensions().get::<ErrorCode>().map_or("", |c| c.0);
        let entry = Entry {
            success: false,
            ..Entry::new(
                "request.refused",
                "request",
                format!("{method} {route}"),
                json!({"status": status.as_u16(), "error": code}),
            )
        };
        let store = Arc::clone(&app.store);
        let actor = format!("http:{}", peer.as_deref().unwrap_or("unknown"));
        let written = tokio::task::spawn_blocking(move || store.record(&key.0, Some(&actor), &entry)).await;
        if let Ok(Err(e)) = written
            && !matches!(e, tessera_store::StoreError::UnknownTenant(_))
        {
            tracing::error!(code = e.code(), "refusal not audited");
        }
    }
    response
}

/// Requests whose path or query the sanitizer's detector flags (script tags, SQL
/// shapes, traversal, ...) become a `security.suspicious_input` event in the tenant's
/// audit log. Only authenticated ones: an unauthenticated request writes nothing.
async fn detect_suspicious(State(app): State<Arc<App>>, request: Request<Body>, next: Next) -> Response {
    let target = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let findings = tessera_core::inspect(&target);
    if !findings.is_empty()
        && target.starts_with("/api/")
        && let Ok(key) = client_key(request.headers().get(AUTHORIZATION).map(|v| v.as_bytes()))
    {
        let kinds: Vec<&str> = findings.iter().map(|f| f.kind.code()).collect();
        let peer = request.extensions().get::<ClientAddress>().map(|c| c.0.to_string());
        let shown: String = target.chars().take(256).collect();
        let entry = Entry {
            success: false,
            ..Entry::new(
                "security.suspicious_input",
                "request",
                format!(
                    "{} {}",
                    request.method(),
                    request.uri().path().chars().take(128).collect::<String>()
                ),
                json!({"findings": kinds, "target": shown, "peer": peer}),
            )
        };
        tracing::warn!(findings = ?kinds, "suspicious input");
        let store = Arc::clone(&app.store);
        let actor = format!("http:{}", peer.as_deref().unwrap_or("unknown"));
        let written = tokio::task::spawn_blocking(move || store.record(&key.0, Some(&actor), &entry)).await;
        if let Ok(Err(e)) = written
            && !matches!(e, tessera_store::StoreError::UnknownTenant(_))
        {
            tracing::error!(code = e.code(), "security event not written");
        }
    }
    next.run(request).await
}
