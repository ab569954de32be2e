//! Joins. Each side gets a qualifier of its own, so equal column names on both sides (a
//! self-join) stay apart, and `df["k"]` references find their side through the plan id.

use datafusion::common::{Column, JoinType as DfJoinType};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::coalesce;
use ember_spec::{self as spec, JoinType};

use super::columns::input_columns;
use super::project::project_named;
use crate::error::{ResolveError, ResolveResult};
use crate::expression::Named;
use crate::Resolver;

impl Resolver<'_> {
    fn qualified_side(
        &self,
        plan: LogicalPlan,
        plan_id: Option<i64>,
        other: &LogicalPlan,
    ) -> ResolveResult<(LogicalPlan, String)> {
        if let LogicalPlan::SubqueryAlias(alias) = &plan {
            let name = alias.alias.table().to_string();
            self.remember_qualifier(plan_id, &name);
            return Ok((plan, name));
        }
        // A side that is itself a join of qualified relations (`FROM a, b JOIN c`) keeps
        // its qualifiers, so `a.x` still names a column, unless they clash with the other
        // side's.
        if keeps_own_qualifiers(&plan, other) {
            return Ok((plan, String::new()));
        }
        let name = self.fresh_alias();
        self.remember_qualifier(plan_id, &name);
        Ok((
            LogicalPlanBuilder::from(plan)
                .alias(name.clone())?
                .build()?,
            name,
        ))
    }

    pub(crate) fn resolve_query_join(
        &self,
        left: (LogicalPlan, Option<i64>),
        right: (LogicalPlan, Option<i64>),
        join_type: JoinType,
        condition: Option<&spec::Expr>,
        using_columns: &[String],
    ) -> ResolveResult<LogicalPlan> {
        let (left, left_name) = self.qualified_side(left.0, left.1, &right.0)?;
        let (right, right_name) = self.qualified_side(right.0, right.1, &left)?;
        let df_type = match join_type {
            JoinType::Inner | JoinType::Cross => DfJoinType::Inner,
            JoinType::LeftOuter => DfJoinType::Left,
            JoinType::RightOuter => DfJoinType::Right,
            JoinType::FullOuter => DfJoinType::Full,
            JoinType::LeftSemi => DfJoinType::LeftSemi,
            JoinType::LeftAnti => DfJoinType::LeftAnti,
        };
        if !using_columns.is_empty() {
            return self.join_using(left, &left_name, right, &right_name, df_type, using_columns);
        }
        let Some(condition) = condition else {
            return Ok(LogicalPlanBuilder::from(left).cross_join(right)?.build()?);
        };
        let combined = left.schema().join(right.schema())?;
        let condition = self.resolve_expr(condition, &combined)?.expr;
        spark_ordered_join(left, right, df_type, vec![condition])
    }

    fn join_using(
        &self,
        left: LogicalPlan,
        left_name: &str,
        right: LogicalPlan,
        right_name: &str,
        join_type: DfJoinType,
        using_columns: &[String],
    ) -> ResolveResult<LogicalPlan> {
        let find = |plan: &LogicalPlan, qualifier: &str, name: &str| -> ResolveResult<Column> {
            plan.schema()
                .iter()
                .find(|(_, f)| f.name().eq_ignore_ascii_case(name))
                .map(|(own, f)| match own {
                    Some(own) => Column::new(Some(own.clone()), f.name()),
                    None => Column::new(Some(qualifier), f.name()),
                })
                .ok_or_else(|| ResolveError::UnresolvedColumn {
                    name: format!("`{name}`"),
                    suggestions: plan
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| format!("`{}`", f.name()))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
        };
        let mut keys = Vec::new();
        for name in using_columns {
            keys.push((
                find(&left, left_name, name)?,
                find(&right, right_name, name)?,
            ));
        }
        let left_items = input_columns(&left);
        let right_items = input_columns(&right);
        let conditions: Vec<Expr> = keys
            .iter()
            .map(|(l, r)| Expr::Column(l.clone()).eq(Expr::Column(r.clone())))
            .collect();
        let joined = spark_ordered_join(left, right, join_type, conditions)?;
        let is_key = |item: &Named, side: usize| {
            keys.iter().any(|k| {
                let column = if side == 0 { &k.0 } else { &k.1 };
                item.expr == Expr::Column(column.clone())
            })
        };
        let mut items = Vec::new();
        for (l, r) in &keys {
            let (l_expr, r_expr) = (Expr::Column(l.clone()), Expr::Column(r.clone()));
            let expr = match join_type {
                DfJoinType::Right => r_expr,
                DfJoinType::Full => coalesce(vec![l_expr, r_expr]),
                _ => l_expr,
            };
            items.push(Named {
                expr,
                name: l.name.clone(),
            });
        }
        items.extend(left_items.into_iter().filter(|i| !is_key(i, 0)));
        if !matches!(join_type, DfJoinType::LeftSemi | DfJoinType::LeftAnti) {
            items.extend(right_items.into_iter().filter(|i| !is_key(i, 1)));
        }
        project_named(joined, items, Vec::new())
    }
}

/// True when every column of `plan` is qualified, by more than one qualifier, none of which
/// `other` uses.
fn keeps_own_qualifiers(plan: &LogicalPlan, other: &LogicalPlan) -> bool {
    let mut qualifiers = std::collections::HashSet::new();
    for (qualifier, _) in plan.schema().iter() {
        match qualifier {
            Some(q) => qualifiers.insert(q.to_string()),
            None => return false,
        };
    }
    qualifiers.len() > 1
        && other
            .schema()
            .iter()
            .all(|(q, _)| q.is_none_or(|q| !qualifiers.contains(&q.to_string())))
}

/// Joins with the right side as the hash table and the left side streamed, as Spark's
/// broadcast joins do, so inner and left joins return rows in the left side's order. The
/// output keeps Spark's column order: left columns, then right columns.
fn spark_ordered_join(
    left: LogicalPlan,
    right: LogicalPlan,
    join_type: DfJoinType,
    conditions: Vec<Expr>,
) -> ResolveResult<LogicalPlan> {
    let swapped = match join_type {
        DfJoinType::Inner => DfJoinType::Inner,
        DfJoinType::Left => DfJoinType::Right,
        other => {
            return Ok(LogicalPlanBuilder::from(left)
                .join_on(right, other, conditions)?
                .build()?)
        }
    };
    let columns: Vec<Expr> = left
        .schema()
        .columns()
        .into_iter()
        .chain(right.schema().columns())
        .map(Expr::Column)
        .collect();
    let joined = LogicalPlanBuilder::from(right)
        .join_on(left, swapped, conditions)?
        .build()?;
    Ok(LogicalPlanBuilder::from(joined).project(columns)?.build()?)
}

/// The columns a NATURAL join matches on: names both sides have, in the left side's order.
pub(crate) fn common_column_names(left: &LogicalPlan, right: &LogicalPlan) -> Vec<String> {
    left.schema()
        .fields()
        .iter()
        .map(|f| f.name())
        .filter(|name| {
            right
                .schema()
                .fields()
                .iter()
                .any(|f| f.name().eq_ignore_ascii_case(name))
        })
        .cloned()
        .collect()
}
