//! `unpivot` / `melt`: value columns turn into (variable, value) rows.

use datafusion::logical_expr::{lit, LogicalPlan, LogicalPlanBuilder};
use ember_spec as spec;

use super::columns::input_columns;
use super::project::{project_named, union_compatible};
use crate::error::{ResolveError, ResolveResult};
use crate::expression::Named;
use crate::Resolver;

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
        let mut branches = Vec::new();
        for value in value_items {
            let mut items: Vec<Named> = id_items
                .iter()
                .map(|i| Named {
                    expr: i.expr.clone(),
                    name: i.name.clone(),
                })
                .collect();
            items.push(Named {
                expr: lit(value.name.clone()),
                name: variable_column_name.to_string(),
            });
            items.push(Named {
                expr: value.expr,
                name: value_column_name.to_string(),
            });
            branches.push(project_named(input.clone(), items, Vec::new())?);
        }
        let mut iter = union_compatible(branches)?.into_iter();
        let Some(first) = iter.next() else {
            return Err(ResolveError::InvalidArgument(
                "unpivot without values".into(),
            ));
        };
        let mut builder = LogicalPlanBuilder::from(first);
        for branch in iter {
            builder = builder.union(branch)?;
        }
        Ok(builder.build()?)
    }
}
