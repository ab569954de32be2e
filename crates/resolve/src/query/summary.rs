//! describe() and summary(): statistics per column, as strings, in a `summary` column.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType as ArrowType, Field, Schema};
use datafusion::functions_aggregate::expr_fn::{
    approx_percentile_cont, avg, count, max, min, stddev,
};
use datafusion::logical_expr::{cast, lit, Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder};

use super::columns::input_columns;
use crate::error::{ResolveError, ResolveResult};
use crate::show::scalar_text;
use crate::Resolver;

impl Resolver<'_> {
    pub(crate) async fn resolve_query_summary(
        &self,
        input: LogicalPlan,
        columns: &[String],
        statistics: &[String],
    ) -> ResolveResult<LogicalPlan> {
        let schema = input.schema().clone();
        let mut chosen = Vec::new();
        for item in input_columns(&input) {
            if !columns.is_empty() && !columns.iter().any(|c| c.eq_ignore_ascii_case(&item.name)) {
                continue;
            }
            let data_type = item.expr.get_type(&schema)?;
            let numeric = data_type.is_numeric();
            let stringy = matches!(
                data_type,
                ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View
            );
            if numeric || stringy || !columns.is_empty() {
                chosen.push((item, numeric));
            }
        }
        let mut aggregates: Vec<Expr> = Vec::new();
        for (index, (item, numeric)) in chosen.iter().enumerate() {
            for (s, statistic) in statistics.iter().enumerate() {
                let e = item.expr.clone();
                let expr = match statistic.as_str() {
                    "count" => count(e),
                    "mean" if *numeric => avg(cast(e, ArrowType::Float64)),
                    "stddev" if *numeric => stddev(cast(e, ArrowType::Float64)),
                    "min" => min(e),
                    "max" => max(e),
                    p if p.ends_with('%') && *numeric => {
                        let fraction: f64 =
                            p.trim_end_matches('%').parse::<f64>().map_err(|_| {
                                ResolveError::InvalidArgument(format!(
                                    "[INVALID_PARAMETER_VALUE] bad percentile {p}"
                                ))
                            })? / 100.0;
                        approx_percentile_cont(
                            cast(e, ArrowType::Float64).sort(true, false),
                            lit(fraction),
                            None,
                        )
                    }
                    "mean" | "stddev" => lit(datafusion::common::ScalarValue::Utf8(None)),
                    p if p.ends_with('%') => lit(datafusion::common::ScalarValue::Utf8(None)),
                    other => {
                        return Err(ResolveError::InvalidArgument(format!(
                            "[INVALID_PARAMETER_VALUE] {other} is not a recognised statistic"
                        )))
                    }
                };
                aggregates.push(expr.alias(format!("__s{index}_{s}")));
            }
        }
        let batches = if aggregates.is_empty() {
            Vec::new()
        } else {
            let plan = LogicalPlanBuilder::from(input)
                .aggregate(Vec::<Expr>::new(), aggregates)?
                .build()?;
            self.collect_in_order(plan).await?
        };
        let row = batches.iter().find(|b| b.num_rows() > 0);
        let mut fields = vec![Field::new("summary", ArrowType::Utf8, true)];
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(StringArray::from(statistics.to_vec()))];
        for (index, (item, numeric)) in chosen.iter().enumerate() {
            let mut values = Vec::new();
            for s in 0..statistics.len() {
                let text = match row {
                    Some(batch) => {
                        let column = batch.column(index * statistics.len() + s);
                        let scalar = datafusion::common::ScalarValue::try_from_array(column, 0)?;
                        if scalar.is_null() {
                            None
                        } else {
                            let is_count = statistics[s] == "count";
                            let text = scalar_text(&scalar);
                            Some(
                                if *numeric
                                    && !is_count
                                    && statistics[s] != "min"
                                    && statistics[s] != "max"
                                    && !text.contains(['.', 'E', 'N', 'I'])
                                {
                                    format!("{text}.0")
                                } else {
                                    text
                                },
                            )
                        }
                    }
                    None => None,
                };
                values.push(text);
            }
            fields.push(Field::new(&item.name, ArrowType::Utf8, true));
            arrays.push(Arc::new(StringArray::from(values)));
        }
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), arrays)?;
        self.scan_batches(schema, vec![batch])
    }
}
