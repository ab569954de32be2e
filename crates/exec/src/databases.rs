//! Databases: `CREATE DATABASE [LOCATION]`, `DESCRIBE DATABASE`, `DROP DATABASE [CASCADE]`.
//! A database is a `<name>.db` directory in the warehouse (a link to its LOCATION when it
//! has one); its comment lives in the catalog store.

use datafusion::arrow::array::RecordBatch;

use crate::statements::string_table;
use crate::{ExecError, ExecResult, Session};

impl Session {
    pub(crate) fn create_database(
        &self,
        name: &str,
        if_not_exists: bool,
        location: Option<String>,
        comment: Option<String>,
    ) -> ExecResult<()> {
        let name = name.to_string();
        let warehouse = self.warehouse();
        if warehouse.database_exists(&name) {
            if if_not_exists {
                return Ok(());
            }
            return Err(ExecError::DatabaseAlreadyExists(name));
        }
        let path = warehouse.database_path(&name);
        match location {
            Some(location) => database_at(&path, &location)?,
            None => std::fs::create_dir_all(&path).map_err(|source| ExecError::Io {
                path: path.display().to_string(),
                source,
            })?,
        }
        if let Some(comment) = comment {
            self.catalog_store().put_database_comment(&name, &comment)?;
        }
        Ok(())
    }

    /// `DESCRIBE DATABASE`: Spark's `info_name` / `info_value` rows.
    pub(crate) fn describe_database(&self, name: &str, extended: bool) -> ExecResult<RecordBatch> {
        let warehouse = self.warehouse();
        if !warehouse.database_exists(name) {
            return Err(ExecError::DatabaseNotFound(name.to_string()));
        }
        let name = name.to_ascii_lowercase();
        let comment = if name == ember_resolve::DEFAULT_DATABASE {
            "default database".to_string()
        } else {
            self.catalog_store()
                .database_comment(&name)
                .unwrap_or_default()
        };
        let location = std::fs::canonicalize(warehouse.database_path(&name))
            .unwrap_or_else(|_| warehouse.database_path(&name));
        let owner = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let mut rows = vec![
            vec!["Catalog Name".to_string(), "spark_catalog".to_string()],
            vec!["Namespace Name".to_string(), name],
            vec!["Comment".to_string(), comment],
            vec![
                "Location".to_string(),
                format!("file:{}", location.display()),
            ],
            vec!["Owner".to_string(), owner],
        ];
        if extended {
            rows.push(vec!["Properties".to_string(), String::new()]);
        }
        string_table(&["info_name", "info_value"], rows, &[])
    }

    pub(crate) fn drop_database(
        &self,
        name: &str,
        if_exists: bool,
        cascade: bool,
    ) -> ExecResult<()> {
        let warehouse = self.warehouse();
        if name.eq_ignore_ascii_case(ember_resolve::DEFAULT_DATABASE) {
            return Err(ExecError::Analysis(
                "[UNSUPPORTED_FEATURE.DROP_DATABASE] Drop the default database `spark_catalog`.`default` is not allowed.".into(),
            ));
        }
        if !warehouse.database_exists(name) {
            if if_exists {
                return Ok(());
            }
            return Err(ExecError::DatabaseNotFound(name.to_string()));
        }
        if !cascade && !self.catalog_tables(name).is_empty() {
            return Err(ExecError::DatabaseNotEmpty(name.to_string()));
        }
        self.catalog_store().drop_database(name)?;
        let path = warehouse.database_path(name);
        let io = |path: &std::path::Path| {
            let path = path.display().to_string();
            move |source| ExecError::Io { path, source }
        };
        // A database made with a LOCATION is a link there; its directory goes too.
        if let Ok(target) = std::fs::read_link(&path) {
            if target.is_dir() {
                std::fs::remove_dir_all(&target).map_err(io(&target))?;
            }
            std::fs::remove_file(&path).map_err(io(&path))?;
        } else {
            std::fs::remove_dir_all(&path).map_err(io(&path))?;
        }
        if self.current_database().eq_ignore_ascii_case(name) {
            self.set_current_database(ember_resolve::DEFAULT_DATABASE)?;
        }
        Ok(())
    }
}

/// `CREATE DATABASE ... LOCATION`: the database's directory in the warehouse is a link to the
/// location, so its tables live there and every lookup by name finds them.
fn database_at(path: &std::path::Path, location: &str) -> ExecResult<()> {
    let target = std::path::PathBuf::from(location.strip_prefix("file:").unwrap_or(location));
    let io = |path: &std::path::Path| {
        let path = path.display().to_string();
        move |source| ExecError::Io { path, source }
    };
    std::fs::create_dir_all(&target).map_err(io(&target))?;
    let target = std::fs::canonicalize(&target).map_err(io(&target))?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&target, path).map_err(io(path))
    }
    #[cfg(not(unix))]
    {
        Err(ExecError::Unsupported(
            "CREATE DATABASE ... LOCATION here".into(),
        ))
    }
}
