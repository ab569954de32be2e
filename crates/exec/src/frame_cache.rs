//! `df.cache()` / `df.persist(level)`: a persisted DataFrame's rows are computed the first
//! time a query needs them and kept; every later query built on that DataFrame reads them
//! instead of running its plan again, until `unpersist`. The kept rows count against the
//! server's memory limit; rows that do not fit are not kept, and queries compute them as if
//! nothing were cached (Spark drops partitions that do not fit in memory the same way).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session as CatalogSession, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source_as_provider;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::logical_expr::{Expr, LogicalPlan, TableType};
use datafusion::physical_expr::expressions::Column as ColumnExpr;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use ember_resolve::CachedPlan;
use ember_spec::Plan;

use crate::session::StorageLevel;
use crate::ExecResult;

/// The DataFrames a session persisted, each with its storage level and kept rows.
#[derive(Default)]
pub(crate) struct PersistedFrames {
    frames: Mutex<Vec<PersistedFrame>>,
}

#[derive(Clone)]
struct PersistedFrame {
    plan: Plan,
    level: StorageLevel,
    cached: CachedPlan,
}

impl PersistedFrames {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PersistedFrame>> {
        self.frames.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Persists `plan`, resolved as `resolved`.
    pub(crate) fn insert(&self, plan: Plan, resolved: LogicalPlan, level: StorageLevel) {
        let schema = resolved.schema().clone();
        let provider = Arc::new(CachedFrame::new(resolved));
        self.lock().push(PersistedFrame {
            plan,
            level,
            cached: CachedPlan { provider, schema },
        });
    }

    pub(crate) fn remove(&self, plan: &Plan) {
        self.lock().retain(|f| !same_plan(&f.plan, plan));
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    pub(crate) fn level(&self, plan: &Plan) -> Option<StorageLevel> {
        self.lock()
            .iter()
            .find(|f| same_plan(&f.plan, plan))
            .map(|f| f.level)
    }

    /// Computes and keeps `plan`'s rows now, if it is persisted here.
    pub(crate) async fn materialize(
        &self,
        plan: &Plan,
        context: &SessionContext,
    ) -> ExecResult<()> {
        let Some(cached) = self.cached(plan) else {
            return Ok(());
        };
        if let Some(frame) = cached.provider.downcast_ref::<CachedFrame>() {
            frame.materialize(context).await?;
        }
        Ok(())
    }

    /// The cached rows standing in for `plan`, when it is a persisted DataFrame.
    pub(crate) fn cached(&self, plan: &Plan) -> Option<CachedPlan> {
        self.lock()
            .iter()
            .find(|f| same_plan(&f.plan, plan))
            .map(|f| f.cached.clone())
    }
}

/// The client gives every DataFrame its own plan id, so comparing ids first keeps the
/// search cheap for the many sub-plans that are not persisted.
fn same_plan(a: &Plan, b: &Plan) -> bool {
    a.plan_id == b.plan_id && a == b
}

/// A persisted plan's rows: computed on first use, then served from memory.
#[derive(Debug)]
pub(crate) struct CachedFrame {
    source: LogicalPlan,
    /// The plan's columns under positional names (`_0`, `_1`, ...).
    schema: SchemaRef,
    kept: tokio::sync::OnceCell<Option<KeptRows>>,
}

#[derive(Debug)]
struct KeptRows {
    partitions: Vec<Vec<RecordBatch>>,
    _reservation: MemoryReservation,
}

impl CachedFrame {
    fn new(source: LogicalPlan) -> Self {
        let fields: Vec<Field> = source
            .schema()
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| f.as_ref().clone().with_name(format!("_{i}")))
            .collect();
        CachedFrame {
            source,
            schema: Arc::new(Schema::new(fields)),
            kept: tokio::sync::OnceCell::new(),
        }
    }

    /// Computes and keeps the rows, once; rows that do not fit the memory limit are dropped.
    async fn materialize(&self, context: &SessionContext) -> ExecResult<()> {
        self.kept
            .get_or_try_init(|| async {
                let frame = context.execute_logical_plan(self.source.clone()).await?;
                let partitions = frame.collect_partitioned().await?;
                let size: usize = partitions
                    .iter()
                    .flatten()
                    .map(RecordBatch::get_array_memory_size)
                    .sum();
                let reservation = MemoryConsumer::new("cached DataFrame")
                    .register(&context.runtime_env().memory_pool);
                if reservation.try_grow(size).is_err() {
                    tracing::info!(bytes = size, "a persisted DataFrame does not fit in memory");
                    return Ok::<_, crate::ExecError>(None);
                }
                let partitions = partitions
                    .into_iter()
                    .map(|batches| {
                        batches
                            .into_iter()
                            .map(|b| {
                                RecordBatch::try_new(self.schema.clone(), b.columns().to_vec())
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(KeptRows {
                    partitions,
                    _reservation: reservation,
                }))
            })
            .await?;
        Ok(())
    }

    /// The plan computing the rows afresh, under the positional names.
    async fn recomputed(
        &self,
        state: &dyn CatalogSession,
        projection: Option<&Vec<usize>>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let input = state.create_physical_plan(&self.source).await?;
        let all: Vec<usize> = (0..self.schema.fields().len()).collect();
        let columns = projection.unwrap_or(&all);
        let input_schema = input.schema();
        let exprs = columns
            .iter()
            .map(|&i| {
                let name = input_schema.field(i).name();
                let column: Arc<dyn PhysicalExpr> = Arc::new(ColumnExpr::new(name, i));
                (column, self.schema.field(i).name().clone())
            })
            .collect::<Vec<_>>();
        Ok(Arc::new(ProjectionExec::try_new(exprs, input)?))
    }
}

#[async_trait]
impl TableProvider for CachedFrame {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        state: &dyn CatalogSession,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        match self.kept.get() {
            Some(Some(kept)) => Ok(MemorySourceConfig::try_new_exec(
                &kept.partitions,
                self.schema.clone(),
                projection.cloned(),
            )?),
            // Not computed yet (`explain()`), or too large to keep.
            _ => self.recomputed(state, projection).await,
        }
    }
}

/// Computes the rows of every persisted DataFrame `plan` reads that is not kept yet, inner
/// ones first so an outer one is computed from them.
pub(crate) async fn materialize_cached_frames(
    plan: &LogicalPlan,
    context: &SessionContext,
) -> ExecResult<()> {
    for provider in cached_frames_in(plan) {
        if let Some(frame) = provider.downcast_ref::<CachedFrame>() {
            if frame.kept.initialized() {
                continue;
            }
            Box::pin(materialize_cached_frames(&frame.source, context)).await?;
            frame.materialize(context).await?;
        }
    }
    Ok(())
}

fn cached_frames_in(plan: &LogicalPlan) -> Vec<Arc<dyn TableProvider>> {
    let mut found = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            if let Ok(provider) = source_as_provider(&scan.source) {
                if provider.downcast_ref::<CachedFrame>().is_some() {
                    found.push(provider);
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}
