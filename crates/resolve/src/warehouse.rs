//! Spark's warehouse layout: the `default` database is the warehouse directory itself,
//! database `db` is `<warehouse>/db.db`, and a managed table is a directory of data files
//! inside its database's directory.

use std::path::{Path, PathBuf};

use crate::error::{ResolveError, ResolveResult};

/// The catalog every session of a server shares.
pub const CATALOG_NAME: &str = "spark_catalog";
pub const DEFAULT_DATABASE: &str = "default";
/// Spark's default `spark.sql.warehouse.dir`, under the working directory.
pub const DEFAULT_WAREHOUSE_DIR: &str = "spark-warehouse";

/// What the session catalog knows of a name beyond the warehouse's directories: tables with
/// a format or location of their own, and persistent views. `ember-exec` keeps this record;
/// the resolver only asks.
pub trait TableCatalog: Send + Sync {
    fn lookup(&self, name: &[String]) -> ResolveResult<Option<CatalogRelation>>;

    /// A persistent SQL function (`CREATE FUNCTION`), by its possibly qualified name.
    fn function(&self, _name: &[String]) -> ResolveResult<Option<ember_spec::SqlFunction>> {
        Ok(None)
    }

    /// The kept rows of a persisted DataFrame (`df.cache()`), when `plan` is one.
    fn cached_plan(&self, _plan: &ember_spec::Plan) -> Option<crate::CachedPlan> {
        None
    }
}

/// How to read a catalog entry.
#[derive(Clone)]
pub enum CatalogRelation {
    Files {
        format: String,
        paths: Vec<String>,
        schema: Option<ember_spec::DataType>,
        options: Vec<(String, String)>,
    },
    View(ember_spec::Plan),
    /// Rows kept by `cacheTable`, read instead of the table's files until a refresh.
    Cached(crate::CachedPlan),
}

#[derive(Debug, Clone)]
pub struct Warehouse {
    root: PathBuf,
    current_database: String,
}

impl Default for Warehouse {
    fn default() -> Self {
        Warehouse::new(DEFAULT_WAREHOUSE_DIR, DEFAULT_DATABASE)
    }
}

impl Warehouse {
    pub fn new(root: impl Into<PathBuf>, current_database: impl Into<String>) -> Self {
        let root: PathBuf = root.into();
        let root = match root.to_str().and_then(|r| r.strip_prefix("file:")) {
            Some(stripped) => PathBuf::from(stripped.trim_start_matches("//")),
            None => root,
        };
        Warehouse {
            root,
            current_database: current_database.into(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn current_database(&self) -> &str {
        &self.current_database
    }

    pub fn database_path(&self, database: &str) -> PathBuf {
        if database.eq_ignore_ascii_case(DEFAULT_DATABASE) {
            self.root.clone()
        } else {
            self.root
                .join(format!("{}.db", database.to_ascii_lowercase()))
        }
    }

    pub fn database_exists(&self, database: &str) -> bool {
        database.eq_ignore_ascii_case(DEFAULT_DATABASE) || self.database_path(database).is_dir()
    }

    /// Every database, `default` first.
    pub fn databases(&self) -> Vec<String> {
        let mut names: Vec<String> = list_directories(&self.root)
            .into_iter()
            .filter_map(|name| name.strip_suffix(".db").map(str::to_string))
            .collect();
        names.sort();
        names.insert(0, DEFAULT_DATABASE.to_string());
        names
    }

    /// The managed tables of a database, sorted.
    pub fn tables(&self, database: &str) -> Vec<String> {
        let mut names: Vec<String> = list_directories(&self.database_path(database))
            .into_iter()
            .filter(|name| !name.ends_with(".db"))
            .collect();
        names.sort();
        names
    }

    /// `(database, table)` of a name as written: `t`, `db.t` or `spark_catalog.db.t`.
    pub fn qualify(&self, name: &[String]) -> ResolveResult<(String, String)> {
        let parts: Vec<&String> = match name {
            [catalog, rest @ ..]
                if rest.len() == 2 && catalog.eq_ignore_ascii_case(CATALOG_NAME) =>
            {
                rest.iter().collect()
            }
            _ => name.iter().collect(),
        };
        match parts.as_slice() {
            [table] => Ok((self.current_database.clone(), table.to_ascii_lowercase())),
            [database, table] => Ok((database.to_ascii_lowercase(), table.to_ascii_lowercase())),
            _ => Err(ResolveError::Analysis(format!(
                "[REQUIRES_SINGLE_PART_NAMESPACE] {CATALOG_NAME} requires a single-part namespace, but got `{}`.",
                name.join("`.`")
            ))),
        }
    }

    pub fn table_path(&self, name: &[String]) -> ResolveResult<PathBuf> {
        let (database, table) = self.qualify(name)?;
        Ok(self.database_path(&database).join(table))
    }

    /// Spark's display of a table name: `` `spark_catalog`.`db`.`t` ``.
    pub fn display_name(&self, name: &[String]) -> String {
        match self.qualify(name) {
            Ok((database, table)) => format!("`{CATALOG_NAME}`.`{database}`.`{table}`"),
            Err(_) => format!("`{}`", name.join("`.`")),
        }
    }
}

/// Directory names under `path`, without hidden ones (staging directories start with `.`).
fn list_directories(path: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(path) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .filter_map(|entry| entry.file_name().to_str().map(str::to_string))
        .filter(|name| !name.starts_with('.') && !name.starts_with('_'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_spark_warehouse_directories() -> ResolveResult<()> {
        let warehouse = Warehouse::new("wh", "sales");
        let parts = |text: &str| text.split('.').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            warehouse.table_path(&parts("Orders"))?,
            PathBuf::from("wh/sales.db/orders")
        );
        assert_eq!(
            warehouse.table_path(&parts("default.t"))?,
            PathBuf::from("wh/t")
        );
        assert_eq!(
            warehouse.table_path(&parts("spark_catalog.silver.users"))?,
            PathBuf::from("wh/silver.db/users")
        );
        assert!(warehouse.table_path(&parts("a.b.c")).is_err());
        assert_eq!(
            Warehouse::new("file:/tmp/wh", "default").root(),
            Path::new("/tmp/wh")
        );
        Ok(())
    }
}
