//! `IsotonicRegression`: the monotone step function closest to the labels (pool adjacent
//! violators), predicting by linear interpolation between its boundaries.

use std::sync::Arc;

use datafusion::arrow::array::{AsArray, BooleanArray, Float64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema};
use datafusion::logical_expr::{lit, Expr, LogicalPlan};
use datafusion::prelude::SessionContext;
use ember_functions::Vector;
use futures::future::BoxFuture;

use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const ESTIMATOR: &str = "org.apache.spark.ml.regression.IsotonicRegression";
const MODEL: &str = "org.apache.spark.ml.regression.IsotonicRegressionModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("isotonic", MlValue::Boolean(true)),
        ("featureIndex", MlValue::Integer(0)),
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

/// The feature the model reads: the column itself if numeric, else one entry of a vector.
fn feature(plan: &LogicalPlan, params: &Params) -> MlResult<(Expr, bool)> {
    let name = params.string("featuresCol")?;
    let (column, data_type) = frame::column(plan.schema(), &name)?;
    if ember_functions::is_vector(&data_type) {
        Ok((column, true))
    } else {
        frame::require_numeric(&name, &data_type)?;
        Ok((frame::as_double(column), false))
    }
}

/// The value of a feature column row: the number, or the vector's entry `index`.
fn feature_values(
    array: &datafusion::arrow::array::ArrayRef,
    is_vector: bool,
    index: usize,
) -> datafusion::error::Result<Vec<Option<f64>>> {
    if is_vector {
        Ok(ember_functions::read_vectors(array.as_ref())?
            .into_iter()
            .map(|v| v.map(|v| v.to_dense().get(index).copied().unwrap_or(0.0)))
            .collect())
    } else {
        Ok(array.as_primitive::<Float64Type>().iter().collect())
    }
}

/// Pool adjacent violators over `(feature, label, weight)` points sorted by feature: the
/// boundaries and the prediction at each.
fn pool_adjacent_violators(mut points: Vec<(f64, f64, f64)>) -> (Vec<f64>, Vec<f64>) {
    points.retain(|p| p.2 > 0.0);
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    // Points at one feature value merge into one (weighted mean label).
    let mut unique: Vec<(f64, f64, f64)> = Vec::new();
    for (x, y, w) in points {
        match unique.last_mut() {
            Some(last) if last.0 == x => {
                last.1 = (last.1 * last.2 + y * w) / (last.2 + w);
                last.2 += w;
            }
            _ => unique.push((x, y, w)),
        }
    }
    // Blocks of (first point, last point, mean label, weight).
    let mut blocks: Vec<(usize, usize, f64, f64)> = Vec::new();
    for (i, (_, y, w)) in unique.iter().enumerate() {
        blocks.push((i, i, *y, *w));
        while blocks.len() > 1 {
            let n = blocks.len();
            let (prev, last) = (blocks[n - 2], blocks[n - 1]);
            if prev.2 <= last.2 {
                break;
            }
            let weight = prev.3 + last.3;
            blocks.truncate(n - 2);
            blocks.push((
                prev.0,
                last.1,
                (prev.2 * prev.3 + last.2 * last.3) / weight,
                weight,
            ));
        }
    }
    let (mut boundaries, mut predictions) = (Vec::new(), Vec::new());
    for (first, last, value, _) in blocks {
        boundaries.push(unique[first].0);
        predictions.push(value);
        if last != first {
            boundaries.push(unique[last].0);
            predictions.push(value);
        }
    }
    (boundaries, predictions)
}

/// The prediction at `x`: the nearest end outside the boundaries, else linear interpolation.
fn predict(boundaries: &[f64], predictions: &[f64], x: f64) -> f64 {
    let (Some(first), Some(last)) = (boundaries.first(), boundaries.last()) else {
        return f64::NAN;
    };
    if x <= *first {
        return predictions[0];
    }
    if x >= *last {
        return predictions[predictions.len() - 1];
    }
    match boundaries.binary_search_by(|b| b.total_cmp(&x)) {
        Ok(i) => predictions[i],
        Err(i) => {
            let (x0, x1) = (boundaries[i - 1], boundaries[i]);
            let (y0, y1) = (predictions[i - 1], predictions[i]);
            y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        }
    }
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let index = usize::try_from(params.int("featureIndex")?).unwrap_or(0);
        let (feature_expr, is_vector) = feature(&data, &params)?;
        let label_name = params.string("labelCol")?;
        let (label, label_type) = frame::column(data.schema(), &label_name)?;
        frame::require_numeric(&label_name, &label_type)?;
        let weight = match params
            .optional_string("weightCol")
            .filter(|w| !w.is_empty())
        {
            Some(name) => frame::as_double(frame::column(data.schema(), &name)?.0),
            None => lit(1.0),
        };
        let plan = frame::select(data, vec![feature_expr, frame::as_double(label), weight])?;
        let batches = frame::collect(context, plan).await?;
        let isotonic = params.boolean("isotonic")?;
        let sign = if isotonic { 1.0 } else { -1.0 };
        let mut points = Vec::new();
        for batch in &batches {
            let xs = feature_values(batch.column(0), is_vector, index)?;
            let ys = batch.column(1).as_primitive::<Float64Type>();
            let ws = batch.column(2).as_primitive::<Float64Type>();
            for ((x, y), w) in xs.into_iter().zip(ys.iter()).zip(ws.iter()) {
                if let (Some(x), Some(y), Some(w)) = (x, y, w) {
                    points.push((x, sign * y, w));
                }
            }
        }
        let (boundaries, predictions) = pool_adjacent_violators(points);
        Ok(Arc::new(IsotonicModel {
            uid,
            params,
            boundaries,
            predictions: predictions.into_iter().map(|p| sign * p).collect(),
            isotonic,
        }) as Arc<dyn Model>)
    })
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let doubles = |name: &str| -> MlResult<Vec<f64>> {
        let list = data
            .column_by_name(name)
            .and_then(|c| c.as_list_opt::<i32>())
            .ok_or_else(|| MlError::IllegalArgument(format!("model data lacks {name}")))?;
        let values = datafusion::arrow::compute::cast(&list.value(0), &DataType::Float64)?;
        Ok(values.as_primitive::<Float64Type>().values().to_vec())
    };
    let isotonic = data
        .column_by_name("isotonic")
        .and_then(|c| c.as_boolean_opt().map(|b| b.value(0)))
        .unwrap_or(true);
    Ok(Arc::new(IsotonicModel {
        uid,
        params,
        boundaries: doubles("boundaries")?,
        predictions: doubles("predictions")?,
        isotonic,
    }))
}

struct IsotonicModel {
    uid: String,
    params: Params,
    boundaries: Vec<f64>,
    predictions: Vec<f64>,
    isotonic: bool,
}

impl Model for IsotonicModel {
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
        let index = usize::try_from(params.int("featureIndex")?).unwrap_or(0);
        let (column, is_vector) = feature(&input, params)?;
        let boundaries = Arc::new(self.boundaries.clone());
        let predictions = Arc::new(self.predictions.clone());
        let call = model_call("isotonic", DataType::Float64, vec![column], move |arrays| {
            let out: Float64Array = feature_values(&arrays[0], is_vector, index)?
                .into_iter()
                .map(|x| x.map(|x| predict(&boundaries, &predictions, x)))
                .collect();
            Ok(Arc::new(out) as datafusion::arrow::array::ArrayRef)
        });
        frame::append_columns(input, vec![(params.string("predictionCol")?, call)])
    }

    fn attribute(&self, name: &str, args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let value = match name {
            "boundaries" => MlValue::Vector(Vector::Dense(self.boundaries.clone())),
            "predictions" => MlValue::Vector(Vector::Dense(self.predictions.clone())),
            "numFeatures" => MlValue::Integer(1),
            "predict" => {
                let Some(x) = args.first().and_then(MlValue::as_f64) else {
                    return illegal("predict needs a number");
                };
                MlValue::Double(predict(&self.boundaries, &self.predictions, x))
            }
            _ => return Ok(None),
        };
        Ok(Some(Fetched::Value(value)))
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let element = Arc::new(Field::new("element", DataType::Float64, false));
        let list = |values: &[f64]| {
            datafusion::arrow::array::ListArray::new(
                element.clone(),
                datafusion::arrow::buffer::OffsetBuffer::from_lengths([values.len()]),
                Arc::new(Float64Array::from(values.to_vec())),
                None,
            )
        };
        let schema = Schema::new(vec![
            Field::new("boundaries", DataType::List(element.clone()), true),
            Field::new("predictions", DataType::List(element.clone()), true),
            Field::new("isotonic", DataType::Boolean, false),
        ]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(list(&self.boundaries)),
                Arc::new(list(&self.predictions)),
                Arc::new(BooleanArray::from(vec![self.isotonic])),
            ],
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violators_are_pooled() {
        let points = vec![
            (1.0, 1.0, 1.0),
            (2.0, 3.0, 1.0),
            (3.0, 2.0, 1.0),
            (4.0, 4.0, 1.0),
        ];
        let (b, p) = pool_adjacent_violators(points);
        assert_eq!(b, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(p, vec![1.0, 2.5, 2.5, 4.0]);
        assert_eq!(predict(&b, &p, 3.5), 3.25);
        assert_eq!(predict(&b, &p, 0.0), 1.0);
    }
}
