//! `NaiveBayes`: multinomial, Bernoulli and Gaussian naive Bayes, as Spark fits them.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;

use crate::classification::{first_argmax, prediction_columns, Scored};
use crate::dataset::Labeled;
use crate::error::{illegal, MlError, MlResult};
use crate::frame;
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::tree::decision_tree::class_count;
use crate::value::{Matrix, MlValue};

const ESTIMATOR: &str = "org.apache.spark.ml.classification.NaiveBayes";
const MODEL: &str = "org.apache.spark.ml.classification.NaiveBayesModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("smoothing", MlValue::Double(1.0)),
        ("modelType", MlValue::String("multinomial".into())),
        ("featuresCol", MlValue::String("features".into())),
        ("labelCol", MlValue::String("label".into())),
        ("predictionCol", MlValue::String("prediction".into())),
        ("rawPredictionCol", MlValue::String("rawPrediction".into())),
        ("probabilityCol", MlValue::String("probability".into())),
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

/// A fitted model: log priors, per-class log probabilities (or means), and variances for
/// the Gaussian kind; rows are classes.
#[derive(Clone)]
struct Fitted {
    kind: String,
    pi: Vec<f64>,
    theta: Vec<Vec<f64>>,
    sigma: Vec<Vec<f64>>,
}

fn estimate(data: &Labeled, classes: usize, kind: &str, smoothing: f64) -> MlResult<Fitted> {
    let d = data.dims;
    let mut weight = vec![0.0; classes];
    let mut sums = vec![vec![0.0; d]; classes];
    let mut squares = vec![vec![0.0; d]; classes];
    for i in 0..data.rows() {
        let (c, w, x) = (data.labels[i] as usize, data.weights[i], data.row(i));
        match kind {
            "multinomial" if x.iter().any(|v| *v < 0.0) => {
                return illegal(format!(
                    "requirement failed: Naive Bayes requires nonnegative feature values but found {x:?}."
                ))
            }
            "bernoulli" if x.iter().any(|v| *v != 0.0 && *v != 1.0) => {
                return illegal(format!(
                    "requirement failed: Bernoulli naive Bayes requires 0 or 1 feature values but found {x:?}."
                ))
            }
            _ => {}
        }
        weight[c] += w;
        for j in 0..d {
            sums[c][j] += w * x[j];
            squares[c][j] += w * x[j] * x[j];
        }
    }
    let total: f64 = weight.iter().sum();
    let k = classes as f64;
    if kind == "gaussian" {
        let means: Vec<Vec<f64>> = (0..classes)
            .map(|c| {
                sums[c]
                    .iter()
                    .map(|s| s / weight[c].max(f64::MIN_POSITIVE))
                    .collect()
            })
            .collect();
        let mut variances: Vec<Vec<f64>> = (0..classes)
            .map(|c| {
                (0..d)
                    .map(|j| {
                        let w = weight[c].max(f64::MIN_POSITIVE);
                        (squares[c][j] / w - means[c][j] * means[c][j]).max(0.0)
                    })
                    .collect()
            })
            .collect();
        // Spark adds a small share of the largest overall variance for stability.
        let mut overall = 0.0f64;
        for j in 0..d {
            let mean: f64 = sums.iter().map(|s| s[j]).sum::<f64>() / total;
            let square: f64 = squares.iter().map(|s| s[j]).sum::<f64>() / total;
            overall = overall.max(square - mean * mean);
        }
        let epsilon = 1e-9 * overall;
        variances.iter_mut().flatten().for_each(|v| *v += epsilon);
        return Ok(Fitted {
            kind: kind.to_string(),
            pi: weight.iter().map(|w| (w / total).ln()).collect(),
            theta: means,
            sigma: variances,
        });
    }
    let pi = weight
        .iter()
        .map(|w| ((w + smoothing) / (total + smoothing * k)).ln())
        .collect();
    let theta = (0..classes)
        .map(|c| {
            let denominator = if kind == "bernoulli" {
                weight[c] + 2.0 * smoothing
            } else {
                sums[c].iter().sum::<f64>() + smoothing * d as f64
            };
            sums[c]
                .iter()
                .map(|s| ((s + smoothing) / denominator).ln())
                .collect()
        })
        .collect();
    Ok(Fitted {
        kind: kind.to_string(),
        pi,
        theta,
        sigma: Vec::new(),
    })
}

impl Fitted {
    fn score(&self, x: &[f64]) -> Scored {
        let raw: Vec<f64> = self
            .pi
            .iter()
            .enumerate()
            .map(|(c, prior)| {
                let theta = &self.theta[c];
                prior
                    + match self.kind.as_str() {
                        "gaussian" => {
                            -0.5 * theta
                                .iter()
                                .zip(&self.sigma[c])
                                .zip(x)
                                .map(|((m, v), x)| {
                                    (2.0 * std::f64::consts::PI * v).ln() + (x - m).powi(2) / v
                                })
                                .sum::<f64>()
                        }
                        "bernoulli" => theta
                            .iter()
                            .zip(x)
                            .map(|(t, x)| if *x > 0.0 { *t } else { (-t.exp()).ln_1p() })
                            .sum::<f64>(),
                        _ => theta.iter().zip(x).map(|(t, x)| t * x).sum::<f64>(),
                    }
            })
            .collect();
        let max = raw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = raw.iter().map(|r| (r - max).exp()).collect();
        let sum: f64 = exp.iter().sum();
        let probability: Vec<f64> = exp.iter().map(|e| e / sum).collect();
        let prediction = first_argmax(&raw);
        (raw, probability, prediction)
    }
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let kind = params.choice("modelType", &["multinomial", "bernoulli", "gaussian"])?;
        let smoothing = params.double("smoothing")?;
        if smoothing < 0.0 {
            return illegal(format!("smoothing must be >= 0, got {smoothing}"));
        }
        let schema_plan = data.clone();
        let training = Labeled::collect(context, data, &params, true).await?;
        let classes = class_count(&schema_plan, &params, &training)?;
        let fitted = estimate(&training, classes, &kind, smoothing)?;
        Ok(Arc::new(NaiveBayesModel {
            uid,
            params,
            fitted,
        }) as Arc<dyn Model>)
    })
}

fn rows_of(matrix: &Matrix) -> Vec<Vec<f64>> {
    (0..matrix.num_rows)
        .map(|r| (0..matrix.num_cols).map(|c| matrix.get(r, c)).collect())
        .collect()
}

fn matrix_of(rows: &[Vec<f64>]) -> Matrix {
    let cols = rows.first().map_or(0, Vec::len);
    Matrix {
        num_rows: rows.len(),
        num_cols: cols,
        values: (0..cols)
            .flat_map(|c| rows.iter().map(move |r| r[c]))
            .collect(),
    }
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let lacks = |name: &str| MlError::IllegalArgument(format!("model data lacks {name}"));
    let pi = data
        .column_by_name("pi")
        .map(|c| ember_functions::read_vectors(c.as_ref()))
        .transpose()?
        .and_then(|v| v.into_iter().next().flatten())
        .ok_or_else(|| lacks("pi"))?
        .to_dense();
    let matrix = |name: &str| -> MlResult<Vec<Vec<f64>>> {
        let column = data.column_by_name(name).ok_or_else(|| lacks(name))?;
        Ok(rows_of(&crate::matrix_data::read_matrix(
            column.as_ref(),
            0,
        )?))
    };
    let kind = params.string("modelType")?;
    let fitted = Fitted {
        kind,
        pi,
        theta: matrix("theta")?,
        sigma: matrix("sigma").unwrap_or_default(),
    };
    Ok(Arc::new(NaiveBayesModel {
        uid,
        params,
        fitted,
    }))
}

struct NaiveBayesModel {
    uid: String,
    params: Params,
    fitted: Fitted,
}

impl Model for NaiveBayesModel {
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
        let fitted = Arc::new(self.fitted.clone());
        let outputs = prediction_columns(
            "naive_bayes",
            params,
            column,
            Arc::new(move |x: &Vector| fitted.score(&x.to_dense())),
        )?;
        frame::append_columns(input, outputs)
    }

    fn attribute(&self, name: &str, args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let x = || match args.first() {
            Some(MlValue::Vector(x)) => Ok(x.to_dense()),
            _ => illegal(format!("{name} needs a vector")),
        };
        let value = match name {
            "pi" => MlValue::Vector(Vector::Dense(self.fitted.pi.clone())),
            "theta" => MlValue::Matrix(matrix_of(&self.fitted.theta)),
            "sigma" => MlValue::Matrix(matrix_of(&self.fitted.sigma)),
            "numClasses" => MlValue::Integer(self.fitted.pi.len() as i32),
            "numFeatures" => MlValue::Integer(self.fitted.theta.first().map_or(0, Vec::len) as i32),
            "predict" => MlValue::Double(self.fitted.score(&x()?).2),
            "predictRaw" => MlValue::Vector(Vector::Dense(self.fitted.score(&x()?).0)),
            "predictProbability" => MlValue::Vector(Vector::Dense(self.fitted.score(&x()?).1)),
            _ => return Ok(None),
        };
        Ok(Some(Fetched::Value(value)))
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let mut pi = VectorBuilder::default();
        pi.append(Some(&Vector::Dense(self.fitted.pi.clone())));
        let schema = Schema::new(vec![
            Field::new("pi", ember_functions::vector_type(), true),
            Field::new("theta", crate::matrix_data::matrix_type(), true),
            Field::new("sigma", crate::matrix_data::matrix_type(), true),
        ]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![
                pi.finish()?,
                crate::matrix_data::row_major_matrix_column(&matrix_of(&self.fitted.theta))?,
                crate::matrix_data::row_major_matrix_column(&matrix_of(&self.fitted.sigma))?,
            ],
        )?))
    }

    fn describe(&self) -> String {
        format!(
            "NaiveBayesModel: uid={}, modelType={}, numClasses={}, numFeatures={}",
            self.uid,
            self.fitted.kind,
            self.fitted.pi.len(),
            self.fitted.theta.first().map_or(0, Vec::len)
        )
    }
}
