//! `LinearRegression`: weighted least squares with Spark's regularization,
//! `1/2 Σ w (xᵀβ + b - y)² / Σ w + λ/δ ½(1-α) Σ (σ_j β_j)² + λ α Σ |σ_j β_j|`, where δ is the
//! label's and σ_j the features' population standard deviations (σ_j = 1 without
//! standardization). Without an L1 term it is solved exactly from the normal equations, as
//! Spark's `auto` solver does; with one, by OWL-QN in the scaled space.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Float64Builder, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;

use crate::dataset::Labeled;
use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::optimize::{minimize, Objective};
use crate::params::Params;
use crate::regression::summary::RegressionSummary;
use crate::value::MlValue;

const ESTIMATOR: &str = "org.apache.spark.ml.regression.LinearRegression";
const MODEL: &str = "org.apache.spark.ml.regression.LinearRegressionModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("aggregationDepth", MlValue::Integer(2)),
        ("elasticNetParam", MlValue::Double(0.0)),
        ("epsilon", MlValue::Double(1.35)),
        ("featuresCol", MlValue::String("features".into())),
        ("fitIntercept", MlValue::Boolean(true)),
        ("labelCol", MlValue::String("label".into())),
        ("loss", MlValue::String("squaredError".into())),
        ("maxBlockSizeInMB", MlValue::Double(0.0)),
        ("maxIter", MlValue::Integer(100)),
        ("predictionCol", MlValue::String("prediction".into())),
        ("regParam", MlValue::Double(0.0)),
        ("solver", MlValue::String("auto".into())),
        ("standardization", MlValue::Boolean(true)),
        ("tol", MlValue::Double(1e-6)),
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

/// Weighted first and second moments of features and label.
struct Moments {
    mean: Vec<f64>,
    label_mean: f64,
    /// Population deviations.
    std: Vec<f64>,
    label_std: f64,
    /// `E[(x - x̄)(x - x̄)ᵀ]` (or `E[x xᵀ]` without an intercept), row-major.
    xx: Vec<f64>,
    /// `E[(x - x̄)(y - ȳ)]` (or `E[x y]`).
    xy: Vec<f64>,
}

fn moments(data: &Labeled, center: bool) -> Moments {
    let d = data.dims;
    let total: f64 = data.weights.iter().sum();
    let mut mean = vec![0.0; d];
    let mut label_mean = 0.0;
    for i in 0..data.rows() {
        let w = data.weights[i] / total;
        for (m, x) in mean.iter_mut().zip(data.row(i)) {
            *m += w * x;
        }
        label_mean += w * data.labels[i];
    }
    let mut var = vec![0.0; d];
    let mut label_var = 0.0;
    let mut xx = vec![0.0; d * d];
    let mut xy = vec![0.0; d];
    let shift = |value: f64, mean: f64| if center { value - mean } else { value };
    for i in 0..data.rows() {
        let w = data.weights[i] / total;
        let row = data.row(i);
        let y = data.labels[i];
        label_var += w * (y - label_mean).powi(2);
        for j in 0..d {
            var[j] += w * (row[j] - mean[j]).powi(2);
            let xj = shift(row[j], mean[j]);
            xy[j] += w * xj * shift(y, label_mean);
            for k in j..d {
                xx[j * d + k] += w * xj * shift(row[k], mean[k]);
            }
        }
    }
    for j in 0..d {
        for k in 0..j {
            xx[j * d + k] = xx[k * d + j];
        }
    }
    Moments {
        mean,
        label_mean,
        std: var.iter().map(|v| v.max(0.0).sqrt()).collect(),
        label_std: label_var.max(0.0).sqrt(),
        xx,
        xy,
    }
}

/// Solves `a x = b` for a symmetric positive definite `a` (row-major) by Cholesky.
fn cholesky_solve(a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let diagonal = a[i * n + i] - sum;
                if diagonal <= 0.0 || !diagonal.is_finite() {
                    return None;
                }
                l[i * n + i] = diagonal.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - sum) / l[j * n + j];
            }
        }
    }
    let mut z = vec![0.0; n];
    for i in 0..n {
        let sum: f64 = (0..i).map(|k| l[i * n + k] * z[k]).sum();
        z[i] = (b[i] - sum) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let sum: f64 = (i + 1..n).map(|k| l[k * n + i] * x[k]).sum();
        x[i] = (z[i] - sum) / l[i * n + i];
    }
    Some(x)
}

/// Ridge (or plain) least squares from the moments: `lambda` penalizes `sigma_j * beta_j`;
/// inactive features get coefficient 0.
fn normal_equations(
    m: &Moments,
    sigma: &[f64],
    lambda: f64,
    active: &[bool],
) -> MlResult<Vec<f64>> {
    let d = sigma.len();
    let mut a = m.xx.clone();
    for j in 0..d {
        a[j * d + j] += lambda * sigma[j] * sigma[j];
        if !active[j] {
            for k in 0..d {
                a[j * d + k] = if j == k { 1.0 } else { 0.0 };
                a[k * d + j] = if j == k { 1.0 } else { 0.0 };
            }
        }
    }
    let b: Vec<f64> = (0..d)
        .map(|j| if active[j] { m.xy[j] } else { 0.0 })
        .collect();
    cholesky_solve(&a, &b).ok_or_else(|| {
        MlError::IllegalArgument(
            "The matrix of the normal equations is singular; set regParam > 0 or remove collinear features.".into(),
        )
    })
}

/// Spark's weighted least squares with an L2 penalty `reg`: on coefficients scaled by their
/// feature's deviation and divided by the label's when `standardize`, else on the plain
/// coefficients (as generalized linear regression asks). The coefficients and intercept.
pub(crate) fn weighted_least_squares(
    data: &Labeled,
    fit_intercept: bool,
    reg: f64,
    standardize: bool,
) -> MlResult<(Vec<f64>, f64)> {
    let m = moments(data, fit_intercept);
    let d = data.dims;
    let coefficients = if m.label_std == 0.0 && fit_intercept {
        vec![0.0; d]
    } else {
        let delta = if m.label_std > 0.0 && standardize {
            m.label_std
        } else {
            1.0
        };
        let active: Vec<bool> = (0..d).map(|j| !fit_intercept || m.std[j] > 0.0).collect();
        let sigma = if standardize {
            m.std.clone()
        } else {
            vec![1.0; d]
        };
        normal_equations(&m, &sigma, reg / delta, &active)?
    };
    let intercept = if fit_intercept {
        m.label_mean
            - coefficients
                .iter()
                .zip(&m.mean)
                .map(|(c, x)| c * x)
                .sum::<f64>()
    } else {
        0.0
    };
    Ok((coefficients, intercept))
}

/// The smooth part of the objective over coefficients scaled by σ_j (β'_j = σ_j β_j).
struct ScaledLeastSquares<'a> {
    m: &'a Moments,
    scale: Vec<f64>,
    l2: f64,
}

impl Objective for ScaledLeastSquares<'_> {
    fn evaluate(&self, point: &[f64]) -> (f64, Vec<f64>) {
        let d = point.len();
        let beta: Vec<f64> = point
            .iter()
            .zip(&self.scale)
            .map(|(p, s)| if *s != 0.0 { p / s } else { 0.0 })
            .collect();
        // ½ E[(xᵀβ - y)²] = ½ βᵀXXβ - βᵀXy + const, from the moments.
        let mut value = 0.0;
        let mut gradient = vec![0.0; d];
        for j in 0..d {
            let row: f64 = (0..d).map(|k| self.m.xx[j * d + k] * beta[k]).sum();
            value += 0.5 * beta[j] * row - beta[j] * self.m.xy[j];
            let g = row - self.m.xy[j];
            gradient[j] = if self.scale[j] != 0.0 {
                g / self.scale[j]
            } else {
                0.0
            };
        }
        for j in 0..d {
            value += 0.5 * self.l2 * point[j] * point[j];
            gradient[j] += self.l2 * point[j];
        }
        (value, gradient)
    }
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        params.choice("loss", &["squaredError"])?;
        params.choice("solver", &["auto", "normal", "l-bfgs"])?;
        let training = data.clone();
        let labeled = Labeled::collect(context, data, &params, true).await?;
        if labeled.rows() == 0 {
            return illegal("requirement failed: Nothing has been added to this summarizer.");
        }
        let fit_intercept = params.boolean("fitIntercept")?;
        let reg = params.double("regParam")?;
        let alpha = params.double("elasticNetParam")?;
        if !(0.0..=1.0).contains(&alpha) || reg < 0.0 {
            return illegal("regParam must be >= 0 and elasticNetParam in [0, 1]");
        }
        let m = moments(&labeled, fit_intercept);
        let d = labeled.dims;
        let standardize = params.boolean("standardization")?;
        let sigma: Vec<f64> = if standardize {
            m.std.clone()
        } else {
            vec![1.0; d]
        };
        let (coefficients, iterations, history) = if m.label_std == 0.0 && fit_intercept {
            // A constant label: the intercept alone fits it.
            (vec![0.0; d], 0, vec![0.0])
        } else {
            let delta = if m.label_std > 0.0 { m.label_std } else { 1.0 };
            let lambda = reg / delta;
            // Features that never vary carry no signal once centered.
            let active: Vec<bool> = (0..d).map(|j| !fit_intercept || m.std[j] > 0.0).collect();
            if alpha == 0.0 || lambda == 0.0 {
                (normal_equations(&m, &sigma, lambda, &active)?, 1, vec![0.0])
            } else {
                let scale: Vec<f64> = (0..d)
                    .map(|j| if active[j] { sigma[j] } else { 0.0 })
                    .collect();
                let objective = ScaledLeastSquares {
                    m: &m,
                    scale: scale.clone(),
                    l2: lambda * (1.0 - alpha),
                };
                let minimum = minimize(
                    &objective,
                    vec![0.0; d],
                    params.int("maxIter")?.max(0) as u64,
                    params.double("tol")?,
                    // Spark's L-BFGS path scales the label, which leaves the L1 term
                    // undivided by δ once the objective is brought back to this scale.
                    reg * alpha,
                )?;
                let beta = minimum
                    .point
                    .iter()
                    .zip(&scale)
                    .map(|(p, s)| if *s != 0.0 { p / s } else { 0.0 })
                    .collect();
                (beta, minimum.iterations, minimum.history)
            }
        };
        let intercept = if fit_intercept {
            m.label_mean
                - coefficients
                    .iter()
                    .zip(&m.mean)
                    .map(|(c, x)| c * x)
                    .sum::<f64>()
        } else {
            0.0
        };
        Ok(Arc::new(LinearRegressionModel {
            uid,
            params,
            coefficients,
            intercept,
            scale: 1.0,
            training: Some(training),
            iterations,
            history,
        }) as Arc<dyn Model>)
    })
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let double = |name: &str| -> MlResult<f64> {
        let column = data
            .column_by_name(name)
            .ok_or_else(|| MlError::IllegalArgument(format!("model data lacks {name}")))?;
        let values = datafusion::arrow::compute::cast(column, &DataType::Float64)?;
        let values = datafusion::arrow::array::AsArray::as_primitive::<
            datafusion::arrow::datatypes::Float64Type,
        >(&values);
        Ok(if values.is_empty() {
            0.0
        } else {
            values.value(0)
        })
    };
    let coefficients = data
        .column_by_name("coefficients")
        .map(|c| ember_functions::read_vectors(c.as_ref()))
        .transpose()?
        .and_then(|v| v.into_iter().next().flatten())
        .ok_or_else(|| MlError::IllegalArgument("model data lacks coefficients".into()))?
        .to_dense();
    Ok(Arc::new(LinearRegressionModel {
        uid,
        params,
        coefficients,
        intercept: double("intercept")?,
        scale: double("scale").unwrap_or(1.0),
        training: None,
        iterations: 0,
        history: Vec::new(),
    }))
}

pub struct LinearRegressionModel {
    uid: String,
    params: Params,
    coefficients: Vec<f64>,
    intercept: f64,
    scale: f64,
    training: Option<LogicalPlan>,
    iterations: u64,
    history: Vec<f64>,
}

fn predict(coefficients: &[f64], intercept: f64, x: &Vector) -> f64 {
    intercept
        + x.active()
            .iter()
            .map(|(i, v)| coefficients.get(*i).copied().unwrap_or(0.0) * v)
            .sum::<f64>()
}

impl Model for LinearRegressionModel {
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
        let features = params.string("featuresCol")?;
        let (column, data_type) = frame::column(input.schema(), &features)?;
        frame::require_vector(&features, &data_type)?;
        let output = params.string("predictionCol")?;
        if output.is_empty() {
            return Ok(input);
        }
        let coefficients = Arc::new(self.coefficients.clone());
        let intercept = self.intercept;
        let call = model_call(
            "linear_regression",
            DataType::Float64,
            vec![column],
            move |args| {
                let mut out = Float64Builder::new();
                for x in ember_functions::read_vectors(args[0].as_ref())? {
                    out.append_option(x.map(|x| predict(&coefficients, intercept, &x)));
                }
                Ok(Arc::new(out.finish()) as ArrayRef)
            },
        );
        frame::append_columns(input, vec![(output, call)])
    }

    fn attribute(&self, name: &str, args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let value = match name {
            "coefficients" => MlValue::Vector(Vector::Dense(self.coefficients.clone())),
            "intercept" => MlValue::Double(self.intercept),
            "scale" => MlValue::Double(self.scale),
            "numFeatures" => MlValue::Integer(i32::try_from(self.coefficients.len()).unwrap_or(0)),
            "hasSummary" => MlValue::Boolean(self.training.is_some()),
            "predict" => {
                let Some(MlValue::Vector(x)) = args.first() else {
                    return illegal("predict needs a vector");
                };
                MlValue::Double(predict(&self.coefficients, self.intercept, x))
            }
            "summary" => {
                let Some(training) = &self.training else {
                    return illegal("No training summary available for this LinearRegressionModel");
                };
                return Ok(Some(Fetched::Object(Arc::new(RegressionSummary {
                    predictions: self.transform(training.clone(), &self.params)?,
                    params: self.params.clone(),
                    features: self.coefficients.len(),
                    history: self.history.clone(),
                    iterations: self.iterations,
                }))));
            }
            _ => return Ok(None),
        };
        Ok(Some(Fetched::Value(value)))
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let mut coefficients = VectorBuilder::default();
        coefficients.append(Some(&Vector::Dense(self.coefficients.clone())));
        let schema = Schema::new(vec![
            Field::new("intercept", DataType::Float64, false),
            Field::new("coefficients", ember_functions::vector_type(), true),
            Field::new("scale", DataType::Float64, false),
        ]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(Float64Array::from(vec![self.intercept])),
                coefficients.finish()?,
                Arc::new(Float64Array::from(vec![self.scale])),
            ],
        )?))
    }

    fn describe(&self) -> String {
        format!(
            "LinearRegressionModel: uid={}, numFeatures={}",
            self.uid,
            self.coefficients.len()
        )
    }

    fn size_bytes(&self) -> usize {
        8 * (self.coefficients.len() + 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_small_system() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let x = cholesky_solve(&a, &[2.0, 1.0]).unwrap_or_default();
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12);
        assert!(cholesky_solve(&[1.0, 1.0, 1.0, 1.0], &[1.0, 1.0]).is_none());
    }
}
