//! `IDF`: inverse document frequency weights for term-count vectors.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, Int64Array, Int64Builder, ListBuilder, RecordBatch,
};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;

use crate::error::{MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const ESTIMATOR: &str = "org.apache.spark.ml.feature.IDF";
const MODEL: &str = "org.apache.spark.ml.feature.IDFModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("minDocFreq", MlValue::Integer(0)),
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

/// `ln((m + 1) / (df + 1))`, or 0 for terms in fewer than `min_doc_freq` documents.
fn weights(doc_freq: &[i64], docs: i64, min_doc_freq: i64) -> Vec<f64> {
    doc_freq
        .iter()
        .map(|df| {
            if *df >= min_doc_freq {
                ((docs as f64 + 1.0) / (*df as f64 + 1.0)).ln()
            } else {
                0.0
            }
        })
        .collect()
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let input = params.string("inputCol")?;
        let (column, data_type) = frame::column(data.schema(), &input)?;
        frame::require_vector(&input, &data_type)?;
        let batches = frame::collect(context, frame::select(data, vec![column])?).await?;
        let mut doc_freq: Vec<i64> = Vec::new();
        let mut docs = 0i64;
        for vector in frame::vectors(&batches, 0)?.into_iter().flatten() {
            if doc_freq.len() < vector.size() {
                doc_freq.resize(vector.size(), 0);
            }
            for (i, v) in vector.active() {
                if v != 0.0 {
                    doc_freq[i] += 1;
                }
            }
            docs += 1;
        }
        let min_doc_freq = params.int("minDocFreq")?;
        let idf = weights(&doc_freq, docs, min_doc_freq);
        // Spark reports the terms it filtered out as seen in no document.
        for count in doc_freq.iter_mut().filter(|c| **c < min_doc_freq) {
            *count = 0;
        }
        Ok(Arc::new(IdfModel {
            uid,
            params,
            idf,
            doc_freq,
            docs,
        }) as Arc<dyn Model>)
    })
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let lacks = |name: &str| MlError::IllegalArgument(format!("model data lacks {name}"));
    let idf = data
        .column_by_name("idf")
        .map(|c| ember_functions::read_vectors(c.as_ref()))
        .transpose()?
        .and_then(|v| v.into_iter().next().flatten())
        .ok_or_else(|| lacks("idf"))?
        .to_dense();
    let doc_freq = match data
        .column_by_name("docFreq")
        .and_then(|c| c.as_list_opt::<i32>())
    {
        Some(list) if !list.is_empty() => {
            let values = datafusion::arrow::compute::cast(&list.value(0), &DataType::Int64)?;
            values.as_primitive::<Int64Type>().values().to_vec()
        }
        _ => Vec::new(),
    };
    let docs = data
        .column_by_name("numDocs")
        .map(|c| datafusion::arrow::compute::cast(c, &DataType::Int64))
        .transpose()?
        .map(|c| c.as_primitive::<Int64Type>().value(0))
        .unwrap_or(0);
    Ok(Arc::new(IdfModel {
        uid,
        params,
        idf,
        doc_freq,
        docs,
    }))
}

struct IdfModel {
    uid: String,
    params: Params,
    idf: Vec<f64>,
    doc_freq: Vec<i64>,
    docs: i64,
}

impl Model for IdfModel {
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
        let source = params.string("inputCol")?;
        let (column, data_type) = frame::column(input.schema(), &source)?;
        frame::require_vector(&source, &data_type)?;
        let idf = Arc::new(self.idf.clone());
        let call = model_call(
            "idf",
            ember_functions::vector_type(),
            vec![column],
            move |arrays| {
                let weight = |i: usize| idf.get(i).copied().unwrap_or(0.0);
                let mut out = VectorBuilder::default();
                for vector in ember_functions::read_vectors(arrays[0].as_ref())? {
                    out.append(
                        vector
                            .map(|v| match v {
                                Vector::Dense(values) => Vector::Dense(
                                    values
                                        .iter()
                                        .enumerate()
                                        .map(|(i, x)| x * weight(i))
                                        .collect(),
                                ),
                                Vector::Sparse {
                                    size,
                                    indices,
                                    values,
                                } => {
                                    let values = indices
                                        .iter()
                                        .zip(values)
                                        .map(|(i, x)| x * weight(*i))
                                        .collect();
                                    Vector::Sparse {
                                        size,
                                        indices,
                                        values,
                                    }
                                }
                            })
                            .as_ref(),
                    );
                }
                out.finish()
            },
        );
        frame::append_columns(input, vec![(params.output_column(&self.uid), call)])
    }

    fn attribute(&self, name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let value = match name {
            "idf" => MlValue::Vector(Vector::Dense(self.idf.clone())),
            "docFreq" => MlValue::Array(self.doc_freq.iter().map(|d| MlValue::Long(*d)).collect()),
            "numDocs" => MlValue::Long(self.docs),
            _ => return Ok(None),
        };
        Ok(Some(Fetched::Value(value)))
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let mut idf = VectorBuilder::default();
        idf.append(Some(&Vector::Dense(self.idf.clone())));
        let element = Arc::new(Field::new("element", DataType::Int64, false));
        let mut doc_freq = ListBuilder::new(Int64Builder::new()).with_field(element.clone());
        doc_freq.values().append_slice(&self.doc_freq);
        doc_freq.append(true);
        let schema = Schema::new(vec![
            Field::new("idf", ember_functions::vector_type(), true),
            Field::new("docFreq", DataType::List(element), true),
            Field::new("numDocs", DataType::Int64, false),
        ]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![
                idf.finish()?,
                Arc::new(doc_freq.finish()),
                Arc::new(Int64Array::from(vec![self.docs])),
            ],
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_terms_weigh_more_and_filtered_ones_nothing() {
        let w = weights(&[3, 1, 0], 3, 1);
        assert_eq!(w[0], 0.0);
        assert!((w[1] - 2.0f64.ln()).abs() < 1e-12);
        assert_eq!(w[2], 0.0);
    }
}
