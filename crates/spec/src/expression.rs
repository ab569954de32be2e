use crate::{DataType, Literal};

/// An unresolved expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Literal),
    /// A column reference by (possibly qualified or nested) name parts. `plan_id` points at
    /// the DataFrame the reference was taken from (`df["k"]`), which disambiguates self-joins.
    Column {
        name: Vec<String>,
        plan_id: Option<i64>,
    },
    /// `*` or `t.*`.
    Star {
        target: Option<Vec<String>>,
        plan_id: Option<i64>,
    },
    /// SQL's `* EXCEPT (a, b)`: the star's columns without the named ones.
    StarExcept {
        star: Box<Expr>,
        except: Vec<String>,
    },
    Alias {
        expr: Box<Expr>,
        name: Vec<String>,
        /// Field metadata for the output column (`alias(..., metadata=...)`), as JSON text.
        metadata: Option<String>,
    },
    /// Named after its column when casting a plain column (`CAST(s AS INT)` is `s`),
    /// `CAST(expr AS T)` otherwise.
    Cast {
        expr: Box<Expr>,
        data_type: DataType,
        is_try: bool,
    },
    /// A function call, operators included (`+`, `==`, `and`, ...), by Spark's name.
    Function {
        name: String,
        arguments: Vec<Expr>,
        is_distinct: bool,
    },
    /// SQL's `agg(...) FILTER (WHERE condition)`: the aggregate over the rows the condition
    /// holds for.
    AggregateFilter {
        function: Box<Expr>,
        condition: Box<Expr>,
    },
    /// `col[key]`, `col.field` on a resolved value.
    ExtractValue {
        child: Box<Expr>,
        extraction: Box<Expr>,
    },
    SortOrder(Box<SortOrder>),
    Window {
        function: Box<Expr>,
        partition_by: Vec<Expr>,
        order_by: Vec<SortOrder>,
        frame: Option<WindowFrame>,
    },
    Lambda {
        body: Box<Expr>,
        parameters: Vec<String>,
    },
    LambdaVariable(String),
    /// `withField` (value present) and `dropFields` (value absent).
    UpdateFields {
        struct_expr: Box<Expr>,
        field_name: String,
        value: Option<Box<Expr>>,
    },
    NamedArgument {
        key: String,
        value: Box<Expr>,
    },
    /// A subquery over the plan with this id, which the enclosing `WithRelations` carries.
    /// Its columns may refer to the query around it (`col("x").outer()`).
    Subquery {
        plan_id: i64,
        kind: SubqueryKind,
    },
    /// A Python function the client pickled (`udf`, `pandas_udf`).
    PythonUdf(Box<PythonUdf>),
    /// `df.colRegex("`pattern`")`: every column whose name matches the pattern.
    ColumnRegex {
        pattern: String,
        plan_id: Option<i64>,
    },
    CaseWhen {
        branches: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct PythonUdf {
    pub name: String,
    pub arguments: Vec<Expr>,
    /// The pickled `(function, return type)`, as the client sent it.
    pub command: Vec<u8>,
    /// Spark's `PythonEvalType` code.
    pub eval_type: i32,
    pub output_type: DataType,
    pub deterministic: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SubqueryKind {
    /// One row, one column: its value.
    Scalar,
    /// True when the subquery returns any row.
    Exists,
    /// `values IN (subquery)`.
    In(Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    Ascending,
    Descending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullOrdering {
    NullsFirst,
    NullsLast,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortOrder {
    pub child: Expr,
    pub direction: SortDirection,
    pub null_ordering: NullOrdering,
}

impl SortOrder {
    /// Spark's default: ascending puts nulls first, descending puts them last.
    pub fn new(child: Expr, direction: SortDirection, null_ordering: Option<NullOrdering>) -> Self {
        let null_ordering = null_ordering.unwrap_or(match direction {
            SortDirection::Ascending => NullOrdering::NullsFirst,
            SortDirection::Descending => NullOrdering::NullsLast,
        });
        SortOrder {
            child,
            direction,
            null_ordering,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    Rows,
    Range,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FrameBoundary {
    UnboundedPreceding,
    UnboundedFollowing,
    CurrentRow,
    /// Offset relative to the current row: negative precedes, positive follows.
    Offset(Box<Expr>),
    /// The same, written in SQL as `n PRECEDING` / `n FOLLOWING`, which Spark's column
    /// names repeat (the DataFrame API's offsets print as `-1 FOLLOWING`).
    SqlOffset(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct WindowFrame {
    pub kind: FrameKind,
    pub lower: FrameBoundary,
    pub upper: FrameBoundary,
}

impl Expr {
    /// A copy of the tree where every node `f` has a replacement for is replaced (and not
    /// looked into further).
    pub fn replaced(&self, f: &dyn Fn(&Expr) -> Option<Expr>) -> Expr {
        if let Some(replacement) = f(self) {
            return replacement;
        }
        let each = |list: &[Expr]| list.iter().map(|e| e.replaced(f)).collect::<Vec<_>>();
        let boxed = |e: &Expr| Box::new(e.replaced(f));
        let sort = |order: &SortOrder| SortOrder {
            child: order.child.replaced(f),
            ..order.clone()
        };
        match self {
            Expr::Literal(_)
            | Expr::Column { .. }
            | Expr::Star { .. }
            | Expr::StarExcept { .. }
            | Expr::LambdaVariable(_)
            | Expr::ColumnRegex { .. } => self.clone(),
            Expr::Alias {
                expr,
                name,
                metadata,
            } => Expr::Alias {
                expr: boxed(expr),
                name: name.clone(),
                metadata: metadata.clone(),
            },
            Expr::Cast {
                expr,
                data_type,
                is_try,
            } => Expr::Cast {
                expr: boxed(expr),
                data_type: data_type.clone(),
                is_try: *is_try,
            },
            Expr::Function {
                name,
                arguments,
                is_distinct,
            } => Expr::Function {
                name: name.clone(),
                arguments: each(arguments),
                is_distinct: *is_distinct,
            },
            Expr::AggregateFilter {
                function,
                condition,
            } => Expr::AggregateFilter {
                function: boxed(function),
                condition: boxed(condition),
            },
            Expr::ExtractValue { child, extraction } => Expr::ExtractValue {
                child: boxed(child),
                extraction: boxed(extraction),
            },
            Expr::SortOrder(order) => Expr::SortOrder(Box::new(sort(order))),
            Expr::Window {
                function,
                partition_by,
                order_by,
                frame,
            } => Expr::Window {
                function: boxed(function),
                partition_by: each(partition_by),
                order_by: order_by.iter().map(sort).collect(),
                frame: frame.clone(),
            },
            Expr::Lambda { body, parameters } => Expr::Lambda {
                body: boxed(body),
                parameters: parameters.clone(),
            },
            Expr::UpdateFields {
                struct_expr,
                field_name,
                value,
            } => Expr::UpdateFields {
                struct_expr: boxed(struct_expr),
                field_name: field_name.clone(),
                value: value.as_deref().map(boxed),
            },
            Expr::NamedArgument { key, value } => Expr::NamedArgument {
                key: key.clone(),
                value: boxed(value),
            },
            Expr::Subquery { plan_id, kind } => Expr::Subquery {
                plan_id: *plan_id,
                kind: match kind {
                    SubqueryKind::In(values) => SubqueryKind::In(each(values)),
                    other => other.clone(),
                },
            },
            Expr::PythonUdf(udf) => Expr::PythonUdf(Box::new(PythonUdf {
                arguments: each(&udf.arguments),
                ..(**udf).clone()
            })),
            Expr::CaseWhen {
                branches,
                otherwise,
            } => Expr::CaseWhen {
                branches: branches
                    .iter()
                    .map(|(c, v)| (c.replaced(f), v.replaced(f)))
                    .collect(),
                otherwise: otherwise.as_deref().map(boxed),
            },
        }
    }
}
