//! `ALTER TABLE`: renames, table properties and new columns, kept in the catalog entry; a
//! managed table's directory moves with its name.

use ember_resolve::ResolveError;
use ember_spec::TableChange;

use crate::catalog_store::{TableEntry, TableKind};
use crate::{ExecError, ExecResult, Session};

impl Session {
    pub(crate) async fn alter_table(&self, name: &[String], change: TableChange) -> ExecResult<()> {
        if let (TableChange::RenameTo(new_name), [single]) = (&change, name) {
            // A temp view of that name is what the statement means, as in Spark.
            if self.view_exists(single, false) {
                return self.rename_temp_view(single, new_name);
            }
        }
        let store = self.catalog_store();
        let warehouse = self.warehouse();
        let mut entry = store
            .get(name)?
            .ok_or_else(|| ResolveError::TableNotFound(warehouse.display_name(name)))?;
        match change {
            TableChange::RenameTo(new_name) => {
                let new_name = match new_name.as_slice() {
                    // A bare new name stays in the table's database.
                    [table] => vec![entry.database.clone(), table.clone()],
                    _ => new_name,
                };
                if store.get(&new_name)?.is_some() {
                    return Err(ExecError::TableAlreadyExists(
                        warehouse.display_name(&new_name),
                    ));
                }
                let (database, table) = warehouse.qualify(&new_name)?;
                if !warehouse.database_exists(&database) {
                    return Err(ExecError::DatabaseNotFound(database));
                }
                let renamed = TableEntry {
                    name: table,
                    database,
                    ..entry.clone()
                };
                if entry.kind == TableKind::Managed && entry.location.is_none() {
                    let from = store.data_path(&entry)?;
                    let to = store.data_path(&renamed)?;
                    if to.exists() {
                        return Err(ExecError::TableAlreadyExists(
                            warehouse.display_name(&new_name),
                        ));
                    }
                    if from.exists() {
                        std::fs::rename(&from, &to).map_err(|source| ExecError::Io {
                            path: from.display().to_string(),
                            source,
                        })?;
                    }
                }
                store.put(&renamed)?;
                store.remove(name)?;
                self.forget_cached_table(name);
                return Ok(());
            }
            TableChange::SetProperties(properties) => {
                for (key, value) in properties {
                    entry.properties.retain(|(k, _)| *k != key);
                    entry.properties.push((key, value));
                }
            }
            // Spark 4 ignores keys the table does not have, with or without IF EXISTS.
            TableChange::UnsetProperties { keys, .. } => {
                entry.properties.retain(|(k, _)| !keys.contains(k));
            }
            TableChange::AddColumns(columns) => {
                let Some(schema_text) = &entry.schema else {
                    return Err(ExecError::Unsupported(
                        "ADD COLUMNS on a partitioned table".into(),
                    ));
                };
                let ember_spec::DataType::Struct(mut fields) =
                    ember_sql::parse_data_type(schema_text).map_err(|e| {
                        ExecError::Analysis(format!("the recorded schema of the table: {e}"))
                    })?
                else {
                    return Err(ExecError::Analysis(
                        "the recorded schema of the table is not a struct".into(),
                    ));
                };
                for (column, data_type) in columns {
                    if fields.iter().any(|f| f.name.eq_ignore_ascii_case(&column)) {
                        return Err(ExecError::Analysis(format!(
                            "[COLUMN_ALREADY_EXISTS] The column `{column}` already exists. Choose another name or rename the existing column."
                        )));
                    }
                    fields.push(ember_spec::StructField {
                        name: column,
                        data_type,
                        nullable: true,
                        metadata: None,
                    });
                }
                entry.schema = Some(ember_spec::DataType::Struct(fields).simple_string());
            }
        }
        store.put(&entry)?;
        self.forget_cached_table(name);
        Ok(())
    }

    fn rename_temp_view(&self, name: &str, new_name: &[String]) -> ExecResult<()> {
        let [new_name] = new_name else {
            return Err(ExecError::Analysis(
                "[INVALID_TEMP_OBJ_QUALIFIER] A temporary view cannot be renamed into a database."
                    .into(),
            ));
        };
        if self.view_exists(new_name, false) {
            return Err(ExecError::ViewAlreadyExists(new_name.clone()));
        }
        let context = self.context();
        if let Some(view) = context.deregister_table(name)? {
            context.register_table(new_name.as_str(), view)?;
        }
        Ok(())
    }
}
