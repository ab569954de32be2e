//! `variant_get(v, path, type)` / `try_variant_get`: the value at a JSON path (`$.a.b[0]`,
//! `$['key']`), as a variant or cast to a type. The type travels as a NULL of that type.

use datafusion::arrow::array::{new_null_array, Array, ArrayRef, AsArray};
use datafusion::arrow::compute::CastOptions;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, plan_err, ScalarValue};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use parquet_variant::Variant;

use super::{encode, for_each_variant, is_variant, json, variant_type, VariantColumn};

pub(crate) const VARIANT_GET: &str = "variant_get";
pub(crate) const TRY_VARIANT_GET: &str = "try_variant_get";

/// One step of a variant path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Index(usize),
}

/// Spark's variant path: `$` followed by `.name`, `['name']` or `[index]` steps.
fn parse_path(path: &str) -> Option<Vec<Step>> {
    let mut rest = path.strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return None;
            }
            steps.push(Step::Field(after[..end].to_string()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']')?;
            let inside = &after[..close];
            let quoted = inside
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .or_else(|| inside.strip_prefix('"').and_then(|s| s.strip_suffix('"')));
            steps.push(match quoted {
                Some(name) => Step::Field(name.to_string()),
                None => Step::Index(inside.trim().parse().ok()?),
            });
            rest = &after[close + 1..];
        } else {
            return None;
        }
    }
    Some(steps)
}

fn follow<'m, 'v>(variant: Variant<'m, 'v>, steps: &[Step]) -> Option<Variant<'m, 'v>> {
    let mut current = variant;
    for step in steps {
        current = match (step, &current) {
            (Step::Field(name), Variant::Object(object)) => object.get(name)?,
            (Step::Index(index), Variant::List(list)) => list.get(*index)?,
            _ => return None,
        };
    }
    Some(current)
}

/// A variant that is not an object or list as a scalar of its own type.
fn scalar(variant: &Variant<'_, '_>) -> ScalarValue {
    match variant {
        Variant::Null => ScalarValue::Null,
        Variant::BooleanTrue => ScalarValue::Boolean(Some(true)),
        Variant::BooleanFalse => ScalarValue::Boolean(Some(false)),
        Variant::Int8(v) => ScalarValue::Int8(Some(*v)),
        Variant::Int16(v) => ScalarValue::Int16(Some(*v)),
        Variant::Int32(v) => ScalarValue::Int32(Some(*v)),
        Variant::Int64(v) => ScalarValue::Int64(Some(*v)),
        Variant::Float(v) => ScalarValue::Float32(Some(*v)),
        Variant::Double(v) => ScalarValue::Float64(Some(*v)),
        Variant::Decimal4(d) => {
            ScalarValue::Decimal128(Some(i128::from(d.integer())), 9, scale(d.scale()))
        }
        Variant::Decimal8(d) => {
            ScalarValue::Decimal128(Some(i128::from(d.integer())), 18, scale(d.scale()))
        }
        Variant::Decimal16(d) => ScalarValue::Decimal128(Some(d.integer()), 38, scale(d.scale())),
        Variant::Date(date) => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
            ScalarValue::Date32(i32::try_from((*date - epoch).num_days()).ok())
        }
        Variant::TimestampMicros(t) => {
            ScalarValue::TimestampMicrosecond(Some(t.timestamp_micros()), Some("UTC".into()))
        }
        Variant::TimestampNtzMicros(t) => {
            ScalarValue::TimestampMicrosecond(Some(t.and_utc().timestamp_micros()), None)
        }
        Variant::Binary(b) => ScalarValue::Binary(Some(b.to_vec())),
        other => ScalarValue::Utf8(Some(json::scalar_text(other))),
    }
}

fn scale(scale: u8) -> i8 {
    i8::try_from(scale).unwrap_or(i8::MAX)
}

/// A target type as Spark names it in errors.
fn spark_type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 => "SMALLINT".into(),
        DataType::Int32 => "INT".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::Float32 => "FLOAT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Utf8 => "STRING".into(),
        DataType::Date32 => "DATE".into(),
        DataType::Timestamp(_, Some(_)) => "TIMESTAMP".into(),
        DataType::Timestamp(_, None) => "TIMESTAMP_NTZ".into(),
        DataType::Decimal128(p, s) => format!("DECIMAL({p},{s})"),
        other => other.to_string().to_uppercase(),
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct VariantGet {
    name: &'static str,
    lenient: bool,
    signature: Signature,
}

impl VariantGet {
    pub(crate) fn all() -> Vec<Self> {
        [(VARIANT_GET, false), (TRY_VARIANT_GET, true)]
            .into_iter()
            .map(|(name, lenient)| Self {
                name,
                lenient,
                signature: Signature::user_defined(Volatility::Immutable),
            })
            .collect()
    }

    /// The value at the path as `target`: NULL when the path leads nowhere (or to a variant
    /// null), an error (NULL when lenient) when it cannot be cast.
    fn convert(&self, variant: &Variant<'_, '_>, target: &DataType) -> Result<ScalarValue> {
        if matches!(variant, Variant::Null) {
            return ScalarValue::try_from(target);
        }
        let nested = matches!(variant, Variant::Object(_) | Variant::List(_));
        let value = match target {
            DataType::Utf8 if nested => ScalarValue::Utf8(Some(json::scalar_text(variant))),
            DataType::Struct(_) | DataType::List(_) | DataType::Map(..) => {
                // Nested targets read the value's JSON form.
                let text =
                    datafusion::arrow::array::StringArray::from(vec![json::scalar_text(variant)]);
                return crate::json_functions::from_json(&text, target)
                    .and_then(|parsed| ScalarValue::try_from_array(&parsed, 0))
                    .or_else(|_| self.cannot_cast(variant, target));
            }
            _ if nested => return self.cannot_cast(variant, target),
            // Only binary values read as BINARY (Spark casts no number to bytes).
            DataType::Binary if !matches!(variant, Variant::Binary(_)) => {
                return self.cannot_cast(variant, target)
            }
            _ => scalar(variant),
        };
        let options = CastOptions {
            safe: false,
            ..Default::default()
        };
        match value.cast_to_with_options(target, &options) {
            Ok(cast) => Ok(cast),
            Err(_) => self.cannot_cast(variant, target),
        }
    }

    fn cannot_cast(&self, variant: &Variant<'_, '_>, target: &DataType) -> Result<ScalarValue> {
        if self.lenient {
            return ScalarValue::try_from(target);
        }
        let mut text = String::new();
        json::write(variant, &mut text);
        let spark_type = spark_type_name(target);
        exec_err!(
            "[INVALID_VARIANT_CAST] The variant value `{text}` cannot be cast into `\"{spark_type}\"`. Please use `try_variant_get` instead."
        )
    }
}

impl ScalarUDFImpl for VariantGet {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [value, _path, target] = arg_types else {
            return plan_err!(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `{}` requires 2 or 3 parameters but the actual number is {}.",
                self.name,
                arg_types.len().saturating_sub(1)
            );
        };
        if !is_variant(value) && value != &DataType::Null {
            return plan_err!(
                "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] The first parameter of `{}` requires the \"VARIANT\" type, however it has the type {value}.",
                self.name
            );
        }
        Ok(vec![variant_type(), DataType::Utf8, target.clone()])
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types.get(2).cloned().unwrap_or_else(variant_type))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let target = args.return_field.data_type().clone();
        let rows = args.number_rows;
        let (Some(input), Some(paths)) = (args.args.first(), args.args.get(1)) else {
            return exec_err!("{} takes a variant and a path", self.name);
        };
        let input = input.to_array(rows)?;
        // A path column is read row by row; a repeated path is parsed once.
        let paths = paths.to_array(rows)?;
        let paths = paths.as_string::<i32>();
        let mut parsed: Option<(String, Vec<Step>)> = None;
        let mut steps_at = |row: usize| -> Result<Option<Vec<Step>>> {
            if paths.is_null(row) {
                return Ok(None);
            }
            let path = paths.value(row);
            if let Some((text, steps)) = &parsed {
                if text == path {
                    return Ok(Some(steps.clone()));
                }
            }
            let Some(steps) = parse_path(path) else {
                return exec_err!(
                    "[INVALID_VARIANT_GET_PATH] The path `{path}` is not a valid variant extraction path in `{}`.",
                    self.name
                );
            };
            parsed = Some((path.to_string(), steps.clone()));
            Ok(Some(steps))
        };
        let mut row = 0;
        let out: ArrayRef = if is_variant(&target) {
            let mut out = VariantColumn::with_capacity(rows);
            for_each_variant(&input, |variant| {
                let steps = steps_at(row)?;
                row += 1;
                let found = variant.zip(steps).and_then(|(v, steps)| follow(v, &steps));
                out.push(found.map(|v| encode(&v)).transpose()?);
                Ok(())
            })?;
            out.finish()?
        } else {
            let mut values = Vec::with_capacity(rows);
            for_each_variant(&input, |variant| {
                let steps = steps_at(row)?;
                row += 1;
                let found = variant.zip(steps).and_then(|(v, steps)| follow(v, &steps));
                values.push(match found {
                    Some(found) => self.convert(&found, &target)?,
                    None => ScalarValue::try_from(&target)?,
                });
                Ok(())
            })?;
            if values.is_empty() {
                new_null_array(&target, 0)
            } else {
                ScalarValue::iter_to_array(values)?
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_spark_reads_them() {
        assert_eq!(
            parse_path("$.a.b[1]"),
            Some(vec![
                Step::Field("a".into()),
                Step::Field("b".into()),
                Step::Index(1)
            ])
        );
        assert_eq!(
            parse_path("$['x y']"),
            Some(vec![Step::Field("x y".into())])
        );
        assert_eq!(parse_path("$"), Some(vec![]));
        assert_eq!(parse_path("a"), None);
        assert_eq!(parse_path("$."), None);
    }
}
