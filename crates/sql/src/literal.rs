//! Literals as Spark types them: numbers (`1`, `1L`, `1.5`, `1e3`), strings, `X'..'`
//! bytes, `DATE '...'` and friends, and `INTERVAL` in its several forms.

use datafusion::sql::sqlparser::ast::{self, DateTimeField, Value};
use ember_spec::{DataType, Expr, Literal};

use crate::error::unsupported;
use crate::{parse_data_type, SqlError, SqlResult};

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_MINUTE: i64 = 60 * MICROS_PER_SECOND;
const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MINUTE;
const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

/// Spark's literal typing: integers are INT when they fit, else BIGINT; a number with a
/// decimal point is DECIMAL; an exponent makes it DOUBLE.
pub(crate) fn value_literal(value: Value) -> SqlResult<Literal> {
    Ok(match value {
        Value::Null => Literal::Null(DataType::Null),
        Value::Boolean(b) => Literal::Boolean(b),
        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Literal::String(s),
        Value::Number(text, long_suffix) => number_literal(&text, long_suffix)?,
        Value::HexStringLiteral(hex) => Literal::Binary(hex_bytes(&hex)?),
        other => return unsupported(format!("the literal {other}")),
    })
}

fn hex_bytes(hex: &str) -> SqlResult<Vec<u8>> {
    // An odd number of digits is read with a leading zero, as Spark does.
    let padded = if !hex.len().is_multiple_of(2) {
        format!("0{hex}")
    } else {
        hex.to_string()
    };
    (0..padded.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&padded[i..i + 2], 16)
                .map_err(|_| SqlError::syntax(format!("'X'{hex}''"), "invalid hexadecimal"))
        })
        .collect()
}

pub(crate) fn number_literal(text: &str, long_suffix: bool) -> SqlResult<Literal> {
    let bad = || SqlError::syntax(format!("'{text}'"), "invalid number");
    if text.contains(['e', 'E']) {
        return text.parse().map(Literal::Double).map_err(|_| bad());
    }
    if let Some((whole, fraction)) = text.split_once('.') {
        let digits = format!("{whole}{fraction}");
        let value: i128 = digits.parse().map_err(|_| bad())?;
        let scale = i8::try_from(fraction.len()).map_err(|_| bad())?;
        let significant = digits.trim_start_matches('0').len().max(1);
        let precision = u8::try_from(significant.max(fraction.len())).map_err(|_| bad())?;
        return Ok(Literal::Decimal {
            value,
            precision,
            scale,
        });
    }
    if long_suffix {
        return text.parse().map(Literal::Long).map_err(|_| bad());
    }
    match text.parse::<i64>() {
        Ok(value) => Ok(match i32::try_from(value) {
            Ok(small) => Literal::Integer(small),
            Err(_) => Literal::Long(value),
        }),
        // Too big for BIGINT: Spark reads it as DECIMAL(n, 0).
        Err(_) => {
            let value: i128 = text.parse().map_err(|_| bad())?;
            let precision = u8::try_from(text.trim_start_matches('0').len()).map_err(|_| bad())?;
            if precision > 38 {
                return Err(bad());
            }
            Ok(Literal::Decimal {
                value,
                precision,
                scale: 0,
            })
        }
    }
}

/// `10L`, `3S`, `1Y`, `2D`, `1.5F`, `7BD`: Spark's typed number suffixes. The tokenizer
/// reads a number with a letter after it as one identifier.
pub(crate) fn suffixed_number(text: &str) -> Option<Literal> {
    let upper = text.to_ascii_uppercase();
    let (digits, suffix) = match upper.strip_suffix("BD") {
        Some(digits) => (digits, "BD"),
        None => upper.split_at(upper.len().checked_sub(1)?),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    Some(match suffix {
        "L" => Literal::Long(digits.parse().ok()?),
        "S" => Literal::Short(digits.parse().ok()?),
        "Y" => Literal::Byte(digits.parse().ok()?),
        "D" => Literal::Double(digits.parse().ok()?),
        "F" => Literal::Float(digits.parse().ok()?),
        "BD" => match number_literal(digits, false).ok()? {
            Literal::Integer(v) => Literal::Decimal {
                value: i128::from(v),
                precision: u8::try_from(digits.trim_start_matches('0').len().max(1)).ok()?,
                scale: 0,
            },
            Literal::Long(v) => Literal::Decimal {
                value: i128::from(v),
                precision: u8::try_from(digits.trim_start_matches('0').len().max(1)).ok()?,
                scale: 0,
            },
            decimal @ Literal::Decimal { .. } => decimal,
            _ => return None,
        },
        _ => return None,
    })
}

pub(crate) fn negate_literal(literal: Literal) -> Literal {
    match literal {
        Literal::Integer(v) => Literal::Integer(-v),
        Literal::Long(v) => Literal::Long(-v),
        Literal::Double(v) => Literal::Double(-v),
        Literal::Float(v) => Literal::Float(-v),
        Literal::Decimal {
            value,
            precision,
            scale,
        } => Literal::Decimal {
            value: -value,
            precision,
            scale,
        },
        Literal::DayTimeInterval(v) => Literal::DayTimeInterval(-v),
        Literal::YearMonthInterval(v) => Literal::YearMonthInterval(-v),
        other => other,
    }
}

/// `DATE '2024-01-31'` is a date literal; other typed strings are casts of the text.
pub(crate) fn typed_literal(typed: ast::TypedString) -> SqlResult<Expr> {
    let text = match typed.value.value {
        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s,
        other => other.to_string(),
    };
    let data_type = parse_data_type(&crate::data_type::ast_type_text(&typed.data_type))?;
    if data_type == DataType::Date {
        if let Some(days) = date_days(&text) {
            return Ok(Expr::Literal(Literal::Date(days)));
        }
    }
    if data_type == DataType::Time(6) {
        if let Some(nanos) = time_nanos(&text) {
            return Ok(Expr::Literal(Literal::Time(nanos)));
        }
    }
    Ok(Expr::Cast {
        expr: Box::new(Expr::Literal(Literal::String(text))),
        data_type,
        is_try: false,
    })
}

/// `HH:mm[:ss[.fraction]]` as nanoseconds since midnight, kept to microseconds as TIME(6).
fn time_nanos(text: &str) -> Option<i64> {
    use chrono::Timelike;
    let text = text.trim();
    let time = chrono::NaiveTime::parse_from_str(text, "%H:%M:%S%.f")
        .or_else(|_| chrono::NaiveTime::parse_from_str(text, "%H:%M"))
        .ok()?;
    let micros = i64::from(time.nanosecond() / 1_000);
    Some(i64::from(time.num_seconds_from_midnight()) * 1_000_000_000 + micros * 1_000)
}

fn date_days(text: &str) -> Option<i32> {
    let date = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((date - epoch).num_days()).ok()
}

/// An interval of months alone is Spark's YEAR-MONTH interval; of days and time, its
/// DAY-TIME interval. A literal that mixes both has no ANSI type.
pub(crate) fn interval_literal(interval: ast::Interval) -> SqlResult<Literal> {
    let shown = interval.to_string();
    let text = match *interval.value {
        ast::Expr::Value(value) => match value.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s,
            Value::Number(n, _) => n,
            other => return unsupported(format!("the interval value {other}")),
        },
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => format!("-{expr}"),
        other => return unsupported(format!("the interval value {other}")),
    };
    let invalid = || {
        SqlError::syntax(
            format!("'{text}'"),
            "[INVALID_INTERVAL_FORMAT] cannot read this interval",
        )
    };
    let (months, micros) = match (&interval.leading_field, &interval.last_field) {
        (Some(leading), None) => unit_amount(text.trim(), leading).ok_or_else(invalid)?,
        (Some(DateTimeField::Year), Some(DateTimeField::Month)) => {
            year_to_month(text.trim()).ok_or_else(invalid)?
        }
        (Some(DateTimeField::Day), Some(DateTimeField::Second)) => {
            day_to_second(text.trim()).ok_or_else(invalid)?
        }
        (None, None) => unit_list(&text).ok_or_else(invalid)?,
        _ => return unsupported(format!("the interval {shown}")),
    };
    match (months, micros) {
        (months, 0) if months != 0 => Ok(Literal::YearMonthInterval(
            i32::try_from(months).map_err(|_| invalid())?,
        )),
        (0, micros) => Ok(Literal::DayTimeInterval(micros)),
        _ => unsupported("an interval mixing months with days or time"),
    }
}

/// `n unit` as (months, microseconds).
fn unit_amount(amount: &str, unit: &DateTimeField) -> Option<(i64, i64)> {
    use DateTimeField as F;
    let whole = || amount.parse::<i64>().ok();
    Some(match unit {
        F::Year | F::Years => (whole()?.checked_mul(12)?, 0),
        F::Month | F::Months => (whole()?, 0),
        F::Week(_) | F::Weeks => (0, whole()?.checked_mul(7 * MICROS_PER_DAY)?),
        F::Day | F::Days => (0, whole()?.checked_mul(MICROS_PER_DAY)?),
        F::Hour | F::Hours => (0, whole()?.checked_mul(MICROS_PER_HOUR)?),
        F::Minute | F::Minutes => (0, whole()?.checked_mul(MICROS_PER_MINUTE)?),
        F::Second | F::Seconds => (0, seconds(amount)?),
        F::Millisecond | F::Milliseconds => (0, whole()?.checked_mul(1000)?),
        F::Microsecond | F::Microseconds => (0, whole()?),
        _ => return None,
    })
}

fn seconds(text: &str) -> Option<i64> {
    let value: f64 = text.parse().ok()?;
    let micros = (value * MICROS_PER_SECOND as f64).round();
    micros.is_finite().then_some(micros as i64)
}

/// `'1 day 2 hours'`: amounts each followed by a unit word.
fn unit_list(text: &str) -> Option<(i64, i64)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return None;
    }
    let (mut months, mut micros) = (0i64, 0i64);
    for pair in words.chunks(2) {
        let unit = unit_word(pair[1])?;
        let (m, u) = unit_amount(pair[0], &unit)?;
        months = months.checked_add(m)?;
        micros = micros.checked_add(u)?;
    }
    Some((months, micros))
}

fn unit_word(word: &str) -> Option<DateTimeField> {
    use DateTimeField as F;
    Some(match word.to_ascii_lowercase().as_str() {
        "year" | "years" => F::Year,
        "month" | "months" => F::Month,
        "week" | "weeks" => F::Weeks,
        "day" | "days" => F::Day,
        "hour" | "hours" => F::Hour,
        "minute" | "minutes" => F::Minute,
        "second" | "seconds" => F::Second,
        "millisecond" | "milliseconds" => F::Millisecond,
        "microsecond" | "microseconds" => F::Microsecond,
        _ => return None,
    })
}

/// `'y-m'`.
fn year_to_month(text: &str) -> Option<(i64, i64)> {
    let (sign, body) = split_sign(text);
    let (years, months) = body.split_once('-')?;
    let total = years.parse::<i64>().ok()? * 12 + months.parse::<i64>().ok()?;
    Some((sign * total, 0))
}

/// `'d hh:mm:ss[.ffffff]'`.
fn day_to_second(text: &str) -> Option<(i64, i64)> {
    let (sign, body) = split_sign(text);
    let (days, time) = body.split_once(' ')?;
    let mut parts = time.split(':');
    let hours = parts.next()?.parse::<i64>().ok()?;
    let minutes = parts.next()?.parse::<i64>().ok()?;
    let secs = seconds(parts.next()?)?;
    let total = days.parse::<i64>().ok()? * MICROS_PER_DAY
        + hours * MICROS_PER_HOUR
        + minutes * MICROS_PER_MINUTE
        + secs;
    Some((0, sign * total))
}

fn split_sign(text: &str) -> (i64, &str) {
    match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;
    use crate::dialect::SparkDialect;

    fn interval(text: &str) -> SqlResult<Literal> {
        let expr = Parser::new(&SparkDialect)
            .try_with_sql(text)?
            .parse_expr()?;
        match expr {
            ast::Expr::Interval(interval) => interval_literal(interval),
            other => panic!("not an interval: {other}"),
        }
    }

    #[test]
    fn intervals_take_spark_types() -> SqlResult<()> {
        assert_eq!(
            interval("INTERVAL '90' DAY")?,
            Literal::DayTimeInterval(90 * MICROS_PER_DAY)
        );
        assert_eq!(
            interval("INTERVAL '3' MONTH")?,
            Literal::YearMonthInterval(3)
        );
        assert_eq!(
            interval("INTERVAL 2 YEARS")?,
            Literal::YearMonthInterval(24)
        );
        assert_eq!(
            interval("INTERVAL '1-2' YEAR TO MONTH")?,
            Literal::YearMonthInterval(14)
        );
        assert_eq!(
            interval("INTERVAL '1 01:00:00.5' DAY TO SECOND")?,
            Literal::DayTimeInterval(MICROS_PER_DAY + MICROS_PER_HOUR + 500_000)
        );
        assert!(interval("INTERVAL 'x' DAY").is_err());
        Ok(())
    }

    #[test]
    fn numbers_follow_spark_typing() -> SqlResult<()> {
        assert_eq!(number_literal("7", false)?, Literal::Integer(7));
        assert_eq!(number_literal("7", true)?, Literal::Long(7));
        assert_eq!(
            number_literal("99999999999999999999", false)?,
            Literal::Decimal {
                value: 99999999999999999999,
                precision: 20,
                scale: 0
            }
        );
        assert_eq!(hex_bytes("4142")?, b"AB".to_vec());
        Ok(())
    }
}
