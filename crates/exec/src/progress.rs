//! How far a running query is, in Spark's terms: stages of tasks. The physical plan is cut at
//! its exchanges (repartitions, gathers, merges); each piece is a stage whose tasks are the
//! partitions its top produces, counted by a pass-through operator that sees each partition's
//! stream start and end. Bytes read come from the stage's file scans' metrics. The protocol
//! layer reports these while the query runs.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use datafusion::common::{internal_err, Result};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::StreamExt;

/// File scans of a stage.
type Scans = Vec<Arc<dyn ExecutionPlan>>;

/// One stage's counters.
#[derive(Debug)]
struct Stage {
    tasks: usize,
    started: AtomicUsize,
    completed: AtomicUsize,
    /// The file scans inside the stage, whose metrics tell the bytes read.
    scans: Scans,
}

/// A stage as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageReport {
    pub stage_id: usize,
    pub num_tasks: usize,
    pub num_completed_tasks: usize,
    pub input_bytes_read: usize,
    pub done: bool,
}

/// The stages of one running query.
#[derive(Debug, Default)]
pub struct QueryProgress {
    stages: Vec<Arc<Stage>>,
}

impl QueryProgress {
    /// Every stage now, and the tasks running.
    pub fn report(&self) -> (Vec<StageReport>, usize) {
        let mut running = 0;
        let stages = self
            .stages
            .iter()
            .enumerate()
            .map(|(stage_id, stage)| {
                let started = stage.started.load(Ordering::Relaxed);
                let completed = stage.completed.load(Ordering::Relaxed).min(stage.tasks);
                running += started.saturating_sub(completed);
                StageReport {
                    stage_id,
                    num_tasks: stage.tasks,
                    num_completed_tasks: completed,
                    input_bytes_read: bytes_scanned(&stage.scans),
                    done: completed == stage.tasks,
                }
            })
            .collect();
        (stages, running)
    }
}

fn bytes_scanned(scans: &[Arc<dyn ExecutionPlan>]) -> usize {
    scans
        .iter()
        .filter_map(|scan| scan.metrics())
        .filter_map(|metrics| metrics.sum_by_name("bytes_scanned"))
        .map(|value| value.as_usize())
        .sum()
}

fn is_exchange(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.downcast_ref::<RepartitionExec>().is_some()
        || plan.downcast_ref::<CoalescePartitionsExec>().is_some()
        || plan.downcast_ref::<SortPreservingMergeExec>().is_some()
}

/// `plan` with a task counter on top of every stage, and the stages to report.
pub(crate) fn instrument(
    plan: Arc<dyn ExecutionPlan>,
) -> Result<(Arc<dyn ExecutionPlan>, Arc<QueryProgress>)> {
    let mut stages = Vec::new();
    let (plan, scans) = wrap_stages(plan, &mut stages)?;
    let top = counted(plan, scans, &mut stages);
    Ok((top, Arc::new(QueryProgress { stages })))
}

/// Wraps the stages below `plan`; returns it with the scans of the stage it belongs to.
fn wrap_stages(
    plan: Arc<dyn ExecutionPlan>,
    stages: &mut Vec<Arc<Stage>>,
) -> Result<(Arc<dyn ExecutionPlan>, Scans)> {
    let children: Vec<Arc<dyn ExecutionPlan>> = plan.children().into_iter().cloned().collect();
    if children.is_empty() {
        let scans = if plan.downcast_ref::<DataSourceExec>().is_some() {
            vec![Arc::clone(&plan)]
        } else {
            Vec::new()
        };
        return Ok((plan, scans));
    }
    let exchange = is_exchange(&plan);
    let mut scans = Vec::new();
    let mut wrapped = Vec::with_capacity(children.len());
    for child in children {
        let (child, child_scans) = wrap_stages(child, stages)?;
        if exchange {
            wrapped.push(counted(child, child_scans, stages));
        } else {
            scans.extend(child_scans);
            wrapped.push(child);
        }
    }
    Ok((
        datafusion::physical_plan::replace_children_if_necessary(plan, wrapped)?,
        scans,
    ))
}

fn counted(
    plan: Arc<dyn ExecutionPlan>,
    scans: Scans,
    stages: &mut Vec<Arc<Stage>>,
) -> Arc<dyn ExecutionPlan> {
    let stage = Arc::new(Stage {
        tasks: plan.properties().output_partitioning().partition_count(),
        started: AtomicUsize::new(0),
        completed: AtomicUsize::new(0),
        scans,
    });
    stages.push(Arc::clone(&stage));
    Arc::new(TaskCounterExec { input: plan, stage })
}

/// Passes its input through, counting partitions started and finished.
#[derive(Debug)]
struct TaskCounterExec {
    input: Arc<dyn ExecutionPlan>,
    stage: Arc<Stage>,
}

impl DisplayAs for TaskCounterExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "TaskCounterExec: {} tasks", self.stage.tasks)
    }
}

/// Marks its task complete when dropped: a stream that ends, fails or is abandoned.
struct TaskDone(Arc<Stage>);

impl Drop for TaskDone {
    fn drop(&mut self) {
        self.0.completed.fetch_add(1, Ordering::Relaxed);
    }
}

impl ExecutionPlan for TaskCounterExec {
    fn name(&self) -> &str {
        "TaskCounterExec"
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
            Some(input) => Ok(Arc::new(TaskCounterExec {
                input,
                stage: Arc::clone(&self.stage),
            })),
            None => internal_err!("TaskCounterExec takes one input"),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        self.stage.started.fetch_add(1, Ordering::Relaxed);
        let done = TaskDone(Arc::clone(&self.stage));
        let schema = input.schema();
        let counted = input.map(move |batch| {
            let _task = &done;
            batch
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, counted)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn stages_count_their_partitions_to_the_end() -> Result<()> {
        let context = SessionContext::new_with_config(
            datafusion::prelude::SessionConfig::new().with_target_partitions(3),
        );
        let frame = context
            .sql("SELECT value % 7 AS k, count(*) FROM range(0, 10000, 1) GROUP BY value % 7")
            .await?;
        let plan = frame.clone().create_physical_plan().await?;
        let (plan, progress) = instrument(plan)?;
        let (before, _) = progress.report();
        assert!(
            before.len() >= 2,
            "an aggregate over a repartition has two stages"
        );
        assert!(before.iter().all(|s| !s.done && s.num_tasks > 0));
        let batches = datafusion::physical_plan::collect(plan, Arc::new(frame.task_ctx())).await?;
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 7);
        let (after, running) = progress.report();
        assert_eq!(running, 0);
        assert!(after
            .iter()
            .all(|s| s.done && s.num_completed_tasks == s.num_tasks));
        Ok(())
    }
}
