//! `timestampadd(unit, quantity, ts)` and `timestampdiff(unit, start, end)` on wall clocks in
//! the session time zone, as Spark's: calendar units (YEAR, QUARTER, MONTH) move by months
//! and clamp to the month's end, WEEK and DAY by local days; a difference counts whole units
//! between the two wall clocks, so a day with a clock change still counts as one.

use std::sync::Arc;

use chrono::{Datelike, Months, NaiveDateTime, Timelike};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{Array, AsArray, Int64Builder, TimestampMicrosecondBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::session_time::{from_local, session_zone, to_local};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// A number of months.
    Months(i64),
    /// A number of local days.
    Days(i64),
    /// A number of microseconds.
    Micros(i64),
}

fn unit(name: &str) -> Result<Unit> {
    const SECOND: i64 = 1_000_000;
    Ok(match name.trim().to_ascii_uppercase().as_str() {
        "YEAR" => Unit::Months(12),
        "QUARTER" => Unit::Months(3),
        "MONTH" => Unit::Months(1),
        "WEEK" => Unit::Days(7),
        "DAY" | "DAYOFYEAR" => Unit::Days(1),
        "HOUR" => Unit::Micros(3_600 * SECOND),
        "MINUTE" => Unit::Micros(60 * SECOND),
        "SECOND" => Unit::Micros(SECOND),
        "MILLISECOND" => Unit::Micros(1_000),
        "MICROSECOND" => Unit::Micros(1),
        other => {
            return exec_err!(
                "[INVALID_PARAMETER_VALUE.DATETIME_UNIT] The value of parameter(s) `unit` is invalid: expects one of the units without quotes YEAR, QUARTER, MONTH, WEEK, DAY, DAYOFYEAR, HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND, but got the string literal '{other}'."
            )
        }
    })
}

/// `quantity` units after `micros`: calendar units on the wall clock in `zone`, shorter
/// ones on the instant.
fn add(unit: Unit, quantity: i64, micros: i64, zone: &Tz) -> Option<i64> {
    let local = || to_local(micros, zone);
    let moved = match unit {
        Unit::Micros(size) => return micros.checked_add(quantity.checked_mul(size)?),
        Unit::Days(size) => {
            local()?.checked_add_signed(chrono::Duration::try_days(quantity.checked_mul(size)?)?)?
        }
        Unit::Months(size) => {
            let months = quantity.checked_mul(size)?;
            if months >= 0 {
                local()?.checked_add_months(Months::new(u32::try_from(months).ok()?))?
            } else {
                local()?.checked_sub_months(Months::new(u32::try_from(-months).ok()?))?
            }
        }
    };
    Some(from_local(moved, zone))
}

/// Whole units from `start` to `end` on their wall clocks in `zone`, truncated toward zero
/// (a month counts only once its day and time of day are reached).
fn diff(unit: Unit, start: i64, end: i64, zone: &Tz) -> Option<i64> {
    let (a, b) = (to_local(start, zone)?, to_local(end, zone)?);
    let elapsed = || (b - a).num_microseconds();
    match unit {
        Unit::Micros(size) => Some(elapsed()? / size),
        Unit::Days(size) => Some(elapsed()? / (size * 86_400_000_000)),
        Unit::Months(size) => {
            let mut months = (i64::from(b.year()) - i64::from(a.year())) * 12
                + i64::from(b.month())
                - i64::from(a.month());
            let rest = |t: NaiveDateTime| (t.day(), t.num_seconds_from_midnight(), t.nanosecond());
            if months > 0 && rest(b) < rest(a) {
                months -= 1;
            } else if months < 0 && rest(b) > rest(a) {
                months += 1;
            }
            Some(months / size)
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct TimestampUnits {
    /// `timestampadd` when true, `timestampdiff` otherwise.
    adds: bool,
    signature: Signature,
}

impl TimestampUnits {
    pub(crate) fn all() -> [Self; 2] {
        [true, false].map(|adds| Self {
            adds,
            signature: Signature::user_defined(Volatility::Immutable),
        })
    }
}

fn micros_of(array: &Arc<dyn Array>) -> Result<Arc<dyn Array>> {
    let as_timestamp = cast(array, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
    Ok(cast(&as_timestamp, &DataType::Int64)?)
}

impl ScalarUDFImpl for TimestampUnits {
    fn name(&self) -> &str {
        if self.adds {
            "timestampadd"
        } else {
            "timestampdiff"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [_, second, third] = arg_types else {
            return plan_err!(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `{}` requires 3 parameters but the actual number is {}.",
                self.name(),
                arg_types.len()
            );
        };
        let timestamp = |t: &DataType| match t {
            DataType::Timestamp(_, None) => DataType::Timestamp(TimeUnit::Microsecond, None),
            _ => crate::datetime_functions::timestamp_type(),
        };
        Ok(if self.adds {
            vec![DataType::Utf8, DataType::Int64, timestamp(third)]
        } else {
            vec![DataType::Utf8, timestamp(second), timestamp(third)]
        })
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match (self.adds, arg_types.get(2)) {
            (true, Some(t)) => Ok(t.clone()),
            (true, None) => plan_err!("timestampadd takes three arguments"),
            (false, _) => Ok(DataType::Int64),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [units, second, third] = arrays.as_slice() else {
            return exec_err!("{} takes three arguments", self.name());
        };
        let units = units.as_string::<i32>();
        // Wall clocks of instants are read in the session zone; TIMESTAMP_NTZ values are ones.
        let zoned = matches!(
            args.args.get(2).map(|a| a.data_type()),
            Some(DataType::Timestamp(_, Some(_)))
        );
        let zone = if zoned {
            session_zone(&args.config_options)?
        } else {
            "+00:00".parse::<Tz>()?
        };
        let (second, third) = if self.adds {
            (cast(second, &DataType::Int64)?, micros_of(third)?)
        } else {
            (micros_of(second)?, micros_of(third)?)
        };
        let (b, c) = (
            second.as_primitive::<Int64Type>(),
            third.as_primitive::<Int64Type>(),
        );
        let mut out = Int64Builder::with_capacity(units.len());
        for row in 0..units.len() {
            if units.is_null(row) || b.is_null(row) || c.is_null(row) {
                out.append_null();
                continue;
            }
            let unit = unit(units.value(row))?;
            let value = if self.adds {
                add(unit, b.value(row), c.value(row), &zone)
            } else {
                diff(unit, b.value(row), c.value(row), &zone)
            };
            match value {
                Some(v) => out.append_value(v),
                None => return exec_err!("[DATETIME_OVERFLOW] {} overflowed", self.name()),
            }
        }
        let out = out.finish();
        if !self.adds {
            return Ok(ColumnarValue::Array(Arc::new(out)));
        }
        let timezone = match args.return_field.data_type() {
            DataType::Timestamp(_, tz) => tz.clone(),
            _ => None,
        };
        let mut stamps =
            TimestampMicrosecondBuilder::with_capacity(out.len()).with_timezone_opt(timezone);
        for v in out.iter() {
            stamps.append_option(v);
        }
        Ok(ColumnarValue::Array(Arc::new(stamps.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(text: &str) -> i64 {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
            .map(|t| t.and_utc().timestamp_micros())
            .unwrap_or_default()
    }

    #[test]
    fn calendar_units_clamp_and_truncate() -> Result<()> {
        let utc: Tz = "+00:00".parse()?;
        let jan31 = micros("2024-01-31 10:00:00");
        assert_eq!(
            add(Unit::Months(1), 1, jan31, &utc),
            Some(micros("2024-02-29 10:00:00"))
        );
        assert_eq!(
            add(Unit::Months(12), -1, jan31, &utc),
            Some(micros("2023-01-31 10:00:00"))
        );
        let (a, b) = (micros("2016-03-11 09:00:07"), micros("2024-04-02 09:00:07"));
        assert_eq!(diff(Unit::Months(12), a, b, &utc), Some(8));
        assert_eq!(diff(Unit::Months(1), a, b, &utc), Some(96));
        assert_eq!(diff(Unit::Months(1), b, a, &utc), Some(-96));
        assert_eq!(diff(Unit::Days(1), a, b, &utc), Some(2944));
        Ok(())
    }

    #[test]
    fn differences_count_wall_clock_time_across_a_clock_change() -> Result<()> {
        let new_york: Tz = "America/New_York".parse()?;
        // 01:30 and 03:15 local on 2024-03-10 are 45 minutes apart: clocks skipped 02:00.
        let (a, b) = (1_710_052_200_000_000, 1_710_054_900_000_000);
        assert_eq!(diff(Unit::Micros(60_000_000), a, b, &new_york), Some(105));
        assert_eq!(
            add(Unit::Days(1), 1, a, &new_york),
            Some(a + 86_400_000_000 - 3_600_000_000)
        );
        Ok(())
    }
}
