//! JSON lines files read as Spark reads them: a line that is not a JSON object, or whose
//! values do not fit the schema, is kept with the fields that fit and its text in the
//! corrupt-record column (PERMISSIVE, the default), dropped (DROPMALFORMED) or fails the
//! query (FAILFAST). Blank lines are skipped. Without a schema, every line is read to infer
//! one, and the corrupt-record column is added when some line is malformed.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType as ArrowType, Field, Fields, Schema};
use datafusion::common::ScalarValue;
use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{col, lit, when, Expr, LogicalPlan, LogicalPlanBuilder};
use ember_functions::{json_record_udf, ParseMode, MALFORMED_FIELD};
use serde_json::Value;

use crate::error::{ResolveError, ResolveResult};
use crate::Resolver;

const LINE: &str = "__ember_line";
const RECORD: &str = "__ember_record";

/// Local files the tolerant reader can read whole; None when some path is not one (a glob,
/// a remote store, a nested directory), which the plain JSON scan then reads.
pub(super) fn local_text_files(paths: &[String]) -> Option<Vec<String>> {
    paths
        .iter()
        .map(|path| {
            let local = path.strip_prefix("file://").unwrap_or(path);
            let file = std::path::Path::new(local);
            (file.is_file() && !is_compressed(local)).then(|| local.to_string())
        })
        .collect()
}

fn is_compressed(path: &str) -> bool {
    [".gz", ".bz2", ".zst", ".xz", ".snappy", ".deflate", ".lz4"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

impl Resolver<'_> {
    pub(super) async fn read_json_lines(
        &self,
        files: Vec<String>,
        schema: Option<Schema>,
        mode: ParseMode,
        corrupt_column: &str,
    ) -> ResolveResult<LogicalPlan> {
        let schema = match schema {
            Some(schema) => schema,
            None => infer_schema(&files, mode, corrupt_column).await?,
        };
        // The corrupt-record column holds the line; the other columns are parsed from it.
        let keeps_line = schema
            .field_with_name(corrupt_column)
            .is_ok_and(|f| f.data_type() == &ArrowType::Utf8);
        let parsed: Fields = schema
            .fields()
            .iter()
            .filter(|f| !(keeps_line && f.name() == corrupt_column))
            .cloned()
            .collect();
        let text_schema = Schema::new(vec![Field::new(LINE, ArrowType::Utf8, true)]);
        let lines = self
            .context
            .read_csv(files, super::read::line_reader(&text_schema))
            .await?;
        let target = ScalarValue::try_from(&ArrowType::Struct(parsed.clone()))?;
        let record = Expr::ScalarFunction(ScalarFunction::new_udf(
            json_record_udf(mode),
            vec![col(LINE), lit(target)],
        ));
        let mut plan = LogicalPlanBuilder::from(lines.into_unoptimized_plan())
            .filter(col(LINE).is_not_null().and(
                datafusion::functions::string::expr_fn::btrim(vec![col(LINE)]).not_eq(lit("")),
            ))?
            .project(vec![col(LINE), record.alias(RECORD)])?;
        let malformed = get_field(col(RECORD), MALFORMED_FIELD);
        if mode == ParseMode::DropMalformed {
            plan = plan.filter(datafusion::logical_expr::not(malformed.clone()))?;
        }
        let columns = schema
            .fields()
            .iter()
            .map(|field| {
                let value = if keeps_line && field.name() == corrupt_column {
                    when(malformed.clone(), col(LINE)).end()?
                } else {
                    get_field(col(RECORD), field.name().as_str())
                };
                Ok(value.alias(field.name()))
            })
            .collect::<ResolveResult<Vec<_>>>()?;
        Ok(plan.project(columns)?.build()?)
    }
}

/// Spark's schema for JSON lines: the fields of every object line (arrow's inference, which
/// widens conflicting types to string), sorted by name, plus the corrupt-record column when
/// some line is not an object and the mode keeps such lines.
async fn infer_schema(
    files: &[String],
    mode: ParseMode,
    corrupt_column: &str,
) -> ResolveResult<Schema> {
    let mut objects = Vec::new();
    let mut malformed = false;
    for file in files {
        let text =
            tokio::fs::read_to_string(file)
                .await
                .map_err(|e| ResolveError::FailedReadFile {
                    path: format!("file://{file}"),
                    reason: e.to_string(),
                })?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<Value>(line) {
                Ok(value @ Value::Object(_)) => objects.push(value),
                _ => malformed = true,
            }
        }
    }
    if malformed && mode == ParseMode::FailFast {
        return Err(ResolveError::Analysis(
            "[MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION] Malformed records are detected in schema inference. Parse Mode: FAILFAST.".into(),
        ));
    }
    let inferred = datafusion::arrow::json::reader::infer_json_schema_from_iterator(
        objects.iter().map(|v| Ok(v.clone())),
    )?;
    let mut fields: Vec<Arc<Field>> = inferred.fields().iter().cloned().collect();
    if malformed
        && mode == ParseMode::Permissive
        && !fields.iter().any(|f| f.name() == corrupt_column)
    {
        fields.push(Arc::new(Field::new(corrupt_column, ArrowType::Utf8, true)));
    }
    fields.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(Schema::new(fields))
}
