//! `CountVectorizer`: a vocabulary learned from arrays of words, and term-count vectors over
//! it.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, ListBuilder, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::exec_err;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;

use crate::error::{illegal, MlError, MlResult};
use crate::feature::words::words_column;
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const ESTIMATOR: &str = "org.apache.spark.ml.feature.CountVectorizer";
const MODEL: &str = "org.apache.spark.ml.feature.CountVectorizerModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("vocabSize", MlValue::Integer(1 << 18)),
        ("minDF", MlValue::Double(1.0)),
        ("maxDF", MlValue::Double(i64::MAX as f64)),
        ("minTF", MlValue::Double(1.0)),
        ("binary", MlValue::Boolean(false)),
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

/// A document-frequency bound: a count when at least 1, else a share of `docs`.
fn bound(value: f64, docs: usize) -> f64 {
    if value >= 1.0 {
        value
    } else {
        value * docs as f64
    }
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let source = params.string("inputCol")?;
        let column = words_column(&data, &source)?;
        let batches = frame::collect(context, frame::select(data, vec![column])?).await?;
        // Each term's total count and the number of documents it appears in.
        let mut terms: HashMap<String, (f64, usize)> = HashMap::new();
        let mut docs = 0usize;
        for batch in &batches {
            for row in batch.column(0).as_list::<i32>().iter().flatten() {
                docs += 1;
                let mut seen = std::collections::HashSet::new();
                for word in row.as_string::<i32>().iter().flatten() {
                    let entry = terms.entry(word.to_string()).or_default();
                    entry.0 += 1.0;
                    if seen.insert(word) {
                        entry.1 += 1;
                    }
                }
            }
        }
        let min_df = bound(params.double("minDF")?, docs);
        let max_df = bound(params.double("maxDF")?, docs);
        if min_df > max_df {
            return illegal("maxDF must be >= minDF.");
        }
        let size = usize::try_from(params.int("vocabSize")?).unwrap_or(0);
        let mut kept: Vec<(String, f64)> = terms
            .into_iter()
            .filter(|(_, (_, df))| (*df as f64) >= min_df && (*df as f64) <= max_df)
            .map(|(term, (count, _))| (term, count))
            .collect();
        kept.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        kept.truncate(size);
        if kept.is_empty() {
            return illegal(
                "requirement failed: The vocabulary size should be > 0. Lower minDF as necessary.",
            );
        }
        let vocabulary = kept.into_iter().map(|(term, _)| term).collect();
        Ok(model(uid, params, vocabulary))
    })
}

/// A model over `vocabulary`.
pub(crate) fn model(uid: String, params: Params, vocabulary: Vec<String>) -> Arc<dyn Model> {
    Arc::new(CountVectorizerModel {
        uid,
        params,
        vocabulary,
    })
}

/// A model built from a vocabulary, as the client's `from_vocabulary` asks.
pub(crate) fn from_vocabulary(uid: String, vocabulary: Vec<String>) -> Arc<dyn Model> {
    let def = OperatorDef {
        class: MODEL,
        defaults,
        role: Role::Transformer(load),
    };
    model(uid, def.params(Default::default()), vocabulary)
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let list = data
        .column_by_name("vocabulary")
        .and_then(|c| c.as_list_opt::<i32>())
        .filter(|l| !l.is_empty())
        .ok_or_else(|| MlError::IllegalArgument("model data lacks vocabulary".into()))?;
    let words = datafusion::arrow::compute::cast(&list.value(0), &DataType::Utf8)?;
    let vocabulary = words
        .as_string::<i32>()
        .iter()
        .map(|w| w.unwrap_or_default().to_string())
        .collect();
    Ok(model(uid, params, vocabulary))
}

struct CountVectorizerModel {
    uid: String,
    params: Params,
    vocabulary: Vec<String>,
}

impl Model for CountVectorizerModel {
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
        let column = words_column(&input, &source)?;
        let min_tf = params.double("minTF")?;
        let binary = params.boolean("binary")?;
        let index: Arc<HashMap<String, usize>> = Arc::new(
            self.vocabulary
                .iter()
                .enumerate()
                .map(|(i, w)| (w.clone(), i))
                .collect(),
        );
        let size = self.vocabulary.len();
        let call = model_call(
            "count_vectorizer",
            ember_functions::vector_type(),
            vec![column],
            move |arrays| {
                let Some(lists) = arrays[0].as_list_opt::<i32>() else {
                    return exec_err!("CountVectorizer input is not an array of strings");
                };
                let mut out = VectorBuilder::default();
                for row in lists.iter() {
                    let Some(words) = row else {
                        out.append(None);
                        continue;
                    };
                    let words = words.as_string::<i32>();
                    let mut counts = std::collections::BTreeMap::new();
                    for word in words.iter().flatten() {
                        if let Some(i) = index.get(word) {
                            *counts.entry(*i).or_insert(0.0) += 1.0;
                        }
                    }
                    let threshold = if min_tf >= 1.0 {
                        min_tf
                    } else {
                        min_tf * words.len() as f64
                    };
                    counts.retain(|_, c| *c >= threshold);
                    out.append(Some(&Vector::Sparse {
                        size,
                        indices: counts.keys().copied().collect(),
                        values: counts
                            .values()
                            .map(|c| if binary { 1.0 } else { *c })
                            .collect(),
                    }));
                }
                out.finish()
            },
        );
        frame::append_columns(input, vec![(params.output_column(&self.uid), call)])
    }

    fn attribute(&self, name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(match name {
            "vocabulary" => Some(Fetched::Value(MlValue::strings(self.vocabulary.clone()))),
            _ => None,
        })
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let element = Arc::new(Field::new("element", DataType::Utf8, true));
        let mut list = ListBuilder::new(StringBuilder::new()).with_field(element.clone());
        for word in &self.vocabulary {
            list.values().append_value(word);
        }
        list.append(true);
        let schema = Schema::new(vec![Field::new(
            "vocabulary",
            DataType::List(element),
            true,
        )]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![Arc::new(list.finish())],
        )?))
    }

    fn describe(&self) -> String {
        format!(
            "CountVectorizerModel: uid={}, vocabularySize={}",
            self.uid,
            self.vocabulary.len()
        )
    }
}
