//! `agg(...) FILTER (WHERE condition)`: the condition becomes the filter of every aggregate
//! call in the resolved expression, which DataFusion applies before accumulating.

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::DFSchema;
use datafusion::logical_expr::Expr;
use ember_spec as spec;

use crate::error::{ResolveError, ResolveResult};
use crate::expression::Named;
use crate::Resolver;

impl Resolver<'_> {
    pub(crate) fn aggregate_filter(
        &self,
        function: &spec::Expr,
        condition: &spec::Expr,
        schema: &DFSchema,
    ) -> ResolveResult<Named> {
        let inner = self.resolve_expr(function, schema)?;
        let condition = self.resolve_expr(condition, schema)?;
        let mut found = false;
        let expr = inner
            .expr
            .transform_down(|e| match e {
                Expr::AggregateFunction(mut call) => {
                    found = true;
                    call.params.filter = Some(Box::new(condition.expr.clone()));
                    Ok(Transformed::new(
                        Expr::AggregateFunction(call),
                        true,
                        datafusion::common::tree_node::TreeNodeRecursion::Jump,
                    ))
                }
                other => Ok(Transformed::no(other)),
            })?
            .data;
        if !found {
            return Err(ResolveError::InvalidArgument(format!(
                "[INVALID_SQL_SYNTAX.FILTER_CLAUSE_ONLY_FOR_AGGREGATE] FILTER (WHERE ...) applies to aggregate functions only, not {}.",
                inner.name
            )));
        }
        Ok(Named::new(
            expr,
            format!("{} FILTER (WHERE {})", inner.name, condition.name),
        ))
    }
}
