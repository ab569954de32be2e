//! `Imputer`: missing values (NULL, NaN or `missingValue`) replaced by each column's mean,
//! median or most frequent value.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::logical_expr::{lit, when, Expr, LogicalPlan};
use datafusion::prelude::SessionContext;
use futures::future::BoxFuture;

use crate::error::{illegal, MlError, MlResult};
use crate::feature::string_indexer::column_pairs;
use crate::frame;
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const ESTIMATOR: &str = "org.apache.spark.ml.feature.Imputer";
const MODEL: &str = "org.apache.spark.ml.feature.ImputerModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("strategy", MlValue::String("mean".into())),
        ("missingValue", MlValue::Double(f64::NAN)),
        ("relativeError", MlValue::Double(0.001)),
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

/// Whether `value` counts as present.
fn present(value: f64, missing: f64) -> bool {
    !value.is_nan() && value != missing
}

/// The surrogate of one column's present values.
fn surrogate(mut values: Vec<f64>, strategy: &str) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(match strategy {
        // The smallest value whose rank reaches half the count, as Spark's quantile picks.
        "median" => values[(values.len().div_ceil(2)).saturating_sub(1)],
        "mode" => {
            let (mut best, mut best_count) = (values[0], 0usize);
            let mut i = 0;
            while i < values.len() {
                let run = values[i..].iter().take_while(|v| **v == values[i]).count();
                if run > best_count {
                    (best, best_count) = (values[i], run);
                }
                i += run;
            }
            best
        }
        _ => values.iter().sum::<f64>() / values.len() as f64,
    })
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let strategy = params.choice("strategy", &["mean", "median", "mode"])?;
        let missing = params.double("missingValue")?;
        let pairs = column_pairs(&params, &uid)?;
        let mut exprs = Vec::with_capacity(pairs.len());
        for (source, _) in &pairs {
            let (column, data_type) = frame::column(data.schema(), source)?;
            frame::require_numeric(source, &data_type)?;
            exprs.push(frame::as_double(column));
        }
        let batches = frame::collect(context, frame::select(data, exprs)?).await?;
        let mut surrogates = Vec::with_capacity(pairs.len());
        for (index, (source, _)) in pairs.iter().enumerate() {
            let values: Vec<f64> = frame::doubles(&batches, index)?
                .into_iter()
                .flatten()
                .filter(|v| present(*v, missing))
                .collect();
            let value = surrogate(values, &strategy).ok_or_else(|| {
                MlError::IllegalArgument(format!(
                    "surrogate cannot be computed. All the values in {source} are Null, Nan or missingValue({missing})"
                ))
            })?;
            surrogates.push((source.clone(), value));
        }
        Ok(Arc::new(ImputerModel {
            uid,
            params,
            surrogates,
        }) as Arc<dyn Model>)
    })
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let mut surrogates = Vec::new();
    for (index, field) in data.schema().fields().iter().enumerate() {
        let value = frame::doubles(std::slice::from_ref(&data), index)?
            .first()
            .copied()
            .flatten()
            .unwrap_or(f64::NAN);
        surrogates.push((field.name().clone(), value));
    }
    Ok(Arc::new(ImputerModel {
        uid,
        params,
        surrogates,
    }))
}

struct ImputerModel {
    uid: String,
    params: Params,
    /// (input column, surrogate), in the order the model was fitted.
    surrogates: Vec<(String, f64)>,
}

impl ImputerModel {
    fn surrogate_batch(&self) -> MlResult<RecordBatch> {
        let fields: Vec<Field> = self
            .surrogates
            .iter()
            .map(|(name, _)| Field::new(name, DataType::Float64, false))
            .collect();
        let columns: Vec<ArrayRef> = self
            .surrogates
            .iter()
            .map(|(_, v)| Arc::new(Float64Array::from(vec![*v])) as ArrayRef)
            .collect();
        Ok(RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            columns,
        )?)
    }
}

impl Model for ImputerModel {
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
        let missing = params.double("missingValue")?;
        let mut outputs = Vec::new();
        for (source, target) in column_pairs(params, &self.uid)? {
            let Some((_, value)) = self.surrogates.iter().find(|(name, _)| *name == source) else {
                return illegal(format!("ImputerModel was not fitted on column {source}"));
            };
            let (column, data_type) = frame::column(input.schema(), &source)?;
            frame::require_numeric(&source, &data_type)?;
            let doubled = frame::as_double(column.clone());
            // NULL is always missing; NaN only when it is the missing value.
            let absent = column.is_null().or(if missing.is_nan() {
                datafusion::functions::math::expr_fn::isnan(doubled.clone())
            } else {
                doubled.clone().eq(lit(missing))
            });
            let filled = when(absent, lit(*value)).otherwise(doubled)?;
            // The output keeps the input's type, as in Spark.
            let typed = Expr::Cast(datafusion::logical_expr::Cast::new(
                Box::new(filled),
                data_type,
            ));
            outputs.push((target, typed));
        }
        frame::append_columns(input, outputs)
    }

    fn attribute(&self, name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(match name {
            "surrogateDF" => Some(Fetched::Batch(self.surrogate_batch()?)),
            _ => None,
        })
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        Ok(Some(self.surrogate_batch()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrogates_follow_the_strategy() {
        let values = vec![4.0, 1.0, 3.0, 1.0, 2.0, 3.0];
        assert_eq!(surrogate(values.clone(), "mean"), Some(14.0 / 6.0));
        assert_eq!(surrogate(values.clone(), "median"), Some(2.0));
        // Ties between the most frequent go to the smallest.
        assert_eq!(surrogate(values, "mode"), Some(1.0));
        assert_eq!(surrogate(Vec::new(), "mean"), None);
        assert!(!present(f64::NAN, 0.0) && !present(0.0, 0.0) && present(1.0, f64::NAN));
    }
}
