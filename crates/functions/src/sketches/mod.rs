//! Spark's DataSketches functions: HLL and Theta sketches for distinct counts (with unions,
//! intersections and differences of Theta sketches) and KLL sketches for quantiles, in the
//! DataSketches binary format through the `datasketches` crate. Aggregates build or merge
//! sketches (`aggregate.rs`); scalar functions read and combine them (`scalar.rs`).
//!
//! Values are hashed as the Java library hashes Spark's updates: integers widened to 64 bits,
//! strings and binary as their raw bytes, floating point in canonical form.

mod aggregate;
mod scalar;

pub(crate) use aggregate::SketchAggregate;
pub(crate) use scalar::SketchScalar;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type, Int64Type};
use datafusion::error::{DataFusionError, Result};

/// The value type a KLL sketch holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum KllKind {
    Bigint,
    Float,
    Double,
}

impl KllKind {
    const ALL: [KllKind; 3] = [KllKind::Bigint, KllKind::Float, KllKind::Double];

    fn suffix(self) -> &'static str {
        match self {
            KllKind::Bigint => "bigint",
            KllKind::Float => "float",
            KllKind::Double => "double",
        }
    }

    fn value_type(self) -> DataType {
        match self {
            KllKind::Bigint => DataType::Int64,
            KllKind::Float => DataType::Float32,
            KllKind::Double => DataType::Float64,
        }
    }

    /// The Java class name `kll_sketch_to_string` shows.
    fn class_name(self) -> &'static str {
        match self {
            KllKind::Bigint => "KllLongsSketch",
            KllKind::Float => "KllFloatsSketch",
            KllKind::Double => "KllDoublesSketch",
        }
    }
}

/// Spark's error for bytes that are not a sketch of the expected family.
fn invalid_sketch(function: &str, family: &str) -> DataFusionError {
    DataFusionError::Execution(format!(
        "[{family}_INVALID_INPUT_SKETCH_BUFFER] Invalid call to {function}; only valid {family} sketch buffers are supported as inputs (such as those produced by the `{}_sketch_agg` function).",
        family.to_ascii_lowercase()
    ))
}

/// One value to hash into a distinct-count sketch.
enum HashedValue<'a> {
    Integer(i64),
    Float(f64),
    Bytes(&'a [u8]),
}

/// Calls `each` with every non-null value of `array`, in the form the Java library hashes.
fn for_each_hashed(array: &ArrayRef, mut each: impl FnMut(HashedValue<'_>)) -> Result<()> {
    match array.data_type() {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            let longs = cast(array, &DataType::Int64)?;
            for value in longs.as_primitive::<Int64Type>().iter().flatten() {
                each(HashedValue::Integer(value));
            }
        }
        DataType::Float32 | DataType::Float64 => {
            let doubles = cast(array, &DataType::Float64)?;
            for value in doubles.as_primitive::<Float64Type>().iter().flatten() {
                each(HashedValue::Float(value));
            }
        }
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            let bytes = cast(array, &DataType::Binary)?;
            for value in bytes.as_binary::<i32>().iter().flatten() {
                each(HashedValue::Bytes(value));
            }
        }
        DataType::Null => {}
        _ => {
            let text = cast(array, &DataType::Utf8)?;
            for value in text.as_string::<i32>().iter().flatten() {
                // The Java library skips empty strings.
                if !value.is_empty() {
                    each(HashedValue::Bytes(value.as_bytes()));
                }
            }
        }
    }
    Ok(())
}

/// The non-null sketches of a binary column.
fn sketch_bytes(array: &ArrayRef) -> Result<Vec<Option<Vec<u8>>>> {
    let bytes = cast(array, &DataType::Binary)?;
    Ok(bytes
        .as_binary::<i32>()
        .iter()
        .map(|b| b.map(<[u8]>::to_vec))
        .collect())
}

fn f32_values(array: &ArrayRef) -> Result<Vec<Option<f32>>> {
    Ok(cast(array, &DataType::Float32)?
        .as_primitive::<Float32Type>()
        .iter()
        .collect())
}

fn f64_values(array: &ArrayRef) -> Result<Vec<Option<f64>>> {
    Ok(cast(array, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .iter()
        .collect())
}

fn i64_values(array: &ArrayRef) -> Result<Vec<Option<i64>>> {
    Ok(cast(array, &DataType::Int64)?
        .as_primitive::<Int64Type>()
        .iter()
        .collect())
}
