//! Streaming sources in a plan. A streaming query's runner hands the resolver each
//! micro-batch's input through `StreamInput`; without one, a streaming read is an empty
//! relation of the source's schema under a marker alias, so the schema is known and running
//! it directly can be refused.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType as ArrowType, Field, Schema, SchemaRef, TimeUnit};

/// The alias that marks a streaming source read outside a streaming query.
pub const STREAM_SOURCE_ALIAS: &str = "__ember_streaming_source";

/// One streaming source as the client described it.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSource {
    pub format: String,
    pub paths: Vec<String>,
    pub options: Vec<(String, String)>,
}

/// A micro-batch's rows for one source.
#[derive(Debug, Clone)]
pub enum StreamData {
    /// Rows made by the source itself (`rate`).
    Batches(Vec<RecordBatch>),
    /// Files to read with the source's format and schema.
    Files(Vec<String>),
}

/// What a streaming query's runner gives the resolver for each micro-batch.
pub trait StreamInput: Send + Sync {
    fn data(&self, source: &StreamSource) -> crate::ResolveResult<StreamData>;
}

/// The `rate` source's columns.
pub fn rate_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(
            "timestamp",
            ArrowType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("value", ArrowType::Int64, true),
    ]))
}
