//! Reads: catalog tables and views, and files (parquet, csv, json, text, orc, xml).

use datafusion::arrow::datatypes::{DataType as ArrowType, Field, Schema};
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::{CsvReadOptions, JsonReadOptions, ParquetReadOptions};
use std::sync::Arc;

use datafusion::datasource::listing::{ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::datasource::MemTable;
use ember_formats::xml::XmlOptions;
use ember_spec::{DataType, ReadSource};

use crate::error::{unsupported, ResolveError, ResolveResult};
use crate::types::to_arrow;
use crate::Resolver;

pub(super) fn option<'a>(options: &'a [(String, String)], key: &str) -> Option<&'a str> {
    options
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// Reads each line of text files as one string column: a delimiter and quote that never occur
/// in text split nothing.
pub(super) fn line_reader(text_schema: &Schema) -> CsvReadOptions<'_> {
    CsvReadOptions::new()
        .has_header(false)
        .delimiter(0x1f)
        .quote(0x1e)
        .file_extension("")
        .schema(text_schema)
}

pub(super) fn flag(options: &[(String, String)], key: &str) -> bool {
    option(options, key).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

impl Resolver<'_> {
    pub(crate) async fn resolve_query_read(
        &self,
        source: ReadSource,
    ) -> ResolveResult<LogicalPlan> {
        match source {
            ReadSource::Table { name } => {
                if let [single] = name.as_slice() {
                    if let Some(plan) = self.named_relation(single) {
                        return self.resolve_plan(plan).await;
                    }
                    if let Some(scan) = self.recursive_scan(single) {
                        return Ok(LogicalPlanBuilder::from(scan)
                            .alias(single.clone())?
                            .build()?);
                    }
                }
                // Temp views (one part, or `global_temp.view`) shadow catalog tables.
                let view_name = name.len() == 1
                    || (name.len() == 2 && name[0].eq_ignore_ascii_case("global_temp"));
                let view = if view_name {
                    self.context.table(name.join(".").as_str()).await.ok()
                } else {
                    None
                };
                let plan = match view {
                    Some(frame) => frame.into_unoptimized_plan(),
                    None => self.read_saved_table(&name).await?,
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
            ReadSource::Stream {
                format,
                paths,
                schema,
                options,
            } => {
                let source = crate::StreamSource {
                    format: format.to_ascii_lowercase(),
                    paths,
                    options,
                };
                self.read_stream(source, schema).await
            }
        }
    }

    async fn read_stream(
        &self,
        source: crate::StreamSource,
        schema: Option<DataType>,
    ) -> ResolveResult<LogicalPlan> {
        let file_schema = match (&schema, source.format.as_str()) {
            (_, "rate") => None,
            (Some(schema), _) => Some(schema.clone()),
            // Text has one column whatever the files hold.
            (None, "text") => Some(DataType::Struct(vec![ember_spec::StructField {
                name: "value".into(),
                data_type: DataType::String,
                nullable: true,
                metadata: None,
            }])),
            (None, format) => {
                return Err(ResolveError::InvalidArgument(format!(
                    "Schema must be specified when creating a streaming source DataFrame: the {format} source needs one."
                )))
            }
        };
        let data = match &self.stream_input {
            Some(input) => Some(input.data(&source)?),
            None => None,
        };
        match data {
            Some(crate::StreamData::Batches(batches)) => {
                let schema = batches
                    .first()
                    .map(|b| b.schema())
                    .unwrap_or_else(crate::stream::rate_schema);
                let table = MemTable::try_new(schema, vec![batches])?;
                return Ok(self
                    .context
                    .read_table(Arc::new(table))?
                    .into_unoptimized_plan());
            }
            Some(crate::StreamData::Files(files)) if !files.is_empty() => {
                return self
                    .read_files(&source.format, files, file_schema, &source.options)
                    .await;
            }
            _ => {}
        }
        // No rows for this batch (or no streaming query at all): an empty relation with the
        // source's columns.
        let arrow_schema = match &file_schema {
            Some(schema) => Arc::new(read_schema(schema)?),
            None => crate::stream::rate_schema(),
        };
        let empty = MemTable::try_new(arrow_schema, vec![Vec::new()])?;
        let plan = self
            .context
            .read_table(Arc::new(empty))?
            .into_unoptimized_plan();
        if self.stream_input.is_some() {
            return Ok(plan);
        }
        Ok(LogicalPlanBuilder::from(plan)
            .alias(crate::stream::STREAM_SOURCE_ALIAS)?
            .build()?)
    }

    /// A managed table: the data files in its warehouse directory, seen by every session.
    async fn read_saved_table(&self, name: &[String]) -> ResolveResult<LogicalPlan> {
        if let Some(catalog) = &self.catalog {
            match catalog.lookup(name)? {
                Some(crate::CatalogRelation::View(plan)) => return self.resolve_plan(plan).await,
                Some(crate::CatalogRelation::Cached(cached)) => {
                    return self.scan_cached_plan(cached);
                }
                Some(crate::CatalogRelation::Files {
                    format,
                    paths,
                    schema,
                    options,
                }) => {
                    // A table whose location holds no data yet has no rows, as in Spark.
                    let empty = paths.iter().all(|p| !has_data_files(p));
                    if let (true, Some(schema)) = (empty, &schema) {
                        let arrow = crate::types::to_arrow(schema)?;
                        let fields = match arrow {
                            ArrowType::Struct(fields) => fields,
                            other => vec![Field::new("value", other, true)].into(),
                        };
                        let schema = std::sync::Arc::new(Schema::new(fields));
                        return self.scan_batches(schema, Vec::new());
                    }
                    return self.read_files(&format, paths, schema, &options).await;
                }
                None => {}
            }
        }
        let not_found = || ResolveError::TableNotFound(format!("`{}`", name.join("`.`")));
        let path = self.warehouse.table_path(name).map_err(|_| not_found())?;
        let _ = ember_formats::commit::recover(&path);
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
            if !local.contains("://") && !local.contains(['*', '?']) {
                // A write cut short by a crash is finished (or undone) before anyone reads.
                let _ = ember_formats::commit::recover(std::path::Path::new(local));
                if !std::path::Path::new(local).exists() {
                    return Err(ResolveError::PathNotFound(format!("file:{local}")));
                }
            }
        }
        let arrow_schema = schema.as_ref().map(read_schema).transpose()?;
        let partitions = discover_partitions(&paths);
        // Formats read without a file extension would also read checksums and markers.
        let paths = if partitions.is_empty() && matches!(format, "csv" | "json" | "text") {
            paths.into_iter().flat_map(visible_files).collect()
        } else {
            paths
        };
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
                let ignore_corrupt =
                    self.ignore_corrupt_files || flag(options, "ignoreCorruptFiles");
                let paths = if ignore_corrupt && partitions.is_empty() {
                    super::corrupt_files::without_corrupt_parquet(paths)
                } else {
                    paths
                };
                let read = self.read_parquet_paths(&paths, &partitions, arrow_schema.as_ref());
                match read.await {
                    Ok(frame) => frame,
                    Err(error) => {
                        return Err(match super::corrupt_files::first_corrupt_parquet(&paths) {
                            Some(file) => ResolveError::FailedReadFile {
                                path: format!("file://{}", file.display()),
                                reason: error.to_string(),
                            },
                            None => error,
                        })
                    }
                }
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
                // A schema's columns are read as text and converted as Spark converts them, so
                // a value that does not fit is NULL (or the row dropped, or an error) by `mode`.
                if let Some(schema) = &arrow_schema {
                    let records = super::csv_records::CsvRecords {
                        schema,
                        null_value: option(options, "nullValue").unwrap_or(""),
                        mode: ember_functions::ParseMode::from_option(option(options, "mode")),
                        corrupt_column: option(options, "columnNameOfCorruptRecord")
                            .unwrap_or("_corrupt_record"),
                        separator: delimiter,
                    };
                    let text = records.text_schema();
                    let plan = self
                        .context
                        .read_csv(paths, read.schema(&text).truncated_rows(true))
                        .await?
                        .into_unoptimized_plan();
                    return records.typed(plan);
                }
                // Spark reads the nullValue text (by default the empty field) as null, before
                // any type conversion: read text, null it, then convert.
                if let Some(null_value) = option(options, "nullValue").filter(|v| !v.is_empty()) {
                    let typed = match &arrow_schema {
                        Some(schema) => schema.clone(),
                        None => {
                            let mut without = options.to_vec();
                            without.retain(|(k, _)| !k.eq_ignore_ascii_case("nullValue"));
                            let plan =
                                Box::pin(self.read_files("csv", paths.clone(), None, &without))
                                    .await?;
                            file_columns(plan.schema().as_arrow(), &partitions)
                        }
                    };
                    let text = Schema::new(
                        typed
                            .fields()
                            .iter()
                            .map(|f| Field::new(f.name(), ArrowType::Utf8, true))
                            .collect::<Vec<_>>(),
                    );
                    let plan = self
                        .context
                        .read_csv(paths, read.schema(&text))
                        .await?
                        .into_unoptimized_plan();
                    return null_value_to_null(plan, null_value, &typed);
                }
                // A schema was handled above: from here on the columns are inferred.
                let string_schema;
                if !flag(options, "inferSchema") {
                    // Without inferSchema, Spark reads every column as a string.
                    let inferred = match self.context.read_csv(paths.clone(), read.clone()).await {
                        Ok(inferred) => inferred,
                        Err(error) => {
                            return self
                                .csv_as_text(&paths, read, options, delimiter, error.into())
                                .await
                        }
                    };
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
                // Spark infers from every row, and gives int to integers that fit in one.
                read = read.schema_infer_max_records(usize::MAX);
                let inferred = match self.context.read_csv(paths.clone(), read.clone()).await {
                    Ok(inferred) => inferred,
                    // Rows of uneven length stop the inference: read text instead.
                    Err(error) => {
                        return self
                            .csv_as_text(&paths, read, options, delimiter, error.into())
                            .await
                    }
                };
                if let Some(narrowed) = narrow_integers(inferred, &partitions).await? {
                    string_schema = narrowed;
                    read = read.schema(&string_schema);
                }
                self.context.read_csv(paths, read).await?
            }
            "json" => {
                let lines = (partitions.is_empty() && !flag(options, "multiLine"))
                    .then(|| super::json_lines::local_text_files(&paths))
                    .flatten();
                if let Some(files) = lines {
                    let mode = ember_functions::ParseMode::from_option(option(options, "mode"));
                    let corrupt =
                        option(options, "columnNameOfCorruptRecord").unwrap_or("_corrupt_record");
                    return self
                        .read_json_lines(files, arrow_schema, mode, corrupt)
                        .await;
                }
                let mut read = JsonReadOptions::default()
                    .file_extension("")
                    .table_partition_cols(partitions.clone());
                let merged = match (&arrow_schema, paths.len()) {
                    (None, 2..) => Some(
                        merge_path_schemas(&paths, &partitions, |path| {
                            self.context.read_json(path, read.clone())
                        })
                        .await?,
                    ),
                    _ => None,
                };
                if let Some(s) = arrow_schema.as_ref().or(merged.as_ref()) {
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
                self.context
                    .read_csv(paths, line_reader(&text_schema))
                    .await?
            }
            "orc" => {
                let listing = ember_formats::orc::listing_options()
                    .with_table_partition_cols(partitions.clone());
                let urls = paths
                    .iter()
                    .map(ListingTableUrl::parse)
                    .collect::<Result<Vec<_>, _>>()?;
                let file_schema = match (&arrow_schema, urls.first()) {
                    (Some(schema), _) => Arc::new(schema.clone()),
                    (None, Some(url)) => listing.infer_schema(&self.context.state(), url).await?,
                    (None, None) => return unsupported("reading ORC without a path"),
                };
                let config = ListingTableConfig::new_with_multi_paths(urls)
                    .with_listing_options(listing)
                    .with_schema(file_schema);
                self.context
                    .read_table(Arc::new(ListingTable::try_new(config)?))?
            }
            "xml" => return self.read_xml(&paths, arrow_schema, options).await,
            other => return unsupported(format!("the {other} data source")),
        };
        let plan = frame.into_unoptimized_plan();
        if format == "csv" && arrow_schema.is_none() {
            return spark_csv_names(plan, flag(options, "header"));
        }
        Ok(plan)
    }
}

impl Resolver<'_> {
    /// Parquet files or directories, their schemas merged when several paths are given.
    async fn read_parquet_paths(
        &self,
        paths: &[String],
        partitions: &[(String, ArrowType)],
        schema: Option<&Schema>,
    ) -> ResolveResult<datafusion::dataframe::DataFrame> {
        let mut read = ParquetReadOptions::default().table_partition_cols(partitions.to_vec());
        let merged = match (schema, paths.len()) {
            (None, 2..) => Some(
                merge_path_schemas(paths, partitions, |path| {
                    self.context.read_parquet(path, read.clone())
                })
                .await?,
            ),
            _ => None,
        };
        if let Some(s) = schema.or(merged.as_ref()) {
            read = read.schema(s);
        }
        Ok(self.context.read_parquet(paths.to_vec(), read).await?)
    }
}

impl Resolver<'_> {
    /// XML is parsed whole when the query is planned: DataFusion has no XML scan.
    async fn read_xml(
        &self,
        paths: &[String],
        schema: Option<Schema>,
        options: &[(String, String)],
    ) -> ResolveResult<LogicalPlan> {
        if !XmlOptions::has_row_tag(options) {
            return Err(ResolveError::InvalidArgument(
                "[XML_ROW_TAG_MISSING] `rowTag` option is required for reading/writing files in XML format.".into(),
            ));
        }
        let xml_options = XmlOptions::from_options(options);
        let mut files = Vec::new();
        for path in paths {
            for file in data_files(path.strip_prefix("file://").unwrap_or(path))? {
                let text = tokio::fs::read_to_string(&file).await.map_err(|e| {
                    ResolveError::InvalidArgument(format!("{}: {e}", file.display()))
                })?;
                files.push((file.display().to_string(), text));
            }
        }
        let (schema, batches) =
            ember_formats::xml::read_rows(&files, schema.map(Arc::new), &xml_options)
                .map_err(|e| ResolveError::InvalidArgument(e.to_string()))?;
        let table = MemTable::try_new(schema, vec![batches])?;
        Ok(self
            .context
            .read_table(Arc::new(table))?
            .into_unoptimized_plan())
    }
}

/// A user's read schema (`.schema(...)`) as Arrow columns, all nullable as Spark reads them.
fn read_schema(schema: &DataType) -> ResolveResult<Schema> {
    let DataType::Struct(fields) = schema else {
        return Err(ResolveError::InvalidArgument(
            "a read schema must be a struct".into(),
        ));
    };
    Ok(Schema::new(
        fields
            .iter()
            .map(|f| Ok(Field::new(&f.name, to_arrow(&f.data_type)?, true)))
            .collect::<ResolveResult<Vec<_>>>()?,
    ))
}

/// The data files under a path, largest first as Spark reads them; names starting with `_` or
/// `.` are bookkeeping (`_SUCCESS`), not data.
fn data_files(path: &str) -> ResolveResult<Vec<std::path::PathBuf>> {
    let root = std::path::Path::new(path);
    if root.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let entries =
        std::fs::read_dir(root).map_err(|_| ResolveError::PathNotFound(format!("file:{path}")))?;
    let mut files: Vec<(u64, std::path::PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with(['_', '.']))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            meta.is_file().then(|| (meta.len(), e.path()))
        })
        .collect();
    files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(files.into_iter().map(|(_, p)| p).collect())
}

/// The inferred schema with int in place of bigint for columns whose values all fit in an int,
/// or None when no column narrows.
async fn narrow_integers(
    frame: datafusion::dataframe::DataFrame,
    partitions: &[(String, ArrowType)],
) -> ResolveResult<Option<Schema>> {
    use datafusion::functions_aggregate::expr_fn::{max, min};
    use datafusion::logical_expr::ident;
    let columns = file_columns(frame.schema().as_arrow(), partitions);
    let wide: Vec<&str> = columns
        .fields()
        .iter()
        .filter(|f| f.data_type() == &ArrowType::Int64)
        .map(|f| f.name().as_str())
        .collect();
    if wide.is_empty() {
        return Ok(None);
    }
    let bounds: Vec<_> = wide
        .iter()
        .flat_map(|name| [min(ident(*name)), max(ident(*name))])
        .collect();
    let batches = frame.aggregate(vec![], bounds)?.collect().await?;
    let Some(row) = batches.first().filter(|b| b.num_rows() == 1) else {
        return Ok(None);
    };
    let fits = |index: usize| -> bool {
        let value = |i: usize| {
            datafusion::common::ScalarValue::try_from_array(row.column(i), 0)
                .ok()
                .and_then(|v| match v {
                    datafusion::common::ScalarValue::Int64(v) => v,
                    _ => None,
                })
        };
        match (value(2 * index), value(2 * index + 1)) {
            (Some(lo), Some(hi)) => lo >= i32::MIN as i64 && hi <= i32::MAX as i64,
            _ => false,
        }
    };
    let narrowed: Vec<Field> = columns
        .fields()
        .iter()
        .map(|f| match wide.iter().position(|w| *w == f.name()) {
            Some(index) if fits(index) => f.as_ref().clone().with_data_type(ArrowType::Int32),
            _ => f.as_ref().clone(),
        })
        .collect();
    Ok(Some(Schema::new(narrowed)))
}

/// DataFusion infers a multi-path read's schema from the first path only; Spark sees the
/// columns of every path, so each is inferred and the results merged.
async fn merge_path_schemas<F, Fut>(
    paths: &[String],
    partitions: &[(String, ArrowType)],
    read: F,
) -> ResolveResult<Schema>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = datafusion::error::Result<datafusion::dataframe::DataFrame>>,
{
    let mut schemas = Vec::with_capacity(paths.len());
    for path in paths {
        let frame = read(path.clone()).await?;
        schemas.push(file_columns(frame.schema().as_arrow(), partitions));
    }
    Ok(Schema::try_merge(schemas)?)
}

/// The columns a file holds: its schema without the directory partition columns.
fn file_columns(schema: &Schema, partitions: &[(String, ArrowType)]) -> Schema {
    Schema::new(
        schema
            .fields()
            .iter()
            .filter(|f| !partitions.iter().any(|(name, _)| name == f.name()))
            .cloned()
            .collect::<Vec<_>>(),
    )
}

/// Text columns equal to `null_value` become null, then every column takes its type in `typed`
/// (partition columns pass through).
fn null_value_to_null(
    plan: LogicalPlan,
    null_value: &str,
    typed: &Schema,
) -> ResolveResult<LogicalPlan> {
    use datafusion::logical_expr::{cast, lit, when, Expr};
    let exprs = plan
        .schema()
        .columns()
        .into_iter()
        .map(|column| {
            let name = column.name.clone();
            let value = Expr::Column(column);
            Ok(match typed.field_with_name(&name) {
                Ok(field) => cast(
                    when(
                        value.clone().eq(lit(null_value)),
                        lit(ScalarNull::Utf8(None)),
                    )
                    .otherwise(value)?,
                    field.data_type().clone(),
                )
                .alias(name),
                Err(_) => value,
            })
        })
        .collect::<ResolveResult<Vec<_>>>()?;
    Ok(LogicalPlanBuilder::from(plan).project(exprs)?.build()?)
}

use datafusion::common::ScalarValue as ScalarNull;

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

/// True when `path` (a directory) holds a visible file anywhere below it.
/// A local directory's data files, skipping the hidden and `_`-prefixed names Spark skips
/// (checksums, `_SUCCESS`); any other path as it is.
fn visible_files(path: String) -> Vec<String> {
    let local = std::path::Path::new(path.strip_prefix("file://").unwrap_or(&path));
    let Ok(entries) = std::fs::read_dir(local) else {
        return vec![path];
    };
    let mut files = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if !entry.path().is_file() {
            // Nested directories: leave the listing to the reader.
            return vec![path];
        }
        files.push(entry.path().to_string_lossy().to_string());
    }
    if files.is_empty() {
        return vec![path];
    }
    files.sort();
    files
}

fn has_data_files(path: &str) -> bool {
    let path = std::path::Path::new(path.strip_prefix("file:").unwrap_or(path));
    let Ok(entries) = std::fs::read_dir(path) else {
        return path.is_file();
    };
    entries.filter_map(Result::ok).any(|entry| {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name.starts_with('_') {
            return false;
        }
        let child = entry.path();
        child.is_file() || has_data_files(&child.to_string_lossy())
    })
}

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
