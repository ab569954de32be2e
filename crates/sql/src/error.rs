use thiserror::Error;

/// A parse failure, shown to users as Spark's `PARSE_SYNTAX_ERROR`.
#[derive(Debug, Error)]
pub enum SqlError {
    #[error("[PARSE_SYNTAX_ERROR] Syntax error at or near {near}: {detail}")]
    Syntax { near: String, detail: String },
    #[error("[UNSUPPORTED_DATATYPE] Unsupported data type {0}.")]
    UnsupportedDataType(String),
    #[error("[UNSUPPORTED_FEATURE] The feature is not supported: {0}.")]
    Unsupported(String),
}

pub type SqlResult<T> = Result<T, SqlError>;

impl SqlError {
    pub(crate) fn syntax(near: impl Into<String>, detail: impl Into<String>) -> Self {
        SqlError::Syntax {
            near: near.into(),
            detail: detail.into(),
        }
    }
}

impl From<datafusion::sql::sqlparser::parser::ParserError> for SqlError {
    fn from(error: datafusion::sql::sqlparser::parser::ParserError) -> Self {
        SqlError::syntax("input", error.to_string())
    }
}
