//! Spark's JSON functions: `from_json` (through arrow-json's decoder, a malformed row giving
//! a struct of NULL fields as Spark's PERMISSIVE mode does), `to_json`, `get_json_object`, `json_array_length`,
//! `json_object_keys` and `schema_of_json`.

use std::sync::Arc;

use datafusion::arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, GenericListBuilder, Int32Builder, StringArray,
    StringBuilder, StructArray, UInt32Array,
};
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Field, FieldRef, TimeUnit, TimestampMicrosecondType,
};
use datafusion::arrow::json::ReaderBuilder;
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonKind {
    FromJson,
    ToJson,
    GetJsonObject,
    ArrayLength,
    ObjectKeys,
    SchemaOf,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct JsonFunction {
    kind: JsonKind,
    signature: Signature,
}

impl JsonFunction {
    pub fn all() -> Vec<Self> {
        [
            JsonKind::FromJson,
            JsonKind::ToJson,
            JsonKind::GetJsonObject,
            JsonKind::ArrayLength,
            JsonKind::ObjectKeys,
            JsonKind::SchemaOf,
        ]
        .into_iter()
        .map(|kind| Self {
            kind,
            signature: Signature::user_defined(Volatility::Immutable),
        })
        .collect()
    }
}

fn text_column(array: &ArrayRef) -> Result<StringArray> {
    Ok(cast(array, &DataType::Utf8)?.as_string::<i32>().clone())
}

impl ScalarUDFImpl for JsonFunction {
    fn name(&self) -> &str {
        match self.kind {
            JsonKind::FromJson => "from_json",
            JsonKind::ToJson => "to_json",
            JsonKind::GetJsonObject => "get_json_object",
            JsonKind::ArrayLength => "json_array_length",
            JsonKind::ObjectKeys => "json_object_keys",
            JsonKind::SchemaOf => "schema_of_json",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let mut types = arg_types.to_vec();
        match self.kind {
            // The value stays as it is; options (a map) are accepted and not used.
            JsonKind::ToJson => {}
            // The schema travels as a NULL of the target type.
            JsonKind::FromJson => {
                if types.len() < 2 {
                    return plan_err!("from_json takes a string and a schema");
                }
                types[0] = DataType::Utf8;
            }
            // Options (a map) after the JSON text are accepted and not used.
            JsonKind::SchemaOf => {
                if let Some(first) = types.first_mut() {
                    *first = DataType::Utf8;
                }
            }
            _ => {
                for t in types.iter_mut().take(2) {
                    *t = DataType::Utf8;
                }
            }
        }
        Ok(types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            JsonKind::FromJson => arg_types.get(1).cloned().unwrap_or(DataType::Null),
            JsonKind::ToJson | JsonKind::GetJsonObject | JsonKind::SchemaOf => DataType::Utf8,
            JsonKind::ArrayLength => DataType::Int32,
            JsonKind::ObjectKeys => {
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
            }
        })
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        Ok(Arc::new(Field::new(
            self.name(),
            self.return_type(&types)?,
            true,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(input) = arrays.first() else {
            return exec_err!("{} takes an argument", self.name());
        };
        let result: ArrayRef = match self.kind {
            JsonKind::FromJson => {
                let texts = with_options(text_column(input)?, arrays.get(2))?;
                from_json(&texts, args.return_type())?
            }
            JsonKind::ToJson => {
                let mut out = StringBuilder::new();
                // `dateFormat` spells dates with a Spark pattern instead of ISO.
                let date_format = option_value(arrays.get(1), "dateFormat")
                    .map(|pattern| crate::catalog::spark_pattern_to_chrono(&pattern));
                for row in 0..input.len() {
                    if input.is_null(row) {
                        out.append_null();
                    } else {
                        let mut text = String::new();
                        write_json_with(input, row, &mut text, date_format.as_deref())?;
                        out.append_value(text);
                    }
                }
                Arc::new(out.finish())
            }
            JsonKind::GetJsonObject => {
                let Some(paths) = arrays.get(1) else {
                    return exec_err!("get_json_object takes a path");
                };
                let (texts, paths) = (text_column(input)?, text_column(paths)?);
                let mut out = StringBuilder::new();
                for row in 0..texts.len() {
                    let found = (!texts.is_null(row) && !paths.is_null(row))
                        .then(|| get_json_object(texts.value(row), paths.value(row)))
                        .flatten();
                    out.append_option(found);
                }
                Arc::new(out.finish())
            }
            JsonKind::ArrayLength => {
                let texts = text_column(input)?;
                let mut out = Int32Builder::new();
                for row in 0..texts.len() {
                    let parsed = (!texts.is_null(row))
                        .then(|| serde_json::from_str::<Value>(texts.value(row)).ok())
                        .flatten();
                    match parsed {
                        Some(Value::Array(items)) => out.append_value(items.len() as i32),
                        _ => out.append_null(),
                    }
                }
                Arc::new(out.finish())
            }
            JsonKind::ObjectKeys => {
                let texts = text_column(input)?;
                let mut out = GenericListBuilder::<i32, _>::new(StringBuilder::new());
                for row in 0..texts.len() {
                    let parsed = (!texts.is_null(row))
                        .then(|| serde_json::from_str::<Value>(texts.value(row)).ok())
                        .flatten();
                    match parsed {
                        Some(Value::Object(object)) => {
                            for key in object.keys() {
                                out.values().append_value(key);
                            }
                            out.append(true);
                        }
                        _ => out.append_null(),
                    }
                }
                Arc::new(out.finish())
            }
            JsonKind::SchemaOf => {
                let texts = with_options(text_column(input)?, arrays.get(1))?;
                let mut out = StringBuilder::new();
                for row in 0..texts.len() {
                    if texts.is_null(row) {
                        out.append_null();
                        continue;
                    }
                    match serde_json::from_str::<Value>(texts.value(row)) {
                        Ok(value) => out.append_value(inferred_type(&value)),
                        Err(_) => out.append_value("STRING"),
                    }
                }
                Arc::new(out.finish())
            }
        };
        Ok(ColumnarValue::Array(result))
    }
}

/// Decodes each row as a value of `target`; rows that are NULL, malformed or of another
/// shape give NULL.
pub(crate) fn from_json(texts: &StringArray, target: &DataType) -> Result<ArrayRef> {
    let field = Arc::new(Field::new("value", target.clone(), true));
    let decode = |lines: &[&str]| -> Option<ArrayRef> {
        let mut decoder = ReaderBuilder::new_with_field(Arc::clone(&field))
            .with_batch_size(lines.len().max(1))
            .with_coerce_primitive(true)
            .build_decoder()
            .ok()?;
        let joined = lines.join("\n");
        decoder.decode(joined.as_bytes()).ok()?;
        let batch = decoder.flush().ok()??;
        (batch.num_rows() == lines.len()).then(|| Arc::clone(batch.column(0)))
    };
    // Rows that parse as JSON of the right shape are decoded together.
    let mut lines = Vec::new();
    let mut positions: Vec<Option<u32>> = Vec::with_capacity(texts.len());
    for row in 0..texts.len() {
        let usable = !texts.is_null(row)
            && serde_json::from_str::<Value>(texts.value(row))
                .is_ok_and(|value| shape_matches(&value, target));
        if usable {
            positions.push(Some(lines.len() as u32));
            lines.push(texts.value(row));
        } else {
            positions.push(None);
        }
    }
    if lines.is_empty() {
        return Ok(new_null_array(target, texts.len()));
    }
    let decoded = match decode(&lines) {
        Some(decoded) => decoded,
        None => {
            // A row whose values do not fit the schema fails the batch; decode one by one.
            let mut parts: Vec<ArrayRef> = Vec::with_capacity(lines.len());
            for line in &lines {
                parts.push(decode(&[line]).unwrap_or_else(|| new_null_array(target, 1)));
            }
            let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
            datafusion::arrow::compute::concat(&refs)?
        }
    };
    let taken = take(&decoded, &UInt32Array::from(positions), None)?;
    Ok(malformed_as_null_fields(taken, texts))
}

/// Spark's PERMISSIVE mode: text that does not parse into a struct gives a struct whose
/// fields are NULL; only NULL text (or the JSON `null`) gives NULL.
fn malformed_as_null_fields(parsed: ArrayRef, texts: &StringArray) -> ArrayRef {
    let Some(structs) = parsed.as_struct_opt() else {
        return parsed;
    };
    let valid: Vec<bool> = (0..texts.len())
        .map(|row| !texts.is_null(row) && texts.value(row).trim() != "null")
        .collect();
    let nulls = datafusion::arrow::buffer::NullBuffer::from(valid);
    match StructArray::try_new(
        structs.fields().clone(),
        structs.columns().to_vec(),
        Some(nulls),
    ) {
        Ok(rebuilt) => Arc::new(rebuilt),
        Err(_) => parsed,
    }
}

fn shape_matches(value: &Value, target: &DataType) -> bool {
    match target {
        DataType::Struct(_) | DataType::Map(..) => value.is_object(),
        DataType::List(_) | DataType::LargeList(_) => value.is_array(),
        _ => !value.is_null(),
    }
}

/// One cell as JSON text, as Spark's `to_json` writes it: struct fields in their order,
/// NULL fields left out.
/// Dates follow `date_format` (a chrono pattern) when one is given.
fn write_json_with(
    array: &ArrayRef,
    row: usize,
    out: &mut String,
    date_format: Option<&str>,
) -> Result<()> {
    let quoted = |text: &str| Value::String(text.to_string()).to_string();
    match array.data_type() {
        _ if array.is_null(row) => out.push_str("null"),
        DataType::Struct(fields) => {
            let columns = array.as_struct();
            out.push('{');
            let mut first = true;
            for (index, field) in fields.iter().enumerate() {
                let column = columns.column(index);
                if column.is_null(row) {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&quoted(field.name()));
                out.push(':');
                write_json_with(column, row, out, date_format)?;
            }
            out.push('}');
        }
        DataType::List(_) | DataType::LargeList(_) => {
            let items = match array.data_type() {
                DataType::List(_) => array.as_list::<i32>().value(row),
                _ => array.as_list::<i64>().value(row),
            };
            out.push('[');
            for i in 0..items.len() {
                if i > 0 {
                    out.push(',');
                }
                write_json_with(&items, i, out, date_format)?;
            }
            out.push(']');
        }
        DataType::Map(..) => {
            let entries = array.as_map().value(row);
            let keys = cast(entries.column(0), &DataType::Utf8)?;
            let keys = keys.as_string::<i32>();
            out.push('{');
            for i in 0..entries.len() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&quoted(keys.value(i)));
                out.push(':');
                write_json_with(entries.column(1), i, out, date_format)?;
            }
            out.push('}');
        }
        DataType::Date32 if date_format.is_some() => {
            let days = array.as_primitive::<Date32Type>().value(row);
            let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
                .and_then(|epoch| epoch.checked_add_signed(chrono::Duration::days(days.into())));
            let mut text = String::new();
            // A pattern chrono cannot print falls back to the ISO date.
            let printed = match (date, date_format) {
                (Some(date), Some(pattern)) => {
                    std::fmt::Write::write_fmt(&mut text, format_args!("{}", date.format(pattern)))
                        .is_ok()
                }
                _ => false,
            };
            if !printed {
                text = crate::datetime_functions::date_text(days);
            }
            out.push_str(&quoted(&text));
        }
        _ => out.push_str(&json_value(array, row)?.to_string()),
    }
    Ok(())
}

/// One scalar cell as a JSON value.
fn json_value(array: &ArrayRef, row: usize) -> Result<Value> {
    if array.is_null(row) {
        return Ok(Value::Null);
    }
    Ok(match array.data_type() {
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            let wide = cast(&array.slice(row, 1), &DataType::Int64)?;
            Value::from(
                wide.as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                    .value(0),
            )
        }
        DataType::Float32 | DataType::Float64 => {
            let wide = cast(&array.slice(row, 1), &DataType::Float64)?;
            let v = wide
                .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                .value(0);
            serde_json::Number::from_f64(v)
                .map_or_else(|| Value::String(v.to_string()), Value::Number)
        }
        DataType::Decimal128(..) => {
            let text = cast(&array.slice(row, 1), &DataType::Utf8)?;
            let text = text.as_string::<i32>().value(0).to_string();
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
        DataType::Date32 => {
            let days = array.as_primitive::<Date32Type>().value(row);
            Value::String(crate::datetime_functions::date_text(days))
        }
        DataType::Timestamp(..) => {
            let micros = cast(
                &array.slice(row, 1),
                &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            )?;
            let micros = micros.as_primitive::<TimestampMicrosecondType>().value(0);
            Value::String(crate::datetime_functions::iso_timestamp_text(micros))
        }
        _ => {
            let text = cast(&array.slice(row, 1), &DataType::Utf8)?;
            Value::String(text.as_string::<i32>().value(0).to_string())
        }
    })
}

/// `get_json_object(json, path)`: the value at a `$.a.b[0]`/`$['a']` path, strings without
/// their quotes, other values as JSON text; NULL when the path is absent or invalid.
fn get_json_object(text: &str, path: &str) -> Option<String> {
    let root: Value = serde_json::from_str(text).ok()?;
    let mut current = vec![&root];
    let rest = path.strip_prefix('$')?;
    let chars: Vec<char> = rest.chars().collect();
    let mut i = 0;
    let mut wildcard = false;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
                    end += 1;
                }
                let key: String = chars[start..end].iter().collect();
                if key.is_empty() {
                    return None;
                }
                current = current
                    .into_iter()
                    .flat_map(|v| match (key.as_str(), v) {
                        ("*", Value::Object(o)) => o.values().collect::<Vec<_>>(),
                        (k, Value::Object(o)) => o.get(k).into_iter().collect(),
                        _ => Vec::new(),
                    })
                    .collect();
                wildcard |= key == "*";
                i = end;
            }
            '[' => {
                let end = i + chars[i..].iter().position(|c| *c == ']')?;
                let inside: String = chars[i + 1..end].iter().collect();
                let inside = inside.trim();
                if let Some(key) = inside.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')) {
                    current = current
                        .into_iter()
                        .filter_map(|v| v.as_object().and_then(|o| o.get(key)))
                        .collect();
                } else if inside == "*" {
                    wildcard = true;
                    current = current
                        .into_iter()
                        .flat_map(|v| match v {
                            Value::Array(items) => items.iter().collect::<Vec<_>>(),
                            _ => Vec::new(),
                        })
                        .collect();
                } else {
                    let index: usize = inside.parse().ok()?;
                    current = current
                        .into_iter()
                        .filter_map(|v| v.as_array().and_then(|a| a.get(index)))
                        .collect();
                }
                i = end + 1;
            }
            _ => return None,
        }
    }
    let render = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match current.as_slice() {
        [] => None,
        [single] if !wildcard => (!single.is_null()).then(|| render(single)),
        // One match of a wildcard is that value as JSON, strings quoted.
        [single] => Some(single.to_string()),
        many => Some(Value::Array(many.iter().map(|v| (*v).clone()).collect()).to_string()),
    }
}

/// Spark's inferred type of a JSON value, in its DDL spelling (`STRUCT<a: BIGINT>`); object
/// fields sorted by name, as Spark's inference orders them.
fn inferred_type(value: &Value) -> String {
    match value {
        Value::Null | Value::String(_) => "STRING".into(),
        Value::Bool(_) => "BOOLEAN".into(),
        Value::Number(n) if n.is_i64() || n.is_u64() => "BIGINT".into(),
        Value::Number(_) => "DOUBLE".into(),
        Value::Array(items) => {
            let element = items
                .iter()
                .find(|v| !v.is_null())
                .map_or_else(|| "STRING".to_string(), inferred_type);
            format!("ARRAY<{element}>")
        }
        Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}: {}", inferred_type(&object[k])))
                .collect();
            format!("STRUCT<{}>", fields.join(", "))
        }
    }
}

/// The value of option `key` (case-insensitive) in the first row of an options map.
pub(crate) fn option_value(options: Option<&ArrayRef>, key: &str) -> Option<String> {
    let map = options?.as_map_opt()?;
    if map.is_empty() || map.is_null(0) {
        return None;
    }
    let entries = map.value(0);
    let keys = cast(entries.column(0), &DataType::Utf8).ok()?;
    let values = cast(entries.column(1), &DataType::Utf8).ok()?;
    let (keys, values) = (keys.as_string::<i32>(), values.as_string::<i32>());
    (0..keys.len())
        .find(|i| keys.is_valid(*i) && keys.value(*i).eq_ignore_ascii_case(key))
        .and_then(|i| values.is_valid(i).then(|| values.value(i).to_string()))
}

/// The JSON texts as the reader options see them: `allowUnquotedFieldNames` quotes bare
/// field names first.
fn with_options(texts: StringArray, options: Option<&ArrayRef>) -> Result<StringArray> {
    let allowed = option_value(options, "allowUnquotedFieldNames")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !allowed {
        return Ok(texts);
    }
    let bare_name = regex::Regex::new(r#"([{,]\s*)([A-Za-z_$][A-Za-z0-9_$]*)(\s*:)"#)
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    Ok(texts
        .iter()
        .map(|text| text.map(|t| bare_name.replace_all(t, r#"$1"$2"$3"#).into_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_follow_spark() {
        let doc = r#"{"a":{"b":[1,2,{"c":"x"}]},"s":"text"}"#;
        assert_eq!(get_json_object(doc, "$.s").as_deref(), Some("text"));
        assert_eq!(get_json_object(doc, "$.a.b[1]").as_deref(), Some("2"));
        assert_eq!(get_json_object(doc, "$.a.b[2].c").as_deref(), Some("x"));
        assert_eq!(get_json_object(doc, "$['s']").as_deref(), Some("text"));
        assert_eq!(get_json_object(doc, "$.missing"), None);
        assert_eq!(get_json_object("not json", "$.a"), None);
    }

    #[test]
    fn schemas_are_inferred_with_sorted_fields() {
        let value: Value = serde_json::from_str(r#"{"b":[1],"a":1.5}"#).unwrap_or(Value::Null);
        assert_eq!(inferred_type(&value), "STRUCT<a: DOUBLE, b: ARRAY<BIGINT>>");
    }
}
