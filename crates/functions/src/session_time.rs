//! The session time zone (`spark.sql.session.timeZone`, which the session mirrors into
//! DataFusion's `execution.time_zone`). A TIMESTAMP is an instant; Spark reads and prints it,
//! and takes its fields, as a wall clock in the session zone. These functions read the zone
//! when they run:
//! - `ember_local_time(ts)`: the wall clock of a TIMESTAMP (as TIMESTAMP_NTZ); other types
//!   pass through, so calls can wrap any argument of the field functions;
//! - `ember_zoned_time(ntz)`: the instant a wall clock (TIMESTAMP_NTZ or DATE) names;
//! - `ember_format_datetime(value[, pattern])`: text in a Spark pattern, or without one in
//!   the form a cast to STRING gives (`2015-04-08 01:02:03.5`).

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeZone};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit};
use datafusion::common::config::ConfigOptions;
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::catalog::spark_pattern_to_chrono;

pub const LOCAL_TIME: &str = "ember_local_time";
pub const ZONED_TIME: &str = "ember_zoned_time";
pub const FORMAT_DATETIME: &str = "ember_format_datetime";
pub const CURRENT_ZONE: &str = "current_timezone";
pub const ZONE_ID: &str = "ember_zone_id";

/// Java's short zone ids (`ZoneId.SHORT_IDS`), which Spark accepts.
const SHORT_IDS: &[(&str, &str)] = &[
    ("ACT", "Australia/Darwin"),
    ("AET", "Australia/Sydney"),
    ("AGT", "America/Argentina/Buenos_Aires"),
    ("ART", "Africa/Cairo"),
    ("AST", "America/Anchorage"),
    ("BET", "America/Sao_Paulo"),
    ("BST", "Asia/Dhaka"),
    ("CAT", "Africa/Harare"),
    ("CNT", "America/St_Johns"),
    ("CST", "America/Chicago"),
    ("CTT", "Asia/Shanghai"),
    ("EAT", "Africa/Addis_Ababa"),
    ("ECT", "Europe/Paris"),
    ("EST", "-05:00"),
    ("HST", "-10:00"),
    ("IET", "America/Indiana/Indianapolis"),
    ("IST", "Asia/Kolkata"),
    ("JST", "Asia/Tokyo"),
    ("MIT", "Pacific/Apia"),
    ("MST", "-07:00"),
    ("NET", "Asia/Yerevan"),
    ("NST", "Pacific/Auckland"),
    ("PLT", "Asia/Karachi"),
    ("PNT", "America/Phoenix"),
    ("PRT", "America/Puerto_Rico"),
    ("PST", "America/Los_Angeles"),
    ("SST", "Pacific/Guadalcanal"),
    ("VST", "Asia/Ho_Chi_Minh"),
];

/// A zone id as Spark accepts it (region ids, `+08:00`, `GMT+8`, `UTC`, Java's short ids) in
/// the form Arrow's time zones parse; None for a zone Spark would reject.
pub fn spark_zone_id(name: &str) -> Option<String> {
    let name = name.trim();
    let candidate = if let Some((_, region)) = SHORT_IDS.iter().find(|(id, _)| *id == name) {
        region.to_string()
    } else if name.eq_ignore_ascii_case("Z") || name.eq_ignore_ascii_case("UTC") {
        "UTC".to_string()
    } else if let Some(offset) = ["GMT", "UTC", "UT"]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))
        .filter(|rest| rest.starts_with('+') || rest.starts_with('-'))
    {
        normalize_offset(offset)?
    } else if name.starts_with('+') || name.starts_with('-') {
        normalize_offset(name)?
    } else {
        name.to_string()
    };
    Tz::from_str(&candidate).ok().map(|_| candidate)
}

/// `+8`, `+08`, `+8:30`, `+0830` as `+08:00` / `+08:30`.
fn normalize_offset(offset: &str) -> Option<String> {
    let (sign, digits) = offset.split_at(1);
    let (hours, minutes) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() > 2 => digits.split_at(digits.len() - 2),
        None => (digits, "0"),
    };
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours <= 18 && minutes < 60).then(|| format!("{sign}{hours:02}:{minutes:02}"))
}

/// The session's zone at execution time; UTC when unset.
pub(crate) fn session_zone(config: &ConfigOptions) -> Result<Tz> {
    let id = config
        .execution
        .time_zone
        .as_deref()
        .and_then(spark_zone_id)
        .unwrap_or_else(|| "+00:00".to_string());
    Ok(Tz::from_str(&id)?)
}

/// The wall clock at `micros` (UTC microseconds) in `zone`.
pub(crate) fn to_local(micros: i64, zone: &Tz) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_micros(micros).map(|t| t.with_timezone(zone).naive_local())
}

/// The instant a wall clock names in `zone`; in a gap (clocks moved forward) the offset
/// before the gap applies, and in an overlap the earlier instant, as Java's `ZonedDateTime`.
pub(crate) fn from_local(local: NaiveDateTime, zone: &Tz) -> i64 {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.timestamp_micros(),
        LocalResult::None => {
            let offset = zone.offset_from_utc_datetime(&local).fix();
            (local - chrono::Duration::seconds(i64::from(offset.local_minus_utc())))
                .and_utc()
                .timestamp_micros()
        }
    }
}

/// UTC microseconds of a timestamp array of any unit.
fn micros_of(array: &ArrayRef) -> Result<ArrayRef> {
    let micros = cast(array, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
    Ok(cast(&micros, &DataType::Int64)?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Local,
    Zoned,
    Format,
    /// `current_timezone()`.
    Current,
    /// Zone names in a column (`PST`, `GMT+8`) in the form Arrow reads.
    ZoneId,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct SessionTime {
    kind: Kind,
    signature: Signature,
}

impl SessionTime {
    pub(crate) fn all() -> [Self; 5] {
        [
            Kind::Local,
            Kind::Zoned,
            Kind::Format,
            Kind::Current,
            Kind::ZoneId,
        ]
        .map(|kind| Self {
            kind,
            signature: if kind == Kind::Current {
                Signature::exact(vec![], Volatility::Stable)
            } else {
                Signature::user_defined(Volatility::Stable)
            },
        })
    }
}

/// Spark's text of a timestamp: seconds always, the fraction without trailing zeros.
fn cast_text(local: NaiveDateTime) -> String {
    let base = local.format("%Y-%m-%d %H:%M:%S").to_string();
    let micros = local.and_utc().timestamp_subsec_micros();
    if micros == 0 {
        return base;
    }
    let fraction = format!("{micros:06}");
    format!("{base}.{}", fraction.trim_end_matches('0'))
}

impl ScalarUDFImpl for SessionTime {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Local => LOCAL_TIME,
            Kind::Zoned => ZONED_TIME,
            Kind::Format => FORMAT_DATETIME,
            Kind::Current => CURRENT_ZONE,
            Kind::ZoneId => ZONE_ID,
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if self.kind == Kind::Current {
            return match arg_types.len() {
                0 => Ok(vec![]),
                n => plan_err!("current_timezone takes no arguments, got {n}"),
            };
        }
        let Some(first) = arg_types.first() else {
            return plan_err!("{} takes a value", self.name());
        };
        Ok(match self.kind {
            Kind::Current => vec![],
            Kind::ZoneId => vec![DataType::Utf8],
            Kind::Local => vec![first.clone()],
            Kind::Zoned => vec![DataType::Timestamp(TimeUnit::Microsecond, None)],
            Kind::Format => {
                let value = match first {
                    DataType::Timestamp(_, tz) => {
                        DataType::Timestamp(TimeUnit::Microsecond, tz.clone())
                    }
                    DataType::Date32 | DataType::Date64 => {
                        DataType::Timestamp(TimeUnit::Microsecond, None)
                    }
                    t if t.is_integer() || t.is_floating() || t.is_null() => DataType::Int64,
                    _ => crate::datetime_functions::timestamp_type(),
                };
                let mut types = vec![value];
                if arg_types.len() > 1 {
                    types.push(DataType::Utf8);
                }
                types
            }
        })
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match (self.kind, arg_types.first()) {
            (Kind::Local, Some(DataType::Timestamp(_, Some(_)))) => {
                DataType::Timestamp(TimeUnit::Microsecond, None)
            }
            (Kind::Local, Some(other)) => other.clone(),
            (Kind::Local, None) => return plan_err!("{LOCAL_TIME} takes a value"),
            (Kind::Zoned, _) => crate::datetime_functions::timestamp_type(),
            (Kind::Format | Kind::Current | Kind::ZoneId, _) => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let zone = session_zone(&args.config_options)?;
        if self.kind == Kind::Current {
            let name = args
                .config_options
                .execution
                .time_zone
                .clone()
                .unwrap_or_else(|| "UTC".to_string());
            return Ok(ColumnarValue::Scalar(
                datafusion::common::ScalarValue::Utf8(Some(name)),
            ));
        }
        let Some(value) = args.args.first() else {
            return exec_err!("{} takes a value", self.name());
        };
        let data_type = value.data_type();
        let values = value.to_array(args.number_rows)?;
        match self.kind {
            Kind::Local => {
                if !matches!(data_type, DataType::Timestamp(_, Some(_))) {
                    return Ok(value.clone());
                }
                let micros = micros_of(&values)?;
                let local: Vec<Option<i64>> = micros
                    .as_primitive::<Int64Type>()
                    .iter()
                    .map(|m| {
                        m.and_then(|m| to_local(m, &zone))
                            .map(|t| t.and_utc().timestamp_micros())
                    })
                    .collect();
                let out = datafusion::arrow::array::TimestampMicrosecondArray::from(local);
                Ok(ColumnarValue::Array(Arc::new(out)))
            }
            Kind::Zoned => {
                let micros = micros_of(&values)?;
                let zoned: Vec<Option<i64>> = micros
                    .as_primitive::<Int64Type>()
                    .iter()
                    .map(|m| {
                        m.and_then(DateTime::from_timestamp_micros)
                            .map(|t| from_local(t.naive_utc(), &zone))
                    })
                    .collect();
                let out = datafusion::arrow::array::TimestampMicrosecondArray::from(zoned)
                    .with_timezone("UTC");
                Ok(ColumnarValue::Array(Arc::new(out)))
            }
            Kind::Current => exec_err!("current_timezone takes no arguments"),
            Kind::ZoneId => {
                let names = values.as_string::<i32>();
                let out: datafusion::arrow::array::StringArray = names
                    .iter()
                    .map(|name| name.map(|n| spark_zone_id(n).unwrap_or_else(|| n.to_string())))
                    .collect();
                Ok(ColumnarValue::Array(Arc::new(out)))
            }
            Kind::Format => {
                let patterns = match args.args.get(1) {
                    Some(p) => Some(p.to_array(args.number_rows)?),
                    None => None,
                };
                let patterns = patterns.as_ref().map(|p| p.as_string::<i32>());
                // Seconds for numbers (`from_unixtime`), otherwise microseconds.
                let (micros, zoned) = match &data_type {
                    DataType::Int64 => (
                        values
                            .as_primitive::<Int64Type>()
                            .unary::<_, Int64Type>(|s| s.saturating_mul(1_000_000)),
                        true,
                    ),
                    DataType::Timestamp(_, tz) => (
                        micros_of(&values)?.as_primitive::<Int64Type>().clone(),
                        tz.is_some(),
                    ),
                    other => return exec_err!("cannot format a value of type {other}"),
                };
                let mut out = StringBuilder::new();
                for row in 0..micros.len() {
                    let pattern = patterns.map(|p| (!p.is_null(row)).then(|| p.value(row)));
                    if micros.is_null(row) || pattern == Some(None) {
                        out.append_null();
                        continue;
                    }
                    let m = micros.value(row);
                    let local = if zoned {
                        to_local(m, &zone)
                    } else {
                        DateTime::from_timestamp_micros(m).map(|t| t.naive_utc())
                    };
                    let Some(local) = local else {
                        out.append_null();
                        continue;
                    };
                    match pattern.flatten() {
                        Some(pattern) => {
                            let chrono_pattern = spark_pattern_to_chrono(pattern);
                            let items = chrono::format::StrftimeItems::new(&chrono_pattern);
                            let text = local.format_with_items(items);
                            let mut rendered = String::new();
                            if std::fmt::Write::write_fmt(&mut rendered, format_args!("{text}"))
                                .is_err()
                            {
                                return exec_err!(
                                    "[INVALID_DATETIME_PATTERN] Unrecognized datetime pattern: {pattern}"
                                );
                            }
                            out.append_value(rendered);
                        }
                        None => out.append_value(cast_text(local)),
                    }
                }
                Ok(ColumnarValue::Array(Arc::new(out.finish())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_zone_ids_normalize() {
        assert_eq!(spark_zone_id("PST").as_deref(), Some("America/Los_Angeles"));
        assert_eq!(spark_zone_id("GMT+8").as_deref(), Some("+08:00"));
        assert_eq!(spark_zone_id("+0530").as_deref(), Some("+05:30"));
        assert_eq!(spark_zone_id("Asia/Tokyo").as_deref(), Some("Asia/Tokyo"));
        assert_eq!(spark_zone_id("UTC").as_deref(), Some("UTC"));
        assert_eq!(spark_zone_id("Mars/Olympus"), None);
    }

    #[test]
    fn wall_clocks_round_trip_through_a_zone() -> Result<()> {
        let zone = Tz::from_str("America/Los_Angeles")?;
        // 2015-04-08 07:00:00 UTC is midnight in Los Angeles (PDT, -07:00).
        let micros = 1_428_476_400_000_000;
        let local = to_local(micros, &zone);
        assert_eq!(
            local.map(|t| t.to_string()).as_deref(),
            Some("2015-04-08 00:00:00")
        );
        assert_eq!(local.map(|t| from_local(t, &zone)), Some(micros));
        Ok(())
    }

    #[test]
    fn cast_text_trims_the_fraction() {
        let at = DateTime::from_timestamp_micros(1_500_000).map(|t| t.naive_utc());
        assert_eq!(at.map(cast_text).as_deref(), Some("1970-01-01 00:00:01.5"));
    }
}
