//! union / unionByName / intersect / except, with Spark's ALL forms.

use datafusion::common::ScalarValue;
use datafusion::common::{Column, JoinType};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{
    binary_expr, lit, Expr, ExprFunctionExt, LogicalPlan, LogicalPlanBuilder, Operator,
};
use ember_spec::SetOperationKind;

use super::columns::input_columns;
use super::project::{project_named, union_compatible};
use crate::error::{ResolveError, ResolveResult};
use crate::expression::Named;
use crate::Resolver;

impl Resolver<'_> {
    pub(crate) fn resolve_query_set_operation(
        &self,
        left: LogicalPlan,
        right: LogicalPlan,
        kind: SetOperationKind,
        is_all: bool,
        by_name: bool,
        allow_missing_columns: bool,
    ) -> ResolveResult<LogicalPlan> {
        let (left, right) = if by_name {
            align_by_name(left, right, allow_missing_columns)?
        } else {
            let (l, r) = (input_columns(&left).len(), input_columns(&right).len());
            if l != r {
                return Err(ResolveError::InvalidArgument(format!(
                    "[NUM_COLUMNS_MISMATCH] {} can only be performed on inputs with the same number of columns, but the first input has {l} columns and the second input has {r} columns.",
                    operation_name(kind)
                )));
            }
            (left, right)
        };
        // Positional: the right side takes the left side's names.
        let names: Vec<String> = input_columns(&left).into_iter().map(|n| n.name).collect();
        let mut right_items = input_columns(&right);
        for (item, name) in right_items.iter_mut().zip(&names) {
            item.name = name.clone();
        }
        let right = project_named(right, right_items, Vec::new())?;
        let left_items = input_columns(&left);
        let left = project_named(left, left_items, Vec::new())?;
        let mut sides = union_compatible(vec![left, right])?.into_iter();
        let (Some(left), Some(right)) = (sides.next(), sides.next()) else {
            return Err(ResolveError::InvalidArgument(
                "set operation without two sides".into(),
            ));
        };
        let builder = LogicalPlanBuilder::from(left);
        let plan = match kind {
            SetOperationKind::Union if is_all => builder.union(right)?.build()?,
            SetOperationKind::Union => builder.union_distinct(right)?.build()?,
            SetOperationKind::Intersect if is_all => {
                self.multiset_operation(builder.build()?, right, JoinType::LeftSemi)?
            }
            SetOperationKind::Except if is_all => {
                self.multiset_operation(builder.build()?, right, JoinType::LeftAnti)?
            }
            SetOperationKind::Intersect => {
                LogicalPlanBuilder::intersect(builder.build()?, right, false)?
            }
            SetOperationKind::Except => LogicalPlanBuilder::except(builder.build()?, right, false)?,
        };
        Ok(plan)
    }
}

impl Resolver<'_> {
    /// EXCEPT ALL / INTERSECT ALL as multisets: the n-th copy of a row on the left survives
    /// when the right has fewer (except) or at least n (intersect) copies of it.
    fn multiset_operation(
        &self,
        left: LogicalPlan,
        right: LogicalPlan,
        join_type: JoinType,
    ) -> ResolveResult<LogicalPlan> {
        let (left, left_alias) = self.numbered_copies(left)?;
        let (right, right_alias) = self.numbered_copies(right)?;
        // Every column takes part, the copy number included.
        let names: Vec<String> = left
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let conditions: Vec<Expr> = names
            .iter()
            .map(|name| {
                binary_expr(
                    Expr::Column(Column::new(Some(left_alias.as_str()), name)),
                    Operator::IsNotDistinctFrom,
                    Expr::Column(Column::new(Some(right_alias.as_str()), name)),
                )
            })
            .collect();
        let joined = LogicalPlanBuilder::from(left)
            .join_on(right, join_type, conditions)?
            .build()?;
        let visible: Vec<Expr> = names
            .iter()
            .filter(|n| n.as_str() != COPY_NUMBER)
            .map(|n| Expr::Column(Column::new(Some(left_alias.as_str()), n)))
            .collect();
        Ok(LogicalPlanBuilder::from(joined).project(visible)?.build()?)
    }

    /// Adds the copy number of each row among its duplicates, under a fresh qualifier.
    fn numbered_copies(&self, plan: LogicalPlan) -> ResolveResult<(LogicalPlan, String)> {
        let columns: Vec<Expr> = plan
            .schema()
            .columns()
            .into_iter()
            .map(Expr::Column)
            .collect();
        let number = row_number().partition_by(columns.clone()).build()?;
        let mut exprs: Vec<Expr> = columns;
        let window_plan = LogicalPlanBuilder::window_plan(plan, vec![number.clone()])?;
        exprs.push(
            Expr::Column(Column::new_unqualified(number.schema_name().to_string()))
                .alias(COPY_NUMBER),
        );
        let alias = self.fresh_alias();
        let numbered = LogicalPlanBuilder::from(window_plan)
            .project(exprs)?
            .alias(alias.clone())?
            .build()?;
        Ok((numbered, alias))
    }
}

const COPY_NUMBER: &str = "__copy_number";

fn operation_name(kind: SetOperationKind) -> &'static str {
    match kind {
        SetOperationKind::Union => "UNION",
        SetOperationKind::Intersect => "INTERSECT",
        SetOperationKind::Except => "EXCEPT",
    }
}

fn align_by_name(
    left: LogicalPlan,
    right: LogicalPlan,
    allow_missing: bool,
) -> ResolveResult<(LogicalPlan, LogicalPlan)> {
    let left_items = input_columns(&left);
    let right_items = input_columns(&right);
    let find =
        |items: &[Named], name: &str| items.iter().position(|i| i.name.eq_ignore_ascii_case(name));
    let mut new_left = Vec::new();
    let mut new_right = Vec::new();
    for item in &left_items {
        match find(&right_items, &item.name) {
            Some(index) => new_right.push(Named { expr: right_items[index].expr.clone(), name: item.name.clone() }),
            None if allow_missing => new_right.push(Named { expr: lit(ScalarValue::Null), name: item.name.clone() }),
            None => {
                return Err(ResolveError::InvalidArgument(format!(
                    "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `{}` cannot be resolved.",
                    item.name
                )))
            }
        }
        new_left.push(Named {
            expr: item.expr.clone(),
            name: item.name.clone(),
        });
    }
    for item in &right_items {
        if find(&left_items, &item.name).is_none() {
            if !allow_missing {
                return Err(ResolveError::InvalidArgument(format!(
                    "[NUM_COLUMNS_MISMATCH] UNION can only be performed on inputs with the same columns; `{}` is only on the right.",
                    item.name
                )));
            }
            new_left.push(Named {
                expr: lit(ScalarValue::Null),
                name: item.name.clone(),
            });
            new_right.push(Named {
                expr: item.expr.clone(),
                name: item.name.clone(),
            });
        }
    }
    Ok((
        project_named(left, new_left, Vec::new())?,
        project_named(right, new_right, Vec::new())?,
    ))
}
