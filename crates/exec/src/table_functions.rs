//! Spark's table-valued functions in SQL text: `range(...)` yields one `id` column, as in
//! Spark (DataFusion's own `range` names it `value`).

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::{provider_as_source, ViewTable};
use datafusion::functions_table::generate_series::RangeFunc;
use datafusion::logical_expr::{col, LogicalPlanBuilder};

#[derive(Debug)]
pub struct SparkRange;

impl TableFunctionImpl for SparkRange {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        // range(end), range(start, end), range(start, end, step); a fourth argument (the
        // number of partitions) does not change the rows.
        let exprs: Vec<_> = args.exprs().iter().take(3).cloned().collect();
        let series = RangeFunc {}.call_with_args(TableFunctionArgs::new(&exprs, args.session()))?;
        let plan = LogicalPlanBuilder::scan("range", provider_as_source(series), None)?
            .project(vec![col("value").alias("id")])?
            .build()?;
        Ok(Arc::new(ViewTable::new(plan, None)))
    }
}
