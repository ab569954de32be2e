//! DataFusion's projection optimizer (55.2) drops one of two consecutive projections whose
//! expressions are equal, which is only right when they are plain columns: two
//! `withColumn("x", col("x") + 1)` in a row must add 2, not 1. This rule wraps it and first
//! folds every such pair into one projection that computes both steps.

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::Result;
use datafusion::logical_expr::expr::Alias;
use datafusion::logical_expr::{Expr, LogicalPlan, Projection};
use datafusion::optimizer::optimize_projections::OptimizeProjections;
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

#[derive(Debug, Default)]
pub struct ProjectionsComputedTwice;

impl OptimizerRule for ProjectionsComputedTwice {
    fn name(&self) -> &str {
        "optimize_projections"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        None
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let folded = plan.transform_up_with_subqueries(fold_repeated_projection)?;
        let optimized = OptimizeProjections::new().rewrite(folded.data, config)?;
        Ok(Transformed::new_transformed(
            optimized.data,
            folded.transformed || optimized.transformed,
        ))
    }
}

/// A projection over an equal one that computes something becomes one projection over the
/// lower one's input, its expressions applied to the lower one's; again while the result
/// equals the projection below it.
fn fold_repeated_projection(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let mut current = Transformed::no(plan);
    loop {
        let step = fold_once(current.data)?;
        if !step.transformed {
            return Ok(Transformed::new_transformed(step.data, current.transformed));
        }
        current = Transformed::yes(step.data);
    }
}

fn fold_once(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let LogicalPlan::Projection(top) = &plan else {
        return Ok(Transformed::no(plan));
    };
    let LogicalPlan::Projection(below) = top.input.as_ref() else {
        return Ok(Transformed::no(plan));
    };
    let computes = top.expr.iter().any(|e| !matches!(e, Expr::Column(_)));
    if top.expr != below.expr || !computes {
        return Ok(Transformed::no(plan));
    }
    let substitute = |expr: Expr| -> Result<Expr> {
        Ok(expr
            .transform_up(|e| match e {
                Expr::Column(column) => {
                    let index = below.schema.index_of_column(&column)?;
                    Ok(Transformed::yes(below.expr[index].clone().unalias()))
                }
                other => Ok(Transformed::no(other)),
            })?
            .data)
    };
    let mut folded = Vec::with_capacity(top.expr.len());
    for (index, expr) in top.expr.iter().enumerate() {
        folded.push(match expr.clone() {
            Expr::Alias(alias) => Expr::Alias(Alias {
                expr: Box::new(substitute(*alias.expr)?),
                ..alias
            }),
            other => {
                let (qualifier, field) = top.schema.qualified_field(index);
                substitute(other)?.alias_qualified(qualifier.cloned(), field.name())
            }
        });
    }
    let projection = Projection::try_new(folded, below.input.clone())?;
    Ok(Transformed::yes(LogicalPlan::Projection(projection)))
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::{col, lit, SessionContext};

    use super::*;

    #[tokio::test]
    async fn equal_projections_in_a_row_each_apply() -> Result<()> {
        let context = SessionContext::new();
        context.remove_optimizer_rule("optimize_projections");
        context.add_optimizer_rule(std::sync::Arc::new(ProjectionsComputedTwice));
        let mut frame = context.sql("SELECT 0 AS x").await?;
        for _ in 0..7 {
            frame = frame.select(vec![(col("x") + lit(1)).alias("x")])?;
        }
        let batches = frame.collect().await?;
        let values = batches[0]
            .column(0)
            .as_any()
            .downcast_ref::<datafusion::arrow::array::Int64Array>()
            .map(|a| a.value(0));
        assert_eq!(values, Some(7));
        Ok(())
    }
}
