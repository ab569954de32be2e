//! Text the way Spark prints values and tables (`df.show()`, `describe()`, pivot labels).

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    DataType as ArrowType, Date32Type, Decimal128Type, DurationMicrosecondType,
    DurationMillisecondType, DurationNanosecondType, DurationSecondType, Float32Type, Float64Type,
    Int16Type, Int32Type, Int64Type, Int8Type, IntervalMonthDayNanoType, IntervalUnit,
    IntervalYearMonthType, Time64NanosecondType, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use datafusion::common::ScalarValue;

use crate::naming::{date_text, decimal_text};

/// How `show()` lays a table out.
#[derive(Debug, Clone, Copy)]
pub struct ShowOptions {
    pub num_rows: usize,
    pub truncate: usize,
    pub vertical: bool,
}

/// A scalar as Spark's `CAST(x AS STRING)` prints it (NULL as `null`).
pub fn scalar_text(value: &ScalarValue) -> String {
    match value.to_array() {
        Ok(array) => cell_text(&array, 0).unwrap_or_else(|| "null".to_string()),
        Err(_) => value.to_string(),
    }
}

fn java_float(value: f32) -> String {
    if value.is_finite() && value != 0.0 && (1e-3..1e7).contains(&value.abs()) {
        let text = format!("{value}");
        return if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        };
    }
    ember_functions::java_double(f64::from(value))
}

fn timestamp_text(micros: i64) -> String {
    let days = micros.div_euclid(86_400_000_000);
    let rest = micros.rem_euclid(86_400_000_000);
    let date = date_text(i32::try_from(days).unwrap_or(0));
    format!("{date} {}", ember_functions::time_text(rest * 1_000))
}

/// A day-time interval as Spark prints it: `INTERVAL '1 12:30:01.001001' DAY TO SECOND`.
fn day_time_interval_text(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let total = micros.unsigned_abs();
    let (seconds, fraction) = (total / 1_000_000, total % 1_000_000);
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (hours, minutes, secs) = (rest / 3_600, rest % 3_600 / 60, rest % 60);
    let fraction = if fraction == 0 {
        String::new()
    } else {
        format!(".{fraction:06}").trim_end_matches('0').to_string()
    };
    format!("INTERVAL '{sign}{days} {hours:02}:{minutes:02}:{secs:02}{fraction}' DAY TO SECOND")
}

/// A calendar interval as Spark prints it: `100 years 11 months 8 days 12 hours 30 minutes
/// 1.001001 seconds`, zero parts left out.
fn calendar_interval_text(months: i32, days: i32, micros: i64) -> String {
    let mut parts = Vec::new();
    let (years, months) = (months / 12, months % 12);
    for (amount, unit) in [(years, "years"), (months, "months"), (days, "days")] {
        if amount != 0 {
            parts.push(format!("{amount} {unit}"));
        }
    }
    let (hours, rest) = (micros / 3_600_000_000, micros % 3_600_000_000);
    let (minutes, rest) = (rest / 60_000_000, rest % 60_000_000);
    for (amount, unit) in [(hours, "hours"), (minutes, "minutes")] {
        if amount != 0 {
            parts.push(format!("{amount} {unit}"));
        }
    }
    if rest != 0 {
        let sign = if rest < 0 { "-" } else { "" };
        let (whole, fraction) = (
            rest.unsigned_abs() / 1_000_000,
            rest.unsigned_abs() % 1_000_000,
        );
        let fraction = if fraction == 0 {
            String::new()
        } else {
            format!(".{fraction:06}").trim_end_matches('0').to_string()
        };
        parts.push(format!("{sign}{whole}{fraction} seconds"));
    }
    if parts.is_empty() {
        return "0 seconds".into();
    }
    parts.join(" ")
}

/// An ML vector as Spark prints it: `[1.0,2.0]` dense, `(3,[1],[5.0])` sparse.
fn vector_text(array: &ArrayRef, row: usize) -> Option<String> {
    let vectors = ember_functions::read_vectors(array.slice(row, 1).as_ref()).ok()?;
    let doubles = |values: &[f64]| {
        values
            .iter()
            .map(|v| ember_functions::java_double(*v))
            .collect::<Vec<_>>()
            .join(",")
    };
    Some(match vectors.into_iter().next()?? {
        ember_functions::Vector::Dense(values) => format!("[{}]", doubles(&values)),
        ember_functions::Vector::Sparse {
            size,
            indices,
            values,
        } => {
            let indices: Vec<String> = indices.iter().map(ToString::to_string).collect();
            format!("({size},[{}],[{}])", indices.join(","), doubles(&values))
        }
    })
}

/// One cell as Spark prints it; `None` for NULL.
pub fn cell_text(array: &ArrayRef, row: usize) -> Option<String> {
    // A NullArray has no null buffer, yet every value is NULL.
    if array.is_null(row) || matches!(array.data_type(), ArrowType::Null) {
        return None;
    }
    Some(match array.data_type() {
        ArrowType::Boolean => array.as_boolean().value(row).to_string(),
        ArrowType::Int8 => array.as_primitive::<Int8Type>().value(row).to_string(),
        ArrowType::Int16 => array.as_primitive::<Int16Type>().value(row).to_string(),
        ArrowType::Int32 => array.as_primitive::<Int32Type>().value(row).to_string(),
        ArrowType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
        ArrowType::UInt8 => array.as_primitive::<UInt8Type>().value(row).to_string(),
        ArrowType::UInt16 => array.as_primitive::<UInt16Type>().value(row).to_string(),
        ArrowType::UInt32 => array.as_primitive::<UInt32Type>().value(row).to_string(),
        ArrowType::UInt64 => array.as_primitive::<UInt64Type>().value(row).to_string(),
        ArrowType::Float32 => java_float(array.as_primitive::<Float32Type>().value(row)),
        ArrowType::Float64 => {
            ember_functions::java_double(array.as_primitive::<Float64Type>().value(row))
        }
        ArrowType::Decimal128(_, scale) => {
            decimal_text(array.as_primitive::<Decimal128Type>().value(row), *scale)
        }
        ArrowType::Utf8 => array.as_string::<i32>().value(row).to_string(),
        ArrowType::LargeUtf8 => array.as_string::<i64>().value(row).to_string(),
        ArrowType::Utf8View => array.as_string_view().value(row).to_string(),
        ArrowType::Date32 => date_text(array.as_primitive::<Date32Type>().value(row)),
        ArrowType::Timestamp(unit, _) => {
            let micros = match unit {
                TimeUnit::Second => {
                    array.as_primitive::<TimestampSecondType>().value(row) * 1_000_000
                }
                TimeUnit::Millisecond => {
                    array.as_primitive::<TimestampMillisecondType>().value(row) * 1_000
                }
                TimeUnit::Microsecond => {
                    array.as_primitive::<TimestampMicrosecondType>().value(row)
                }
                TimeUnit::Nanosecond => {
                    array.as_primitive::<TimestampNanosecondType>().value(row) / 1_000
                }
            };
            timestamp_text(micros)
        }
        ArrowType::Time64(TimeUnit::Nanosecond) => {
            ember_functions::time_text(array.as_primitive::<Time64NanosecondType>().value(row))
        }
        ArrowType::Interval(IntervalUnit::YearMonth) => {
            year_month_interval_text(array.as_primitive::<IntervalYearMonthType>().value(row))
        }
        ArrowType::Interval(IntervalUnit::MonthDayNano) => {
            let value = array.as_primitive::<IntervalMonthDayNanoType>().value(row);
            calendar_interval_text(value.months, value.days, value.nanoseconds / 1_000)
        }
        ArrowType::Duration(unit) => {
            let micros = match unit {
                TimeUnit::Second => array
                    .as_primitive::<DurationSecondType>()
                    .value(row)
                    .saturating_mul(1_000_000),
                TimeUnit::Millisecond => array
                    .as_primitive::<DurationMillisecondType>()
                    .value(row)
                    .saturating_mul(1_000),
                TimeUnit::Microsecond => array.as_primitive::<DurationMicrosecondType>().value(row),
                TimeUnit::Nanosecond => {
                    array.as_primitive::<DurationNanosecondType>().value(row) / 1_000
                }
            };
            day_time_interval_text(micros)
        }
        ArrowType::Binary | ArrowType::LargeBinary | ArrowType::BinaryView => {
            let bytes = match array.data_type() {
                ArrowType::LargeBinary => array.as_binary::<i64>().value(row),
                ArrowType::BinaryView => array.as_binary_view().value(row),
                _ => array.as_binary::<i32>().value(row),
            };
            format!(
                "[{}]",
                bytes
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
        ArrowType::List(_) => {
            let values = array.as_list::<i32>().value(row);
            let items: Vec<String> = (0..values.len())
                .map(|i| cell_text(&values, i).unwrap_or_else(|| "NULL".into()))
                .collect();
            format!("[{}]", items.join(", "))
        }
        ArrowType::LargeList(_) => {
            let values = array.as_list::<i64>().value(row);
            let items: Vec<String> = (0..values.len())
                .map(|i| cell_text(&values, i).unwrap_or_else(|| "NULL".into()))
                .collect();
            format!("[{}]", items.join(", "))
        }
        variant if ember_functions::is_variant(variant) => {
            let parts = array.as_struct();
            let bytes = |name: &str| {
                parts
                    .column_by_name(name)
                    .map(|c| c.as_binary::<i32>().value(row).to_vec())
            };
            let (metadata, value) = (bytes("metadata")?, bytes("value")?);
            ember_functions::variant_json(&metadata, &value)?
        }
        vector if ember_functions::is_vector(vector) => vector_text(array, row)?,
        ArrowType::Struct(_) => {
            let structs = array.as_struct();
            let items: Vec<String> = structs
                .columns()
                .iter()
                .map(|c| cell_text(c, row).unwrap_or_else(|| "NULL".into()))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        ArrowType::Map(..) => {
            let map = array.as_map();
            let entries = map.value(row);
            let keys = entries.column(0);
            let values = entries.column(1);
            let items: Vec<String> = (0..entries.len())
                .map(|i| {
                    format!(
                        "{} -> {}",
                        cell_text(keys, i).unwrap_or_else(|| "NULL".into()),
                        cell_text(values, i).unwrap_or_else(|| "NULL".into())
                    )
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        _ => {
            let options = datafusion::arrow::util::display::FormatOptions::default();
            datafusion::arrow::util::display::ArrayFormatter::try_new(array.as_ref(), &options)
                .map(|f| f.value(row).to_string())
                .unwrap_or_default()
        }
    })
}

fn truncate_cell(text: &str, truncate: usize) -> String {
    let length = text.chars().count();
    if truncate > 0 && length > truncate {
        if truncate < 4 {
            text.chars().take(truncate).collect()
        } else {
            let kept: String = text.chars().take(truncate - 3).collect();
            format!("{kept}...")
        }
    } else {
        text.to_string()
    }
}

fn pad(text: &str, width: usize, right_align: bool) -> String {
    let length = text.chars().count();
    let padding = " ".repeat(width.saturating_sub(length));
    if right_align {
        format!("{padding}{text}")
    } else {
        format!("{text}{padding}")
    }
}

/// Formats up to `num_rows` rows as `df.show()` does; `batches` may hold one more row, which
/// only tells that the table was cut.
pub fn format_batches_as_show_string(
    names: &[String],
    batches: &[RecordBatch],
    options: ShowOptions,
) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    'outer: for batch in batches {
        for row in 0..batch.num_rows() {
            if rows.len() > options.num_rows {
                break 'outer;
            }
            rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| {
                        truncate_cell(
                            &cell_text(c, row).unwrap_or_else(|| "NULL".into()),
                            options.truncate,
                        )
                    })
                    .collect(),
            );
        }
    }
    let has_more = rows.len() > options.num_rows;
    rows.truncate(options.num_rows);
    // Spark cuts cell values to `truncate` characters but prints column names whole.
    let header: Vec<String> = names.to_vec();
    let mut out = String::new();
    if options.vertical {
        let name_width = header.iter().map(|h| h.chars().count()).max().unwrap_or(0);
        let value_width = rows
            .iter()
            .flatten()
            .map(|v| v.chars().count())
            .max()
            .unwrap_or(0);
        if rows.is_empty() {
            out.push_str("(0 rows)\n");
        }
        for (index, row) in rows.iter().enumerate() {
            let title = format!("-RECORD {index}");
            let total = name_width + value_width + 5;
            out.push_str(&title);
            out.push_str(&"-".repeat(total.saturating_sub(title.chars().count())));
            out.push('\n');
            for (name, value) in header.iter().zip(row) {
                out.push_str(&format!(
                    "{} | {}\n",
                    pad(name, name_width, false),
                    pad(value, value_width, false)
                ));
            }
        }
    } else {
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count().max(3)).collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let separator: String = format!(
            "+{}+\n",
            widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .join("+")
        );
        let right = options.truncate > 0;
        let line = |cells: &[String]| -> String {
            format!(
                "|{}|\n",
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| pad(c, *w, right))
                    .collect::<Vec<_>>()
                    .join("|")
            )
        };
        out.push_str(&separator);
        out.push_str(&line(&header));
        out.push_str(&separator);
        for row in &rows {
            out.push_str(&line(row));
        }
        out.push_str(&separator);
    }
    if has_more {
        let noun = if options.num_rows == 1 { "row" } else { "rows" };
        out.push_str(&format!("only showing top {} {noun}", options.num_rows));
    }
    out
}

/// `INTERVAL '1-2' YEAR TO MONTH`, as Spark shows a year-month interval.
fn year_month_interval_text(months: i32) -> String {
    let sign = if months < 0 { "-" } else { "" };
    let months = i64::from(months).abs();
    format!(
        "INTERVAL '{sign}{}-{}' YEAR TO MONTH",
        months / 12,
        months % 12
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(ember_functions::java_double(1.0), "1.0");
        assert_eq!(ember_functions::java_double(0.5), "0.5");
        assert_eq!(ember_functions::java_double(1e10), "1.0E10");
        assert_eq!(ember_functions::java_double(1.5e-5), "1.5E-5");
    }

    #[test]
    fn day_time_intervals_print_like_spark() {
        let micros = ((86_400 + 12 * 3_600 + 30 * 60 + 1) * 1_000_000) + 1_001;
        assert_eq!(
            day_time_interval_text(micros),
            "INTERVAL '1 12:30:01.001001' DAY TO SECOND"
        );
        assert_eq!(
            day_time_interval_text(-90 * 1_000_000),
            "INTERVAL '-0 00:01:30' DAY TO SECOND"
        );
    }

    #[test]
    fn calendar_intervals_print_like_spark() {
        let micros = (12 * 3_600 + 30 * 60 + 1) * 1_000_000 + 1_001;
        assert_eq!(
            calendar_interval_text(1211, 8, micros),
            "100 years 11 months 8 days 12 hours 30 minutes 1.001001 seconds"
        );
        assert_eq!(calendar_interval_text(0, 0, 0), "0 seconds");
        assert_eq!(calendar_interval_text(6, 0, 0), "6 months");
    }

    #[test]
    fn long_cells_are_cut_with_dots() {
        assert_eq!(
            truncate_cell("abcdefghijklmnopqrstuvwxyz", 20),
            "abcdefghijklmnopq..."
        );
        assert_eq!(truncate_cell("short", 20), "short");
    }
}
