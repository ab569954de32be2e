//! `df.na`: fill, drop, replace.

use datafusion::arrow::datatypes::DataType as ArrowType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{
    cast, lit, when, Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder,
};
use datafusion::prelude::coalesce;
use ember_spec::Literal;

use super::columns::input_columns;
use super::project::project_named;
use crate::error::ResolveResult;
use crate::expression::Named;
use crate::types::literal_to_scalar;
use crate::Resolver;

/// Spark fills a column only with a value of a compatible kind.
fn compatible(column: &ArrowType, value: &ScalarValue) -> bool {
    let numeric_value = matches!(
        value,
        ScalarValue::Int32(_)
            | ScalarValue::Int64(_)
            | ScalarValue::Float64(_)
            | ScalarValue::Float32(_)
            | ScalarValue::Decimal128(..)
    );
    match column {
        t if t.is_numeric() => numeric_value,
        ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View => {
            matches!(value, ScalarValue::Utf8(_))
        }
        ArrowType::Boolean => matches!(value, ScalarValue::Boolean(_)),
        _ => false,
    }
}

fn selected(columns: &[String], name: &str) -> bool {
    columns.is_empty() || columns.iter().any(|c| c.eq_ignore_ascii_case(name))
}

impl Resolver<'_> {
    pub(crate) fn resolve_query_fill_na(
        &self,
        input: LogicalPlan,
        columns: &[String],
        values: &[Literal],
    ) -> ResolveResult<LogicalPlan> {
        let values: Vec<ScalarValue> = values
            .iter()
            .map(literal_to_scalar)
            .collect::<ResolveResult<_>>()?;
        let schema = input.schema().clone();
        let mut items = Vec::new();
        for item in input_columns(&input) {
            let value = if values.len() == 1 {
                selected(columns, &item.name).then(|| values[0].clone())
            } else {
                columns
                    .iter()
                    .position(|c| c.eq_ignore_ascii_case(&item.name))
                    .and_then(|i| values.get(i).cloned())
            };
            let data_type = item.expr.get_type(&schema)?;
            match value {
                Some(v) if compatible(&data_type, &v) => {
                    let filled = coalesce(vec![item.expr.clone(), cast(lit(v), data_type)]);
                    items.push(Named {
                        expr: filled,
                        name: item.name,
                    });
                }
                _ => items.push(item),
            }
        }
        project_named(input, items, Vec::new())
    }

    pub(crate) fn resolve_query_drop_na(
        &self,
        input: LogicalPlan,
        columns: &[String],
        min_non_nulls: Option<usize>,
    ) -> ResolveResult<LogicalPlan> {
        let schema = input.schema().clone();
        let mut chosen: Vec<Expr> = Vec::new();
        for item in input_columns(&input)
            .into_iter()
            .filter(|i| selected(columns, &i.name))
        {
            // Spark counts NaN as missing too.
            let present = match item.expr.get_type(&schema)? {
                ArrowType::Float32 | ArrowType::Float64 => {
                    item.expr.clone().is_not_null().and(Expr::Not(Box::new(
                        datafusion::functions::math::expr_fn::isnan(item.expr),
                    )))
                }
                _ => item.expr.is_not_null(),
            };
            chosen.push(present);
        }
        let required = min_non_nulls.unwrap_or(chosen.len());
        let present = chosen
            .iter()
            .map(|present| when(present.clone(), lit(1i64)).otherwise(lit(0i64)))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .reduce(|a, b| a + b)
            .unwrap_or(lit(0i64));
        let condition = present.gt_eq(lit(required as i64));
        Ok(LogicalPlanBuilder::from(input).filter(condition)?.build()?)
    }

    pub(crate) fn resolve_query_replace(
        &self,
        input: LogicalPlan,
        columns: &[String],
        replacements: &[(Literal, Literal)],
    ) -> ResolveResult<LogicalPlan> {
        let pairs: Vec<(ScalarValue, ScalarValue)> = replacements
            .iter()
            .map(|(a, b)| Ok((literal_to_scalar(a)?, literal_to_scalar(b)?)))
            .collect::<ResolveResult<_>>()?;
        let schema = input.schema().clone();
        let mut items = Vec::new();
        for item in input_columns(&input) {
            let data_type = item.expr.get_type(&schema)?;
            let applicable: Vec<&(ScalarValue, ScalarValue)> = pairs
                .iter()
                .filter(|(old, _)| selected(columns, &item.name) && compatible(&data_type, old))
                .collect();
            let Some(((first_old, first_new), rest)) =
                applicable.split_first().map(|(f, r)| (*f, r))
            else {
                items.push(item);
                continue;
            };
            let mut builder = when(
                item.expr
                    .clone()
                    .eq(cast(lit(first_old.clone()), data_type.clone())),
                cast(lit(first_new.clone()), data_type.clone()),
            );
            for (old, new) in rest {
                builder = builder.when(
                    item.expr
                        .clone()
                        .eq(cast(lit(old.clone()), data_type.clone())),
                    cast(lit(new.clone()), data_type.clone()),
                );
            }
            let expr = builder.otherwise(item.expr.clone())?;
            items.push(Named {
                expr,
                name: item.name,
            });
        }
        project_named(input, items, Vec::new())
    }
}
