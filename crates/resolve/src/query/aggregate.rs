//! groupBy / rollup / cube / grouping sets / pivot.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{
    col, lit, when, Expr, GroupingSet, LogicalPlan, LogicalPlanBuilder, SortExpr,
};
use ember_spec::{self as spec, GroupType, Pivot};

use super::project::project_named;
use crate::error::{ResolveError, ResolveResult};
use crate::expression::Named;
use crate::show::scalar_text;
use crate::Resolver;

impl Resolver<'_> {
    pub(crate) async fn resolve_query_aggregate(
        &self,
        input: LogicalPlan,
        group_type: GroupType,
        grouping: &[spec::Expr],
        aggregates: &[spec::Expr],
        pivot: Option<&Pivot>,
        grouping_sets: &[Vec<spec::Expr>],
    ) -> ResolveResult<LogicalPlan> {
        let schema = input.schema().clone();
        let mut groups = Vec::new();
        for g in grouping {
            groups.extend(self.resolve_items(g, &schema)?);
        }
        let mut aggs = Vec::new();
        for a in aggregates {
            aggs.extend(self.resolve_items(a, &schema)?);
        }
        let mut aggs = self.follow_input_order(aggs, &input)?;
        if let Some(pivot) = pivot.filter(|p| p.group_by_other_columns) {
            let column = self.resolve_expr(&pivot.column, &schema)?;
            let mut used: Vec<String> = Vec::new();
            for expr in std::iter::once(&column.expr).chain(aggs.iter().map(|a| &a.expr)) {
                used.extend(expr.column_refs().iter().map(|c| c.name.to_lowercase()));
            }
            for (qualifier, field) in schema.iter() {
                let reference = datafusion::common::Column::new(qualifier.cloned(), field.name());
                if !used.contains(&field.name().to_lowercase()) {
                    groups.push(Named {
                        expr: Expr::Column(reference),
                        name: field.name().clone(),
                    });
                }
            }
        }
        if let (GroupType::Pivot, Some(pivot)) = (group_type, pivot) {
            aggs = self.pivot_aggregates(&input, pivot, aggs).await?;
        }
        // Computed grouping keys are named once, below the aggregate, so the output can
        // reference them by Spark's name.
        let needs_pre_projection =
            groups.iter().any(|g| !matches!(g.expr, Expr::Column(_))) || !grouping_sets.is_empty();
        let (input, group_refs, mut set_refs) = if needs_pre_projection {
            let mut items = super::columns::input_columns(&input);
            let mut refs = Vec::new();
            for (i, g) in groups.iter().enumerate() {
                let name = format!("__group_{i}");
                items.push(Named {
                    expr: g.expr.clone(),
                    name: name.clone(),
                });
                refs.push(col(name));
            }
            let mut set_refs = Vec::new();
            for (s, set) in grouping_sets.iter().enumerate() {
                let mut refs_in_set = Vec::new();
                for (i, e) in set.iter().enumerate() {
                    let resolved = self.resolve_expr(e, &schema)?;
                    let name = format!("__set_{s}_{i}");
                    items.push(Named {
                        expr: resolved.expr,
                        name: name.clone(),
                    });
                    refs_in_set.push((col(name), resolved.name));
                }
                set_refs.push(refs_in_set);
            }
            (project_named(input, items, Vec::new())?, refs, set_refs)
        } else {
            let refs = groups.iter().map(|g| g.expr.clone()).collect();
            (input, refs, Vec::new())
        };
        let aggs: Vec<Named> = if needs_pre_projection {
            // Aggregates were resolved against the original input; columns keep their
            // qualifiers through the projection above, so they still resolve.
            aggs
        } else {
            aggs
        };
        let group_expr = match group_type {
            GroupType::Rollup => vec![Expr::GroupingSet(GroupingSet::Rollup(group_refs.clone()))],
            GroupType::Cube => vec![Expr::GroupingSet(GroupingSet::Cube(group_refs.clone()))],
            GroupType::GroupingSets => {
                // Grouping sets name their keys by the distinct expressions they use.
                let mut distinct: Vec<(Expr, String)> = Vec::new();
                for set in &set_refs {
                    for (e, n) in set {
                        if !distinct.iter().any(|(_, dn)| dn == n) {
                            distinct.push((e.clone(), n.clone()));
                        }
                    }
                }
                let sets = set_refs
                    .drain(..)
                    .map(|set| {
                        set.into_iter()
                            .map(|(_, n)| {
                                distinct
                                    .iter()
                                    .find(|(_, dn)| *dn == n)
                                    .map(|(e, _)| e.clone())
                                    .unwrap_or(lit(ScalarValue::Null))
                            })
                            .collect()
                    })
                    .collect();
                groups = distinct
                    .iter()
                    .map(|(e, n)| Named {
                        expr: e.clone(),
                        name: n.clone(),
                    })
                    .collect();
                vec![Expr::GroupingSet(GroupingSet::GroupingSets(sets))]
            }
            _ => group_refs.clone(),
        };
        let aggs = fill_grouping_arguments(aggs, &group_expr)?;
        let mut items: Vec<Named> = groups
            .into_iter()
            .zip(
                group_refs
                    .iter()
                    .cloned()
                    .chain(std::iter::repeat(lit(ScalarValue::Null))),
            )
            .map(|(g, r)| Named {
                expr: if needs_pre_projection && group_type != GroupType::GroupingSets {
                    r
                } else {
                    g.expr
                },
                name: g.name,
            })
            .collect();
        items.extend(aggs);
        project_named(input, items, group_expr)
    }

    async fn pivot_aggregates(
        &self,
        input: &LogicalPlan,
        pivot: &Pivot,
        aggregates: Vec<Named>,
    ) -> ResolveResult<Vec<Named>> {
        let column = self.resolve_expr(&pivot.column, input.schema())?;
        let values: Vec<ScalarValue> = if pivot.values.is_empty() {
            self.distinct_values(input, &column.expr).await?
        } else {
            pivot
                .values
                .iter()
                .map(crate::types::literal_to_scalar)
                .collect::<ResolveResult<_>>()?
        };
        let mut out = Vec::new();
        for (i, value) in values.iter().enumerate() {
            let label = match pivot.labels.get(i) {
                Some(Some(label)) => label.clone(),
                _ => scalar_text(value),
            };
            let condition = self.pivot_condition(pivot, &column.expr, value, input.schema())?;
            for aggregate in &aggregates {
                let expr = aggregate
                    .expr
                    .clone()
                    .transform_down(|node| match node {
                        Expr::AggregateFunction(mut function) => {
                            function.params.args = function
                                .params
                                .args
                                .into_iter()
                                .map(|a| when(condition.clone(), a).end())
                                .collect::<Result<_, _>>()?;
                            Ok(Transformed::new(
                                Expr::AggregateFunction(function),
                                true,
                                datafusion::common::tree_node::TreeNodeRecursion::Jump,
                            ))
                        }
                        other => Ok(Transformed::no(other)),
                    })?
                    .data;
                let expr = match expr {
                    Expr::Alias(alias) => *alias.expr,
                    other => other,
                };
                // Spark pivots grouped results: a group without the value has NULL there,
                // even for counts.
                let present = datafusion::functions_aggregate::expr_fn::count(
                    when(condition.clone(), lit(1i32)).end()?,
                )
                .gt(lit(0i64));
                let expr = when(present, expr).end()?;
                let name = if aggregates.len() == 1 {
                    label.clone()
                } else {
                    format!("{label}_{}", aggregate.name)
                };
                out.push(Named { expr, name });
            }
        }
        Ok(out)
    }

    /// The rows a pivot value takes: the column equals it, or for several pivot columns
    /// (a struct of them against a struct value) each column equals its part.
    fn pivot_condition(
        &self,
        pivot: &Pivot,
        column: &Expr,
        value: &ScalarValue,
        schema: &datafusion::common::DFSchema,
    ) -> ResolveResult<Expr> {
        let (
            spec::Expr::Function {
                name, arguments, ..
            },
            ScalarValue::Struct(parts),
        ) = (&pivot.column, value)
        else {
            return Ok(column.clone().eq(lit(value.clone())));
        };
        if !name.eq_ignore_ascii_case("struct") || parts.num_columns() != arguments.len() {
            return Ok(column.clone().eq(lit(value.clone())));
        }
        let mut condition: Option<Expr> = None;
        for (index, argument) in arguments.iter().enumerate() {
            let part = ScalarValue::try_from_array(parts.column(index), 0)?;
            let equal = self.resolve_expr(argument, schema)?.expr.eq(lit(part));
            condition = Some(match condition {
                Some(all) => all.and(equal),
                None => equal,
            });
        }
        Ok(condition.unwrap_or_else(|| lit(true)))
    }

    async fn distinct_values(
        &self,
        input: &LogicalPlan,
        column: &Expr,
    ) -> ResolveResult<Vec<ScalarValue>> {
        let plan = LogicalPlanBuilder::from(input.clone())
            .project(vec![column.clone().alias("__pivot")])?
            .distinct()?
            .sort(vec![SortExpr::new(col("__pivot"), true, true)])?
            .limit(0, Some(10_001))?
            .build()?;
        let batches = self.collect_in_order(plan).await?;
        let mut values = Vec::new();
        for batch in batches {
            for row in 0..batch.num_rows() {
                values.push(ScalarValue::try_from_array(batch.column(0), row)?);
            }
        }
        if values.len() > 10_000 {
            return Err(ResolveError::InvalidArgument(
                "[PIVOT_VALUE_COUNT_EXCEEDED] The pivot column has more than 10000 distinct values.".into(),
            ));
        }
        Ok(values)
    }
}

/// `grouping_id()` without arguments means every grouping key, in order.
fn fill_grouping_arguments(aggs: Vec<Named>, group_expr: &[Expr]) -> ResolveResult<Vec<Named>> {
    let keys: Vec<Expr> = match group_expr {
        [Expr::GroupingSet(set)] => set.distinct_expr().into_iter().cloned().collect(),
        other => other.to_vec(),
    };
    rewrite_each(aggs, |node| match node {
        Expr::AggregateFunction(mut function)
            if function.func.name() == "grouping" && function.params.args.is_empty() =>
        {
            function.params.args = keys.clone();
            Ok(Transformed::yes(Expr::AggregateFunction(function)))
        }
        other => Ok(Transformed::no(other)),
    })
}

impl Resolver<'_> {
    /// Spark's order-sensitive aggregates (`first`, `last`, `collect_list`) see the rows of a
    /// sorted input in its order (`df.orderBy("t").groupBy("k").agg(collect_list("v"))`);
    /// DataFusion drops a sort its aggregate does not ask for, so the sort becomes the
    /// aggregate's own ordering.
    fn follow_input_order(
        &self,
        aggs: Vec<Named>,
        input: &LogicalPlan,
    ) -> ResolveResult<Vec<Named>> {
        use datafusion::execution::FunctionRegistry;
        use datafusion::logical_expr::expr::AggregateFunction;
        use datafusion::logical_expr::ExprSchemable;
        let LogicalPlan::Sort(sort) = input else {
            return Ok(aggs);
        };
        let array_agg = self.state.udaf("array_agg")?;
        rewrite_each(aggs, |node| match node {
            Expr::AggregateFunction(mut function)
                if matches!(function.func.name(), "first_value" | "last_value")
                    && function.params.order_by.is_empty() =>
            {
                function.params.order_by = sort.expr.clone();
                Ok(Transformed::yes(Expr::AggregateFunction(function)))
            }
            // collect_list keeps no order; array_agg with the sort does, leaving
            // NULLs out and giving [] for a group without values, as Spark.
            Expr::AggregateFunction(function)
                if function.func.name() == "collect_list"
                    && !function.params.distinct
                    && function.params.args.len() == 1 =>
            {
                let value = function.params.args[0].clone();
                let element = value.get_type(input.schema())?;
                let ordered = Expr::AggregateFunction(AggregateFunction::new_udf(
                    Arc::clone(&array_agg),
                    vec![value.clone()],
                    false,
                    Some(Box::new(value.is_not_null())),
                    sort.expr.clone(),
                    None,
                ));
                let empty = datafusion::logical_expr::cast(
                    datafusion::functions_nested::expr_fn::make_array(vec![]),
                    datafusion::arrow::datatypes::DataType::new_list(element, true),
                );
                Ok(Transformed::yes(datafusion::prelude::coalesce(vec![
                    ordered, empty,
                ])))
            }
            other => Ok(Transformed::no(other)),
        })
    }
}

/// `aggs` with `rewrite` applied to every node of their expressions, bottom up.
fn rewrite_each(
    aggs: Vec<Named>,
    rewrite: impl Fn(Expr) -> datafusion::error::Result<Transformed<Expr>>,
) -> ResolveResult<Vec<Named>> {
    aggs.into_iter()
        .map(|named| {
            Ok(Named {
                expr: named.expr.transform_up(&rewrite)?.data,
                name: named.name,
            })
        })
        .collect()
}
