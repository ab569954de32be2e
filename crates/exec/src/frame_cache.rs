//! `df.cache()` / `df.persist(level)`: a persisted DataFrame's rows are computed the first
//! time a query needs them and kept; every later query built on that DataFrame reads them
//! instead of running its plan again, until `unpersist`. The kept rows count against the
//! server's memory limit; what does not fit goes to the spill directory for levels with
//! disk (`kept_rows.rs`), and otherwise is not kept: queries compute it as if nothing were
//! cached (Spark drops partitions that do not fit a memory-only level the same way).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::catalog::{Session as CatalogSession, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::source_as_provider;
use datafusion::logical_expr::{Expr, LogicalPlan, TableType};
use datafusion::physical_expr::expressions::Column as ColumnExpr;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use ember_resolve::CachedPlan;
use ember_spec::Plan;

use crate::kept_rows::{KeptRows, Placement};
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
        self.lock().push(PersistedFrame {
            plan,
            level,
            cached: cached_plan(resolved, level),
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
        match self.cached(plan) {
            Some(cached) => materialize_now(&cached, context).await,
            None => Ok(()),
        }
    }

    /// The cached rows standing in for `plan`, when it is a persisted DataFrame.
    pub(crate) fn cached(&self, plan: &Plan) -> Option<CachedPlan> {
        self.lock()
            .iter()
            .find(|f| same_plan(&f.plan, plan))
            .map(|f| f.cached.clone())
    }
}

/// Rows to be kept for `resolved` at `level`, computed when first needed.
pub(crate) fn cached_plan(resolved: LogicalPlan, level: StorageLevel) -> CachedPlan {
    let schema = resolved.schema().clone();
    let provider = Arc::new(CachedFrame::new(resolved, level));
    CachedPlan { provider, schema }
}

/// Computes and keeps `cached`'s rows now.
pub(crate) async fn materialize_now(
    cached: &CachedPlan,
    context: &SessionContext,
) -> ExecResult<()> {
    if let Some(frame) = cached.provider.downcast_ref::<CachedFrame>() {
        frame.materialize(context).await?;
    }
    Ok(())
}

/// The client gives every DataFrame its own plan id, so comparing ids first keeps the
/// search cheap for the many sub-plans that are not persisted.
fn same_plan(a: &Plan, b: &Plan) -> bool {
    a.plan_id == b.plan_id && a == b
}

/// A persisted plan's rows: computed on first use, then served from where they are kept.
#[derive(Debug)]
pub(crate) struct CachedFrame {
    source: LogicalPlan,
    /// The plan's columns, under positional names (`_0`, `_1`, ...) when some repeat.
    schema: SchemaRef,
    placement: Placement,
    kept: tokio::sync::OnceCell<Option<KeptRows>>,
}

impl CachedFrame {
    fn new(source: LogicalPlan, level: StorageLevel) -> Self {
        // The plan's own names when they are unique, so a scan needs no renaming projection
        // (which DataFusion's decorrelation mishandles); positional ones otherwise.
        let names: std::collections::HashSet<&str> = source
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        let unique = names.len() == source.schema().fields().len();
        let fields: Vec<Field> = source
            .schema()
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| match unique {
                true => f.as_ref().clone(),
                false => f.as_ref().clone().with_name(format!("_{i}")),
            })
            .collect();
        CachedFrame {
            source,
            schema: Arc::new(Schema::new(fields)),
            placement: Placement {
                memory: level.use_memory || level.use_off_heap,
                disk: level.use_disk,
            },
            kept: tokio::sync::OnceCell::new(),
        }
    }

    /// Computes and keeps the rows, once; rows that fit nowhere the level allows are not
    /// kept, and queries compute them afresh.
    async fn materialize(&self, context: &SessionContext) -> ExecResult<()> {
        self.kept
            .get_or_try_init(|| async {
                let frame = context.execute_logical_plan(self.source.clone()).await?;
                let task = Arc::new(frame.task_ctx());
                let physical = frame.create_physical_plan().await?;
                let kept =
                    KeptRows::keep(physical, task, self.schema.clone(), self.placement).await?;
                if kept.is_none() {
                    tracing::info!("a persisted DataFrame does not fit in memory");
                }
                Ok::<_, crate::ExecError>(kept)
            })
            .await?;
        Ok(())
    }

    /// The plan computing the rows afresh, under the kept rows' names.
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
            Some(Some(kept)) => kept.scan(&self.schema, projection),
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
