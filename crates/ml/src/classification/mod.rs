//! Classifiers.

pub mod linear_svc;
pub mod logistic_regression;
pub mod naive_bayes;

use crate::model::OperatorDef;

pub fn operators() -> Vec<OperatorDef> {
    let mut all = logistic_regression::operators();
    all.extend(naive_bayes::operators());
    all.extend(linear_svc::operators());
    all
}

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Builder};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::Expr;
use ember_functions::{Vector, VectorBuilder};

use crate::error::MlResult;
use crate::frame::model_call;
use crate::params::Params;

/// What a classifier says about one row: raw scores, probabilities, predicted class.
pub type Scored = (Vec<f64>, Vec<f64>, f64);

/// The `rawPredictionCol`, `probabilityCol` and `predictionCol` outputs (those named) of a
/// classifier scoring the vector column `features` with `score`.
pub(crate) fn prediction_columns(
    name: &str,
    params: &Params,
    features: Expr,
    score: Arc<dyn Fn(&Vector) -> Scored + Send + Sync>,
) -> MlResult<Vec<(String, Expr)>> {
    let mut outputs = Vec::new();
    for (param, which) in [
        ("rawPredictionCol", 0),
        ("probabilityCol", 1),
        ("predictionCol", 2),
    ] {
        let column = params.optional_string(param).unwrap_or_default();
        if column.is_empty() {
            continue;
        }
        let score = score.clone();
        let return_type = if which == 2 {
            DataType::Float64
        } else {
            ember_functions::vector_type()
        };
        let call = model_call(name, return_type, vec![features.clone()], move |args| {
            let rows = ember_functions::read_vectors(args[0].as_ref())?;
            let scored = rows.iter().map(|row| row.as_ref().map(|x| score(x)));
            if which == 2 {
                let mut out = Float64Builder::new();
                for s in scored {
                    out.append_option(s.map(|s| s.2));
                }
                Ok(Arc::new(out.finish()) as ArrayRef)
            } else {
                let mut out = VectorBuilder::default();
                for s in scored {
                    let vector = s.map(|s| Vector::Dense(if which == 0 { s.0 } else { s.1 }));
                    out.append(vector.as_ref());
                }
                out.finish()
            }
        });
        outputs.push((column, call));
    }
    Ok(outputs)
}

/// The index of the largest value, the first on ties.
pub(crate) fn first_argmax(values: &[f64]) -> f64 {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best as f64
}
