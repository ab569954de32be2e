//! `CREATE / DROP / DESCRIBE FUNCTION`: SQL functions in the session (temporary) or in the
//! catalog (persistent, kept as their statement's text beside the tables' entries), and the
//! description of any function the session can call.

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::FunctionRegistry;
use ember_resolve::SqlFunctionUdf;
use ember_spec::{Expr, FunctionScope, Literal, Plan, Relation, Select, SqlFunction};
use serde::{Deserialize, Serialize};

use crate::catalog_store::CatalogStore;
use crate::statements::string_table;
use crate::{ExecError, ExecResult, Session};

const FUNCTIONS_DIR: &str = "_functions";

/// A persistent function: a SQL function's statement, parsed again when called, or the JVM
/// class a function was declared with (which cannot be loaded here).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunctionEntry {
    pub name: String,
    pub database: String,
    pub text: String,
    #[serde(default)]
    pub class_name: Option<String>,
}

/// What `spark.catalog.getFunction` and `listFunctions` show of a function.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionInfo {
    pub name: String,
    pub catalog: Option<String>,
    pub namespace: Vec<String>,
    pub description: Option<String>,
    pub class_name: String,
    pub is_temporary: bool,
}

impl CatalogStore {
    fn function_path(&self, database: &str, name: &str) -> std::path::PathBuf {
        self.database_dir(database)
            .join(FUNCTIONS_DIR)
            .join(format!("{}.json", name.to_ascii_lowercase()))
    }

    pub fn function_entry(&self, name: &[String]) -> ExecResult<Option<FunctionEntry>> {
        let (database, function) = self.warehouse().qualify(name)?;
        let path = self.function_path(&database, &function);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ExecError::Io {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            ExecError::Analysis(format!(
                "[CORRUPTED_CATALOG_ENTRY] The catalog entry {} cannot be read: {e}.",
                path.display()
            ))
        })
    }

    /// Writes the entry whole or not at all.
    pub fn put_function(&self, entry: &FunctionEntry) -> ExecResult<()> {
        let path = self.function_path(&entry.database, &entry.name);
        let directory = path.parent().unwrap_or(&path).to_path_buf();
        let io = |path: &std::path::Path| {
            let path = path.display().to_string();
            move |source| ExecError::Io { path, source }
        };
        std::fs::create_dir_all(&directory).map_err(io(&directory))?;
        let temporary = directory.join(format!(".{}.{}", entry.name, uuid::Uuid::new_v4()));
        let text = serde_json::to_string_pretty(entry)
            .map_err(|e| ExecError::Unsupported(format!("storing a function entry: {e}")))?;
        std::fs::write(&temporary, text).map_err(io(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(io(&path))
    }

    pub fn remove_function(&self, name: &[String]) -> ExecResult<bool> {
        let (database, function) = self.warehouse().qualify(name)?;
        let path = self.function_path(&database, &function);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(ExecError::Io {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// The persistent functions of a database, by name.
    pub fn function_names(&self, database: &str) -> Vec<String> {
        let Ok(files) = std::fs::read_dir(self.database_dir(database).join(FUNCTIONS_DIR)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = files
            .filter_map(Result::ok)
            .filter_map(|f| {
                f.file_name()
                    .to_string_lossy()
                    .strip_suffix(".json")
                    .map(str::to_string)
            })
            .collect();
        names.sort();
        names
    }

    /// The definition a persistent function's entry holds.
    pub fn sql_function(&self, name: &[String]) -> ExecResult<Option<SqlFunction>> {
        let Some(entry) = self.function_entry(name)? else {
            return Ok(None);
        };
        if let Some(class) = &entry.class_name {
            return Err(ExecError::Analysis(format!(
                "[CANNOT_LOAD_FUNCTION_CLASS] Cannot load class {class} when registering the function `spark_catalog`.`{}`.`{}`, please make sure it is on the classpath.",
                entry.database, entry.name
            )));
        }
        match ember_sql::parse_statement(&entry.text, ember_sql::Parameters::default()) {
            Ok(ember_spec::Statement::CreateFunction { function, .. }) => Ok(Some(*function)),
            Ok(_) => Err(ExecError::Analysis(format!(
                "[CORRUPTED_CATALOG_ENTRY] The function entry of {} does not define a function.",
                entry.name
            ))),
            Err(error) => Err(ExecError::Analysis(error.to_string())),
        }
    }
}

impl Session {
    pub(crate) async fn create_function(
        &self,
        function: SqlFunction,
        temporary: bool,
        replace: bool,
        if_not_exists: bool,
        text: String,
    ) -> ExecResult<()> {
        let display = function.name.join(".");
        let exists = if temporary {
            let [name] = function.name.as_slice() else {
                return Err(ExecError::Analysis(format!(
                    "[INVALID_TEMP_OBJ_QUALIFIER] temporary function `{display}` cannot be qualified."
                )));
            };
            match self.context().udf(&name.to_ascii_lowercase()) {
                Ok(udf) if udf.inner().is::<SqlFunctionUdf>() => true,
                Ok(udf) if udf.inner().is::<ember_udf::PythonUdf>() => true,
                // A built-in keeps its name.
                Ok(_) => {
                    return Err(ExecError::Analysis(format!(
                        "[ROUTINE_ALREADY_EXISTS] Cannot create the routine `{display}` because a routine of that name already exists."
                    )))
                }
                Err(_) => false,
            }
        } else {
            self.catalog_store()
                .function_entry(&function.name)?
                .is_some()
        };
        if exists && if_not_exists {
            return Ok(());
        }
        if exists && !replace {
            return Err(ExecError::Analysis(format!(
                "[ROUTINE_ALREADY_EXISTS] Cannot create the routine `{display}` because a routine of that name already exists. Choose a different name, drop or replace the existing routine, or add the IF NOT EXISTS clause to tolerate a pre-existing routine."
            )));
        }
        // The body must resolve over its parameters, as Spark checks when it is created.
        let probe = SqlFunctionUdf::new(function.clone()).into_scalar_udf();
        let key = probe.name().to_string();
        let previous = self.context().udf(&key).ok();
        self.context().register_udf((*probe).clone());
        let checked = self.logical_plan(call_with_nulls(&key, &function)).await;
        if !temporary || checked.is_err() {
            match previous {
                Some(previous) => {
                    self.context().register_udf((*previous).clone());
                }
                None => {
                    self.context().deregister_udf(&key);
                }
            }
        }
        checked?;
        if !temporary {
            let (database, name) = self.warehouse().qualify(&function.name)?;
            if !self.warehouse().database_exists(&database) {
                return Err(ExecError::DatabaseNotFound(database));
            }
            self.catalog_store().put_function(&FunctionEntry {
                name,
                database,
                text,
                class_name: None,
            })?;
        }
        Ok(())
    }

    /// `CREATE FUNCTION name AS 'class'`: recorded as Spark records it; calls fail, since
    /// no JVM is here to load the class.
    pub(crate) fn create_class_function(
        &self,
        name: &[String],
        class_name: String,
        replace: bool,
        if_not_exists: bool,
    ) -> ExecResult<()> {
        let store = self.catalog_store();
        if store.function_entry(name)?.is_some() {
            if if_not_exists {
                return Ok(());
            }
            if !replace {
                return Err(ExecError::Analysis(format!(
                    "[ROUTINE_ALREADY_EXISTS] Cannot create the routine `{}` because a routine of that name already exists. Choose a different name, drop or replace the existing routine, or add the IF NOT EXISTS clause to tolerate a pre-existing routine.",
                    name.join(".")
                )));
            }
        }
        let (database, function) = self.warehouse().qualify(name)?;
        if !self.warehouse().database_exists(&database) {
            return Err(ExecError::DatabaseNotFound(database));
        }
        store.put_function(&FunctionEntry {
            text: format!("CREATE FUNCTION {database}.{function} AS '{class_name}'"),
            name: function,
            database,
            class_name: Some(class_name),
        })
    }

    /// A function as the catalog API shows it: a persistent one of the catalog, or one the
    /// session can call (built-in or registered).
    pub fn function_info(&self, name: &[String]) -> ExecResult<FunctionInfo> {
        let lower = name.join(".").to_ascii_lowercase();
        if name.len() == 1 {
            // Spark shows built-ins and session functions alike as temporary.
            if let Ok(udf) = self.context().udf(&lower) {
                return Ok(FunctionInfo {
                    name: lower,
                    catalog: None,
                    namespace: Vec::new(),
                    description: udf.documentation().map(|d| d.description.clone()),
                    class_name: String::new(),
                    is_temporary: true,
                });
            }
            if self.function_names(None).contains(&lower) {
                return Ok(FunctionInfo {
                    name: lower,
                    catalog: None,
                    namespace: Vec::new(),
                    description: None,
                    class_name: String::new(),
                    is_temporary: true,
                });
            }
        }
        let store = self.catalog_store();
        match store.function_entry(name)? {
            Some(entry) => Ok(FunctionInfo {
                name: entry.name.clone(),
                catalog: Some(ember_resolve::CATALOG_NAME.to_string()),
                namespace: vec![entry.database.clone()],
                description: None,
                class_name: entry.class_name.clone().unwrap_or_default(),
                is_temporary: false,
            }),
            None => Err(ExecError::Analysis(format!(
                "[UNRESOLVED_ROUTINE] Cannot resolve routine `{}` on search path [`system`.`builtin`, `system`.`session`, `spark_catalog`.`{}`].",
                name.join("`.`"),
                self.warehouse().current_database()
            ))),
        }
    }

    pub(crate) fn drop_function(
        &self,
        name: Vec<String>,
        temporary: bool,
        if_exists: bool,
    ) -> ExecResult<()> {
        let dropped = if temporary {
            let key = name.join(".").to_ascii_lowercase();
            // Only functions the session registered go; built-ins stay.
            let registered = self.context().udf(&key).is_ok_and(|udf| {
                udf.inner().is::<ember_udf::PythonUdf>() || udf.inner().is::<SqlFunctionUdf>()
            });
            if registered {
                self.context().deregister_udf(&key);
            }
            registered
        } else {
            self.catalog_store().remove_function(&name)?
        };
        if !dropped && !if_exists && !temporary {
            return Err(ExecError::Analysis(format!(
                "[UNRESOLVED_ROUTINE] Cannot resolve routine `{}` on search path [`system`.`builtin`, `system`.`session`, `spark_catalog`.`{}`].",
                name.join("`.`"),
                self.warehouse().current_database()
            )));
        }
        if !dropped && !if_exists {
            return Err(ExecError::Analysis(format!(
                "[ROUTINE_NOT_FOUND] The routine `{}` cannot be found. Verify the spelling and correctness of the schema and catalog.",
                name.join(".")
            )));
        }
        Ok(())
    }

    /// `SHOW FUNCTIONS`: built-ins, the session's functions, and the current database's
    /// persistent ones (by their full name), sorted.
    pub(crate) fn listed_functions(
        &self,
        pattern: Option<&str>,
        scope: FunctionScope,
    ) -> Vec<String> {
        let is_users = |name: &String| {
            self.context().udf(name).is_ok_and(|udf| {
                udf.inner().is::<ember_udf::PythonUdf>() || udf.inner().is::<SqlFunctionUdf>()
            })
        };
        let mut names: Vec<String> = self
            .function_names(pattern)
            .into_iter()
            .filter(|name| match scope {
                FunctionScope::All => true,
                FunctionScope::User => is_users(name),
                FunctionScope::System => !is_users(name),
            })
            .collect();
        if scope != FunctionScope::System {
            let database = self.warehouse().current_database().to_string();
            names.extend(
                self.catalog_store()
                    .function_names(&database)
                    .into_iter()
                    .filter(|name| crate::statements::matches_pattern(pattern, name))
                    .map(|name| format!("spark_catalog.{database}.{name}")),
            );
        }
        names.sort();
        names
    }

    /// `DESCRIBE FUNCTION`: one `function_desc` column, a line per row, as Spark prints it.
    pub(crate) fn describe_function(
        &self,
        name: &[String],
        extended: bool,
    ) -> ExecResult<RecordBatch> {
        let joined = name.join(".");
        let lower = joined.to_ascii_lowercase();
        let registered = self.context().udf(&lower).ok();
        let sql = match registered
            .as_ref()
            .and_then(|udf| udf.inner().downcast_ref::<SqlFunctionUdf>())
        {
            Some(udf) => Some((udf.function().clone(), joined.clone())),
            None if registered.is_none() => self.catalog_store().sql_function(name)?.map(|f| {
                let (database, function) = self
                    .warehouse()
                    .qualify(name)
                    .unwrap_or_else(|_| (String::new(), joined.clone()));
                (f, format!("spark_catalog.{database}.{function}"))
            }),
            None => None,
        };
        let mut lines = Vec::new();
        if let Some((function, shown)) = sql {
            lines.push(format!("Function: {shown}"));
            lines.push("Type: SCALAR".into());
            lines.push(format!("Input: {}", function.parameter_text()));
            if let Some(returns) = &function.returns {
                lines.push(format!("Returns: {}", returns.sql_name()));
            }
            if let Some(comment) = &function.comment {
                lines.push(format!("Comment: {comment}"));
            }
            if extended {
                lines.push(format!("Deterministic: {}", function.deterministic));
                lines.push("Data Access: CONTAINS SQL".into());
                lines.push(format!("Body: {}", function.body_text));
            }
        } else if self.function_names(None).contains(&lower) {
            lines.push(format!("Function: {lower}"));
            let documentation = self
                .context()
                .udf(&lower)
                .ok()
                .and_then(|udf| udf.documentation().cloned());
            match documentation {
                Some(doc) => {
                    lines.push(format!(
                        "Usage: {} - {}",
                        doc.syntax_example, doc.description
                    ));
                    if extended {
                        // The library's examples show its own column names, not Spark's.
                        lines.push(format!(
                            "Extended Usage:\n    No example/argument for {lower}.\n"
                        ));
                    }
                }
                None => lines.push("Usage: N/A.".into()),
            }
        } else {
            return Err(ExecError::Analysis(format!(
                "[UNRESOLVED_ROUTINE] Cannot resolve routine `{joined}` on search path [`system`.`builtin`, `system`.`session`, `spark_catalog`.`{}`].",
                self.warehouse().current_database()
            )));
        }
        string_table(
            &["function_desc"],
            lines.into_iter().map(|l| vec![l]).collect(),
            &[],
        )
    }
}

/// `SELECT f(CAST(NULL AS t1), ...)` (`SELECT * FROM f(...)` for a table function): a call
/// that resolves exactly when the body does.
fn call_with_nulls(name: &str, function: &SqlFunction) -> Plan {
    let arguments: Vec<Expr> = function
        .parameters
        .iter()
        .map(|p| Expr::Literal(Literal::Null(p.data_type.clone())))
        .collect();
    if function.table_columns.is_some() {
        return Plan::new(Relation::TableFunction {
            name: name.to_string(),
            arguments,
        });
    }
    let call = Expr::Function {
        name: name.to_string(),
        arguments,
        is_distinct: false,
    };
    Plan::new(Relation::Select(Box::new(Select {
        input: None,
        projection: vec![call],
        group_by: None,
        having: None,
        qualify: None,
        order_by: Vec::new(),
    })))
}
