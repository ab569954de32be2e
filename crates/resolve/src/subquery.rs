//! Subquery expressions (`df.scalar()`, `df.exists()`, `col.isin(df)`) and the outer
//! references inside them (`col("x").outer()`, or any name only the outer query has).

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, ExprSchema, Spans};
use datafusion::logical_expr::expr::{Exists, InSubquery};
use datafusion::logical_expr::{Expr, LogicalPlan, Subquery};
use ember_spec::{self as spec, SubqueryKind};

use crate::error::{unsupported, ResolveError, ResolveResult};
use crate::expression::Named;
use crate::Resolver;

impl Resolver<'_> {
    pub(crate) fn resolve_subquery(
        &self,
        plan_id: i64,
        kind: &SubqueryKind,
        schema: &DFSchema,
    ) -> ResolveResult<Named> {
        let plan = self.subquery_plan(plan_id).ok_or_else(|| {
            ResolveError::InvalidArgument(format!("no plan with id {plan_id} for a subquery"))
        })?;
        let subquery = self.resolve_nested_plan(plan, schema)?;
        let outer_ref_columns = subquery.all_out_ref_exprs();
        let subquery = Subquery {
            subquery: Arc::new(subquery),
            outer_ref_columns,
            spans: Spans::new(),
        };
        Ok(match kind {
            SubqueryKind::Scalar => Named {
                expr: Expr::ScalarSubquery(subquery),
                name: "scalarsubquery()".into(),
            },
            SubqueryKind::Exists => Named {
                expr: Expr::Exists(Exists {
                    subquery,
                    negated: false,
                }),
                name: "exists()".into(),
            },
            SubqueryKind::In(values) => {
                let [value] = values.as_slice() else {
                    return unsupported("IN subqueries over more than one value");
                };
                let value = self.resolve_expr(value, schema)?;
                Named {
                    name: format!("({} IN (listquery()))", value.name),
                    expr: Expr::InSubquery(InSubquery {
                        expr: Box::new(value.expr),
                        subquery,
                        negated: false,
                    }),
                }
            }
        })
    }

    /// Resolves a subquery's plan with `outer` visible to its column references. Expression
    /// resolution is synchronous, so the (async) plan resolution runs to completion here on
    /// the multi-threaded runtime every server uses.
    pub(crate) fn resolve_nested_plan(
        &self,
        plan: spec::Plan,
        outer: &DFSchema,
    ) -> ResolveResult<LogicalPlan> {
        let handle = tokio::runtime::Handle::try_current()
            .ok()
            .filter(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
            .ok_or_else(|| {
                ResolveError::Unsupported("subqueries outside a multi-threaded runtime".into())
            })?;
        self.push_outer(Arc::new(outer.clone()));
        let result = tokio::task::block_in_place(|| handle.block_on(self.resolve_plan(plan)));
        self.pop_outer();
        result
    }

    /// A name the subquery itself lacks, found in an enclosing query: an outer reference.
    /// None when there is no enclosing query or it lacks the name too.
    pub(crate) fn resolve_outer_column(
        &self,
        parts: &[String],
        plan_id: Option<i64>,
    ) -> Option<ResolveResult<Named>> {
        let outer = self.pop_outer()?;
        let found = self.resolve_column(parts, plan_id, &outer);
        self.push_outer(outer.clone());
        let named = found.ok()?;
        let expr = named.expr.transform_up(|e| match e {
            Expr::Column(column) => {
                let field = outer.field_from_column(&column)?;
                Ok(Transformed::yes(Expr::OuterReferenceColumn(
                    Arc::clone(field),
                    column,
                )))
            }
            other => Ok(Transformed::no(other)),
        });
        Some(
            expr.map(|t| Named {
                expr: t.data,
                name: named.name,
            })
            .map_err(ResolveError::from),
        )
    }
}

impl Resolver<'_> {
    /// `left JOIN LATERAL (subquery)`: the subquery sees the left side's columns as outer
    /// references; DataFusion's optimizer decorrelates the join.
    pub(crate) async fn resolve_lateral(
        &self,
        input: spec::Plan,
        left: &LogicalPlan,
    ) -> ResolveResult<LogicalPlan> {
        self.push_outer(Arc::clone(left.schema()));
        let resolved = Box::pin(self.resolve_plan(input)).await;
        self.pop_outer();
        let subquery = resolved?;
        let outer_ref_columns = subquery.all_out_ref_exprs();
        if outer_ref_columns.is_empty() {
            return Ok(subquery);
        }
        // The alias stays outside, so the join sees the subquery's columns by its name.
        Ok(match subquery {
            LogicalPlan::SubqueryAlias(aliased) => {
                datafusion::logical_expr::LogicalPlanBuilder::from(LogicalPlan::Subquery(
                    Subquery {
                        subquery: aliased.input,
                        outer_ref_columns,
                        spans: Spans::new(),
                    },
                ))
                .alias(aliased.alias)?
                .build()?
            }
            other => LogicalPlan::Subquery(Subquery {
                subquery: Arc::new(other),
                outer_ref_columns,
                spans: Spans::new(),
            }),
        })
    }
}

impl Resolver<'_> {
    /// A lateral subquery that only computes values from the outer row (`LATERAL (SELECT
    /// t.a + 1 AS c)`) as a projection of the left side: one output row per input row,
    /// which is what the join would give. DataFusion cannot decorrelate such a projection.
    /// None when the subquery reads anything else.
    pub(crate) fn lateral_as_projection(
        &self,
        lateral: &LogicalPlan,
        left: &LogicalPlan,
    ) -> ResolveResult<Option<LogicalPlan>> {
        let (alias, body) = match lateral {
            LogicalPlan::SubqueryAlias(aliased) => {
                (Some(aliased.alias.clone()), aliased.input.as_ref())
            }
            other => (None, other),
        };
        let body = match body {
            LogicalPlan::Subquery(Subquery { subquery, .. }) => subquery.as_ref(),
            other => other,
        };
        let LogicalPlan::Projection(projection) = body else {
            return Ok(None);
        };
        let LogicalPlan::EmptyRelation(empty) = projection.input.as_ref() else {
            return Ok(None);
        };
        if !empty.produce_one_row {
            return Ok(None);
        }
        let mut items: Vec<Expr> = left
            .schema()
            .columns()
            .into_iter()
            .map(Expr::Column)
            .collect();
        for (expr, (_, field)) in projection.expr.iter().zip(projection.schema.iter()) {
            let inner = match expr {
                Expr::Alias(alias) => alias.expr.as_ref().clone(),
                other => other.clone(),
            };
            let value = inner
                .transform_up(|e| match e {
                    Expr::OuterReferenceColumn(_, column) => {
                        Ok(Transformed::yes(Expr::Column(column)))
                    }
                    other => Ok(Transformed::no(other)),
                })?
                .data;
            items.push(value.alias_qualified(alias.clone(), field.name()));
        }
        Ok(Some(
            datafusion::logical_expr::LogicalPlanBuilder::from(left.clone())
                .project(items)?
                .build()?,
        ))
    }
}
