//! Results in partition order, as Spark returns them: `collect` yields partition 0's rows, then
//! partition 1's, and a `limit` at the top takes its rows from the first partitions, not from
//! whichever finishes first.

use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::runtime::SpawnedTask;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::limit::GlobalLimitExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::ExecutionPlan;
use futures::StreamExt;

use crate::progress::QueryProgress;
use crate::ExecResult;

/// The rows of a query, its stages' progress, and the plan that runs (whose operators hold
/// the metrics).
pub(crate) type Running = (
    SendableRecordBatchStream,
    Arc<QueryProgress>,
    Arc<dyn ExecutionPlan>,
);

/// Runs `plan`, returning rows partition after partition; a limit over gathered partitions is
/// taken from the partitions in order.
pub(crate) fn in_partition_order(
    plan: Arc<dyn ExecutionPlan>,
    task_context: Arc<TaskContext>,
) -> ExecResult<Running> {
    let plan = projection_below_limit(plan)?;
    if let Some((input, skip, fetch)) = limit_over_partitions(&plan) {
        let (input, progress) = crate::progress::instrument(input)?;
        let stream = concatenated(Arc::clone(&input), task_context)?;
        return Ok((limited(stream, skip, fetch), progress, input));
    }
    let (plan, progress) = crate::progress::instrument(plan)?;
    Ok((
        concatenated(Arc::clone(&plan), task_context)?,
        progress,
        plan,
    ))
}

/// A projection above a limit that gathers partitions moves below it, where it runs on each
/// partition, so the limit is at the top.
fn projection_below_limit(plan: Arc<dyn ExecutionPlan>) -> ExecResult<Arc<dyn ExecutionPlan>> {
    let Some(projection) = plan.downcast_ref::<ProjectionExec>() else {
        return Ok(plan);
    };
    let input = projection_below_limit(projection.input().clone())?;
    let (limit, gather) = match input.downcast_ref::<GlobalLimitExec>() {
        Some(limit) => (Some(limit), limit.input().clone()),
        None => (None, input.clone()),
    };
    let Some(coalesce) = gather.downcast_ref::<CoalescePartitionsExec>() else {
        return Ok(plan);
    };
    let moved: Arc<dyn ExecutionPlan> = Arc::new(ProjectionExec::try_new(
        projection.expr().iter().cloned(),
        coalesce.input().clone(),
    )?);
    let gathered: Arc<dyn ExecutionPlan> =
        Arc::new(CoalescePartitionsExec::new(moved).with_fetch(coalesce.fetch()));
    Ok(match limit {
        Some(limit) => Arc::new(GlobalLimitExec::new(gathered, limit.skip(), limit.fetch())),
        None => gathered,
    })
}

/// The partitions, skip and fetch of a limit at the top that gathers several partitions.
fn limit_over_partitions(
    plan: &Arc<dyn ExecutionPlan>,
) -> Option<(Arc<dyn ExecutionPlan>, usize, Option<usize>)> {
    let gathered = |node: &Arc<dyn ExecutionPlan>| {
        node.downcast_ref::<CoalescePartitionsExec>()
            .map(|c| (c.input().clone(), c.fetch()))
            .filter(|(input, _)| input.properties().output_partitioning().partition_count() > 1)
    };
    if let Some((input, Some(fetch))) = gathered(plan) {
        return Some((input, 0, Some(fetch)));
    }
    let limit = plan.downcast_ref::<GlobalLimitExec>()?;
    let (input, inner_fetch) = gathered(limit.input())?;
    let fetch = match (limit.fetch(), inner_fetch) {
        (Some(outer), _) => Some(outer),
        // The gathering's fetch already counts the skipped rows.
        (None, Some(inner)) => Some(inner.saturating_sub(limit.skip())),
        (None, None) => None,
    };
    Some((input, limit.skip(), fetch))
}

/// Every partition runs at once; their rows come out one partition after another.
fn concatenated(
    plan: Arc<dyn ExecutionPlan>,
    task_context: Arc<TaskContext>,
) -> ExecResult<SendableRecordBatchStream> {
    let partitions = plan.properties().output_partitioning().partition_count();
    let schema = plan.schema();
    if partitions <= 1 {
        return Ok(datafusion::physical_plan::execute_stream(
            plan,
            task_context,
        )?);
    }
    let mut receivers = Vec::with_capacity(partitions);
    for partition in 0..partitions {
        let mut stream = plan.execute(partition, task_context.clone())?;
        // A small buffer per partition: later partitions make progress while earlier ones
        // are read, without holding whole results in memory.
        let (sender, receiver) = tokio::sync::mpsc::channel(2);
        // Aborted when the result stream is dropped (the client went away, a limit was met),
        // so partitions nobody will read stop instead of running to their next batch.
        let task = SpawnedTask::spawn(async move {
            while let Some(batch) = stream.next().await {
                if sender.send(batch).await.is_err() {
                    break;
                }
            }
        });
        receivers.push(stream_from(receiver, task));
    }
    let ordered = futures::stream::iter(receivers).flatten();
    Ok(Box::pin(RecordBatchStreamAdapter::new(schema, ordered)))
}

/// `stream` without its first `skip` rows and ending after `fetch` more.
fn limited(
    stream: SendableRecordBatchStream,
    skip: usize,
    fetch: Option<usize>,
) -> SendableRecordBatchStream {
    let schema = stream.schema();
    let mut to_skip = skip;
    let mut left = fetch.unwrap_or(usize::MAX);
    let rows = stream
        .scan((), move |_, item| {
            if left == 0 {
                return std::future::ready(None);
            }
            let out = item.map(|batch: RecordBatch| {
                let skipped = to_skip.min(batch.num_rows());
                to_skip -= skipped;
                let taken = left.min(batch.num_rows() - skipped);
                left -= taken;
                batch.slice(skipped, taken)
            });
            std::future::ready(Some(out))
        })
        .filter(|item| std::future::ready(item.as_ref().map_or(true, |b| b.num_rows() > 0)));
    Box::pin(RecordBatchStreamAdapter::new(schema, rows))
}

fn stream_from<T: Send + 'static>(
    mut receiver: tokio::sync::mpsc::Receiver<T>,
    task: SpawnedTask<()>,
) -> futures::stream::BoxStream<'static, T> {
    Box::pin(futures::stream::poll_fn(move |cx| {
        let _producer = &task;
        receiver.poll_recv(cx)
    }))
}
