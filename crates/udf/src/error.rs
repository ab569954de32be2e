use thiserror::Error;

#[derive(Debug, Error)]
pub enum UdfError {
    #[error("[PYTHON_EXCEPTION] {0}")]
    Python(String),
    #[error("[PYTHON_WORKER_FAILED] Python worker ({python}) failed: {reason}. If it could not start, set EMBER_PYTHON to an interpreter with pyspark and pyarrow.")]
    Worker { python: String, reason: String },
    #[error("[OPERATION_CANCELED] The query was interrupted while a Python function ran.")]
    Interrupted,
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
}

pub type UdfResult<T> = Result<T, UdfError>;
