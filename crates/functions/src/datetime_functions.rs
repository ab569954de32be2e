//! Spark's date and time functions that are DataFusion expressions in another shape
//! (`timestamp_seconds`, `make_timestamp`, `unix_date`, ...), and `months_between`, whose
//! month arithmetic DataFusion lacks.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanArray, Float64Builder};
use datafusion::arrow::compute::cast as cast_array;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    binary_expr, cast, lit, ColumnarValue, Expr, Operator, ScalarFunctionArgs, ScalarUDFImpl,
    Signature, Volatility,
};

use crate::catalog::{call_function, call_registry, first_argument};
use crate::{FunctionError, FunctionResult};

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// Spark's TIMESTAMP: UTC microseconds.
pub(crate) fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn micros_to_timestamp(micros: Expr, ntz: bool) -> Expr {
    let target = if ntz {
        DataType::Timestamp(TimeUnit::Microsecond, None)
    } else {
        timestamp_type()
    };
    cast(cast(micros, DataType::Int64), target)
}

/// The expression for date/time function `name`; the arguments back when it is not one of
/// these.
pub(crate) fn call(
    registry: &dyn FunctionRegistry,
    name: &str,
    args: Vec<Expr>,
    types: &[DataType],
) -> FunctionResult<Result<Expr, Vec<Expr>>> {
    let expr = match name {
        "curdate" => call_registry(registry, "current_date", args)?,
        "localtimestamp" => cast(
            call_registry(registry, "now", args)?,
            DataType::Timestamp(TimeUnit::Microsecond, None),
        ),
        "timestamp_seconds" | "timestamp_millis" | "timestamp_micros" => {
            let scale = match name {
                "timestamp_seconds" => MICROS_PER_SECOND,
                "timestamp_millis" => 1_000,
                _ => 1,
            };
            let value = first_argument(name, args)?;
            let is_fractional = matches!(
                types.first(),
                Some(DataType::Float32 | DataType::Float64 | DataType::Decimal128(..))
            );
            let micros = if is_fractional {
                binary_expr(
                    cast(value, DataType::Float64),
                    Operator::Multiply,
                    lit(scale as f64),
                )
            } else {
                binary_expr(cast(value, DataType::Int64), Operator::Multiply, lit(scale))
            };
            micros_to_timestamp(micros, false)
        }
        "unix_date" => cast(
            cast(first_argument(name, args)?, DataType::Date32),
            DataType::Int32,
        ),
        "date_from_unix_date" => cast(
            cast(first_argument(name, args)?, DataType::Int32),
            DataType::Date32,
        ),
        "to_unix_timestamp" => call_function(registry, "unix_timestamp", args, types, false)?,
        "to_timestamp_ltz" => call_function(registry, "to_timestamp", args, types, false)?,
        "to_timestamp_ntz" => cast(
            call_function(registry, "to_timestamp", args, types, false)?,
            DataType::Timestamp(TimeUnit::Microsecond, None),
        ),
        "make_timestamp"
        | "make_timestamp_ltz"
        | "make_timestamp_ntz"
        | "try_make_timestamp"
        | "try_make_timestamp_ltz"
        | "try_make_timestamp_ntz"
            if args.len() == 6 =>
        {
            let ntz = name.ends_with("_ntz");
            let [year, month, day, hour, minute, second]: [Expr; 6] = args
                .try_into()
                .map_err(|_| FunctionError::UnknownFunction(name.into()))?;
            let date = call_registry(registry, "make_date", vec![year, month, day])?;
            let days = cast(cast(date, DataType::Int32), DataType::Int64);
            let whole = [
                (days, MICROS_PER_DAY),
                (cast(hour, DataType::Int64), 3_600 * MICROS_PER_SECOND),
                (cast(minute, DataType::Int64), 60 * MICROS_PER_SECOND),
            ]
            .into_iter()
            .map(|(part, scale)| binary_expr(part, Operator::Multiply, lit(scale)))
            .reduce(|a, b| binary_expr(a, Operator::Plus, b))
            .unwrap_or(lit(0i64));
            let fraction = cast(
                binary_expr(
                    cast(second, DataType::Float64),
                    Operator::Multiply,
                    lit(MICROS_PER_SECOND as f64),
                ),
                DataType::Int64,
            );
            micros_to_timestamp(binary_expr(whole, Operator::Plus, fraction), ntz)
        }
        "dayname" => {
            let value = cast(first_argument(name, args)?, DataType::Date32);
            call_registry(registry, "to_char", vec![value, lit("%a")])?
        }
        "extract" | "datepart" => call_function(registry, "date_part", args, types, false)?,
        _ => return Ok(Err(args)),
    };
    Ok(Ok(expr))
}

/// `months_between(end, start[, roundOff])`: whole months when both days of month match or
/// both are month ends, otherwise months plus the remaining time over 31-day months;
/// rounded to 8 digits unless `roundOff` is false.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MonthsBetween {
    signature: Signature,
}

impl MonthsBetween {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// (year, month, day, last day of that month) of a day count since the epoch.
fn civil(days: i64) -> (i64, i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let last = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (year, month, day, last)
}

/// `yyyy-MM-dd` of a day count since the epoch.
pub(crate) fn date_text(days: i32) -> String {
    let (year, month, day, _) = civil(i64::from(days));
    format!("{year:04}-{month:02}-{day:02}")
}

/// A UTC timestamp as Spark's JSON and CSV writers print it: `2015-08-26T00:00:00.000Z`.
pub(crate) fn iso_timestamp_text(micros: i64) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let rest = micros.rem_euclid(MICROS_PER_DAY);
    let (year, month, day, _) = civil(days);
    let seconds = rest / MICROS_PER_SECOND;
    let millis = (rest % MICROS_PER_SECOND) / 1_000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        seconds / 3600,
        (seconds / 60) % 60,
        seconds % 60
    )
}

pub(crate) fn months_between(end: i64, start: i64, round_off: bool) -> f64 {
    let (days1, days2) = (
        end.div_euclid(MICROS_PER_DAY),
        start.div_euclid(MICROS_PER_DAY),
    );
    let (y1, m1, d1, last1) = civil(days1);
    let (y2, m2, d2, last2) = civil(days2);
    let month_diff = ((y1 * 12 + m1) - (y2 * 12 + m2)) as f64;
    if d1 == d2 || (d1 == last1 && d2 == last2) {
        return month_diff;
    }
    let seconds_in_day1 = end.rem_euclid(MICROS_PER_DAY) / MICROS_PER_SECOND;
    let seconds_in_day2 = start.rem_euclid(MICROS_PER_DAY) / MICROS_PER_SECOND;
    let seconds_diff = (d1 - d2) * 86_400 + seconds_in_day1 - seconds_in_day2;
    let diff = month_diff + seconds_diff as f64 / (31.0 * 86_400.0);
    if round_off {
        (diff * 1e8).round() / 1e8
    } else {
        diff
    }
}

impl ScalarUDFImpl for MonthsBetween {
    fn name(&self) -> &str {
        "months_between"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.len() {
            2 => Ok(vec![timestamp_type(), timestamp_type()]),
            3 => Ok(vec![timestamp_type(), timestamp_type(), DataType::Boolean]),
            n => plan_err!(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `months_between` requires 2 or 3 parameters but the actual number is {n}."
            ),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (Some(end), Some(start)) = (arrays.first(), arrays.get(1)) else {
            return exec_err!("months_between takes two timestamps");
        };
        let micros = |a| -> Result<_> {
            Ok(cast_array(a, &timestamp_type())?
                .as_primitive::<TimestampMicrosecondType>()
                .clone())
        };
        let (end, start) = (micros(end)?, micros(start)?);
        let round_off = match arrays.get(2) {
            Some(flags) => flags.as_boolean().clone(),
            None => BooleanArray::from(vec![true; rows]),
        };
        let mut out = Float64Builder::with_capacity(rows);
        for row in 0..rows {
            if end.is_null(row) || start.is_null(row) || round_off.is_null(row) {
                out.append_null();
            } else {
                out.append_value(months_between(
                    end.value(row),
                    start.value(row),
                    round_off.value(row),
                ));
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(days: i64, seconds: i64) -> i64 {
        days * MICROS_PER_DAY + seconds * MICROS_PER_SECOND
    }

    #[test]
    fn months_between_follows_spark() {
        // 1997-02-28 10:30:00 and 1996-10-30: Spark gives 3.94959677.
        let end = micros(9_920, 10 * 3600 + 30 * 60);
        let start = micros(9_799, 0);
        assert_eq!(months_between(end, start, true), 3.94959677);
        // Both month ends: whole months.
        assert_eq!(
            months_between(micros(9_920, 0), micros(9_892, 0), true),
            1.0
        );
    }
}
