//! Spark's date and time functions that are DataFusion expressions in another shape
//! (`timestamp_seconds`, `make_timestamp`, `unix_date`, ...), and `months_between`, whose
//! month arithmetic DataFusion lacks.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanArray, Float64Builder};
use datafusion::arrow::compute::cast as cast_array;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{exec_err, plan_datafusion_err, plan_err};
use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    binary_expr, cast, lit, ColumnarValue, Expr, Operator, ScalarFunctionArgs, ScalarUDFImpl,
    Signature, Volatility,
};

use crate::catalog::{call_function, call_registry, first_argument};
use crate::datetime_parse::{parser_name, Target};
use crate::session_time::{FORMAT_DATETIME, LOCAL_TIME, ZONED_TIME};
use crate::time_functions::time_type;
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
        "to_timestamp" | "try_to_timestamp" if is_text(types.first()) => {
            let lenient = name.starts_with("try_");
            call_registry(registry, parser_name(Target::Timestamp, lenient), args)?
        }
        "try_to_timestamp" => cast(first_argument(name, args)?, timestamp_type()),
        "to_date" | "try_to_date"
            if is_text(types.first()) && (args.len() == 2 || name == "try_to_date") =>
        {
            let lenient = name.starts_with("try_");
            call_registry(registry, parser_name(Target::Date, lenient), args)?
        }
        "try_to_date" => cast(first_argument(name, args)?, DataType::Date32),
        "unix_timestamp" | "to_unix_timestamp" => unix_seconds(registry, args, types)?,
        "window" => tumbling_window(args, types)?,
        // Spark reads a string argument of these as a date.
        "weekday" | "monthname" | "next_day" | "last_day" if is_text(types.first()) => {
            let mut args = args;
            if let Some(first) = args.first_mut() {
                *first = cast(first.clone(), DataType::Date32);
            }
            call_registry(registry, name, args)?
        }
        "window_time" => {
            // The last instant inside the window.
            let window = first_argument(name, args)?;
            let end = datafusion::functions::expr_fn::get_field(window, "end");
            let micros = binary_expr(cast(end, DataType::Int64), Operator::Minus, lit(1i64));
            micros_to_timestamp(
                micros,
                matches!(types.first(), Some(DataType::Struct(f)) if matches!(f.first().map(|f| f.data_type()), Some(DataType::Timestamp(_, None)))),
            )
        }
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
            if args.len() == 6 || (args.len() == 7 && !name.ends_with("_ntz")) =>
        {
            let ntz = name.ends_with("_ntz");
            let mut args = args;
            // A seventh argument names the zone of the wall clock; without it, the session's.
            let zone = (args.len() == 7).then(|| args.remove(6));
            let [year, month, day, hour, minute, second]: [Expr; 6] = args
                .try_into()
                .map_err(|_| FunctionError::UnknownFunction(name.into()))?;
            let date = if name.starts_with("try_") {
                // An impossible date is NULL rather than an error.
                let text = call_registry(
                    registry,
                    "concat_ws",
                    vec![
                        lit("-"),
                        cast(year, DataType::Utf8),
                        cast(month, DataType::Utf8),
                        cast(day, DataType::Utf8),
                    ],
                )?;
                call_registry(
                    registry,
                    parser_name(Target::Date, true),
                    vec![text, lit("yyyy-M-d")],
                )?
            } else {
                call_registry(registry, "make_date", vec![year, month, day])?
            };
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
            let wall_clock =
                micros_to_timestamp(binary_expr(whole, Operator::Plus, fraction), true);
            wall_clock_in_zone(registry, wall_clock, zone, ntz)?
        }
        // make_timestamp(date, time[, zone]).
        "make_timestamp"
        | "make_timestamp_ltz"
        | "make_timestamp_ntz"
        | "try_make_timestamp"
        | "try_make_timestamp_ltz"
        | "try_make_timestamp_ntz"
            if matches!(types.get(1), Some(DataType::Time64(_)))
                && (args.len() == 2 || (args.len() == 3 && !name.ends_with("_ntz"))) =>
        {
            let ntz = name.ends_with("_ntz");
            let mut args = args.into_iter();
            let (Some(date), Some(time)) = (args.next(), args.next()) else {
                return Err(FunctionError::UnknownFunction(name.into()));
            };
            let days = cast(cast(date, DataType::Date32), DataType::Int32);
            let day_micros = binary_expr(
                cast(days, DataType::Int64),
                Operator::Multiply,
                lit(MICROS_PER_DAY),
            );
            let time_micros =
                binary_expr(cast(time, DataType::Int64), Operator::Divide, lit(1_000i64));
            let wall_clock =
                micros_to_timestamp(binary_expr(day_micros, Operator::Plus, time_micros), true);
            wall_clock_in_zone(registry, wall_clock, args.next(), ntz)?
        }
        "current_time" if args.len() <= 1 => current_time(registry, args.first())?,
        "make_timestamp"
        | "make_timestamp_ltz"
        | "make_timestamp_ntz"
        | "try_make_timestamp"
        | "try_make_timestamp_ltz"
        | "try_make_timestamp_ntz" => {
            return Err(FunctionError::WrongArgumentCount {
                name: name.into(),
                expected: if name.ends_with("_ntz") {
                    "6"
                } else {
                    "6 or 7"
                }
                .into(),
                actual: args.len(),
            })
        }
        // convert_timezone([source,] target, wall clock): the same instant's wall clock in
        // the target zone; the source defaults to the session's.
        "convert_timezone" if args.len() == 2 || args.len() == 3 => {
            let mut args = args;
            let wall_clock = cast(
                args.remove(args.len() - 1),
                DataType::Timestamp(TimeUnit::Microsecond, None),
            );
            let target = zone_id(registry, args.remove(args.len() - 1))?;
            let instant = match args.pop() {
                Some(source) => call_registry(
                    registry,
                    "to_utc_timestamp",
                    vec![
                        cast(wall_clock, timestamp_type()),
                        zone_id(registry, source)?,
                    ],
                )?,
                None => call_registry(registry, ZONED_TIME, vec![wall_clock])?,
            };
            let shifted = call_registry(registry, "from_utc_timestamp", vec![instant, target])?;
            cast(
                cast(shifted, timestamp_type()),
                DataType::Timestamp(TimeUnit::Microsecond, None),
            )
        }
        "timestamp_add" => call_registry(registry, "timestampadd", args)?,
        "timestamp_diff" => call_registry(registry, "timestampdiff", args)?,
        "dayname" => {
            let value = cast(first_argument(name, args)?, DataType::Date32);
            call_registry(registry, "to_char", vec![value, lit("%a")])?
        }
        "extract" | "datepart" | "date_part" if args.len() == 2 => {
            let mut args = args;
            let value = args.remove(1);
            args.push(call_registry(registry, LOCAL_TIME, vec![value])?);
            let is_seconds = matches!(
                args.first(),
                Some(Expr::Literal(datafusion::common::ScalarValue::Utf8(Some(field)), _))
                    if matches!(field.to_ascii_uppercase().as_str(), "S" | "SEC" | "SECS" | "SECOND" | "SECONDS")
            );
            if is_seconds {
                // Seconds with their fraction, as DECIMAL(8, 6).
                args[0] = lit("microsecond");
                let micros = cast(
                    call_registry(registry, "date_part", args)?,
                    DataType::Float64,
                );
                cast(
                    binary_expr(micros, Operator::Divide, lit(MICROS_PER_SECOND as f64)),
                    DataType::Decimal128(8, 6),
                )
            } else {
                call_registry(registry, "date_part", args)?
            }
        }
        // Truncation happens on the wall clock in the session time zone.
        "date_trunc" if matches!(types.get(1), Some(DataType::Timestamp(_, Some(_)))) => {
            let mut args = args;
            let value = args.remove(1);
            args.push(call_registry(registry, LOCAL_TIME, vec![value])?);
            let truncated = call_registry(registry, "date_trunc", args)?;
            call_registry(
                registry,
                ZONED_TIME,
                vec![cast(
                    truncated,
                    DataType::Timestamp(TimeUnit::Microsecond, None),
                )],
            )?
        }
        "date_format" => call_registry(registry, FORMAT_DATETIME, args)?,
        // Dates and times print with a datetime pattern; numbers take a number format.
        "to_char" | "to_varchar"
            if matches!(
                types.first(),
                Some(DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _))
            ) =>
        {
            call_registry(registry, FORMAT_DATETIME, args)?
        }
        "to_char" | "to_varchar" => call_registry(registry, "ember_number_to_char", args)?,
        "from_unixtime" => {
            let mut args = args;
            if args.len() == 1 {
                args.push(lit("yyyy-MM-dd HH:mm:ss"));
            }
            if let Some(seconds) = args.first_mut() {
                *seconds = cast(seconds.clone(), DataType::Int64);
            }
            call_registry(registry, FORMAT_DATETIME, args)?
        }
        // Spark's zone ids (`PST`, `GMT+8`) in the form the implementation reads.
        "from_utc_timestamp" | "to_utc_timestamp" if args.len() == 2 => {
            let mut args = args;
            let zone = args.remove(1);
            args.push(zone_id(registry, zone)?);
            call_registry(registry, name, args)?
        }
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

fn is_text(data_type: Option<&DataType>) -> bool {
    matches!(
        data_type,
        Some(DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
    )
}

/// `unix_timestamp([value [, pattern]])`: seconds since the epoch of now, of a timestamp or
/// date, or of a string read with the pattern (Spark's default `yyyy-MM-dd HH:mm:ss`).
fn unix_seconds(
    registry: &dyn FunctionRegistry,
    mut args: Vec<Expr>,
    types: &[DataType],
) -> FunctionResult<Expr> {
    if args.is_empty() {
        args.push(call_registry(registry, "now", vec![])?);
        return unix_seconds(registry, args, &[timestamp_type()]);
    }
    if is_text(types.first()) {
        if args.len() == 1 {
            args.push(lit("yyyy-MM-dd HH:mm:ss"));
        }
        return call_registry(registry, parser_name(Target::UnixSeconds, false), args);
    }
    // A pattern after a timestamp or date does not matter.
    let Some(value) = args.into_iter().next() else {
        return Err(FunctionError::UnknownFunction("unix_timestamp".into()));
    };
    let micros = cast(cast(value, timestamp_type()), DataType::Int64);
    // Whole seconds, rounding down before the epoch too.
    call_registry(
        registry,
        "floor",
        vec![binary_expr(
            cast(micros, DataType::Float64),
            Operator::Divide,
            lit(MICROS_PER_SECOND as f64),
        )],
    )
    .map(|e| cast(e, DataType::Int64))
}

/// A duration such as `5 seconds`, `1 hour`, `interval 2 days` in microseconds; months and
/// years have no fixed length, so windows cannot use them.
fn duration_micros(text: &str) -> FunctionResult<i64> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .filter(|w| w != "interval")
        .collect();
    let invalid = || {
        FunctionError::TypeMismatch(format!(
            "The window duration '{text}' is not a valid interval of fixed length."
        ))
    };
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return Err(invalid());
    }
    let mut total: i64 = 0;
    for pair in words.chunks(2) {
        let amount: i64 = pair[0].parse().map_err(|_| invalid())?;
        let unit = match pair[1].trim_end_matches('s') {
            "week" => 7 * MICROS_PER_DAY,
            "day" => MICROS_PER_DAY,
            "hour" => 3_600 * MICROS_PER_SECOND,
            "minute" => 60 * MICROS_PER_SECOND,
            "second" => MICROS_PER_SECOND,
            "millisecond" => 1_000,
            "microsecond" => 1,
            _ => return Err(invalid()),
        };
        total += amount * unit;
    }
    Ok(total)
}

fn text_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Literal(datafusion::common::ScalarValue::Utf8(Some(text)), _) => Some(text.clone()),
        _ => None,
    }
}

/// `window(ts, duration[, slide[, start]])` for tumbling windows: the struct of the start and
/// end of the window holding `ts`, windows aligned to the epoch plus `start`.
fn tumbling_window(args: Vec<Expr>, types: &[DataType]) -> FunctionResult<Expr> {
    let mut args = args.into_iter();
    let (Some(time), Some(duration)) = (args.next(), args.next()) else {
        return Err(FunctionError::WrongArgumentCount {
            name: "window".into(),
            expected: "2 to 4".into(),
            actual: types.len(),
        });
    };
    let literal = |e: &Expr| {
        text_literal(e).ok_or_else(|| {
            FunctionError::TypeMismatch("window durations must be string literals".into())
        })
    };
    let size = duration_micros(&literal(&duration)?)?;
    let slide = match args.next() {
        Some(slide) => duration_micros(&literal(&slide)?)?,
        None => size,
    };
    let start = match args.next() {
        Some(start) => duration_micros(&literal(&start)?)?,
        None => 0,
    };
    if size <= 0 || slide != size {
        return Err(FunctionError::TypeMismatch(
            "only tumbling windows (slide equal to the duration) are supported".into(),
        ));
    }
    let ntz = matches!(types.first(), Some(DataType::Timestamp(_, None)));
    let target = if ntz {
        DataType::Timestamp(TimeUnit::Microsecond, None)
    } else {
        timestamp_type()
    };
    let micros = cast(cast(time, target), DataType::Int64);
    // ((t - start) mod size + size) mod size is the offset into the window, negatives included.
    let shifted = binary_expr(micros.clone(), Operator::Minus, lit(start));
    let offset = binary_expr(
        binary_expr(
            binary_expr(shifted, Operator::Modulo, lit(size)),
            Operator::Plus,
            lit(size),
        ),
        Operator::Modulo,
        lit(size),
    );
    let window_start = binary_expr(micros, Operator::Minus, offset);
    let window_end = binary_expr(window_start.clone(), Operator::Plus, lit(size));
    Ok(crate::spark_struct::named_struct(vec![
        lit("start"),
        micros_to_timestamp(window_start, ntz),
        lit("end"),
        micros_to_timestamp(window_end, ntz),
    ]))
}

/// `current_time([precision])`: the session's wall clock now, to `precision` digits.
fn current_time(registry: &dyn FunctionRegistry, precision: Option<&Expr>) -> FunctionResult<Expr> {
    let precision = match precision {
        None => 6,
        Some(Expr::Literal(value, _)) => match value.cast_to(&DataType::Int64) {
            Ok(datafusion::common::ScalarValue::Int64(Some(p))) if (0..=6).contains(&p) => p,
            _ => return Err(plan_datafusion_err!(
                "[INVALID_PARAMETER_VALUE.TIME_PRECISION] The value of parameter(s) `precision` in `current_time` is invalid: expects an integer from 0 to 6, but got {value}."
            )
            .into()),
        },
        Some(other) => {
            return Err(plan_datafusion_err!(
                "[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] The precision of `current_time` must be a constant, got {other}."
            )
            .into())
        }
    };
    let now = call_registry(registry, "now", vec![])?;
    let local = call_registry(registry, LOCAL_TIME, vec![now])?;
    let nanos = cast(cast(local, time_type()), DataType::Int64);
    let step = 10i64.pow(9 - precision as u32);
    let truncated = binary_expr(
        binary_expr(nanos, Operator::Divide, lit(step)),
        Operator::Multiply,
        lit(step),
    );
    Ok(cast(truncated, time_type()))
}

/// A wall clock as a TIMESTAMP_NTZ, or as the instant it names in `zone` (the session's
/// when None).
fn wall_clock_in_zone(
    registry: &dyn FunctionRegistry,
    wall_clock: Expr,
    zone: Option<Expr>,
    ntz: bool,
) -> FunctionResult<Expr> {
    Ok(match zone {
        _ if ntz => wall_clock,
        Some(zone) => call_registry(
            registry,
            "to_utc_timestamp",
            vec![cast(wall_clock, timestamp_type()), zone_id(registry, zone)?],
        )?,
        None => call_registry(registry, ZONED_TIME, vec![wall_clock])?,
    })
}

/// A zone argument in the form Arrow reads: a constant converted now, a column as it runs.
fn zone_id(registry: &dyn FunctionRegistry, zone: Expr) -> FunctionResult<Expr> {
    match &zone {
        Expr::Literal(datafusion::common::ScalarValue::Utf8(Some(z)), _) => {
            Ok(crate::session_time::spark_zone_id(z).map_or(zone, lit))
        }
        _ => Ok(call_registry(
            registry,
            crate::session_time::ZONE_ID,
            vec![zone],
        )?),
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
