//! Training summaries: metrics of a model's predictions on its training data.

use std::sync::Arc;

use datafusion::arrow::array::{Float64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use futures::future::BoxFuture;

use crate::error::{MlError, MlResult};
use crate::evaluation::{metrics, scored_rows};
use crate::model::{Argument, Fetched, MlObject};
use crate::params::Params;
use crate::value::MlValue;

/// `model.summary` of a classifier.
pub struct ClassificationSummary {
    pub predictions: LogicalPlan,
    pub params: Params,
    pub binary: bool,
    pub history: Vec<f64>,
    pub iterations: u64,
}

impl ClassificationSummary {
    async fn predicted(&self, context: &SessionContext) -> MlResult<metrics::Confusion> {
        let rows = scored_rows(
            context,
            self.predictions.clone(),
            &self.params.string("predictionCol")?,
            &self.params.string("labelCol")?,
            self.params.optional_string("weightCol"),
        )
        .await?;
        Ok(metrics::Confusion::new(&rows))
    }

    async fn curves(&self, context: &SessionContext) -> MlResult<metrics::BinaryCurves> {
        let rows = scored_rows(
            context,
            self.predictions.clone(),
            &self.params.string("probabilityCol")?,
            &self.params.string("labelCol")?,
            self.params.optional_string("weightCol"),
        )
        .await?;
        Ok(metrics::binary_curves(&rows, 0))
    }
}

/// A two-column DataFrame of doubles.
fn points(
    context: &SessionContext,
    names: [&str; 2],
    rows: &[(f64, f64)],
) -> MlResult<LogicalPlan> {
    let schema = Arc::new(Schema::new(vec![
        Field::new(names[0], DataType::Float64, false),
        Field::new(names[1], DataType::Float64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Float64Array::from(
                rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            )),
            Arc::new(Float64Array::from(
                rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            )),
        ],
    )?;
    Ok(context.read_batch(batch)?.into_unoptimized_plan())
}

impl MlObject for ClassificationSummary {
    fn call<'a>(
        &'a self,
        context: &'a SessionContext,
        method: &'a str,
        _args: Vec<Argument>,
    ) -> BoxFuture<'a, MlResult<Fetched>> {
        Box::pin(async move {
            let value = match method {
                "predictions" => return Ok(Fetched::Plan(self.predictions.clone())),
                "objectiveHistory" => MlValue::doubles(&self.history),
                "totalIterations" => MlValue::Integer(self.iterations as i32),
                "predictionCol" => MlValue::String(self.params.string("predictionCol")?),
                "labelCol" => MlValue::String(self.params.string("labelCol")?),
                "featuresCol" => MlValue::String(self.params.string("featuresCol")?),
                "probabilityCol" => MlValue::String(self.params.string("probabilityCol")?),
                "weightCol" => {
                    MlValue::String(self.params.optional_string("weightCol").unwrap_or_default())
                }
                "accuracy" => MlValue::Double(self.predicted(context).await?.accuracy()),
                "labels" => MlValue::doubles(&self.predicted(context).await?.labels),
                "weightedPrecision" => {
                    let c = self.predicted(context).await?;
                    MlValue::Double(c.weighted(|l| c.precision(l)))
                }
                "weightedRecall" | "weightedTruePositiveRate" => {
                    let c = self.predicted(context).await?;
                    MlValue::Double(c.weighted(|l| c.true_positive_rate(l)))
                }
                "weightedFalsePositiveRate" => {
                    let c = self.predicted(context).await?;
                    MlValue::Double(c.weighted(|l| c.false_positive_rate(l)))
                }
                "weightedFMeasure" => {
                    let c = self.predicted(context).await?;
                    MlValue::Double(c.weighted(|l| c.f_measure(l, 1.0)))
                }
                "precisionByLabel"
                | "recallByLabel"
                | "truePositiveRateByLabel"
                | "falsePositiveRateByLabel"
                | "fMeasureByLabel" => {
                    let c = self.predicted(context).await?;
                    let values: Vec<f64> = c
                        .labels
                        .iter()
                        .map(|l| match method {
                            "precisionByLabel" => c.precision(*l),
                            "falsePositiveRateByLabel" => c.false_positive_rate(*l),
                            "fMeasureByLabel" => c.f_measure(*l, 1.0),
                            _ => c.true_positive_rate(*l),
                        })
                        .collect();
                    MlValue::doubles(&values)
                }
                "areaUnderROC" if self.binary => {
                    MlValue::Double(metrics::area(&self.curves(context).await?.roc))
                }
                "roc" if self.binary => {
                    let curves = self.curves(context).await?;
                    return Ok(Fetched::Plan(points(context, ["FPR", "TPR"], &curves.roc)?));
                }
                "pr" if self.binary => {
                    let curves = self.curves(context).await?;
                    return Ok(Fetched::Plan(points(
                        context,
                        ["recall", "precision"],
                        &curves.pr,
                    )?));
                }
                "fMeasureByThreshold" | "precisionByThreshold" | "recallByThreshold"
                    if self.binary =>
                {
                    let curves = self.curves(context).await?;
                    let (name, rows): (&str, Vec<(f64, f64)>) = match method {
                        "fMeasureByThreshold" => (
                            "F-Measure",
                            curves.thresholds.iter().map(|t| (t.0, t.3)).collect(),
                        ),
                        "precisionByThreshold" => (
                            "precision",
                            curves.thresholds.iter().map(|t| (t.0, t.1)).collect(),
                        ),
                        _ => (
                            "recall",
                            curves.thresholds.iter().map(|t| (t.0, t.2)).collect(),
                        ),
                    };
                    return Ok(Fetched::Plan(points(context, ["threshold", name], &rows)?));
                }
                other => {
                    return Err(MlError::Unsupported(format!(
                        "the summary has no method {other}"
                    )))
                }
            };
            Ok(Fetched::Value(value))
        })
    }
}
