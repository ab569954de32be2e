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
            TableChange::AddPartitions {
                partitions,
                if_not_exists,
            } => {
                self.add_partitions(&entry, name, &partitions, if_not_exists)?;
                self.forget_cached_table(name);
                return Ok(());
            }
            TableChange::RecoverPartitions => {
                self.table_partitions(&entry, name)?;
                self.forget_cached_table(name);
                return Ok(());
            }
            TableChange::DropPartitions {
                partitions,
                if_exists,
            } => {
                self.drop_partitions(&entry, name, &partitions, if_exists)?;
                self.forget_cached_table(name);
                return Ok(());
            }
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
                entry.schema = Some(ember_spec::DataType::Struct(fields).ddl_string());
            }
        }
        store.put(&entry)?;
        self.forget_cached_table(name);
        Ok(())
    }

    /// Each new partition is an empty directory, which readers see as a partition
    /// without rows.
    fn add_partitions(
        &self,
        entry: &TableEntry,
        name: &[String],
        partitions: &[Vec<(String, String)>],
        if_not_exists: bool,
    ) -> ExecResult<()> {
        let root = self.catalog_store().data_path(entry)?;
        let mut directories = Vec::new();
        for spec in partitions {
            let values = full_partition_spec(entry, spec, &self.warehouse().display_name(name))?;
            let directory = values
                .iter()
                .fold(root.clone(), |path, (c, v)| path.join(format!("{c}={v}")));
            if directory.is_dir() && !if_not_exists {
                return Err(ExecError::Analysis(format!(
                    "[PARTITIONS_ALREADY_EXIST] Cannot ADD or RENAME TO partition(s) {} in table {} because they already exist. Choose a different name, drop the existing partition, or add the IF NOT EXISTS clause to tolerate a pre-existing partition.",
                    partition_text(&values),
                    self.warehouse().display_name(name)
                )));
            }
            directories.push(directory);
        }
        for directory in directories {
            std::fs::create_dir_all(&directory).map_err(|source| ExecError::Io {
                path: directory.display().to_string(),
                source,
            })?;
        }
        Ok(())
    }

    /// Removes every partition a spec matches (a spec may name only some columns).
    fn drop_partitions(
        &self,
        entry: &TableEntry,
        name: &[String],
        partitions: &[Vec<(String, String)>],
        if_exists: bool,
    ) -> ExecResult<()> {
        let display = self.warehouse().display_name(name);
        let leaves = self.table_partitions(entry, name)?;
        let mut doomed = Vec::new();
        for spec in partitions {
            for (column, _) in spec {
                partition_column(entry, column, &display)?;
            }
            let matching: Vec<_> = leaves.iter().filter(|p| p.matches(spec)).collect();
            if matching.is_empty() && !if_exists {
                return Err(ExecError::Analysis(format!(
                    "[PARTITIONS_NOT_FOUND] The partition(s) {} cannot be found in table {display}. Verify the partition specification and table name.",
                    partition_text(spec)
                )));
            }
            doomed.extend(matching.into_iter().map(|p| p.path.clone()));
        }
        for directory in doomed {
            if directory.is_dir() {
                std::fs::remove_dir_all(&directory).map_err(|source| ExecError::Io {
                    path: directory.display().to_string(),
                    source,
                })?;
            }
        }
        Ok(())
    }

    /// The leaf partitions of a partitioned table.
    pub(crate) fn table_partitions(
        &self,
        entry: &TableEntry,
        name: &[String],
    ) -> ExecResult<Vec<crate::partitions::PartitionDir>> {
        if entry.partition_by.is_empty() {
            return Err(ExecError::Analysis(format!(
                "[INVALID_PARTITION_OPERATION.PARTITION_SCHEMA_IS_EMPTY] Partition command is invalid. Table {} is not partitioned.",
                self.warehouse().display_name(name)
            )));
        }
        let root = self.catalog_store().data_path(entry)?;
        crate::partitions::leaf_partitions(&root, &entry.partition_by)
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

/// The table's name for a partition column written in any case.
fn partition_column(entry: &TableEntry, column: &str, table: &str) -> ExecResult<String> {
    entry
        .partition_by
        .iter()
        .find(|p| p.eq_ignore_ascii_case(column))
        .cloned()
        .ok_or_else(|| {
            ExecError::Analysis(format!(
                "[PARTITIONS_NOT_FOUND] The partition(s) PARTITION (`{column}`) cannot be found in table {table}: `{column}` is not a partition column."
            ))
        })
}

/// A spec naming every partition column once, put in the table's partition order.
fn full_partition_spec(
    entry: &TableEntry,
    spec: &[(String, String)],
    table: &str,
) -> ExecResult<Vec<(String, String)>> {
    for (column, _) in spec {
        partition_column(entry, column, table)?;
    }
    entry
        .partition_by
        .iter()
        .map(|column| {
            spec.iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(column))
                .map(|(_, v)| (column.clone(), v.clone()))
                .ok_or_else(|| {
                    ExecError::Analysis(format!(
                        "[PARTITIONS_NOT_FOUND] Partition spec {} must name every partition column of table {table} ({}).",
                        partition_text(spec),
                        entry.partition_by.join(", ")
                    ))
                })
        })
        .collect()
}

/// `PARTITION (a = 1, b = x)`, as Spark's messages print a spec.
fn partition_text(spec: &[(String, String)]) -> String {
    let items: Vec<String> = spec.iter().map(|(c, v)| format!("`{c}` = {v}")).collect();
    format!("PARTITION ({})", items.join(", "))
}
