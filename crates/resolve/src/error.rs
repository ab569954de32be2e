use thiserror::Error;

/// Why a plan could not be analyzed. Messages start with Spark's error class, which the
/// protocol layer maps to the client's exception type.
#[derive(Debug, Error)]
pub enum ResolveError {
    #[error("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name {name} cannot be resolved. Did you mean one of the following? [{suggestions}].")]
    UnresolvedColumn { name: String, suggestions: String },
    #[error("[AMBIGUOUS_REFERENCE] Reference {name} is ambiguous, could be: [{candidates}].")]
    AmbiguousReference { name: String, candidates: String },
    #[error("[TABLE_OR_VIEW_NOT_FOUND] The table or view {0} cannot be found. Verify the spelling and correctness of the schema and catalog.")]
    TableNotFound(String),
    #[error("[PATH_NOT_FOUND] Path does not exist: {0}.")]
    PathNotFound(String),
    #[error("[FAILED_READ_FILE.NO_HINT] Encountered error while reading file {path}. {reason}")]
    FailedReadFile { path: String, reason: String },
    #[error("[UNSUPPORTED_FEATURE] The feature is not supported: {0}.")]
    Unsupported(String),
    #[error("[INVALID_PARAMETER_VALUE] {0}")]
    InvalidArgument(String),
    /// A message that starts with its own Spark error class.
    #[error("{0}")]
    Analysis(String),
    #[error(transparent)]
    Function(#[from] ember_functions::FunctionError),
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
}

pub type ResolveResult<T> = Result<T, ResolveError>;

pub(crate) fn unsupported<T>(what: impl Into<String>) -> ResolveResult<T> {
    Err(ResolveError::Unsupported(what.into()))
}
