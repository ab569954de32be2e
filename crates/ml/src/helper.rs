//! The client's helper object (`______ML_CONNECT_HELPER______`): functions that are not
//! methods of a model, such as clearing a save path or building a model from its labels.

use datafusion::prelude::SessionContext;

use crate::error::{MlError, MlResult};
use crate::model::{Argument, Fetched};
use crate::value::MlValue;

pub async fn call(
    context: &SessionContext,
    method: &str,
    args: Vec<Argument>,
) -> MlResult<Fetched> {
    if method == "powerIterationClusteringAssignClusters" {
        return crate::clustering::pic::assign_clusters(context, args).await;
    }
    let values: Vec<MlValue> = args
        .into_iter()
        .filter_map(|a| match a {
            Argument::Value(v) => Some(v),
            Argument::Dataset(_) => None,
        })
        .collect();
    let text = |i: usize| values.get(i).and_then(MlValue::as_str).unwrap_or_default();
    match method {
        "handleOverwrite" => {
            let overwrite = matches!(values.get(1), Some(MlValue::Boolean(true)));
            let path = text(0);
            let local = std::path::Path::new(path.strip_prefix("file://").unwrap_or(path));
            if overwrite && local.exists() {
                let removed = if local.is_dir() {
                    std::fs::remove_dir_all(local)
                } else {
                    std::fs::remove_file(local)
                };
                removed.map_err(|source| MlError::Io {
                    path: path.to_string(),
                    source,
                })?;
            }
            Ok(Fetched::Value(MlValue::Boolean(true)))
        }
        "stringIndexerModelFromLabels" | "stringIndexerModelFromLabelsArray" => {
            let labels: Vec<Vec<String>> = match values.get(1) {
                Some(MlValue::Array(items)) if method.ends_with("Array") => items
                    .iter()
                    .map(|inner| match inner {
                        MlValue::Array(v) => v
                            .iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect(),
                        _ => Vec::new(),
                    })
                    .collect(),
                Some(MlValue::Array(items)) => vec![items
                    .iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()],
                _ => return Err(MlError::IllegalArgument("labels must be an array".into())),
            };
            Ok(Fetched::Model(crate::feature::string_indexer::from_labels(
                text(0).to_string(),
                labels,
            )))
        }
        "countVectorizerModelFromVocabulary" => {
            let vocabulary = match values.get(1) {
                Some(MlValue::Array(items)) => items
                    .iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect(),
                _ => {
                    return Err(MlError::IllegalArgument(
                        "vocabulary must be an array".into(),
                    ))
                }
            };
            Ok(Fetched::Model(
                crate::feature::count_vectorizer::from_vocabulary(text(0).to_string(), vocabulary),
            ))
        }
        "stopWordsRemoverGetDefaultOrUS" => Ok(Fetched::Value(MlValue::String("en_US".into()))),
        "stopWordsRemoverLoadDefaultStopWords" => Ok(Fetched::Value(MlValue::strings(
            crate::feature::words::default_stop_words(text(0))?,
        ))),
        other => Err(MlError::Unsupported(format!("helper method {other}"))),
    }
}
