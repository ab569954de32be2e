//! `StringIndexer`: labels to indices by frequency or alphabet; `IndexToString` back.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Builder, ListBuilder, RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::exec_err;
use datafusion::logical_expr::{col, Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::SessionContext;
use futures::future::BoxFuture;
use serde_json::json;

use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

pub const ESTIMATOR: &str = "org.apache.spark.ml.feature.StringIndexer";
pub const MODEL: &str = "org.apache.spark.ml.feature.StringIndexerModel";
pub const INDEX_TO_STRING: &str = "org.apache.spark.ml.feature.IndexToString";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("handleInvalid", MlValue::String("error".into())),
        ("stringOrderType", MlValue::String("frequencyDesc".into())),
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
        OperatorDef {
            class: INDEX_TO_STRING,
            defaults: Vec::new,
            role: Role::Transformer(|uid, params, _| Ok(Arc::new(IndexToString { uid, params }))),
        },
    ]
}

/// The (input, output) column pairs: `inputCol`/`outputCol` or `inputCols`/`outputCols`.
pub(crate) fn column_pairs(params: &Params, uid: &str) -> MlResult<Vec<(String, String)>> {
    if let Some(inputs) = params.strings("inputCols")? {
        let outputs = params.strings("outputCols")?.unwrap_or_default();
        if inputs.len() != outputs.len() {
            return illegal(format!(
                "requirement failed: The number of input columns {} must be the same as the number of output columns {}.",
                inputs.len(),
                outputs.len()
            ));
        }
        return Ok(inputs.into_iter().zip(outputs).collect());
    }
    let input = params.string("inputCol")?;
    let output = params.output_column(uid);
    Ok(vec![(input, output)])
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let order = params.choice(
            "stringOrderType",
            &[
                "frequencyDesc",
                "frequencyAsc",
                "alphabetDesc",
                "alphabetAsc",
            ],
        )?;
        params.choice("handleInvalid", &["skip", "error", "keep"])?;
        let mut labels_array = Vec::new();
        for (input, _) in column_pairs(&params, &uid)? {
            let (column, data_type) = frame::column(data.schema(), &input)?;
            if !(data_type.is_numeric()
                || matches!(
                    data_type,
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Boolean
                ))
            {
                return illegal(format!(
                    "requirement failed: The input column {input} must be either string type or numeric type, but got {}.",
                    ember_resolve::from_arrow(&data_type).simple_string()
                ));
            }
            // Count per distinct value in DataFusion; NULLs are not labels.
            let text = Expr::Cast(datafusion::logical_expr::Cast::new(
                Box::new(column),
                DataType::Utf8,
            ))
            .alias("label");
            let counts = LogicalPlanBuilder::from(data.clone())
                .project(vec![text])?
                .filter(col("label").is_not_null())?
                .aggregate(
                    vec![col("label")],
                    vec![datafusion::functions_aggregate::count::count(col("label")).alias("n")],
                )?
                .build()?;
            let batches = frame::collect(context, counts).await?;
            let labels = frame::strings(&batches, 0)?;
            let counts = frame::doubles(&batches, 1)?;
            let mut pairs: Vec<(String, f64)> = labels
                .into_iter()
                .zip(counts)
                .filter_map(|(l, c)| Some((l?, c.unwrap_or(0.0))))
                .collect();
            match order.as_str() {
                "frequencyDesc" => pairs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))),
                "frequencyAsc" => pairs.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0))),
                "alphabetDesc" => pairs.sort_by(|a, b| b.0.cmp(&a.0)),
                _ => pairs.sort_by(|a, b| a.0.cmp(&b.0)),
            }
            labels_array.push(pairs.into_iter().map(|(l, _)| l).collect());
        }
        Ok(Arc::new(StringIndexerModel::new(uid, params, labels_array)) as Arc<dyn Model>)
    })
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let Some(data) = data else {
        return illegal("StringIndexerModel data is missing");
    };
    let column = data
        .column_by_name("labelsArray")
        .or_else(|| data.column_by_name("labels"))
        .ok_or_else(|| MlError::IllegalArgument("StringIndexerModel data lacks labels".into()))?;
    let lists = column.as_list::<i32>();
    let mut labels_array = Vec::new();
    if lists.is_empty() {
        return illegal("StringIndexerModel data is empty");
    }
    let outer = lists.value(0);
    match outer.data_type() {
        DataType::List(_) => {
            let inner = outer.as_list::<i32>();
            for i in 0..inner.len() {
                let values = inner.value(i);
                labels_array.push(
                    values
                        .as_string::<i32>()
                        .iter()
                        .map(|v| v.unwrap_or_default().to_string())
                        .collect(),
                );
            }
        }
        _ => labels_array.push(
            outer
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect(),
        ),
    }
    Ok(Arc::new(StringIndexerModel::new(uid, params, labels_array)))
}

/// `StringIndexerModel.from_labels`.
pub fn from_labels(uid: String, labels_array: Vec<Vec<String>>) -> Arc<dyn Model> {
    let params = Params::new(Default::default(), &defaults());
    Arc::new(StringIndexerModel::new(uid, params, labels_array))
}

pub struct StringIndexerModel {
    uid: String,
    params: Params,
    labels_array: Vec<Vec<String>>,
}

impl StringIndexerModel {
    fn new(uid: String, params: Params, labels_array: Vec<Vec<String>>) -> Self {
        StringIndexerModel {
            uid,
            params,
            labels_array,
        }
    }
}

/// Spark's `NominalAttribute` metadata for an indexed column.
pub fn nominal_metadata(name: &str, labels: &[String]) -> serde_json::Value {
    json!({"ml_attr": {"vals": labels, "type": "nominal", "name": name}})
}

impl Model for StringIndexerModel {
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
        let handle_invalid = params.choice("handleInvalid", &["skip", "error", "keep"])?;
        let pairs = column_pairs(params, &self.uid)?;
        if pairs.len() != self.labels_array.len() {
            return illegal(format!(
                "requirement failed: The number of input columns {} must be the same as the number of labels {}.",
                pairs.len(),
                self.labels_array.len()
            ));
        }
        let mut outputs = Vec::new();
        for ((input_name, output), labels) in pairs.iter().zip(&self.labels_array) {
            let (column, _) = frame::column(input.schema(), input_name)?;
            let index: Arc<HashMap<String, f64>> = Arc::new(
                labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (l.clone(), i as f64))
                    .collect(),
            );
            let keep_index = labels.len() as f64;
            let mode = handle_invalid.clone();
            let column_name = input_name.clone();
            let text = Expr::Cast(datafusion::logical_expr::Cast::new(
                Box::new(column),
                DataType::Utf8,
            ));
            let call = model_call(
                "string_indexer",
                DataType::Float64,
                vec![text],
                move |args| {
                    let values = args[0].as_string::<i32>();
                    let mut out = Float64Builder::with_capacity(values.len());
                    for value in values.iter() {
                        match value.and_then(|v| index.get(v)) {
                            Some(i) => out.append_value(*i),
                            None => match mode.as_str() {
                                "keep" => out.append_value(keep_index),
                                "skip" => out.append_null(),
                                _ => {
                                    return match value {
                                    None => exec_err!("StringIndexer encountered NULL value. To handle or skip NULLS, try setting StringIndexer.handleInvalid."),
                                    Some(v) => exec_err!("Unseen label: {v} on column {column_name}. To handle unseen labels, set Param handleInvalid to keep."),
                                };
                                }
                            },
                        }
                    }
                    Ok(Arc::new(out.finish()) as ArrayRef)
                },
            );
            let mut vals = labels.clone();
            if handle_invalid == "keep" {
                vals.push("__unknown".into());
            }
            outputs.push((
                output.clone(),
                frame::with_metadata(call, output, &nominal_metadata(output, &vals)),
            ));
        }
        let names: Vec<String> = outputs.iter().map(|(n, _)| n.clone()).collect();
        let mut plan = frame::append_columns(input, outputs)?;
        if handle_invalid == "skip" {
            for name in names {
                plan = LogicalPlanBuilder::from(plan)
                    .filter(col(format!("\"{name}\"")).is_not_null())?
                    .build()?;
            }
        }
        Ok(plan)
    }

    fn attribute(&self, name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(match name {
            "labels" => Some(Fetched::Value(MlValue::strings(
                self.labels_array.first().cloned().unwrap_or_default(),
            ))),
            "labelsArray" => Some(Fetched::Value(MlValue::Array(
                self.labels_array
                    .iter()
                    .map(|l| MlValue::strings(l.clone()))
                    .collect(),
            ))),
            _ => None,
        })
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let mut builder = ListBuilder::new(ListBuilder::new(StringBuilder::new()));
        for labels in &self.labels_array {
            for label in labels {
                builder.values().values().append_value(label);
            }
            builder.values().append(true);
        }
        builder.append(true);
        let array = builder.finish();
        let schema = Schema::new(vec![Field::new(
            "labelsArray",
            array.data_type().clone(),
            true,
        )]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![Arc::new(array)],
        )?))
    }

    fn describe(&self) -> String {
        let handle = self
            .params
            .optional_string("handleInvalid")
            .unwrap_or_default();
        let mut text = format!(
            "StringIndexerModel: uid={}, handleInvalid={handle}",
            self.uid
        );
        if self.labels_array.len() > 1 {
            text.push_str(&format!(", numInputCols={}", self.labels_array.len()));
        }
        text
    }

    fn size_bytes(&self) -> usize {
        self.labels_array.iter().flatten().map(String::len).sum()
    }
}

/// `IndexToString`: indices back to labels, from `labels` or the column's ML attribute.
struct IndexToString {
    uid: String,
    params: Params,
}

impl Model for IndexToString {
    fn class(&self) -> &'static str {
        INDEX_TO_STRING
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn transform(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        let input_name = params.string("inputCol")?;
        let output = params.output_column(&self.uid);
        let (column, data_type) = frame::column(input.schema(), &input_name)?;
        frame::require_numeric(&input_name, &data_type)?;
        let labels = match params.strings("labels")? {
            Some(labels) if !labels.is_empty() => labels,
            _ => attribute_labels(&input, &input_name).ok_or_else(|| {
                MlError::IllegalArgument(format!(
                    "requirement failed: The input column {input_name} must be a nominal column with labels."
                ))
            })?,
        };
        let labels = Arc::new(labels);
        let value = Expr::Cast(datafusion::logical_expr::Cast::new(
            Box::new(column),
            DataType::Float64,
        ));
        let call = model_call(
            "index_to_string",
            DataType::Utf8,
            vec![value],
            move |args| {
                let indices = args[0].as_primitive::<datafusion::arrow::datatypes::Float64Type>();
                let mut out = StringBuilder::new();
                for index in indices.iter() {
                    match index {
                        None => out.append_null(),
                        Some(i) => match labels
                            .get(i as usize)
                            .filter(|_| i >= 0.0 && i.fract() == 0.0)
                        {
                            Some(label) => out.append_value(label),
                            None => {
                                return exec_err!(
                                    "Unseen index: {i} ?? Label index out of range [0, {})",
                                    labels.len()
                                )
                            }
                        },
                    }
                }
                Ok(Arc::new(out.finish()) as ArrayRef)
            },
        );
        frame::append_columns(input, vec![(output, call)])
    }
    fn attribute(&self, _name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(None)
    }
    fn data(&self) -> MlResult<Option<RecordBatch>> {
        Ok(None)
    }
}

/// The labels a nominal column's ML attribute lists.
pub(crate) fn attribute_labels(plan: &LogicalPlan, name: &str) -> Option<Vec<String>> {
    let field = plan.schema().fields().iter().find(|f| f.name() == name)?;
    let text = field.metadata().get(ember_resolve::SPARK_METADATA_KEY)?;
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let vals = value.get("ml_attr")?.get("vals")?.as_array()?;
    Some(
        vals.iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
    )
}
