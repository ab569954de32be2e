//! `model.summary` of a clustering model: its predictions on the training data.

use std::sync::Arc;

use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use futures::future::BoxFuture;

use crate::error::MlResult;
use crate::frame;
use crate::model::{Argument, Fetched, MlObject};
use crate::params::Params;
use crate::value::MlValue;

pub struct ClusteringSummary {
    pub predictions: LogicalPlan,
    pub params: Params,
    pub k: usize,
    pub sizes: Vec<i64>,
    pub iterations: usize,
    /// The training cost (`KMeans`) or log-likelihood (`GaussianMixture`), by its name.
    pub extra: Option<(&'static str, f64)>,
    /// The column of cluster probabilities (`GaussianMixture`).
    pub probability_col: Option<String>,
}

impl ClusteringSummary {
    /// The predictions' column `name` alone.
    fn column(&self, name: &str) -> MlResult<Fetched> {
        let (column, _) = frame::column(self.predictions.schema(), name)?;
        Ok(Fetched::Plan(frame::select(
            self.predictions.clone(),
            vec![column],
        )?))
    }
}

impl MlObject for ClusteringSummary {
    fn call<'a>(
        &'a self,
        _context: &'a SessionContext,
        method: &'a str,
        _args: Vec<Argument>,
    ) -> BoxFuture<'a, MlResult<Fetched>> {
        Box::pin(async move {
            let value = match method {
                "predictions" => return Ok(Fetched::Plan(self.predictions.clone())),
                "cluster" => return self.column(&self.params.string("predictionCol")?),
                "probability" if self.probability_col.is_some() => {
                    return self.column(self.probability_col.as_deref().unwrap_or_default())
                }
                "probabilityCol" if self.probability_col.is_some() => {
                    MlValue::String(self.probability_col.clone().unwrap_or_default())
                }
                "predictionCol" => MlValue::String(self.params.string("predictionCol")?),
                "featuresCol" => MlValue::String(self.params.string("featuresCol")?),
                "k" => MlValue::Integer(i32::try_from(self.k).unwrap_or(i32::MAX)),
                "numIter" => MlValue::Integer(i32::try_from(self.iterations).unwrap_or(i32::MAX)),
                "clusterSizes" => {
                    MlValue::Array(self.sizes.iter().map(|s| MlValue::Long(*s)).collect())
                }
                other => match self.extra {
                    Some((name, value)) if name == other => MlValue::Double(value),
                    _ => {
                        return Err(crate::error::MlError::Unsupported(format!(
                            "the clustering summary has no method {other}"
                        )))
                    }
                },
            };
            Ok(Fetched::Value(value))
        })
    }
}

/// The summary as an object the client keeps calling.
pub fn object(summary: ClusteringSummary) -> Fetched {
    Fetched::Object(Arc::new(summary))
}
