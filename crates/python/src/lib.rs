//! `ember._native`: starts and stops the Spark Connect server inside the Python process.
//! The server runs on its own Rust threads; the GIL is released while starting it.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

/// Starts a server on `host:port` (0 picks a free port) and returns the bound port once it
/// accepts connections. `memory` bounds what its queries hold before spilling (Spark's size
/// syntax, default a share of the machine's memory); spill files go to `local_dir`.
#[pyfunction]
#[pyo3(signature = (host, port, memory=None, local_dir=None))]
fn start_server(
    py: Python<'_>,
    host: String,
    port: u16,
    memory: Option<String>,
    local_dir: Option<String>,
) -> PyResult<u16> {
    let limit = match memory {
        Some(text) => Some(ember_connect::parse_memory_size(&text).map_err(PyValueError::new_err)?),
        None => ember_connect::MemorySettings::for_this_machine().limit,
    };
    let settings = ember_connect::MemorySettings {
        limit,
        spill_dir: local_dir.map(std::path::PathBuf::from),
    };
    py.detach(|| ember_connect::start_background_server(&host, port, settings))
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
