//! `ember._native`: starts and stops the Spark Connect server inside the Python process.
//! The server runs on its own Rust threads; the GIL is released while starting it.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

/// Starts a server on `host:port` (0 picks a free port) and returns the bound port once it
/// accepts connections. `memory` bounds what its queries hold before spilling (Spark's size
/// syntax, default a share of the machine's memory); spill files go to `local_dir`. Idle
/// sessions end after `session_timeout`, unread queries stop after `detached_timeout`
/// (Spark's duration syntax; defaults 60min and 60s). With `ui_port`, the web UI listens
/// there (or on the next free port).
// Each argument is a Python keyword argument with a default.
#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (host, port, memory=None, local_dir=None, session_timeout=None, detached_timeout=None, ui_port=None, event_log_dir=None))]
fn start_server(
    py: Python<'_>,
    host: String,
    port: u16,
    memory: Option<String>,
    local_dir: Option<String>,
    session_timeout: Option<String>,
    detached_timeout: Option<String>,
    ui_port: Option<u16>,
    event_log_dir: Option<String>,
) -> PyResult<u16> {
    let mut lifetimes = ember_connect::Lifetimes::default();
    if let Some(text) = session_timeout {
        lifetimes.session_timeout =
            ember_connect::parse_timeout(&text).map_err(PyValueError::new_err)?;
    }
    if let Some(text) = detached_timeout {
        lifetimes.detached_timeout =
            ember_connect::parse_timeout(&text).map_err(PyValueError::new_err)?;
    }
    let limit = match memory {
        Some(text) => Some(ember_connect::parse_memory_size(&text).map_err(PyValueError::new_err)?),
        None => ember_connect::MemorySettings::for_this_machine().limit,
    };
    let settings = ember_connect::ServerSettings {
        memory: ember_connect::MemorySettings {
            limit,
            spill_dir: local_dir.map(std::path::PathBuf::from),
        },
        lifetimes,
        ui: ui_port.map(|port| ember_connect::UiSettings {
            host: host.clone(),
            port,
        }),
        event_log_dir: event_log_dir.map(std::path::PathBuf::from),
    };
    py.detach(|| ember_connect::start_background_server(&host, port, settings))
        .map_err(|e| {
            PyOSError::new_err(format!(
                "cannot start the Ember server on {host}:{port}: {e}"
            ))
        })
}

/// `ember history DIR`: serves the web UI over the event logs in `dir` on background
/// threads; returns its URL.
#[pyfunction]
fn start_history(py: Python<'_>, dir: String, host: String, port: u16) -> PyResult<String> {
    py.detach(|| {
        ember_connect::start_history_ui(
            std::path::Path::new(&dir),
            &ember_connect::UiSettings { host, port },
        )
    })
    .map_err(|e| PyOSError::new_err(format!("cannot serve the history of {dir}: {e}")))
}

/// The web UI's URL of the server `start_server` bound to `port`, if it runs one.
#[pyfunction]
fn ui_url(port: u16) -> Option<String> {
    ember_connect::background_ui_url(port)
}

/// Stops a server started by `start_server`.
#[pyfunction]
fn stop_server(py: Python<'_>, port: u16) {
    py.detach(|| ember_connect::stop_background_server(port));
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(start_server, module)?)?;
    module.add_function(wrap_pyfunction!(stop_server, module)?)?;
    module.add_function(wrap_pyfunction!(ui_url, module)?)?;
    module.add_function(wrap_pyfunction!(start_history, module)?)?;
    Ok(())
}
