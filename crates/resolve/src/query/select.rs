//! A SQL `SELECT` block: the select list with its grouping, `HAVING`, `QUALIFY` and
//! `ORDER BY`, resolved as Spark's analyzer does.
//!
//! Everything is one projection (`project_named`), which lifts aggregates and windows out of
//! its items. `HAVING`, `QUALIFY` and sort keys the select list lacks ride along as hidden
//! items (`__having`, ...), are used by the filters and the sort above, then dropped.

use datafusion::arrow::datatypes::DataType as ArrowType;
use datafusion::common::{Column, DFSchema};
use datafusion::logical_expr::utils::{find_aggregate_exprs, find_window_exprs};
use datafusion::logical_expr::{
    cast, col, Expr, ExprSchemable, GroupingSet, LogicalPlan, LogicalPlanBuilder, SortExpr,
};
use ember_spec::{self as spec, GroupBy, GroupType, Literal, NullOrdering, SortDirection};

use super::project::project_named;
use crate::error::{ResolveError, ResolveResult};
use crate::expression::Named;
use crate::Resolver;

const HAVING: &str = "__having";
const QUALIFY: &str = "__qualify";

/// How one `ORDER BY` key is found.
enum SortKey {
    /// An expression over the select list's output.
    Output(Expr),
    /// A hidden item computed with the select list.
    Hidden(Named),
}

impl Resolver<'_> {
    pub(crate) async fn resolve_query_select(
        &self,
        select: spec::Select,
    ) -> ResolveResult<LogicalPlan> {
        let input = match select.input {
            Some(input) => self.resolve_plan(*input).await?,
            None => LogicalPlanBuilder::empty(true).build()?,
        };
        if select.projection.is_empty() {
            return Ok(input);
        }
        let schema = input.schema().clone();
        let mut items = Vec::new();
        for expression in &select.projection {
            items.extend(self.resolve_items(expression, &schema)?);
        }
        let visible = items.len();
        let group_by = match &select.group_by {
            None => Vec::new(),
            Some(group_by) => {
                self.select_grouping(group_by, &items, &select.projection, &schema)?
            }
        };
        let mut hidden = Vec::new();
        if let Some(having) = &select.having {
            let condition = self.resolve_with_aliases(having, &schema, &select.projection)?;
            hidden.push(Named::new(condition.expr, HAVING));
        }
        if let Some(qualify) = &select.qualify {
            let condition = self.resolve_with_aliases(qualify, &schema, &select.projection)?;
            hidden.push(Named::new(condition.expr, QUALIFY));
        }
        // The block without sort keys tells which keys its output already has.
        let probe = project_named(
            input.clone(),
            clone_items(&items)
                .into_iter()
                .chain(clone_items(&hidden))
                .collect(),
            group_by.clone(),
        )?;
        let mut keys = Vec::with_capacity(select.order_by.len());
        for (index, order) in select.order_by.iter().enumerate() {
            let key = self.sort_key(
                order,
                index,
                &items[..visible],
                probe.schema(),
                &schema,
                &select.projection,
            )?;
            if let SortKey::Hidden(named) = &key {
                hidden.push(Named::new(named.expr.clone(), named.name.clone()));
            }
            keys.push((key, order));
        }
        let mut plan = if hidden.len()
            > usize::from(select.having.is_some()) + usize::from(select.qualify.is_some())
        {
            project_named(input, items.into_iter().chain(hidden).collect(), group_by)?
        } else {
            probe
        };
        if select.having.is_some() {
            plan = LogicalPlanBuilder::from(plan)
                .filter(col(HAVING))?
                .build()?;
        }
        if select.qualify.is_some() {
            plan = LogicalPlanBuilder::from(plan)
                .filter(col(QUALIFY))?
                .build()?;
        }
        if !keys.is_empty() {
            let sorts = keys
                .into_iter()
                .map(|(key, order)| {
                    let expr = match key {
                        SortKey::Output(expr) => expr,
                        SortKey::Hidden(named) => col(named.name),
                    };
                    SortExpr::new(
                        expr,
                        order.direction == SortDirection::Ascending,
                        order.null_ordering == NullOrdering::NullsFirst,
                    )
                })
                .collect::<Vec<_>>();
            plan = LogicalPlanBuilder::from(plan).sort(sorts)?.build()?;
        }
        if plan.schema().fields().len() == visible {
            return Ok(plan);
        }
        let columns: Vec<Expr> = plan
            .schema()
            .iter()
            .take(visible)
            .map(|(qualifier, field)| Expr::Column(Column::new(qualifier.cloned(), field.name())))
            .collect();
        Ok(LogicalPlanBuilder::from(plan).project(columns)?.build()?)
    }

    /// GROUP BY keys: ordinals and select-list aliases name select-list items, as Spark
    /// allows (`spark.sql.groupByOrdinal`, `spark.sql.groupByAliases`).
    fn select_grouping(
        &self,
        group_by: &GroupBy,
        items: &[Named],
        projection: &[spec::Expr],
        schema: &DFSchema,
    ) -> ResolveResult<Vec<Expr>> {
        let (group_type, expressions, sets) = match group_by {
            GroupBy::All => {
                return Ok(items
                    .iter()
                    .filter(|item| {
                        let one = std::iter::once(&item.expr);
                        find_aggregate_exprs(one.clone()).is_empty()
                            && find_window_exprs(one).is_empty()
                    })
                    .map(|item| unaliased(&item.expr))
                    .collect())
            }
            GroupBy::Expressions {
                group_type,
                expressions,
                grouping_sets,
            } => (*group_type, expressions, grouping_sets),
        };
        let key = |expression: &spec::Expr| -> ResolveResult<Expr> {
            if let Some(position) = ordinal(expression) {
                let item = position
                    .checked_sub(1)
                    .and_then(|i| items.get(i))
                    .ok_or_else(|| ordinal_out_of_range("GROUP BY", position, items.len()))?;
                return Ok(unaliased(&item.expr));
            }
            Ok(self
                .resolve_with_aliases(expression, schema, projection)?
                .expr)
        };
        let keys = expressions
            .iter()
            .map(key)
            .collect::<ResolveResult<Vec<_>>>()?;
        Ok(match group_type {
            GroupType::Rollup => vec![Expr::GroupingSet(GroupingSet::Rollup(keys))],
            GroupType::Cube => vec![Expr::GroupingSet(GroupingSet::Cube(keys))],
            GroupType::GroupingSets => {
                let sets = sets
                    .iter()
                    .map(|set| set.iter().map(key).collect::<ResolveResult<Vec<_>>>())
                    .collect::<ResolveResult<Vec<_>>>()?;
                vec![Expr::GroupingSet(GroupingSet::GroupingSets(sets))]
            }
            GroupType::GroupBy | GroupType::Pivot => keys,
        })
    }

    /// Resolves against the block's input; a name only the select list defines (an alias)
    /// stands for the aliased expression.
    fn resolve_with_aliases(
        &self,
        expression: &spec::Expr,
        schema: &DFSchema,
        projection: &[spec::Expr],
    ) -> ResolveResult<Named> {
        match self.resolve_expr(expression, schema) {
            Err(error @ ResolveError::UnresolvedColumn { .. }) => {
                let substituted = expression.replaced(&|node| alias_target(node, projection));
                if &substituted == expression {
                    return Err(error);
                }
                self.resolve_expr(&substituted, schema)
            }
            other => other,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn sort_key(
        &self,
        order: &spec::SortOrder,
        index: usize,
        items: &[Named],
        output: &DFSchema,
        input: &DFSchema,
        projection: &[spec::Expr],
    ) -> ResolveResult<SortKey> {
        if let Some(position) = ordinal(&order.child) {
            let item = position
                .checked_sub(1)
                .filter(|i| *i < items.len())
                .ok_or_else(|| ordinal_out_of_range("ORDER BY", position, items.len()))?;
            let (qualifier, field) = output.qualified_field(item);
            return Ok(SortKey::Output(Expr::Column(Column::new(
                qualifier.cloned(),
                field.name(),
            ))));
        }
        // The select list's names come first; aggregates are computed with the block.
        if let Ok(resolved) = self.resolve_expr(&order.child, output) {
            let one = std::iter::once(&resolved.expr);
            if find_aggregate_exprs(one.clone()).is_empty() && find_window_exprs(one).is_empty() {
                return Ok(SortKey::Output(resolved.expr));
            }
        }
        let resolved = self.resolve_with_aliases(&order.child, input, projection)?;
        Ok(SortKey::Hidden(Named::new(
            resolved.expr,
            format!("__sort_{index}"),
        )))
    }

    /// `VALUES (...), (...)`: columns `col1`, `col2`, ... with types common to all rows.
    pub(crate) fn resolve_query_values(
        &self,
        rows: &[Vec<spec::Expr>],
    ) -> ResolveResult<LogicalPlan> {
        let empty = DFSchema::empty();
        let mut resolved = Vec::with_capacity(rows.len());
        for row in rows {
            resolved.push(
                row.iter()
                    .map(|e| self.resolve_expr(e, &empty).map(|n| n.expr))
                    .collect::<ResolveResult<Vec<_>>>()?,
            );
        }
        let width = resolved.first().map(Vec::len).unwrap_or(0);
        if resolved.iter().any(|row| row.len() != width) {
            return Err(ResolveError::Analysis(
                "[INVALID_INLINE_TABLE.NUM_COLUMNS_MISMATCH] Invalid inline table. Inline table expected the same number of columns in every row.".into(),
            ));
        }
        // Spark widens a column that mixes exact numbers with floating ones to DOUBLE.
        for column in 0..width {
            let types: Vec<ArrowType> = resolved
                .iter()
                .map(|row| row[column].get_type(&empty))
                .collect::<Result<_, _>>()?;
            let floating = types
                .iter()
                .any(|t| matches!(t, ArrowType::Float64 | ArrowType::Float32));
            let all_numeric = types.iter().all(|t| t.is_numeric() || t.is_null());
            if floating && all_numeric {
                for row in &mut resolved {
                    let value = row[column].clone();
                    row[column] = cast(value, ArrowType::Float64);
                }
            }
        }
        let plan = LogicalPlanBuilder::values(resolved)?.build()?;
        let names: Vec<Expr> = plan
            .schema()
            .iter()
            .enumerate()
            .map(|(i, (qualifier, field))| {
                Expr::Column(Column::new(qualifier.cloned(), field.name()))
                    .alias(format!("col{}", i + 1))
            })
            .collect();
        Ok(LogicalPlanBuilder::from(plan).project(names)?.build()?)
    }
}

fn clone_items(items: &[Named]) -> Vec<Named> {
    items
        .iter()
        .map(|i| Named::new(i.expr.clone(), i.name.clone()))
        .collect()
}

fn unaliased(expr: &Expr) -> Expr {
    match expr {
        Expr::Alias(alias) => (*alias.expr).clone(),
        other => other.clone(),
    }
}

/// A bare integer literal in GROUP BY or ORDER BY is a 1-based select-list position.
fn ordinal(expression: &spec::Expr) -> Option<usize> {
    match expression {
        spec::Expr::Literal(Literal::Integer(n)) => usize::try_from(*n).ok().or(Some(0)),
        _ => None,
    }
}

fn ordinal_out_of_range(clause: &str, position: usize, size: usize) -> ResolveError {
    let class = if clause == "GROUP BY" {
        "GROUP_BY_POS_OUT_OF_RANGE"
    } else {
        "ORDER_BY_POS_OUT_OF_RANGE"
    };
    ResolveError::Analysis(format!(
        "[{class}] {clause} position {position} is not in select list (valid range is [1, {size}])."
    ))
}

/// The select-list expression an unqualified name aliases, if any.
fn alias_target(node: &spec::Expr, projection: &[spec::Expr]) -> Option<spec::Expr> {
    let spec::Expr::Column { name, .. } = node else {
        return None;
    };
    let [single] = name.as_slice() else {
        return None;
    };
    projection.iter().find_map(|item| match item {
        spec::Expr::Alias { expr, name, .. }
            if name.len() == 1 && name[0].eq_ignore_ascii_case(single) =>
        {
            Some((**expr).clone())
        }
        _ => None,
    })
}
