//! An interval times or divided by a number, as Spark scales one. A calendar interval
//! (`make_interval`): each field is scaled as a double, and months and days keep their whole
//! part, the fraction of a day moving into the time part. A day-time interval
//! (`INTERVAL '1 day 2 hours'`): its microseconds, rounded. `try_multiply` and
//! `try_divide` give NULL where the plain operators raise (overflow, division by zero).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, DurationMicrosecondBuilder, IntervalMonthDayNanoBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, DurationMicrosecondType, Float64Type, IntervalMonthDayNano, IntervalMonthDayNanoType,
    IntervalUnit, TimeUnit,
};
use datafusion::common::exec_err;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{Expr, Operator};

use crate::catalog::call_registry;
use crate::FunctionResult;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

const MICROS_PER_DAY: f64 = 86_400_000_000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scaling {
    Multiply,
    Divide,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct IntervalScale {
    scaling: Scaling,
    /// NULL instead of an error.
    tolerant: bool,
    name: &'static str,
    signature: Signature,
}

impl IntervalScale {
    pub(crate) fn all() -> Vec<Self> {
        [
            (Scaling::Multiply, false, "ember_interval_multiply"),
            (Scaling::Multiply, true, "ember_interval_try_multiply"),
            (Scaling::Divide, false, "ember_interval_divide"),
            (Scaling::Divide, true, "ember_interval_try_divide"),
        ]
        .into_iter()
        .map(|(scaling, tolerant, name)| Self {
            scaling,
            tolerant,
            name,
            signature: Signature::any(2, Volatility::Immutable),
        })
        .collect()
    }

    /// The function for `interval op number` (either order for `*`), if the types are that.
    pub(crate) fn function_name(
        scaling: Scaling,
        tolerant: bool,
        left: &DataType,
        right: &DataType,
    ) -> Option<(&'static str, bool)> {
        let is_interval = |t: &DataType| {
            matches!(
                t,
                DataType::Interval(IntervalUnit::MonthDayNano)
                    | DataType::Duration(TimeUnit::Microsecond)
            )
        };
        let swapped = match (is_interval(left), is_interval(right), scaling) {
            (true, false, _) if right.is_numeric() => false,
            (false, true, Scaling::Multiply) if left.is_numeric() => true,
            _ => return None,
        };
        let name = match (scaling, tolerant) {
            (Scaling::Multiply, false) => "ember_interval_multiply",
            (Scaling::Multiply, true) => "ember_interval_try_multiply",
            (Scaling::Divide, false) => "ember_interval_divide",
            (Scaling::Divide, true) => "ember_interval_try_divide",
        };
        Some((name, swapped))
    }

    /// A day-time interval in microseconds, rounded half up as Spark rounds it.
    fn scale_micros(&self, micros: i64, number: f64) -> Result<Option<i64>> {
        if self.scaling == Scaling::Divide && number == 0.0 {
            if self.tolerant {
                return Ok(None);
            }
            return exec_err!(
                "[INTERVAL_DIVIDED_BY_ZERO] Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead."
            );
        }
        let scaled = match self.scaling {
            Scaling::Multiply => micros as f64 * number,
            Scaling::Divide => micros as f64 / number,
        };
        let rounded = scaled.round();
        if !rounded.is_finite() || rounded < i64::MIN as f64 || rounded > i64::MAX as f64 {
            if self.tolerant {
                return Ok(None);
            }
            return Err(DataFusionError::Execution(
                "[ARITHMETIC_OVERFLOW] long overflow. Use 'try_multiply' to tolerate overflow and return NULL instead. If necessary set \"spark.sql.ansi.enabled\" to \"false\" to bypass this error.".into(),
            ));
        }
        Ok(Some(rounded as i64))
    }

    fn scale(
        &self,
        interval: IntervalMonthDayNano,
        number: f64,
    ) -> Result<Option<IntervalMonthDayNano>> {
        if self.scaling == Scaling::Divide && number == 0.0 {
            if self.tolerant {
                return Ok(None);
            }
            return exec_err!(
                "[INTERVAL_DIVIDED_BY_ZERO] Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead."
            );
        }
        let scaled = |value: f64| match self.scaling {
            Scaling::Multiply => value * number,
            Scaling::Divide => value / number,
        };
        let months = scaled(f64::from(interval.months));
        let days = scaled(f64::from(interval.days));
        let micros = scaled((interval.nanoseconds / 1000) as f64);
        let whole_months = months.trunc();
        let whole_days = days.trunc();
        let micros = (micros + MICROS_PER_DAY * (days - whole_days)).round();
        let fits = |v: f64, low: f64, high: f64| v.is_finite() && v >= low && v <= high;
        if !fits(whole_months, f64::from(i32::MIN), f64::from(i32::MAX))
            || !fits(whole_days, f64::from(i32::MIN), f64::from(i32::MAX))
            || !fits(micros, i64::MIN as f64 / 1000.0, i64::MAX as f64 / 1000.0)
        {
            if self.tolerant {
                return Ok(None);
            }
            return Err(DataFusionError::Execution(
                "[ARITHMETIC_OVERFLOW] integer overflow. Use 'try_multiply' to tolerate overflow and return NULL instead. If necessary set \"spark.sql.ansi.enabled\" to \"false\" to bypass this error.".into(),
            ));
        }
        Ok(Some(IntervalMonthDayNano::new(
            whole_months as i32,
            whole_days as i32,
            micros as i64 * 1000,
        )))
    }
}

impl ScalarUDFImpl for IntervalScale {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match arg_types.first() {
            Some(DataType::Duration(unit)) => DataType::Duration(*unit),
            _ => DataType::Interval(IntervalUnit::MonthDayNano),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (Some(intervals), Some(numbers)) = (arrays.first(), arrays.get(1)) else {
            return exec_err!("{} takes an interval and a number", self.name);
        };
        let numbers = cast(numbers, &DataType::Float64)?;
        let numbers = numbers.as_primitive::<Float64Type>();
        if let DataType::Duration(_) = intervals.data_type() {
            let durations = intervals.as_primitive::<DurationMicrosecondType>();
            let mut out = DurationMicrosecondBuilder::with_capacity(durations.len());
            for row in 0..durations.len() {
                if durations.is_null(row) || numbers.is_null(row) {
                    out.append_null();
                    continue;
                }
                out.append_option(self.scale_micros(durations.value(row), numbers.value(row))?);
            }
            return Ok(ColumnarValue::Array(Arc::new(out.finish())));
        }
        let intervals = intervals.as_primitive::<IntervalMonthDayNanoType>();
        let mut out = IntervalMonthDayNanoBuilder::with_capacity(intervals.len());
        for row in 0..intervals.len() {
            if intervals.is_null(row) || numbers.is_null(row) {
                out.append_null();
                continue;
            }
            out.append_option(self.scale(intervals.value(row), numbers.value(row))?);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `interval * number`, `number * interval` and `interval / number` on calendar intervals,
/// which DataFusion's operators do not scale; None for other operands.
pub(crate) fn scaled_interval(
    registry: &dyn FunctionRegistry,
    op: Operator,
    tolerant: bool,
    left: &Expr,
    right: &Expr,
    types: &[DataType],
) -> FunctionResult<Option<Expr>> {
    let scaling = match op {
        Operator::Multiply => Scaling::Multiply,
        Operator::Divide => Scaling::Divide,
        _ => return Ok(None),
    };
    let (Some(lt), Some(rt)) = (types.first(), types.get(1)) else {
        return Ok(None);
    };
    let Some((function, swapped)) = IntervalScale::function_name(scaling, tolerant, lt, rt) else {
        return Ok(None);
    };
    let args = if swapped {
        vec![right.clone(), left.clone()]
    } else {
        vec![left.clone(), right.clone()]
    };
    Ok(Some(call_registry(registry, function, args)?))
}
