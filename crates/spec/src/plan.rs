use crate::{DataType, Expr, Literal, SortOrder};

/// A relation with the client's plan id, which column references may point back to.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub plan_id: Option<i64>,
    pub relation: Relation,
}

impl Plan {
    pub fn new(relation: Relation) -> Self {
        Plan {
            plan_id: None,
            relation,
        }
    }
}

/// Where a read gets its rows from.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadSource {
    /// A table or view in the catalog.
    Table { name: Vec<String> },
    /// Files of a format (`parquet`, `csv`, `json`, `text`), with an optional user schema.
    Files {
        format: String,
        paths: Vec<String>,
        schema: Option<DataType>,
        options: Vec<(String, String)>,
    },
    /// `spark.readStream`: a source that grows (`rate`, or files of a format appearing in a
    /// directory), read one micro-batch at a time by a streaming query.
    Stream {
        format: String,
        paths: Vec<String>,
        schema: Option<DataType>,
        options: Vec<(String, String)>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinType {
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    LeftSemi,
    LeftAnti,
    Cross,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOperationKind {
    Union,
    Intersect,
    Except,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupType {
    GroupBy,
    Rollup,
    Cube,
    Pivot,
    GroupingSets,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pivot {
    pub column: Expr,
    /// Empty: the distinct values of `column`, found by running a query first.
    pub values: Vec<Literal>,
    /// SQL's `value AS name`: the output name for each value (None: the value itself).
    pub labels: Vec<Option<String>>,
    /// SQL's PIVOT groups by every input column that neither the aggregates nor the pivot
    /// column use; the DataFrame API names its grouping.
    pub group_by_other_columns: bool,
}

/// A relational operator, named as Spark names it.
#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    Read(ReadSource),
    Project {
        input: Box<Plan>,
        expressions: Vec<Expr>,
    },
    Filter {
        input: Box<Plan>,
        condition: Expr,
    },
    Join {
        left: Box<Plan>,
        right: Box<Plan>,
        join_type: JoinType,
        condition: Option<Expr>,
        using_columns: Vec<String>,
        /// SQL's `NATURAL` join: USING every column name both sides have.
        natural: bool,
    },
    SetOperation {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: SetOperationKind,
        is_all: bool,
        by_name: bool,
        allow_missing_columns: bool,
    },
    Sort {
        input: Box<Plan>,
        order: Vec<SortOrder>,
    },
    Limit {
        input: Box<Plan>,
        limit: usize,
    },
    Offset {
        input: Box<Plan>,
        offset: usize,
    },
    Tail {
        input: Box<Plan>,
        limit: usize,
    },
    Aggregate {
        input: Box<Plan>,
        group_type: GroupType,
        grouping: Vec<Expr>,
        aggregates: Vec<Expr>,
        pivot: Option<Pivot>,
        grouping_sets: Vec<Vec<Expr>>,
    },
    /// Rows shipped by the client as Arrow IPC bytes, with an optional declared schema.
    LocalRelation {
        arrow_ipc: Option<Vec<u8>>,
        schema: Option<DataType>,
    },
    Range {
        start: i64,
        end: i64,
        step: i64,
        /// Contiguous slices of the range, one per partition.
        num_partitions: Option<usize>,
    },
    SubqueryAlias {
        input: Box<Plan>,
        alias: String,
    },
    Deduplicate {
        input: Box<Plan>,
        columns: Option<Vec<String>>,
        within_watermark: bool,
    },
    Sample {
        input: Box<Plan>,
        lower_bound: f64,
        upper_bound: f64,
        with_replacement: bool,
        seed: Option<i64>,
    },
    /// `sampleBy`: stratified sampling, a fraction per value of `column` (others: none).
    SampleBy {
        input: Box<Plan>,
        column: Expr,
        fractions: Vec<(Literal, f64)>,
        seed: Option<i64>,
    },
    WithColumns {
        input: Box<Plan>,
        columns: Vec<(String, Expr)>,
    },
    WithColumnsRenamed {
        input: Box<Plan>,
        renames: Vec<(String, String)>,
    },
    Drop {
        input: Box<Plan>,
        columns: Vec<Expr>,
        names: Vec<String>,
    },
    ToDf {
        input: Box<Plan>,
        names: Vec<String>,
    },
    ToSchema {
        input: Box<Plan>,
        schema: DataType,
    },
    ShowString {
        input: Box<Plan>,
        num_rows: usize,
        truncate: usize,
        vertical: bool,
    },
    HtmlString {
        input: Box<Plan>,
        num_rows: usize,
        truncate: usize,
    },
    /// Repartition and hints change layout only, never results.
    /// `repartition`, `coalesce`, `repartitionByRange` and hints. Rows and their values stay
    /// as they are; only the partitioning (seen by `spark_partition_id()`) changes.
    Repartition {
        input: Box<Plan>,
        num_partitions: Option<usize>,
        /// Partition by these values' hash; empty hashes whole rows.
        by: Vec<Expr>,
    },
    /// A `pyspark.ml` transform or a DataFrame a model returns.
    Ml(Box<crate::MlRelation>),
    /// `mapInPandas` / `mapInArrow`: a Python function over each partition's batches.
    MapPartitions {
        input: Box<Plan>,
        function: crate::PythonUdf,
    },
    /// `groupBy(...).applyInPandas`: a Python function over each group's rows.
    GroupMap {
        input: Box<Plan>,
        grouping: Vec<Expr>,
        function: crate::PythonUdf,
    },
    /// `WITH RECURSIVE name AS (anchor UNION [ALL] step)`: `step` reads the rows the
    /// previous round added through `RecursiveReference`, until a round adds none.
    RecursiveQuery {
        name: String,
        anchor: Box<Plan>,
        step: Box<Plan>,
        distinct: bool,
        /// `MAX RECURSION LEVEL n`: the rounds allowed before the query fails, in place of
        /// the session's `spark.sql.cteRecursionLevelLimit`.
        max_level: Option<i64>,
    },
    /// SQL's `LATERAL (subquery)`: a join's right side that may name the left side's columns.
    Lateral {
        input: Box<Plan>,
    },
    /// A checkpointed DataFrame's rows, which the server keeps under this id
    /// (`df.localCheckpoint()`).
    CachedRemote {
        relation_id: String,
    },
    /// Inside a recursive query's step: the rows of the previous round.
    RecursiveReference {
        name: String,
    },
    /// `root` with the plans its subquery expressions name by plan id.
    WithRelations {
        root: Box<Plan>,
        references: Vec<Plan>,
    },
    Describe {
        input: Box<Plan>,
        columns: Vec<String>,
    },
    Summary {
        input: Box<Plan>,
        statistics: Vec<String>,
    },
    FillNa {
        input: Box<Plan>,
        columns: Vec<String>,
        values: Vec<Literal>,
    },
    DropNa {
        input: Box<Plan>,
        columns: Vec<String>,
        min_non_nulls: Option<usize>,
    },
    Replace {
        input: Box<Plan>,
        columns: Vec<String>,
        replacements: Vec<(Literal, Literal)>,
    },
    Crosstab {
        input: Box<Plan>,
        first: String,
        second: String,
    },
    Covariance {
        input: Box<Plan>,
        first: String,
        second: String,
    },
    Correlation {
        input: Box<Plan>,
        first: String,
        second: String,
    },
    ApproxQuantile {
        input: Box<Plan>,
        columns: Vec<String>,
        probabilities: Vec<f64>,
        relative_error: f64,
    },
    FreqItems {
        input: Box<Plan>,
        columns: Vec<String>,
        support: f64,
    },
    Unpivot {
        input: Box<Plan>,
        ids: Vec<Expr>,
        values: Option<Vec<Expr>>,
        variable_column_name: String,
        value_column_name: String,
    },
    /// A SQL `SELECT` block (`ember-sql`). Its clauses resolve together, because each may
    /// name what another defines: `GROUP BY` and `ORDER BY` take select-list aliases and
    /// ordinals, `HAVING` and `ORDER BY` may use aggregates the select list lacks.
    Select(Box<Select>),
    /// A table-valued function: `range(...)` or a generator (`explode`, `inline`, `stack`,
    /// ...) over constant arguments (`FROM range(10)`, `spark.tvf.explode(...)`).
    TableFunction {
        name: String,
        arguments: Vec<Expr>,
    },
    /// `VALUES (1, 'a'), (2, 'b')`: rows of constant expressions, columns `col1`, `col2`, ...
    Values {
        rows: Vec<Vec<Expr>>,
    },
    /// Caching keeps semantics; the plan runs as is.
    Cached {
        input: Box<Plan>,
    },
}

/// The clauses of a SQL `SELECT` block around its `FROM` and `WHERE` (which are the input).
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// `None`: no `FROM` clause, one row without columns.
    pub input: Option<Box<Plan>>,
    pub projection: Vec<Expr>,
    pub group_by: Option<GroupBy>,
    pub having: Option<Expr>,
    pub qualify: Option<Expr>,
    /// An integer literal here (and in `group_by`) is a 1-based select-list position.
    pub order_by: Vec<SortOrder>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GroupBy {
    /// `GROUP BY ALL`: every select-list item without an aggregate.
    All,
    Expressions {
        group_type: GroupType,
        expressions: Vec<Expr>,
        /// `GROUPING SETS ((a, b), (a), ())`, when `group_type` says so.
        grouping_sets: Vec<Vec<Expr>>,
    },
}

/// How a write treats existing data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    ErrorIfExists,
    Append,
    Overwrite,
    Ignore,
}

/// `df.write...save(path)` or `saveAsTable`.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOperation {
    pub input: Plan,
    pub format: String,
    pub path: Option<String>,
    pub table: Option<Vec<String>>,
    /// `insertInto`: rows go into an existing table, matched to its columns by position.
    pub insert_into: bool,
    pub mode: SaveMode,
    pub partition_by: Vec<String>,
    pub options: Vec<(String, String)>,
    /// `INSERT ... PARTITION (p = 'v', q)`: partition columns the statement names, each with
    /// its static value, or none when the rows give it.
    pub partition_values: Vec<(String, Option<String>)>,
    /// An overwrite replaces only the partitions its rows write (`overwritePartitions`).
    pub overwrite_written_partitions: bool,
}

impl WriteOperation {
    /// A write of `input` with Spark's defaults: parquet, error if the target exists.
    pub fn new(input: Plan) -> Self {
        WriteOperation {
            input,
            format: "parquet".into(),
            path: None,
            table: None,
            insert_into: false,
            mode: SaveMode::ErrorIfExists,
            partition_by: Vec::new(),
            options: Vec::new(),
            partition_values: Vec::new(),
            overwrite_written_partitions: false,
        }
    }
}

/// `df.writeTo(table)`: what DataFrameWriterV2 does with the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableWriteMode {
    Create,
    Replace,
    CreateOrReplace,
    Append,
    /// Replaces the rows `overwrite_condition` holds for with the new rows.
    Overwrite,
    OverwritePartitions,
}

/// `df.writeTo(table).using(...).partitionedBy(...).tableProperty(...).<mode>()`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableWrite {
    pub input: Plan,
    pub table: Vec<String>,
    pub provider: Option<String>,
    pub partition_by: Vec<String>,
    pub options: Vec<(String, String)>,
    pub properties: Vec<(String, String)>,
    pub mode: TableWriteMode,
    pub overwrite_condition: Option<Expr>,
}
