//! Spark Connect protocol messages → Ember's unresolved plan (`ember-spec`).

mod data_type;
mod expression;
mod literal;
mod ml;
mod relation;

pub use data_type::{data_type_from_proto, data_type_to_proto, parse_schema_text};
pub use expression::{expression_from_proto, python_udf_from_proto};
pub use literal::literal_from_proto;
pub use ml::{ml_command_from_proto, ml_result_to_proto};
pub use relation::{plan_from_proto, sql_parameters, table_write_from_proto, write_from_proto};

use crate::error::{ConnectError, ConnectResult};

/// Reads a required proto field, naming it when absent.
/// A field the request must have. An operation a newer client sends arrives the same way:
/// the decoder drops what the 4.1.1 protocol does not define, so the message says both.
pub(crate) fn required<T>(value: Option<T>, field: &str) -> ConnectResult<T> {
    value.ok_or_else(|| {
        ConnectError::InvalidPlan(format!(
            "missing field `{field}`: the request has none, or one from a newer Spark Connect \
             protocol than this server's ({}); that operation is not supported here",
            crate::SPARK_VERSION
        ))
    })
}
