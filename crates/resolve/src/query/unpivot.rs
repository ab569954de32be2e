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
        // The ids ride inside each struct too: columns carried beside an unnest keep the
        // input's functional dependencies (a grouping key stays "unique" though unnest
        // repeats it), and sorts by (key, name) would then drop the name.
        let id_fields: Vec<(Expr, String)> = id_items
            .iter()
            .enumerate()
            .map(|(i, id)| (id.expr.clone(), format!("id{i}")))
            .collect();
        let pairs: Vec<Expr> = value_items
            .into_iter()
            .map(|value| {
                let mut fields = Vec::new();
                for (expr, field) in &id_fields {
                    fields.push(lit(field.clone()));
                    fields.push(expr.clone());
                }
                fields.extend([
                    lit("name"),
                    lit(value.name),
                    lit("value"),
                    cast(value.expr, common.clone()),
                ]);
                named_struct(fields)
            })
            .collect();
        let listed = project_named(
            input,
            vec![Named {
                expr: make_array(pairs),
                name: UNPIVOTED.to_string(),
            }],
            Vec::new(),
        )?;
        let unnested = LogicalPlanBuilder::from(listed)
            .unnest_column(UNPIVOTED)?
            .build()?;
        let pair = || Expr::Column(Column::new_unqualified(UNPIVOTED));
        let mut output: Vec<Expr> = id_items
            .iter()
            .zip(&id_fields)
            .map(|(id, (_, field))| {
                let qualifier = match &id.expr {
                    Expr::Column(column) => column.relation.clone(),
                    _ => None,
                };
                get_field(pair(), field.as_str()).alias_qualified(qualifier, id.name.clone())
            })
            .collect();
        output.push(get_field(pair(), "name").alias(variable_column_name));
        output.push(get_field(pair(), "value").alias(value_column_name));
        Ok(LogicalPlanBuilder::from(unnested)
            .project(output)?
            .build()?)
    }
}
