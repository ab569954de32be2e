//! SQL functions the user defines (`CREATE [TEMPORARY] FUNCTION f(x INT) RETURN x + 1`): a
//! body over named parameters, expanded where it is called.

use crate::{DataType, Expr};

#[derive(Debug, Clone, PartialEq)]
pub struct SqlFunction {
    /// As written in the statement, qualified for a persistent function.
    pub name: Vec<String>,
    pub parameters: Vec<FunctionParameter>,
    /// The declared result type; the body's own type when absent.
    pub returns: Option<DataType>,
    /// The body when it is an expression; `query` holds it otherwise.
    pub body: Expr,
    /// A body that is a query (`RETURN SELECT ...`): a scalar function's value is its one
    /// column of at most one row, a table function's rows are its rows.
    pub query: Option<crate::Plan>,
    /// `RETURNS TABLE [(name type, ...)]`: a table function, with the declared columns
    /// (empty when the statement names none and the query's own columns are kept).
    pub table_columns: Option<Vec<(String, DataType)>>,
    /// The body as written, shown by `DESCRIBE FUNCTION`.
    pub body_text: String,
    pub comment: Option<String>,
    pub deterministic: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionParameter {
    pub name: String,
    pub data_type: DataType,
    /// Used when a call leaves the parameter out.
    pub default: Option<Expr>,
    pub comment: Option<String>,
}

impl SqlFunction {
    /// Spark's `x INT, y STRING` text of the parameter list.
    pub fn parameter_text(&self) -> String {
        self.parameters
            .iter()
            .map(|p| format!("{} {}", p.name, p.data_type.sql_name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
