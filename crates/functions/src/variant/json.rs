//! JSON text ↔ variant values, as Spark's `parse_json` and `to_json` read and write them:
//! integers take the narrowest integer type, other numbers a decimal when one holds them
//! exactly (a double otherwise), objects keep their keys sorted.

use parquet_variant::{
    ListBuilder, ObjectBuilder, Variant, VariantBuilder, VariantBuilderExt, VariantDecimal16,
};
use serde_json::{Number, Value};

use crate::java_text::java_double;

/// A JSON document as variant metadata and value bytes; None when it is not JSON.
pub(crate) fn parse(text: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let json: Value = serde_json::from_str(text).ok()?;
    let mut builder = VariantBuilder::new();
    append(&mut builder, &json)?;
    builder.try_finish().ok()
}

fn append(builder: &mut impl VariantBuilderExt, json: &Value) -> Option<()> {
    match json {
        Value::Null => builder.append_value(Variant::Null),
        Value::Bool(b) => builder.append_value(*b),
        Value::String(s) => builder.append_value(s.as_str()),
        Value::Number(n) => builder.append_value(number(n)?),
        Value::Array(items) => {
            let mut list: ListBuilder<'_, _> = builder.try_new_list().ok()?;
            for item in items {
                append(&mut list, item)?;
            }
            list.finish();
        }
        Value::Object(fields) => {
            let mut object: ObjectBuilder<'_, _> = builder.try_new_object().ok()?;
            for (key, value) in fields {
                let mut field = parquet_variant::ObjectFieldBuilder::new(key, &mut object);
                append(&mut field, value)?;
            }
            object.finish();
        }
    }
    Some(())
}

fn number(n: &Number) -> Option<Variant<'static, 'static>> {
    if let Some(i) = n.as_i64() {
        return Some(if let Ok(v) = i8::try_from(i) {
            v.into()
        } else if let Ok(v) = i16::try_from(i) {
            v.into()
        } else if let Ok(v) = i32::try_from(i) {
            v.into()
        } else {
            i.into()
        });
    }
    let value = n.as_f64()?;
    Some(exact_decimal(value).unwrap_or(Variant::Double(value)))
}

/// The decimal a JSON number's shortest text spells, when it fits 38 digits.
fn exact_decimal(value: f64) -> Option<Variant<'static, 'static>> {
    if !value.is_finite() {
        return None;
    }
    let text = format!("{value}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = format!("{whole}{fraction}");
    let unscaled: i128 = digits.parse().ok()?;
    let scale = u8::try_from(fraction.len()).ok()?;
    let significant = digits.trim_start_matches('-').trim_start_matches('0').len();
    if significant > 38 || scale > 38 {
        return None;
    }
    // The narrowest decimal that holds the digits, as Spark encodes them.
    if let Ok(small) = i32::try_from(unscaled) {
        if let Ok(decimal) = parquet_variant::VariantDecimal4::try_new(small, scale) {
            return Some(decimal.into());
        }
    }
    if let Ok(medium) = i64::try_from(unscaled) {
        if let Ok(decimal) = parquet_variant::VariantDecimal8::try_new(medium, scale) {
            return Some(decimal.into());
        }
    }
    VariantDecimal16::try_new(unscaled, scale)
        .ok()
        .map(Variant::from)
}

/// A variant as Spark's `to_json` writes it.
pub(crate) fn write(variant: &Variant<'_, '_>, out: &mut String) {
    use std::fmt::Write;
    match variant {
        Variant::Null => out.push_str("null"),
        Variant::BooleanTrue => out.push_str("true"),
        Variant::BooleanFalse => out.push_str("false"),
        Variant::Int8(v) => {
            let _ = write!(out, "{v}");
        }
        Variant::Int16(v) => {
            let _ = write!(out, "{v}");
        }
        Variant::Int32(v) => {
            let _ = write!(out, "{v}");
        }
        Variant::Int64(v) => {
            let _ = write!(out, "{v}");
        }
        Variant::Decimal4(d) => decimal(i128::from(d.integer()), d.scale(), out),
        Variant::Decimal8(d) => decimal(i128::from(d.integer()), d.scale(), out),
        Variant::Decimal16(d) => decimal(d.integer(), d.scale(), out),
        Variant::Float(v) => out.push_str(&java_double(f64::from(*v))),
        Variant::Double(v) => out.push_str(&java_double(*v)),
        Variant::String(s) => string(s, out),
        Variant::ShortString(s) => string(s.as_str(), out),
        Variant::Object(object) => {
            out.push('{');
            for (i, (key, value)) in object.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(key, out);
                out.push(':');
                write(&value, out);
            }
            out.push('}');
        }
        Variant::List(list) => {
            out.push('[');
            for (i, value) in list.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(&value, out);
            }
            out.push(']');
        }
        // Dates, times, binary and UUIDs are written as JSON strings of their text.
        other => string(&scalar_text(other), out),
    }
}

/// The text of a variant that is not an object or a list (strings without quotes).
pub(crate) fn scalar_text(variant: &Variant<'_, '_>) -> String {
    match variant {
        Variant::String(s) => (*s).to_string(),
        Variant::ShortString(s) => s.as_str().to_string(),
        Variant::Date(d) => d.to_string(),
        Variant::TimestampMicros(t) | Variant::TimestampNanos(t) => {
            t.format("%Y-%m-%d %H:%M:%S%.f%:z").to_string()
        }
        Variant::TimestampNtzMicros(t) | Variant::TimestampNtzNanos(t) => {
            t.format("%Y-%m-%d %H:%M:%S%.f").to_string()
        }
        Variant::Time(t) => t.to_string(),
        Variant::Uuid(u) => u.to_string(),
        Variant::Binary(b) => b.iter().map(|byte| format!("{byte:02X}")).collect(),
        other => {
            let mut out = String::new();
            write(other, &mut out);
            out
        }
    }
}

fn decimal(unscaled: i128, scale: u8, out: &mut String) {
    let negative = unscaled < 0;
    let digits = unscaled.unsigned_abs().to_string();
    let scale = usize::from(scale);
    if negative {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(&digits);
    } else if digits.len() > scale {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        out.push_str(whole);
        out.push('.');
        out.push_str(fraction);
    } else {
        out.push_str("0.");
        out.push_str(&"0".repeat(scale - digits.len()));
        out.push_str(&digits);
    }
}

/// A JSON string literal, escaping what JSON must (quotes, backslashes, control characters).
fn string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        let Some((metadata, value)) = parse(text) else {
            return format!("not JSON: {text}");
        };
        let mut out = String::new();
        write(&Variant::new(&metadata, &value), &mut out);
        out
    }

    #[test]
    fn json_round_trips_as_spark_writes_it() {
        assert_eq!(
            round_trip(r#"{"b": [1, 2.5, "x", null, true], "a": 1.50, "d": 12345678901234}"#),
            r#"{"a":1.5,"b":[1,2.5,"x",null,true],"d":12345678901234}"#
        );
        assert_eq!(round_trip(r#""\u00e9\n""#), "\"é\\n\"");
        assert_eq!(round_trip("0.05"), "0.05");
        assert_eq!(round_trip("-0"), "0");
        assert!(parse("{").is_none());
    }
}
