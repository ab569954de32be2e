//! The operator behind `RecursionLimit`: DataFusion's recursive query re-runs the step once
//! per round (through `reset_state`, which keeps this node's round counter), so counting
//! `execute` calls counts rounds. A round at or past the limit that still adds a row fails
//! the query with Spark's error instead of recursing on.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use datafusion::common::{internal_err, DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::StreamExt;

#[derive(Debug)]
pub struct RecursionLimitExec {
    input: Arc<dyn ExecutionPlan>,
    limit: usize,
    /// Rounds started so far, shared by the copies DataFusion makes between rounds.
    rounds: Arc<AtomicUsize>,
}

impl RecursionLimitExec {
    pub(crate) fn new(input: Arc<dyn ExecutionPlan>, limit: usize) -> Self {
        RecursionLimitExec {
            input,
            limit,
            rounds: Arc::new(AtomicUsize::new(0)),
        }
    }
}

/// Spark's message, with its advice.
fn limit_exceeded(limit: usize) -> DataFusionError {
    DataFusionError::Execution(format!(
        "[RECURSION_LEVEL_LIMIT_EXCEEDED] Recursion level limit {limit} reached but query has not exhausted, try increasing it like 'WITH RECURSIVE t(col) MAX RECURSION LEVEL 200'. SQLSTATE: 42836"
    ))
}

impl DisplayAs for RecursionLimitExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "RecursionLimitExec: {}", self.limit)
    }
}

impl ExecutionPlan for RecursionLimitExec {
    fn name(&self) -> &str {
        "RecursionLimitExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _visit: &mut dyn FnMut(
            &Arc<dyn datafusion::physical_expr::PhysicalExpr>,
        ) -> Result<datafusion::common::tree_node::TreeNodeRecursion>,
    ) -> Result<datafusion::common::tree_node::TreeNodeRecursion> {
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match children.into_iter().next() {
            Some(input) => Ok(Arc::new(RecursionLimitExec {
                input,
                limit: self.limit,
                rounds: Arc::clone(&self.rounds),
            })),
            None => internal_err!("RecursionLimitExec takes one input"),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let round = self.rounds.fetch_add(1, Ordering::SeqCst) + 1;
        let input = self.input.execute(partition, context)?;
        if round < self.limit {
            return Ok(input);
        }
        let limit = self.limit;
        let schema = input.schema();
        let guarded = input.map(move |batch| match batch {
            Ok(batch) if batch.num_rows() > 0 => Err(limit_exceeded(limit)),
            other => other,
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, guarded)))
    }
}
