//! `df.stat`: covariance, correlation and crosstab.

use datafusion::arrow::datatypes::DataType as ArrowType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{cast, lit, LogicalPlan};
use datafusion::prelude::coalesce;
use ember_spec::{self as spec, GroupType, Pivot};

use super::columns::input_columns;
use super::project::project_named;
use crate::error::ResolveResult;
use crate::expression::Named;
use crate::Resolver;

fn column(name: &str) -> spec::Expr {
    spec::Expr::Column { name: vec![name.to_string()], plan_id: None }
}

impl Resolver<'_> {
    /// One row, one double: `covar_samp(a, b)` or `corr(a, b)` over the whole input.
    pub(crate) fn resolve_query_pairwise_statistic(
        &self,
        input: LogicalPlan,
        first: &str,
        second: &str,
        function: &str,
    ) -> ResolveResult<LogicalPlan> {
        let a = self.resolve_expr(&column(first), input.schema())?;
        let b = self.resolve_expr(&column(second), input.schema())?;
        let expr = ember_functions::call_function(
            &self.state,
            function,
            vec![cast(a.expr, ArrowType::Float64), cast(b.expr, ArrowType::Float64)],
            &[ArrowType::Float64, ArrowType::Float64],
            false,
        )?;
        let name = format!("{function}({first}, {second})");
        project_named(input, vec![Named { expr, name }], Vec::new())
    }

    /// A contingency table: one row per value of `first` (as a string, in column
    /// `first_second`), one column per value of `second`, holding pair counts.
    pub(crate) async fn resolve_query_crosstab(
        &self,
        input: LogicalPlan,
        first: &str,
        second: &str,
    ) -> ResolveResult<LogicalPlan> {
        let key_name = format!("{first}_{second}");
        let grouping = vec![spec::Expr::Alias {
            expr: Box::new(spec::Expr::Cast {
                expr: Box::new(column(first)),
                data_type: spec::DataType::String,
                is_try: false,
                named_after_child: true,
            }),
            name: vec![key_name],
        }];
        let count = spec::Expr::Function {
            name: "count".into(),
            arguments: vec![spec::Expr::Literal(spec::Literal::Integer(1))],
            is_distinct: false,
        };
        let pivot = Pivot {
            column: spec::Expr::Cast {
                expr: Box::new(column(second)),
                data_type: spec::DataType::String,
                is_try: false,
                named_after_child: true,
            },
            values: Vec::new(),
        };
        let table = self
            .resolve_query_aggregate(input, GroupType::Pivot, &grouping, &[count], Some(&pivot), &[])
            .await?;
        // Pairs that never occur count 0, not NULL.
        let items: Vec<Named> = input_columns(&table)
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                if i == 0 {
                    item
                } else {
                    Named {
                        expr: coalesce(vec![item.expr, lit(ScalarValue::Int64(Some(0)))]),
                        name: item.name,
                    }
                }
            })
            .collect();
        project_named(table, items, Vec::new())
    }
}
