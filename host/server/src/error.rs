//! Why `tessera serve` could not start or stopped.

use std::fmt;
use std::net::SocketAddr;

use tessera_runtime::GuestError;

/// A server that did not start, or stopped on an error.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerError {
    /// The async runtime could not be started.
    AsyncRuntime(std::io::Error),
    /// The address could not be bound (in use, not ours, ...).
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The TLS certificate or key cannot be used.
    Tls(std::io::Error),
    /// Serving stopped on an error.
    Serve(std::io::Error),
    /// The guest engine could not be compiled or instantiated.
    Guest(GuestError),
}

impl ServerError {
    /// `ERR_...`, as in docs/ERRORS.md.
    pub fn code(&self) -> &str {
        match self {
            Self::Guest(e) => e.code(),
            Self::AsyncRuntime(_) | Self::Bind { .. } | Self::Tls(_) | Self::Serve(_) => "ERR_SERVE",
        }
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AsyncRuntime(e) => write!(f, "starting the async runtime: {e}"),
            Self::Bind { address, source } => write!(f, "cannot listen on {address}: {source}"),
            Self::Tls(e) => write!(f, "TLS certificate or key unusable: {e}"),
            Self::Serve(e) => write!(f, "serving: {e}"),
            Self::Guest(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::AsyncRuntime(e) | Self::Tls(e) | Self::Serve(e) | Self::Bind { source: e, .. } => Some(e),
            Self::Guest(e) => Some(e),
        }
    }
}

impl From<GuestError> for ServerError {
    fn from(e: GuestError) -> Self {
        Self::Guest(e)
    }
}
