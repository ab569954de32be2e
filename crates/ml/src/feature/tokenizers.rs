//! Text features: `Tokenizer` and `RegexTokenizer` (text into words), `HashingTF` (words into
//! hashed term counts).

use std::sync::Arc;

use datafusion::arrow::array::{AsArray, ListBuilder, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::exec_err;
use datafusion::logical_expr::LogicalPlan;
use regex::Regex;

use crate::error::{illegal, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const TOKENIZER: &str = "org.apache.spark.ml.feature.Tokenizer";
const REGEX_TOKENIZER: &str = "org.apache.spark.ml.feature.RegexTokenizer";
const HASHING_TF: &str = "org.apache.spark.ml.feature.HashingTF";

pub fn operators() -> Vec<OperatorDef> {
    vec![
        OperatorDef {
            class: HASHING_TF,
            defaults: || {
                vec![
                    ("binary", MlValue::Boolean(false)),
                    ("numFeatures", MlValue::Integer(1 << 18)),
                ]
            },
            role: Role::Transformer(|uid, params, _| Ok(Arc::new(HashingTf { uid, params }))),
        },
        OperatorDef {
            class: TOKENIZER,
            defaults: Vec::new,
            role: Role::Transformer(|uid, params, _| {
                Ok(Arc::new(Tokenizer {
                    class: TOKENIZER,
                    uid,
                    params,
                }))
            }),
        },
        OperatorDef {
            class: REGEX_TOKENIZER,
            defaults: || {
                vec![
                    ("gaps", MlValue::Boolean(true)),
                    ("minTokenLength", MlValue::Integer(1)),
                    ("pattern", MlValue::String("\\s+".into())),
                    ("toLowercase", MlValue::Boolean(true)),
                ]
            },
            role: Role::Transformer(|uid, params, _| {
                Ok(Arc::new(Tokenizer {
                    class: REGEX_TOKENIZER,
                    uid,
                    params,
                }))
            }),
        },
    ]
}

struct Tokenizer {
    class: &'static str,
    uid: String,
    params: Params,
}

/// How one transform splits text.
struct Rule {
    pattern: Regex,
    /// Split at matches (true) or keep the matches (false).
    gaps: bool,
    min_length: usize,
    lowercase: bool,
}

impl Rule {
    fn tokens(&self, text: &str) -> Vec<String> {
        let text = if self.lowercase {
            text.to_lowercase()
        } else {
            text.to_string()
        };
        let mut tokens: Vec<String> = if self.gaps {
            self.pattern.split(&text).map(str::to_string).collect()
        } else {
            self.pattern
                .find_iter(&text)
                .map(|m| m.as_str().to_string())
                .collect()
        };
        if self.gaps {
            // Java's split drops trailing empty strings.
            while tokens.last().is_some_and(String::is_empty) {
                tokens.pop();
            }
        }
        tokens.retain(|t| t.chars().count() >= self.min_length);
        tokens
    }
}

impl Tokenizer {
    fn rule(&self, params: &Params) -> MlResult<Rule> {
        if self.class == TOKENIZER {
            // Spark lowercases, then splits at every single whitespace character.
            return Ok(Rule {
                pattern: Regex::new(r"[ \t\n\x0B\f\r]")
                    .map_err(|e| crate::error::MlError::IllegalArgument(e.to_string()))?,
                gaps: true,
                min_length: 0,
                lowercase: true,
            });
        }
        let pattern = params.string("pattern")?;
        let pattern = Regex::new(&pattern).map_err(|e| {
            crate::error::MlError::IllegalArgument(format!("invalid pattern {pattern}: {e}"))
        })?;
        let min_length = params.int("minTokenLength")?;
        if min_length < 0 {
            return illegal(format!("minTokenLength must be >= 0, got {min_length}"));
        }
        Ok(Rule {
            pattern,
            gaps: params.boolean("gaps")?,
            min_length: min_length as usize,
            lowercase: params.boolean("toLowercase")?,
        })
    }
}

fn words_type() -> DataType {
    DataType::List(Arc::new(Field::new("element", DataType::Utf8, true)))
}

impl Model for Tokenizer {
    fn class(&self) -> &'static str {
        self.class
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn params(&self) -> &Params {
        &self.params
    }

    fn transform(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        let source = params.string("inputCol")?;
        let target = params.output_column(&self.uid);
        let (column, data_type) = frame::column(input.schema(), &source)?;
        if !matches!(
            data_type,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ) {
            return illegal(format!(
                "requirement failed: Input type must be string type but got {}.",
                ember_resolve::from_arrow(&data_type).simple_string()
            ));
        }
        let column = datafusion::logical_expr::cast(column, DataType::Utf8);
        let rule = Arc::new(self.rule(params)?);
        let call =
            model_call("tokenizer", words_type(), vec![column], move |arrays| {
                let Some(texts) = arrays[0].as_string_opt::<i32>() else {
                    return exec_err!("tokenizer input is not text");
                };
                let mut out = ListBuilder::new(StringBuilder::new())
                    .with_field(Arc::new(Field::new("element", DataType::Utf8, true)));
                for text in texts.iter() {
                    match text {
                        Some(text) => {
                            for token in rule.tokens(text) {
                                out.values().append_value(token);
                            }
                            out.append(true);
                        }
                        None => out.append(false),
                    }
                }
                Ok(Arc::new(out.finish()) as datafusion::arrow::array::ArrayRef)
            });
        frame::append_columns(input, vec![(target, call)])
    }

    fn attribute(&self, _name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(None)
    }
    fn data(&self) -> MlResult<Option<RecordBatch>> {
        Ok(None)
    }
}

struct HashingTf {
    uid: String,
    params: Params,
}

impl Model for HashingTf {
    fn class(&self) -> &'static str {
        HASHING_TF
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn params(&self) -> &Params {
        &self.params
    }

    fn transform(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        let source = params.string("inputCol")?;
        let target = params.output_column(&self.uid);
        let features = params.int("numFeatures")?;
        if features < 1 {
            return illegal(format!("numFeatures must be > 0, got {features}"));
        }
        let features = features as usize;
        let binary = params.boolean("binary")?;
        let (column, data_type) = frame::column(input.schema(), &source)?;
        let DataType::List(_) = data_type else {
            return illegal(format!(
                "requirement failed: The input column must be array, but got {}.",
                ember_resolve::from_arrow(&data_type).simple_string()
            ));
        };
        let column = datafusion::logical_expr::cast(column, words_type());
        let call = model_call(
            "hashing_tf",
            ember_functions::vector_type(),
            vec![column],
            move |arrays| {
                let Some(lists) = arrays[0].as_list_opt::<i32>() else {
                    return exec_err!("HashingTF input is not an array");
                };
                let mut out = ember_functions::VectorBuilder::default();
                for row in lists.iter() {
                    let Some(terms) = row else {
                        out.append(None);
                        continue;
                    };
                    let mut counts = std::collections::BTreeMap::new();
                    for term in terms.as_string::<i32>().iter().flatten() {
                        let slot = counts
                            .entry(crate::feature::vector_ops::hashed_index(term, features))
                            .or_insert(0.0);
                        *slot = if binary { 1.0 } else { *slot + 1.0 };
                    }
                    out.append(Some(&ember_functions::Vector::Sparse {
                        size: features,
                        indices: counts.keys().copied().collect(),
                        values: counts.values().copied().collect(),
                    }));
                }
                out.finish()
            },
        );
        frame::append_columns(input, vec![(target, call)])
    }

    fn attribute(&self, _name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(None)
    }
    fn data(&self) -> MlResult<Option<RecordBatch>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pattern: &str, gaps: bool, min_length: usize) -> Result<Rule, regex::Error> {
        Ok(Rule {
            pattern: Regex::new(pattern)?,
            gaps,
            min_length,
            lowercase: true,
        })
    }

    #[test]
    fn splits_like_java() -> Result<(), regex::Error> {
        // A leading delimiter leaves an empty first token; trailing ones leave none.
        assert_eq!(rule(" ", true, 0)?.tokens(" A b  "), vec!["", "a", "b"]);
        assert_eq!(rule("\\s+", true, 1)?.tokens("A B  c"), vec!["a", "b", "c"]);
        assert_eq!(
            rule("\\w+", false, 2)?.tokens("a bc def"),
            vec!["bc", "def"]
        );
        Ok(())
    }
}
