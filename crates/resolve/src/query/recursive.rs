//! Recursive CTEs: the anchor's rows, then the step over the rows each round added, until a
//! round adds none (DataFusion's recursive query over a work table).

use std::sync::Arc;

use datafusion::datasource::cte_worktable::CteWorkTable;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{cast, Expr, LogicalPlan, LogicalPlanBuilder};
use ember_spec::Plan;

use crate::error::{ResolveError, ResolveResult};
use crate::RecursionLimit;
use crate::Resolver;

impl Resolver<'_> {
    pub(crate) async fn resolve_recursive_query(
        &self,
        name: &str,
        anchor: Plan,
        step: Plan,
        distinct: bool,
        max_level: Option<i64>,
    ) -> ResolveResult<LogicalPlan> {
        let anchor = self.resolve_plan(anchor).await?;
        // Later rounds may add NULLs where the anchor had none.
        let schema = Arc::new(datafusion::arrow::datatypes::Schema::new(
            anchor
                .schema()
                .fields()
                .iter()
                .map(|f| f.as_ref().clone().with_nullable(true))
                .collect::<Vec<_>>(),
        ));
        let table = Arc::new(CteWorkTable::new(name, schema));
        let scan = LogicalPlanBuilder::scan(name, provider_as_source(table), None)?.build()?;
        let outer = self.set_recursive_scan(name, Some(scan));
        let step = Box::pin(self.resolve_plan(step)).await;
        self.set_recursive_scan(name, outer);
        let step = step?;
        if step.schema().fields().len() != anchor.schema().fields().len() {
            return Err(ResolveError::InvalidArgument(format!(
                "[NUM_COLUMNS_MISMATCH] UNION can only be performed on inputs with the same number of columns, but the first input has {} columns and the second input has {} columns.",
                anchor.schema().fields().len(),
                step.schema().fields().len()
            )));
        }
        // The step's columns take the anchor's names and types, by position.
        let exprs: Vec<Expr> = step
            .schema()
            .columns()
            .into_iter()
            .zip(anchor.schema().fields().iter())
            .map(|(column, field)| {
                cast(Expr::Column(column), field.data_type().clone()).alias(field.name())
            })
            .collect();
        let step = LogicalPlanBuilder::from(step).project(exprs)?.build()?;
        // A negative level, as in Spark's setting, means no limit.
        let limit = match max_level {
            Some(level) => usize::try_from(level).ok(),
            None => self.recursion_level_limit,
        };
        let step = match limit {
            Some(limit) => RecursionLimit::new(step, limit).into_plan(),
            None => step,
        };
        Ok(LogicalPlanBuilder::from(anchor)
            .to_recursive_query(name.to_string(), step, distinct)?
            .build()?)
    }

    pub(crate) fn recursive_reference(&self, name: &str) -> ResolveResult<LogicalPlan> {
        self.recursive_scan(name)
            .ok_or_else(|| ResolveError::TableNotFound(format!("`{name}`")))
    }
}
