//! The analyzer: turns Ember's unresolved plan (`ember-spec`) into a DataFusion
//! `LogicalPlan` with Spark's semantics.
//!
//! - names resolve case-insensitively, qualified or nested, and `df["k"]` references find
//!   their DataFrame through the client's plan ids (self-joins);
//! - functions come from `ember-functions`;
//! - every output column carries the name Spark would give it (`(a + b)`, `count(1)`).
//!
//! The entry point is [`Resolver::resolve`]; it is async because some relations need data
//! first (file schemas, pivot values, `show()` text).

mod aggregate_filter;
mod cached_plan;
mod error;
mod expression;
mod generator;
mod lambda;
mod ml;
mod naming;
mod python_call;
mod query;
mod recursion_limit;
mod resolver;
mod row_marks;
mod session_cast;
mod show;
mod sql_function;
mod stream;
mod struct_fields;
mod subquery;
mod types;
mod warehouse;

pub use cached_plan::CachedPlan;
pub use error::{ResolveError, ResolveResult};
pub use ml::MlPlanner;
pub use naming::date_text;
pub use recursion_limit::RecursionLimit;
pub use resolver::{Resolver, DEFAULT_RECURSION_LEVEL_LIMIT};
pub use row_marks::{MarkRows, RowMark};
pub use show::{format_batches_as_show_string, ShowOptions};
pub use sql_function::SqlFunctionUdf;
pub use stream::{rate_schema, StreamData, StreamInput, StreamSource, STREAM_SOURCE_ALIAS};
pub use types::{
    client_arrow_type, from_arrow, literal_to_scalar, spark_metadata, to_arrow, SPARK_METADATA_KEY,
    TIMESTAMP_ZONE,
};
pub use warehouse::{
    CatalogRelation, TableCatalog, Warehouse, CATALOG_NAME, DEFAULT_DATABASE, DEFAULT_WAREHOUSE_DIR,
};
