//! `GaussianMixture`: expectation maximization over k multivariate normal distributions, started
//! from means and diagonal covariances of small random samples, until the log-likelihood settles.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int32Array, ListArray, RecordBatch};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};

use crate::clustering::summary::{self, ClusteringSummary};
use crate::dataset::Labeled;
use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::matrix_data;
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::{Matrix, MlValue};

const ESTIMATOR: &str = "org.apache.spark.ml.clustering.GaussianMixture";
const MODEL: &str = "org.apache.spark.ml.clustering.GaussianMixtureModel";
/// Points drawn to start each component.
const SAMPLES_PER_COMPONENT: usize = 5;
/// Spark's bound: the covariance's entry count must fit an int.
const MAX_FEATURES: usize = 46_340;

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("k", MlValue::Integer(2)),
        ("maxIter", MlValue::Integer(100)),
        ("tol", MlValue::Double(0.01)),
        ("aggregationDepth", MlValue::Integer(2)),
        ("featuresCol", MlValue::String("features".into())),
        ("predictionCol", MlValue::String("prediction".into())),
        ("probabilityCol", MlValue::String("probability".into())),
        // The hash of the estimator's class name, as Spark seeds it by default.
        ("seed", MlValue::Long(538_009_335)),
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

/// A normal distribution ready to evaluate: the whitening map from its covariance's
/// eigen-decomposition (a pseudo-inverse where the covariance is singular, as Spark's
/// `MultivariateGaussian`) and the log of its normalizing constant.
#[derive(Clone)]
struct Gaussian {
    mean: DVector<f64>,
    cov: DMatrix<f64>,
    whiten: DMatrix<f64>,
    log_constant: f64,
}

impl Gaussian {
    fn new(mean: DVector<f64>, cov: DMatrix<f64>) -> Gaussian {
        let d = mean.len();
        let eigen = nalgebra::SymmetricEigen::new(cov.clone());
        let largest = eigen.eigenvalues.iter().copied().fold(0.0, f64::max);
        let tol = f64::EPSILON * largest * d as f64;
        let mut whiten = eigen.eigenvectors.transpose();
        let mut log_det = 0.0;
        for (i, value) in eigen.eigenvalues.iter().enumerate() {
            let scale = if *value > tol {
                log_det += value.ln();
                (1.0 / value).sqrt()
            } else {
                0.0
            };
            whiten.row_mut(i).scale_mut(scale);
        }
        Gaussian {
            log_constant: -0.5 * (d as f64 * (2.0 * std::f64::consts::PI).ln() + log_det),
            mean,
            cov,
            whiten,
        }
    }

    fn pdf(&self, x: &DVector<f64>) -> f64 {
        let whitened = &self.whiten * (x - &self.mean);
        (self.log_constant - 0.5 * whitened.norm_squared()).exp()
    }
}

/// Each component's share of `x`, kept off zero as Spark does.
fn probabilities(x: &DVector<f64>, weights: &[f64], gaussians: &[Gaussian]) -> Vec<f64> {
    let mut p: Vec<f64> = weights
        .iter()
        .zip(gaussians)
        .map(|(w, g)| f64::EPSILON + w * g.pdf(x))
        .collect();
    let sum: f64 = p.iter().sum();
    p.iter_mut().for_each(|v| *v /= sum);
    p
}

fn argmax(values: &[f64]) -> i32 {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best as i32
}

/// Starting components: the weighted mean and per-feature variance of `SAMPLES_PER_COMPONENT`
/// points drawn with replacement for each, weighted by the samples' weights.
fn initial(data: &Labeled, k: usize, seed: i64) -> (Vec<f64>, Vec<Gaussian>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed as u64);
    let d = data.dims;
    let drawn: Vec<usize> = (0..k * SAMPLES_PER_COMPONENT)
        .map(|_| rng.random_range(0..data.rows()))
        .collect();
    let total: f64 = drawn.iter().map(|i| data.weights[*i]).sum();
    let mut weights = Vec::with_capacity(k);
    let mut gaussians = Vec::with_capacity(k);
    for slice in drawn.chunks(SAMPLES_PER_COMPONENT) {
        let local: f64 = slice.iter().map(|i| data.weights[*i]).sum();
        weights.push(local / total);
        let mut mean = DVector::zeros(d);
        for i in slice {
            mean += DVector::from_column_slice(data.row(*i)) * data.weights[*i];
        }
        mean /= local;
        let mut variance = DVector::zeros(d);
        for i in slice {
            let delta = DVector::from_column_slice(data.row(*i)) - &mean;
            variance += delta.component_mul(&delta) * data.weights[*i];
        }
        variance /= local;
        gaussians.push(Gaussian::new(mean, DMatrix::from_diagonal(&variance)));
    }
    (weights, gaussians)
}

/// EM steps until the log-likelihood moves by at most `tol`; returns it and the steps run.
fn expectation_maximization(
    data: &Labeled,
    weights: &mut [f64],
    gaussians: &mut [Gaussian],
    max_iter: usize,
    tol: f64,
) -> (f64, usize) {
    let (k, d) = (weights.len(), data.dims);
    let mut log_likelihood = f64::MIN;
    let mut previous = 0.0;
    let mut iteration = 0;
    while iteration < max_iter && (log_likelihood - previous).abs() > tol {
        let mut mass = vec![0.0; k];
        let mut sums = vec![DVector::<f64>::zeros(d); k];
        let mut outer = vec![DMatrix::<f64>::zeros(d, d); k];
        let mut total = 0.0;
        for i in 0..data.rows() {
            let x = DVector::from_column_slice(data.row(i));
            let w = data.weights[i];
            let p: Vec<f64> = weights
                .iter()
                .zip(gaussians.iter())
                .map(|(weight, g)| f64::EPSILON + weight * g.pdf(&x))
                .collect();
            let p_sum: f64 = p.iter().sum();
            total += p_sum.ln() * w;
            for c in 0..k {
                let r = p[c] / p_sum * w;
                mass[c] += r;
                sums[c].axpy(r, &x, 1.0);
                outer[c].ger(r, &x, &x, 1.0);
            }
        }
        let weight_sum: f64 = mass.iter().sum();
        for c in 0..k {
            let mean = &sums[c] / mass[c];
            let cov = &outer[c] / mass[c] - &mean * mean.transpose();
            weights[c] = mass[c] / weight_sum;
            gaussians[c] = Gaussian::new(mean, cov);
        }
        previous = log_likelihood;
        log_likelihood = total;
        iteration += 1;
    }
    (log_likelihood, iteration)
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
        let training = data.clone();
        let points = Labeled::collect(context, data, &params, false).await?;
        if points.rows() == 0 {
            return illegal("requirement failed: GaussianMixture needs at least one point to fit.");
        }
        if points.dims >= MAX_FEATURES {
            return illegal(format!(
                "requirement failed: GaussianMixture cannot handle more than {MAX_FEATURES} \
                 features because the size of the covariance matrix is quadratic in the number \
                 of features."
            ));
        }
        if points.features.iter().any(|v| v.is_nan()) {
            return illegal("requirement failed: Vector values MUST NOT be NaN.");
        }
        let seed = params.get("seed").and_then(MlValue::as_i64).unwrap_or(0);
        let (mut weights, mut gaussians) = initial(&points, k as usize, seed);
        let (log_likelihood, iterations) = expectation_maximization(
            &points,
            &mut weights,
            &mut gaussians,
            usize::try_from(params.int("maxIter")?).unwrap_or(0),
            params.double("tol")?,
        );
        let mut sizes = vec![0i64; weights.len()];
        for i in 0..points.rows() {
            let x = DVector::from_column_slice(points.row(i));
            let cluster = argmax(&probabilities(&x, &weights, &gaussians)) as usize;
            sizes[cluster] += 1;
        }
        Ok(Arc::new(GaussianMixtureModel {
            uid,
            params,
            weights,
            gaussians,
            training: Some(Training {
                data: training,
                sizes,
                log_likelihood,
                iterations,
            }),
        }) as Arc<dyn Model>)
    })
}

struct Training {
    data: LogicalPlan,
    sizes: Vec<i64>,
    log_likelihood: f64,
    iterations: usize,
}

struct GaussianMixtureModel {
    uid: String,
    params: Params,
    weights: Vec<f64>,
    gaussians: Vec<Gaussian>,
    training: Option<Training>,
}

fn to_matrix(m: &DMatrix<f64>) -> Matrix {
    Matrix {
        num_rows: m.nrows(),
        num_cols: m.ncols(),
        values: m.as_slice().to_vec(),
    }
}

impl GaussianMixtureModel {
    fn num_features(&self) -> usize {
        self.gaussians.first().map_or(0, |g| g.mean.len())
    }

    /// The means as a vector column and the covariances as a matrix column.
    fn component_columns(&self) -> MlResult<(ArrayRef, ArrayRef)> {
        let mut means = VectorBuilder::default();
        for g in &self.gaussians {
            means.append(Some(&Vector::Dense(g.mean.as_slice().to_vec())));
        }
        let covs: Vec<Matrix> = self.gaussians.iter().map(|g| to_matrix(&g.cov)).collect();
        Ok((
            means.finish()?,
            matrix_data::dense_matrix_column(&covs, false)?,
        ))
    }

    fn gaussians_batch(&self) -> MlResult<RecordBatch> {
        // Spark hands these out as `mllib` types; the client converts them with `asML()`.
        let (means, covs) = self.component_columns()?;
        let (means, covs) = (matrix_data::as_mllib(means)?, matrix_data::as_mllib(covs)?);
        let schema = Schema::new(vec![
            Field::new("mean", means.data_type().clone(), true),
            Field::new("cov", covs.data_type().clone(), true),
        ]);
        Ok(RecordBatch::try_new(Arc::new(schema), vec![means, covs])?)
    }
}

/// A one-row list column holding all of `values`.
fn one_list(values: ArrayRef) -> ArrayRef {
    let field = Arc::new(Field::new("element", values.data_type().clone(), true));
    Arc::new(ListArray::new(
        field,
        OffsetBuffer::from_lengths([values.len()]),
        values,
        None,
    ))
}

impl Model for GaussianMixtureModel {
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
        let model = Arc::new((self.weights.clone(), self.gaussians.clone()));
        let per_row =
            move |arrays: &[ArrayRef]| -> datafusion::error::Result<Vec<Option<Vec<f64>>>> {
                Ok(ember_functions::read_vectors(arrays[0].as_ref())?
                    .iter()
                    .map(|v| {
                        v.as_ref().map(|v| {
                            let x = DVector::from_vec(v.to_dense());
                            probabilities(&x, &model.0, &model.1)
                        })
                    })
                    .collect())
            };
        let per_row = Arc::new(per_row);
        let mut outputs = Vec::new();
        let probability_col = params.string("probabilityCol")?;
        if !probability_col.is_empty() {
            let rows = per_row.clone();
            let call = model_call(
                "gmm_probability",
                ember_functions::vector_type(),
                vec![column.clone()],
                move |arrays| {
                    let mut out = VectorBuilder::default();
                    for p in rows(arrays)? {
                        out.append(p.map(Vector::Dense).as_ref());
                    }
                    out.finish()
                },
            );
            outputs.push((probability_col, call));
        }
        let prediction_col = params.string("predictionCol")?;
        if !prediction_col.is_empty() {
            let call = model_call(
                "gmm_prediction",
                DataType::Int32,
                vec![column],
                move |arrays| {
                    let predictions: Int32Array = per_row(arrays)?
                        .iter()
                        .map(|p| p.as_deref().map(argmax))
                        .collect();
                    Ok(Arc::new(predictions) as ArrayRef)
                },
            );
            outputs.push((prediction_col, call));
        }
        frame::append_columns(input, outputs)
    }

    fn attribute(&self, name: &str, args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let point = || match args.first() {
            Some(MlValue::Vector(x)) => Ok(DVector::from_vec(x.to_dense())),
            _ => Err(MlError::IllegalArgument(format!("{name} needs a vector"))),
        };
        let value = match name {
            "weights" => MlValue::doubles(&self.weights),
            "numFeatures" => {
                MlValue::Integer(i32::try_from(self.num_features()).unwrap_or(i32::MAX))
            }
            "gaussiansDF" => return Ok(Some(Fetched::Batch(self.gaussians_batch()?))),
            "predict" => MlValue::Integer(argmax(&probabilities(
                &point()?,
                &self.weights,
                &self.gaussians,
            ))),
            "predictProbability" => MlValue::Vector(Vector::Dense(probabilities(
                &point()?,
                &self.weights,
                &self.gaussians,
            ))),
            "hasSummary" => MlValue::Boolean(self.training.is_some()),
            "summary" => {
                let Some(training) = &self.training else {
                    return illegal("No training summary available for the GaussianMixtureModel");
                };
                return Ok(Some(summary::object(ClusteringSummary {
                    predictions: self.transform(training.data.clone(), &self.params)?,
                    params: self.params.clone(),
                    k: self.weights.len(),
                    sizes: training.sizes.clone(),
                    iterations: training.iterations,
                    extra: Some(("logLikelihood", training.log_likelihood)),
                    probability_col: Some(self.params.string("probabilityCol")?),
                })));
            }
            _ => return Ok(None),
        };
        Ok(Some(Fetched::Value(value)))
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        // One row of arrays, as Spark saves the mixture.
        let (means, covs) = self.component_columns()?;
        let weights: ArrayRef = Arc::new(datafusion::arrow::array::Float64Array::from(
            self.weights.clone(),
        ));
        let columns = vec![one_list(weights), one_list(means), one_list(covs)];
        let schema = Schema::new(vec![
            Field::new("weights", columns[0].data_type().clone(), true),
            Field::new("mus", columns[1].data_type().clone(), true),
            Field::new("sigmas", columns[2].data_type().clone(), true),
        ]);
        Ok(Some(RecordBatch::try_new(Arc::new(schema), columns)?))
    }

    fn describe(&self) -> String {
        format!(
            "GaussianMixtureModel: uid={}, k={}, numFeatures={}",
            self.uid,
            self.weights.len(),
            self.num_features()
        )
    }
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let list = |name: &str| -> MlResult<ArrayRef> {
        let column = data
            .column_by_name(name)
            .ok_or_else(|| MlError::IllegalArgument(format!("model data lacks {name}")))?;
        let lists = column
            .as_list_opt::<i32>()
            .filter(|l| !l.is_empty() && !l.is_null(0))
            .ok_or_else(|| MlError::IllegalArgument(format!("model data's {name} is empty")))?;
        Ok(lists.value(0))
    };
    let weights = list("weights")?;
    let weights: Vec<f64> = weights
        .as_primitive_opt::<Float64Type>()
        .ok_or_else(|| MlError::IllegalArgument("model data's weights are not doubles".into()))?
        .values()
        .to_vec();
    let means = ember_functions::read_vectors(list("mus")?.as_ref())?;
    let covs = list("sigmas")?;
    if means.len() != weights.len() || covs.len() != weights.len() {
        return illegal("Length of weight and Gaussian array must match");
    }
    let mut gaussians = Vec::with_capacity(weights.len());
    for (row, mean) in means.iter().enumerate() {
        let mean = mean.as_ref().map(Vector::to_dense).unwrap_or_default();
        let cov = matrix_data::read_matrix(covs.as_ref(), row)?;
        if cov.num_rows != mean.len() || cov.num_cols != mean.len() {
            return illegal("model data holds a covariance of the wrong size");
        }
        gaussians.push(Gaussian::new(
            DVector::from_vec(mean),
            DMatrix::from_column_slice(cov.num_rows, cov.num_cols, &cov.values),
        ));
    }
    Ok(Arc::new(GaussianMixtureModel {
        uid,
        params,
        weights,
        gaussians,
        training: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_density_of_a_standard_normal_matches_its_formula() {
        let g = Gaussian::new(DVector::zeros(2), DMatrix::identity(2, 2));
        let at_origin = g.pdf(&DVector::zeros(2));
        assert!((at_origin - 1.0 / (2.0 * std::f64::consts::PI)).abs() < 1e-12);
        let at_one = g.pdf(&DVector::from_vec(vec![1.0, 0.0]));
        assert!((at_one - at_origin * (-0.5f64).exp()).abs() < 1e-12);
    }

    #[test]
    fn a_singular_covariance_uses_its_nonzero_directions() {
        // Variance only along the first axis: the density ignores the second coordinate.
        let cov = DMatrix::from_row_slice(2, 2, &[4.0, 0.0, 0.0, 0.0]);
        let g = Gaussian::new(DVector::zeros(2), cov);
        let a = g.pdf(&DVector::from_vec(vec![1.0, 0.0]));
        let b = g.pdf(&DVector::from_vec(vec![1.0, 5.0]));
        assert!((a - b).abs() < 1e-15);
    }

    #[test]
    fn two_separated_groups_get_their_own_components() {
        let rows = [
            [0.0, 0.1],
            [0.2, 0.0],
            [0.1, 0.2],
            [9.0, 9.1],
            [9.2, 9.0],
            [9.1, 9.2],
        ];
        let data = Labeled {
            features: rows.iter().flatten().copied().collect(),
            labels: vec![0.0; 6],
            weights: vec![1.0; 6],
            dims: 2,
        };
        let (mut weights, mut gaussians) = initial(&data, 2, 7);
        expectation_maximization(&data, &mut weights, &mut gaussians, 100, 0.01);
        let first = argmax(&probabilities(
            &DVector::from_vec(vec![0.0, 0.1]),
            &weights,
            &gaussians,
        ));
        let last = argmax(&probabilities(
            &DVector::from_vec(vec![9.0, 9.1]),
            &weights,
            &gaussians,
        ));
        assert_ne!(first, last);
        assert!(weights.iter().all(|w| (w - 0.5).abs() < 1e-6));
    }
}
