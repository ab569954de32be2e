//! `ember._native`: starts and stops the Spark Connect server inside the Python process.
//! The server runs on its own Rust threads; the GIL is released while starting it.

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;

/// Starts a server on `host:port` (0 picks a free port) and returns the bound port once it
/// accepts connections.
#[pyfunction]
fn start_server(py: Python<'_>, host: String, port: u16) -> PyResult<u16> {
    py.detach(|| ember_connect::start_background_server(&host, port))
        .map_err(|e| {
            PyOSError::new_err(format!(
                "cannot start the Ember server on {host}:{port}: {e}"
            ))
        })
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
    Ok(())
}
