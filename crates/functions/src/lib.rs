//! The Spark function catalog: a Spark function name and resolved arguments become a
//! DataFusion expression with Spark's semantics.
//!
//! Operators arrive under the names the Spark Connect client sends (`+`, `==`, `and`, ...).
//! Most functions come from the session's registry, which holds DataFusion's built-ins with
//! `datafusion-spark`'s Spark-flavoured implementations registered over them
//! ([`register_spark_functions`]); the few whose Spark behaviour differs in shape
//! (`count(*)`, `/` on integers, `when`, `in`, ...) are built here.

mod aes_functions;
mod aggregates;
mod ansi_divide;
mod cast_functions;
mod catalog;
mod checked_arithmetic;
mod collection_functions;
mod contains_null;
mod csv_functions;
mod datetime_functions;
mod datetime_parse;
mod error;
mod format_number;
mod generators;
mod higher_order;
mod interval_functions;
mod interval_scale;
mod java_random;
mod java_text;
mod json_functions;
mod json_records;
mod math_functions;
mod misc_functions;
mod murmur_hash;
pub use murmur_hash::{hash_bytes as murmur3_spark_bytes, hash_bytes_standard as murmur3_bytes};
mod number_format;
mod number_functions;
mod operators;
mod positional;
mod raise_error;
mod random_functions;
mod regex_functions;
mod registration;
mod schema_inference;
mod session_time;
mod sketches;
mod spark_struct;
mod split;
mod strict_math;
mod string_functions;
mod time_functions;
mod timestamp_units;
mod variant;
mod vector;
mod xml_functions;
mod xpath;

pub use catalog::{call_function, is_aggregate_function};
pub use error::{FunctionError, FunctionResult};
pub use generators::POSITIONS;
pub use java_random::JavaRandom;
pub use java_text::java_double;
pub use json_records::{json_record_udf, malformed_check_udf, ParseMode, MALFORMED_FIELD};
pub use positional::{
    EXPLODE, EXPLODE_OUTER, MONOTONIC_ID, PARTITION_ID, SEEDED_RAND, SEEDED_RANDN, SEEDED_RANDSTR,
};
pub use registration::register_spark_functions;
pub use schema_inference::infer_schema_text;
pub use session_time::{spark_zone_id, FORMAT_DATETIME, LOCAL_TIME, ZONED_TIME};
pub use spark_struct::named_struct;
pub use time_functions::{time_text, TIME_FROM_TEXT, TIME_TEXT, TRY_TIME_FROM_TEXT};
pub use variant::{is_variant, variant_json, variant_type, VARIANT_TO_JSON};
pub use vector::{
    is_vector, read_vectors, udt_classes, udt_struct_type, vector_fields, vector_type, Vector,
    VectorBuilder, VECTOR_JVM_CLASS, VECTOR_PYTHON_CLASS,
};
