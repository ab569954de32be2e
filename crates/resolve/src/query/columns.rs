//! DataFrame column operations: withColumns, withColumnsRenamed, drop, toDF, to(schema),
//! dropDuplicates, sample, range, tail.

use std::sync::Arc;

use datafusion::catalog::TableFunctionImpl;
use datafusion::common::Column;
use datafusion::datasource::provider_as_source;
use datafusion::functions_table::generate_series::RangeFunc;
use datafusion::logical_expr::{cast, col, lit, Expr, LogicalPlan, LogicalPlanBuilder};
use ember_spec::{self as spec, DataType};

use super::project::project_named;
use crate::error::{ResolveError, ResolveResult};
use crate::expression::Named;
use crate::types::to_arrow;
use crate::Resolver;

/// The input's visible columns, as references that keep their qualifiers.
pub(crate) fn input_columns(input: &LogicalPlan) -> Vec<Named> {
    input
        .schema()
        .iter()
        .filter(|(_, f)| !f.name().starts_with("__"))
        .map(|(q, f)| Named {
            expr: Expr::Column(Column::new(q.cloned(), f.name())),
            name: f.name().clone(),
        })
        .collect()
}

impl Resolver<'_> {
    pub(crate) fn resolve_query_with_columns(
        &self,
        input: LogicalPlan,
        columns: &[(String, spec::Expr)],
    ) -> ResolveResult<LogicalPlan> {
        let mut items = input_columns(&input);
        for (name, expr) in columns {
            let resolved = self.resolve_expr(expr, input.schema())?;
            let named = Named {
                expr: resolved.expr,
                name: name.clone(),
            };
            match items.iter().position(|i| i.name.eq_ignore_ascii_case(name)) {
                Some(index) => items[index] = named,
                None => items.push(named),
            }
        }
        project_named(input, items, Vec::new())
    }

    pub(crate) fn resolve_query_with_columns_renamed(
        &self,
        input: LogicalPlan,
        renames: &[(String, String)],
    ) -> ResolveResult<LogicalPlan> {
        let mut items = input_columns(&input);
        for item in items.iter_mut() {
            if let Some((_, to)) = renames
                .iter()
                .find(|(from, _)| from.eq_ignore_ascii_case(&item.name))
            {
                item.name = to.clone();
            }
        }
        project_named(input, items, Vec::new())
    }

    pub(crate) fn resolve_query_drop(
        &self,
        input: LogicalPlan,
        columns: &[spec::Expr],
        names: &[String],
    ) -> ResolveResult<LogicalPlan> {
        let mut dropped = Vec::new();
        for column in columns {
            // Dropping a column that does not exist is a no-op in Spark; an ambiguous one is not.
            match self.resolve_expr(column, input.schema()) {
                Ok(resolved) => dropped.push(resolved.expr),
                Err(error @ ResolveError::AmbiguousReference { .. }) => return Err(error),
                Err(_) => {}
            }
        }
        let items: Vec<Named> = input_columns(&input)
            .into_iter()
            .filter(|item| {
                !names.iter().any(|n| n.eq_ignore_ascii_case(&item.name))
                    && !dropped.contains(&item.expr)
            })
            .collect();
        project_named(input, items, Vec::new())
    }

    pub(crate) fn resolve_query_to_df(
        &self,
        input: LogicalPlan,
        names: &[String],
    ) -> ResolveResult<LogicalPlan> {
        let mut items = input_columns(&input);
        if items.len() != names.len() {
            return Err(ResolveError::InvalidArgument(format!(
                "[INVALID_COLUMN_OR_FIELD_DATA_TYPE] The number of columns doesn't match.\nOld column names ({}): {}\nNew column names ({}): {}",
                items.len(),
                items.iter().map(|i| i.name.clone()).collect::<Vec<_>>().join(", "),
                names.len(),
                names.join(", ")
            )));
        }
        for (item, name) in items.iter_mut().zip(names) {
            item.name = name.clone();
        }
        project_named(input, items, Vec::new())
    }

    pub(crate) fn resolve_query_to_schema(
        &self,
        input: LogicalPlan,
        schema: &DataType,
    ) -> ResolveResult<LogicalPlan> {
        let DataType::Struct(fields) = schema else {
            return Err(ResolveError::InvalidArgument(
                "to() needs a struct schema".into(),
            ));
        };
        let available = input_columns(&input);
        let mut items = Vec::new();
        for field in fields {
            let Some(found) = available
                .iter()
                .find(|i| i.name.eq_ignore_ascii_case(&field.name))
            else {
                return Err(ResolveError::UnresolvedColumn {
                    name: format!("`{}`", field.name),
                    suggestions: available
                        .iter()
                        .map(|i| format!("`{}`", i.name))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            items.push(Named {
                expr: cast(found.expr.clone(), to_arrow(&field.data_type)?),
                name: field.name.clone(),
            });
        }
        project_named(input, items, Vec::new())
    }

    pub(crate) fn resolve_query_deduplicate(
        &self,
        input: LogicalPlan,
        columns: Option<&[String]>,
    ) -> ResolveResult<LogicalPlan> {
        let Some(columns) = columns.filter(|c| !c.is_empty()) else {
            return Ok(LogicalPlanBuilder::from(input).distinct()?.build()?);
        };
        let mut keys = Vec::new();
        for name in columns {
            let column = spec::Expr::Column {
                name: vec![name.clone()],
                plan_id: None,
            };
            keys.push(self.resolve_expr(&column, input.schema())?.expr);
        }
        let select: Vec<Expr> = input_columns(&input).into_iter().map(|n| n.expr).collect();
        Ok(LogicalPlanBuilder::from(input)
            .distinct_on(keys, select, None)?
            .build()?)
    }

    pub(crate) fn resolve_query_sample(
        &self,
        input: LogicalPlan,
        lower_bound: f64,
        upper_bound: f64,
        with_replacement: bool,
        _seed: Option<i64>,
    ) -> ResolveResult<LogicalPlan> {
        if with_replacement {
            return Err(ResolveError::Unsupported(
                "sampling with replacement".into(),
            ));
        }
        // Bernoulli sampling: each row is kept with probability (upper - lower).
        let fraction = (upper_bound - lower_bound).clamp(0.0, 1.0);
        let random = datafusion::functions::math::expr_fn::random();
        Ok(LogicalPlanBuilder::from(input)
            .filter(random.lt(lit(fraction)))?
            .build()?)
    }

    pub(crate) fn resolve_query_range(
        &self,
        start: i64,
        end: i64,
        step: i64,
    ) -> ResolveResult<LogicalPlan> {
        if step == 0 {
            return Err(ResolveError::InvalidArgument(
                "[FAILED_FUNCTION_CALL] range step must not be 0".into(),
            ));
        }
        let arguments = [lit(start), lit(end), lit(step)];
        let provider = RangeFunc {}.call_with_args(datafusion::catalog::TableFunctionArgs::new(
            &arguments,
            &self.state,
        ))?;
        let alias = self.fresh_alias();
        let plan = LogicalPlanBuilder::scan(alias, provider_as_source(provider), None)?.build()?;
        Ok(LogicalPlanBuilder::from(plan)
            .project(vec![col("value").alias("id")])?
            .build()?)
    }

    pub(crate) async fn resolve_query_tail(
        &self,
        input: LogicalPlan,
        limit: usize,
    ) -> ResolveResult<LogicalPlan> {
        let schema = Arc::new(input.schema().as_arrow().clone());
        let batches = self.collect_in_order(input).await?;
        let total: usize = batches.iter().map(|b| b.num_rows()).sum();
        let mut skip = total.saturating_sub(limit);
        let mut kept = Vec::new();
        for batch in batches {
            if skip >= batch.num_rows() {
                skip -= batch.num_rows();
                continue;
            }
            kept.push(batch.slice(skip, batch.num_rows() - skip));
            skip = 0;
        }
        self.scan_batches(schema, kept)
    }
}
