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

fn strip_default(name: &str) -> (bool, String) {
    let parts: Vec<&str> = name.split('.').collect();
    match parts.as_slice() {
        ["global_temp", view] => (true, view.to_string()),
        [.., last] => (false, last.to_string()),
        [] => (false, String::new()),
    }
}

pub async fn run_catalog(session: &Session, catalog: &Catalog) -> ConnectResult<RecordBatch> {
    match required(catalog.cat_type.as_ref(), "catalog.cat_type")? {
        CatType::CurrentDatabase(_) => single(
            "current_database()",
            Arc::new(StringArray::from(vec!["default"])),
        ),
        CatType::CurrentCatalog(_) => single(
            "current_catalog()",
            Arc::new(StringArray::from(vec!["spark_catalog"])),
        ),
        CatType::SetCurrentDatabase(_) | CatType::SetCurrentCatalog(_) => {
            Err(ConnectError::Unsupported("switching databases".into()))
        }
        CatType::ListDatabases(_) => {
            let schema = Arc::new(Schema::new(vec![
                Field::new("name", ArrowType::Utf8, false),
                Field::new("catalog", ArrowType::Utf8, true),
                Field::new("description", ArrowType::Utf8, true),
                Field::new("locationUri", ArrowType::Utf8, false),
            ]));
            Ok(RecordBatch::try_new(
                schema,
                vec![
                    Arc::new(StringArray::from(vec!["default"])),
                    Arc::new(StringArray::from(vec!["spark_catalog"])),
                    Arc::new(StringArray::from(vec!["default database"])),
                    Arc::new(StringArray::from(vec![""])),
                ],
            )?)
        }
        CatType::ListTables(list) => {
            let mut names = session.table_names();
            if let Some(pattern) = &list.pattern {
                let pattern = pattern.replace('*', "");
                names.retain(|n| n.contains(&pattern));
            }
            let count = names.len();
            let mut namespace = ListBuilder::new(StringBuilder::new());
            for _ in 0..count {
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
                    Arc::new(StringArray::from(names)),
                    Arc::new(StringArray::from(vec![None::<String>; count])),
                    Arc::new(namespace.finish()),
                    Arc::new(StringArray::from(vec![None::<String>; count])),
                    Arc::new(StringArray::from(vec!["TEMPORARY"; count])),
                    Arc::new(BooleanArray::from(vec![true; count])),
                ],
            )?)
        }
        CatType::TableExists(exists) => {
            let (global, name) = strip_default(&exists.table_name);
            single(
                "tableExists",
                Arc::new(BooleanArray::from(vec![session.view_exists(&name, global)])),
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
            Arc::new(BooleanArray::from(vec![exists.db_name == "default"])),
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
