use thiserror::Error;

/// Why an ML request failed. Messages carry the Spark error class the protocol layer maps
/// to the client's exception (`IllegalArgumentException` for bad params and data).
#[derive(Debug, Error)]
pub enum MlError {
    /// Spark's `IllegalArgumentException`: bad params, columns of the wrong type.
    #[error("[ILLEGAL_ARGUMENT] {0}")]
    IllegalArgument(String),
    /// Data the operator cannot handle (`handleInvalid = "error"`).
    #[error("[ILLEGAL_ARGUMENT] {0}")]
    InvalidData(String),
    #[error("[CONNECT_ML.UNSUPPORTED_EXCEPTION] Generic Spark Connect ML error. Unsupported {kind} {name}.")]
    UnknownOperator { kind: &'static str, name: String },
    #[error("[CONNECT_ML.CACHE_INVALID] Cannot retrieve Summary object {0} from the cache. The object was deleted or the session ended.")]
    ObjectNotFound(String),
    #[error("[CONNECT_ML.UNSUPPORTED_EXCEPTION] Generic Spark Connect ML error. {0}")]
    Unsupported(String),
    #[error("[PATH_ALREADY_EXISTS] Path {0} already exists. To overwrite it, please use write.overwrite().save(path) for Scala and use write().overwrite().save(path) for Java and Python.")]
    PathExists(String),
    #[error("[PATH_NOT_FOUND] Path does not exist: {0}.")]
    PathNotFound(String),
    #[error("I/O error at {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Resolve(#[from] ember_resolve::ResolveError),
    #[error(transparent)]
    Sql(#[from] ember_sql::SqlError),
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error(transparent)]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
}

pub type MlResult<T> = Result<T, MlError>;

pub(crate) fn illegal<T>(message: impl Into<String>) -> MlResult<T> {
    Err(MlError::IllegalArgument(message.into()))
}

pub(crate) fn io_error(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> MlError + '_ {
    move |source| MlError::Io {
        path: path.display().to_string(),
        source,
    }
}
