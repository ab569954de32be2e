//! `QuantileDiscretizer`: bucket splits at the quantiles of each column, which the client
//! turns into a `Bucketizer`.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use futures::future::BoxFuture;

use crate::error::{illegal, MlError, MlResult};
use crate::feature::scalers::quantile;
use crate::feature::string_indexer::column_pairs;
use crate::frame;
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const ESTIMATOR: &str = "org.apache.spark.ml.feature.QuantileDiscretizer";
const BUCKETIZER: &str = "org.apache.spark.ml.feature.Bucketizer";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("numBuckets", MlValue::Integer(2)),
        ("relativeError", MlValue::Double(0.001)),
        ("handleInvalid", MlValue::String("error".into())),
        ("outputCol", MlValue::Null),
    ]
}

pub fn operators() -> Vec<OperatorDef> {
    vec![OperatorDef {
        class: ESTIMATOR,
        defaults,
        role: Role::Estimator(fit),
    }]
}

/// Splits at the `buckets`-quantiles of `values` (sorted, NaN-free): open at both ends,
/// repeated values once.
fn splits(values: &[f64], buckets: usize) -> Vec<f64> {
    let mut out = vec![f64::NEG_INFINITY];
    if !values.is_empty() {
        for i in 1..buckets {
            let q = quantile(values, i as f64 / buckets as f64);
            if out.last().is_none_or(|last| *last != q) {
                out.push(q);
            }
        }
    }
    out.push(f64::INFINITY);
    out
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let pairs = column_pairs(&params, &uid)?;
        let counts: Vec<i64> = match params.get("numBucketsArray") {
            Some(MlValue::Array(values)) => values.iter().filter_map(MlValue::as_i64).collect(),
            _ => vec![params.int("numBuckets")?; pairs.len()],
        };
        if counts.len() != pairs.len() {
            return illegal("numBucketsArray must have one entry per input column");
        }
        if let Some(bad) = counts.iter().find(|c| **c < 2) {
            return illegal(format!("numBuckets must be >= 2, got {bad}"));
        }
        let mut exprs = Vec::with_capacity(pairs.len());
        for (source, _) in &pairs {
            let (column, data_type) = frame::column(data.schema(), source)?;
            frame::require_numeric(source, &data_type)?;
            exprs.push(frame::as_double(column));
        }
        let batches = frame::collect(context, frame::select(data, exprs)?).await?;
        let mut all = Vec::with_capacity(pairs.len());
        for (index, buckets) in counts.iter().enumerate() {
            let mut values: Vec<f64> = frame::doubles(&batches, index)?
                .into_iter()
                .flatten()
                .filter(|v| !v.is_nan())
                .collect();
            values.sort_by(f64::total_cmp);
            all.push(splits(&values, *buckets as usize));
        }
        Ok(Arc::new(Discretizer {
            uid,
            params,
            splits: all,
        }) as Arc<dyn Model>)
    })
}

/// The fitted splits; transforming is a `Bucketizer`'s work.
struct Discretizer {
    uid: String,
    params: Params,
    splits: Vec<Vec<f64>>,
}

impl Discretizer {
    fn bucketizer(&self, params: &Params) -> MlResult<Arc<dyn Model>> {
        let def = crate::registry::find(BUCKETIZER)
            .ok_or_else(|| MlError::Unsupported(format!("{BUCKETIZER} is not registered")))?;
        let mut set: BTreeMap<String, MlValue> = params.set_values().clone();
        set.remove("numBuckets");
        set.remove("numBucketsArray");
        set.remove("relativeError");
        if params.optional_string("inputCol").is_some() {
            set.insert("splits".into(), MlValue::doubles(&self.splits[0]));
        } else {
            let nested = self.splits.iter().map(|s| MlValue::doubles(s)).collect();
            set.insert("splitsArray".into(), MlValue::Array(nested));
        }
        def.build(self.uid.clone(), def.params(set), None)
            .ok_or_else(|| MlError::Unsupported(format!("{BUCKETIZER} cannot transform")))?
    }
}

impl Model for Discretizer {
    fn class(&self) -> &'static str {
        BUCKETIZER
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn params(&self) -> &Params {
        &self.params
    }

    fn transform(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        let bucketizer = self.bucketizer(params)?;
        let params = bucketizer.params().clone();
        bucketizer.transform(input, &params)
    }

    fn attribute(&self, name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let value = match name {
            "getSplits" => MlValue::doubles(&self.splits[0]),
            "getSplitsArray" => {
                MlValue::Array(self.splits.iter().map(|s| MlValue::doubles(s)).collect())
            }
            _ => return Ok(None),
        };
        Ok(Some(Fetched::Value(value)))
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_are_open_ended_quantiles() {
        let values = [0.1, 0.4, 1.2, 1.5];
        assert_eq!(
            splits(&values, 2),
            vec![f64::NEG_INFINITY, 0.4, f64::INFINITY]
        );
        assert_eq!(
            splits(&values, 5),
            vec![f64::NEG_INFINITY, 0.1, 0.4, 1.2, 1.5, f64::INFINITY]
        );
    }
}
