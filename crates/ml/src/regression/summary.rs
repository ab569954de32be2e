//! `model.summary` of a regressor: metrics of its predictions on the training data.

use datafusion::logical_expr::{col, LogicalPlan};
use datafusion::prelude::SessionContext;
use futures::future::BoxFuture;

use crate::error::MlResult;
use crate::evaluation::{regression_metric, scored_rows};
use crate::frame;
use crate::model::{Argument, Fetched, MlObject};
use crate::params::Params;
use crate::value::MlValue;

pub struct RegressionSummary {
    pub predictions: LogicalPlan,
    pub params: Params,
    pub features: usize,
    pub history: Vec<f64>,
    pub iterations: u64,
}

impl RegressionSummary {
    async fn rows(&self, context: &SessionContext) -> MlResult<Vec<(f64, f64, f64)>> {
        scored_rows(
            context,
            self.predictions.clone(),
            &self.params.string("predictionCol")?,
            &self.params.string("labelCol")?,
            self.params.optional_string("weightCol"),
        )
        .await
    }

    fn intercept_dof(&self) -> MlResult<f64> {
        Ok(if self.params.boolean("fitIntercept")? {
            1.0
        } else {
            0.0
        })
    }
}

impl MlObject for RegressionSummary {
    fn call<'a>(
        &'a self,
        context: &'a SessionContext,
        method: &'a str,
        _args: Vec<Argument>,
    ) -> BoxFuture<'a, MlResult<Fetched>> {
        Box::pin(async move {
            let metric = |name: &'static str| async move {
                let rows = self.rows(context).await?;
                MlResult::Ok(MlValue::Double(regression_metric(&rows, name, false)))
            };
            let value = match method {
                "predictions" => return Ok(Fetched::Plan(self.predictions.clone())),
                "residuals" => {
                    let label = col(self.params.string("labelCol")?);
                    let prediction = col(self.params.string("predictionCol")?);
                    let residuals = frame::select(
                        self.predictions.clone(),
                        vec![(label - prediction).alias("residuals")],
                    )?;
                    return Ok(Fetched::Plan(residuals));
                }
                "objectiveHistory" => MlValue::doubles(&self.history),
                "totalIterations" => MlValue::Integer(i32::try_from(self.iterations).unwrap_or(0)),
                "predictionCol" => MlValue::String(self.params.string("predictionCol")?),
                "labelCol" => MlValue::String(self.params.string("labelCol")?),
                "featuresCol" => MlValue::String(self.params.string("featuresCol")?),
                "r2" => metric("r2").await?,
                "meanSquaredError" => metric("mse").await?,
                "rootMeanSquaredError" => metric("rmse").await?,
                "meanAbsoluteError" => metric("mae").await?,
                "explainedVariance" => metric("var").await?,
                "numInstances" => MlValue::Long(self.rows(context).await?.len() as i64),
                "degreesOfFreedom" => {
                    let n = self.rows(context).await?.len() as f64;
                    MlValue::Long((n - self.features as f64 - self.intercept_dof()?) as i64)
                }
                "r2adj" => {
                    let rows = self.rows(context).await?;
                    let n = rows.len() as f64;
                    let intercept = self.intercept_dof()?;
                    let dof = n - self.features as f64 - intercept;
                    let r2 = regression_metric(&rows, "r2", false);
                    MlValue::Double(1.0 - (1.0 - r2) * (n - intercept) / dof)
                }
                other => {
                    return Err(crate::error::MlError::Unsupported(format!(
                        "the regression summary has no {other}"
                    )))
                }
            };
            Ok(Fetched::Value(value))
        })
    }
}
