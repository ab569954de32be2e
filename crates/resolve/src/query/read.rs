//! Reads: catalog tables and views, and files (parquet, csv, json, text).

use datafusion::arrow::datatypes::{DataType as ArrowType, Field, Schema};
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::{CsvReadOptions, JsonReadOptions, ParquetReadOptions};
use ember_spec::{DataType, ReadSource};

use crate::error::{unsupported, ResolveError, ResolveResult};
use crate::types::to_arrow;
use crate::Resolver;

fn option<'a>(options: &'a [(String, String)], key: &str) -> Option<&'a str> {
    options
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

fn flag(options: &[(String, String)], key: &str) -> bool {
    option(options, key).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

impl Resolver<'_> {
    pub(crate) async fn resolve_query_read(
        &self,
        source: ReadSource,
    ) -> ResolveResult<LogicalPlan> {
        match source {
            ReadSource::Table { name } => {
                let reference = name.join(".");
                let plan = match self.context.table(reference.as_str()).await {
                    Ok(frame) => frame.into_unoptimized_plan(),
                    Err(_) => self.read_saved_table(&name).await?,
                };
                Ok(LogicalPlanBuilder::from(plan)
                    .alias(name.last().cloned().unwrap_or_default())?
                    .build()?)
            }
            ReadSource::Files {
                format,
                paths,
                schema,
                options,
            } => {
                self.read_files(&format.to_ascii_lowercase(), paths, schema, &options)
                    .await
            }
        }
    }

    /// A table written by `saveAsTable` in any session lives in the warehouse directory.
    async fn read_saved_table(&self, name: &[String]) -> ResolveResult<LogicalPlan> {
        let not_found = || ResolveError::TableNotFound(format!("`{}`", name.join("`.`")));
        let table = name.last().ok_or_else(not_found)?;
        let path = warehouse_path(table);
        if !path.is_dir() {
            return Err(not_found());
        }
        let location = format!("{}/", path.display());
        let frame = self
            .context
            .read_parquet(location, ParquetReadOptions::default())
            .await?;
        Ok(frame.into_unoptimized_plan())
    }

    async fn read_files(
        &self,
        format: &str,
        paths: Vec<String>,
        schema: Option<DataType>,
        options: &[(String, String)],
    ) -> ResolveResult<LogicalPlan> {
        if paths.is_empty() {
            return Err(ResolveError::InvalidArgument(
                "[UNABLE_TO_INFER_SCHEMA] no path given".into(),
            ));
        }
        for path in &paths {
            let local = path.strip_prefix("file://").unwrap_or(path);
            if !local.contains("://")
                && !local.contains(['*', '?'])
                && !std::path::Path::new(local).exists()
            {
                return Err(ResolveError::PathNotFound(format!("file:{local}")));
            }
        }
        let arrow_schema = match &schema {
            Some(DataType::Struct(fields)) => Some(Schema::new(
                fields
                    .iter()
                    .map(|f| Ok(Field::new(&f.name, to_arrow(&f.data_type)?, true)))
                    .collect::<ResolveResult<Vec<_>>>()?,
            )),
            Some(_) => {
                return Err(ResolveError::InvalidArgument(
                    "a read schema must be a struct".into(),
                ))
            }
            None => None,
        };
        let partitions = discover_partitions(&paths);
        // Partition columns come from directory names, not from the files.
        let arrow_schema = arrow_schema.map(|schema| {
            Schema::new(
                schema
                    .fields()
                    .iter()
                    .filter(|f| !partitions.iter().any(|(name, _)| name == f.name()))
                    .cloned()
                    .collect::<Vec<_>>(),
            )
        });
        let frame = match format {
            "parquet" => {
                let mut read =
                    ParquetReadOptions::default().table_partition_cols(partitions.clone());
                if let Some(s) = &arrow_schema {
                    read = read.schema(s);
                }
                self.context.read_parquet(paths, read).await?
            }
            "csv" => {
                let delimiter = option(options, "sep")
                    .or(option(options, "delimiter"))
                    .unwrap_or(",");
                let mut read = CsvReadOptions::new()
                    .table_partition_cols(partitions.clone())
                    .has_header(flag(options, "header"))
                    .delimiter(delimiter.as_bytes().first().copied().unwrap_or(b','))
                    .file_extension("");
                if let Some(q) =
                    option(options, "quote").and_then(|q| q.as_bytes().first().copied())
                {
                    read = read.quote(q);
                }
                let string_schema;
                if let Some(s) = &arrow_schema {
                    read = read.schema(s);
                } else if !flag(options, "inferSchema") {
                    // Without inferSchema, Spark reads every column as a string.
                    let inferred = self.context.read_csv(paths.clone(), read.clone()).await?;
                    string_schema = Schema::new(
                        inferred
                            .schema()
                            .fields()
                            .iter()
                            .filter(|f| !partitions.iter().any(|(name, _)| name == f.name()))
                            .map(|f| Field::new(f.name(), ArrowType::Utf8, true))
                            .collect::<Vec<_>>(),
                    );
                    read = read.schema(&string_schema);
                    let plan = self
                        .context
                        .read_csv(paths, read)
                        .await?
                        .into_unoptimized_plan();
                    return spark_csv_names(plan, flag(options, "header"));
                }
                self.context.read_csv(paths, read).await?
            }
            "json" => {
                let mut read = JsonReadOptions::default()
                    .file_extension("")
                    .table_partition_cols(partitions.clone());
                if let Some(s) = &arrow_schema {
                    read = read.schema(s);
                }
                self.context.read_json(paths, read).await?
            }
            "text" => {
                // The one text column is `value` unless the user's schema names it.
                let column = arrow_schema
                    .as_ref()
                    .and_then(|s| s.fields().first().map(|f| f.name().clone()))
                    .unwrap_or_else(|| "value".to_string());
                let text_schema = Schema::new(vec![Field::new(column, ArrowType::Utf8, true)]);
                // One column per line: a delimiter and quote that never occur in text.
                let read = CsvReadOptions::new()
                    .has_header(false)
                    .delimiter(0x1f)
                    .quote(0x1e)
                    .file_extension("")
                    .schema(&text_schema);
                self.context.read_csv(paths, read).await?
            }
            other => return unsupported(format!("the {other} data source")),
        };
        let plan = frame.into_unoptimized_plan();
        if format == "csv" && arrow_schema.is_none() {
            return spark_csv_names(plan, flag(options, "header"));
        }
        Ok(plan)
    }
}

/// Spark names header-less CSV columns `_c0`, `_c1`, ...
fn spark_csv_names(plan: LogicalPlan, has_header: bool) -> ResolveResult<LogicalPlan> {
    if has_header {
        return Ok(plan);
    }
    let exprs: Vec<datafusion::logical_expr::Expr> = plan
        .schema()
        .columns()
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            // DataFusion's default names only; partition columns keep theirs.
            let renamed = c.name.starts_with("column_");
            let expr = datafusion::logical_expr::Expr::Column(c);
            if renamed {
                expr.alias(format!("_c{i}"))
            } else {
                expr
            }
        })
        .collect();
    Ok(LogicalPlanBuilder::from(plan).project(exprs)?.build()?)
}

/// Where `saveAsTable(name)` keeps a table's files (Spark's default `spark-warehouse`).
pub fn warehouse_path(table: &str) -> std::path::PathBuf {
    std::path::Path::new(WAREHOUSE_DIR).join(table.to_ascii_lowercase())
}

const WAREHOUSE_DIR: &str = "spark-warehouse";

/// Hive-style partition directories (`year=2024/month=1`) under the first path, with Spark's
/// type inference for their values: INT, then BIGINT, else STRING.
fn discover_partitions(paths: &[String]) -> Vec<(String, ArrowType)> {
    let Some(first) = paths.first() else {
        return Vec::new();
    };
    let mut directory = std::path::PathBuf::from(first.strip_prefix("file://").unwrap_or(first));
    let mut columns: Vec<(String, Vec<String>)> = Vec::new();
    // Follow the first partition directory down each level; all branches share the layout.
    for _ in 0..16 {
        let Ok(entries) = std::fs::read_dir(&directory) else {
            break;
        };
        let mut level: Option<(String, Vec<String>, std::path::PathBuf)> = None;
        let mut names: Vec<_> = entries.flatten().filter(|e| e.path().is_dir()).collect();
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let name = entry.file_name().to_string_lossy().to_string();
            let Some((key, value)) = name.split_once('=') else {
                continue;
            };
            if key.starts_with(['.', '_']) {
                continue;
            }
            match &mut level {
                Some((existing, values, _)) if existing == key => values.push(value.to_string()),
                Some(_) => {}
                None => level = Some((key.to_string(), vec![value.to_string()], entry.path())),
            }
        }
        let Some((key, values, next)) = level else {
            break;
        };
        columns.push((key, values));
        directory = next;
    }
    columns
        .into_iter()
        .map(|(name, values)| {
            let data_type = if values.iter().all(|v| v.parse::<i32>().is_ok()) {
                ArrowType::Int32
            } else if values.iter().all(|v| v.parse::<i64>().is_ok()) {
                ArrowType::Int64
            } else {
                ArrowType::Utf8
            };
            (name, data_type)
        })
        .collect()
}
