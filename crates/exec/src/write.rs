//! `df.write`: files are written into a hidden staging directory beside the target and
//! only then moved into place, so readers never see half-written output and an overwrite
//! replaces old data only after the new data is complete.

use std::path::{Path, PathBuf};

use datafusion::arrow::array::AsArray;
use datafusion::common::config::{CsvOptions, TableParquetOptions};
use datafusion::dataframe::DataFrameWriteOptions;
use ember_spec::{SaveMode, WriteOperation};
use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::partitions::{commit_partitions, merge_into, OverwriteScope};
use crate::statements::table_read;
use crate::{ExecError, ExecResult, Session, TableEntry, TableKind};

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ExecError + '_ {
    move |source| ExecError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn option<'a>(options: &'a [(String, String)], key: &str) -> Option<&'a str> {
    options
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

impl Session {
    /// Writes rows to a path or table; a cached table is read again afterwards, as Spark
    /// recaches a table written through the catalog.
    pub async fn write(&self, operation: WriteOperation) -> ExecResult<()> {
        let table = operation.table.clone();
        self.write_rows(operation).await?;
        if let Some(name) = table {
            self.recache_table(&name).await?;
        }
        Ok(())
    }

    async fn write_rows(&self, operation: WriteOperation) -> ExecResult<()> {
        let warehouse = self.warehouse();
        let store = self.catalog_store();
        let mut operation = operation;
        let table = operation.table.clone();
        let mut entry = None;
        let target = match (&operation.path, &table) {
            (Some(path), _) => PathBuf::from(path.strip_prefix("file://").unwrap_or(path)),
            (None, Some(name)) => {
                let (database, _) = warehouse.qualify(name)?;
                if !warehouse.database_exists(&database) {
                    return Err(ExecError::DatabaseNotFound(database));
                }
                entry = store.get(name)?;
                match &entry {
                    Some(found) if found.kind == TableKind::View => {
                        return Err(ExecError::Analysis(format!(
                            "[EXPECT_TABLE_NOT_VIEW.NO_ALTERNATIVE] The table {} is a view; write into a table instead.",
                            warehouse.display_name(name)
                        )))
                    }
                    // An existing table keeps its format, options and partitioning.
                    Some(found) => {
                        operation.format.clone_from(&found.format);
                        operation.options.clone_from(&found.options);
                        operation.partition_by.clone_from(&found.partition_by);
                        store.data_path(found)?
                    }
                    None => warehouse.table_path(name)?,
                }
            }
            (None, None) => {
                return Err(ExecError::Unsupported(
                    "a write without a path or table".into(),
                ))
            }
        };
        let exists = entry.is_some() || target.exists();
        if operation.insert_into && !exists {
            let name = table.clone().unwrap_or_default();
            return Err(ember_resolve::ResolveError::TableNotFound(format!(
                "`{}`",
                name.join("`.`")
            ))
            .into());
        }
        // insertInto adds to the table unless told to overwrite it.
        let mode = match operation.mode {
            SaveMode::ErrorIfExists if operation.insert_into => SaveMode::Append,
            mode => mode,
        };
        match (mode, exists, &table) {
            (SaveMode::ErrorIfExists, true, Some(name)) => {
                return Err(ExecError::TableAlreadyExists(warehouse.display_name(name)))
            }
            (SaveMode::ErrorIfExists, true, None) => {
                return Err(ExecError::PathAlreadyExists(format!(
                    "file:{}",
                    target.display()
                )))
            }
            (SaveMode::Ignore, true, _) => return Ok(()),
            _ => {}
        }
        let scope = self
            .partition_overwrite_scope(&operation, mode, exists)
            .await?;
        let schema = self.write_to(&operation, &target, mode, scope).await?;
        if let (Some(name), None) = (&table, &entry) {
            // A new managed table: its format and columns go on record.
            let (database, table_name) = warehouse.qualify(name)?;
            let declared = ember_resolve::from_arrow(
                &datafusion::arrow::datatypes::DataType::Struct(schema.fields().clone()),
            );
            store.put(&TableEntry {
                name: table_name,
                database,
                kind: TableKind::Managed,
                format: operation.format.to_ascii_lowercase(),
                location: None,
                schema: operation
                    .partition_by
                    .is_empty()
                    .then(|| declared.ddl_string()),
                partition_by: operation.partition_by.clone(),
                options: operation.options.clone(),
                properties: Vec::new(),
                comment: None,
                view_text: None,
            })?;
        }
        Ok(())
    }

    /// Which old partitions an overwrite of a partitioned table replaces; `None` when the
    /// whole target goes, or nothing does. `INSERT OVERWRITE ... PARTITION (p = 'v')` replaces
    /// what matches its static values, and so does `insertInto(overwrite=True)` (all of it)
    /// unless `spark.sql.sources.partitionOverwriteMode` is `dynamic` or the writer asked for
    /// `overwritePartitions`: then only the partitions the rows write.
    async fn partition_overwrite_scope(
        &self,
        operation: &WriteOperation,
        mode: SaveMode,
        exists: bool,
    ) -> ExecResult<Option<OverwriteScope>> {
        if !operation.partition_values.is_empty() {
            self.check_partition_values(operation)?;
        }
        let partial = operation.insert_into || operation.overwrite_written_partitions;
        if mode != SaveMode::Overwrite || operation.partition_by.is_empty() || !exists || !partial {
            return Ok(None);
        }
        let dynamic = operation.overwrite_written_partitions
            || self.with_config(|c| {
                c.get("spark.sql.sources.partitionOverwriteMode")
                    .is_some_and(|m| m.eq_ignore_ascii_case("dynamic"))
            });
        if dynamic {
            return Ok(Some(OverwriteScope::Written));
        }
        let name = operation.table.clone().unwrap_or_default();
        let table = self.logical_plan(table_read(name)).await?;
        let mut matching = Vec::new();
        for (column, value) in &operation.partition_values {
            let Some(value) = value else { continue };
            let field = table.schema().field_with_unqualified_name(column)?;
            matching.push((
                field.name().clone(),
                partition_dir_value(value, field.data_type())?,
            ));
        }
        Ok((!matching.is_empty()).then_some(OverwriteScope::Matching(matching)))
    }

    /// A PARTITION clause names each partition column of a partitioned table at most once.
    fn check_partition_values(&self, operation: &WriteOperation) -> ExecResult<()> {
        for (index, (column, _)) in operation.partition_values.iter().enumerate() {
            if !operation
                .partition_by
                .iter()
                .any(|p| p.eq_ignore_ascii_case(column))
            {
                let name = operation.table.clone().unwrap_or_default();
                return Err(ExecError::Analysis(format!(
                    "[PARTITIONS_NOT_FOUND] The partition(s) `{column}` cannot be found in table {}. Verify the partition specification and table name.",
                    self.warehouse().display_name(&name)
                )));
            }
            if operation.partition_values[..index]
                .iter()
                .any(|(c, _)| c.eq_ignore_ascii_case(column))
            {
                return Err(ExecError::Analysis(format!(
                    "[DUPLICATE_KEY] Found duplicate keys `{column}`."
                )));
            }
        }
        Ok(())
    }

    /// Drops a catalog table or view. A temp view of a one-part name shadows the table, so
    /// it is dropped instead, as in Spark. A managed table's files go with it; an external
    /// table's stay. True when something was dropped.
    pub async fn drop_table(&self, name: &[String], view: bool) -> ExecResult<bool> {
        if let [single] = name {
            if self.context().deregister_table(single.as_str())?.is_some() {
                return Ok(true);
            }
        }
        let warehouse = self.warehouse();
        let store = self.catalog_store();
        let entry = store.get(name)?;
        match (&entry, view) {
            (Some(found), false) if found.kind == TableKind::View => {
                return Err(ExecError::Analysis(format!(
                    "[WRONG_COMMAND_FOR_OBJECT_TYPE] The operation DROP TABLE requires a TABLE. But {} is a VIEW. Use DROP VIEW instead.",
                    warehouse.display_name(name)
                )))
            }
            (Some(found), true) if found.kind != TableKind::View => {
                return Err(ExecError::Analysis(format!(
                    "[WRONG_COMMAND_FOR_OBJECT_TYPE] The operation DROP VIEW requires a VIEW. But {} is a TABLE. Use DROP TABLE instead.",
                    warehouse.display_name(name)
                )))
            }
            (None, true) => return Ok(false),
            _ => {}
        }
        store.remove(name)?;
        let external = entry.as_ref().is_some_and(|e| e.kind != TableKind::Managed);
        let path = warehouse.table_path(name)?;
        if external || !path.is_dir() {
            return Ok(entry.is_some());
        }
        tokio::fs::remove_dir_all(&path)
            .await
            .map_err(io_error(&path))?;
        Ok(true)
    }

    /// `insertInto` matches columns by position: each input column takes the name and type of
    /// the table column in its place.
    async fn by_table_position(
        &self,
        input: datafusion::logical_expr::LogicalPlan,
        operation: &WriteOperation,
    ) -> ExecResult<datafusion::logical_expr::LogicalPlan> {
        use datafusion::logical_expr::{cast, Expr, LogicalPlanBuilder};
        let name = operation.table.clone().unwrap_or_default();
        let warehouse = self.warehouse();
        let table = self
            .logical_plan(ember_spec::Plan::new(ember_spec::Relation::Read(
                ember_spec::ReadSource::Table { name: name.clone() },
            )))
            .await?;
        let wanted = table.schema().fields().clone();
        let have = input.schema().columns();
        if !operation.partition_values.is_empty() {
            return self.by_partition_spec(input, operation, &wanted);
        }
        if wanted.len() != have.len() {
            return Err(ExecError::InsertArity {
                table: warehouse.display_name(&name),
                reason: if have.len() < wanted.len() {
                    "NOT_ENOUGH_DATA_COLUMNS"
                } else {
                    "TOO_MANY_DATA_COLUMNS"
                },
                expected: wanted.len(),
                actual: have.len(),
            });
        }
        let exprs: Vec<Expr> = have
            .into_iter()
            .zip(wanted.iter())
            .map(|(column, field)| {
                cast(Expr::Column(column), field.data_type().clone()).alias(field.name())
            })
            .collect();
        Ok(LogicalPlanBuilder::from(input).project(exprs)?.build()?)
    }

    /// `INSERT ... PARTITION (p = 'v', q) SELECT ...`: the query gives the data columns in
    /// table order, then the partitions without a static value; static ones become literals.
    fn by_partition_spec(
        &self,
        input: datafusion::logical_expr::LogicalPlan,
        operation: &WriteOperation,
        wanted: &datafusion::arrow::datatypes::Fields,
    ) -> ExecResult<datafusion::logical_expr::LogicalPlan> {
        use datafusion::logical_expr::{cast, lit, Expr, LogicalPlanBuilder};
        let is_partition = |name: &str| {
            operation
                .partition_by
                .iter()
                .any(|p| p.eq_ignore_ascii_case(name))
        };
        let data: Vec<_> = wanted.iter().filter(|f| !is_partition(f.name())).collect();
        let mut partitions = Vec::new();
        for column in &operation.partition_by {
            let Some(field) = wanted
                .iter()
                .find(|f| f.name().eq_ignore_ascii_case(column))
            else {
                continue;
            };
            let value = operation
                .partition_values
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(column))
                .and_then(|(_, v)| v.clone());
            partitions.push((field, value));
        }
        let dynamic = partitions.iter().filter(|(_, v)| v.is_none()).count();
        let have = input.schema().columns();
        if have.len() != data.len() + dynamic {
            let name = operation.table.clone().unwrap_or_default();
            return Err(ExecError::InsertArity {
                table: self.warehouse().display_name(&name),
                reason: if have.len() < data.len() + dynamic {
                    "NOT_ENOUGH_DATA_COLUMNS"
                } else {
                    "TOO_MANY_DATA_COLUMNS"
                },
                expected: data.len() + dynamic,
                actual: have.len(),
            });
        }
        let mut columns = have.into_iter();
        let mut exprs: Vec<Expr> = Vec::new();
        for field in data {
            if let Some(column) = columns.next() {
                exprs.push(
                    cast(Expr::Column(column), field.data_type().clone()).alias(field.name()),
                );
            }
        }
        for (field, value) in partitions {
            let expr = match value {
                Some(value) => lit(value),
                None => match columns.next() {
                    Some(column) => Expr::Column(column),
                    None => continue,
                },
            };
            exprs.push(cast(expr, field.data_type().clone()).alias(field.name()));
        }
        Ok(LogicalPlanBuilder::from(input).project(exprs)?.build()?)
    }

    async fn write_to(
        &self,
        operation: &WriteOperation,
        target: &Path,
        mode: SaveMode,
        scope: Option<OverwriteScope>,
    ) -> ExecResult<datafusion::arrow::datatypes::SchemaRef> {
        let parent = target
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        tokio::fs::create_dir_all(&parent)
            .await
            .map_err(io_error(&parent))?;
        // A write an earlier server did not finish is completed or undone first.
        let recovered = target.to_path_buf();
        tokio::task::spawn_blocking(move || ember_formats::commit::recover(&recovered))
            .await
            .map_err(|e| ExecError::Unsupported(format!("the write was cancelled: {e}")))?
            .map_err(io_error(target))?;
        let staging_guard = ember_formats::commit::staging_for(target);
        let staging = staging_guard.path().to_path_buf();
        let schema = match self.write_files(operation, &staging).await {
            Ok(schema) => schema,
            Err(error) => {
                let _ = tokio::fs::remove_dir_all(&staging).await;
                return Err(error);
            }
        };
        match scope {
            Some(scope) => {
                let (staging, target) = (staging.clone(), target.to_path_buf());
                let columns = operation.partition_by.clone();
                tokio::task::spawn_blocking(move || {
                    commit_partitions(&staging, &target, &columns, &scope)
                })
                .await
                .map_err(|e| ExecError::Unsupported(format!("the write was cancelled: {e}")))??;
            }
            None => commit(&staging, target, mode).await?,
        }
        Ok(schema)
    }

    /// Writes the operation's rows into `staging`; the schema written.
    async fn write_files(
        &self,
        operation: &WriteOperation,
        staging: &Path,
    ) -> ExecResult<datafusion::arrow::datatypes::SchemaRef> {
        tokio::fs::create_dir_all(staging)
            .await
            .map_err(io_error(staging))?;
        let mut logical = self.logical_plan(operation.input.clone()).await?;
        if operation.insert_into {
            logical = self.by_table_position(logical, operation).await?;
        }
        crate::frame_cache::materialize_cached_frames(&logical, self.context()).await?;
        let frame = self.context().execute_logical_plan(logical).await?;
        let schema = std::sync::Arc::new(frame.schema().as_arrow().clone());
        let directory = format!("{}/", staging.display());
        let options =
            DataFrameWriteOptions::new().with_partition_by(operation.partition_by.clone());
        match operation.format.to_ascii_lowercase().as_str() {
            "parquet" | "" => {
                let mut parquet = TableParquetOptions::default();
                if let Some(codec) = option(&operation.options, "compression") {
                    parquet.global.compression = Some(codec.to_string());
                }
                frame
                    .write_parquet(&directory, options, Some(parquet))
                    .await?;
                if operation.partition_by.is_empty() {
                    write_schema_if_empty(staging, schema.clone())?;
                }
            }
            "csv" => {
                let header = option(&operation.options, "header")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
                let mut csv = CsvOptions::default().with_has_header(header);
                if let Some(sep) =
                    option(&operation.options, "sep").or(option(&operation.options, "delimiter"))
                {
                    csv = csv.with_delimiter(sep.as_bytes().first().copied().unwrap_or(b','));
                }
                // Spark writes nulls as the empty string unless nullValue says otherwise.
                csv.null_value = option(&operation.options, "nullValue").map(str::to_string);
                frame.write_csv(&directory, options, Some(csv)).await?;
            }
            "json" => {
                frame.write_json(&directory, options, None).await?;
            }
            "text" => {
                let file = staging.join(format!("part-00000-{}.txt", uuid::Uuid::new_v4()));
                let mut out = tokio::fs::File::create(&file)
                    .await
                    .map_err(io_error(&file))?;
                let mut stream = frame.execute_stream().await?;
                while let Some(batch) = stream.next().await {
                    let batch = batch?;
                    let casted = datafusion::arrow::compute::cast(
                        batch.column(0),
                        &datafusion::arrow::datatypes::DataType::Utf8,
                    )?;
                    let strings = casted.as_string::<i32>();
                    let mut text = String::new();
                    for value in strings.iter().flatten() {
                        text.push_str(value);
                        text.push('\n');
                    }
                    out.write_all(text.as_bytes())
                        .await
                        .map_err(io_error(&file))?;
                }
                out.flush().await.map_err(io_error(&file))?;
            }
            format @ ("orc" | "xml") => {
                if !operation.partition_by.is_empty() {
                    return Err(ExecError::Unsupported(format!(
                        "partitionBy when writing the {format} format"
                    )));
                }
                let stream = frame.execute_stream().await?;
                write_one_file(format, stream, staging, &operation.options).await?;
            }
            other => {
                return Err(ExecError::Unsupported(format!(
                    "writing the {other} format"
                )))
            }
        }
        let marker = staging.join("_SUCCESS");
        tokio::fs::write(&marker, b"")
            .await
            .map_err(io_error(&marker))?;
        Ok(schema)
    }
}

/// Formats written by Ember itself rather than DataFusion: all rows into one part file, by a
/// blocking thread that owns the (not `Send`) file writer while the plan streams batches to it.
async fn write_one_file(
    format: &str,
    mut stream: datafusion::execution::SendableRecordBatchStream,
    staging: &Path,
    options: &[(String, String)],
) -> ExecResult<()> {
    let part = staging.join(format!("part-00000-{}.{format}", uuid::Uuid::new_v4()));
    let schema = stream.schema();
    let format = format.to_string();
    let options = options.to_vec();
    let (sender, mut receiver) =
        tokio::sync::mpsc::channel::<datafusion::arrow::array::RecordBatch>(2);
    let writer = tokio::task::spawn_blocking(move || -> ember_formats::FormatResult<()> {
        let mut writer = ember_formats::PartFileWriter::create(&format, &part, &schema, &options)?;
        while let Some(batch) = receiver.blocking_recv() {
            writer.write(&batch)?;
        }
        writer.close()
    });
    let mut failure = None;
    while let Some(batch) = stream.next().await {
        match batch {
            Ok(batch) => {
                if sender.send(batch).await.is_err() {
                    break;
                }
            }
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    drop(sender);
    let written = writer
        .await
        .map_err(|e| ExecError::Unsupported(format!("the file writer stopped: {e}")))?;
    if let Some(error) = failure {
        return Err(error.into());
    }
    written.map_err(|e| ExecError::Unsupported(e.to_string()))
}

/// Moves staged output into place. Overwrite renames the old directory aside first and
/// deletes it only once the new one is in place.
/// A table with no rows still keeps its columns: an empty Parquet file carries the schema,
/// as no other file would.
fn write_schema_if_empty(
    staging: &Path,
    schema: datafusion::arrow::datatypes::SchemaRef,
) -> ExecResult<()> {
    let has_files = std::fs::read_dir(staging)
        .map_err(io_error(staging))?
        .filter_map(Result::ok)
        .any(|entry| !entry.file_name().to_string_lossy().starts_with('.'));
    if has_files {
        return Ok(());
    }
    let path = staging.join("part-00000-empty.parquet");
    let file = std::fs::File::create(&path).map_err(io_error(&path))?;
    let writer = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None)
        .map_err(|e| ExecError::DataFusion(e.into()))?;
    writer
        .close()
        .map_err(|e| ExecError::DataFusion(e.into()))?;
    Ok(())
}

async fn commit(staging: &Path, target: &Path, mode: SaveMode) -> ExecResult<()> {
    let (staging, target) = (staging.to_path_buf(), target.to_path_buf());
    tokio::task::spawn_blocking(move || commit_blocking(&staging, &target, mode))
        .await
        .map_err(|e| ExecError::Unsupported(format!("the write was cancelled: {e}")))?
}

/// A new target is one rename; otherwise a journal covers the renames (see
/// `ember_formats::commit`), so a crash in between is finished by the next reader or writer.
fn commit_blocking(staging: &Path, target: &Path, mode: SaveMode) -> ExecResult<()> {
    use ember_formats::commit::{aside_for, Commit, CommitPlan};
    if !target.exists() {
        return std::fs::rename(staging, target).map_err(io_error(target));
    }
    match mode {
        SaveMode::Append => {
            let journal =
                Commit::begin(target, staging, &CommitPlan::Merge).map_err(io_error(target))?;
            merge_into(staging, target)?;
            journal.finish().map_err(io_error(target))
        }
        _ => {
            let aside = aside_for(target);
            let plan = CommitPlan::Replace {
                aside: aside.path().to_path_buf(),
            };
            let journal = Commit::begin(target, staging, &plan).map_err(io_error(target))?;
            if let Err(error) = std::fs::rename(target, aside.path()) {
                journal.abandon();
                return Err(io_error(target)(error));
            }
            if let Err(error) = std::fs::rename(staging, target) {
                let _ = std::fs::rename(aside.path(), target);
                journal.abandon();
                return Err(io_error(target)(error));
            }
            let removed = if aside.path().is_dir() {
                std::fs::remove_dir_all(aside.path())
            } else {
                std::fs::remove_file(aside.path())
            };
            removed.map_err(io_error(aside.path()))?;
            journal.finish().map_err(io_error(target))
        }
    }
}

/// A static partition value as the writer names its directory: cast to the column's type
/// and printed (`p = 01` on an int column is `p=1`).
fn partition_dir_value(
    value: &str,
    data_type: &datafusion::arrow::datatypes::DataType,
) -> ExecResult<String> {
    let scalar = datafusion::scalar::ScalarValue::Utf8(Some(value.to_string()));
    Ok(scalar.cast_to(data_type)?.to_string())
}
