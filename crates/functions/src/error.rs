use thiserror::Error;

#[derive(Debug, Error)]
pub enum FunctionError {
    #[error("[UNRESOLVED_ROUTINE] Cannot resolve routine `{0}` on search path [`system`.`builtin`, `system`.`session`].")]
    UnknownFunction(String),
    #[error("[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `{name}` requires {expected} parameters but the actual number is {actual}.")]
    WrongArgumentCount {
        name: String,
        expected: String,
        actual: usize,
    },
    #[error("[DATATYPE_MISMATCH] {0}")]
    TypeMismatch(String),
    /// Spark's `IllegalArgumentException` without an error class of its own.
    #[error("[ILLEGAL_ARGUMENT] {0}")]
    InvalidArgument(String),
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
}

pub type FunctionResult<T> = Result<T, FunctionError>;
