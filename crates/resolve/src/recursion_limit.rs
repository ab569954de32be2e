//! A plan node over a recursive CTE's step that fails the query when the step still adds
//! rows in round `limit` (Spark's `RECURSION_LEVEL_LIMIT_EXCEEDED`), so a recursion that
//! never ends stops with an error instead of running until memory runs out. `ember-exec`
//! plans it as its own operator, which counts the rounds.

use std::fmt;

use datafusion::common::{DFSchemaRef, Result};
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct RecursionLimit {
    pub input: LogicalPlan,
    /// Rounds of the step allowed to add rows; the anchor's rows are level 0.
    pub limit: usize,
}

impl RecursionLimit {
    pub fn new(input: LogicalPlan, limit: usize) -> Self {
        RecursionLimit { input, limit }
    }

    pub fn into_plan(self) -> LogicalPlan {
        LogicalPlan::Extension(datafusion::logical_expr::Extension {
            node: std::sync::Arc::new(self),
        })
    }
}

impl UserDefinedLogicalNodeCore for RecursionLimit {
    fn name(&self) -> &str {
        "RecursionLimit"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        self.input.schema()
    }

    fn expressions(&self) -> Vec<Expr> {
        vec![]
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "RecursionLimit: {}", self.limit)
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        let input = inputs.into_iter().next().ok_or_else(|| {
            datafusion::error::DataFusionError::Internal("RecursionLimit takes one input".into())
        })?;
        Ok(RecursionLimit::new(input, self.limit))
    }
}
