//! `spark.catalog`: answered from the session's views, as small Arrow tables.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, ListBuilder, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType as ArrowType, Field, Schema};
use ember_exec::Session;
use ember_proto::spark::connect::catalog::CatType;
use ember_proto::spark::connect::Catalog;
use ember_spec::{Plan, ReadSource, Relation};

use crate::convert::required;
use crate::error::{ConnectError, ConnectResult};

fn single(name: &str, array: ArrayRef) -> ConnectResult<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![Field::new(
        name,
        array.data_type().clone(),
        true,
    )]));
    Ok(RecordBatch::try_new(schema, vec![array])?)
}

/// One row of `listTables` / `getTable`.
struct TableRow {
    name: String,
    /// `None` for temp views.
    database: Option<String>,
    kind: &'static str,
}

fn table_row(session: &Session, name: &[String]) -> ConnectResult<TableRow> {
    if let [view] = name {
        if session.view_exists(view, false) {
            return Ok(TableRow {
                name: view.clone(),
                database: None,
                kind: "TEMPORARY",
            });
        }
    }
    let warehouse = session.warehouse();
    let (database, table) = warehouse.qualify(name)?;
    let kind = match session.catalog_store().get(name)? {
        Some(entry) => entry.kind.spark_name(),
        None if warehouse.table_path(name)?.is_dir() => "MANAGED",
        None => {
            return Err(ember_resolve::ResolveError::TableNotFound(format!(
                "`{}`",
                name.join("`.`")
            ))
            .into())
        }
    };
    Ok(TableRow {
        name: table,
        database: Some(database),
        kind,
    })
}

fn table_rows(rows: &[TableRow]) -> ConnectResult<RecordBatch> {
    let count = rows.len();
    let mut namespace = ListBuilder::new(StringBuilder::new());
    for row in rows {
        if let Some(database) = &row.database {
            namespace.values().append_value(database);
        }
        namespace.append(true);
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("name", ArrowType::Utf8, false),
        Field::new("catalog", ArrowType::Utf8, true),
        namespace_field(),
        Field::new("description", ArrowType::Utf8, true),
        Field::new("tableType", ArrowType::Utf8, false),
        Field::new("isTemporary", ArrowType::Boolean, false),
    ]));
    Ok(RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(
                rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                rows.iter()
                    .map(|r| r.database.as_ref().map(|_| ember_resolve::CATALOG_NAME))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(namespace.finish()),
            Arc::new(StringArray::from(vec![None::<String>; count])),
            Arc::new(StringArray::from(
                rows.iter().map(|r| r.kind).collect::<Vec<_>>(),
            )),
            Arc::new(BooleanArray::from(
                rows.iter()
                    .map(|r| r.database.is_none())
                    .collect::<Vec<_>>(),
            )),
        ],
    )?)
}

/// `listDatabases` / `getDatabase` rows.
fn database_rows(session: &Session, names: Vec<String>) -> ConnectResult<RecordBatch> {
    let warehouse = session.warehouse();
    let locations: Vec<String> = names
        .iter()
        .map(|n| location_uri(&warehouse.database_path(n)))
        .collect();
    let descriptions: Vec<Option<String>> = names
        .iter()
        .map(|n| (n == ember_resolve::DEFAULT_DATABASE).then(|| "default database".to_string()))
        .collect();
    let count = names.len();
    let schema = Arc::new(Schema::new(vec![
        Field::new("name", ArrowType::Utf8, false),
        Field::new("catalog", ArrowType::Utf8, true),
        Field::new("description", ArrowType::Utf8, true),
        Field::new("locationUri", ArrowType::Utf8, false),
    ]));
    Ok(RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(names)),
            Arc::new(StringArray::from(vec![ember_resolve::CATALOG_NAME; count])),
            Arc::new(StringArray::from(descriptions)),
            Arc::new(StringArray::from(locations)),
        ],
    )?)
}

/// Spark's `namespace` column: a list of names.
fn namespace_field() -> Field {
    Field::new(
        "namespace",
        ArrowType::List(Arc::new(Field::new("item", ArrowType::Utf8, true))),
        true,
    )
}

/// Rows of `spark.catalog.Function`: name, catalog, namespace, description, class, temporary.
fn function_rows(infos: &[ember_exec::FunctionInfo]) -> ConnectResult<RecordBatch> {
    let mut namespace = ListBuilder::new(StringBuilder::new());
    for info in infos {
        for part in &info.namespace {
            namespace.values().append_value(part);
        }
        namespace.append(!info.namespace.is_empty());
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("name", ArrowType::Utf8, false),
        Field::new("catalog", ArrowType::Utf8, true),
        namespace_field(),
        Field::new("description", ArrowType::Utf8, true),
        Field::new("className", ArrowType::Utf8, false),
        Field::new("isTemporary", ArrowType::Boolean, false),
    ]));
    Ok(RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from_iter_values(infos.iter().map(|i| &i.name))),
            Arc::new(StringArray::from_iter(
                infos.iter().map(|i| i.catalog.clone()),
            )),
            Arc::new(namespace.finish()),
            Arc::new(StringArray::from_iter(
                infos.iter().map(|i| i.description.clone()),
            )),
            Arc::new(StringArray::from_iter_values(
                infos.iter().map(|i| &i.class_name),
            )),
            Arc::new(BooleanArray::from_iter(
                infos.iter().map(|i| Some(i.is_temporary)),
            )),
        ],
    )?)
}

fn empty_result() -> ConnectResult<RecordBatch> {
    single("result", Arc::new(StringArray::from(Vec::<String>::new())))
}

/// `db` or `spark_catalog.db`.
fn database_name(text: &str) -> String {
    let parts = ember_sql_identifier(text);
    match parts.as_slice() {
        [catalog, database] if catalog.eq_ignore_ascii_case(ember_resolve::CATALOG_NAME) => {
            database.clone()
        }
        _ => parts.join("."),
    }
}

/// A temp view (`v`, `global_temp.v`) or a catalog table of that name.
fn table_exists(session: &Session, name: &[String]) -> bool {
    match name {
        [view] if session.view_exists(view, false) => return true,
        [database, view] if database.eq_ignore_ascii_case("global_temp") => {
            return session.view_exists(view, true)
        }
        _ => {}
    }
    let recorded = session.catalog_store().get(name).ok().flatten().is_some();
    recorded
        || session
            .warehouse()
            .table_path(name)
            .map(|path| path.is_dir())
            .unwrap_or(false)
}

fn location_uri(path: &std::path::Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file:{}", absolute.display())
}

pub async fn run_catalog(session: &Session, catalog: &Catalog) -> ConnectResult<RecordBatch> {
    match required(catalog.cat_type.as_ref(), "catalog.cat_type")? {
        CatType::CurrentDatabase(_) => single(
            "current_database()",
            Arc::new(StringArray::from(vec![session.current_database()])),
        ),
        CatType::CurrentCatalog(_) => single(
            "current_catalog()",
            Arc::new(StringArray::from(vec![ember_resolve::CATALOG_NAME])),
        ),
        CatType::SetCurrentDatabase(set) => {
            session.set_current_database(&set.db_name)?;
            empty_result()
        }
        CatType::SetCurrentCatalog(set) => {
            if !set
                .catalog_name
                .eq_ignore_ascii_case(ember_resolve::CATALOG_NAME)
            {
                return Err(ConnectError::InvalidPlan(format!(
                    "[CATALOG_NOT_FOUND] The catalog `{}` not found.",
                    set.catalog_name
                )));
            }
            single("result", Arc::new(StringArray::from(Vec::<String>::new())))
        }
        CatType::ListDatabases(list) => {
            let mut names = session.warehouse().databases();
            if let Some(pattern) = &list.pattern {
                names.retain(|n| ember_exec::matches_pattern(Some(pattern), n));
            }
            database_rows(session, names)
        }
        CatType::ListTables(list) => {
            let warehouse = session.warehouse();
            let database = list
                .db_name
                .clone()
                .unwrap_or_else(|| warehouse.current_database().to_string());
            if !warehouse.database_exists(&database) {
                return Err(ember_exec::ExecError::DatabaseNotFound(database).into());
            }
            let mut entries: Vec<TableRow> = session
                .catalog_tables(&database)
                .into_iter()
                .map(|(name, kind)| TableRow {
                    name,
                    database: Some(database.clone()),
                    kind: kind.spark_name(),
                })
                .collect();
            entries.extend(session.table_names().into_iter().map(|name| TableRow {
                name,
                database: None,
                kind: "TEMPORARY",
            }));
            if let Some(pattern) = &list.pattern {
                entries.retain(|e| ember_exec::matches_pattern(Some(pattern), &e.name));
            }
            table_rows(&entries)
        }
        CatType::GetTable(get) => {
            let mut name = ember_sql_identifier(&get.table_name);
            if let Some(database) = &get.db_name {
                name.insert(0, database.clone());
            }
            let row = table_row(session, &name)?;
            table_rows(&[row])
        }
        CatType::GetDatabase(get) => {
            let name = database_name(&get.db_name);
            if !session.warehouse().database_exists(&name) {
                return Err(ember_exec::ExecError::DatabaseNotFound(name).into());
            }
            database_rows(session, vec![name])
        }
        CatType::ListCatalogs(list) => {
            let mut names = vec![ember_resolve::CATALOG_NAME.to_string()];
            if let Some(pattern) = &list.pattern {
                names.retain(|n| ember_exec::matches_pattern(Some(pattern), n));
            }
            let count = names.len();
            let schema = Arc::new(Schema::new(vec![
                Field::new("name", ArrowType::Utf8, false),
                Field::new("description", ArrowType::Utf8, true),
            ]));
            Ok(RecordBatch::try_new(
                schema,
                vec![
                    Arc::new(StringArray::from(names)),
                    Arc::new(StringArray::from(vec![None::<String>; count])),
                ],
            )?)
        }
        CatType::CacheTable(cache) => {
            session
                .cache_table(&ember_sql_identifier(&cache.table_name))
                .await?;
            empty_result()
        }
        CatType::UncacheTable(cache) => {
            session
                .uncache_table(&ember_sql_identifier(&cache.table_name))
                .await?;
            empty_result()
        }
        CatType::IsCached(cached) => {
            let cached = session
                .is_cached(&ember_sql_identifier(&cached.table_name))
                .await?;
            single("isCached", Arc::new(BooleanArray::from(vec![cached])))
        }
        CatType::ClearCache(_) => {
            session.clear_cache();
            empty_result()
        }
        CatType::RefreshTable(refresh) => {
            session
                .refresh_table(&ember_sql_identifier(&refresh.table_name))
                .await?;
            empty_result()
        }
        CatType::RefreshByPath(refresh) => {
            session.refresh_by_path(&refresh.path);
            empty_result()
        }
        // Partition directories are found at every read; the table must exist.
        CatType::RecoverPartitions(recover) => {
            session
                .logical_plan(Plan::new(Relation::Read(ReadSource::Table {
                    name: ember_sql_identifier(&recover.table_name),
                })))
                .await?;
            empty_result()
        }
        CatType::ListFunctions(list) => {
            let infos: Vec<ember_exec::FunctionInfo> = session
                .function_names(list.pattern.as_deref())
                .into_iter()
                .map(|name| ember_exec::FunctionInfo {
                    name,
                    catalog: None,
                    namespace: Vec::new(),
                    description: None,
                    class_name: String::new(),
                    is_temporary: true,
                })
                .collect();
            function_rows(&infos)
        }
        CatType::GetFunction(get) => {
            let mut name = ember_sql_identifier(&get.function_name);
            if let Some(database) = &get.db_name {
                name.insert(0, database.clone());
            }
            function_rows(&[session.function_info(&name)?])
        }
        CatType::CreateTable(create) => {
            let schema = create
                .schema
                .as_ref()
                .map(crate::convert::data_type_from_proto)
                .transpose()?;
            let mut options: Vec<(String, String)> = create
                .options
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            options.sort();
            let definition = ember_spec::TableDefinition {
                name: ember_sql_identifier(&create.table_name),
                if_not_exists: false,
                replace: false,
                schema,
                format: create.source.clone(),
                partition_by: Vec::new(),
                location: create.path.clone(),
                comment: create.description.clone(),
                properties: Vec::new(),
                options,
                query: None,
                like: None,
            };
            let name = definition.name.clone();
            session
                .run_statement(ember_spec::Statement::CreateTable(Box::new(definition)))
                .await?;
            let row = table_row(session, &name)?;
            table_rows(&[row])
        }
        CatType::FunctionExists(exists) => {
            let name = exists.function_name.to_ascii_lowercase();
            let found = session.function_names(None).contains(&name);
            single("functionExists", Arc::new(BooleanArray::from(vec![found])))
        }
        CatType::TableExists(exists) => {
            let mut name = ember_sql_identifier(&exists.table_name);
            if let Some(database) = &exists.db_name {
                name.insert(0, database.clone());
            }
            single(
                "tableExists",
                Arc::new(BooleanArray::from(vec![table_exists(session, &name)])),
            )
        }
        CatType::DropTempView(drop) => {
            let dropped = session.drop_view(&drop.view_name, false)?;
            single("dropTempView", Arc::new(BooleanArray::from(vec![dropped])))
        }
        CatType::DropGlobalTempView(drop) => {
            let dropped = session.drop_view(&drop.view_name, true)?;
            single(
                "dropGlobalTempView",
                Arc::new(BooleanArray::from(vec![dropped])),
            )
        }
        CatType::ListColumns(list) => {
            let name = ember_sql_identifier(&list.table_name);
            let plan = Plan::new(Relation::Read(ReadSource::Table { name }));
            let logical = session.logical_plan(plan).await?;
            let fields: Vec<(String, String, bool)> = logical
                .schema()
                .fields()
                .iter()
                .map(|f| {
                    (
                        f.name().clone(),
                        ember_resolve::from_arrow(f.data_type()).simple_string(),
                        f.is_nullable(),
                    )
                })
                .collect();
            let count = fields.len();
            let schema = Arc::new(Schema::new(vec![
                Field::new("name", ArrowType::Utf8, false),
                Field::new("description", ArrowType::Utf8, true),
                Field::new("dataType", ArrowType::Utf8, false),
                Field::new("nullable", ArrowType::Boolean, false),
                Field::new("isPartition", ArrowType::Boolean, false),
                Field::new("isBucket", ArrowType::Boolean, false),
                Field::new("isCluster", ArrowType::Boolean, false),
            ]));
            Ok(RecordBatch::try_new(
                schema,
                vec![
                    Arc::new(StringArray::from(
                        fields.iter().map(|f| f.0.clone()).collect::<Vec<_>>(),
                    )),
                    Arc::new(StringArray::from(vec![None::<String>; count])),
                    Arc::new(StringArray::from(
                        fields.iter().map(|f| f.1.clone()).collect::<Vec<_>>(),
                    )),
                    Arc::new(BooleanArray::from(
                        fields.iter().map(|f| f.2).collect::<Vec<_>>(),
                    )),
                    Arc::new(BooleanArray::from(vec![false; count])),
                    Arc::new(BooleanArray::from(vec![false; count])),
                    Arc::new(BooleanArray::from(vec![false; count])),
                ],
            )?)
        }
        CatType::DatabaseExists(exists) => single(
            "databaseExists",
            Arc::new(BooleanArray::from(vec![session
                .warehouse()
                .database_exists(&database_name(&exists.db_name))])),
        ),
        other => {
            let name = format!("{other:?}");
            Err(ConnectError::Unsupported(format!(
                "catalog operation {}",
                name.split(['(', ' ']).next().unwrap_or("")
            )))
        }
    }
}

fn ember_sql_identifier(text: &str) -> Vec<String> {
    text.split('.')
        .map(|p| p.trim_matches('`').to_string())
        .collect()
}
