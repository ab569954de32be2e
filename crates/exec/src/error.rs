use thiserror::Error;

#[derive(Debug, Error)]
pub enum ExecError {
    #[error(transparent)]
    Resolve(#[from] ember_resolve::ResolveError),
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error(transparent)]
    Ml(#[from] ember_ml::MlError),
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error("[PATH_ALREADY_EXISTS] Path {0} already exists. Set mode as \"overwrite\" to overwrite the existing path.")]
    PathAlreadyExists(String),
    /// The name as Spark shows it, `` `spark_catalog`.`db`.`t` ``.
    #[error("[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view {0} because it already exists. Choose a different name, drop or replace the existing object, or add the IF NOT EXISTS clause to tolerate pre-existing objects.")]
    TableAlreadyExists(String),
    #[error("[SCHEMA_NOT_FOUND] The schema `{0}` cannot be found. Verify the spelling and correctness of the schema and catalog.")]
    DatabaseNotFound(String),
    #[error("[SCHEMA_ALREADY_EXISTS] Cannot create schema `{0}` because it already exists. Choose a different name, drop the existing schema, or add the IF NOT EXISTS clause to tolerate pre-existing schema.")]
    DatabaseAlreadyExists(String),
    #[error("[SCHEMA_NOT_EMPTY] Cannot drop a schema `{0}` because it contains objects. Use DROP SCHEMA ... CASCADE to drop the schema and all its objects.")]
    DatabaseNotEmpty(String),
    #[error("{0}")]
    Analysis(String),
    #[error("[TEMP_TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create the temporary view `{0}` because it already exists.")]
    ViewAlreadyExists(String),
    #[error("[SQL_CONF_NOT_FOUND] The SQL config \"{0}\" cannot be found. Please verify that the config exists.")]
    ConfigNotFound(String),
    #[error("[UNSUPPORTED_FEATURE] The feature is not supported: {0}.")]
    Unsupported(String),
    #[error("[INSERT_COLUMN_ARITY_MISMATCH.{reason}] Cannot write to {table}: the table has {expected} columns but the data has {actual}.")]
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
