//! The Spark function catalog: a Spark function name and resolved arguments become a
//! DataFusion expression with Spark's semantics.
//!
//! Operators arrive under the names the Spark Connect client sends (`+`, `==`, `and`, ...).
//! Most functions come from the session's registry, which holds DataFusion's built-ins with
//! `datafusion-spark`'s Spark-flavoured implementations registered over them
//! ([`register_spark_functions`]); the few whose Spark behaviour differs in shape
//! (`count(*)`, `/` on integers, `when`, `in`, ...) are built here.

mod ansi_divide;
mod cast_functions;
mod catalog;
mod checked_arithmetic;
mod error;
mod format_number;
mod operators;
mod positional;
mod raise_error;
mod split;

pub use catalog::{call_function, is_aggregate_function, register_spark_functions};
pub use error::{FunctionError, FunctionResult};
pub use positional::{EXPLODE, EXPLODE_OUTER, PARTITION_ID, SEEDED_RAND, SEEDED_RANDN};
