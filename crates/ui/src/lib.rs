//! Ember's web UI, served by the server process: sessions, queries (their text, state,
//! rows, errors), one query's physical plan with each operator's live metrics and its stages,
//! and the environment, as HTML pages and as a JSON API under `/api/v1/` (Spark's REST paths
//! where they fit). It learns what happens from the server's events (`ember_exec::events`),
//! and reads a running query's metrics from the plan it was told about.

mod api;
mod event_log;
mod plan_json;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

pub use event_log::{load_history, EventLog};
pub use state::UiState;

/// Spark's default UI port; taken ports are skipped, as Spark does, up to this many.
pub const DEFAULT_PORT: u16 = 4040;
const PORT_ATTEMPTS: u16 = 16;

#[derive(Debug, Clone)]
pub struct UiSettings {
    pub host: String,
    pub port: u16,
}

/// Binds the first free port from `settings.port` on and serves the live server's UI from a
/// task of the current runtime; returns the address bound.
pub async fn start(settings: &UiSettings, state: Arc<UiState>) -> std::io::Result<SocketAddr> {
    serve(settings, api::Applications(vec![state])).await
}

/// `ember history DIR`: the UI over the runs logged in `dir`.
pub async fn start_history(
    settings: &UiSettings,
    dir: &std::path::Path,
) -> std::io::Result<SocketAddr> {
    serve(settings, api::Applications(load_history(dir)?)).await
}

async fn serve(
    settings: &UiSettings,
    applications: api::Applications,
) -> std::io::Result<SocketAddr> {
    let mut applications = Some(applications);
    let mut last_error = None;
    for offset in 0..PORT_ATTEMPTS {
        let port = settings.port.saturating_add(offset);
        match tokio::net::TcpListener::bind((settings.host.as_str(), port)).await {
            Ok(listener) => {
                let address = listener.local_addr()?;
                let router = api::router(applications.take().unwrap_or(api::Applications(vec![])));
                tokio::spawn(async move {
                    if let Err(error) = axum::serve(listener, router).await {
                        tracing::error!("web UI stopped: {error}");
                    }
                });
                return Ok(address);
            }
            Err(error) if settings.port == 0 => return Err(error),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no port to bind")))
}

/// The URL users open for a UI bound to `address`.
pub fn url(address: SocketAddr) -> String {
    let host = match address.ip() {
        ip if ip.is_unspecified() => "localhost".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("http://{host}:{}", address.port())
}
