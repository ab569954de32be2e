//! `unpivot` / `melt`: value columns turn into (variable, value) rows.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Column;
use datafusion::functions::core::expr_fn::{get_field, named_struct};
use datafusion::functions_nested::expr_fn::make_array;
use datafusion::logical_expr::type_coercion::binary::type_union_coercion;
use datafusion::logical_expr::{cast, lit, Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder};
use ember_spec as spec;

use super::columns::input_columns;
use super::project::project_named;
use crate::error::{ResolveError, ResolveResult};
use crate::expression::Named;
use crate::Resolver;

/// The column that holds each row's (name, value) pairs between the steps.
const UNPIVOTED: &str = "__ember_unpivoted";

impl Resolver<'_> {
    pub(crate) fn resolve_query_unpivot(
        &self,
        input: LogicalPlan,
        ids: &[spec::Expr],
        values: Option<&[spec::Expr]>,
        variable_column_name: &str,
        value_column_name: &str,
    ) -> ResolveResult<LogicalPlan> {
        let schema = input.schema().clone();
        let mut id_items = Vec::new();
        for id in ids {
            id_items.extend(self.resolve_items(id, &schema)?);
        }
        let value_items: Vec<Named> = match values {
            Some(values) => {
                let mut out = Vec::new();
                for v in values {
                    out.extend(self.resolve_items(v, &schema)?);
                }
                out
            }
            None => input_columns(&input)
                .into_iter()
                .filter(|c| !id_items.iter().any(|i| i.expr == c.expr))
                .collect(),
        };
        if value_items.is_empty() {
            return Err(ResolveError::InvalidArgument(
                "[UNPIVOT_REQUIRES_VALUE_COLUMNS] At least one value column needs to be specified for UNPIVOT, all columns specified as ids.".into(),
            ));
        }
        // One (name, value) struct per value column, in a list unnested per row: each input
        // row's values come out together and in order, as Spark's Expand gives them.
        let mut common: Option<DataType> = None;
        for value in &value_items {
            let data_type = value.expr.get_type(&schema)?;
            common = Some(match common {
                None => data_type,
                Some(before) => type_union_coercion(&before, &data_type).ok_or_else(|| {
                    ResolveError::InvalidArgument(format!(
                        "[UNPIVOT_VALUE_DATA_TYPE_MISMATCH] Unpivot value columns must share a least common type, some types do not: {before}, {data_type}."
                    ))
                })?,
            });
        }
        let Some(common) = common else {
            return Err(ResolveError::InvalidArgument(
                "unpivot without values".into(),
            ));
        };
        let pairs: Vec<Expr> = value_items
            .into_iter()
            .map(|value| {
                named_struct(vec![
                    lit("name"),
                    lit(value.name),
                    lit("value"),
                    cast(value.expr, common.clone()),
                ])
            })
            .collect();
        let id_count = id_items.len();
        let mut items: Vec<Named> = id_items;
        items.push(Named {
            expr: make_array(pairs),
            name: UNPIVOTED.to_string(),
        });
        let listed = project_named(input, items, Vec::new())?;
        let unnested = LogicalPlanBuilder::from(listed)
            .unnest_column(UNPIVOTED)?
            .build()?;
        let pair = || Expr::Column(Column::new_unqualified(UNPIVOTED));
        let mut output: Vec<Expr> = unnested
            .schema()
            .columns()
            .into_iter()
            .take(id_count)
            .map(Expr::Column)
            .collect();
        output.push(get_field(pair(), "name").alias(variable_column_name));
        output.push(get_field(pair(), "value").alias(value_column_name));
        Ok(LogicalPlanBuilder::from(unnested)
            .project(output)?
            .build()?)
    }
}
