//! # tessera-server
//!
//! `tessera serve`: the HTTP API over the store and the guest engine.
//!
//! - Auth's REST routes (`/api/role/...`, `/api/has_permission/...`, ...) with its
//!   paths, methods, status codes and JSON shapes, behind its bearer gate
//!   (`gate.rs`); every decision and query is answered by the guest in wasmtime from
//!   the tenant's signed snapshot (`tenants.rs`).
//! - `GET /api/snapshot` hands that snapshot to edge and browser clients (ETag, 304).
//! - `/ping`, `/health`, `/ready`, `/metrics`, `/openapi.json`.
//!
//! Handlers are small; what every request needs (security headers, CORS, limits,
//! metrics) is a tower layer (`layers.rs`).
//!
//! [`settings`] reads the `AUTH_*` configuration the server runs on (Auth's names and
//! defaults); the `tessera` binary reads `.env` first and hands the result over in
//! [`ServeOptions`].

mod app;
mod audit_writer;
mod changes;
mod error;
mod gate;
mod layers;
mod metrics;
mod openapi;
mod password;
mod reply;
mod routes;
pub mod settings;
mod subject_snapshot;
mod tenants;
pub mod time;

use std::net::SocketAddr;
use std::sync::Arc;

use app::App;
pub use app::{ServeOptions, TlsFiles, TokenKeys};

pub use error::ServerError;

/// Starts serving on `options.bind` and returns when a shutdown signal (Ctrl-C,
/// SIGTERM) has arrived and the requests in flight have been answered.
pub fn serve(options: ServeOptions) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tessera-http")
        .build()
        .map_err(ServerError::AsyncRuntime)?;
    runtime.block_on(async move {
        let (bind, tls) = (options.bind, options.tls.clone());
        let app = Arc::new(App::new(options)?);
        changes::start(&app);
        let listener = std::net::TcpListener::bind(bind)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|source| ServerError::Bind { address: bind, source })?;
        let local = listener.local_addr().map_err(|source| ServerError::Bind { address: bind, source })?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(address = %local, scheme, database = %app.database, "tessera serve listening");
        let router = routes::router(Arc::clone(&app), tls.is_some());
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let handle = axum_server::Handle::new();
        let stopping = handle.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            stopping.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
        });
        let served = match tls {
            Some(files) => {
                // One process-wide provider; a second install (tests) is harmless.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&files.cert, &files.key)
                    .await
                    .map_err(ServerError::Tls)?;
                let server = axum_server::from_tcp_rustls(listener, config)
                    .map_err(|source| ServerError::Bind { address: bind, source })?;
                announce(scheme, local);
                server.handle(handle).serve(service).await
            }
            None => {
                let server = axum_server::from_tcp(listener)
                    .map_err(|source| ServerError::Bind { address: bind, source })?;
                announce(scheme, local);
                server.handle(handle).serve(service).await
            }
        };
        served.map_err(ServerError::Serve)?;
        tracing::info!("tessera serve stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal: finishing requests in flight");
}

/// Prints the line scripts and tests wait for, on stderr (stdout stays clean), in one
/// write: stderr is unbuffered, so `eprintln!` would write it in pieces and a reader
/// polling the file could see `http://127.0.0.1:` without its port.
fn announce(scheme: &str, local: std::net::SocketAddr) {
    use std::io::Write as _;
    let line = format!("tessera serve: listening on {scheme}://{local}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
