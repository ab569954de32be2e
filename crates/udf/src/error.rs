use thiserror::Error;

#[derive(Debug, Error)]
pub enum UdfError {
    #[error("[PYTHON_EXCEPTION] {0}")]
    Python(String),
    #[error("[PYTHON_WORKER_FAILED] The Python worker {python} could not run: {reason}. Set EMBER_PYTHON to an interpreter with pyspark and pyarrow.")]
    Worker { python: String, reason: String },
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
}

pub type UdfResult<T> = Result<T, UdfError>;
