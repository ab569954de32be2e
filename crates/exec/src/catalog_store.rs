//! The catalog's record of tables and persistent views: one JSON file per entry under
//! `<warehouse>/_ember_catalog/<database>/<name>.json`, written to a temporary file and
//! renamed into place, so a crash leaves the old entry or the new one, never half of one.
//!
//! Managed parquet tables written before this record existed are still found by their
//! directory alone (`Warehouse::tables`); an entry adds what a directory cannot say: another
//! format, an external location, the partition columns, properties, or a view's query.

use std::path::{Path, PathBuf};

use ember_resolve::{CatalogRelation, ResolveResult, TableCatalog, Warehouse};
use serde::{Deserialize, Serialize};

use crate::{ExecError, ExecResult};

const STORE_DIR: &str = "_ember_catalog";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableKind {
    Managed,
    External,
    View,
}

impl TableKind {
    /// Spark's `tableType` strings.
    pub fn spark_name(self) -> &'static str {
        match self {
            TableKind::Managed => "MANAGED",
            TableKind::External => "EXTERNAL",
            TableKind::View => "VIEW",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    pub database: String,
    pub kind: TableKind,
    /// `parquet`, `csv`, `json`, `text`, ...; empty for views.
    pub format: String,
    /// Where the data is; `None` for a managed table (its warehouse directory).
    pub location: Option<String>,
    /// Spark's DDL form of the columns (`struct<a:int,b:string>`), when declared.
    pub schema: Option<String>,
    #[serde(default)]
    pub partition_by: Vec<String>,
    #[serde(default)]
    pub options: Vec<(String, String)>,
    #[serde(default)]
    pub properties: Vec<(String, String)>,
    pub comment: Option<String>,
    /// A view's query, as SQL text.
    pub view_text: Option<String>,
}

/// The entries of one warehouse.
/// The file beside a database's entries that holds its comment (entries end in `.json`).
const DATABASE_COMMENT: &str = "_database.comment";

#[derive(Debug, Clone)]
pub struct CatalogStore {
    warehouse: Warehouse,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ExecError + '_ {
    move |source| ExecError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl CatalogStore {
    pub fn new(warehouse: Warehouse) -> Self {
        CatalogStore { warehouse }
    }

    pub(crate) fn warehouse(&self) -> &Warehouse {
        &self.warehouse
    }

    pub(crate) fn database_dir(&self, database: &str) -> PathBuf {
        self.warehouse
            .root()
            .join(STORE_DIR)
            .join(database.to_ascii_lowercase())
    }

    fn entry_path(&self, database: &str, table: &str) -> PathBuf {
        self.database_dir(database)
            .join(format!("{}.json", table.to_ascii_lowercase()))
    }

    /// `database.table` of a name as written, lower case.
    pub fn key(&self, name: &[String]) -> ExecResult<String> {
        let (database, table) = self.warehouse.qualify(name)?;
        Ok(format!("{database}.{table}"))
    }

    /// The entry a name (as written) refers to, if there is one.
    pub fn get(&self, name: &[String]) -> ExecResult<Option<TableEntry>> {
        let (database, table) = self.warehouse.qualify(name)?;
        let path = self.entry_path(&database, &table);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error(&path)(error)),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            ExecError::Analysis(format!(
                "[CORRUPTED_CATALOG_ENTRY] The catalog entry {} cannot be read: {e}.",
                path.display()
            ))
        })
    }

    pub fn put(&self, entry: &TableEntry) -> ExecResult<()> {
        let directory = self.database_dir(&entry.database);
        std::fs::create_dir_all(&directory).map_err(io_error(&directory))?;
        let path = self.entry_path(&entry.database, &entry.name);
        let temporary = directory.join(format!(".{}.{}", entry.name, uuid::Uuid::new_v4()));
        let text = serde_json::to_string_pretty(entry)
            .map_err(|e| ExecError::Unsupported(format!("storing a catalog entry: {e}")))?;
        std::fs::write(&temporary, text).map_err(io_error(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(io_error(&path))
    }

    /// Keeps a database's `COMMENT`, written whole or not at all.
    pub fn put_database_comment(&self, database: &str, comment: &str) -> ExecResult<()> {
        let directory = self.database_dir(database);
        std::fs::create_dir_all(&directory).map_err(io_error(&directory))?;
        let path = directory.join(DATABASE_COMMENT);
        let temporary = directory.join(format!(".{DATABASE_COMMENT}.{}", uuid::Uuid::new_v4()));
        std::fs::write(&temporary, comment).map_err(io_error(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(io_error(&path))
    }

    pub fn database_comment(&self, database: &str) -> Option<String> {
        std::fs::read_to_string(self.database_dir(database).join(DATABASE_COMMENT)).ok()
    }

    /// Removes an entry; true when there was one.
    pub fn remove(&self, name: &[String]) -> ExecResult<bool> {
        let (database, table) = self.warehouse.qualify(name)?;
        let path = self.entry_path(&database, &table);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(io_error(&path)(error)),
        }
    }

    /// Every entry of a database, by name.
    pub fn entries(&self, database: &str) -> Vec<TableEntry> {
        let Ok(files) = std::fs::read_dir(self.database_dir(database)) else {
            return Vec::new();
        };
        let mut entries: Vec<TableEntry> = files
            .filter_map(Result::ok)
            .filter(|f| f.file_name().to_string_lossy().ends_with(".json"))
            .filter_map(|f| std::fs::read_to_string(f.path()).ok())
            .filter_map(|text| serde_json::from_str(&text).ok())
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        entries
    }

    pub fn drop_database(&self, database: &str) -> ExecResult<()> {
        let directory = self.database_dir(database);
        match std::fs::remove_dir_all(&directory) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(io_error(&directory)(error)),
        }
    }

    /// Where a table's data lives.
    pub fn data_path(&self, entry: &TableEntry) -> ExecResult<PathBuf> {
        match &entry.location {
            Some(location) => Ok(PathBuf::from(
                location.strip_prefix("file:").unwrap_or(location),
            )),
            None => Ok(self
                .warehouse
                .table_path(&[entry.database.clone(), entry.name.clone()])?),
        }
    }
}

impl TableCatalog for CatalogStore {
    fn function(&self, name: &[String]) -> ResolveResult<Option<ember_spec::SqlFunction>> {
        self.sql_function(name).map_err(|error| match error {
            ExecError::Resolve(error) => error,
            other => ember_resolve::ResolveError::Analysis(other.to_string()),
        })
    }

    fn lookup(&self, name: &[String]) -> ResolveResult<Option<CatalogRelation>> {
        let entry = match self.get(name) {
            Ok(Some(entry)) => entry,
            Ok(None) => return Ok(None),
            Err(ExecError::Resolve(error)) => return Err(error),
            Err(other) => return Err(ember_resolve::ResolveError::Analysis(other.to_string())),
        };
        if let Some(text) = &entry.view_text {
            let plan = ember_sql::parse_query(text, ember_sql::Parameters::default())
                .map_err(|e| ember_resolve::ResolveError::Analysis(e.to_string()))?;
            return Ok(Some(CatalogRelation::View(plan)));
        }
        let path = self
            .data_path(&entry)
            .map_err(|e| ember_resolve::ResolveError::Analysis(e.to_string()))?;
        let schema = entry
            .schema
            .as_deref()
            .map(ember_sql::parse_data_type)
            .transpose()
            .map_err(|e| ember_resolve::ResolveError::Analysis(e.to_string()))?;
        Ok(Some(CatalogRelation::Files {
            format: entry.format.clone(),
            paths: vec![format!("{}/", path.display())],
            schema,
            options: entry.options.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_a_new_store_and_go_away_when_removed() -> ExecResult<()> {
        let root = std::env::temp_dir().join(format!("ember-store-{}", uuid::Uuid::new_v4()));
        let store = CatalogStore::new(Warehouse::new(&root, "default"));
        let entry = TableEntry {
            name: "events".into(),
            database: "sales".into(),
            kind: TableKind::External,
            format: "csv".into(),
            location: Some("/data/events".into()),
            schema: Some("struct<id:bigint>".into()),
            partition_by: vec![],
            options: vec![("header".into(), "true".into())],
            properties: vec![],
            comment: None,
            view_text: None,
        };
        store.put(&entry)?;
        let again = CatalogStore::new(Warehouse::new(&root, "sales"));
        assert_eq!(again.get(&["events".into()])?, Some(entry.clone()));
        assert_eq!(again.entries("sales"), vec![entry]);
        assert!(again.remove(&["sales".into(), "events".into()])?);
        assert_eq!(again.get(&["events".into()])?, None);
        let _ = std::fs::remove_dir_all(root);
        Ok(())
    }
}
