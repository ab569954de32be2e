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
    pub body: Expr,
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
