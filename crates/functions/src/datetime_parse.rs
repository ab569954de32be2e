//! Parsing strings into dates and timestamps with Spark's datetime patterns: `to_timestamp`,
//! `to_date`, `unix_timestamp` and their `try_` forms. A pattern with only date fields gives
//! midnight, one with only time fields the first day of 1970, as in Spark; a string that does
//! not match fails under ANSI (`CANNOT_PARSE_TIMESTAMP`) and is NULL in the `try_` forms.

use std::sync::Arc;

use chrono::format::{parse, Parsed, StrftimeItems};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Date32Builder, Int64Builder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::compute::{cast, cast_with_options, CastOptions};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::exec_err;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::catalog::spark_pattern_to_chrono;
use crate::datetime_functions::timestamp_type;
use crate::session_time::{from_local, session_zone, to_local};

/// What a parsed string becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    Timestamp,
    Date,
    /// Seconds since the epoch.
    UnixSeconds,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct ParseDatetime {
    name: &'static str,
    target: Target,
    /// NULL instead of an error for a string that does not parse.
    lenient: bool,
    signature: Signature,
}

impl ParseDatetime {
    pub(crate) fn all() -> Vec<Self> {
        [
            ("ember_parse_timestamp", Target::Timestamp, false),
            ("ember_try_parse_timestamp", Target::Timestamp, true),
            ("ember_parse_date", Target::Date, false),
            ("ember_try_parse_date", Target::Date, true),
            ("ember_parse_unix_seconds", Target::UnixSeconds, false),
            ("ember_try_parse_unix_seconds", Target::UnixSeconds, true),
        ]
        .into_iter()
        .map(|(name, target, lenient)| Self {
            name,
            target,
            lenient,
            signature: Signature::user_defined(Volatility::Immutable),
        })
        .collect()
    }
}

/// The registered name of the parser for `target`.
pub(crate) fn parser_name(target: Target, lenient: bool) -> &'static str {
    match (target, lenient) {
        (Target::Timestamp, false) => "ember_parse_timestamp",
        (Target::Timestamp, true) => "ember_try_parse_timestamp",
        (Target::Date, false) => "ember_parse_date",
        (Target::Date, true) => "ember_try_parse_date",
        (Target::UnixSeconds, false) => "ember_parse_unix_seconds",
        (Target::UnixSeconds, true) => "ember_try_parse_unix_seconds",
    }
}

/// What a string names: a wall clock, or an instant when it carries an offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ParsedText {
    Local(NaiveDateTime),
    /// UTC.
    Instant(NaiveDateTime),
}

impl ParsedText {
    /// The UTC instant, a wall clock read in `zone`.
    fn instant(self, zone: &Tz) -> i64 {
        match self {
            ParsedText::Local(local) => from_local(local, zone),
            ParsedText::Instant(utc) => utc.and_utc().timestamp_micros(),
        }
    }

    /// The calendar date: of the wall clock, or of the instant in `zone`.
    fn date(self, zone: &Tz) -> Option<NaiveDate> {
        match self {
            ParsedText::Local(local) => Some(local.date()),
            ParsedText::Instant(utc) => {
                to_local(utc.and_utc().timestamp_micros(), zone).map(|t| t.date())
            }
        }
    }
}

/// `text` read with a chrono pattern; fields the pattern lacks take Spark's defaults.
pub(crate) fn parse_with_pattern(text: &str, pattern: &str) -> Option<ParsedText> {
    let mut parsed = Parsed::new();
    parse(&mut parsed, text, StrftimeItems::new(pattern)).ok()?;
    let date = match parsed.to_naive_date() {
        Ok(date) => date,
        // Only a year and month, only a year, or no date at all.
        Err(_) => NaiveDate::from_ymd_opt(
            parsed.year().unwrap_or(1970),
            parsed.month().unwrap_or(1),
            parsed.day().unwrap_or(1),
        )?,
    };
    let time = parsed.to_naive_time().ok().or_else(|| {
        let hour = parsed.hour_div_12().zip(parsed.hour_mod_12());
        let hour = hour.map_or(0, |(div, rem)| div * 12 + rem);
        NaiveTime::from_hms_nano_opt(
            hour,
            parsed.minute().unwrap_or(0),
            parsed.second().unwrap_or(0),
            parsed.nanosecond().unwrap_or(0),
        )
    })?;
    let local = date.and_time(time);
    // An offset in the text names an instant.
    Some(match parsed.offset() {
        Some(offset) => ParsedText::Instant(local - chrono::Duration::seconds(i64::from(offset))),
        None => ParsedText::Local(local),
    })
}

impl ScalarUDFImpl for ParseDatetime {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.len() {
            1 | 2 => Ok(vec![DataType::Utf8; arg_types.len()]),
            n => datafusion::common::plan_err!(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `{}` requires 1 or 2 parameters but the actual number is {n}.",
                self.name
            ),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.target {
            Target::Timestamp => timestamp_type(),
            Target::Date => DataType::Date32,
            Target::UnixSeconds => DataType::Int64,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(texts) = arrays.first() else {
            return exec_err!("{} takes a string", self.name);
        };
        let texts = texts.as_string::<i32>();
        let patterns = arrays.get(1).map(|p| p.as_string::<i32>());
        let zone = session_zone(&args.config_options)?;
        let mut instants: Vec<Option<ParsedText>> = Vec::with_capacity(texts.len());
        for row in 0..texts.len() {
            if texts.is_null(row) || patterns.is_some_and(|p| p.is_null(row)) {
                instants.push(None);
                continue;
            }
            let text = texts.value(row);
            let parsed = match patterns {
                Some(patterns) => {
                    parse_with_pattern(text, &spark_pattern_to_chrono(patterns.value(row)))
                }
                None => parse_default(text),
            };
            match parsed {
                Some(instant) => instants.push(Some(instant)),
                None if self.lenient => instants.push(None),
                None => {
                    let pattern = patterns.map_or("", |p| p.value(row));
                    return exec_err!(
                        "[CANNOT_PARSE_TIMESTAMP] Text '{text}' could not be parsed{}. Use `try_to_timestamp` to tolerate invalid input string and return NULL instead.",
                        if pattern.is_empty() { String::new() } else { format!(" with pattern '{pattern}'") }
                    );
                }
            }
        }
        let out: ArrayRef = match self.target {
            Target::Timestamp => {
                let mut b =
                    TimestampMicrosecondBuilder::with_capacity(instants.len()).with_timezone("UTC");
                for i in &instants {
                    b.append_option(i.map(|t| t.instant(&zone)));
                }
                Arc::new(b.finish())
            }
            Target::Date => {
                let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
                let mut b = Date32Builder::with_capacity(instants.len());
                for i in &instants {
                    b.append_option(
                        i.and_then(|t| t.date(&zone))
                            .map(|d| (d - epoch).num_days() as i32),
                    );
                }
                Arc::new(b.finish())
            }
            Target::UnixSeconds => {
                let mut b = Int64Builder::with_capacity(instants.len());
                for i in &instants {
                    b.append_option(i.map(|t| t.instant(&zone).div_euclid(1_000_000)));
                }
                Arc::new(b.finish())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// Without a pattern, what a cast to TIMESTAMP accepts (`2024-01-02`, `2024-01-02 03:04:05`,
/// with `T`, fractions or an offset).
fn parse_default(text: &str) -> Option<ParsedText> {
    let text = text.trim();
    // Read as a wall clock first; only text with an offset names an instant.
    let read = |target: DataType| -> Option<i64> {
        let array: ArrayRef = Arc::new(datafusion::arrow::array::StringArray::from(vec![text]));
        let options = CastOptions {
            safe: true,
            ..Default::default()
        };
        let micros = cast_with_options(&array, &target, &options).ok()?;
        let micros = cast(&micros, &DataType::Int64).ok()?;
        let micros = micros.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        (!micros.is_null(0)).then(|| micros.value(0))
    };
    let naive = |m: i64| chrono::DateTime::from_timestamp_micros(m).map(|t| t.naive_utc());
    let has_offset = text.ends_with('Z')
        || text
            .rfind(['+', '-'])
            .is_some_and(|i| text[..i].contains(':') || text[..i].contains('T'));
    if has_offset {
        read(timestamp_type())
            .and_then(naive)
            .map(ParsedText::Instant)
    } else {
        read(DataType::Timestamp(TimeUnit::Microsecond, None))
            .and_then(naive)
            .map(ParsedText::Local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, spark_pattern: &str) -> Option<String> {
        match parse_with_pattern(text, &spark_pattern_to_chrono(spark_pattern))? {
            ParsedText::Local(t) | ParsedText::Instant(t) => {
                Some(t.format("%Y-%m-%d %H:%M:%S%.f").to_string())
            }
        }
    }

    #[test]
    fn date_only_patterns_give_midnight() {
        assert_eq!(
            at("1997-02-28", "yyyy-MM-dd").as_deref(),
            Some("1997-02-28 00:00:00")
        );
        assert_eq!(
            at("2016-12", "yyyy-MM").as_deref(),
            Some("2016-12-01 00:00:00")
        );
        assert_eq!(
            at("1997-02-28 10:30:00", "yyyy-MM-dd HH:mm:ss").as_deref(),
            Some("1997-02-28 10:30:00")
        );
        assert_eq!(at("10:30", "HH:mm").as_deref(), Some("1970-01-01 10:30:00"));
    }

    #[test]
    fn mismatches_do_not_parse() {
        assert_eq!(at("1997-02-30", "yyyy-MM-dd"), None);
        assert_eq!(at("abc", "yyyy-MM-dd"), None);
    }

    #[test]
    fn default_parsing_accepts_cast_forms() {
        assert!(parse_default("2015-04-08").is_some());
        assert!(parse_default("2015-04-08 13:08:15").is_some());
        assert!(parse_default("not a date").is_none());
    }
}
