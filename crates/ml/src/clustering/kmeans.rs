//! `KMeans`: Lloyd's iterations from a k-means++ start, euclidean or cosine distance.

use std::sync::Arc;

use datafusion::arrow::array::{AsArray, Int32Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;
use rand::{Rng, SeedableRng};

use crate::clustering::summary::{self, ClusteringSummary};
use crate::dataset::Labeled;
use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::optimize::parallel_sum;
use crate::params::Params;
use crate::value::{Matrix, MlValue};

const ESTIMATOR: &str = "org.apache.spark.ml.clustering.KMeans";
const MODEL: &str = "org.apache.spark.ml.clustering.KMeansModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("k", MlValue::Integer(2)),
        ("maxIter", MlValue::Integer(20)),
        ("tol", MlValue::Double(1e-4)),
        ("initMode", MlValue::String("k-means||".into())),
        ("initSteps", MlValue::Integer(2)),
        ("distanceMeasure", MlValue::String("euclidean".into())),
        ("solver", MlValue::String("auto".into())),
        ("maxBlockSizeInMB", MlValue::Double(0.0)),
        ("featuresCol", MlValue::String("features".into())),
        ("predictionCol", MlValue::String("prediction".into())),
        ("seed", MlValue::Long(-1_689_246_527)),
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

/// How far apart two points are.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Distance {
    Euclidean,
    Cosine,
}

impl Distance {
    pub(crate) fn from_params(params: &Params) -> MlResult<Distance> {
        Ok(
            match params
                .choice("distanceMeasure", &["euclidean", "cosine"])?
                .as_str()
            {
                "cosine" => Distance::Cosine,
                _ => Distance::Euclidean,
            },
        )
    }

    /// The cost of `x` at `center`: squared distance, or one minus the cosine.
    pub(crate) fn cost(self, x: &[f64], center: &[f64]) -> f64 {
        match self {
            Distance::Euclidean => x.iter().zip(center).map(|(a, b)| (a - b) * (a - b)).sum(),
            Distance::Cosine => {
                let dot: f64 = x.iter().zip(center).map(|(a, b)| a * b).sum();
                1.0 - dot / (norm(x) * norm(center)).max(f64::MIN_POSITIVE)
            }
        }
    }

    /// A cluster's center from the weighted sum of its points.
    pub(crate) fn center(self, sum: &[f64], weight: f64) -> Vec<f64> {
        let mean: Vec<f64> = sum.iter().map(|s| s / weight).collect();
        match self {
            Distance::Euclidean => mean,
            Distance::Cosine => {
                let n = norm(&mean).max(f64::MIN_POSITIVE);
                mean.iter().map(|v| v / n).collect()
            }
        }
    }
}

pub(crate) fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Centers as the rows of a matrix, the form the client reads `clusterCenters` from.
pub(crate) fn center_matrix(centers: &[Vec<f64>]) -> Matrix {
    let rows = centers.len();
    let cols = centers.first().map_or(0, Vec::len);
    let mut values = Vec::with_capacity(rows * cols);
    for j in 0..cols {
        values.extend(centers.iter().map(|c| c[j]));
    }
    Matrix {
        num_rows: rows,
        num_cols: cols,
        values,
    }
}

/// The index of the closest center and the cost there (the first on ties).
fn closest(x: &[f64], centers: &[Vec<f64>], distance: Distance) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (i, center) in centers.iter().enumerate() {
        let cost = distance.cost(x, center);
        if cost < best.1 {
            best = (i, cost);
        }
    }
    best
}

/// k-means++ seeding: the first point, then points drawn with probability proportional to
/// weight times cost to the nearest chosen center.
fn initial_centers(
    data: &Labeled,
    k: usize,
    distance: Distance,
    seed: i64,
    random: bool,
) -> Vec<Vec<f64>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed as u64);
    let rows: Vec<usize> = (0..data.rows())
        .filter(|i| data.weights[*i] > 0.0)
        .collect();
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    if random {
        let mut picked: Vec<usize> = rows.clone();
        let mut centers = Vec::new();
        while centers.len() < k && !picked.is_empty() {
            let i = picked.swap_remove(rng.random_range(0..picked.len()));
            centers.push(data.row(i).to_vec());
        }
        return centers;
    }
    let mut centers = vec![data.row(*first).to_vec()];
    let mut costs: Vec<f64> = rows
        .iter()
        .map(|i| distance.cost(data.row(*i), &centers[0]) * data.weights[*i])
        .collect();
    while centers.len() < k {
        let total: f64 = costs.iter().sum();
        if total <= 0.0 {
            break;
        }
        let mut target = rng.random::<f64>() * total;
        let mut chosen = rows.len() - 1;
        for (j, cost) in costs.iter().enumerate() {
            if target < *cost {
                chosen = j;
                break;
            }
            target -= cost;
        }
        let center = data.row(rows[chosen]).to_vec();
        for (j, i) in rows.iter().enumerate() {
            costs[j] = costs[j].min(distance.cost(data.row(*i), &center) * data.weights[*i]);
        }
        centers.push(center);
    }
    centers
}

/// Lloyd's iterations until no center moves more than `tol`; returns the iterations run.
fn lloyd(
    data: &Labeled,
    centers: &mut [Vec<f64>],
    distance: Distance,
    max_iter: usize,
    tol: f64,
) -> usize {
    let mut iterations = 0;
    while iterations < max_iter {
        iterations += 1;
        // Per cluster: its weight, then its weighted sum of points, summed over all cores.
        let width = data.dims + 1;
        let current: &[Vec<f64>] = centers;
        let (_, totals) = parallel_sum(data.rows(), current.len() * width, |range| {
            let mut part = vec![0.0; current.len() * width];
            for i in range {
                let x = data.row(i);
                let x: std::borrow::Cow<[f64]> = match distance {
                    Distance::Cosine => {
                        let n = norm(x).max(f64::MIN_POSITIVE);
                        x.iter().map(|v| v / n).collect::<Vec<f64>>().into()
                    }
                    Distance::Euclidean => x.into(),
                };
                let (c, _) = closest(&x, current, distance);
                let w = data.weights[i];
                let slot = &mut part[c * width..(c + 1) * width];
                slot[0] += w;
                for (s, v) in slot[1..].iter_mut().zip(x.iter()) {
                    *s += w * v;
                }
            }
            (0.0, part)
        });
        let weights: Vec<f64> = totals.chunks(width).map(|slot| slot[0]).collect();
        let sums: Vec<&[f64]> = totals.chunks(width).map(|slot| &slot[1..]).collect();
        let mut converged = true;
        for (c, center) in centers.iter_mut().enumerate() {
            if weights[c] <= 0.0 {
                continue;
            }
            let next = distance.center(sums[c], weights[c]);
            let moved: f64 = next
                .iter()
                .zip(center.iter())
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                .sqrt();
            if moved > tol {
                converged = false;
            }
            *center = next;
        }
        if converged {
            break;
        }
    }
    iterations
}

/// Each point's cluster after k-means from a k-means++ start.
pub(crate) fn cluster_numbers(
    points: &Labeled,
    k: usize,
    distance: Distance,
    seed: i64,
    max_iter: usize,
) -> Vec<i32> {
    let mut centers = initial_centers(points, k, distance, seed, false);
    lloyd(points, &mut centers, distance, max_iter, 1e-4);
    (0..points.rows())
        .map(|i| closest(points.row(i), &centers, distance).0 as i32)
        .collect()
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let k = params.int("k")?;
        if k < 2 {
            return illegal(format!("{uid} parameter k given invalid value {k}."));
        }
        let distance = Distance::from_params(&params)?;
        let init = params.choice("initMode", &["random", "k-means||"])?;
        let training = data.clone();
        let points = Labeled::collect(context, data, &params, false).await?;
        if points.rows() == 0 {
            return illegal("requirement failed: KMeans needs at least one point to fit.");
        }
        let seed = params.get("seed").and_then(MlValue::as_i64).unwrap_or(0);
        let mut centers = initial_centers(&points, k as usize, distance, seed, init == "random");
        let max_iter = usize::try_from(params.int("maxIter")?).unwrap_or(0);
        let iterations = lloyd(
            &points,
            &mut centers,
            distance,
            max_iter,
            params.double("tol")?,
        );
        let mut sizes = vec![0i64; centers.len()];
        let mut cost = 0.0;
        for i in 0..points.rows() {
            let (c, d) = closest(points.row(i), &centers, distance);
            sizes[c] += 1;
            cost += d * points.weights[i];
        }
        Ok(Arc::new(KMeansModel {
            uid,
            params,
            centers,
            training: Some(Training {
                data: training,
                sizes,
                cost,
                iterations,
            }),
        }) as Arc<dyn Model>)
    })
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let lacks = |name: &str| MlError::IllegalArgument(format!("model data lacks {name}"));
    let index = data
        .column_by_name("clusterIdx")
        .ok_or_else(|| lacks("clusterIdx"))?;
    let index = datafusion::arrow::compute::cast(index, &DataType::Int32)?;
    let centers = data
        .column_by_name("clusterCenter")
        .ok_or_else(|| lacks("clusterCenter"))?;
    let mut rows: Vec<(i32, Vec<f64>)> = index
        .as_primitive::<Int32Type>()
        .values()
        .iter()
        .zip(ember_functions::read_vectors(centers.as_ref())?)
        .map(|(i, v)| (*i, v.map(|v| v.to_dense()).unwrap_or_default()))
        .collect();
    rows.sort_by_key(|(i, _)| *i);
    Ok(Arc::new(KMeansModel {
        uid,
        params,
        centers: rows.into_iter().map(|(_, c)| c).collect(),
        training: None,
    }))
}

struct Training {
    data: LogicalPlan,
    sizes: Vec<i64>,
    cost: f64,
    iterations: usize,
}

struct KMeansModel {
    uid: String,
    params: Params,
    centers: Vec<Vec<f64>>,
    training: Option<Training>,
}

impl Model for KMeansModel {
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
        let source = params.string("featuresCol")?;
        let (column, data_type) = frame::column(input.schema(), &source)?;
        frame::require_vector(&source, &data_type)?;
        let distance = Distance::from_params(params)?;
        let centers = Arc::new(self.centers.clone());
        let call = model_call("kmeans", DataType::Int32, vec![column], move |arrays| {
            let predictions: Int32Array = ember_functions::read_vectors(arrays[0].as_ref())?
                .iter()
                .map(|v| {
                    v.as_ref()
                        .map(|v| closest(&v.to_dense(), &centers, distance).0 as i32)
                })
                .collect();
            Ok(Arc::new(predictions) as datafusion::arrow::array::ArrayRef)
        });
        frame::append_columns(input, vec![(params.string("predictionCol")?, call)])
    }

    fn attribute(&self, name: &str, args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let value = match name {
            "clusterCenterMatrix" => MlValue::Matrix(center_matrix(&self.centers)),
            "numFeatures" => MlValue::Integer(
                i32::try_from(self.centers.first().map_or(0, Vec::len)).unwrap_or(i32::MAX),
            ),
            "predict" => {
                let Some(MlValue::Vector(x)) = args.first() else {
                    return illegal("predict needs a vector");
                };
                let distance = Distance::from_params(&self.params)?;
                MlValue::Integer(closest(&x.to_dense(), &self.centers, distance).0 as i32)
            }
            "hasSummary" => MlValue::Boolean(self.training.is_some()),
            "summary" => {
                let Some(training) = &self.training else {
                    return illegal("No training summary available for this KMeansModel");
                };
                return Ok(Some(summary::object(ClusteringSummary {
                    predictions: self.transform(training.data.clone(), &self.params)?,
                    params: self.params.clone(),
                    k: self.centers.len(),
                    sizes: training.sizes.clone(),
                    iterations: training.iterations,
                    extra: Some(("trainingCost", training.cost)),
                    probability_col: None,
                })));
            }
            _ => return Ok(None),
        };
        Ok(Some(Fetched::Value(value)))
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let mut centers = VectorBuilder::default();
        for center in &self.centers {
            centers.append(Some(&Vector::Dense(center.clone())));
        }
        let index: Int32Array = (0..self.centers.len()).map(|i| i as i32).collect();
        let schema = Schema::new(vec![
            Field::new("clusterIdx", DataType::Int32, false),
            Field::new("clusterCenter", ember_functions::vector_type(), true),
        ]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![Arc::new(index), centers.finish()?],
        )?))
    }

    fn describe(&self) -> String {
        format!(
            "KMeansModel: uid={}, k={}, distanceMeasure={}, numFeatures={}",
            self.uid,
            self.centers.len(),
            self.params.string("distanceMeasure").unwrap_or_default(),
            self.centers.first().map_or(0, Vec::len)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(rows: &[[f64; 2]]) -> Labeled {
        Labeled {
            features: rows.iter().flatten().copied().collect(),
            labels: vec![0.0; rows.len()],
            weights: vec![1.0; rows.len()],
            dims: 2,
        }
    }

    #[test]
    fn two_clear_clusters_are_found() {
        let data = points(&[[0.0, 0.0], [1.0, 1.0], [9.0, 8.0], [8.0, 9.0]]);
        let mut centers = initial_centers(&data, 2, Distance::Euclidean, 1, false);
        lloyd(&data, &mut centers, Distance::Euclidean, 20, 1e-4);
        assert_eq!(centers[0], vec![0.5, 0.5]);
        assert_eq!(centers[1], vec![8.5, 8.5]);
    }
}
