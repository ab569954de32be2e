//! Stateless vector transformers: `Interaction`, `DCT`, `VectorSizeHint`, `FeatureHasher`.

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::exec_err;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use ember_functions::{Vector, VectorBuilder};

use crate::error::{illegal, MlResult};
use crate::frame::{self, model_call};
use crate::model::{OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const INTERACTION: &str = "org.apache.spark.ml.feature.Interaction";
const DCT: &str = "org.apache.spark.ml.feature.DCT";
const VECTOR_SIZE_HINT: &str = "org.apache.spark.ml.feature.VectorSizeHint";
const FEATURE_HASHER: &str = "org.apache.spark.ml.feature.FeatureHasher";
/// The seed of Spark's feature hashing.
const HASH_SEED: u32 = 42;

pub fn operators() -> Vec<OperatorDef> {
    vec![
        OperatorDef {
            class: INTERACTION,
            defaults: Vec::new,
            role: Role::Stateless(interact),
        },
        OperatorDef {
            class: DCT,
            defaults: || vec![("inverse", MlValue::Boolean(false))],
            role: Role::Stateless(dct),
        },
        OperatorDef {
            class: VECTOR_SIZE_HINT,
            defaults: || vec![("handleInvalid", MlValue::String("error".into()))],
            role: Role::Stateless(size_hint),
        },
        OperatorDef {
            class: FEATURE_HASHER,
            defaults: || vec![("numFeatures", MlValue::Integer(1 << 18))],
            role: Role::Stateless(hash_features),
        },
    ]
}

/// Each input as a vector expression: vectors as they are, numbers as one-value vectors.
fn vector_inputs(plan: &LogicalPlan, names: &[String]) -> MlResult<Vec<(Expr, bool)>> {
    names
        .iter()
        .map(|name| {
            let (column, data_type) = frame::column(plan.schema(), name)?;
            if ember_functions::is_vector(&data_type) {
                Ok((column, true))
            } else {
                frame::require_numeric(name, &data_type)?;
                Ok((frame::as_double(column), false))
            }
        })
        .collect()
}

/// The rows of `arrays` as vectors (numbers as one-value vectors); NULL where any is NULL.
fn read_rows(
    arrays: &[ArrayRef],
    is_vector: &[bool],
) -> datafusion::error::Result<Vec<Vec<Option<Vector>>>> {
    let mut columns = Vec::with_capacity(arrays.len());
    for (array, vector) in arrays.iter().zip(is_vector) {
        columns.push(if *vector {
            ember_functions::read_vectors(array.as_ref())?
        } else {
            array
                .as_primitive::<Float64Type>()
                .iter()
                .map(|v| v.map(|v| Vector::Dense(vec![v])))
                .collect()
        });
    }
    Ok(columns)
}

/// The flattened outer product of `vectors`, the first varying slowest.
fn outer_product(vectors: &[&Vector]) -> Vector {
    let mut entries: Vec<(usize, f64)> = vec![(0, 1.0)];
    let mut size = 1usize;
    for vector in vectors {
        let active = vector.active();
        let mut next = Vec::with_capacity(entries.len() * active.len());
        for (index, value) in &entries {
            for (i, v) in &active {
                next.push((index * vector.size() + i, value * v));
            }
        }
        entries = next;
        size *= vector.size();
    }
    entries.sort_by_key(|(i, _)| *i);
    let (indices, values) = entries.into_iter().unzip();
    Vector::Sparse {
        size,
        indices,
        values,
    }
    .compressed()
}

fn interact(uid: &str, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
    let names = params.strings("inputCols")?.unwrap_or_default();
    if names.len() < 2 {
        return illegal("requirement failed: Interaction requires at least two input columns.");
    }
    let inputs = vector_inputs(&input, &names)?;
    let kinds: Vec<bool> = inputs.iter().map(|(_, v)| *v).collect();
    let args = inputs.into_iter().map(|(e, _)| e).collect();
    let call = model_call(
        "interaction",
        ember_functions::vector_type(),
        args,
        move |arrays| {
            let columns = read_rows(arrays, &kinds)?;
            let rows = arrays.first().map_or(0, |a| a.len());
            let mut out = VectorBuilder::default();
            for row in 0..rows {
                let vectors: Option<Vec<&Vector>> =
                    columns.iter().map(|c| c[row].as_ref()).collect();
                out.append(vectors.map(|v| outer_product(&v)).as_ref());
            }
            out.finish()
        },
    );
    frame::append_columns(input, vec![(params.output_column(uid), call)])
}

/// The orthonormal DCT-II of `x` (or its inverse, the DCT-III).
fn discrete_cosine(x: &[f64], inverse: bool) -> Vec<f64> {
    let n = x.len() as f64;
    let scale = |k: usize| {
        if k == 0 {
            (1.0 / n).sqrt()
        } else {
            (2.0 / n).sqrt()
        }
    };
    (0..x.len())
        .map(|out| {
            x.iter()
                .enumerate()
                .map(|(i, v)| {
                    let (sample, freq) = if inverse { (out, i) } else { (i, out) };
                    let weight = if inverse { scale(i) } else { scale(out) };
                    weight * v * (PI / n * (sample as f64 + 0.5) * freq as f64).cos()
                })
                .sum()
        })
        .collect()
}

fn dct(uid: &str, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
    let source = params.string("inputCol")?;
    let (column, data_type) = frame::column(input.schema(), &source)?;
    frame::require_vector(&source, &data_type)?;
    let inverse = params.boolean("inverse")?;
    let call = model_call(
        "dct",
        ember_functions::vector_type(),
        vec![column],
        move |arrays| {
            let mut out = VectorBuilder::default();
            for vector in ember_functions::read_vectors(arrays[0].as_ref())? {
                out.append(
                    vector
                        .map(|v| Vector::Dense(discrete_cosine(&v.to_dense(), inverse)))
                        .as_ref(),
                );
            }
            out.finish()
        },
    );
    frame::append_columns(input, vec![(params.output_column(uid), call)])
}

fn size_hint(_uid: &str, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
    let source = params.string("inputCol")?;
    let size = params.int("size")?;
    if size < 0 {
        return illegal(format!("VectorSizeHint size must be >= 0, got {size}"));
    }
    let size = size as usize;
    let mode = params.choice("handleInvalid", &["error", "skip", "optimistic"])?;
    let (column, data_type) = frame::column(input.schema(), &source)?;
    frame::require_vector(&source, &data_type)?;
    match mode.as_str() {
        "optimistic" => Ok(input),
        "skip" => {
            let fits = model_call(
                "vector_size_hint",
                DataType::Boolean,
                vec![column],
                move |arrays| {
                    let fits: BooleanArray = ember_functions::read_vectors(arrays[0].as_ref())?
                        .iter()
                        .map(|v| Some(v.as_ref().is_some_and(|v| v.size() == size)))
                        .collect();
                    Ok(Arc::new(fits) as ArrayRef)
                },
            );
            Ok(LogicalPlanBuilder::from(input).filter(fits)?.build()?)
        }
        _ => {
            let checked = model_call(
                "vector_size_hint",
                ember_functions::vector_type(),
                vec![column],
                move |arrays| {
                    let mut out = VectorBuilder::default();
                    for vector in ember_functions::read_vectors(arrays[0].as_ref())? {
                        match &vector {
                            Some(v) if v.size() == size => out.append(Some(v)),
                            Some(v) => {
                                return exec_err!(
                                    "[ILLEGAL_ARGUMENT] VectorSizeHint: Size of vector must be {size} but got {}",
                                    v.size()
                                )
                            }
                            None => {
                                return exec_err!(
                                    "[ILLEGAL_ARGUMENT] Got null vector in VectorSizeHint, set `handleInvalid` to 'skip' to filter invalid rows."
                                )
                            }
                        }
                    }
                    out.finish()
                },
            );
            frame::replace_column(input, &source, checked)
        }
    }
}

/// The slot of `term` among `features`: MurmurHash3 (seed 42) modulo the number of slots.
pub(crate) fn hashed_index(term: &str, features: usize) -> usize {
    let hash = ember_functions::murmur3_bytes(term.as_bytes(), HASH_SEED) as i32;
    (i64::from(hash).rem_euclid(features as i64)) as usize
}

fn hash_features(uid: &str, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
    let features = params.int("numFeatures")?;
    if features < 1 {
        return illegal(format!("numFeatures must be > 0, got {features}"));
    }
    let features = features as usize;
    let names = params.strings("inputCols")?.unwrap_or_default();
    let categorical = params.strings("categoricalCols")?.unwrap_or_default();
    // Numbers add their value at their column's slot; everything else (strings, booleans,
    // numbers named categorical) adds 1 at the slot of `column=value`.
    let mut args = Vec::with_capacity(names.len());
    let mut numeric = Vec::with_capacity(names.len());
    for name in &names {
        let (column, data_type) = frame::column(input.schema(), name)?;
        let is_number = data_type.is_numeric() && !categorical.contains(name);
        match &data_type {
            _ if is_number => args.push(frame::as_double(column)),
            DataType::Boolean | DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                args.push(datafusion::logical_expr::cast(column, DataType::Utf8))
            }
            t if t.is_numeric() => args.push(datafusion::logical_expr::cast(column, DataType::Utf8)),
            other => {
                return illegal(format!(
                    "FeatureHasher requires columns to be of NumericType, BooleanType or StringType. Column {name} was {}",
                    ember_resolve::from_arrow(other).simple_string()
                ))
            }
        }
        numeric.push(is_number);
    }
    let call = model_call(
        "feature_hasher",
        ember_functions::vector_type(),
        args,
        move |arrays| {
            let rows = arrays.first().map_or(0, |a| a.len());
            let mut out = VectorBuilder::default();
            for row in 0..rows {
                let mut slots: BTreeMap<usize, f64> = BTreeMap::new();
                for ((array, name), is_number) in arrays.iter().zip(&names).zip(&numeric) {
                    if array.is_null(row) {
                        continue;
                    }
                    if *is_number {
                        let value = array.as_primitive::<Float64Type>().value(row);
                        *slots.entry(hashed_index(name, features)).or_insert(0.0) += value;
                    } else {
                        let Some(text) = array.as_string_opt::<i32>() else {
                            return exec_err!("FeatureHasher input {name} is not text");
                        };
                        let term = format!("{name}={}", text.value(row));
                        *slots.entry(hashed_index(&term, features)).or_insert(0.0) += 1.0;
                    }
                }
                out.append(Some(&Vector::Sparse {
                    size: features,
                    indices: slots.keys().copied().collect(),
                    values: slots.values().copied().collect(),
                }));
            }
            out.finish()
        },
    );
    frame::append_columns(input, vec![(params.output_column(uid), call)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_is_orthonormal_and_inverts() {
        let x = [5.0, 8.0, 6.0];
        let y = discrete_cosine(&x, false);
        assert!((y[0] - 19.0 / 3f64.sqrt()).abs() < 1e-12);
        assert!((y[1] + std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        let back = discrete_cosine(&y, true);
        for (a, b) in back.iter().zip(x) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn outer_product_puts_the_first_vector_slowest() {
        let a = Vector::Dense(vec![1.0, 2.0]);
        let b = Vector::Dense(vec![3.0, 4.0]);
        assert_eq!(
            outer_product(&[&a, &b]),
            Vector::Dense(vec![3.0, 4.0, 6.0, 8.0])
        );
    }
}
