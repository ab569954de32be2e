//! CSV rows under a schema, converted as Spark's reader converts them: the file is read as
//! text columns (short rows padded with NULL), each value that is not the null value is cast
//! to its column's type, and a row with a value that does not convert, or too few values,
//! is malformed. PERMISSIVE (the default) keeps it with NULLs where values did not convert
//! and the row's text in the corrupt-record column when the schema has one; DROPMALFORMED
//! drops it; FAILFAST fails the query naming it.

use datafusion::arrow::datatypes::{DataType as ArrowType, Field, Schema};
use datafusion::common::ScalarValue;
use datafusion::functions::string::expr_fn::concat_ws;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{lit, try_cast, when, Expr, LogicalPlan, LogicalPlanBuilder};
use ember_functions::{malformed_check_udf, ParseMode};

use std::sync::Arc;

use datafusion::prelude::CsvReadOptions;

use crate::error::{ResolveError, ResolveResult};
use crate::Resolver;

/// Names and number of the spare text columns.
const SPARE: &str = "__ember_extra_";
const SPARE_COLUMNS: usize = 4;

/// How to read one CSV source's text columns into its schema.
pub(super) struct CsvRecords<'a> {
    /// The schema asked for, the corrupt-record column included when it has one.
    pub schema: &'a Schema,
    pub null_value: &'a str,
    pub mode: ParseMode,
    pub corrupt_column: &'a str,
    pub separator: &'a str,
}

impl CsvRecords<'_> {
    /// Whether `name` is the corrupt-record column of the schema (a string column).
    pub(super) fn is_corrupt_column(&self, name: &str) -> bool {
        name == self.corrupt_column
            && self
                .schema
                .field_with_name(name)
                .is_ok_and(|f| f.data_type() == &ArrowType::Utf8)
    }

    /// The schema of the text read: every data column as a string, then a few spare columns
    /// that catch the values of rows with too many (such a row is malformed).
    pub(super) fn text_schema(&self) -> Schema {
        let data = self
            .schema
            .fields()
            .iter()
            .filter(|f| !self.is_corrupt_column(f.name()))
            .map(|f| Field::new(f.name(), ArrowType::Utf8, true));
        let spare =
            (0..SPARE_COLUMNS).map(|i| Field::new(format!("{SPARE}{i}"), ArrowType::Utf8, true));
        Schema::new(data.chain(spare).collect::<Vec<_>>())
    }

    /// `text` (the text columns, then any partition columns) converted to the schema.
    pub(super) fn typed(&self, text: LogicalPlan) -> ResolveResult<LogicalPlan> {
        let null = lit(ScalarValue::Utf8(None));
        let mut raw = Vec::new();
        let mut problems = Vec::new();
        let mut values = Vec::new();
        for column in text.schema().columns() {
            let name = column.name.clone();
            if name.starts_with(SPARE) {
                // A value past the schema's columns: the row has too many.
                raw.push(Expr::Column(column.clone()));
                problems.push(Expr::Column(column).is_not_null());
                continue;
            }
            let Ok(field) = self.schema.field_with_name(&name) else {
                // A partition column, read from the directory name.
                values.push((name, Expr::Column(column)));
                continue;
            };
            let value = Expr::Column(column);
            raw.push(value.clone());
            let present = when(value.clone().eq(lit(self.null_value)), null.clone())
                .otherwise(value.clone())?;
            let converted = if field.data_type() == &ArrowType::Utf8 {
                present.clone()
            } else {
                try_cast(present.clone(), field.data_type().clone())
            };
            // A missing value (a short row) or one that does not convert.
            problems.push(value.is_null());
            if field.data_type() != &ArrowType::Utf8 {
                problems.push(present.is_not_null().and(converted.clone().is_null()));
            }
            values.push((name, converted));
        }
        let malformed = problems
            .into_iter()
            .reduce(Expr::or)
            .unwrap_or_else(|| lit(false));
        let record = concat_ws(lit(self.separator), raw);
        let mut plan = LogicalPlanBuilder::from(text);
        match self.mode {
            ParseMode::DropMalformed => {
                plan = plan.filter(datafusion::logical_expr::not(malformed.clone()))?
            }
            ParseMode::FailFast => {
                let check = Expr::ScalarFunction(ScalarFunction::new_udf(
                    malformed_check_udf(),
                    vec![malformed.clone(), record.clone()],
                ));
                plan = plan.filter(check)?;
            }
            ParseMode::Permissive => {}
        }
        let mut exprs = Vec::new();
        for field in self.schema.fields() {
            if self.is_corrupt_column(field.name()) {
                exprs.push(
                    when(malformed.clone(), record.clone())
                        .end()?
                        .alias(field.name()),
                );
            } else if let Some((_, value)) = values.iter().find(|(n, _)| n == field.name()) {
                exprs.push(value.clone().alias(field.name()));
            }
        }
        // Partition columns follow the file's columns, as the plain reader gives them.
        for (name, value) in values {
            if self.schema.field_with_name(&name).is_err() {
                exprs.push(value.alias(name));
            }
        }
        Ok(plan.project(exprs)?.build()?)
    }
}

impl Resolver<'_> {
    /// A CSV source DataFusion cannot infer (rows of uneven length): its columns named by the
    /// first file's header (or `_c0`, `_c1`, ... by the first row's width), read as strings
    /// with Spark's handling of malformed rows. `error` when there is no local file to look at.
    pub(super) async fn csv_as_text(
        &self,
        paths: &[String],
        read: CsvReadOptions<'_>,
        options: &[(String, String)],
        delimiter: &str,
        error: ResolveError,
    ) -> ResolveResult<LogicalPlan> {
        let header = super::read::flag(options, "header");
        let first = paths
            .iter()
            .map(|p| std::path::PathBuf::from(p.strip_prefix("file://").unwrap_or(p)))
            .find(|p| p.is_file());
        let Some(names) = first.and_then(|file| csv_column_names(&file, header, read.delimiter))
        else {
            return Err(error);
        };
        let schema = Schema::new(
            names
                .iter()
                .map(|name| Field::new(name, ArrowType::Utf8, true))
                .collect::<Vec<_>>(),
        );
        let records = CsvRecords {
            schema: &schema,
            null_value: super::read::option(options, "nullValue").unwrap_or(""),
            mode: ember_functions::ParseMode::from_option(super::read::option(options, "mode")),
            corrupt_column: super::read::option(options, "columnNameOfCorruptRecord")
                .unwrap_or("_corrupt_record"),
            separator: delimiter,
        };
        let text = records.text_schema();
        let plan = self
            .context
            .read_csv(paths.to_vec(), read.schema(&text).truncated_rows(true))
            .await?
            .into_unoptimized_plan();
        records.typed(plan)
    }
}

/// The column names of a CSV file: its header's fields, or `_c0`, `_c1`, ... for the first
/// row's width.
fn csv_column_names(file: &std::path::Path, header: bool, delimiter: u8) -> Option<Vec<String>> {
    use datafusion::arrow::array::{Array, AsArray};
    use std::io::BufRead;
    let reader = std::io::BufReader::new(std::fs::File::open(file).ok()?);
    let line = reader.lines().next()?.ok()?.into_bytes();
    let (schema, _) = datafusion::arrow::csv::reader::Format::default()
        .with_delimiter(delimiter)
        .infer_schema(std::io::Cursor::new(&line), Some(1))
        .ok()?;
    if !header {
        return Some(
            (0..schema.fields().len())
                .map(|i| format!("_c{i}"))
                .collect(),
        );
    }
    // The first row read as text: its values are the names.
    let text = Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), ArrowType::Utf8, true))
            .collect::<Vec<_>>(),
    );
    let batch = datafusion::arrow::csv::ReaderBuilder::new(Arc::new(text))
        .with_delimiter(delimiter)
        .build(std::io::Cursor::new(line))
        .ok()?
        .next()?
        .ok()?;
    batch
        .columns()
        .iter()
        .map(|column| {
            let names = column.as_string::<i32>();
            (!names.is_empty() && names.is_valid(0)).then(|| names.value(0).to_string())
        })
        .collect()
}
