//! union / unionByName / intersect / except, with Spark's ALL forms.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{lit, LogicalPlan, LogicalPlanBuilder};
use ember_spec::SetOperationKind;

use super::columns::input_columns;
use super::project::project_named;
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
        let builder = LogicalPlanBuilder::from(left);
        let plan = match kind {
            SetOperationKind::Union if is_all => builder.union(right)?.build()?,
            SetOperationKind::Union => builder.union_distinct(right)?.build()?,
            SetOperationKind::Intersect => {
                LogicalPlanBuilder::intersect(builder.build()?, right, is_all)?
            }
            SetOperationKind::Except => {
                LogicalPlanBuilder::except(builder.build()?, right, is_all)?
            }
        };
        Ok(plan)
    }
}

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
