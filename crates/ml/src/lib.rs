//! `pyspark.ml` for Ember: the operators the client names by Spark class (estimators,
//! models, transformers, evaluators), a per-session cache of fitted models, and Spark's
//! on-disk layout for saving them.
//!
//! Models transform by adding columns computed by functions that hold the model's state,
//! so a transformed DataFrame is an ordinary DataFusion plan. Training collects the
//! columns it needs from the plan and optimizes in Rust.

mod classification;
mod clustering;
mod dataset;
mod error;
mod evaluation;
mod feature;
mod fpm;
mod frame;
mod helper;
mod matrix_data;
mod model;
mod optimize;
mod params;
mod persist;
mod registry;
mod regression;
mod runtime;
mod spark_schema;
mod tree;
mod value;

pub use error::{MlError, MlResult};
pub use runtime::{MlOutput, MlSession, OperatorInfo, HELPER_ID};
pub use value::{Matrix, MlValue};
