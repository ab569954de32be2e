//! `LinearSVC`: a linear support vector machine minimizing the mean hinge loss plus an L2
//! penalty on standardized coefficients, by L-BFGS as Spark does.

use std::sync::Arc;

use datafusion::arrow::array::{Float64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;

use crate::classification::{prediction_columns, Scored};
use crate::dataset::Labeled;
use crate::error::{illegal, MlError, MlResult};
use crate::frame;
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::optimize::{minimize, parallel_sum, Objective};
use crate::params::Params;
use crate::value::MlValue;

const ESTIMATOR: &str = "org.apache.spark.ml.classification.LinearSVC";
const MODEL: &str = "org.apache.spark.ml.classification.LinearSVCModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("maxIter", MlValue::Integer(100)),
        ("regParam", MlValue::Double(0.0)),
        ("tol", MlValue::Double(1e-6)),
        ("fitIntercept", MlValue::Boolean(true)),
        ("standardization", MlValue::Boolean(true)),
        ("threshold", MlValue::Double(0.0)),
        ("aggregationDepth", MlValue::Integer(2)),
        ("maxBlockSizeInMB", MlValue::Double(0.0)),
        ("featuresCol", MlValue::String("features".into())),
        ("labelCol", MlValue::String("label".into())),
        ("predictionCol", MlValue::String("prediction".into())),
        ("rawPredictionCol", MlValue::String("rawPrediction".into())),
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

/// The mean weighted hinge loss over features divided by their deviation, plus
/// `l2 / 2 * Σ (β_j * penalty_j)²`; the intercept (last) is not penalized.
struct Hinge<'a> {
    data: &'a Labeled,
    inverse_std: Vec<f64>,
    penalty: Vec<f64>,
    l2: f64,
    fit_intercept: bool,
    weight_sum: f64,
}

impl Objective for Hinge<'_> {
    fn evaluate(&self, point: &[f64]) -> (f64, Vec<f64>) {
        let d = self.data.dims;
        let width = point.len();
        let (loss, mut gradient) = parallel_sum(self.data.rows(), width, |range| {
            let mut loss = 0.0;
            let mut gradient = vec![0.0; width];
            for i in range {
                let w = self.data.weights[i];
                if w == 0.0 {
                    continue;
                }
                let x = self.data.row(i);
                let y = 2.0 * self.data.labels[i] - 1.0;
                let mut margin: f64 = (0..d).map(|j| point[j] * x[j] * self.inverse_std[j]).sum();
                if self.fit_intercept {
                    margin += point[d];
                }
                if 1.0 - y * margin > 0.0 {
                    loss += w * (1.0 - y * margin);
                    for j in 0..d {
                        gradient[j] -= w * y * x[j] * self.inverse_std[j];
                    }
                    if self.fit_intercept {
                        gradient[d] -= w * y;
                    }
                }
            }
            (loss, gradient)
        });
        let mut value = loss / self.weight_sum;
        gradient.iter_mut().for_each(|g| *g /= self.weight_sum);
        for j in 0..d {
            let scaled = point[j] * self.penalty[j];
            value += 0.5 * self.l2 * scaled * scaled;
            gradient[j] += self.l2 * scaled * self.penalty[j];
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
        let reg = params.double("regParam")?;
        if reg < 0.0 {
            return illegal(format!("regParam must be >= 0, got {reg}"));
        }
        let training = Labeled::collect(context, data, &params, true).await?;
        if let Some(bad) = training.labels.iter().find(|y| **y != 0.0 && **y != 1.0) {
            return illegal(format!(
                "LinearSVC only supports binary classification. Found label {bad}."
            ));
        }
        let (_, std) = training.moments();
        let inverse_std: Vec<f64> = std
            .iter()
            .map(|s| if *s > 0.0 { 1.0 / s } else { 0.0 })
            .collect();
        let standardize = params.boolean("standardization")?;
        // Without standardization the penalty falls on the original-scale coefficients.
        let penalty: Vec<f64> = if standardize {
            vec![1.0; training.dims]
        } else {
            inverse_std.clone()
        };
        let fit_intercept = params.boolean("fitIntercept")?;
        let objective = Hinge {
            data: &training,
            inverse_std: inverse_std.clone(),
            penalty,
            l2: reg,
            fit_intercept,
            weight_sum: training.weight_sum().max(f64::MIN_POSITIVE),
        };
        let width = training.dims + usize::from(fit_intercept);
        let minimum = minimize(
            &objective,
            vec![0.0; width],
            params.int("maxIter")?.max(0) as u64,
            params.double("tol")?,
            0.0,
        )?;
        let coefficients = (0..training.dims)
            .map(|j| minimum.point[j] * inverse_std[j])
            .collect();
        let intercept = if fit_intercept {
            minimum.point[training.dims]
        } else {
            0.0
        };
        Ok(Arc::new(LinearSvcModel {
            uid,
            params,
            coefficients,
            intercept,
        }) as Arc<dyn Model>)
    })
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let lacks = |name: &str| MlError::IllegalArgument(format!("model data lacks {name}"));
    let index = data
        .schema()
        .index_of("intercept")
        .map_err(|_| lacks("intercept"))?;
    let intercept = frame::doubles(std::slice::from_ref(&data), index)?
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
    Ok(Arc::new(LinearSvcModel {
        uid,
        params,
        coefficients,
        intercept,
    }))
}

struct LinearSvcModel {
    uid: String,
    params: Params,
    coefficients: Vec<f64>,
    intercept: f64,
}

fn score(coefficients: &[f64], intercept: f64, threshold: f64, x: &[f64]) -> Scored {
    let margin = intercept + coefficients.iter().zip(x).map(|(c, v)| c * v).sum::<f64>();
    let prediction = if margin > threshold { 1.0 } else { 0.0 };
    (vec![-margin, margin], Vec::new(), prediction)
}

impl Model for LinearSvcModel {
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
        let threshold = params.double("threshold")?;
        let (coefficients, intercept) = (Arc::new(self.coefficients.clone()), self.intercept);
        // A support vector machine has no probabilities.
        let params = params.with(&std::collections::BTreeMap::from([(
            "probabilityCol".to_string(),
            MlValue::String(String::new()),
        )]));
        let outputs = prediction_columns(
            "linear_svc",
            &params,
            column,
            Arc::new(move |x: &Vector| score(&coefficients, intercept, threshold, &x.to_dense())),
        )?;
        frame::append_columns(input, outputs)
    }

    fn attribute(&self, name: &str, args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let x = || match args.first() {
            Some(MlValue::Vector(x)) => Ok(x.to_dense()),
            _ => illegal(format!("{name} needs a vector")),
        };
        let threshold = self.params.double("threshold")?;
        let value = match name {
            "coefficients" => MlValue::Vector(Vector::Dense(self.coefficients.clone())),
            "intercept" => MlValue::Double(self.intercept),
            "numClasses" => MlValue::Integer(2),
            "numFeatures" => MlValue::Integer(self.coefficients.len() as i32),
            "predict" => {
                MlValue::Double(score(&self.coefficients, self.intercept, threshold, &x()?).2)
            }
            "predictRaw" => MlValue::Vector(Vector::Dense(
                score(&self.coefficients, self.intercept, threshold, &x()?).0,
            )),
            _ => return Ok(None),
        };
        Ok(Some(Fetched::Value(value)))
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let mut coefficients = VectorBuilder::default();
        coefficients.append(Some(&Vector::Dense(self.coefficients.clone())));
        let schema = Schema::new(vec![
            Field::new("coefficients", ember_functions::vector_type(), true),
            Field::new("intercept", DataType::Float64, false),
        ]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![
                coefficients.finish()?,
                Arc::new(Float64Array::from(vec![self.intercept])),
            ],
        )?))
    }

    fn describe(&self) -> String {
        format!(
            "LinearSVCModel: uid={}, numClasses=2, numFeatures={}",
            self.uid,
            self.coefficients.len()
        )
    }
}
