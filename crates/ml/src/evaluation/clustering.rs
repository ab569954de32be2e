//! `ClusteringEvaluator`: the mean silhouette of the points, with squared euclidean or
//! cosine distance.

use std::collections::BTreeMap;

use datafusion::logical_expr::{lit, LogicalPlan};
use datafusion::prelude::SessionContext;
use futures::future::BoxFuture;

use crate::error::{illegal, MlResult};
use crate::frame;
use crate::model::{OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

pub fn operators() -> Vec<OperatorDef> {
    vec![OperatorDef {
        class: "org.apache.spark.ml.evaluation.ClusteringEvaluator",
        defaults: || {
            vec![
                ("featuresCol", MlValue::String("features".into())),
                ("predictionCol", MlValue::String("prediction".into())),
                ("metricName", MlValue::String("silhouette".into())),
                (
                    "distanceMeasure",
                    MlValue::String("squaredEuclidean".into()),
                ),
            ]
        },
        role: Role::Evaluator(evaluate),
    }]
}

fn distance(cosine: bool, a: &[f64], b: &[f64]) -> f64 {
    if cosine {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let norms = a.iter().map(|x| x * x).sum::<f64>().sqrt()
            * b.iter().map(|x| x * x).sum::<f64>().sqrt();
        1.0 - dot / norms.max(f64::MIN_POSITIVE)
    } else {
        a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
    }
}

/// The weighted mean silhouette of `points` (vector, cluster, weight).
fn silhouette(points: &[(Vec<f64>, i64, f64)], cosine: bool) -> MlResult<f64> {
    let mut sizes: BTreeMap<i64, f64> = BTreeMap::new();
    for (_, cluster, weight) in points {
        *sizes.entry(*cluster).or_default() += weight;
    }
    if sizes.len() < 2 {
        return illegal(format!(
            "requirement failed: Number of clusters must be greater than one, got {}.",
            sizes.len()
        ));
    }
    let (mut total, mut weights) = (0.0, 0.0);
    for (x, own, weight) in points {
        // Weighted distance sums to every cluster; the point itself adds nothing.
        let mut sums: BTreeMap<i64, f64> = BTreeMap::new();
        for (y, cluster, w) in points {
            *sums.entry(*cluster).or_default() += w * distance(cosine, x, y);
        }
        let own_size = sizes[own];
        let score = if own_size <= *weight {
            0.0
        } else {
            let a = sums[own] / (own_size - weight);
            let b = sums
                .iter()
                .filter(|(c, _)| *c != own)
                .map(|(c, s)| s / sizes[c])
                .fold(f64::INFINITY, f64::min);
            if a < b {
                1.0 - a / b
            } else if a > b {
                b / a - 1.0
            } else {
                0.0
            }
        };
        total += weight * score;
        weights += weight;
    }
    Ok(total / weights.max(f64::MIN_POSITIVE))
}

fn evaluate(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
) -> BoxFuture<'_, MlResult<f64>> {
    Box::pin(async move {
        params.choice("metricName", &["silhouette"])?;
        let cosine = params.choice("distanceMeasure", &["squaredEuclidean", "cosine"])? == "cosine";
        let features = params.string("featuresCol")?;
        let (vectors, data_type) = frame::column(data.schema(), &features)?;
        frame::require_vector(&features, &data_type)?;
        let prediction = params.string("predictionCol")?;
        let (cluster, cluster_type) = frame::column(data.schema(), &prediction)?;
        frame::require_numeric(&prediction, &cluster_type)?;
        let weight = match params
            .optional_string("weightCol")
            .filter(|w| !w.is_empty())
        {
            Some(name) => frame::as_double(frame::column(data.schema(), &name)?.0),
            None => lit(1.0),
        };
        let plan = frame::select(data, vec![vectors, frame::as_double(cluster), weight])?;
        let batches = frame::collect(context, plan).await?;
        let points: Vec<(Vec<f64>, i64, f64)> = frame::vectors(&batches, 0)?
            .into_iter()
            .zip(frame::doubles(&batches, 1)?)
            .zip(frame::doubles(&batches, 2)?)
            .filter_map(|((v, c), w)| Some((v?.to_dense(), c? as i64, w?)))
            .collect();
        silhouette(&points, cosine)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_separated_clusters_score_near_one() -> MlResult<()> {
        let points = vec![
            (vec![0.0], 0, 1.0),
            (vec![0.1], 0, 1.0),
            (vec![10.0], 1, 1.0),
            (vec![10.1], 1, 1.0),
        ];
        assert!(silhouette(&points, false)? > 0.99);
        assert!(silhouette(&points[..1], false).is_err());
        Ok(())
    }
}
