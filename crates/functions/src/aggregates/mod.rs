//! Spark aggregates DataFusion lacks: `product`, `skewness`, `kurtosis`, `mode`, the exact
//! `percentile` and `percentile_approx` (`approx_percentile`), and `corr` with Spark's own
//! update formulas, whose rounding differs from DataFusion's.
//!
//! Also Spark's bitmap aggregates and `histogram_numeric`.
//!
//! `percentile_approx` keeps every value, so its answer is exact, which is within any
//! accuracy Spark's sketch promises; the values are kept in Arrow arrays, not per-row objects.

mod bitmap;
mod correlation;
mod count_min_sketch;
mod decimal_average;
mod decimal_average_groups;
mod histogram;
mod mode;
mod moments;
mod percentile;
mod product;

/// What every aggregate here uses; each file takes what it needs.
mod prelude {
    pub(super) use std::collections::HashMap;
    pub(super) use std::sync::Arc;

    pub(super) use super::{as_f64, constant_argument, state_field};
    pub(super) use datafusion::arrow::array::{
        new_empty_array, Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch,
        RecordBatchOptions,
    };
    pub(super) use datafusion::arrow::compute::{cast, concat, filter, sort_to_indices, take};
    pub(super) use datafusion::arrow::datatypes::{
        DataType, Field, FieldRef, Float64Type, Int64Type, Schema,
    };
    pub(super) use datafusion::common::utils::SingleRowListArrayBuilder;
    pub(super) use datafusion::common::{exec_err, plan_err, ScalarValue};
    pub(super) use datafusion::error::Result;
    pub(super) use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
    pub(super) use datafusion::logical_expr::{
        Accumulator, AggregateUDF, AggregateUDFImpl, Signature, TypeSignature, Volatility,
    };
    pub(super) use datafusion::physical_expr::PhysicalExpr;
}

use prelude::*;

use bitmap::{BitmapAggregate, BitmapKind};
use correlation::Correlation;
use decimal_average::DecimalAverage;
use histogram::HistogramNumeric;
use mode::Mode;
use moments::{Moment, MomentKind};
use percentile::{Percentile, PercentileKind};
use product::Product;

/// Every aggregate of this module, to register in a session.
pub(crate) fn aggregate_functions() -> Vec<AggregateUDF> {
    vec![
        AggregateUDF::new_from_impl(Product::new()),
        AggregateUDF::new_from_impl(Moment::new(MomentKind::Skewness)),
        AggregateUDF::new_from_impl(Moment::new(MomentKind::Kurtosis)),
        AggregateUDF::new_from_impl(Mode::new()),
        AggregateUDF::new_from_impl(Correlation::new()),
        AggregateUDF::new_from_impl(Percentile::new(PercentileKind::Exact)),
        AggregateUDF::new_from_impl(Percentile::new(PercentileKind::Approximate))
            .with_aliases(["approx_percentile"]),
        AggregateUDF::new_from_impl(BitmapAggregate::new(BitmapKind::Construct)),
        AggregateUDF::new_from_impl(BitmapAggregate::new(BitmapKind::Or)),
        AggregateUDF::new_from_impl(BitmapAggregate::new(BitmapKind::And)),
        AggregateUDF::new_from_impl(HistogramNumeric::new()),
        AggregateUDF::new_from_impl(count_min_sketch::CountMinSketch::new()),
        AggregateUDF::new_from_impl(DecimalAverage::new(false)),
        AggregateUDF::new_from_impl(DecimalAverage::new(true)),
    ]
}

/// `avg`, `mean` and `try_avg` of a decimal keep it a decimal, as Spark does; the arguments
/// back for every other call.
pub(crate) fn decimal_average(
    registry: &dyn datafusion::execution::FunctionRegistry,
    name: &str,
    args: Vec<datafusion::logical_expr::Expr>,
    types: &[DataType],
    is_distinct: bool,
) -> crate::FunctionResult<
    Result<datafusion::logical_expr::Expr, Vec<datafusion::logical_expr::Expr>>,
> {
    // DISTINCT takes DataFusion's own average, which removes duplicates (and keeps a
    // decimal a decimal of Spark's type); `datafusion-spark`'s has no DISTINCT form.
    if is_distinct && matches!(name, "avg" | "mean" | "try_avg") {
        let average = datafusion::functions_aggregate::average::avg_udaf();
        return Ok(Ok(datafusion::logical_expr::Expr::AggregateFunction(
            datafusion::logical_expr::expr::AggregateFunction::new_udf(
                average,
                args,
                true,
                None,
                vec![],
                None,
            ),
        )));
    }
    let function = match (name, types) {
        ("avg" | "mean", [DataType::Decimal128(..)]) => decimal_average::DECIMAL_AVG,
        ("try_avg", [DataType::Decimal128(..)]) => decimal_average::TRY_DECIMAL_AVG,
        _ => return Ok(Err(args)),
    };
    crate::catalog::aggregate_call(registry, function, args, is_distinct).map(Ok)
}

/// The value of an aggregate's constant argument (a percentage, a bin count, a sketch size),
/// evaluated once against a one-row empty batch.
pub(crate) fn constant_argument(expr: &Arc<dyn PhysicalExpr>) -> Result<ArrayRef> {
    let batch = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )?;
    expr.evaluate(&batch)?.into_array(1)
}

pub(super) fn as_f64(array: &ArrayRef) -> Result<Float64Array> {
    Ok(cast(array, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .clone())
}

pub(super) fn state_field(args: &StateFieldsArgs, part: &str, data_type: DataType) -> FieldRef {
    Arc::new(Field::new(
        format!("{}[{part}]", args.name),
        data_type,
        true,
    ))
}
