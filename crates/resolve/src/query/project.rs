//! Project, filter and sort, with aggregates and window functions lifted out of
//! projections the way Spark's analyzer does.

use std::collections::HashMap;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::Column;
use datafusion::logical_expr::utils::{find_aggregate_exprs, find_window_exprs};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use ember_spec as spec;

use crate::expression::Named;
use crate::{ResolveResult, Resolver};

impl Resolver<'_> {
    pub(crate) fn resolve_query_project(
        &self,
        input: LogicalPlan,
        expressions: &[spec::Expr],
    ) -> ResolveResult<LogicalPlan> {
        let mut items = Vec::new();
        for expression in expressions {
            items.extend(self.resolve_items(expression, input.schema())?);
        }
        project_named(input, items, Vec::new())
    }

    pub(crate) fn resolve_query_filter(
        &self,
        input: LogicalPlan,
        condition: &spec::Expr,
    ) -> ResolveResult<LogicalPlan> {
        let resolved = match self.resolve_expr(condition, input.schema()) {
            Ok(resolved) => resolved,
            Err(error @ crate::ResolveError::UnresolvedColumn { .. }) => {
                // Spark lets a filter use a column the projection below dropped
                // (`df.select("a").filter("b > 1")`): filter under the projection instead.
                if let LogicalPlan::Projection(projection) = &input {
                    if let Ok(below) = self.resolve_expr(condition, projection.input.schema()) {
                        let filtered = LogicalPlanBuilder::from((*projection.input).clone())
                            .filter(below.expr)?
                            .build()?;
                        return Ok(LogicalPlanBuilder::from(filtered)
                            .project(projection.expr.clone())?
                            .build()?);
                    }
                }
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        Ok(LogicalPlanBuilder::from(input)
            .filter(resolved.expr)?
            .build()?)
    }

    pub(crate) fn resolve_query_sort(
        &self,
        input: LogicalPlan,
        order: &[spec::SortOrder],
    ) -> ResolveResult<LogicalPlan> {
        let mut sorts = Vec::with_capacity(order.len());
        for o in order {
            sorts.push(self.resolve_sort(o, input.schema())?.0);
        }
        Ok(LogicalPlanBuilder::from(input).sort(sorts)?.build()?)
    }
}

/// Builds a projection of `items`. Aggregate calls in it become an Aggregate below (grouped
/// by `group_by`), window calls a Window node, each replaced by a reference to its output.
pub(crate) fn project_named(
    input: LogicalPlan,
    items: Vec<Named>,
    group_by: Vec<Expr>,
) -> ResolveResult<LogicalPlan> {
    // Spark allows equal output names (`select(a.cast("int"), a.cast("string"))`); DataFusion
    // needs them apart, so each copy gets a qualifier of its own. Reading one back by name is
    // then ambiguous, as in Spark.
    let key = |item: &Named| -> (Option<String>, String) {
        match &item.expr {
            Expr::Column(column) if column.name == item.name => (
                column.relation.as_ref().map(|r| r.to_string()),
                item.name.clone(),
            ),
            _ => (None, item.name.clone()),
        }
    };
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut keys: HashMap<(Option<String>, String), usize> = HashMap::new();
    for item in &items {
        *names.entry(item.name.clone()).or_default() += 1;
        *keys.entry(key(item)).or_default() += 1;
    }
    let exprs: Vec<Expr> = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let item_key = key(&item);
            let unique_qualified = item_key.0.is_some() && keys.get(&item_key) == Some(&1);
            if names.get(&item.name).copied().unwrap_or(0) > 1 && !unique_qualified {
                let name = item.name.clone();
                item.expr
                    .alias_qualified(Some(format!("__dup_{index}")), name)
            } else {
                item.into_projection()
            }
        })
        .collect();
    let (plan, exprs) = crate::row_marks::mark_positional(input, exprs)?;
    let (mut plan, mut exprs) = crate::row_marks::unnest_generator(plan, exprs)?;
    let aggregates = find_aggregate_exprs(exprs.iter());
    if !aggregates.is_empty() || !group_by.is_empty() {
        // A grouping set's keys are output one by one, each under its own name.
        let group_output: Vec<(Expr, Expr)> = group_by
            .iter()
            .flat_map(|g| match g {
                Expr::GroupingSet(set) => set
                    .distinct_expr()
                    .into_iter()
                    .map(|e| (e.clone(), output_reference(e)))
                    .collect::<Vec<_>>(),
                other => vec![(other.clone(), output_reference(other))],
            })
            .collect();
        plan = LogicalPlanBuilder::from(plan)
            .aggregate(group_by, aggregates.clone())?
            .build()?;
        let mut replacements: HashMap<Expr, Expr> = group_output.into_iter().collect();
        for aggregate in aggregates {
            let reference = output_reference(&aggregate);
            replacements.insert(aggregate, reference);
        }
        exprs = exprs
            .into_iter()
            .map(|e| replace(e, &replacements))
            .collect::<ResolveResult<_>>()?;
    }
    let windows = find_window_exprs(exprs.iter());
    if !windows.is_empty() {
        plan = LogicalPlanBuilder::window_plan(plan, windows.clone())?;
        let replacements: HashMap<Expr, Expr> = windows
            .iter()
            .map(|w| (w.clone(), output_reference(w)))
            .collect();
        exprs = exprs
            .into_iter()
            .map(|e| replace(e, &replacements))
            .collect::<ResolveResult<_>>()?;
    }
    Ok(LogicalPlanBuilder::from(plan).project(exprs)?.build()?)
}

/// How an expression computed by a node below is referenced from above.
fn output_reference(expr: &Expr) -> Expr {
    match expr {
        Expr::Column(_) => expr.clone(),
        Expr::Alias(alias) => Expr::Column(Column::new(alias.relation.clone(), &alias.name)),
        other => Expr::Column(Column::new_unqualified(other.schema_name().to_string())),
    }
}

fn replace(expr: Expr, replacements: &HashMap<Expr, Expr>) -> ResolveResult<Expr> {
    // Keep a top-level alias in place so the output name survives the rewrite.
    if let Expr::Alias(alias) = &expr {
        if !replacements.contains_key(&expr) {
            let inner = replace((*alias.expr).clone(), replacements)?;
            return Ok(inner.alias_qualified(alias.relation.clone(), alias.name.clone()));
        }
    }
    Ok(expr
        .transform_down(|node| {
            Ok(match replacements.get(&node) {
                Some(reference) => Transformed::new(
                    reference.clone(),
                    true,
                    datafusion::common::tree_node::TreeNodeRecursion::Jump,
                ),
                None => Transformed::no(node),
            })
        })?
        .data)
}

/// Casts the branches of a union to common column types, as Spark widens `int` and
/// `double` to `double`.
pub(crate) fn union_compatible(branches: Vec<LogicalPlan>) -> ResolveResult<Vec<LogicalPlan>> {
    use datafusion::logical_expr::type_coercion::binary::type_union_coercion;
    let Some(first) = branches.first() else {
        return Ok(branches);
    };
    let width = first.schema().fields().len();
    let mut common: Vec<datafusion::arrow::datatypes::DataType> = first
        .schema()
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    for branch in &branches[1..] {
        for (i, field) in branch.schema().fields().iter().enumerate().take(width) {
            if let Some(wider) = type_union_coercion(&common[i], field.data_type()) {
                common[i] = wider;
            }
        }
    }
    branches
        .into_iter()
        .map(|branch| {
            let needs_cast = branch
                .schema()
                .fields()
                .iter()
                .zip(&common)
                .any(|(f, t)| f.data_type() != t);
            if !needs_cast {
                return Ok(branch);
            }
            let exprs: Vec<Expr> = branch
                .schema()
                .iter()
                .zip(&common)
                .map(|((q, f), t)| {
                    let column = Expr::Column(Column::new(q.cloned(), f.name()));
                    if f.data_type() == t {
                        column
                    } else {
                        datafusion::logical_expr::cast(column, t.clone()).alias(f.name())
                    }
                })
                .collect();
            Ok(LogicalPlanBuilder::from(branch).project(exprs)?.build()?)
        })
        .collect()
}
