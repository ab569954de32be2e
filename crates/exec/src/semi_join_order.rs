//! Semi and anti joins that keep the outer side's row order, as Spark's broadcast joins do:
//! `LeftSemi(outer, sub)` becomes `RightSemi(sub, outer)`, so the hash table is built on the
//! subquery and the outer rows stream through in order. (Subqueries such as
//! `WHERE id IN (SELECT ...)` are decorrelated into these joins.)

use std::sync::Arc;

use datafusion::common::tree_node::Transformed;
use datafusion::common::{JoinType, Result};
use datafusion::logical_expr::{Join, LogicalPlan};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

#[derive(Debug, Default)]
pub struct StreamOuterSideOfSemiJoins;

impl OptimizerRule for StreamOuterSideOfSemiJoins {
    fn name(&self) -> &str {
        "stream_outer_side_of_semi_joins"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Join(join) = plan else {
            return Ok(Transformed::no(plan));
        };
        let swapped = match join.join_type {
            JoinType::LeftSemi => JoinType::RightSemi,
            // A null-aware anti join (NOT IN) has no right-side form.
            JoinType::LeftAnti if !join.null_aware => JoinType::RightAnti,
            _ => return Ok(Transformed::no(LogicalPlan::Join(join))),
        };
        let on = join
            .on
            .iter()
            .map(|(l, r)| (r.clone(), l.clone()))
            .collect();
        let swapped = Join::try_new(
            Arc::clone(&join.right),
            Arc::clone(&join.left),
            on,
            join.filter.clone(),
            swapped,
            join.join_constraint,
            join.null_equality,
            join.null_aware,
        )?;
        Ok(Transformed::yes(LogicalPlan::Join(swapped)))
    }
}
