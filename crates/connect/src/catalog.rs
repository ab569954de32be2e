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

/// A temp view (`v`, `global_temp.v`) or a catalog table of that name.
fn table_exists(session: &Session, name: &[String]) -> bool {
    match name {
        [view] if session.view_exists(view, false) => return true,
        [database, view] if database.eq_ignore_ascii_case("global_temp") => {
            return session.view_exists(view, true)
        }
        _ => {}
    }
    session
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
            single("result", Arc::new(StringArray::from(Vec::<String>::new())))
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
            let warehouse = session.warehouse();
            let mut names = warehouse.databases();
            if let Some(pattern) = &list.pattern {
                names.retain(|n| ember_exec::matches_pattern(Some(pattern), n));
            }
            let locations: Vec<String> = names
                .iter()
                .map(|n| location_uri(&warehouse.database_path(n)))
                .collect();
            let descriptions: Vec<Option<String>> = names
                .iter()
                .map(|n| {
                    (n == ember_resolve::DEFAULT_DATABASE).then(|| "default database".to_string())
                })
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
        CatType::ListTables(list) => {
            let warehouse = session.warehouse();
            let database = list
                .db_name
                .clone()
                .unwrap_or_else(|| warehouse.current_database().to_string());
            if !warehouse.database_exists(&database) {
                return Err(ember_exec::ExecError::DatabaseNotFound(database).into());
            }
            // (name, namespace, is temporary): the database's tables, then temp views.
            let mut entries: Vec<(String, Option<String>, bool)> = warehouse
                .tables(&database)
                .into_iter()
                .map(|t| (t, Some(database.clone()), false))
                .collect();
            entries.extend(session.table_names().into_iter().map(|v| (v, None, true)));
            if let Some(pattern) = &list.pattern {
                entries.retain(|(n, _, _)| ember_exec::matches_pattern(Some(pattern), n));
            }
            let count = entries.len();
            let mut namespace = ListBuilder::new(StringBuilder::new());
            for (_, database, _) in &entries {
                if let Some(database) = database {
                    namespace.values().append_value(database);
                }
                namespace.append(true);
            }
            let schema = Arc::new(Schema::new(vec![
                Field::new("name", ArrowType::Utf8, false),
                Field::new("catalog", ArrowType::Utf8, true),
                Field::new(
                    "namespace",
                    ArrowType::List(Arc::new(Field::new("item", ArrowType::Utf8, true))),
                    true,
                ),
                Field::new("description", ArrowType::Utf8, true),
                Field::new("tableType", ArrowType::Utf8, false),
                Field::new("isTemporary", ArrowType::Boolean, false),
            ]));
            Ok(RecordBatch::try_new(
                schema,
                vec![
                    Arc::new(StringArray::from(
                        entries.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
                    )),
                    Arc::new(StringArray::from(
                        entries
                            .iter()
                            .map(|e| e.1.as_ref().map(|_| ember_resolve::CATALOG_NAME))
                            .collect::<Vec<_>>(),
                    )),
                    Arc::new(namespace.finish()),
                    Arc::new(StringArray::from(vec![None::<String>; count])),
                    Arc::new(StringArray::from(
                        entries
                            .iter()
                            .map(|e| if e.2 { "TEMPORARY" } else { "MANAGED" })
                            .collect::<Vec<_>>(),
                    )),
                    Arc::new(BooleanArray::from(
                        entries.iter().map(|e| e.2).collect::<Vec<_>>(),
                    )),
                ],
            )?)
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
                .database_exists(&exists.db_name)])),
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
