//! Functions over sketches: estimates (`hll_sketch_estimate`, `theta_sketch_estimate`), the
//! set operations of two sketches (`hll_union`, `theta_union`, `theta_intersection`,
//! `theta_difference`) and KLL reads (`kll_sketch_get_n|quantile|rank|merge|to_string_*`).

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BinaryBuilder, Float32Builder, Float64Builder, Int64Builder, StringBuilder,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::exec_err;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datasketches::common::SearchCriteria;
use datasketches::hll::{HllSketch, HllType, HllUnion};
use datasketches::kll::{KllFloat, KllSketch, KllValue};
use datasketches::theta::{CompactThetaSketch, ThetaANotB, ThetaIntersection, ThetaUnionBuilder};

use super::{f64_values, i64_values, invalid_sketch, sketch_bytes, KllKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Operation {
    HllEstimate,
    HllUnion,
    ThetaEstimate,
    ThetaUnion,
    ThetaIntersection,
    ThetaDifference,
    KllCount(KllKind),
    KllQuantile(KllKind),
    KllRank(KllKind),
    KllMerge(KllKind),
    KllToString(KllKind),
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct SketchScalar {
    operation: Operation,
    name: String,
    signature: Signature,
}

impl SketchScalar {
    pub(crate) fn all() -> Vec<Self> {
        let mut operations = vec![
            (Operation::HllEstimate, "hll_sketch_estimate".to_string()),
            (Operation::HllUnion, "hll_union".to_string()),
            (
                Operation::ThetaEstimate,
                "theta_sketch_estimate".to_string(),
            ),
            (Operation::ThetaUnion, "theta_union".to_string()),
            (
                Operation::ThetaIntersection,
                "theta_intersection".to_string(),
            ),
            (Operation::ThetaDifference, "theta_difference".to_string()),
        ];
        for kind in KllKind::ALL {
            let suffix = kind.suffix();
            operations.extend([
                (
                    Operation::KllCount(kind),
                    format!("kll_sketch_get_n_{suffix}"),
                ),
                (
                    Operation::KllQuantile(kind),
                    format!("kll_sketch_get_quantile_{suffix}"),
                ),
                (
                    Operation::KllRank(kind),
                    format!("kll_sketch_get_rank_{suffix}"),
                ),
                (
                    Operation::KllMerge(kind),
                    format!("kll_sketch_merge_{suffix}"),
                ),
                (
                    Operation::KllToString(kind),
                    format!("kll_sketch_to_string_{suffix}"),
                ),
            ]);
        }
        operations
            .into_iter()
            .map(|(operation, name)| Self {
                operation,
                name,
                signature: Signature::variadic_any(Volatility::Immutable),
            })
            .collect()
    }
}

impl ScalarUDFImpl for SketchScalar {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.operation {
            Operation::HllEstimate | Operation::ThetaEstimate | Operation::KllCount(_) => {
                DataType::Int64
            }
            Operation::KllQuantile(kind) => kind.value_type(),
            Operation::KllRank(_) => DataType::Float64,
            Operation::KllToString(_) => DataType::Utf8,
            _ => DataType::Binary,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(first) = arrays.first() else {
            return exec_err!("{} takes a sketch", self.name);
        };
        let sketches = sketch_bytes(first)?;
        let second = arrays.get(1);
        let name = self.name.as_str();
        let result: ArrayRef = match self.operation {
            Operation::HllEstimate => {
                let mut out = Int64Builder::new();
                for bytes in &sketches {
                    out.append_option(match bytes {
                        Some(bytes) => Some(hll(bytes, name)?.estimate().round() as i64),
                        None => None,
                    });
                }
                Arc::new(out.finish())
            }
            Operation::ThetaEstimate => {
                let mut out = Int64Builder::new();
                for bytes in &sketches {
                    out.append_option(match bytes {
                        Some(bytes) => Some(theta(bytes, name)?.estimate().round() as i64),
                        None => None,
                    });
                }
                Arc::new(out.finish())
            }
            Operation::HllUnion
            | Operation::ThetaUnion
            | Operation::ThetaIntersection
            | Operation::ThetaDifference
            | Operation::KllMerge(_) => {
                let Some(second) = second else {
                    return exec_err!("{name} takes two sketches");
                };
                let others = sketch_bytes(second)?;
                let mut out = BinaryBuilder::new();
                for (left, right) in sketches.iter().zip(&others) {
                    match (left, right) {
                        (Some(left), Some(right)) => {
                            out.append_value(self.combine(left, right)?);
                        }
                        _ => out.append_null(),
                    }
                }
                Arc::new(out.finish())
            }
            Operation::KllCount(kind) => {
                let mut out = Int64Builder::new();
                for bytes in &sketches {
                    out.append_option(match bytes {
                        Some(bytes) => Some(kll_count(kind, bytes, name)?),
                        None => None,
                    });
                }
                Arc::new(out.finish())
            }
            Operation::KllToString(kind) => {
                let mut out = StringBuilder::new();
                for bytes in &sketches {
                    match bytes {
                        Some(bytes) => out.append_value(kll_summary(kind, bytes, name)?),
                        None => out.append_null(),
                    }
                }
                Arc::new(out.finish())
            }
            Operation::KllQuantile(kind) => {
                let Some(second) = second else {
                    return exec_err!("{name} takes a sketch and a rank");
                };
                kll_quantiles(kind, &sketches, &f64_values(second)?, name)?
            }
            Operation::KllRank(kind) => {
                let Some(second) = second else {
                    return exec_err!("{name} takes a sketch and a value");
                };
                let mut out = Float64Builder::new();
                let values = f64_values(second)?;
                let longs = i64_values(second)?;
                for ((bytes, value), long) in sketches.iter().zip(values).zip(longs) {
                    out.append_option(match (bytes, value, long) {
                        (Some(bytes), Some(value), Some(long)) => {
                            kll_rank(kind, bytes, value, long, name)?
                        }
                        _ => None,
                    });
                }
                Arc::new(out.finish())
            }
        };
        Ok(ColumnarValue::Array(result))
    }
}

impl SketchScalar {
    fn combine(&self, left: &[u8], right: &[u8]) -> Result<Vec<u8>> {
        let name = self.name.as_str();
        let external = |e: datasketches::error::Error| {
            datafusion::error::DataFusionError::Execution(e.to_string())
        };
        Ok(match self.operation {
            Operation::HllUnion => {
                let (left, right) = (hll(left, name)?, hll(right, name)?);
                let mut union =
                    HllUnion::new(left.lg_config_k().max(right.lg_config_k())).map_err(external)?;
                union.update(&left);
                union.update(&right);
                union.to_sketch(HllType::Hll8).serialize()
            }
            Operation::ThetaUnion => {
                let mut union = ThetaUnionBuilder::default().build().map_err(external)?;
                union.update(&theta(left, name)?).map_err(external)?;
                union.update(&theta(right, name)?).map_err(external)?;
                union.to_sketch(true).serialize_compressed()
            }
            Operation::ThetaIntersection => {
                let mut intersection = ThetaIntersection::default();
                intersection.update(&theta(left, name)?).map_err(external)?;
                intersection
                    .update(&theta(right, name)?)
                    .map_err(external)?;
                match intersection.to_sketch(true) {
                    Some(sketch) => sketch.serialize_compressed(),
                    None => return exec_err!("{name}: the intersection has no result"),
                }
            }
            Operation::ThetaDifference => ThetaANotB::default()
                .compute(&theta(left, name)?, &theta(right, name)?, true)
                .map_err(external)?
                .serialize_compressed(),
            Operation::KllMerge(KllKind::Bigint) => merged::<i64>(left, right, name)?,
            Operation::KllMerge(KllKind::Float) => merged::<KllFloat<f32>>(left, right, name)?,
            Operation::KllMerge(KllKind::Double) => merged::<KllFloat<f64>>(left, right, name)?,
            _ => return exec_err!("{name} does not combine sketches"),
        })
    }
}

fn hll(bytes: &[u8], name: &str) -> Result<HllSketch> {
    HllSketch::deserialize(bytes).map_err(|_| invalid_sketch(name, "HLL"))
}

fn theta(bytes: &[u8], name: &str) -> Result<CompactThetaSketch> {
    CompactThetaSketch::deserialize(bytes).map_err(|_| invalid_sketch(name, "THETA"))
}

fn kll<T: KllValue + Ord>(bytes: &[u8], name: &str) -> Result<KllSketch<T>> {
    KllSketch::<T>::deserialize(bytes).map_err(|_| invalid_sketch(name, "KLL"))
}

fn merged<T: KllValue + Ord>(left: &[u8], right: &[u8], name: &str) -> Result<Vec<u8>> {
    let mut sketch = kll::<T>(left, name)?;
    sketch
        .merge(&kll::<T>(right, name)?)
        .map_err(|e| datafusion::error::DataFusionError::Execution(e.to_string()))?;
    Ok(sketch.serialize())
}

fn kll_count(kind: KllKind, bytes: &[u8], name: &str) -> Result<i64> {
    let n = match kind {
        KllKind::Bigint => kll::<i64>(bytes, name)?.n(),
        KllKind::Float => kll::<KllFloat<f32>>(bytes, name)?.n(),
        KllKind::Double => kll::<KllFloat<f64>>(bytes, name)?.n(),
    };
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The summary the Java sketch prints: its class, parameters and extremes.
fn kll_summary(kind: KllKind, bytes: &[u8], name: &str) -> Result<String> {
    /// An item as the summary prints it: its value, or nothing for an empty sketch.
    struct Shown<'a, T>(Option<&'a T>);
    impl<T: std::fmt::Debug> std::fmt::Debug for Shown<'_, T> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self.0 {
                Some(item) => write!(f, "{item:?}"),
                None => Ok(()),
            }
        }
    }
    fn text<T: KllValue + Ord + std::fmt::Debug>(sketch: &KllSketch<T>, class: &str) -> String {
        format!(
            "### {class} Summary:\n   K                   : {}\n   min K               : {}\n   N                   : {}\n   Retained Items      : {}\n   Estimation Mode     : {}\n   Normalized Rank Error: {:.3}%\n   Min Item            : {:?}\n   Max Item            : {:?}\n### End sketch summary\n",
            sketch.k(),
            sketch.min_k(),
            sketch.n(),
            sketch.num_retained(),
            sketch.is_estimation_mode(),
            sketch.normalized_rank_error() * 100.0,
            Shown(sketch.min_item()),
            Shown(sketch.max_item()),
        )
    }
    let class = kind.class_name();
    Ok(match kind {
        KllKind::Bigint => text(&kll::<i64>(bytes, name)?, class),
        KllKind::Float => text(&kll::<KllFloat<f32>>(bytes, name)?, class),
        KllKind::Double => text(&kll::<KllFloat<f64>>(bytes, name)?, class),
    })
}

fn rank_out_of_range(name: &str, rank: f64) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Execution(format!(
        "[KLL_SKETCH_INVALID_QUANTILE_RANGE] Invalid call to {name}; the rank {rank} must be between 0.0 and 1.0, inclusive."
    ))
}

/// The item at `rank` (inclusive) of one sketch.
fn kll_quantile<T: KllValue + Ord>(bytes: &[u8], rank: f64, name: &str) -> Result<Option<T>> {
    if !(0.0..=1.0).contains(&rank) {
        return Err(rank_out_of_range(name, rank));
    }
    kll::<T>(bytes, name)?
        .quantile(rank, SearchCriteria::Inclusive)
        .map_err(|e| datafusion::error::DataFusionError::Execution(e.to_string()))
}

fn kll_quantiles(
    kind: KllKind,
    sketches: &[Option<Vec<u8>>],
    ranks: &[Option<f64>],
    name: &str,
) -> Result<ArrayRef> {
    let rows = sketches
        .iter()
        .zip(ranks)
        .map(|(bytes, rank)| match (bytes, rank) {
            (Some(bytes), Some(rank)) => Some((bytes.as_slice(), *rank)),
            _ => None,
        });
    Ok(match kind {
        KllKind::Bigint => {
            let mut out = Int64Builder::new();
            for row in rows {
                out.append_option(match row {
                    Some((bytes, rank)) => kll_quantile::<i64>(bytes, rank, name)?,
                    None => None,
                });
            }
            Arc::new(out.finish())
        }
        KllKind::Float => {
            let mut out = Float32Builder::new();
            for row in rows {
                out.append_option(match row {
                    Some((bytes, rank)) => {
                        kll_quantile::<KllFloat<f32>>(bytes, rank, name)?.map(KllFloat::into_inner)
                    }
                    None => None,
                });
            }
            Arc::new(out.finish())
        }
        KllKind::Double => {
            let mut out = Float64Builder::new();
            for row in rows {
                out.append_option(match row {
                    Some((bytes, rank)) => {
                        kll_quantile::<KllFloat<f64>>(bytes, rank, name)?.map(KllFloat::into_inner)
                    }
                    None => None,
                });
            }
            Arc::new(out.finish())
        }
    })
}

/// The fraction of the sketch's values at or below `value`.
fn kll_rank(kind: KllKind, bytes: &[u8], value: f64, long: i64, name: &str) -> Result<Option<f64>> {
    Ok(match kind {
        KllKind::Bigint => kll::<i64>(bytes, name)?.rank(&long, SearchCriteria::Inclusive),
        KllKind::Float => match KllFloat::<f32>::new(value as f32) {
            Ok(item) => kll::<KllFloat<f32>>(bytes, name)?.rank(&item, SearchCriteria::Inclusive),
            Err(_) => None,
        },
        KllKind::Double => match KllFloat::<f64>::new(value) {
            Ok(item) => kll::<KllFloat<f64>>(bytes, name)?.rank(&item, SearchCriteria::Inclusive),
            Err(_) => None,
        },
    })
}
