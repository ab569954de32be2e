//! `df.stat`: covariance, correlation and crosstab.

use datafusion::arrow::datatypes::DataType as ArrowType;
use datafusion::common::ScalarValue;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Builder, ListBuilder, RecordBatch,
};
use datafusion::arrow::datatypes::{Field, Float64Type, Int64Type, Schema};
use datafusion::functions_aggregate::expr_fn::{array_agg, count};
use datafusion::logical_expr::{cast, col, lit, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::coalesce;
use ember_spec::{self as spec, GroupType, Pivot};

use super::columns::input_columns;
use super::project::project_named;
use crate::error::{ResolveError, ResolveResult};
use crate::expression::Named;
use crate::Resolver;

fn column(name: &str) -> spec::Expr {
    spec::Expr::Column {
        name: vec![name.to_string()],
        plan_id: None,
    }
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
            vec![
                cast(a.expr, ArrowType::Float64),
                cast(b.expr, ArrowType::Float64),
            ],
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
            }),
            name: vec![key_name],
            metadata: None,
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
            },
            values: Vec::new(),
            labels: Vec::new(),
            group_by_other_columns: false,
        };
        let table = self
            .resolve_query_aggregate(
                input,
                GroupType::Pivot,
                &grouping,
                &[count],
                Some(&pivot),
                &[],
            )
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

impl Resolver<'_> {
    /// Quantiles per column, as one row holding `array<array<double>>`. The answer is exact
    /// (the value at rank `ceil(p * n)` among non-null values), which is within any relative
    /// error the caller allows.
    pub(crate) async fn resolve_query_approx_quantile(
        &self,
        input: LogicalPlan,
        columns: &[String],
        probabilities: &[f64],
        relative_error: f64,
    ) -> ResolveResult<LogicalPlan> {
        if relative_error < 0.0 {
            return Err(ResolveError::InvalidArgument(format!(
                "[NEGATIVE_VALUES] Relative error must be non-negative but got {relative_error}."
            )));
        }
        if let Some(p) = probabilities.iter().find(|p| !(0.0..=1.0).contains(*p)) {
            return Err(ResolveError::InvalidArgument(format!(
                "[INVALID_PARAMETER_VALUE] Each probability must be in [0, 1], got {p}."
            )));
        }
        let mut outer = ListBuilder::new(ListBuilder::new(Float64Builder::new()));
        for name in columns {
            let value = self.resolve_expr(&column(name), input.schema())?;
            let plan = LogicalPlanBuilder::from(input.clone())
                .project(vec![cast(value.expr, ArrowType::Float64).alias("__v")])?
                .filter(col("__v").is_not_null())?
                .sort(vec![col("__v").sort(true, true)])?
                .build()?;
            let mut values = Vec::new();
            for batch in self.collect_in_order(plan).await? {
                let array = batch.column(0).as_primitive::<Float64Type>();
                values.extend(array.iter().flatten());
            }
            let inner = outer.values();
            for p in probabilities {
                if values.is_empty() {
                    inner.values().append_null();
                    continue;
                }
                let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
                inner.values().append_value(values[rank - 1]);
            }
            inner.append(true);
        }
        outer.append(true);
        single_row_table(self, "approx_quantile", Arc::new(outer.finish()))
    }

    /// Items of each column whose frequency is at least `support`, one array column per input
    /// column (`c_freqItems`).
    pub(crate) async fn resolve_query_freq_items(
        &self,
        input: LogicalPlan,
        columns: &[String],
        support: f64,
    ) -> ResolveResult<LogicalPlan> {
        if !(1e-4..=1.0).contains(&support) {
            return Err(ResolveError::InvalidArgument(format!(
                "[INVALID_PARAMETER_VALUE] The minimum support must be in [1e-4, 1], got {support}."
            )));
        }
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for name in columns {
            let value = self.resolve_expr(&column(name), input.schema())?;
            let total = LogicalPlanBuilder::from(input.clone())
                .aggregate(
                    Vec::<datafusion::logical_expr::Expr>::new(),
                    vec![count(lit(1i32)).alias("__n")],
                )?
                .build()?;
            let total_rows = self
                .collect_in_order(total)
                .await?
                .first()
                .map(|b| b.column(0).as_primitive::<Int64Type>().value(0))
                .unwrap_or(0);
            let threshold = support * total_rows as f64;
            let frequent = LogicalPlanBuilder::from(input.clone())
                .aggregate(
                    vec![value.expr.alias("__item")],
                    vec![count(lit(1i32)).alias("__count")],
                )?
                .filter(cast(col("__count"), ArrowType::Float64).gt_eq(lit(threshold)))?
                .aggregate(
                    Vec::<datafusion::logical_expr::Expr>::new(),
                    vec![array_agg(col("__item")).alias("__items")],
                )?
                .build()?;
            let batches = self.collect_in_order(frequent).await?;
            let Some(batch) = batches.into_iter().find(|b| b.num_rows() > 0) else {
                continue;
            };
            let array = batch.column(0).clone();
            fields.push(Field::new(
                format!("{name}_freqItems"),
                array.data_type().clone(),
                true,
            ));
            arrays.push(array);
        }
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), arrays)?;
        self.scan_batches(schema, vec![batch])
    }
}

fn single_row_table(
    resolver: &Resolver<'_>,
    name: &str,
    array: ArrayRef,
) -> ResolveResult<LogicalPlan> {
    let schema = Arc::new(Schema::new(vec![Field::new(
        name,
        array.data_type().clone(),
        true,
    )]));
    let batch = RecordBatch::try_new(schema.clone(), vec![array])?;
    resolver.scan_batches(schema, vec![batch])
}
