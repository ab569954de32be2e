//! SQL statements that are not queries: the catalog's databases and tables, views, inserts,
//! `SHOW` / `DESCRIBE` / `EXPLAIN`, and session settings. Each runs now and answers with a
//! small table (often none), as `spark.sql` returns for commands.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType as ArrowType, Field, Schema};
use ember_spec::{
    Plan, ReadSource, Relation, SaveMode, ShowKind, Statement, TableDefinition, WriteOperation,
};

use crate::{ExecError, ExecResult, Session, SessionConfigValues, TableEntry, TableKind};

/// A table of string columns (and boolean ones, named in `flags`).
pub(crate) fn string_table(
    columns: &[&str],
    rows: Vec<Vec<String>>,
    flags: &[&str],
) -> ExecResult<RecordBatch> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|name| {
            let data_type = if flags.contains(name) {
                ArrowType::Boolean
            } else {
                ArrowType::Utf8
            };
            Field::new(*name, data_type, false)
        })
        .collect();
    let arrays: Vec<ArrayRef> = columns
        .iter()
        .enumerate()
        .map(|(i, name)| -> ArrayRef {
            if flags.contains(name) {
                Arc::new(BooleanArray::from(
                    rows.iter().map(|r| r[i] == "true").collect::<Vec<_>>(),
                ))
            } else {
                Arc::new(StringArray::from(
                    rows.iter().map(|r| r[i].clone()).collect::<Vec<_>>(),
                ))
            }
        })
        .collect();
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// Spark's `LIKE` patterns in SHOW: `*` matches anything, `|` separates alternatives, case
/// is ignored.
pub fn matches_pattern(pattern: Option<&str>, name: &str) -> bool {
    let Some(pattern) = pattern else {
        return true;
    };
    let name: Vec<char> = name.to_lowercase().chars().collect();
    pattern.split('|').any(|alternative| {
        let glob: Vec<char> = alternative.trim().to_lowercase().chars().collect();
        glob_matches(&glob, &name)
    })
}

fn glob_matches(glob: &[char], text: &[char]) -> bool {
    match glob.split_first() {
        None => text.is_empty(),
        Some(('*', rest)) => (0..=text.len()).any(|skip| glob_matches(rest, &text[skip..])),
        Some((c, rest)) => text
            .split_first()
            .is_some_and(|(t, tail)| t == c && glob_matches(rest, tail)),
    }
}

pub(crate) fn table_read(name: Vec<String>) -> Plan {
    Plan::new(Relation::Read(ReadSource::Table { name }))
}

impl Session {
    /// Runs a statement; the rows it answers with, if any.
    pub async fn run_statement(&self, statement: Statement) -> ExecResult<Option<RecordBatch>> {
        match statement {
            Statement::Query(_) => Err(ExecError::Unsupported(
                "running a query as a statement".into(),
            )),
            Statement::CreateDatabase {
                name,
                if_not_exists,
                location,
                comment,
            } => {
                self.create_database(&name, if_not_exists, location, comment)?;
                Ok(None)
            }
            Statement::DropDatabase {
                name,
                if_exists,
                cascade,
            } => {
                self.drop_database(&name, if_exists, cascade)?;
                Ok(None)
            }
            Statement::UseDatabase { name } => {
                self.set_current_database(&name)?;
                Ok(None)
            }
            Statement::CreateTable(definition) => {
                self.create_table(*definition).await?;
                Ok(None)
            }
            Statement::CreateView {
                name,
                query,
                query_text,
                replace,
                if_not_exists,
                temporary,
                global,
            } => {
                if !temporary {
                    self.create_persistent_view(&name, query, query_text, replace, if_not_exists)
                        .await?;
                    return Ok(None);
                }
                let view = match name.as_slice() {
                    [view] => view.clone(),
                    [database, view] if global && database.eq_ignore_ascii_case("global_temp") => {
                        view.clone()
                    }
                    _ => {
                        return Err(ExecError::Analysis(format!(
                            "[TEMP_VIEW_NAME_TOO_MANY_NAME_PARTS] CREATE TEMPORARY VIEW expects a single-part view name, but got: {}.",
                            name.join(".")
                        )))
                    }
                };
                if if_not_exists && self.view_exists(&view, global) {
                    return Ok(None);
                }
                self.create_view(&view, query, replace, global).await?;
                Ok(None)
            }
            Statement::Insert {
                table,
                columns,
                partition,
                query,
                overwrite,
            } => {
                let query = if columns.is_empty() {
                    query
                } else {
                    self.insert_by_name(&table, &columns, query).await?
                };
                self.write(WriteOperation {
                    input: query,
                    format: "parquet".into(),
                    path: None,
                    table: Some(table),
                    insert_into: true,
                    mode: if overwrite {
                        SaveMode::Overwrite
                    } else {
                        SaveMode::Append
                    },
                    partition_by: Vec::new(),
                    options: Vec::new(),
                    partition_values: partition,
                    overwrite_written_partitions: false,
                })
                .await?;
                Ok(None)
            }
            Statement::DropTable {
                name,
                if_exists,
                view,
            } => {
                let dropped = match name.as_slice() {
                    [database, temp] if view && database.eq_ignore_ascii_case("global_temp") => {
                        self.drop_view(temp, true)?
                    }
                    _ => self.drop_table(&name, view).await?,
                };
                if !dropped && !if_exists {
                    return Err(ember_resolve::ResolveError::TableNotFound(format!(
                        "`{}`",
                        name.join("`.`")
                    ))
                    .into());
                }
                Ok(None)
            }
            Statement::TruncateTable { name } => {
                // Overwriting with none of its own rows keeps the table's columns.
                self.write(WriteOperation {
                    input: Plan::new(Relation::Limit {
                        input: Box::new(table_read(name.clone())),
                        limit: 0,
                    }),
                    format: "parquet".into(),
                    path: None,
                    table: Some(name),
                    insert_into: false,
                    mode: SaveMode::Overwrite,
                    partition_by: Vec::new(),
                    options: Vec::new(),
                    partition_values: Vec::new(),
                    overwrite_written_partitions: false,
                })
                .await?;
                Ok(None)
            }
            Statement::Show(kind) => self.show(kind).await.map(Some),
            Statement::Set { key, value } => self.set(key, value).map(Some),
            Statement::Reset { key } => {
                self.with_config(|config| match key {
                    Some(key) => {
                        let default = SessionConfigValues::default();
                        match default.get(&key) {
                            Some(value) => config.set(&key, value),
                            None => config.unset(&key),
                        }
                    }
                    None => *config = SessionConfigValues::default(),
                });
                Ok(None)
            }
            Statement::CacheTable { name } => {
                self.cache_table(&name).await?;
                Ok(None)
            }
            Statement::RefreshTable { name } => {
                self.refresh_table(&name).await?;
                Ok(None)
            }
            Statement::UncacheTable { name, if_exists } => {
                match self.uncache_table(&name).await {
                    Err(_) if if_exists => {}
                    other => other?,
                }
                Ok(None)
            }
            Statement::ClearCache => {
                self.clear_cache();
                Ok(None)
            }
            Statement::DescribeTable { name, .. } => {
                let plan = self.logical_plan(table_read(name)).await?;
                describe(plan.schema().as_arrow()).map(Some)
            }
            Statement::DropFunction {
                name,
                temporary,
                if_exists,
            } => {
                self.drop_function(name, temporary, if_exists)?;
                Ok(None)
            }
            Statement::CreateFunction {
                function,
                temporary,
                replace,
                if_not_exists,
                text,
            } => {
                self.create_function(*function, temporary, replace, if_not_exists, text)
                    .await?;
                Ok(None)
            }
            Statement::CreateClassFunction {
                name,
                class_name,
                replace,
                if_not_exists,
            } => {
                self.create_class_function(&name, class_name, replace, if_not_exists)?;
                Ok(None)
            }
            Statement::DescribeFunction { name, extended } => {
                self.describe_function(&name, extended).map(Some)
            }
            Statement::DescribeDatabase { name, extended } => {
                self.describe_database(&name, extended).map(Some)
            }
            Statement::AlterTable { name, change } => {
                self.alter_table(&name, change).await?;
                Ok(None)
            }
            Statement::DescribeQuery(plan) => {
                let plan = self.logical_plan(plan).await?;
                describe(plan.schema().as_arrow()).map(Some)
            }
            Statement::Explain { plan, extended } => {
                let logical = self.logical_plan(plan).await?;
                let frame = self.context().execute_logical_plan(logical).await?;
                let physical = frame.clone().create_physical_plan().await?;
                let mut text = String::from("== Physical Plan ==\n");
                text.push_str(
                    &datafusion::physical_plan::displayable(physical.as_ref())
                        .indent(true)
                        .to_string(),
                );
                if extended {
                    text = format!(
                        "== Optimized Logical Plan ==\n{}\n\n{text}",
                        frame.into_optimized_plan()?.display_indent()
                    );
                }
                string_table(&["plan"], vec![vec![text]], &[]).map(Some)
            }
        }
    }

    async fn create_table(&self, definition: TableDefinition) -> ExecResult<()> {
        let warehouse = self.warehouse();
        let store = self.catalog_store();
        let mut definition = definition;
        let format = definition
            .format
            .clone()
            .unwrap_or_else(|| "parquet".into())
            .to_ascii_lowercase();
        // `OPTIONS (path '...')` is another way to say LOCATION.
        if let Some(index) = definition
            .options
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case("path"))
        {
            let (_, path) = definition.options.remove(index);
            definition.location.get_or_insert(path);
        }
        let (database, table) = warehouse.qualify(&definition.name)?;
        if !warehouse.database_exists(&database) {
            return Err(ExecError::DatabaseNotFound(database));
        }
        let exists = store.get(&definition.name)?.is_some()
            || warehouse.table_path(&definition.name)?.is_dir();
        if exists && definition.if_not_exists {
            return Ok(());
        }
        if exists && !definition.replace {
            return Err(ExecError::TableAlreadyExists(
                warehouse.display_name(&definition.name),
            ));
        }
        if exists {
            self.drop_table(&definition.name, false).await?;
        }
        let input = match (&definition.query, &definition.schema, &definition.like) {
            (Some(query), _, _) => Some(query.clone()),
            (None, Some(_), _) => None,
            (None, None, Some(source)) => Some(Plan::new(Relation::Limit {
                input: Box::new(table_read(source.clone())),
                limit: 0,
            })),
            (None, None, None) if definition.location.is_some() => None,
            (None, None, None) => {
                return Err(ExecError::Analysis(
                    "[PARSE_SYNTAX_ERROR] CREATE TABLE needs columns, AS SELECT or LIKE.".into(),
                ))
            }
        };
        let entry = TableEntry {
            name: table,
            database,
            kind: if definition.location.is_some() {
                TableKind::External
            } else {
                TableKind::Managed
            },
            format: format.clone(),
            location: definition.location.clone(),
            schema: definition.schema.as_ref().map(|s| s.ddl_string()),
            partition_by: definition.partition_by.clone(),
            options: definition.options.clone(),
            properties: definition.properties.clone(),
            comment: definition.comment.clone(),
            view_text: None,
        };
        match (input, &definition.location) {
            // Declared columns and no rows: the entry says it all; a managed parquet table
            // also gets an empty file, so plain readers of its directory see the columns.
            (None, location) => {
                if location.is_none() && format == "parquet" {
                    if let Some(schema) = &definition.schema {
                        self.write(WriteOperation {
                            input: Plan::new(Relation::LocalRelation {
                                arrow_ipc: None,
                                schema: Some(schema.clone()),
                            }),
                            format: format.clone(),
                            path: None,
                            table: Some(definition.name.clone()),
                            insert_into: false,
                            mode: SaveMode::ErrorIfExists,
                            partition_by: Vec::new(),
                            options: definition.options.clone(),
                            partition_values: Vec::new(),
                            overwrite_written_partitions: false,
                        })
                        .await?;
                    }
                }
                if let Some(location) = location {
                    let path =
                        std::path::Path::new(location.strip_prefix("file:").unwrap_or(location));
                    std::fs::create_dir_all(path).map_err(|source| ExecError::Io {
                        path: location.clone(),
                        source,
                    })?;
                }
                store.put(&entry)
            }
            (Some(input), Some(location)) => {
                self.write(WriteOperation {
                    input,
                    format,
                    path: Some(location.clone()),
                    table: None,
                    insert_into: false,
                    mode: SaveMode::ErrorIfExists,
                    partition_by: definition.partition_by.clone(),
                    options: definition.options.clone(),
                    partition_values: Vec::new(),
                    overwrite_written_partitions: false,
                })
                .await?;
                store.put(&entry)
            }
            (Some(input), None) => {
                self.write(WriteOperation {
                    input,
                    format,
                    path: None,
                    table: Some(definition.name.clone()),
                    insert_into: false,
                    mode: SaveMode::ErrorIfExists,
                    partition_by: definition.partition_by.clone(),
                    options: definition.options.clone(),
                    partition_values: Vec::new(),
                    overwrite_written_partitions: false,
                })
                .await
            }
        }
    }

    /// `INSERT INTO t (b, a) ...`: the rows rearranged into the table's column order, with
    /// NULL for the columns the list leaves out.
    pub(crate) async fn insert_by_name(
        &self,
        table: &[String],
        columns: &[String],
        query: Plan,
    ) -> ExecResult<Plan> {
        let target = self.logical_plan(table_read(table.to_vec())).await?;
        let names: Vec<String> = target
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        for (index, column) in columns.iter().enumerate() {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(column)) {
                return Err(ember_resolve::ResolveError::UnresolvedColumn {
                    name: format!("`{column}`"),
                    suggestions: names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                }
                .into());
            }
            if columns[..index]
                .iter()
                .any(|c| c.eq_ignore_ascii_case(column))
            {
                return Err(ExecError::Analysis(format!(
                    "[COLUMN_ALREADY_EXISTS] The column `{column}` already exists. Choose another name or rename the existing column."
                )));
            }
        }
        let positions: Vec<String> = (0..columns.len())
            .map(|i| format!("__insert_{i}"))
            .collect();
        let renamed = Plan::new(Relation::ToDf {
            input: Box::new(query),
            names: positions.clone(),
        });
        let expressions = names
            .iter()
            .map(|name| {
                let value = match columns.iter().position(|c| c.eq_ignore_ascii_case(name)) {
                    Some(index) => ember_spec::Expr::Column {
                        name: vec![positions[index].clone()],
                        plan_id: None,
                    },
                    None => ember_spec::Expr::Literal(ember_spec::Literal::Null(
                        ember_spec::DataType::Null,
                    )),
                };
                ember_spec::Expr::Alias {
                    expr: Box::new(value),
                    name: vec![name.clone()],
                    metadata: None,
                }
            })
            .collect();
        Ok(Plan::new(Relation::Project {
            input: Box::new(renamed),
            expressions,
        }))
    }

    /// `CREATE VIEW`: the query's text goes on record and is analyzed again at each use.
    async fn create_persistent_view(
        &self,
        name: &[String],
        query: Plan,
        text: String,
        replace: bool,
        if_not_exists: bool,
    ) -> ExecResult<()> {
        let warehouse = self.warehouse();
        let store = self.catalog_store();
        let (database, view) = warehouse.qualify(name)?;
        if !warehouse.database_exists(&database) {
            return Err(ExecError::DatabaseNotFound(database));
        }
        let existing = store.get(name)?;
        match &existing {
            Some(_) if if_not_exists => return Ok(()),
            Some(entry) if entry.kind == TableKind::View && replace => {}
            Some(_) => return Err(ExecError::TableAlreadyExists(warehouse.display_name(name))),
            None if warehouse.table_path(name)?.is_dir() => {
                return Err(ExecError::TableAlreadyExists(warehouse.display_name(name)))
            }
            None => {}
        }
        // The query must make sense now, as in Spark.
        self.logical_plan(query).await?;
        store.put(&TableEntry {
            name: view,
            database,
            kind: TableKind::View,
            format: String::new(),
            location: None,
            schema: None,
            partition_by: Vec::new(),
            options: Vec::new(),
            properties: Vec::new(),
            comment: None,
            view_text: Some(text),
        })
    }

    /// The session's functions (scalar, aggregate, window) matching a SHOW-style pattern,
    /// sorted.
    pub fn function_names(&self, pattern: Option<&str>) -> Vec<String> {
        let state = self.context().state();
        let mut names: Vec<String> = state
            .scalar_functions()
            .keys()
            .chain(state.aggregate_functions().keys())
            .chain(state.window_functions().keys())
            .filter(|n| matches_pattern(pattern, n))
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// A database's tables and views: recorded entries and bare table directories.
    pub fn catalog_tables(&self, database: &str) -> Vec<(String, TableKind)> {
        let mut tables: Vec<(String, TableKind)> = self
            .catalog_store()
            .entries(database)
            .into_iter()
            .map(|e| (e.name, e.kind))
            .collect();
        for name in self.warehouse().tables(database) {
            if !tables.iter().any(|(n, _)| *n == name) {
                tables.push((name, TableKind::Managed));
            }
        }
        tables.sort_by(|a, b| a.0.cmp(&b.0));
        tables
    }

    async fn show(&self, kind: ShowKind) -> ExecResult<RecordBatch> {
        let warehouse = self.warehouse();
        match kind {
            ShowKind::Databases { pattern } => {
                let rows = warehouse
                    .databases()
                    .into_iter()
                    .filter(|d| matches_pattern(pattern.as_deref(), d))
                    .map(|d| vec![d])
                    .collect();
                string_table(&["namespace"], rows, &[])
            }
            ShowKind::Tables { database, pattern } => {
                let database = database.unwrap_or_else(|| warehouse.current_database().into());
                if !warehouse.database_exists(&database) {
                    return Err(ExecError::DatabaseNotFound(database));
                }
                let mut rows: Vec<Vec<String>> = self
                    .catalog_tables(&database)
                    .into_iter()
                    .filter(|(t, _)| matches_pattern(pattern.as_deref(), t))
                    .map(|(t, _)| vec![database.clone(), t, "false".into()])
                    .collect();
                for view in self.table_names() {
                    if matches_pattern(pattern.as_deref(), &view) {
                        rows.push(vec![String::new(), view, "true".into()]);
                    }
                }
                string_table(
                    &["namespace", "tableName", "isTemporary"],
                    rows,
                    &["isTemporary"],
                )
            }
            ShowKind::Views { pattern, .. } => {
                let rows = self
                    .table_names()
                    .into_iter()
                    .filter(|v| matches_pattern(pattern.as_deref(), v))
                    .map(|v| vec![String::new(), v, "true".into()])
                    .collect();
                string_table(
                    &["namespace", "viewName", "isTemporary"],
                    rows,
                    &["isTemporary"],
                )
            }
            ShowKind::Columns { table } => {
                let plan = self.logical_plan(table_read(table)).await?;
                let rows = plan
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| vec![f.name().clone()])
                    .collect();
                string_table(&["col_name"], rows, &[])
            }
            ShowKind::Functions { pattern, scope } => {
                let names = self.listed_functions(pattern.as_deref(), scope);
                string_table(
                    &["function"],
                    names.into_iter().map(|n| vec![n]).collect(),
                    &[],
                )
            }
            ShowKind::CurrentDatabase => string_table(
                &["current_database()"],
                vec![vec![warehouse.current_database().to_string()]],
                &[],
            ),
            ShowKind::TableProperties { table, key } => {
                let entry = self.catalog_store().get(&table)?.ok_or_else(|| {
                    ember_resolve::ResolveError::TableNotFound(warehouse.display_name(&table))
                })?;
                let rows = match key {
                    Some(key) => {
                        let value = entry
                            .properties
                            .iter()
                            .find(|(k, _)| *k == key)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_else(|| {
                                format!(
                                    "Table {} does not have property: {key}",
                                    warehouse.display_name(&table)
                                )
                            });
                        vec![vec![key, value]]
                    }
                    None => {
                        let mut properties = entry.properties.clone();
                        properties.sort();
                        properties.into_iter().map(|(k, v)| vec![k, v]).collect()
                    }
                };
                string_table(&["key", "value"], rows, &[])
            }
            ShowKind::CreateTable { table } => {
                let text = self.create_table_text(&table).await?;
                string_table(&["createtab_stmt"], vec![vec![text]], &[])
            }
            ShowKind::Partitions { table, partition } => {
                let entry = self.catalog_store().get(&table)?.ok_or_else(|| {
                    ember_resolve::ResolveError::TableNotFound(warehouse.display_name(&table))
                })?;
                let rows = self
                    .table_partitions(&entry, &table)?
                    .into_iter()
                    .filter(|p| p.matches(&partition))
                    .map(|p| vec![p.spec()])
                    .collect();
                string_table(&["partition"], rows, &[])
            }
        }
    }

    fn set(&self, key: Option<String>, value: Option<String>) -> ExecResult<RecordBatch> {
        let rows = self.with_config(|config| -> ExecResult<Vec<Vec<String>>> {
            match (key, value) {
                (Some(key), Some(value)) => {
                    if !SessionConfigValues::is_modifiable(&key) {
                        return Err(ExecError::Analysis(format!(
                            "[CANNOT_MODIFY_CONFIG] Cannot modify the value of the static Spark config: \"{key}\"."
                        )));
                    }
                    config.set(&key, &value);
                    Ok(vec![vec![key, value]])
                }
                (Some(key), None) => {
                    let value = config.get(&key).unwrap_or("<undefined>").to_string();
                    Ok(vec![vec![key, value]])
                }
                (None, _) => Ok(config
                    .all()
                    .map(|(k, v)| vec![k.clone(), v.clone()])
                    .collect()),
            }
        })?;
        string_table(&["key", "value"], rows, &[])
    }
}

/// DESCRIBE: one row per column, as Spark shows it (no comments yet).
fn describe(schema: &Schema) -> ExecResult<RecordBatch> {
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let types: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| ember_resolve::from_arrow(f.data_type()).simple_string())
        .collect();
    let comments: Vec<Option<String>> = vec![None; names.len()];
    let output = Schema::new(vec![
        Field::new("col_name", ArrowType::Utf8, false),
        Field::new("data_type", ArrowType::Utf8, false),
        Field::new("comment", ArrowType::Utf8, true),
    ]);
    Ok(RecordBatch::try_new(
        Arc::new(output),
        vec![
            Arc::new(StringArray::from(names)),
            Arc::new(StringArray::from(types)),
            Arc::new(StringArray::from(comments)),
        ],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_patterns_are_spark_globs() {
        assert!(matches_pattern(Some("sales*"), "sales_2024"));
        assert!(matches_pattern(Some("a|b*"), "bee"));
        assert!(!matches_pattern(Some("a|b*"), "cab"));
        assert!(matches_pattern(None, "anything"));
        assert!(!matches_pattern(Some("t.x"), "tax"));
    }
}
