use crate::{DataType, Plan};

/// One Spark SQL statement: a query, or a command that changes or shows the catalog or the
/// session. Names are the parts as written (`db.table` is two parts).
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Query(Plan),
    CreateDatabase {
        name: String,
        if_not_exists: bool,
        comment: Option<String>,
        location: Option<String>,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
        cascade: bool,
    },
    UseDatabase {
        name: String,
    },
    CreateTable(Box<TableDefinition>),
    CreateView {
        name: Vec<String>,
        query: Plan,
        /// The query as SQL text, which a persistent view keeps.
        query_text: String,
        replace: bool,
        if_not_exists: bool,
        /// `TEMPORARY` / `GLOBAL TEMPORARY`; otherwise a persistent view.
        temporary: bool,
        global: bool,
    },
    Insert {
        table: Vec<String>,
        /// `INSERT INTO t (b, a) ...`: the table columns the rows fill, in order; empty means
        /// all of them by position. Columns left out get NULL.
        columns: Vec<String>,
        /// `PARTITION (p = 'v', q)`: each partition column named, with its static value or
        /// none when the query's trailing columns give it.
        partition: Vec<(String, Option<String>)>,
        query: Plan,
        overwrite: bool,
    },
    DropTable {
        name: Vec<String>,
        if_exists: bool,
        /// `DROP VIEW`: only a view may go.
        view: bool,
    },
    TruncateTable {
        name: Vec<String>,
    },
    Show(ShowKind),
    /// `SET key = value`, `SET key` (shows it) and `SET` (shows all).
    Set {
        key: Option<String>,
        value: Option<String>,
    },
    Reset {
        key: Option<String>,
    },
    CacheTable {
        name: Vec<String>,
    },
    UncacheTable {
        name: Vec<String>,
        if_exists: bool,
    },
    ClearCache,
    RefreshTable {
        name: Vec<String>,
    },
    DescribeTable {
        name: Vec<String>,
        extended: bool,
    },
    DescribeQuery(Plan),
    /// `DROP [TEMPORARY] FUNCTION [IF EXISTS] name`: a function the session registered or
    /// a persistent SQL function.
    DropFunction {
        name: Vec<String>,
        temporary: bool,
        if_exists: bool,
    },
    /// `CREATE [OR REPLACE] [TEMPORARY] FUNCTION [IF NOT EXISTS] name(params) ... RETURN body`.
    CreateFunction {
        function: Box<crate::SqlFunction>,
        temporary: bool,
        replace: bool,
        if_not_exists: bool,
        /// The statement as written, which a persistent function is stored as.
        text: String,
    },
    /// `CREATE [OR REPLACE] FUNCTION [IF NOT EXISTS] name AS 'class'`: a persistent
    /// function implemented by a JVM class, kept in the catalog as Spark keeps it.
    CreateClassFunction {
        name: Vec<String>,
        class_name: String,
        replace: bool,
        if_not_exists: bool,
    },
    /// `DESCRIBE FUNCTION [EXTENDED] name`.
    DescribeFunction {
        name: Vec<String>,
        extended: bool,
    },
    /// `DESCRIBE DATABASE|SCHEMA|NAMESPACE [EXTENDED] name`.
    DescribeDatabase {
        name: String,
        extended: bool,
    },
    /// `ALTER TABLE|VIEW name ...`.
    AlterTable {
        name: Vec<String>,
        change: TableChange,
    },
    Explain {
        plan: Plan,
        extended: bool,
    },
}

/// Which functions `SHOW FUNCTIONS` lists: the user's (temporary and persistent), the
/// built-ins, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionScope {
    All,
    User,
    System,
}

/// What `ALTER TABLE` changes.
#[derive(Debug, Clone, PartialEq)]
pub enum TableChange {
    RenameTo(Vec<String>),
    SetProperties(Vec<(String, String)>),
    UnsetProperties {
        keys: Vec<String>,
        if_exists: bool,
    },
    AddColumns(Vec<(String, DataType)>),
    /// `ADD [IF NOT EXISTS] PARTITION (a = 1) ...`: each partition's columns and values.
    AddPartitions {
        partitions: Vec<Vec<(String, String)>>,
        if_not_exists: bool,
    },
    /// `RECOVER PARTITIONS` / `MSCK REPAIR TABLE`: partitions are found at every read, so
    /// this checks the table is partitioned.
    RecoverPartitions,
    /// `DROP [IF EXISTS] PARTITION (a = 1), ...`; a spec may name only some columns.
    DropPartitions {
        partitions: Vec<Vec<(String, String)>>,
        if_exists: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ShowKind {
    Databases {
        pattern: Option<String>,
    },
    Tables {
        database: Option<String>,
        pattern: Option<String>,
    },
    Views {
        database: Option<String>,
        pattern: Option<String>,
    },
    Columns {
        table: Vec<String>,
    },
    /// `SHOW [USER|SYSTEM|ALL] FUNCTIONS [LIKE pattern]`.
    Functions {
        pattern: Option<String>,
        scope: FunctionScope,
    },
    CurrentDatabase,
    /// `SHOW TBLPROPERTIES name [('key')]`.
    TableProperties {
        table: Vec<String>,
        key: Option<String>,
    },
    /// `SHOW CREATE TABLE name`: DDL that recreates a catalog table or view.
    CreateTable {
        table: Vec<String>,
    },
    /// `SHOW PARTITIONS name [PARTITION (a = 1)]`.
    Partitions {
        table: Vec<String>,
        partition: Vec<(String, String)>,
    },
}

/// `CREATE TABLE` in all its forms.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDefinition {
    pub name: Vec<String>,
    pub if_not_exists: bool,
    pub replace: bool,
    /// Declared columns; absent for `AS SELECT` and `LIKE`.
    pub schema: Option<DataType>,
    /// `USING parquet|csv|json|orc|text`; Spark's default is parquet.
    pub format: Option<String>,
    pub partition_by: Vec<String>,
    pub location: Option<String>,
    pub comment: Option<String>,
    pub properties: Vec<(String, String)>,
    pub options: Vec<(String, String)>,
    pub query: Option<Plan>,
    /// `CREATE TABLE t LIKE source`.
    pub like: Option<Vec<String>>,
}
