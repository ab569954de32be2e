//! `GeneralizedLinearRegression`: gaussian, binomial, poisson and gamma families with their
//! links, fitted by iteratively reweighted least squares as Spark does, with the training
//! summary's standard errors, tests, deviances and AIC.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;
use nalgebra::DMatrix;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use statrs::function::gamma::ln_gamma;

use crate::dataset::Labeled;
use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Argument, Fetched, MlObject, Model, OperatorDef, Role};
use crate::params::Params;
use crate::regression::linear_regression::weighted_least_squares;
use crate::value::MlValue;

const ESTIMATOR: &str = "org.apache.spark.ml.regression.GeneralizedLinearRegression";
const MODEL: &str = "org.apache.spark.ml.regression.GeneralizedLinearRegressionModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("family", MlValue::String("gaussian".into())),
        ("fitIntercept", MlValue::Boolean(true)),
        ("maxIter", MlValue::Integer(25)),
        ("tol", MlValue::Double(1e-6)),
        ("regParam", MlValue::Double(0.0)),
        ("solver", MlValue::String("irls".into())),
        ("variancePower", MlValue::Double(0.0)),
        ("aggregationDepth", MlValue::Integer(2)),
        ("featuresCol", MlValue::String("features".into())),
        ("labelCol", MlValue::String("label".into())),
        ("predictionCol", MlValue::String("prediction".into())),
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

#[derive(Clone, Copy, PartialEq, Debug)]
enum Family {
    Gaussian,
    Binomial,
    Poisson,
    Gamma,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Link {
    Identity,
    Log,
    Logit,
    Inverse,
    Sqrt,
}

impl Family {
    fn variance(self, mu: f64) -> f64 {
        match self {
            Family::Gaussian => 1.0,
            Family::Binomial => mu * (1.0 - mu),
            Family::Poisson => mu,
            Family::Gamma => mu * mu,
        }
    }

    fn initial(self, y: f64, w: f64) -> f64 {
        match self {
            Family::Binomial => (w * y + 0.5) / (w + 1.0),
            Family::Poisson if y == 0.0 => 0.1,
            _ => y,
        }
    }

    fn deviance(self, y: f64, mu: f64, w: f64) -> f64 {
        let ylogy = |y: f64, mu: f64| if y == 0.0 { 0.0 } else { y * (y / mu).ln() };
        match self {
            Family::Gaussian => w * (y - mu).powi(2),
            Family::Binomial => 2.0 * w * (ylogy(y, mu) + ylogy(1.0 - y, 1.0 - mu)),
            Family::Poisson => 2.0 * w * (ylogy(y, mu) - (y - mu)),
            Family::Gamma => -2.0 * w * ((y / mu).ln() - (y - mu) / mu),
        }
    }

    fn canonical(self) -> Link {
        match self {
            Family::Gaussian => Link::Identity,
            Family::Binomial => Link::Logit,
            Family::Poisson => Link::Log,
            Family::Gamma => Link::Inverse,
        }
    }

    /// A known dispersion (1), or none to estimate.
    fn fixed_dispersion(self) -> bool {
        matches!(self, Family::Binomial | Family::Poisson)
    }
}

impl Link {
    fn link(self, mu: f64) -> f64 {
        match self {
            Link::Identity => mu,
            Link::Log => mu.ln(),
            Link::Logit => (mu / (1.0 - mu)).ln(),
            Link::Inverse => 1.0 / mu,
            Link::Sqrt => mu.sqrt(),
        }
    }

    fn derivative(self, mu: f64) -> f64 {
        match self {
            Link::Identity => 1.0,
            Link::Log => 1.0 / mu,
            Link::Logit => 1.0 / (mu * (1.0 - mu)),
            Link::Inverse => -1.0 / (mu * mu),
            Link::Sqrt => 0.5 / mu.sqrt(),
        }
    }

    fn unlink(self, eta: f64) -> f64 {
        match self {
            Link::Identity => eta,
            Link::Log => eta.exp(),
            Link::Logit => 1.0 / (1.0 + (-eta).exp()),
            Link::Inverse => 1.0 / eta,
            Link::Sqrt => eta * eta,
        }
    }
}

fn family_and_link(params: &Params) -> MlResult<(Family, Link)> {
    let family = match params
        .choice("family", &["gaussian", "binomial", "poisson", "gamma"])?
        .as_str()
    {
        "binomial" => Family::Binomial,
        "poisson" => Family::Poisson,
        "gamma" => Family::Gamma,
        _ => Family::Gaussian,
    };
    let link = match params.optional_string("link").as_deref() {
        None | Some("") => family.canonical(),
        Some("identity") => Link::Identity,
        Some("log") => Link::Log,
        Some("logit") => Link::Logit,
        Some("inverse") => Link::Inverse,
        Some("sqrt") => Link::Sqrt,
        Some(other) => {
            return illegal(format!(
                "GeneralizedLinearRegression link {other} is not supported"
            ))
        }
    };
    Ok((family, link))
}

fn linear(coefficients: &[f64], intercept: f64, x: &[f64]) -> f64 {
    intercept + coefficients.iter().zip(x).map(|(c, v)| c * v).sum::<f64>()
}

/// What IRLS ends with: the fit, its iterations, and the last working weights.
struct Irls {
    coefficients: Vec<f64>,
    intercept: f64,
    iterations: usize,
    working_weights: Vec<f64>,
}

fn irls(data: &Labeled, family: Family, link: Link, params: &Params) -> MlResult<Irls> {
    let fit_intercept = params.boolean("fitIntercept")?;
    let reg = params.double("regParam")?;
    let max_iter = usize::try_from(params.int("maxIter")?).unwrap_or(0);
    let tol = params.double("tol")?;
    let mut working = Labeled {
        features: data.features.clone(),
        labels: (0..data.rows())
            .map(|i| link.link(family.initial(data.labels[i], data.weights[i])))
            .collect(),
        weights: data.weights.clone(),
        dims: data.dims,
    };
    let (mut coefficients, mut intercept) =
        weighted_least_squares(&working, fit_intercept, reg, false)?;
    let mut iterations = 0;
    if family == Family::Gaussian && link == Link::Identity {
        return Ok(Irls {
            coefficients,
            intercept,
            iterations: 1,
            working_weights: data.weights.clone(),
        });
    }
    while iterations < max_iter {
        iterations += 1;
        for i in 0..data.rows() {
            let eta = linear(&coefficients, intercept, data.row(i));
            let mu = link.unlink(eta);
            let derivative = link.derivative(mu);
            working.labels[i] = eta + (data.labels[i] - mu) * derivative;
            working.weights[i] = data.weights[i] / (derivative * derivative * family.variance(mu));
        }
        let (next, next_intercept) = weighted_least_squares(&working, fit_intercept, reg, false)?;
        let moved = next
            .iter()
            .zip(&coefficients)
            .map(|(a, b)| (a - b).abs())
            .fold((next_intercept - intercept).abs(), f64::max);
        coefficients = next;
        intercept = next_intercept;
        if moved < tol {
            break;
        }
    }
    Ok(Irls {
        coefficients,
        intercept,
        iterations,
        working_weights: working.weights,
    })
}

/// The training summary's numbers.
#[derive(Clone, Default)]
struct Statistics {
    deviance: f64,
    null_deviance: f64,
    dispersion: f64,
    aic: f64,
    rank: usize,
    instances: usize,
    standard_errors: Vec<f64>,
    t_values: Vec<f64>,
    p_values: Vec<f64>,
    iterations: usize,
}

fn statistics(
    data: &Labeled,
    fit: &Irls,
    family: Family,
    link: Link,
    fit_intercept: bool,
) -> Statistics {
    let n = data.rows();
    let weight_sum: f64 = data.weights.iter().sum();
    let mus: Vec<f64> = (0..n)
        .map(|i| link.unlink(linear(&fit.coefficients, fit.intercept, data.row(i))))
        .collect();
    let deviance: f64 = (0..n)
        .map(|i| family.deviance(data.labels[i], mus[i], data.weights[i]))
        .sum();
    let mean = data
        .labels
        .iter()
        .zip(&data.weights)
        .map(|(y, w)| y * w)
        .sum::<f64>()
        / weight_sum;
    let null_mu = if fit_intercept {
        mean
    } else {
        link.unlink(0.0)
    };
    let null_deviance: f64 = (0..n)
        .map(|i| family.deviance(data.labels[i], null_mu, data.weights[i]))
        .sum();
    let rank = data.dims + usize::from(fit_intercept);
    let residual_dof = n as f64 - rank as f64;
    let dispersion = if family.fixed_dispersion() {
        1.0
    } else {
        (0..n)
            .map(|i| data.weights[i] * (data.labels[i] - mus[i]).powi(2) / family.variance(mus[i]))
            .sum::<f64>()
            / residual_dof
    };
    let aic = match family {
        Family::Gaussian => {
            weight_sum * ((deviance / weight_sum * 2.0 * std::f64::consts::PI).ln() + 1.0) + 2.0
        }
        Family::Binomial => {
            -2.0 * (0..n)
                .map(|i| {
                    let (y, mu) = (data.labels[i], mus[i]);
                    data.weights[i] * (y * mu.ln() + (1.0 - y) * (1.0 - mu).ln())
                })
                .sum::<f64>()
        }
        Family::Poisson => {
            -2.0 * (0..n)
                .map(|i| {
                    let (y, mu) = (data.labels[i], mus[i]);
                    data.weights[i] * (y * mu.ln() - mu - ln_gamma(y + 1.0))
                })
                .sum::<f64>()
        }
        Family::Gamma => {
            let disp = deviance / weight_sum;
            let shape = 1.0 / disp;
            -2.0 * (0..n)
                .map(|i| {
                    let (y, mu) = (data.labels[i], mus[i]);
                    let scale = mu * disp;
                    data.weights[i]
                        * ((shape - 1.0) * y.ln()
                            - y / scale
                            - ln_gamma(shape)
                            - shape * scale.ln())
                })
                .sum::<f64>()
                + 2.0
        }
    } + 2.0 * rank as f64;
    // (X' W X)^-1 with the intercept last, as Spark orders the summary's arrays.
    let mut xtwx = DMatrix::<f64>::zeros(rank, rank);
    for i in 0..n {
        let mut row = data.row(i).to_vec();
        if fit_intercept {
            row.push(1.0);
        }
        let w = fit.working_weights[i];
        for a in 0..rank {
            for b in 0..rank {
                xtwx[(a, b)] += w * row[a] * row[b];
            }
        }
    }
    let mut estimates = fit.coefficients.clone();
    if fit_intercept {
        estimates.push(fit.intercept);
    }
    let (standard_errors, t_values, p_values) = match xtwx.try_inverse() {
        Some(inverse) => {
            let errors: Vec<f64> = (0..rank)
                .map(|j| (inverse[(j, j)] * dispersion).sqrt())
                .collect();
            let t: Vec<f64> = estimates.iter().zip(&errors).map(|(e, s)| e / s).collect();
            let p = t
                .iter()
                .map(|t| {
                    let tail = if family.fixed_dispersion() {
                        Normal::new(0.0, 1.0)
                            .map(|d| 1.0 - d.cdf(t.abs()))
                            .unwrap_or(f64::NAN)
                    } else {
                        StudentsT::new(0.0, 1.0, residual_dof)
                            .map(|d| 1.0 - d.cdf(t.abs()))
                            .unwrap_or(f64::NAN)
                    };
                    2.0 * tail
                })
                .collect();
            (errors, t, p)
        }
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    Statistics {
        deviance,
        null_deviance,
        dispersion,
        aic,
        rank,
        instances: n,
        standard_errors,
        t_values,
        p_values,
        iterations: fit.iterations,
    }
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        params.choice("solver", &["irls"])?;
        let (family, link) = family_and_link(&params)?;
        let training = data.clone();
        let labeled = Labeled::collect(context, data, &params, true).await?;
        if labeled.rows() == 0 {
            return illegal("requirement failed: GeneralizedLinearRegression needs data to fit.");
        }
        for y in &labeled.labels {
            let valid = match family {
                Family::Binomial => (0.0..=1.0).contains(y),
                Family::Poisson => *y >= 0.0,
                Family::Gamma => *y > 0.0,
                Family::Gaussian => y.is_finite(),
            };
            if !valid {
                return illegal(format!(
                    "requirement failed: The response variable of {family:?} family should be in its domain but got {y}"
                ));
            }
        }
        let fitted = irls(&labeled, family, link, &params)?;
        let summary = statistics(
            &labeled,
            &fitted,
            family,
            link,
            params.boolean("fitIntercept")?,
        );
        Ok(Arc::new(GlmModel {
            uid,
            params,
            coefficients: fitted.coefficients,
            intercept: fitted.intercept,
            training: Some((training, summary)),
        }) as Arc<dyn Model>)
    })
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let lacks = |name: &str| MlError::IllegalArgument(format!("model data lacks {name}"));
    let intercept = frame::doubles(
        std::slice::from_ref(&data),
        data.schema()
            .index_of("intercept")
            .map_err(|_| lacks("intercept"))?,
    )?
    .first()
    .copied()
    .flatten()
    .unwrap_or(0.0);
    let coefficients = data
        .column_by_name("coefficients")
        .map(|c| ember_functions::read_vectors(c.as_ref()))
        .transpose()?
        .and_then(|v| v.into_iter().next().flatten())
        .ok_or_else(|| lacks("coefficients"))?
        .to_dense();
    Ok(Arc::new(GlmModel {
        uid,
        params,
        coefficients,
        intercept,
        training: None,
    }))
}

struct GlmModel {
    uid: String,
    params: Params,
    coefficients: Vec<f64>,
    intercept: f64,
    training: Option<(LogicalPlan, Statistics)>,
}

impl Model for GlmModel {
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
        let name = params.string("featuresCol")?;
        let (column, data_type) = frame::column(input.schema(), &name)?;
        frame::require_vector(&name, &data_type)?;
        let (_, link) = family_and_link(params)?;
        let mut outputs = Vec::new();
        for (param, linked) in [("predictionCol", false), ("linkPredictionCol", true)] {
            let target = params.optional_string(param).unwrap_or_default();
            if target.is_empty() {
                continue;
            }
            let (coefficients, intercept) = (Arc::new(self.coefficients.clone()), self.intercept);
            let call = model_call(
                "glm",
                DataType::Float64,
                vec![column.clone()],
                move |arrays| {
                    let out: Float64Array = ember_functions::read_vectors(arrays[0].as_ref())?
                        .iter()
                        .map(|v| {
                            v.as_ref().map(|v| {
                                let eta = linear(&coefficients, intercept, &v.to_dense());
                                if linked {
                                    eta
                                } else {
                                    link.unlink(eta)
                                }
                            })
                        })
                        .collect();
                    Ok(Arc::new(out) as ArrayRef)
                },
            );
            outputs.push((target, call));
        }
        frame::append_columns(input, outputs)
    }

    fn attribute(&self, name: &str, args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let value = match name {
            "coefficients" => MlValue::Vector(Vector::Dense(self.coefficients.clone())),
            "intercept" => MlValue::Double(self.intercept),
            "numFeatures" => MlValue::Integer(self.coefficients.len() as i32),
            "hasSummary" => MlValue::Boolean(self.training.is_some()),
            "predict" => {
                let Some(MlValue::Vector(x)) = args.first() else {
                    return illegal("predict needs a vector");
                };
                let (_, link) = family_and_link(&self.params)?;
                MlValue::Double(link.unlink(linear(
                    &self.coefficients,
                    self.intercept,
                    &x.to_dense(),
                )))
            }
            "summary" => {
                let Some((data, statistics)) = &self.training else {
                    return illegal(
                        "No training summary available for this GeneralizedLinearRegressionModel",
                    );
                };
                return Ok(Some(Fetched::Object(Arc::new(GlmSummary {
                    predictions: self.transform(data.clone(), &self.params)?,
                    params: self.params.clone(),
                    statistics: statistics.clone(),
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
        ]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(Float64Array::from(vec![self.intercept])),
                coefficients.finish()?,
            ],
        )?))
    }
}

struct GlmSummary {
    predictions: LogicalPlan,
    params: Params,
    statistics: Statistics,
}

impl MlObject for GlmSummary {
    fn call<'a>(
        &'a self,
        _context: &'a SessionContext,
        method: &'a str,
        _args: Vec<Argument>,
    ) -> BoxFuture<'a, MlResult<Fetched>> {
        Box::pin(async move {
            let s = &self.statistics;
            let residual_dof = s.instances as i64 - s.rank as i64;
            let intercept = i64::from(self.params.boolean("fitIntercept")?);
            let value = match method {
                "predictions" => return Ok(Fetched::Plan(self.predictions.clone())),
                "predictionCol" => MlValue::String(self.params.string("predictionCol")?),
                "numIterations" => MlValue::Integer(s.iterations as i32),
                "solver" => MlValue::String("irls".into()),
                "rank" => MlValue::Long(s.rank as i64),
                "numInstances" => MlValue::Long(s.instances as i64),
                "degreesOfFreedom" => MlValue::Long(s.rank as i64),
                "residualDegreeOfFreedom" => MlValue::Long(residual_dof),
                "residualDegreeOfFreedomNull" => MlValue::Long(s.instances as i64 - intercept),
                "deviance" => MlValue::Double(s.deviance),
                "nullDeviance" => MlValue::Double(s.null_deviance),
                "dispersion" => MlValue::Double(s.dispersion),
                "aic" => MlValue::Double(s.aic),
                "coefficientStandardErrors" => MlValue::doubles(&s.standard_errors),
                "tValues" => MlValue::doubles(&s.t_values),
                "pValues" => MlValue::doubles(&s.p_values),
                other => {
                    return Err(MlError::Unsupported(format!(
                        "the generalized linear regression summary has no method {other}"
                    )))
                }
            };
            Ok(Fetched::Value(value))
        })
    }
}
