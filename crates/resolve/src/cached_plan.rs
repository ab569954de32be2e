//! A persisted DataFrame read back: its kept rows stand in for its whole plan, under the
//! same column names and qualifiers, so later DataFrames built on it refer to it unchanged.

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::common::{Column, DFSchemaRef, TableReference};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};

use crate::error::ResolveResult;
use crate::Resolver;

/// Where a persisted plan's rows are kept, and the schema its plan had. The provider's
/// columns are the plan's, in order, under names of its own (a join's output may repeat a
/// name, which a table cannot).
#[derive(Clone)]
pub struct CachedPlan {
    pub provider: Arc<dyn TableProvider>,
    pub schema: DFSchemaRef,
}

impl Resolver<'_> {
    pub(crate) fn scan_cached_plan(&self, cached: CachedPlan) -> ResolveResult<LogicalPlan> {
        let alias = self.fresh_alias();
        // Named so `explain()` shows that the rows come from the cache, as Spark's does.
        let table = TableReference::bare(format!(
            "InMemoryRelation{}",
            alias.trim_start_matches("__ember")
        ));
        let provider_schema = cached.provider.schema();
        let source = datafusion::datasource::provider_as_source(cached.provider);
        let scan = LogicalPlanBuilder::scan(table.clone(), source, None)?.build()?;
        // Kept under the plan's own names and one qualifier (or none): an alias says it all.
        let same_names = cached
            .schema
            .fields()
            .iter()
            .zip(provider_schema.fields())
            .all(|(field, stored)| field.name() == stored.name());
        let mut qualifiers = cached.schema.iter().map(|(qualifier, _)| qualifier);
        let first = qualifiers.next().flatten().cloned();
        if same_names && qualifiers.all(|q| q == first.as_ref()) {
            return Ok(match first {
                Some(qualifier) => LogicalPlanBuilder::from(scan).alias(qualifier)?.build()?,
                None => scan,
            });
        }
        let columns: Vec<Expr> = cached
            .schema
            .iter()
            .zip(provider_schema.fields())
            .map(|((qualifier, field), stored)| {
                Expr::Column(Column::new(Some(table.clone()), stored.name()))
                    .alias_qualified(qualifier.cloned(), field.name())
            })
            .collect();
        Ok(LogicalPlanBuilder::from(scan).project(columns)?.build()?)
    }
}
