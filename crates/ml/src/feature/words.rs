//! Transformers over arrays of words: `StopWordsRemover` and `NGram`.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, ListBuilder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::exec_err;
use datafusion::logical_expr::{Expr, LogicalPlan};

use crate::error::{illegal, MlResult};
use crate::feature::string_indexer::column_pairs;
use crate::frame::{self, model_call};
use crate::model::{OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const STOP_WORDS_REMOVER: &str = "org.apache.spark.ml.feature.StopWordsRemover";
const NGRAM: &str = "org.apache.spark.ml.feature.NGram";

/// The English stop words Spark removes by default (the NLTK list).
const ENGLISH: &str = include_str!("stopwords/english.txt");

/// The default stop words of `language`; Ember ships the English list.
pub(crate) fn default_stop_words(language: &str) -> MlResult<Vec<String>> {
    if language.eq_ignore_ascii_case("english") {
        Ok(ENGLISH.lines().map(str::to_string).collect())
    } else {
        illegal(format!(
            "stop words for {language} are not available; only english is"
        ))
    }
}

pub fn operators() -> Vec<OperatorDef> {
    vec![
        OperatorDef {
            class: STOP_WORDS_REMOVER,
            defaults: || {
                vec![
                    (
                        "stopWords",
                        MlValue::strings(default_stop_words("english").unwrap_or_default()),
                    ),
                    ("caseSensitive", MlValue::Boolean(false)),
                    ("locale", MlValue::String("en_US".into())),
                ]
            },
            role: Role::Stateless(remove_stop_words),
        },
        OperatorDef {
            class: NGRAM,
            defaults: || vec![("n", MlValue::Integer(2))],
            role: Role::Stateless(ngrams),
        },
    ]
}

fn words_type() -> DataType {
    DataType::List(Arc::new(Field::new("element", DataType::Utf8, true)))
}

/// The array-of-strings column `name`, as `array<string>`.
pub(crate) fn words_column(plan: &LogicalPlan, name: &str) -> MlResult<Expr> {
    let (column, data_type) = frame::column(plan.schema(), name)?;
    match &data_type {
        DataType::List(item) | DataType::LargeList(item)
            if matches!(
                item.data_type(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) =>
        {
            Ok(datafusion::logical_expr::cast(column, words_type()))
        }
        other => illegal(format!(
            "requirement failed: Input type must be array<string> but got {}.",
            ember_resolve::from_arrow(other).simple_string()
        )),
    }
}

/// A call mapping each row's words to new words; NULL rows stay NULL.
fn map_words(
    name: &str,
    column: Expr,
    map: impl Fn(Vec<Option<&str>>) -> Vec<Option<String>> + Send + Sync + 'static,
) -> Expr {
    let label = name.to_string();
    model_call(name, words_type(), vec![column], move |arrays| {
        let Some(lists) = arrays[0].as_list_opt::<i32>() else {
            return exec_err!("{label} input is not an array of strings");
        };
        let mut out = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
            "element",
            DataType::Utf8,
            true,
        )));
        for row in lists.iter() {
            match row {
                Some(words) => {
                    for word in map(words.as_string::<i32>().iter().collect()) {
                        out.values().append_option(word);
                    }
                    out.append(true);
                }
                None => out.append(false),
            }
        }
        Ok(Arc::new(out.finish()) as ArrayRef)
    })
}

fn remove_stop_words(uid: &str, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
    let case_sensitive = params.boolean("caseSensitive")?;
    let words = params.strings("stopWords")?.unwrap_or_default();
    let stop: Arc<HashSet<String>> = Arc::new(if case_sensitive {
        words.into_iter().collect()
    } else {
        words.iter().map(|w| w.to_lowercase()).collect()
    });
    let mut outputs = Vec::new();
    for (source, target) in column_pairs(params, uid)? {
        let column = words_column(&input, &source)?;
        let stop = stop.clone();
        let call = map_words("stop_words_remover", column, move |words| {
            words
                .into_iter()
                .filter(|word| match word {
                    Some(w) if case_sensitive => !stop.contains(*w),
                    Some(w) => !stop.contains(&w.to_lowercase()),
                    None => true,
                })
                .map(|w| w.map(str::to_string))
                .collect()
        });
        outputs.push((target, call));
    }
    frame::append_columns(input, outputs)
}

/// The `n`-grams of `words`, each joined by one space; none when there are fewer words.
fn grams(words: &[Option<&str>], n: usize) -> Vec<Option<String>> {
    if n == 0 || words.len() < n {
        return Vec::new();
    }
    words
        .windows(n)
        .map(|window| {
            Some(
                window
                    .iter()
                    .map(|w| w.unwrap_or("null"))
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })
        .collect()
}

fn ngrams(uid: &str, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
    let n = params.int("n")?;
    if n < 1 {
        return illegal(format!("NGram n must be >= 1, got {n}"));
    }
    let source = params.string("inputCol")?;
    let column = words_column(&input, &source)?;
    let call = map_words("ngram", column, move |words| grams(&words, n as usize));
    frame::append_columns(input, vec![(params.output_column(uid), call)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_slide_over_the_words() {
        let words = [Some("a"), Some("b"), Some("c")];
        assert_eq!(
            grams(&words, 2),
            vec![Some("a b".to_string()), Some("b c".to_string())]
        );
        assert!(grams(&words, 4).is_empty());
    }

    #[test]
    fn english_list_is_sparks() -> MlResult<()> {
        let words = default_stop_words("english")?;
        assert_eq!(words.len(), 153);
        assert!(words.contains(&"the".to_string()));
        Ok(())
    }
}
