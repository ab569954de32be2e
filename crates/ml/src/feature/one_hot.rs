//! `OneHotEncoder`: category indices to sparse indicator vectors.

use std::sync::Arc;

use datafusion::arrow::array::{AsArray, Int32Builder, ListBuilder, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int32Type, Schema};
use datafusion::common::exec_err;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;

use crate::error::{illegal, MlError, MlResult};
use crate::feature::string_indexer::{attribute_labels, column_pairs};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const ESTIMATOR: &str = "org.apache.spark.ml.feature.OneHotEncoder";
const MODEL: &str = "org.apache.spark.ml.feature.OneHotEncoderModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("dropLast", MlValue::Boolean(true)),
        ("handleInvalid", MlValue::String("error".into())),
        ("outputCol", MlValue::Null),
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

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        params.choice("handleInvalid", &["keep", "error"])?;
        let pairs = column_pairs(&params, &uid)?;
        let mut sizes = Vec::with_capacity(pairs.len());
        for (source, _) in &pairs {
            // A nominal attribute (from StringIndexer) says how many categories there are.
            if let Some(labels) = attribute_labels(&data, source) {
                sizes.push(labels.len());
                continue;
            }
            let (column, data_type) = frame::column(data.schema(), source)?;
            frame::require_numeric(source, &data_type)?;
            let batches = frame::collect(
                context,
                frame::select(data.clone(), vec![frame::as_double(column)])?,
            )
            .await?;
            let mut largest = -1.0f64;
            for value in frame::doubles(&batches, 0)?.into_iter().flatten() {
                if value < 0.0 || value.fract() != 0.0 || value.is_nan() {
                    return illegal(format!(
                        "Values from column {source} must be indices, but got {value}."
                    ));
                }
                largest = largest.max(value);
            }
            sizes.push((largest + 1.0) as usize);
        }
        Ok(Arc::new(OneHotEncoderModel { uid, params, sizes }) as Arc<dyn Model>)
    })
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let column = data
        .as_ref()
        .and_then(|d| d.column_by_name("categorySizes"))
        .ok_or_else(|| MlError::IllegalArgument("model data lacks categorySizes".into()))?;
    let list = column
        .as_list_opt::<i32>()
        .ok_or_else(|| MlError::IllegalArgument("categorySizes is not a list".into()))?;
    let values = datafusion::arrow::compute::cast(&list.value(0), &DataType::Int32)?;
    let sizes = values
        .as_primitive::<Int32Type>()
        .values()
        .iter()
        .map(|v| usize::try_from(*v).unwrap_or(0))
        .collect();
    Ok(Arc::new(OneHotEncoderModel { uid, params, sizes }))
}

struct OneHotEncoderModel {
    uid: String,
    params: Params,
    sizes: Vec<usize>,
}

impl Model for OneHotEncoderModel {
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
        let keep = params.choice("handleInvalid", &["keep", "error"])? == "keep";
        let drop_last = params.boolean("dropLast")?;
        let pairs = column_pairs(params, &self.uid)?;
        if pairs.len() != self.sizes.len() {
            return illegal(format!(
                "requirement failed: The number of input columns {} must be the same as the number of features {} during fitting.",
                pairs.len(),
                self.sizes.len()
            ));
        }
        let mut outputs = Vec::new();
        for ((source, target), categories) in pairs.into_iter().zip(self.sizes.clone()) {
            let (column, data_type) = frame::column(input.schema(), &source)?;
            frame::require_numeric(&source, &data_type)?;
            // `keep` adds a slot for invalid values after the categories; `dropLast` drops
            // the last slot, whichever it is.
            let slots = categories + usize::from(keep);
            let size = slots - usize::from(drop_last && slots > 0);
            let call = model_call(
                "one_hot_encoder",
                ember_functions::vector_type(),
                vec![frame::as_double(column)],
                move |arrays| {
                    let mut builder = VectorBuilder::default();
                    for value in arrays[0].as_primitive::<Float64Type>().iter() {
                        let index = match value {
                            Some(v) if v >= 0.0 && v.fract() == 0.0 && (v as usize) < categories => {
                                v as usize
                            }
                            _ if keep => categories,
                            Some(v) => {
                                return exec_err!(
                                    "Unseen value: {v}. To handle unseen values, set Param handleInvalid to keep."
                                )
                            }
                            None => return exec_err!("Encountered NULL in OneHotEncoder input. To handle it, set Param handleInvalid to keep."),
                        };
                        let (indices, values) = if index < size {
                            (vec![index], vec![1.0])
                        } else {
                            (Vec::new(), Vec::new())
                        };
                        builder.append(Some(&Vector::Sparse {
                            size,
                            indices,
                            values,
                        }));
                    }
                    builder.finish()
                },
            );
            outputs.push((target, call));
        }
        frame::append_columns(input, outputs)
    }

    fn attribute(&self, name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(match name {
            "categorySizes" => Some(Fetched::Value(MlValue::Array(
                self.sizes
                    .iter()
                    .map(|s| MlValue::Integer(i32::try_from(*s).unwrap_or(i32::MAX)))
                    .collect(),
            ))),
            _ => None,
        })
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let mut list = ListBuilder::new(Int32Builder::new()).with_field(Arc::new(Field::new(
            "element",
            DataType::Int32,
            false,
        )));
        for size in &self.sizes {
            list.values()
                .append_value(i32::try_from(*size).unwrap_or(i32::MAX));
        }
        list.append(true);
        let schema = Schema::new(vec![Field::new(
            "categorySizes",
            DataType::List(Arc::new(Field::new("element", DataType::Int32, false))),
            true,
        )]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![Arc::new(list.finish())],
        )?))
    }
}
