//! Spark's output column names (`(a + b)`, `count(1)`, `CAST(x AS INT)`), built from the
//! names of already-resolved children, because users read columns back by these names.

use ember_spec::{self as spec, DataType, FrameBoundary, FrameKind, Literal};

pub fn literal_name(literal: &Literal) -> String {
    match literal {
        Literal::Null(_) => "NULL".into(),
        Literal::Boolean(v) => v.to_string(),
        Literal::Byte(v) => v.to_string(),
        Literal::Short(v) => v.to_string(),
        Literal::Integer(v) => v.to_string(),
        Literal::Long(v) => v.to_string(),
        Literal::Float(v) => float_text(f64::from(*v)),
        Literal::Double(v) => float_text(*v),
        Literal::Decimal { value, scale, .. } => decimal_text(*value, *scale),
        Literal::String(v) => v.clone(),
        Literal::Binary(v) => {
            format!(
                "X'{}'",
                v.iter().map(|b| format!("{b:02X}")).collect::<String>()
            )
        }
        Literal::Date(days) => format!("DATE '{}'", date_text(*days)),
        Literal::Timestamp(micros) | Literal::TimestampNtz(micros) => {
            let prefix = if matches!(literal, Literal::Timestamp(_)) {
                "TIMESTAMP"
            } else {
                "TIMESTAMP_NTZ"
            };
            match chrono_like_timestamp(*micros) {
                Some(text) => format!("{prefix} '{text}'"),
                None => prefix.into(),
            }
        }
        Literal::Time(nanos) => format!("TIME '{}'", ember_functions::time_text(*nanos)),
        Literal::DayTimeInterval(v) => format!("INTERVAL '{v}' MICROSECOND"),
        Literal::YearMonthInterval(v) => format!("INTERVAL '{v}' MONTH"),
        Literal::Array { elements, .. } => {
            let inner: Vec<String> = elements.iter().map(literal_name).collect();
            format!("array({})", inner.join(", "))
        }
        Literal::Map { keys, values, .. } => {
            let inner: Vec<String> = keys
                .iter()
                .zip(values)
                .flat_map(|(k, v)| [literal_name(k), literal_name(v)])
                .collect();
            format!("map({})", inner.join(", "))
        }
        Literal::Struct { fields } => {
            let inner: Vec<String> = fields.iter().map(|(_, v)| literal_name(v)).collect();
            format!("struct({})", inner.join(", "))
        }
    }
}

fn float_text(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

pub fn decimal_text(value: i128, scale: i8) -> String {
    if scale <= 0 {
        return value.to_string();
    }
    let negative = value < 0;
    let digits = value.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded = if digits.len() <= scale {
        format!("{}{}", "0".repeat(scale - digits.len() + 1), digits)
    } else {
        digits
    };
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{}{whole}.{fraction}", if negative { "-" } else { "" })
}

pub fn date_text(days: i32) -> String {
    // Civil-from-days (Howard Hinnant's algorithm), to avoid a date library dependency here.
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

fn chrono_like_timestamp(micros: i64) -> Option<String> {
    let days = micros.div_euclid(86_400_000_000);
    let rest = micros.rem_euclid(86_400_000_000);
    let date = date_text(i32::try_from(days).ok()?);
    Some(format!(
        "{date} {}",
        ember_functions::time_text(rest * 1_000)
    ))
}

/// The name Spark gives a call of `function` on children named `arguments`.
pub fn function_name(function: &str, arguments: &[String], is_distinct: bool) -> String {
    let lower = function.to_ascii_lowercase();
    let binary = |symbol: &str| -> String {
        match arguments {
            [a, b] => format!("({a} {symbol} {b})"),
            _ => format!("{lower}({})", arguments.join(", ")),
        }
    };
    match lower.as_str() {
        "-" if arguments.len() == 1 => format!("(- {})", arguments.join(", ")),
        "+" | "-" | "*" | "/" | "%" | "<" | "<=" | ">" | ">=" | "<=>" | "&" | "|" | "^" => {
            binary(&lower)
        }
        "==" => binary("="),
        "!=" => binary("!="),
        "and" => binary("AND"),
        "or" => binary("OR"),
        "not" => format!("(NOT {})", arguments.join(", ")),
        // With a scale, ceil and floor keep lower case.
        "ceil" | "floor" if arguments.len() == 2 => format!("{lower}({})", arguments.join(", ")),
        // Spark prints these math and regex functions in capitals.
        "acos" | "acosh" | "asin" | "asinh" | "atan" | "atan2" | "atanh" | "cbrt" | "ceil"
        | "cos" | "cosh" | "cot" | "csc" | "degrees" | "exp" | "expm1" | "floor" | "hypot"
        | "log10" | "log1p" | "log2" | "pi" | "radians" | "sec" | "sin" | "sinh" | "sqrt"
        | "tan" | "tanh" | "regexp" | "regexp_like" => {
            format!("{}({})", lower.to_uppercase(), arguments.join(", "))
        }
        "log" if arguments.len() == 2 => format!("LOG({})", arguments.join(", ")),
        "pow" | "power" => format!("POWER({})", arguments.join(", ")),
        "current_database" | "current_schema" => "current_schema()".into(),
        "dateadd" => format!("date_add({})", arguments.join(", ")),
        // The ignoreNulls flag and shuffle's seed do not show.
        "first" | "last" | "first_value" | "last_value" | "shuffle" if arguments.len() == 2 => {
            format!("{lower}({})", arguments[0])
        }
        "listagg" | "string_agg" | "listagg_distinct" | "string_agg_distinct" => {
            let base = lower.trim_end_matches("_distinct");
            let distinct = if lower.ends_with("_distinct") || is_distinct {
                "DISTINCT "
            } else {
                ""
            };
            let delimiter = arguments.get(1).map_or("NULL", String::as_str);
            let first = arguments.first().map_or("", String::as_str);
            format!("{base}({distinct}{first}, {delimiter})")
        }
        "trim" | "ltrim" | "rtrim" if arguments.len() == 2 => {
            let side = match lower.as_str() {
                "ltrim" => "LEADING",
                "rtrim" => "TRAILING",
                _ => "BOTH",
            };
            format!("TRIM({side} {} FROM {})", arguments[0], arguments[1])
        }
        // Defaults of optional arguments show in the name.
        "position" | "locate" if arguments.len() == 2 => {
            format!("{lower}({}, 1)", arguments.join(", "))
        }
        "regexp_extract_all" if arguments.len() == 2 => {
            format!("{lower}({}, 1)", arguments.join(", "))
        }
        // Unset mode, padding, IV and AAD show as their defaults.
        "aes_encrypt" if arguments.len() < 6 => {
            let defaults = ["", "", "GCM", "DEFAULT", "", ""];
            let mut shown = arguments.to_vec();
            shown.extend(defaults[arguments.len()..].iter().map(|d| d.to_string()));
            format!("{lower}({})", shown.join(", "))
        }
        "aes_decrypt" | "try_aes_decrypt" if arguments.len() < 5 => {
            let defaults = ["", "", "GCM", "DEFAULT", ""];
            let mut shown = arguments.to_vec();
            shown.extend(defaults[arguments.len()..].iter().map(|d| d.to_string()));
            format!("{lower}({})", shown.join(", "))
        }
        "hll_sketch_agg" | "theta_sketch_agg" | "theta_union_agg" if arguments.len() == 1 => {
            format!("{lower}({}, 12)", arguments[0])
        }
        "theta_union" if arguments.len() == 2 => format!("{lower}({}, 12)", arguments.join(", ")),
        "hll_union_agg" if arguments.len() == 1 => format!("{lower}({}, false)", arguments[0]),
        "hll_union" if arguments.len() == 2 => {
            format!("{lower}({}, false)", arguments.join(", "))
        }
        "regexp_instr" if arguments.len() == 2 => format!("{lower}({}, 0)", arguments.join(", ")),
        "regexp_replace" if arguments.len() == 3 => {
            format!("{lower}({}, 1)", arguments.join(", "))
        }
        "round" | "bround" if arguments.len() == 1 => {
            format!("{lower}({}, 0)", arguments.join(", "))
        }
        "substr" | "substring" if arguments.len() == 2 => {
            format!("{lower}({}, 2147483647)", arguments.join(", "))
        }
        "spark_partition_id" => "SPARK_PARTITION_ID()".into(),
        "try_make_interval" if arguments.len() < 7 => {
            let mut shown = arguments.to_vec();
            shown.resize(7, "0".into());
            format!("{lower}({})", shown.join(", "))
        }
        "make_ym_interval" if arguments.len() < 2 => {
            let mut shown = arguments.to_vec();
            shown.resize(2, "0".into());
            format!("{lower}({})", shown.join(", "))
        }
        "signum" => format!("SIGNUM({})", arguments.join(", ")),
        // The default limit shows in the name.
        "split" if arguments.len() == 2 => format!("split({}, -1)", arguments.join(", ")),
        "explode" | "explode_outer" => "col".into(),
        "window" => "window".into(),
        // Language and country default to empty and show.
        "sentences" if arguments.len() < 3 => {
            let mut shown = arguments.to_vec();
            shown.resize(3, String::new());
            format!("sentences({})", shown.join(", "))
        }
        "any_value" if arguments.len() == 2 => format!("any_value({})", arguments[0]),
        "to_unix_timestamp" if arguments.len() == 1 => {
            format!("to_unix_timestamp({}, yyyy-MM-dd HH:mm:ss)", arguments[0])
        }
        // The default `deterministic = false` does not show.
        "mode" if arguments.len() == 2 && arguments[1] == "false" => {
            format!("mode({})", arguments[0])
        }
        "mode" if arguments.len() == 2 && arguments[1] == "true" => {
            format!("mode() WITHIN GROUP (ORDER BY {} DESC)", arguments[0])
        }
        // The zone argument does not show.
        "try_make_timestamp" if arguments.len() == 7 => {
            format!("{lower}({})", arguments[..6].join(", "))
        }
        "schema_of_json" | "schema_of_csv" | "schema_of_xml" | "to_csv" | "to_json"
            if arguments.len() == 2 =>
        {
            format!("{lower}({})", arguments[0])
        }
        // The schema argument does not show.
        "from_json" | "from_csv" | "from_xml" => match arguments.first() {
            Some(text) => format!("{lower}({text})"),
            None => format!("{lower}()"),
        },
        "variant_get" | "try_variant_get" if arguments.len() == 3 => {
            format!("{lower}({})", arguments[..2].join(", "))
        }
        "~" => format!("~{}", arguments.join(", ")),
        "e" if arguments.is_empty() => "E()".into(),
        "negative" => format!("negative({})", arguments.join(", ")),
        "positive" => format!("(+ {})", arguments.join(", ")),
        "isnull" => format!("({} IS NULL)", arguments.join(", ")),
        "isnotnull" => format!("({} IS NOT NULL)", arguments.join(", ")),
        "in" => match arguments.split_first() {
            Some((value, list)) => format!("({value} IN ({}))", list.join(", ")),
            None => "in()".into(),
        },
        "like" | "ilike" | "rlike" => match arguments {
            [a, b] if lower == "rlike" => format!("RLIKE({a}, {b})"),
            [a, b] => format!("{a} {} {b}", lower.to_uppercase()),
            _ => format!("{lower}({})", arguments.join(", ")),
        },
        "between" => match arguments {
            [v, low, high] => format!("(({v} >= {low}) AND ({v} <= {high}))"),
            _ => format!("between({})", arguments.join(", ")),
        },
        "when" | "case_when" => {
            let mut text = String::from("CASE");
            let mut chunks = arguments.chunks(2);
            for chunk in chunks.by_ref() {
                match chunk {
                    [condition, value] => text.push_str(&format!(" WHEN {condition} THEN {value}")),
                    [default] => text.push_str(&format!(" ELSE {default}")),
                    _ => {}
                }
            }
            text.push_str(" END");
            text
        }
        "count" if arguments.is_empty() || arguments == ["*"] => {
            if is_distinct {
                "count(DISTINCT 1)".into()
            } else {
                "count(1)".into()
            }
        }
        "count_distinct" | "countdistinct" => format!("count(DISTINCT {})", arguments.join(", ")),
        "mean" => format!("avg({})", arguments.join(", ")),
        "sumdistinct" | "sum_distinct" => format!("sum(DISTINCT {})", arguments.join(", ")),
        _ if is_distinct => format!("{lower}(DISTINCT {})", arguments.join(", ")),
        _ => format!("{lower}({})", arguments.join(", ")),
    }
}

/// Columns the resolver adds for itself (`__group_0`, `__ember_rand_1`, ...), which `*` and
/// the output leave out. Names wrapped in double underscores on both sides
/// (`__index_level_0__`, which the pandas API uses) are the user's.
pub(crate) fn is_internal_column(name: &str) -> bool {
    name.starts_with("__") && !(name.len() > 4 && name.ends_with("__"))
}

pub fn cast_name(child: &str, data_type: &DataType, is_try: bool) -> String {
    let keyword = if is_try { "TRY_CAST" } else { "CAST" };
    format!("{keyword}({child} AS {})", data_type.sql_name())
}

/// A window frame as Spark prints it inside a column name.
pub(crate) fn frame_text(frame: Option<&spec::WindowFrame>, ordered: bool) -> String {
    let bound = |b: &FrameBoundary| match b {
        FrameBoundary::UnboundedPreceding => "UNBOUNDED PRECEDING".to_string(),
        FrameBoundary::UnboundedFollowing => "UNBOUNDED FOLLOWING".to_string(),
        FrameBoundary::CurrentRow => "CURRENT ROW".to_string(),
        FrameBoundary::Offset(e) => match e.as_ref() {
            spec::Expr::Literal(l) => format!("{} FOLLOWING", literal_name(l)),
            _ => "offset".to_string(),
        },
        FrameBoundary::SqlOffset(e) => match e.as_ref() {
            spec::Expr::Literal(l) => {
                let text = literal_name(l);
                match text.strip_prefix('-') {
                    Some(positive) => format!("{positive} PRECEDING"),
                    None => format!("{text} FOLLOWING"),
                }
            }
            _ => "offset".to_string(),
        },
    };
    match frame {
        Some(f) => format!(
            "{} BETWEEN {} AND {}",
            if f.kind == FrameKind::Rows {
                "ROWS"
            } else {
                "RANGE"
            },
            bound(&f.lower),
            bound(&f.upper)
        ),
        None if ordered => "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW".into(),
        None => "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_and_aggregates_are_named_like_spark() {
        let ab = ["a".to_string(), "b".to_string()];
        assert_eq!(function_name("+", &ab, false), "(a + b)");
        assert_eq!(function_name("==", &ab, false), "(a = b)");
        assert_eq!(
            function_name("count", &["*".to_string()], false),
            "count(1)"
        );
        assert_eq!(
            function_name("count", &["x".to_string()], true),
            "count(DISTINCT x)"
        );
        assert_eq!(function_name("SUM", &["x".to_string()], false), "sum(x)");
    }

    #[test]
    fn literals_and_dates_print_like_spark() {
        assert_eq!(date_text(0), "1970-01-01");
        assert_eq!(date_text(18_262), "2020-01-01");
        assert_eq!(decimal_text(-5, 2), "-0.05");
        assert_eq!(literal_name(&Literal::Long(3)), "3");
        assert_eq!(literal_name(&Literal::Null(DataType::Null)), "NULL");
    }
}
