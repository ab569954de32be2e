//! The one boundary where Ember's errors become what the PySpark client raises: a gRPC
//! status carrying an `ErrorInfo` with Spark's exception classes, error class and SQLSTATE.

use std::collections::HashMap;

use ember_exec::ExecError;
use ember_resolve::ResolveError;
use thiserror::Error;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

#[derive(Debug, Error)]
pub enum ConnectError {
    #[error("[CONNECT_INVALID_PLAN] {0}")]
    InvalidPlan(String),
    #[error("[UNSUPPORTED_FEATURE] The feature is not supported: {0}.")]
    Unsupported(String),
    #[error("[UNSUPPORTED_PARTITION_TRANSFORM] Unsupported partition transform: `{0}`. The supported transforms are `identity`, `bucket`, and `clusterBy`. Ensure your transform expression uses one of these.")]
    UnsupportedPartitionTransform(String),
    /// The client then turns plan compression off for the session.
    #[error("[CONNECT_INVALID_PLAN.CANNOT_PARSE] Compressed plans are not supported; send the plan uncompressed.")]
    CompressedPlan,
    /// A session or operation the client names that is gone (`INVALID_HANDLE.*`).
    #[error("{0}")]
    InvalidHandle(String),
    #[error(transparent)]
    Sql(#[from] ember_sql::SqlError),
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
}

pub type ConnectResult<T> = Result<T, ConnectError>;

impl From<ResolveError> for ConnectError {
    fn from(error: ResolveError) -> Self {
        ConnectError::Exec(ExecError::Resolve(error))
    }
}

impl From<datafusion::error::DataFusionError> for ConnectError {
    fn from(error: datafusion::error::DataFusionError) -> Self {
        ConnectError::Exec(ExecError::DataFusion(error))
    }
}

/// Messages are capped: gRPC headers carry them, and very long ones break transports.
const MAX_MESSAGE: usize = 2048;

struct SparkError {
    classes: &'static [&'static str],
    error_class: String,
    sql_state: &'static str,
    message: String,
}

const ANALYSIS: &[&str] = &["org.apache.spark.sql.AnalysisException"];
const PARSE: &[&str] = &[
    "org.apache.spark.sql.catalyst.parser.ParseException",
    "org.apache.spark.sql.AnalysisException",
];
const ARITHMETIC: &[&str] = &[
    "org.apache.spark.SparkArithmeticException",
    "java.lang.ArithmeticException",
];
const NUMBER_FORMAT: &[&str] = &[
    "org.apache.spark.SparkNumberFormatException",
    "java.lang.NumberFormatException",
];
const UNSUPPORTED: &[&str] = &[
    "org.apache.spark.SparkUnsupportedOperationException",
    "java.lang.UnsupportedOperationException",
];
const NO_SUCH_ELEMENT: &[&str] = &["org.apache.spark.SparkNoSuchElementException"];
const ILLEGAL_ARGUMENT: &[&str] = &[
    "org.apache.spark.SparkIllegalArgumentException",
    "java.lang.IllegalArgumentException",
];
const RUNTIME: &[&str] = &["org.apache.spark.SparkRuntimeException"];
const SQL_EXCEPTION: &[&str] = &["org.apache.spark.SparkSQLException"];
const DATETIME: &[&str] = &[
    "org.apache.spark.SparkDateTimeException",
    "java.time.DateTimeException",
];
const PYTHON: &[&str] = &["org.apache.spark.api.python.PythonException"];
const GENERIC: &[&str] = &["org.apache.spark.SparkException"];
const OUT_OF_MEMORY: &[&str] = &[
    "org.apache.spark.memory.SparkOutOfMemoryError",
    "java.lang.OutOfMemoryError",
];

/// The `[CLASS]` prefix of a message, if it has one.
fn error_class_of(message: &str) -> Option<String> {
    // Wrapped errors ("External error: [CLASS] ...") keep the class somewhere inside.
    let mut rest = message;
    while let Some(start) = rest.find('[') {
        let after = &rest[start + 1..];
        if let Some(end) = after.find(']') {
            let class = &after[..end];
            let valid = !class.is_empty()
                && class.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && class
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c == '.' || c.is_ascii_digit());
            if valid && class.contains('_') {
                return Some(class.to_string());
            }
        }
        rest = after;
    }
    None
}

fn classify(message: String) -> SparkError {
    let lower = message.to_ascii_lowercase();
    let (error_class, classes, sql_state): (String, &'static [&'static str], &'static str) =
        if let Some(class) = error_class_of(&message) {
            let (classes, state) = match class.split('.').next().unwrap_or_default() {
                "PARSE_SYNTAX_ERROR" => (PARSE, "42601"),
                "INVALID_SQL_SYNTAX" => (PARSE, "42000"),
                "UNRESOLVED_COLUMN" => (ANALYSIS, "42703"),
                "AMBIGUOUS_REFERENCE" => (ANALYSIS, "42704"),
                "TABLE_OR_VIEW_NOT_FOUND" => (ANALYSIS, "42P01"),
                "PATH_NOT_FOUND" => (ANALYSIS, "42K03"),
                "PATH_ALREADY_EXISTS" => (ANALYSIS, "42K04"),
                "UNRESOLVED_ROUTINE" => (ANALYSIS, "42883"),
                "TEMP_TABLE_OR_VIEW_ALREADY_EXISTS" => (ANALYSIS, "42P07"),
                "INSERT_COLUMN_ARITY_MISMATCH" => (ANALYSIS, "21S01"),
                "USER_RAISED_EXCEPTION" => (RUNTIME, "P0001"),
                "DUPLICATED_MAP_KEY" => (RUNTIME, "23505"),
                "NULL_MAP_KEY" => (RUNTIME, "2200E"),
                "CANNOT_PARSE_TIMESTAMP" => (DATETIME, "22007"),
                "CANNOT_PARSE_TIME" => (DATETIME, "22010"),
                "INVALID_VARIANT_CAST" | "INVALID_VARIANT_GET_PATH" => (RUNTIME, "22023"),
                "MALFORMED_RECORD_IN_PARSING" | "MALFORMED_VARIANT" => (RUNTIME, "22023"),
                "DATETIME_FIELD_OUT_OF_BOUNDS" | "INVALID_TIMEZONE" => (DATETIME, "22023"),
                "DATETIME_OVERFLOW" => (DATETIME, "22008"),
                "PYTHON_EXCEPTION" => (PYTHON, "38000"),
                "PYTHON_WORKER_FAILED" => (GENERIC, "38000"),
                "FAILED_READ_FILE" => (GENERIC, "KD001"),
                "CONNECT_ML" => (GENERIC, "XX000"),
                "INVALID_HANDLE" | "INVALID_CURSOR" => (SQL_EXCEPTION, "HY000"),
                "NUM_COLUMNS_MISMATCH"
                | "DATATYPE_MISMATCH"
                | "WRONG_NUM_ARGS"
                | "INVALID_EXTRACT_BASE_FIELD_TYPE"
                | "UNSUPPORTED_EXPR_FOR_WINDOW"
                | "CANNOT_INFER_EMPTY_SCHEMA"
                | "UNABLE_TO_INFER_SCHEMA"
                | "UNSUPPORTED_DATATYPE"
                | "INVALID_COLUMN_OR_FIELD_DATA_TYPE" => (ANALYSIS, "42K09"),
                "DIVIDE_BY_ZERO" | "INTERVAL_DIVIDED_BY_ZERO" => (ARITHMETIC, "22012"),
                "ARITHMETIC_OVERFLOW" | "NUMERIC_VALUE_OUT_OF_RANGE" => (ARITHMETIC, "22003"),
                "CAST_INVALID_INPUT" => (NUMBER_FORMAT, "22018"),
                "SQL_CONF_NOT_FOUND" => (NO_SUCH_ELEMENT, "42K0I"),
                "UNSUPPORTED_FEATURE" | "UNSUPPORTED_PARTITION_TRANSFORM" => (UNSUPPORTED, "0A000"),
                "INVALID_PARAMETER_VALUE" | "CONNECT_INVALID_PLAN" | "ILLEGAL_ARGUMENT" => {
                    (ILLEGAL_ARGUMENT, "22023")
                }
                _ => (ANALYSIS, "42000"),
            };
            (class, classes, state)
        } else if lower.contains("resources exhausted") {
            // The memory pool refused an operator that could not spill any further.
            ("UNABLE_TO_ACQUIRE_MEMORY".into(), OUT_OF_MEMORY, "53200")
        } else if lower.contains("divide by zero") || lower.contains("division by zero") {
            ("DIVIDE_BY_ZERO".into(), ARITHMETIC, "22012")
        } else if lower.contains("sql error: parsererror") || lower.contains("parsererror(") {
            ("PARSE_SYNTAX_ERROR".into(), PARSE, "42601")
        } else if lower.contains("table")
            && (lower.contains("not found")
                || lower.contains("doesn't exist")
                || lower.contains("does not exist"))
        {
            ("TABLE_OR_VIEW_NOT_FOUND".into(), ANALYSIS, "42P01")
        } else if lower.contains("invalid function") {
            ("UNRESOLVED_ROUTINE".into(), ANALYSIS, "42883")
        } else if lower.contains("overflow") {
            ("ARITHMETIC_OVERFLOW".into(), ARITHMETIC, "22003")
        } else if lower.contains("cannot cast")
            || lower.contains("can't cast")
            || lower.contains("cast error")
        {
            ("CAST_INVALID_INPUT".into(), NUMBER_FORMAT, "22018")
        } else if lower.contains("schema error")
            || lower.contains("no field named")
            || lower.contains("error during planning")
        {
            ("INTERNAL_ERROR".into(), ANALYSIS, "XX000")
        } else if lower.contains("not implemented") || lower.contains("unsupported") {
            ("UNSUPPORTED_FEATURE".into(), UNSUPPORTED, "0A000")
        } else if lower.contains("arrow error")
            || lower.contains("execution error")
            || lower.contains("external error")
        {
            ("INTERNAL_ERROR".into(), RUNTIME, "XX000")
        } else {
            ("INTERNAL_ERROR".into(), GENERIC, "XX000")
        };
    let message = if let Some(position) = message.find(&format!("[{error_class}]")) {
        message[position..].to_string()
    } else {
        match error_class.as_str() {
            "DIVIDE_BY_ZERO" => "[DIVIDE_BY_ZERO] Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead. If necessary set \"spark.sql.ansi.enabled\" to \"false\" to bypass this error. SQLSTATE: 22012".to_string(),
            "CAST_INVALID_INPUT" => format!("[CAST_INVALID_INPUT] {message}"),
            "ARITHMETIC_OVERFLOW" => format!("[ARITHMETIC_OVERFLOW] {message}"),
            other => format!("[{other}] {message}"),
        }
    };
    SparkError {
        classes,
        error_class,
        sql_state,
        message,
    }
}

fn truncate(message: &str) -> String {
    if message.len() <= MAX_MESSAGE {
        return message.to_string();
    }
    let mut end = MAX_MESSAGE;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &message[..end])
}

impl From<ConnectError> for Status {
    fn from(error: ConnectError) -> Status {
        status_from_message(error.to_string())
    }
}

/// DataFusion's own unknown-column error (from SQL text it planned) in Spark's words.
fn spark_unresolved_column(message: &str) -> Option<String> {
    let start = message.find("No field named ")? + "No field named ".len();
    let rest = &message[start..];
    let name_end = rest.find(['\n', ' ']).unwrap_or(rest.len());
    let name = rest[..name_end].trim_end_matches('.');
    let unquote = |s: &str| s.trim().trim_matches('"').replace('"', "");
    let name = name.split('.').map(unquote).collect::<Vec<_>>().join("`.`");
    let suggestions: Vec<String> = rest
        .find("Valid fields are ")
        .map(|at| &rest[at + "Valid fields are ".len()..])
        .map(|fields| {
            fields
                .trim_end_matches('.')
                .split(", ")
                .filter_map(|f| f.rsplit('.').next())
                .map(|f| format!("`{}`", unquote(f)))
                .take(5)
                .collect()
        })
        .unwrap_or_default();
    Some(format!(
        "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `{name}` cannot be resolved. Did you mean one of the following? [{}].",
        suggestions.join(", ")
    ))
}

pub fn status_from_message(message: String) -> Status {
    let message = match error_class_of(&message) {
        None => spark_unresolved_column(&message).unwrap_or(message),
        Some(_) => message,
    };
    let spark = classify(message);
    let mut metadata = HashMap::new();
    let classes = spark
        .classes
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(",");
    metadata.insert("classes".to_string(), format!("[{classes}]"));
    metadata.insert("errorClass".to_string(), spark.error_class.clone());
    metadata.insert("sqlState".to_string(), spark.sql_state.to_string());
    let message = truncate(&spark.message);
    let details = ErrorDetails::with_error_info(spark.classes[0], "org.apache.spark", metadata);
    Status::with_error_details(Code::Internal, message, details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datafusion_unknown_columns_read_as_spark_errors() {
        let message = "Schema error: No field named nope.\nValid fields are t.id, t.\"name\".";
        let spark = spark_unresolved_column(message).unwrap_or_default();
        assert!(
            spark.starts_with("[UNRESOLVED_COLUMN.WITH_SUGGESTION]"),
            "{spark}"
        );
        assert!(spark.contains("name `nope` cannot"), "{spark}");
        assert!(spark.contains("[`id`, `name`]"), "{spark}");
        assert!(spark_unresolved_column("Schema error: ambiguous").is_none());
    }

    #[test]
    fn a_refused_allocation_is_sparks_out_of_memory_error() {
        let e = classify(
            "Resources exhausted: Failed to allocate additional 8.0 MB for ExternalSorter[0]"
                .into(),
        );
        assert_eq!(e.error_class, "UNABLE_TO_ACQUIRE_MEMORY");
        assert_eq!(
            e.classes[0],
            "org.apache.spark.memory.SparkOutOfMemoryError"
        );
        assert!(e
            .message
            .starts_with("[UNABLE_TO_ACQUIRE_MEMORY] Resources exhausted"));
    }

    #[test]
    fn error_classes_pick_the_client_exception() {
        let e = classify("[UNRESOLVED_COLUMN.WITH_SUGGESTION] x".into());
        assert_eq!(e.classes, ANALYSIS);
        assert_eq!(e.error_class, "UNRESOLVED_COLUMN.WITH_SUGGESTION");
        let e = classify("Arrow error: Divide by zero error".into());
        assert_eq!(e.error_class, "DIVIDE_BY_ZERO");
        assert!(e.message.starts_with("[DIVIDE_BY_ZERO]"));
    }
}
