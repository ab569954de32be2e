//! `VectorIndexer`: features with few distinct values become category indices.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Builder, Int32Array, Int32Builder, MapBuilder, RecordBatch,
};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int32Type, Schema};
use datafusion::common::exec_err;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;

use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const ESTIMATOR: &str = "org.apache.spark.ml.feature.VectorIndexer";
const MODEL: &str = "org.apache.spark.ml.feature.VectorIndexerModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("maxCategories", MlValue::Integer(20)),
        ("handleInvalid", MlValue::String("error".into())),
        ("outputCol", MlValue::Null),
    ]
}

pub fn operators() -> Vec<OperatorDef> {
    vec![
        OperatorDef {
            class: ESTIMATOR,
            defaults,
            role: Role::Estimator(fit),
        },
        OperatorDef {
            class: MODEL,
            defaults,
            role: Role::Transformer(load),
        },
    ]
}

/// Each categorical feature's values and their indices: 0.0 first when present, then the
/// others in ascending order.
type CategoryMaps = BTreeMap<usize, Vec<(f64, usize)>>;

fn category_map(values: &BTreeSet<u64>) -> Vec<(f64, usize)> {
    let mut sorted: Vec<f64> = values.iter().map(|b| f64::from_bits(*b)).collect();
    sorted.sort_by(f64::total_cmp);
    if let Some(zero) = sorted.iter().position(|v| *v == 0.0) {
        let value = sorted.remove(zero);
        sorted.insert(0, value);
    }
    sorted
        .into_iter()
        .enumerate()
        .map(|(i, v)| (v, i))
        .collect()
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let max = params.int("maxCategories")?;
        if max < 2 {
            return illegal(format!(
                "requirement failed: VectorIndexer maxCategories must be >= 2, but was {max}"
            ));
        }
        let max = max as usize;
        let source = params.string("inputCol")?;
        let (column, data_type) = frame::column(data.schema(), &source)?;
        frame::require_vector(&source, &data_type)?;
        let batches = frame::collect(context, frame::select(data, vec![column])?).await?;
        let mut features = 0usize;
        // Distinct values per feature, until a feature has too many to be categorical.
        let mut distinct: Vec<Option<BTreeSet<u64>>> = Vec::new();
        for vector in frame::vectors(&batches, 0)?.into_iter().flatten() {
            if distinct.is_empty() {
                features = vector.size();
                distinct = vec![Some(BTreeSet::new()); features];
            } else if vector.size() != features {
                return illegal(format!(
                    "requirement failed: VectorIndexer expected {features} features but found vector of size {}.",
                    vector.size()
                ));
            }
            for (i, v) in vector.to_dense().into_iter().enumerate() {
                if let Some(set) = &mut distinct[i] {
                    set.insert((v + 0.0).to_bits());
                    if set.len() > max {
                        distinct[i] = None;
                    }
                }
            }
        }
        let maps = distinct
            .iter()
            .enumerate()
            .filter_map(|(i, set)| set.as_ref().map(|s| (i, category_map(s))))
            .collect();
        Ok(Arc::new(VectorIndexerModel {
            uid,
            params,
            features,
            maps,
        }) as Arc<dyn Model>)
    })
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let lacks = |name: &str| MlError::IllegalArgument(format!("model data lacks {name}"));
    let features = data
        .column_by_name("numFeatures")
        .and_then(|c| c.as_primitive_opt::<Int32Type>())
        .filter(|c| !c.is_empty())
        .map(|c| c.value(0))
        .ok_or_else(|| lacks("numFeatures"))?;
    let outer = data
        .column_by_name("categoryMaps")
        .and_then(|c| c.as_map_opt())
        .filter(|m| !m.is_empty())
        .ok_or_else(|| lacks("categoryMaps"))?;
    let entries = outer.value(0);
    let keys = entries.column(0).as_primitive::<Int32Type>();
    let Some(inner) = entries.column(1).as_map_opt() else {
        return Err(lacks("categoryMaps"));
    };
    let mut maps = CategoryMaps::new();
    for (row, key) in keys.iter().enumerate() {
        let pairs = inner.value(row);
        let values = pairs.column(0).as_primitive::<Float64Type>();
        let indices = pairs.column(1).as_primitive::<Int32Type>();
        let mut map: Vec<(f64, usize)> = values
            .values()
            .iter()
            .zip(indices.values())
            .map(|(v, i)| (*v, usize::try_from(*i).unwrap_or_default()))
            .collect();
        map.sort_by_key(|(_, i)| *i);
        maps.insert(
            usize::try_from(key.unwrap_or_default()).unwrap_or_default(),
            map,
        );
    }
    Ok(Arc::new(VectorIndexerModel {
        uid,
        params,
        features: usize::try_from(features).unwrap_or_default(),
        maps,
    }))
}

struct VectorIndexerModel {
    uid: String,
    params: Params,
    features: usize,
    maps: CategoryMaps,
}

/// What to do with a value a categorical feature has not seen.
#[derive(Clone, Copy, PartialEq)]
enum Invalid {
    Error,
    Skip,
    Keep,
}

/// `vector` with categorical values replaced by their indices; `None` if a value is
/// unknown and `invalid` says skip.
fn index_vector(
    vector: &Vector,
    maps: &BTreeMap<usize, BTreeMap<u64, usize>>,
    invalid: Invalid,
) -> Result<Option<Vector>, f64> {
    let mut values = vector.to_dense();
    for (feature, map) in maps {
        let Some(value) = values.get_mut(*feature) else {
            continue;
        };
        match map.get(&(*value + 0.0).to_bits()) {
            Some(index) => *value = *index as f64,
            None => match invalid {
                Invalid::Keep => *value = map.len() as f64,
                Invalid::Skip => return Ok(None),
                Invalid::Error => return Err(*value),
            },
        }
    }
    Ok(Some(match vector {
        Vector::Dense(_) => Vector::Dense(values),
        Vector::Sparse { .. } => Vector::Dense(values).compressed(),
    }))
}

impl Model for VectorIndexerModel {
    fn class(&self) -> &'static str {
        MODEL
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn params(&self) -> &Params {
        &self.params
    }

    fn transform(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        let source = params.string("inputCol")?;
        let (column, data_type) = frame::column(input.schema(), &source)?;
        frame::require_vector(&source, &data_type)?;
        let invalid = match params
            .choice("handleInvalid", &["error", "skip", "keep"])?
            .as_str()
        {
            "skip" => Invalid::Skip,
            "keep" => Invalid::Keep,
            _ => Invalid::Error,
        };
        let maps: Arc<BTreeMap<usize, BTreeMap<u64, usize>>> = Arc::new(
            self.maps
                .iter()
                .map(|(f, m)| (*f, m.iter().map(|(v, i)| (v.to_bits(), *i)).collect()))
                .collect(),
        );
        let call = model_call(
            "vector_indexer",
            ember_functions::vector_type(),
            vec![column.clone()],
            move |arrays| {
                let mut out = VectorBuilder::default();
                for vector in ember_functions::read_vectors(arrays[0].as_ref())? {
                    match vector.as_ref().map(|v| index_vector(v, &maps, invalid)) {
                        None => out.append(None),
                        Some(Ok(indexed)) => out.append(indexed.as_ref()),
                        Some(Err(value)) => {
                            return exec_err!(
                                "[ILLEGAL_ARGUMENT] VectorIndexer encountered invalid value {value} on a categorical feature. To handle or skip invalid value, try setting VectorIndexer.handleInvalid."
                            )
                        }
                    }
                }
                out.finish()
            },
        );
        let output = params.output_column(&self.uid);
        let plan = frame::append_columns(input, vec![(output.clone(), call)])?;
        if invalid != Invalid::Skip {
            return Ok(plan);
        }
        let (indexed, _) = frame::column(plan.schema(), &output)?;
        // Rows with an unknown category come out NULL and are dropped.
        let keep = indexed.is_not_null().or(column.is_null());
        Ok(LogicalPlanBuilder::from(plan).filter(keep)?.build()?)
    }

    fn attribute(&self, name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(match name {
            "numFeatures" => Some(Fetched::Value(MlValue::Integer(
                i32::try_from(self.features).unwrap_or(i32::MAX),
            ))),
            "categoryMapsDF" => {
                let (mut features, mut values, mut indices) = (Vec::new(), Vec::new(), Vec::new());
                for (feature, map) in &self.maps {
                    for (value, index) in map {
                        features.push(i32::try_from(*feature).unwrap_or(i32::MAX));
                        values.push(*value);
                        indices.push(i32::try_from(*index).unwrap_or(i32::MAX));
                    }
                }
                let schema = Schema::new(vec![
                    Field::new("featureIndex", DataType::Int32, false),
                    Field::new("originalValue", DataType::Float64, false),
                    Field::new("categoryIndex", DataType::Int32, false),
                ]);
                Some(Fetched::Batch(RecordBatch::try_new(
                    Arc::new(schema),
                    vec![
                        Arc::new(Int32Array::from(features)) as ArrayRef,
                        Arc::new(datafusion::arrow::array::Float64Array::from(values)),
                        Arc::new(Int32Array::from(indices)),
                    ],
                )?))
            }
            _ => None,
        })
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let inner = MapBuilder::new(None, Float64Builder::new(), Int32Builder::new());
        let mut outer = MapBuilder::new(None, Int32Builder::new(), inner);
        for (feature, map) in &self.maps {
            outer
                .keys()
                .append_value(i32::try_from(*feature).unwrap_or(i32::MAX));
            let values = outer.values();
            for (value, index) in map {
                values.keys().append_value(*value);
                values
                    .values()
                    .append_value(i32::try_from(*index).unwrap_or(i32::MAX));
            }
            values.append(true)?;
        }
        outer.append(true)?;
        let maps = outer.finish();
        let schema = Schema::new(vec![
            Field::new("numFeatures", DataType::Int32, false),
            Field::new("categoryMaps", maps.data_type().clone(), true),
        ]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(Int32Array::from(vec![
                    i32::try_from(self.features).unwrap_or(i32::MAX)
                ])),
                Arc::new(maps),
            ],
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_takes_the_first_index() {
        let values: BTreeSet<u64> = [2.0f64, -1.0, 0.0].iter().map(|v| v.to_bits()).collect();
        assert_eq!(category_map(&values), vec![(0.0, 0), (-1.0, 1), (2.0, 2)]);
    }
}
