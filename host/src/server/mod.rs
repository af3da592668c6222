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

mod app;
mod gate;
mod layers;
mod metrics;
mod openapi;
mod reply;
mod routes;
mod tenants;
mod watch;

use std::net::SocketAddr;
use std::sync::Arc;

use app::App;
pub use app::{ServeOptions, TokenKeys};

use crate::CliError;

/// Starts serving on `options.bind` and returns when a shutdown signal (Ctrl-C,
/// SIGTERM) has arrived and the requests in flight have been answered.
pub fn serve(options: ServeOptions) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tessera-http")
        .build()
        .map_err(|e| CliError::Server(format!("starting the async runtime: {e}")))?;
    runtime.block_on(async move {
        let bind = options.bind;
        let app = Arc::new(App::new(options)?);
        watch::start(&app);
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| CliError::Server(format!("cannot listen on {bind}: {e}")))?;
        let local = listener.local_addr().map_err(|e| CliError::Server(e.to_string()))?;
        tracing::info!(address = %local, database = %app.database, "tessera serve listening");
        // The line scripts and tests wait for; stderr, so stdout stays machine-readable.
        eprintln!("tessera serve: listening on http://{local}");
        let router = routes::router(Arc::clone(&app));
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| CliError::Server(format!("serving: {e}")))?;
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
