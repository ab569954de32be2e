//! The Spark Connect gRPC service.
//!
//! A request's path: `service` receives it and finds the session (`sessions`); `convert`
//! turns protocol messages into `ember-spec` plans (SQL text goes through `ember-sql`);
//! `ember-exec` resolves and runs them; `results` streams Arrow IPC batches back; `error`
//! maps failures to the exception classes the PySpark client raises.

mod analyze;
mod catalog;
mod config;
mod convert;
mod error;
mod execute;
mod housekeeping;
mod operations;
mod results;
mod server;
mod service;
mod sessions;
mod streaming;
mod web_ui;

pub use ember_exec::{parse_memory_size, MemorySettings};
pub use ember_udf::set_worker_limit as set_python_worker_limit;
pub use error::{ConnectError, ConnectResult};
pub use server::{
    background_ui_url, parse_timeout, serve, serve_with_ui, server_runtime,
    start_background_server, start_history, start_history_ui, start_ui, stop_background_server,
    Lifetimes, RunningUi, ServerSettings, UiSettings, SPARK_VERSION,
};
