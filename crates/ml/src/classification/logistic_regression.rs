//! `LogisticRegression`: Spark's objective (mean weighted log-loss over standardized features
//! plus elastic-net penalty) minimized with L-BFGS / OWL-QN; binomial and multinomial.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Builder, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;

use crate::dataset::Labeled;
use crate::error::{illegal, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::optimize::{minimize, parallel_sum, Objective};
use crate::params::Params;
use crate::value::{Matrix, MlValue};

pub const ESTIMATOR: &str = "org.apache.spark.ml.classification.LogisticRegression";
pub const MODEL: &str = "org.apache.spark.ml.classification.LogisticRegressionModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("featuresCol", MlValue::String("features".into())),
        ("labelCol", MlValue::String("label".into())),
        ("predictionCol", MlValue::String("prediction".into())),
        ("rawPredictionCol", MlValue::String("rawPrediction".into())),
        ("probabilityCol", MlValue::String("probability".into())),
        ("maxIter", MlValue::Integer(100)),
        ("regParam", MlValue::Double(0.0)),
        ("elasticNetParam", MlValue::Double(0.0)),
        ("tol", MlValue::Double(1e-6)),
        ("fitIntercept", MlValue::Boolean(true)),
        ("family", MlValue::String("auto".into())),
        ("standardization", MlValue::Boolean(true)),
        ("threshold", MlValue::Double(0.5)),
        ("aggregationDepth", MlValue::Integer(2)),
        ("maxBlockSizeInMB", MlValue::Double(0.0)),
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

/// The number of classes the labels imply; labels must be whole numbers from 0.
pub fn class_count(labels: &[f64]) -> MlResult<usize> {
    let mut max = 0.0f64;
    for label in labels {
        if *label < 0.0 || label.fract() != 0.0 || label.is_nan() {
            return illegal(format!(
                "Classifier was given dataset with invalid label {label}.  Labels must be integers in range [0, 2147483647]."
            ));
        }
        max = max.max(*label);
    }
    Ok(max as usize + 1)
}

/// The loss over the training rows in the optimizer's coordinates: per class, `dims`
/// coefficients then (if fitted) an intercept.
struct LogLoss<'a> {
    data: &'a Labeled,
    /// Multiplies each feature: 1/σ in standardized space, 0 for constant features.
    scale: Vec<f64>,
    classes: usize,
    /// One margin (binomial) or one per class.
    outputs: usize,
    fit_intercept: bool,
    /// L2 weight per coefficient coordinate.
    l2: Vec<f64>,
    weight_sum: f64,
}

impl LogLoss<'_> {
    fn width(&self) -> usize {
        self.data.dims + usize::from(self.fit_intercept)
    }
}

impl Objective for LogLoss<'_> {
    fn evaluate(&self, point: &[f64]) -> (f64, Vec<f64>) {
        let d = self.data.dims;
        let width = self.width();
        let dims = point.len();
        // The scaling is folded into the coefficients here and into the gradient after the
        // sum, so the pass over the rows multiplies raw features only.
        let effective: Vec<f64> = (0..self.outputs)
            .flat_map(|k| {
                point[k * width..k * width + d]
                    .iter()
                    .zip(&self.scale)
                    .map(|(c, s)| c * s)
            })
            .collect();
        let intercept = |k: usize| {
            if self.fit_intercept {
                point[k * width + d]
            } else {
                0.0
            }
        };
        let (mut loss, mut gradient) = parallel_sum(self.data.rows(), dims, |range| {
            let mut loss = 0.0;
            let mut gradient = vec![0.0; dims];
            let mut margins = vec![0.0; self.outputs];
            for i in range {
                let w = self.data.weights[i];
                if w == 0.0 {
                    continue;
                }
                let x = self.data.row(i);
                let y = self.data.labels[i];
                for (k, margin) in margins.iter_mut().enumerate() {
                    let coefficients = &effective[k * d..(k + 1) * d];
                    *margin =
                        intercept(k) + coefficients.iter().zip(x).map(|(c, v)| c * v).sum::<f64>();
                }
                if self.outputs == 1 {
                    let m = margins[0];
                    // One exponential serves both the loss and the probability.
                    let e = (-m.abs()).exp();
                    let probability = if m >= 0.0 {
                        1.0 / (1.0 + e)
                    } else {
                        e / (1.0 + e)
                    };
                    loss += w * (m.max(0.0) + e.ln_1p() - y * m);
                    let multiplier = w * (probability - y);
                    for (g, v) in gradient[..d].iter_mut().zip(x) {
                        *g += multiplier * v;
                    }
                    if self.fit_intercept {
                        gradient[d] += multiplier;
                    }
                } else {
                    let max = margins.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let sum: f64 = margins.iter().map(|m| (m - max).exp()).sum();
                    let log_sum = max + sum.ln();
                    let class = y as usize;
                    loss += w * (log_sum - margins[class.min(self.outputs - 1)]);
                    for k in 0..self.outputs {
                        let p = (margins[k] - log_sum).exp();
                        let multiplier = w * (p - if k == class { 1.0 } else { 0.0 });
                        for (g, v) in gradient[k * width..k * width + d].iter_mut().zip(x) {
                            *g += multiplier * v;
                        }
                        if self.fit_intercept {
                            gradient[k * width + d] += multiplier;
                        }
                    }
                }
            }
            (loss, gradient)
        });
        for k in 0..self.outputs {
            for (g, s) in gradient[k * width..k * width + d]
                .iter_mut()
                .zip(&self.scale)
            {
                *g *= s;
            }
        }
        loss /= self.weight_sum;
        gradient.iter_mut().for_each(|g| *g /= self.weight_sum);
        for (i, (p, g)) in point.iter().zip(gradient.iter_mut()).enumerate() {
            let l2 = self.l2[i];
            if l2 != 0.0 {
                loss += 0.5 * l2 * p * p;
                *g += l2 * p;
            }
        }
        (loss, gradient)
    }
}

pub fn sigmoid(m: f64) -> f64 {
    1.0 / (1.0 + (-m).exp())
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let family = params.choice("family", &["auto", "binomial", "multinomial"])?;
        let reg = params.double("regParam")?;
        let alpha = params.double("elasticNetParam")?;
        if reg < 0.0 {
            return illegal(format!("regParam given invalid value {reg}."));
        }
        if !(0.0..=1.0).contains(&alpha) {
            return illegal(format!("elasticNetParam given invalid value {alpha}."));
        }
        let max_iter = params.int("maxIter")?;
        if max_iter < 0 {
            return illegal(format!("maxIter given invalid value {max_iter}."));
        }
        let training = Labeled::collect(context, data.clone(), &params, true).await?;
        let classes = class_count(&training.labels)?.max(2);
        let multinomial = match family.as_str() {
            "binomial" if classes > 2 => {
                return illegal(format!(
                    "requirement failed: Binomial family only supports 1 or 2 outcome classes but found {classes}."
                ))
            }
            "binomial" => false,
            "multinomial" => true,
            _ => classes > 2,
        };
        let fit_intercept = params.boolean("fitIntercept")?;
        let standardization = params.boolean("standardization")?;
        let d = training.dims;
        let (_, std) = training.moments();
        let l1 = reg * alpha;
        let l2 = reg * (1.0 - alpha);
        // Optimize in standardized space (Spark's conditioning); with standardization off
        // and an L1 term, in the original space so one L1 weight fits every coordinate.
        let original_space = !standardization && l1 > 0.0;
        let scale: Vec<f64> = std
            .iter()
            .map(|s| match (*s > 0.0, original_space) {
                (false, _) => 0.0,
                (true, true) => 1.0,
                (true, false) => 1.0 / s,
            })
            .collect();
        let outputs = if multinomial { classes } else { 1 };
        let width = d + usize::from(fit_intercept);
        let mut l2_weights = vec![0.0; outputs * width];
        for k in 0..outputs {
            for j in 0..d {
                let penalty_scale = if standardization || original_space || std[j] == 0.0 {
                    1.0
                } else {
                    1.0 / (std[j] * std[j])
                };
                l2_weights[k * width + j] = l2 * penalty_scale;
            }
        }
        let objective = LogLoss {
            data: &training,
            scale: scale.clone(),
            classes,
            outputs,
            fit_intercept,
            l2: l2_weights,
            weight_sum: training.weight_sum(),
        };
        let _ = objective.classes;
        let mut start = vec![0.0; outputs * width];
        if fit_intercept && !multinomial {
            // Spark starts from the intercept of the label balance.
            let positive: f64 = training
                .labels
                .iter()
                .zip(&training.weights)
                .map(|(y, w)| y * w)
                .sum();
            let total = training.weight_sum();
            if positive > 0.0 && positive < total {
                start[d] = (positive / (total - positive)).ln();
            }
        }
        let minimum = minimize(
            &objective,
            start,
            max_iter as u64,
            params.double("tol")?,
            l1,
        )?;
        let mut coefficients = Vec::with_capacity(outputs * d);
        let mut intercepts = Vec::with_capacity(outputs);
        for k in 0..outputs {
            let row = &minimum.point[k * width..k * width + d];
            coefficients.extend(row.iter().zip(&scale).map(|(c, s)| c * s));
            intercepts.push(if fit_intercept {
                minimum.point[k * width + d]
            } else {
                0.0
            });
        }
        if multinomial {
            center(&mut coefficients, outputs, d);
            center(&mut intercepts, outputs, 1);
        }
        let model = LogisticRegressionModel {
            uid,
            params,
            classes,
            dims: d,
            multinomial,
            coefficients,
            intercepts,
            history: minimum.history,
            iterations: minimum.iterations,
            training: Some(data),
        };
        Ok(Arc::new(model) as Arc<dyn Model>)
    })
}

/// Subtracts each column's mean over the classes (Spark's identifiable multinomial form).
fn center(values: &mut [f64], rows: usize, cols: usize) {
    for j in 0..cols {
        let mean = (0..rows).map(|k| values[k * cols + j]).sum::<f64>() / rows as f64;
        for k in 0..rows {
            values[k * cols + j] -= mean;
        }
    }
}

pub struct LogisticRegressionModel {
    uid: String,
    params: Params,
    classes: usize,
    dims: usize,
    multinomial: bool,
    /// Row-major, one row per margin.
    coefficients: Vec<f64>,
    intercepts: Vec<f64>,
    history: Vec<f64>,
    iterations: u64,
    training: Option<LogicalPlan>,
}

impl LogisticRegressionModel {
    fn margins(&self, x: &Vector) -> Vec<f64> {
        let rows = self.intercepts.len();
        let active = x.active();
        (0..rows)
            .map(|k| {
                let row = &self.coefficients[k * self.dims..(k + 1) * self.dims];
                self.intercepts[k]
                    + active
                        .iter()
                        .filter(|(j, _)| *j < self.dims)
                        .map(|(j, v)| row[*j] * v)
                        .sum::<f64>()
            })
            .collect()
    }

    /// (rawPrediction, probability, prediction) of one row.
    fn predict(
        &self,
        x: &Vector,
        threshold: f64,
        thresholds: Option<&[f64]>,
    ) -> (Vec<f64>, Vec<f64>, f64) {
        let margins = self.margins(x);
        if !self.multinomial {
            let m = margins[0];
            let p = sigmoid(m);
            let prediction = match thresholds {
                Some(t) if t.len() == 2 => argmax_scaled(&[1.0 - p, p], t),
                _ => f64::from(u8::from(p > threshold)),
            };
            return (vec![-m, m], vec![1.0 - p, p], prediction);
        }
        let max = margins.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let exps: Vec<f64> = margins.iter().map(|m| (m - max).exp()).collect();
        let sum: f64 = exps.iter().sum();
        let probability: Vec<f64> = exps.iter().map(|e| e / sum).collect();
        let prediction = match thresholds {
            Some(t) if t.len() == probability.len() => argmax_scaled(&probability, t),
            _ => argmax(&margins),
        };
        (margins, probability, prediction)
    }

    fn coefficient_matrix(&self) -> Matrix {
        let rows = self.intercepts.len();
        let mut values = Vec::with_capacity(rows * self.dims);
        for j in 0..self.dims {
            for k in 0..rows {
                values.push(self.coefficients[k * self.dims + j]);
            }
        }
        Matrix {
            num_rows: rows,
            num_cols: self.dims,
            values,
        }
    }
}

fn argmax(values: &[f64]) -> f64 {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best as f64
}

fn argmax_scaled(probability: &[f64], thresholds: &[f64]) -> f64 {
    let scaled: Vec<f64> = probability
        .iter()
        .zip(thresholds)
        .map(|(p, t)| if *t == 0.0 { f64::INFINITY } else { p / t })
        .collect();
    argmax(&scaled)
}

impl Model for LogisticRegressionModel {
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
        let threshold = params.double("threshold")?;
        let thresholds = params.doubles("thresholds")?;
        let model = Arc::new(self.clone_for_transform());
        let mut outputs = Vec::new();
        for (param, which) in [
            ("rawPredictionCol", 0),
            ("probabilityCol", 1),
            ("predictionCol", 2),
        ] {
            let name = params.optional_string(param).unwrap_or_default();
            if name.is_empty() {
                continue;
            }
            let model = model.clone();
            let thresholds = thresholds.clone();
            let return_type = if which == 2 {
                DataType::Float64
            } else {
                ember_functions::vector_type()
            };
            let call = model_call(
                "logistic_regression",
                return_type,
                vec![column.clone()],
                move |args| {
                    let rows = ember_functions::read_vectors(args[0].as_ref())?;
                    let predictions = rows.iter().map(|row| {
                        row.as_ref()
                            .map(|x| model.predict(x, threshold, thresholds.as_deref()))
                    });
                    if which == 2 {
                        let mut out = Float64Builder::new();
                        for p in predictions {
                            out.append_option(p.map(|p| p.2));
                        }
                        Ok(Arc::new(out.finish()) as ArrayRef)
                    } else {
                        let mut out = VectorBuilder::default();
                        for p in predictions {
                            let vector =
                                p.map(|p| Vector::Dense(if which == 0 { p.0 } else { p.1 }));
                            out.append(vector.as_ref());
                        }
                        out.finish()
                    }
                },
            );
            outputs.push((name, call));
        }
        frame::append_columns(input, outputs)
    }

    fn attribute(&self, name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let value = match name {
            "coefficients" => {
                if self.multinomial {
                    return illegal("Multinomial models contain a matrix of coefficients, use coefficientMatrix instead.");
                }
                MlValue::Vector(Vector::Dense(self.coefficients.clone()))
            }
            "intercept" => {
                if self.multinomial {
                    return illegal("Multinomial models contain a vector of intercepts, use interceptVector instead.");
                }
                MlValue::Double(self.intercepts[0])
            }
            "coefficientMatrix" => MlValue::Matrix(self.coefficient_matrix()),
            "interceptVector" => MlValue::Vector(Vector::Dense(self.intercepts.clone())),
            "numClasses" => MlValue::Integer(self.classes as i32),
            "numFeatures" => MlValue::Integer(self.dims as i32),
            "hasSummary" => MlValue::Boolean(self.training.is_some()),
            "summary" => {
                let Some(training) = &self.training else {
                    return illegal(
                        "No training summary available for this LogisticRegressionModel",
                    );
                };
                let predictions = self.transform(training.clone(), &self.params)?;
                return Ok(Some(Fetched::Object(Arc::new(
                    crate::evaluation::summary::ClassificationSummary {
                        predictions,
                        params: self.params.clone(),
                        binary: !self.multinomial && self.classes <= 2,
                        history: self.history.clone(),
                        iterations: self.iterations,
                    },
                ))));
            }
            "predict" => {
                let Some(MlValue::Vector(x)) = _args.first() else {
                    return illegal("predict needs a vector");
                };
                let threshold = self.params.double("threshold")?;
                MlValue::Double(self.predict(x, threshold, None).2)
            }
            "predictProbability" | "predictRaw" => {
                let Some(MlValue::Vector(x)) = _args.first() else {
                    return illegal("predictProbability needs a vector");
                };
                let (raw, probability, _) = self.predict(x, 0.5, None);
                MlValue::Vector(Vector::Dense(if name == "predictRaw" {
                    raw
                } else {
                    probability
                }))
            }
            _ => return Ok(None),
        };
        Ok(Some(Fetched::Value(value)))
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let mut intercepts = VectorBuilder::default();
        intercepts.append(Some(&Vector::Dense(self.intercepts.clone())));
        let coefficients = crate::matrix_data::row_major_matrix_column(&self.coefficient_matrix())?;
        let schema = Schema::new(vec![
            Field::new("numClasses", DataType::Int32, false),
            Field::new("numFeatures", DataType::Int32, false),
            Field::new("interceptVector", ember_functions::vector_type(), true),
            Field::new("coefficientMatrix", crate::matrix_data::matrix_type(), true),
            Field::new("isMultinomial", DataType::Boolean, false),
        ]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(datafusion::arrow::array::Int32Array::from(vec![
                    self.classes as i32,
                ])),
                Arc::new(datafusion::arrow::array::Int32Array::from(vec![
                    self.dims as i32,
                ])),
                intercepts.finish()?,
                coefficients,
                Arc::new(datafusion::arrow::array::BooleanArray::from(vec![
                    self.multinomial,
                ])),
            ],
        )?))
    }

    fn describe(&self) -> String {
        format!(
            "LogisticRegressionModel: uid={}, numClasses={}, numFeatures={}",
            self.uid, self.classes, self.dims
        )
    }

    fn size_bytes(&self) -> usize {
        8 * (self.coefficients.len() + self.intercepts.len())
    }
}

impl LogisticRegressionModel {
    fn clone_for_transform(&self) -> LogisticRegressionModel {
        LogisticRegressionModel {
            uid: self.uid.clone(),
            params: self.params.clone(),
            classes: self.classes,
            dims: self.dims,
            multinomial: self.multinomial,
            coefficients: self.coefficients.clone(),
            intercepts: self.intercepts.clone(),
            history: Vec::new(),
            iterations: self.iterations,
            training: None,
        }
    }
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let Some(data) = data else {
        return illegal("LogisticRegressionModel data is missing");
    };
    let int = |name: &str| -> MlResult<usize> {
        let column = data.column_by_name(name).ok_or_else(|| {
            crate::error::MlError::IllegalArgument(format!("model data lacks {name}"))
        })?;
        let values = datafusion::arrow::compute::cast(column, &DataType::Int64)?;
        Ok(datafusion::arrow::array::AsArray::as_primitive::<datafusion::arrow::datatypes::Int64Type>(&values).value(0) as usize)
    };
    let vector = |name: &str| -> MlResult<Vec<f64>> {
        let column = data.column_by_name(name).ok_or_else(|| {
            crate::error::MlError::IllegalArgument(format!("model data lacks {name}"))
        })?;
        Ok(ember_functions::read_vectors(column.as_ref())?
            .into_iter()
            .next()
            .flatten()
            .map(|v| v.to_dense())
            .unwrap_or_default())
    };
    let classes = int("numClasses")?;
    let dims = int("numFeatures")?;
    let intercepts = vector("interceptVector")?;
    // Spark stores a coefficient matrix; rows are classes (one row when binomial).
    let coefficients = match data.column_by_name("coefficientMatrix") {
        Some(column) => {
            let matrix = crate::matrix_data::read_matrix(column.as_ref(), 0)?;
            (0..matrix.num_rows)
                .flat_map(|r| (0..matrix.num_cols).map(move |c| (r, c)))
                .map(|(r, c)| matrix.get(r, c))
                .collect()
        }
        None => vector("coefficients")?,
    };
    let multinomial = data
        .column_by_name("isMultinomial")
        .and_then(|c| {
            datafusion::arrow::array::AsArray::as_boolean_opt(c.as_ref()).map(|b| b.value(0))
        })
        .unwrap_or(false);
    let rows = if multinomial { classes } else { 1 };
    if coefficients.len() != rows * dims || intercepts.len() != rows {
        return illegal(format!(
            "LogisticRegressionModel data holds {} coefficients and {} intercepts for {rows} x {dims}",
            coefficients.len(),
            intercepts.len()
        ));
    }
    Ok(Arc::new(LogisticRegressionModel {
        uid,
        params,
        classes,
        dims,
        multinomial,
        coefficients,
        intercepts,
        history: Vec::new(),
        iterations: 0,
        training: None,
    }))
}
