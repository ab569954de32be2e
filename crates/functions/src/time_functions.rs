//! Spark's TIME type: a time of day in microseconds, kept as Arrow's nanosecond Time64.
//! `to_time`/`try_to_time`, `make_time`, `time_diff`, `time_trunc`, and the casts between
//! TIME and STRING, which read and print the time as Spark does (`06:30:45.887`).

use std::sync::Arc;

use chrono::Timelike;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Builder, StringBuilder, Time64NanosecondBuilder,
};
use datafusion::arrow::datatypes::{
    DataType, Decimal128Type, Int32Type, Time64NanosecondType, TimeUnit,
};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    binary_expr, cast, lit, ColumnarValue, Expr, Operator, ScalarFunctionArgs, ScalarUDFImpl,
    Signature, Volatility,
};

use crate::catalog::spark_pattern_to_chrono;
use crate::datetime_parse::{parse_with_pattern, ParsedText};

/// The Arrow type of Spark's TIME.
pub(crate) fn time_type() -> DataType {
    DataType::Time64(TimeUnit::Nanosecond)
}

const NANOS_PER_MICRO: i64 = 1_000;
const NANOS_PER_SECOND: i64 = 1_000_000_000;
const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SECOND;
/// The seconds argument of `make_time`: Spark's DECIMAL(16, 6).
const SECONDS_TYPE: DataType = DataType::Decimal128(16, 6);

/// The registered name of the TIME → STRING cast.
pub const TIME_TEXT: &str = "ember_time_text";
/// The registered names of the STRING → TIME casts (failing, and NULL on bad input).
pub const TIME_FROM_TEXT: &str = "ember_time_from_text";
pub const TRY_TIME_FROM_TEXT: &str = "ember_try_time_from_text";

/// `TIME - TIME`: the day-time interval between them, as Spark gives it.
pub(crate) fn time_minus_time(
    op: Operator,
    left: &Expr,
    right: &Expr,
    types: &[DataType],
) -> Option<Expr> {
    let (Operator::Minus, [DataType::Time64(_), DataType::Time64(_)]) = (op, types) else {
        return None;
    };
    let nanos = binary_expr(
        cast(left.clone(), DataType::Int64),
        Operator::Minus,
        cast(right.clone(), DataType::Int64),
    );
    let micros = binary_expr(nanos, Operator::Divide, lit(NANOS_PER_MICRO));
    Some(cast(micros, DataType::Duration(TimeUnit::Microsecond)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// `to_time(text[, pattern])`; `lenient` gives NULL instead of an error.
    Parse {
        lenient: bool,
    },
    /// `CAST(text AS TIME)`.
    Cast {
        lenient: bool,
    },
    Make,
    Diff,
    Trunc,
    Text,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct TimeFunction {
    name: &'static str,
    kind: Kind,
    signature: Signature,
}

impl TimeFunction {
    pub(crate) fn all() -> Vec<Self> {
        [
            ("to_time", Kind::Parse { lenient: false }),
            ("try_to_time", Kind::Parse { lenient: true }),
            (TIME_FROM_TEXT, Kind::Cast { lenient: false }),
            (TRY_TIME_FROM_TEXT, Kind::Cast { lenient: true }),
            ("make_time", Kind::Make),
            ("time_diff", Kind::Diff),
            ("time_trunc", Kind::Trunc),
            (TIME_TEXT, Kind::Text),
        ]
        .into_iter()
        .map(|(name, kind)| Self {
            name,
            kind,
            signature: Signature::user_defined(Volatility::Immutable),
        })
        .collect()
    }
}

/// A time unit `time_diff` and `time_trunc` take, as nanoseconds.
fn unit_nanos(function: &str, unit: &str) -> Result<i64> {
    Ok(match unit.to_ascii_uppercase().as_str() {
        "HOUR" => 3_600 * NANOS_PER_SECOND,
        "MINUTE" => 60 * NANOS_PER_SECOND,
        "SECOND" => NANOS_PER_SECOND,
        "MILLISECOND" => 1_000_000,
        "MICROSECOND" => NANOS_PER_MICRO,
        _ => {
            return exec_err!(
                "[INVALID_PARAMETER_VALUE.TIME_UNIT] The value of parameter(s) `unit` in `{function}` is invalid: expects one of the units 'HOUR', 'MINUTE', 'SECOND', 'MILLISECOND', 'MICROSECOND', but got ''{unit}''."
            )
        }
    })
}

/// Spark's default TIME text: `H[H]:m[m][:s[s][.fraction]]`, the fraction cut to microseconds.
fn parse_default(text: &str) -> Option<i64> {
    let mut parts = text.trim().split(':');
    let number = |part: &str| -> Option<i64> {
        (!part.is_empty() && part.len() <= 2 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let hour = number(parts.next()?)?;
    let minute = number(parts.next()?)?;
    let (second, fraction) = match parts.next() {
        None => (0, 0),
        Some(part) => {
            let (whole, fraction) = part.split_once('.').unwrap_or((part, ""));
            if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let micros = format!("{:0<6}", &fraction[..fraction.len().min(6)]);
            (number(whole)?, micros.parse::<i64>().ok()?)
        }
    };
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(((hour * 60 + minute) * 60 + second) * NANOS_PER_SECOND + fraction * NANOS_PER_MICRO)
}

/// `text` read with a Spark datetime pattern; only the time of day is kept.
fn parse_with(text: &str, pattern: &str) -> Option<i64> {
    let time = match parse_with_pattern(text, &spark_pattern_to_chrono(pattern))? {
        ParsedText::Local(local) | ParsedText::Instant(local) => local.time(),
    };
    let micros = i64::from(time.nanosecond()) / NANOS_PER_MICRO;
    Some(i64::from(time.num_seconds_from_midnight()) * NANOS_PER_SECOND + micros * NANOS_PER_MICRO)
}

/// Nanoseconds since midnight as Spark prints a time: `13:08:15`, `06:30:45.887`.
pub fn time_text(nanos: i64) -> String {
    let seconds = nanos / NANOS_PER_SECOND;
    let micros = (nanos % NANOS_PER_SECOND) / NANOS_PER_MICRO;
    let whole = format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        (seconds / 60) % 60,
        seconds % 60
    );
    if micros == 0 {
        whole
    } else {
        let digits = format!("{micros:06}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
}

fn field_out_of_bounds(field: &str, range: &str, value: impl std::fmt::Display) -> Result<i64> {
    exec_err!(
        "[DATETIME_FIELD_OUT_OF_BOUNDS.WITHOUT_SUGGESTION] Invalid value for {field} (valid values {range}): {value}. "
    )
}

/// `make_time(hour, minute, seconds)` with the seconds in microseconds.
fn make_time(hour: i32, minute: i32, micros: i128) -> Result<i64> {
    if !(0..=23).contains(&hour) {
        return field_out_of_bounds("HourOfDay", "0 - 23", hour);
    }
    if !(0..=59).contains(&minute) {
        return field_out_of_bounds("MinuteOfHour", "0 - 59", minute);
    }
    let seconds = micros.div_euclid(1_000_000);
    if !(0..=59).contains(&seconds) {
        return field_out_of_bounds("SecondOfMinute", "0 - 59", seconds);
    }
    let micros = i64::try_from(micros).unwrap_or(0);
    Ok(
        (i64::from(hour) * 60 + i64::from(minute)) * 60 * NANOS_PER_SECOND
            + micros * NANOS_PER_MICRO,
    )
}

impl TimeFunction {
    fn parse(&self, arrays: &[ArrayRef], lenient: bool, cast: bool) -> Result<ArrayRef> {
        let texts = arrays[0].as_string::<i32>();
        let patterns = arrays.get(1).map(|p| p.as_string::<i32>());
        let mut out = Time64NanosecondBuilder::with_capacity(texts.len());
        for row in 0..texts.len() {
            if texts.is_null(row) || patterns.is_some_and(|p| p.is_null(row)) {
                out.append_null();
                continue;
            }
            let text = texts.value(row);
            let parsed = match patterns {
                Some(patterns) => parse_with(text, patterns.value(row)),
                None => parse_default(text),
            };
            match parsed {
                Some(nanos) => out.append_value(nanos),
                None if lenient => out.append_null(),
                None if cast => {
                    return exec_err!(
                        "[CAST_INVALID_INPUT] The value '{text}' of the type \"STRING\" cannot be cast to \"TIME(6)\" because it is malformed. Correct the value as per the syntax, or change its target type. Use `try_cast` to tolerate malformed input and return NULL instead."
                    )
                }
                None => {
                    let pattern = patterns.map_or("HH:mm:ss.SSSSSS", |p| p.value(row));
                    return exec_err!(
                        "[CANNOT_PARSE_TIME] The input string '{text}' cannot be parsed to a TIME value because it does not match to the datetime format '{pattern}'."
                    );
                }
            }
        }
        Ok(Arc::new(out.finish()))
    }

    fn make(arrays: &[ArrayRef]) -> Result<ArrayRef> {
        let hours = arrays[0].as_primitive::<Int32Type>();
        let minutes = arrays[1].as_primitive::<Int32Type>();
        let seconds = arrays[2].as_primitive::<Decimal128Type>();
        let mut out = Time64NanosecondBuilder::with_capacity(hours.len());
        for row in 0..hours.len() {
            if hours.is_null(row) || minutes.is_null(row) || seconds.is_null(row) {
                out.append_null();
            } else {
                let nanos = make_time(hours.value(row), minutes.value(row), seconds.value(row))?;
                out.append_value(nanos);
            }
        }
        Ok(Arc::new(out.finish()))
    }

    /// `time_diff` (whole units from start to end, toward zero) or `time_trunc`.
    fn by_unit(&self, arrays: &[ArrayRef]) -> Result<ArrayRef> {
        let units = arrays[0].as_string::<i32>();
        let first = arrays[1].as_primitive::<Time64NanosecondType>();
        let unit_of = |row: usize| unit_nanos(self.name, units.value(row));
        let valid = |row: usize, arrays: &[&dyn Array]| arrays.iter().all(|a| a.is_valid(row));
        if self.kind == Kind::Diff {
            let end = arrays[2].as_primitive::<Time64NanosecondType>();
            let mut out = Int64Builder::with_capacity(first.len());
            for row in 0..first.len() {
                if valid(row, &[units, first, end]) {
                    out.append_value((end.value(row) - first.value(row)) / unit_of(row)?);
                } else {
                    out.append_null();
                }
            }
            return Ok(Arc::new(out.finish()));
        }
        let mut out = Time64NanosecondBuilder::with_capacity(first.len());
        for row in 0..first.len() {
            if valid(row, &[units, first]) {
                let unit = unit_of(row)?;
                out.append_value(first.value(row) / unit * unit);
            } else {
                out.append_null();
            }
        }
        Ok(Arc::new(out.finish()))
    }

    fn text(arrays: &[ArrayRef]) -> ArrayRef {
        let times = arrays[0].as_primitive::<Time64NanosecondType>();
        let mut out = StringBuilder::with_capacity(times.len(), times.len() * 12);
        for row in 0..times.len() {
            if times.is_null(row) {
                out.append_null();
            } else {
                out.append_value(time_text(times.value(row).rem_euclid(NANOS_PER_DAY)));
            }
        }
        Arc::new(out.finish())
    }
}

impl ScalarUDFImpl for TimeFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let expected: &[DataType] = match self.kind {
            Kind::Parse { .. } if arg_types.len() == 2 => &[DataType::Utf8, DataType::Utf8],
            Kind::Parse { .. } | Kind::Cast { .. } => &[DataType::Utf8],
            Kind::Make => &[DataType::Int32, DataType::Int32, SECONDS_TYPE],
            Kind::Diff => &[DataType::Utf8, time_type(), time_type()],
            Kind::Trunc => &[DataType::Utf8, time_type()],
            Kind::Text => &[time_type()],
        };
        if arg_types.len() != expected.len() {
            return plan_err!(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `{}` requires {} parameters but the actual number is {}.",
                self.name,
                expected.len(),
                arg_types.len()
            );
        }
        Ok(expected.to_vec())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::Diff => DataType::Int64,
            Kind::Text => DataType::Utf8,
            _ => time_type(),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        if arrays.is_empty() {
            return exec_err!("{} takes arguments", self.name);
        }
        let out = match self.kind {
            Kind::Parse { lenient } => self.parse(&arrays, lenient, false)?,
            Kind::Cast { lenient } => self.parse(&arrays, lenient, true)?,
            Kind::Make => Self::make(&arrays)?,
            Kind::Diff | Kind::Trunc => self.by_unit(&arrays)?,
            Kind::Text => Self::text(&arrays),
        };
        // All-scalar arguments come back as one row.
        if args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)))
            && rows <= 1
        {
            return Ok(ColumnarValue::Scalar(
                datafusion::common::ScalarValue::try_from_array(&out, 0)?,
            ));
        }
        Ok(ColumnarValue::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64, m: i64, s: i64, micros: i64) -> i64 {
        ((h * 60 + m) * 60 + s) * NANOS_PER_SECOND + micros * NANOS_PER_MICRO
    }

    #[test]
    fn default_text_reads_as_spark_reads_it() {
        assert_eq!(parse_default("10:30"), Some(at(10, 30, 0, 0)));
        assert_eq!(parse_default("1:2:3"), Some(at(1, 2, 3, 0)));
        assert_eq!(
            parse_default("10:30:00.123456789"),
            Some(at(10, 30, 0, 123_456))
        );
        assert_eq!(parse_default(" 23:59:59.5 "), Some(at(23, 59, 59, 500_000)));
        for bad in ["abc", "25:00:00", "10", "10:60", "10:00:00:00", "10:00:0x"] {
            assert_eq!(parse_default(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_print_with_the_fraction_trimmed() {
        assert_eq!(time_text(at(13, 8, 15, 0)), "13:08:15");
        assert_eq!(time_text(at(6, 30, 45, 887_000)), "06:30:45.887");
        assert_eq!(time_text(at(13, 8, 15, 123_450)), "13:08:15.12345");
    }

    #[test]
    fn make_time_checks_each_field() {
        assert_eq!(
            make_time(6, 30, 45_887_000).ok(),
            Some(at(6, 30, 45, 887_000))
        );
        assert!(make_time(25, 0, 0).is_err());
        assert!(make_time(6, 60, 0).is_err());
        assert!(make_time(6, 30, 60_000_000).is_err());
    }
}
