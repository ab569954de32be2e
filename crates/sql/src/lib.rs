//! Spark SQL text to Ember's unresolved plan (`ember-spec`).
//!
//! Today this crate parses what the DataFrame API hands over as text: expressions for
//! `selectExpr` / `expr()` / `filter("...")` and DDL schema strings (`"a INT, b STRING"`,
//! `"struct<a:int>"`). Whole queries (`spark.sql`) travel as [`ember_spec::Relation::Sql`].

mod data_type;
mod error;
mod expression;

pub use data_type::{parse_data_type, parse_schema};
pub use error::{SqlError, SqlResult};
pub use expression::{parse_expression, parse_named_expression};
