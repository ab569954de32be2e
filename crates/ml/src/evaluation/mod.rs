//! Evaluators: binary classification (areas under ROC and PR), multiclass classification
//! and regression metrics, computed as Spark computes them.

pub mod clustering;
pub mod metrics;
pub mod summary;

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{lit, Expr, LogicalPlan};
use datafusion::prelude::SessionContext;
use futures::future::BoxFuture;

use crate::error::{illegal, MlResult};
use crate::frame;
use crate::model::{OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

pub fn operators() -> Vec<OperatorDef> {
    vec![
        OperatorDef {
            class: "org.apache.spark.ml.evaluation.BinaryClassificationEvaluator",
            defaults: || {
                vec![
                    ("rawPredictionCol", MlValue::String("rawPrediction".into())),
                    ("labelCol", MlValue::String("label".into())),
                    ("metricName", MlValue::String("areaUnderROC".into())),
                    ("numBins", MlValue::Integer(1000)),
                ]
            },
            role: Role::Evaluator(binary),
        },
        OperatorDef {
            class: "org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator",
            defaults: || {
                vec![
                    ("predictionCol", MlValue::String("prediction".into())),
                    ("labelCol", MlValue::String("label".into())),
                    ("probabilityCol", MlValue::String("probability".into())),
                    ("metricName", MlValue::String("f1".into())),
                    ("metricLabel", MlValue::Double(0.0)),
                    ("beta", MlValue::Double(1.0)),
                    ("eps", MlValue::Double(1e-15)),
                ]
            },
            role: Role::Evaluator(multiclass),
        },
        OperatorDef {
            class: "org.apache.spark.ml.evaluation.RegressionEvaluator",
            defaults: || {
                vec![
                    ("predictionCol", MlValue::String("prediction".into())),
                    ("labelCol", MlValue::String("label".into())),
                    ("metricName", MlValue::String("rmse".into())),
                    ("throughOrigin", MlValue::Boolean(false)),
                ]
            },
            role: Role::Evaluator(regression),
        },
    ]
    .into_iter()
    .chain(clustering::operators())
    .collect()
}

/// Rows of (first column as double or a vector's element 1, label, weight).
pub(crate) async fn scored_rows(
    context: &SessionContext,
    data: LogicalPlan,
    score: &str,
    label: &str,
    weight: Option<String>,
) -> MlResult<Vec<(f64, f64, f64)>> {
    let (score_expr, score_type) = frame::column(data.schema(), score)?;
    let (label_expr, label_type) = frame::column(data.schema(), label)?;
    frame::require_numeric(label, &label_type)?;
    let is_vector = ember_functions::is_vector(&score_type);
    if !is_vector {
        frame::require_numeric(score, &score_type)?;
    }
    let weight_expr = match weight.filter(|w| !w.is_empty()) {
        Some(name) => frame::column(data.schema(), &name)?.0,
        None => lit(1.0),
    };
    let double = |e: Expr| {
        Expr::Cast(datafusion::logical_expr::Cast::new(
            Box::new(e),
            DataType::Float64,
        ))
    };
    let score_expr = if is_vector {
        score_expr
    } else {
        double(score_expr)
    };
    let plan = frame::select(
        data,
        vec![
            score_expr.alias("s"),
            double(label_expr).alias("l"),
            double(weight_expr).alias("w"),
        ],
    )?;
    let batches = frame::collect(context, plan).await?;
    let scores: Vec<Option<f64>> = if is_vector {
        frame::vectors(&batches, 0)?
            .into_iter()
            .map(|v| {
                v.map(|v| {
                    let dense = v.to_dense();
                    dense
                        .get(1)
                        .copied()
                        .unwrap_or(dense.first().copied().unwrap_or(0.0))
                })
            })
            .collect()
    } else {
        frame::doubles(&batches, 0)?
    };
    let labels = frame::doubles(&batches, 1)?;
    let weights = frame::doubles(&batches, 2)?;
    Ok(scores
        .into_iter()
        .zip(labels)
        .zip(weights)
        .filter_map(|((s, l), w)| Some((s?, l?, w.unwrap_or(1.0))))
        .collect())
}

fn binary(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
) -> BoxFuture<'_, MlResult<f64>> {
    Box::pin(async move {
        let metric = params.choice("metricName", &["areaUnderROC", "areaUnderPR"])?;
        let bins = params.int("numBins")?;
        if bins < 0 {
            return illegal(format!("numBins given invalid value {bins}."));
        }
        let rows = scored_rows(
            context,
            data,
            &params.string("rawPredictionCol")?,
            &params.string("labelCol")?,
            params.optional_string("weightCol"),
        )
        .await?;
        let curves = metrics::binary_curves(&rows, bins as usize);
        Ok(if metric == "areaUnderROC" {
            metrics::area(&curves.roc)
        } else {
            metrics::area(&curves.pr)
        })
    })
}

fn multiclass(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
) -> BoxFuture<'_, MlResult<f64>> {
    Box::pin(async move {
        let metric = params.choice(
            "metricName",
            &[
                "f1",
                "accuracy",
                "weightedPrecision",
                "weightedRecall",
                "weightedTruePositiveRate",
                "weightedFalsePositiveRate",
                "weightedFMeasure",
                "truePositiveRateByLabel",
                "falsePositiveRateByLabel",
                "precisionByLabel",
                "recallByLabel",
                "fMeasureByLabel",
                "hammingLoss",
            ],
        )?;
        let rows = scored_rows(
            context,
            data,
            &params.string("predictionCol")?,
            &params.string("labelCol")?,
            params.optional_string("weightCol"),
        )
        .await?;
        let confusion = metrics::Confusion::new(&rows);
        let label = params.double("metricLabel")?;
        let beta = params.double("beta")?;
        Ok(match metric.as_str() {
            "accuracy" => confusion.accuracy(),
            "hammingLoss" => 1.0 - confusion.accuracy(),
            "weightedPrecision" => confusion.weighted(|l| confusion.precision(l)),
            "weightedRecall" | "weightedTruePositiveRate" => {
                confusion.weighted(|l| confusion.true_positive_rate(l))
            }
            "weightedFalsePositiveRate" => confusion.weighted(|l| confusion.false_positive_rate(l)),
            "truePositiveRateByLabel" | "recallByLabel" => confusion.true_positive_rate(label),
            "falsePositiveRateByLabel" => confusion.false_positive_rate(label),
            "precisionByLabel" => confusion.precision(label),
            "fMeasureByLabel" => confusion.f_measure(label, beta),
            _ => confusion.weighted(|l| confusion.f_measure(l, beta)),
        })
    })
}

fn regression(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
) -> BoxFuture<'_, MlResult<f64>> {
    Box::pin(async move {
        let metric = params.choice("metricName", &["mse", "rmse", "r2", "mae", "var"])?;
        let rows = scored_rows(
            context,
            data,
            &params.string("predictionCol")?,
            &params.string("labelCol")?,
            params.optional_string("weightCol"),
        )
        .await?;
        Ok(regression_metric(
            &rows,
            &metric,
            params.boolean("throughOrigin")?,
        ))
    })
}

/// One regression metric over (prediction, label, weight) rows.
pub fn regression_metric(rows: &[(f64, f64, f64)], metric: &str, through_origin: bool) -> f64 {
    let weight: f64 = rows.iter().map(|r| r.2).sum();
    let mse = rows
        .iter()
        .map(|(p, l, w)| w * (p - l) * (p - l))
        .sum::<f64>()
        / weight;
    let mean_label = rows.iter().map(|(_, l, w)| w * l).sum::<f64>() / weight;
    match metric {
        "mse" => mse,
        "rmse" => mse.sqrt(),
        "mae" => rows.iter().map(|(p, l, w)| w * (p - l).abs()).sum::<f64>() / weight,
        "var" => {
            rows.iter()
                .map(|(p, _, w)| w * (p - mean_label) * (p - mean_label))
                .sum::<f64>()
                / weight
        }
        _ => {
            let total = if through_origin {
                rows.iter().map(|(_, l, w)| w * l * l).sum::<f64>()
            } else {
                rows.iter()
                    .map(|(_, l, w)| w * (l - mean_label) * (l - mean_label))
                    .sum::<f64>()
            };
            1.0 - mse * weight / total
        }
    }
}
