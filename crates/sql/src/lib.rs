//! Spark SQL text to Ember's unresolved plan (`ember-spec`).
//!
//! - [`parse_statement`]: one `spark.sql(...)` statement, a query or a command (DDL, `SET`,
//!   `SHOW`, ...), into [`ember_spec::Statement`]; queries become the same relations the
//!   DataFrame API builds, so one analyzer resolves both.
//! - [`parse_expression`] / [`parse_named_expression`]: expression text from `expr()`,
//!   `selectExpr()` and string filters.
//! - [`parse_data_type`] / [`parse_schema`]: Spark's type grammar for DDL schema strings.
//!
//! Text is parsed by sqlparser (through DataFusion) with a dialect close to Spark's
//! (`dialect.rs`); each construct's conversion lives in the file named after it.

mod alter_table;
mod converter;
mod data_type;
mod dialect;
mod error;
mod expression;
mod function;
mod function_statement;
mod literal;
mod query;
mod relation;
mod sample;
mod statement;
mod statement_text;
mod string_literals;

pub use converter::Parameters;
pub use data_type::{parse_data_type, parse_schema};
pub use error::{SqlError, SqlResult};
pub use expression::{parse_expression, parse_named_expression};
pub use function::schema_argument_as_type;
pub use statement::{parse_query, parse_statement};
