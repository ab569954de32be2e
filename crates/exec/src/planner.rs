//! DataFusion's physical planner, taught Ember's own plan nodes.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::Session as CatalogSession;
use datafusion::common::{internal_err, Result};
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::SessionState;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{LogicalPlan, UserDefinedLogicalNode};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};
use ember_resolve::{MarkRows, RecursionLimit};

use crate::parallel_plans::{parallel_state, scanned_bytes, PARALLEL_INPUT_BYTES};
use crate::recursion_limit::RecursionLimitExec;
use crate::row_marks::MarkRowsExec;

/// Plans Ember's own logical nodes: `MarkRows`, `RecursionLimit` and Python `MapPartitions`.
struct EmberNodePlanner;

#[async_trait]
impl ExtensionPlanner for EmberNodePlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session: &dyn CatalogSession,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(input) = physical_inputs.first() else {
            return internal_err!("{} takes one input", node.name());
        };
        if let Some(map) = node.as_any().downcast_ref::<ember_udf::MapPartitions>() {
            return Ok(Some(map.physical(Arc::clone(input))?));
        }
        if let Some(guard) = node.as_any().downcast_ref::<RecursionLimit>() {
            return Ok(Some(Arc::new(RecursionLimitExec::new(
                Arc::clone(input),
                guard.limit,
            ))));
        }
        let Some(marks) = node.as_any().downcast_ref::<MarkRows>() else {
            return Ok(None);
        };
        let schema = Arc::new(marks.schema().as_arrow().clone());
        Ok(Some(Arc::new(MarkRowsExec::new(
            Arc::clone(input),
            marks.mark,
            schema,
        ))))
    }
}

/// DataFusion's planner, taught Ember's own plan nodes.
#[derive(Debug)]
pub struct EmberQueryPlanner;

#[async_trait]
impl QueryPlanner for EmberQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn CatalogSession,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let planner =
            DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(EmberNodePlanner)]);
        let plan = planner.create_physical_plan(logical_plan, session).await?;
        let state = session.as_any().downcast_ref::<SessionState>();
        match state {
            Some(state) if scanned_bytes(&plan) >= PARALLEL_INPUT_BYTES => {
                planner
                    .create_physical_plan(logical_plan, &parallel_state(state))
                    .await
            }
            _ => Ok(plan),
        }
    }
}
