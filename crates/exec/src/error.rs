use thiserror::Error;

#[derive(Debug, Error)]
pub enum ExecError {
    #[error(transparent)]
    Resolve(#[from] ember_resolve::ResolveError),
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error("[PATH_ALREADY_EXISTS] Path {0} already exists. Set mode as \"overwrite\" to overwrite the existing path.")]
    PathAlreadyExists(String),
    #[error("[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view `spark_catalog`.`default`.`{0}` because it already exists.")]
    TableAlreadyExists(String),
    #[error("[TEMP_TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create the temporary view `{0}` because it already exists.")]
    ViewAlreadyExists(String),
    #[error("[SQL_CONF_NOT_FOUND] The SQL config \"{0}\" cannot be found. Please verify that the config exists.")]
    ConfigNotFound(String),
    #[error("[UNSUPPORTED_FEATURE] The feature is not supported: {0}.")]
    Unsupported(String),
    #[error("[INSERT_COLUMN_ARITY_MISMATCH.{reason}] Cannot write to `spark_catalog`.`default`.`{table}`: the table has {expected} columns but the data has {actual}.")]
    InsertArity {
        table: String,
        reason: &'static str,
        expected: usize,
        actual: usize,
    },
    #[error("I/O error while writing {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

pub type ExecResult<T> = Result<T, ExecError>;
