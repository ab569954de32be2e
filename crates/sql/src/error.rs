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
    /// A statement that parses but cannot mean anything; the message starts with its class.
    #[error("{0}")]
    Analysis(String),
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
        use datafusion::sql::sqlparser::parser::ParserError;
        let detail = match error {
            ParserError::ParserError(text) | ParserError::TokenizerError(text) => text,
            ParserError::RecursionLimitExceeded => "the statement nests too deeply".into(),
        };
        // The parser says "Expected: X, found: Y at Line: l, Column: c"; Spark names what
        // it found first.
        let near = detail
            .split_once("found: ")
            .map(|(_, rest)| rest.split(" at Line").next().unwrap_or(rest).trim())
            .map(|token| format!("'{token}'"))
            .unwrap_or_else(|| "end of input".into());
        SqlError::syntax(near, detail)
    }
}

pub(crate) fn unsupported<T>(what: impl Into<String>) -> SqlResult<T> {
    Err(SqlError::Unsupported(what.into()))
}
