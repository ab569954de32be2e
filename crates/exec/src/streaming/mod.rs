//! Structured streaming in micro-batches: a query started with `writeStream.start()` runs on
//! its own task, reading what its source gained since the last batch (`sources.rs`), running
//! the query over those rows, and handing the result to its sink (`sinks.rs`).
//!
//! Queries without state (projections, filters) run in append mode; `complete` mode runs the
//! query over everything the source has produced so far, which gives aggregations their
//! complete answer at every batch.

mod query;
mod sinks;
mod sources;

pub use query::{StreamingQueries, StreamingQuery};

use std::time::Duration;

use ember_spec::Plan;

/// When the next micro-batch starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// As soon as the previous batch ends (Spark's default), or at this interval.
    ProcessingTime(Duration),
    /// One batch over what is available, then stop (`once` and `availableNow`).
    AvailableNow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    Append,
    Complete,
    Update,
}

impl OutputMode {
    pub fn parse(text: &str) -> crate::ExecResult<Self> {
        match text.to_ascii_lowercase().as_str() {
            "" | "append" => Ok(OutputMode::Append),
            "complete" => Ok(OutputMode::Complete),
            "update" => Ok(OutputMode::Update),
            other => Err(crate::ExecError::Analysis(format!(
                "[STREAMING_OUTPUT_MODE.INVALID] Invalid streaming output mode: {other}."
            ))),
        }
    }
}

/// `df.writeStream....start()`.
#[derive(Debug, Clone)]
pub struct StreamStart {
    pub plan: Plan,
    /// The sink: `memory`, `console`, `noop`, or a file format (`parquet`, `json`, ...).
    pub format: String,
    pub options: Vec<(String, String)>,
    pub path: Option<String>,
    pub table: Option<String>,
    pub partition_by: Vec<String>,
    pub output_mode: OutputMode,
    pub name: Option<String>,
    pub trigger: Trigger,
}
