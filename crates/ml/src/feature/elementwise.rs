//! Transformers that need no fitting and map values one by one: `Binarizer`, `Bucketizer`,
//! `Normalizer`.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Float64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::exec_err;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use ember_functions::{Vector, VectorBuilder};

use crate::error::{illegal, MlResult};
use crate::feature::string_indexer::column_pairs;
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const BINARIZER: &str = "org.apache.spark.ml.feature.Binarizer";
const BUCKETIZER: &str = "org.apache.spark.ml.feature.Bucketizer";
const NORMALIZER: &str = "org.apache.spark.ml.feature.Normalizer";
const ELEMENTWISE_PRODUCT: &str = "org.apache.spark.ml.feature.ElementwiseProduct";
const VECTOR_SLICER: &str = "org.apache.spark.ml.feature.VectorSlicer";
const POLYNOMIAL_EXPANSION: &str = "org.apache.spark.ml.feature.PolynomialExpansion";

pub fn operators() -> Vec<OperatorDef> {
    vec![
        OperatorDef {
            class: ELEMENTWISE_PRODUCT,
            defaults: Vec::new,
            role: Role::Transformer(|uid, params, _| {
                Ok(Arc::new(VectorMap {
                    class: ELEMENTWISE_PRODUCT,
                    uid,
                    params,
                }))
            }),
        },
        OperatorDef {
            class: VECTOR_SLICER,
            defaults: || {
                vec![
                    ("indices", MlValue::Array(Vec::new())),
                    ("names", MlValue::Array(Vec::new())),
                ]
            },
            role: Role::Transformer(|uid, params, _| {
                Ok(Arc::new(VectorMap {
                    class: VECTOR_SLICER,
                    uid,
                    params,
                }))
            }),
        },
        OperatorDef {
            class: POLYNOMIAL_EXPANSION,
            defaults: || vec![("degree", MlValue::Integer(2))],
            role: Role::Transformer(|uid, params, _| {
                Ok(Arc::new(VectorMap {
                    class: POLYNOMIAL_EXPANSION,
                    uid,
                    params,
                }))
            }),
        },
        OperatorDef {
            class: BINARIZER,
            defaults: || vec![("threshold", MlValue::Double(0.0))],
            role: Role::Transformer(|uid, params, _| {
                Ok(Arc::new(Elementwise {
                    class: BINARIZER,
                    uid,
                    params,
                }))
            }),
        },
        OperatorDef {
            class: BUCKETIZER,
            defaults: || vec![("handleInvalid", MlValue::String("error".into()))],
            role: Role::Transformer(|uid, params, _| {
                Ok(Arc::new(Elementwise {
                    class: BUCKETIZER,
                    uid,
                    params,
                }))
            }),
        },
        OperatorDef {
            class: NORMALIZER,
            defaults: || vec![("p", MlValue::Double(2.0))],
            role: Role::Transformer(|uid, params, _| {
                Ok(Arc::new(Elementwise {
                    class: NORMALIZER,
                    uid,
                    params,
                }))
            }),
        },
    ]
}

struct Elementwise {
    class: &'static str,
    uid: String,
    params: Params,
}

/// A list param of one entry per column (`thresholds`, `splitsArray`), or the single-column
/// param repeated.
fn per_column<T: Clone>(
    single: Option<T>,
    multiple: Option<Vec<T>>,
    count: usize,
) -> MlResult<Vec<T>> {
    match (multiple, single) {
        (Some(values), _) if values.len() == count => Ok(values),
        (Some(values), _) => illegal(format!(
            "requirement failed: The number of parameter values ({}) must match the number of input columns ({count}).",
            values.len()
        )),
        (None, Some(value)) => Ok(vec![value; count]),
        (None, None) => illegal("a required parameter is not set"),
    }
}

fn nested_doubles(params: &Params, name: &str) -> MlResult<Option<Vec<Vec<f64>>>> {
    match params.get(name) {
        None => Ok(None),
        Some(MlValue::Array(rows)) => rows
            .iter()
            .map(|row| match row {
                MlValue::Array(values) => values
                    .iter()
                    .map(|v| {
                        v.as_f64().map(Ok).unwrap_or_else(|| {
                            illegal(format!("param {name} must hold arrays of numbers"))
                        })
                    })
                    .collect(),
                _ => illegal(format!("param {name} must hold arrays of numbers")),
            })
            .collect::<MlResult<Vec<_>>>()
            .map(Some),
        Some(_) => illegal(format!("param {name} must hold arrays of numbers")),
    }
}

impl Elementwise {
    fn binarize(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        let pairs = column_pairs(params, &self.uid)?;
        let thresholds = per_column(
            params.get("threshold").and_then(MlValue::as_f64),
            params.doubles("thresholds")?,
            pairs.len(),
        )?;
        let mut outputs = Vec::new();
        for ((source, target), threshold) in pairs.into_iter().zip(thresholds) {
            let (column, data_type) = frame::column(input.schema(), &source)?;
            let call = if ember_functions::is_vector(&data_type) {
                model_call(
                    "binarizer",
                    ember_functions::vector_type(),
                    vec![column],
                    move |arrays| {
                        let mut builder = VectorBuilder::default();
                        for vector in ember_functions::read_vectors(arrays[0].as_ref())? {
                            builder.append(vector.map(|v| binarize_vector(&v, threshold)).as_ref());
                        }
                        builder.finish()
                    },
                )
            } else {
                frame::require_numeric(&source, &data_type)?;
                model_call(
                    "binarizer",
                    DataType::Float64,
                    vec![frame::as_double(column)],
                    move |arrays| {
                        let values = arrays[0].as_primitive::<Float64Type>();
                        let out: Float64Array = values
                            .iter()
                            .map(|v| v.map(|v| if v > threshold { 1.0 } else { 0.0 }))
                            .collect();
                        Ok(Arc::new(out) as ArrayRef)
                    },
                )
            };
            outputs.push((target, call));
        }
        frame::append_columns(input, outputs)
    }

    fn bucketize(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        let mode = params.choice("handleInvalid", &["skip", "error", "keep"])?;
        let pairs = column_pairs(params, &self.uid)?;
        let splits = per_column(
            params.doubles("splits")?,
            nested_doubles(params, "splitsArray")?,
            pairs.len(),
        )?;
        for s in &splits {
            if s.len() < 3 {
                return illegal("Splits must contain at least three values.");
            }
            if s.windows(2).any(|w| w[0] >= w[1]) {
                return illegal("Splits must be strictly increasing.");
            }
        }
        let mut input = input;
        if mode == "skip" {
            // Rows with a NaN or NULL input are dropped first.
            for (source, _) in &pairs {
                let (column, _) = frame::column(input.schema(), source)?;
                let valid = column.clone().is_not_null().and(Expr::Not(Box::new(
                    datafusion::functions::math::expr_fn::isnan(frame::as_double(column)),
                )));
                input = LogicalPlanBuilder::from(input).filter(valid)?.build()?;
            }
        }
        let keep = mode == "keep";
        let mut outputs = Vec::new();
        for ((source, target), splits) in pairs.into_iter().zip(splits) {
            let (column, data_type) = frame::column(input.schema(), &source)?;
            frame::require_numeric(&source, &data_type)?;
            let call = model_call(
                "bucketizer",
                DataType::Float64,
                vec![frame::as_double(column)],
                move |arrays| {
                    let values = arrays[0].as_primitive::<Float64Type>();
                    let mut out = Vec::with_capacity(values.len());
                    for v in values.iter() {
                        out.push(match v {
                        Some(v) if !v.is_nan() => Some(bucket(&splits, v)?),
                        _ if keep => Some((splits.len() - 1) as f64),
                        _ => {
                            return exec_err!("Bucketizer encountered NaN value. To handle or skip NaNs, try setting Bucketizer.handleInvalid.")
                        }
                    });
                    }
                    Ok(Arc::new(Float64Array::from(out)) as ArrayRef)
                },
            );
            outputs.push((target, call));
        }
        frame::append_columns(input, outputs)
    }

    fn normalize(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        let p = params.double("p")?;
        if p < 1.0 {
            return illegal(format!(
                "Normalizer given invalid param p = {p}: it must be >= 1."
            ));
        }
        let source = params.string("inputCol")?;
        let target = params.output_column(&self.uid);
        let (column, data_type) = frame::column(input.schema(), &source)?;
        frame::require_vector(&source, &data_type)?;
        let call = model_call(
            "normalizer",
            ember_functions::vector_type(),
            vec![column],
            move |arrays| {
                let mut builder = VectorBuilder::default();
                for vector in ember_functions::read_vectors(arrays[0].as_ref())? {
                    builder.append(vector.map(|v| normalize(v, p)).as_ref());
                }
                builder.finish()
            },
        );
        frame::append_columns(input, vec![(target, call)])
    }
}

fn binarize_vector(vector: &Vector, threshold: f64) -> Vector {
    let size = vector.size();
    let (indices, values): (Vec<usize>, Vec<f64>) = vector
        .active()
        .into_iter()
        .filter(|(_, v)| *v > threshold)
        .map(|(i, _)| (i, 1.0))
        .unzip();
    if threshold < 0.0 {
        // Zeros pass a negative threshold too: every entry not stored is above it.
        let mut dense = vec![1.0; size];
        for (i, v) in vector.active() {
            dense[i] = if v > threshold { 1.0 } else { 0.0 };
        }
        return Vector::Dense(dense).compressed();
    }
    Vector::Sparse {
        size,
        indices,
        values,
    }
    .compressed()
}

/// The bucket of `value`: `[s_i, s_{i+1})`, the last bucket closed on the right.
fn bucket(splits: &[f64], value: f64) -> datafusion::error::Result<f64> {
    let last = splits.len() - 1;
    if value == splits[last] {
        return Ok((last - 1) as f64);
    }
    if value < splits[0] || value > splits[last] {
        return exec_err!(
            "Feature value {value} out of Bucketizer bounds [{}, {}].  Check your features, or loosen the lower/upper bound constraints.",
            splits[0],
            splits[last]
        );
    }
    let index = splits.partition_point(|s| *s <= value);
    Ok((index - 1) as f64)
}

fn normalize(vector: Vector, p: f64) -> Vector {
    let active = vector.active();
    let norm = if p.is_infinite() {
        active.iter().map(|(_, v)| v.abs()).fold(0.0, f64::max)
    } else if p == 1.0 {
        active.iter().map(|(_, v)| v.abs()).sum()
    } else if p == 2.0 {
        active.iter().map(|(_, v)| v * v).sum::<f64>().sqrt()
    } else {
        active
            .iter()
            .map(|(_, v)| v.abs().powf(p))
            .sum::<f64>()
            .powf(1.0 / p)
    };
    let divide = |v: f64| if norm != 0.0 { v / norm } else { v };
    match vector {
        Vector::Dense(values) => Vector::Dense(values.into_iter().map(divide).collect()),
        Vector::Sparse {
            size,
            indices,
            values,
        } => Vector::Sparse {
            size,
            indices,
            values: values.into_iter().map(divide).collect(),
        },
    }
}

impl Model for Elementwise {
    fn class(&self) -> &'static str {
        self.class
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn transform(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        match self.class {
            BINARIZER => self.binarize(input, params),
            BUCKETIZER => self.bucketize(input, params),
            _ => self.normalize(input, params),
        }
    }
    fn attribute(&self, _name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(None)
    }
    fn data(&self) -> MlResult<Option<RecordBatch>> {
        Ok(None)
    }
}

/// Vector-to-vector transformers with no fitted state.
struct VectorMap {
    class: &'static str,
    uid: String,
    params: Params,
}

impl VectorMap {
    /// The function one transform applies to each vector.
    fn mapping(&self, params: &Params) -> MlResult<Arc<dyn Fn(Vector) -> Vector + Send + Sync>> {
        Ok(match self.class {
            ELEMENTWISE_PRODUCT => {
                let Some(MlValue::Vector(scaling)) = params.get("scalingVec").cloned() else {
                    return illegal("ElementwiseProduct needs scalingVec");
                };
                let factors = scaling.to_dense();
                Arc::new(move |v: Vector| match v {
                    Vector::Dense(values) => {
                        Vector::Dense(values.iter().zip(&factors).map(|(x, f)| x * f).collect())
                    }
                    Vector::Sparse {
                        size,
                        indices,
                        values,
                    } => {
                        let values = indices
                            .iter()
                            .zip(values)
                            .map(|(i, x)| x * factors.get(*i).copied().unwrap_or(0.0))
                            .collect();
                        Vector::Sparse {
                            size,
                            indices,
                            values,
                        }
                    }
                })
            }
            VECTOR_SLICER => {
                if params.strings("names")?.is_some_and(|n| !n.is_empty()) {
                    return illegal(
                        "VectorSlicer by feature names is not supported yet; use indices",
                    );
                }
                let indices: Vec<usize> = match params.get("indices") {
                    Some(MlValue::Array(values)) => values
                        .iter()
                        .filter_map(MlValue::as_i64)
                        .filter_map(|i| usize::try_from(i).ok())
                        .collect(),
                    _ => Vec::new(),
                };
                if indices.is_empty() {
                    return illegal("requirement failed: VectorSlicer requires that at least one feature be selected.");
                }
                Arc::new(move |v: Vector| {
                    let dense = v.to_dense();
                    let picked: Vec<f64> = indices
                        .iter()
                        .map(|i| dense.get(*i).copied().unwrap_or(0.0))
                        .collect();
                    // Sparse stays sparse, as in Spark.
                    match v {
                        Vector::Dense(_) => Vector::Dense(picked),
                        Vector::Sparse { .. } => {
                            let (indices, values) = picked
                                .iter()
                                .enumerate()
                                .filter(|(_, x)| **x != 0.0)
                                .map(|(i, x)| (i, *x))
                                .unzip();
                            Vector::Sparse {
                                size: picked.len(),
                                indices,
                                values,
                            }
                        }
                    }
                })
            }
            _ => {
                let degree = params.int("degree")?;
                if degree < 1 {
                    return illegal(format!(
                        "PolynomialExpansion degree must be >= 1, got {degree}"
                    ));
                }
                let degree = degree as usize;
                Arc::new(move |v: Vector| {
                    let sparse = matches!(v, Vector::Sparse { .. });
                    let values = v.to_dense();
                    let mut out = vec![0.0; polynomial_size(values.len(), degree) - 1];
                    expand(
                        &values,
                        values.len() as isize - 1,
                        degree,
                        1.0,
                        &mut out,
                        -1,
                    );
                    if sparse {
                        let (indices, values) = out
                            .iter()
                            .enumerate()
                            .filter(|(_, x)| **x != 0.0)
                            .map(|(i, x)| (i, *x))
                            .unzip();
                        Vector::Sparse {
                            size: out.len(),
                            indices,
                            values,
                        }
                    } else {
                        Vector::Dense(out)
                    }
                })
            }
        })
    }
}

/// How many monomials of degree at most `degree` there are in `features` variables.
fn polynomial_size(features: usize, degree: usize) -> usize {
    // C(features + degree, degree), computed without overflow for sane sizes.
    let mut size = 1usize;
    for k in 1..=degree {
        size = size * (features + k) / k;
    }
    size
}

/// Spark's order of the expanded terms: recursion over the last feature's powers.
fn expand(
    values: &[f64],
    last: isize,
    degree: usize,
    multiplier: f64,
    out: &mut [f64],
    current: isize,
) -> isize {
    let size = polynomial_size((last + 1) as usize, degree) as isize;
    if multiplier != 0.0 {
        if degree == 0 || last < 0 {
            if current >= 0 {
                out[current as usize] = multiplier;
            }
        } else {
            let v = values[last as usize];
            let mut alpha = multiplier;
            let mut start = current;
            for i in 0..=degree {
                if alpha == 0.0 {
                    break;
                }
                start = expand(values, last - 1, degree - i, alpha, out, start);
                alpha *= v;
            }
        }
    }
    current + size
}

impl Model for VectorMap {
    fn class(&self) -> &'static str {
        self.class
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn transform(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        let source = params.string("inputCol")?;
        let target = params.output_column(&self.uid);
        let (column, data_type) = frame::column(input.schema(), &source)?;
        frame::require_vector(&source, &data_type)?;
        let mapping = self.mapping(params)?;
        let call = model_call(
            "vector_map",
            ember_functions::vector_type(),
            vec![column],
            move |arrays| {
                let mut builder = VectorBuilder::default();
                for vector in ember_functions::read_vectors(arrays[0].as_ref())? {
                    builder.append(vector.map(|v| mapping(v)).as_ref());
                }
                builder.finish()
            },
        );
        frame::append_columns(input, vec![(target, call)])
    }
    fn attribute(&self, _name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(None)
    }
    fn data(&self) -> MlResult<Option<RecordBatch>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn polynomial_terms_come_in_sparks_order() {
        let values = [0.5, 2.0];
        let mut out = vec![0.0; polynomial_size(2, 2) - 1];
        expand(&values, 1, 2, 1.0, &mut out, -1);
        assert_eq!(out, vec![0.5, 0.25, 2.0, 1.0, 4.0]);
    }

    use super::*;

    #[test]
    fn buckets_are_closed_on_the_left_and_the_last_on_both_sides() -> datafusion::error::Result<()>
    {
        let splits = [f64::NEG_INFINITY, -0.5, 0.0, 0.5, f64::INFINITY];
        assert_eq!(bucket(&splits, -0.9)?, 0.0);
        assert_eq!(bucket(&splits, -0.5)?, 1.0);
        assert_eq!(bucket(&splits, 0.2)?, 2.0);
        assert_eq!(bucket(&splits, 0.5)?, 3.0);
        assert_eq!(bucket(&[0.0, 1.0, 2.0], 2.0)?, 1.0);
        assert!(bucket(&[0.0, 1.0, 2.0], 2.5).is_err());
        Ok(())
    }

    #[test]
    fn normalizing_keeps_sparsity() {
        let sparse = Vector::Sparse {
            size: 4,
            indices: vec![1, 3],
            values: vec![3.0, 4.0],
        };
        let normalized = normalize(sparse, 2.0);
        assert!(
            matches!(normalized, Vector::Sparse { ref values, .. } if *values == vec![0.6, 0.8])
        );
    }
}
