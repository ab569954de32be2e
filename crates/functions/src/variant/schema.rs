//! `schema_of_variant` and `schema_of_variant_agg`: the SQL type that describes a variant
//! (`OBJECT<a: BIGINT>`), and the one type that describes all variants of a group, merged
//! as Spark merges them (integers widen to BIGINT, decimals to a decimal that holds both,
//! numbers with a double to DOUBLE, anything else that differs to VARIANT).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{exec_err, ScalarValue};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use parquet_variant::Variant;
use serde_json::{json, Value};

use super::{for_each_variant, is_variant, variant_type};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum VariantSchema {
    Void,
    Boolean,
    Bigint,
    Decimal { precision: u8, scale: u8 },
    Float,
    Double,
    String,
    Binary,
    Date,
    Timestamp,
    TimestampNtz,
    Other(&'static str),
    Array(Box<VariantSchema>),
    Object(BTreeMap<String, VariantSchema>),
    Variant,
}

fn decimal(unscaled: i128, scale: u8) -> VariantSchema {
    let digits = unscaled.unsigned_abs().to_string().len();
    let precision = u8::try_from(digits).unwrap_or(38).max(scale).max(1);
    VariantSchema::Decimal { precision, scale }
}

impl VariantSchema {
    pub(crate) fn of(variant: &Variant<'_, '_>) -> Self {
        match variant {
            Variant::Null => Self::Void,
            Variant::BooleanTrue | Variant::BooleanFalse => Self::Boolean,
            Variant::Int8(_) | Variant::Int16(_) | Variant::Int32(_) | Variant::Int64(_) => {
                Self::Bigint
            }
            Variant::Decimal4(d) => decimal(i128::from(d.integer()), d.scale()),
            Variant::Decimal8(d) => decimal(i128::from(d.integer()), d.scale()),
            Variant::Decimal16(d) => decimal(d.integer(), d.scale()),
            Variant::Float(_) => Self::Float,
            Variant::Double(_) => Self::Double,
            Variant::String(_) | Variant::ShortString(_) => Self::String,
            Variant::Binary(_) => Self::Binary,
            Variant::Date(_) => Self::Date,
            Variant::TimestampMicros(_) | Variant::TimestampNanos(_) => Self::Timestamp,
            Variant::TimestampNtzMicros(_) | Variant::TimestampNtzNanos(_) => Self::TimestampNtz,
            Variant::Time(_) => Self::Other("TIME(6)"),
            Variant::Uuid(_) => Self::Other("UUID"),
            Variant::List(list) => Self::Array(Box::new(
                list.iter()
                    .map(|item| Self::of(&item))
                    .reduce(Self::merge)
                    .unwrap_or(Self::Void),
            )),
            Variant::Object(object) => Self::Object(
                object
                    .iter()
                    .map(|(key, value)| (key.to_string(), Self::of(&value)))
                    .collect(),
            ),
        }
    }

    /// Integer digits and scale of an exact number type.
    fn exact_digits(&self) -> Option<(u8, u8)> {
        match self {
            Self::Bigint => Some((20, 0)),
            Self::Decimal { precision, scale } => Some((precision - scale, *scale)),
            _ => None,
        }
    }

    pub(crate) fn merge(self, other: Self) -> Self {
        use VariantSchema as S;
        match (self, other) {
            (a, b) if a == b => a,
            (S::Void, x) | (x, S::Void) => x,
            (S::Array(a), S::Array(b)) => S::Array(Box::new(a.merge(*b))),
            (S::Object(mut a), S::Object(b)) => {
                for (key, value) in b {
                    let merged = match a.remove(&key) {
                        Some(existing) => existing.merge(value),
                        None => value,
                    };
                    a.insert(key, merged);
                }
                S::Object(a)
            }
            (a, b) => match (a.exact_digits(), b.exact_digits()) {
                (Some((ia, sa)), Some((ib, sb))) => {
                    let scale = sa.max(sb);
                    let precision = ia.max(ib) + scale;
                    if precision > 38 {
                        S::Double
                    } else {
                        S::Decimal { precision, scale }
                    }
                }
                _ if a.is_number() && b.is_number() => S::Double,
                _ => S::Variant,
            },
        }
    }

    fn is_number(&self) -> bool {
        matches!(
            self,
            Self::Bigint | Self::Decimal { .. } | Self::Float | Self::Double
        )
    }

    /// The merge state as JSON: object fields keep any name.
    fn to_state(&self) -> Value {
        match self {
            Self::Array(element) => json!({ "array": element.to_state() }),
            Self::Object(fields) => json!({
                "object": fields.iter().map(|(k, v)| (k.clone(), v.to_state())).collect::<serde_json::Map<_, _>>()
            }),
            Self::Decimal { precision, scale } => json!({ "decimal": [precision, scale] }),
            other => Value::String(other.to_string()),
        }
    }

    fn from_state(state: &Value) -> Option<Self> {
        Some(match state {
            Value::String(name) => match name.as_str() {
                "VOID" => Self::Void,
                "BOOLEAN" => Self::Boolean,
                "BIGINT" => Self::Bigint,
                "FLOAT" => Self::Float,
                "DOUBLE" => Self::Double,
                "STRING" => Self::String,
                "BINARY" => Self::Binary,
                "DATE" => Self::Date,
                "TIMESTAMP" => Self::Timestamp,
                "TIMESTAMP_NTZ" => Self::TimestampNtz,
                "TIME(6)" => Self::Other("TIME(6)"),
                "UUID" => Self::Other("UUID"),
                _ => Self::Variant,
            },
            Value::Object(map) => {
                if let Some(element) = map.get("array") {
                    Self::Array(Box::new(Self::from_state(element)?))
                } else if let Some(Value::Object(fields)) = map.get("object") {
                    Self::Object(
                        fields
                            .iter()
                            .map(|(k, v)| Some((k.clone(), Self::from_state(v)?)))
                            .collect::<Option<_>>()?,
                    )
                } else {
                    let parts = map.get("decimal")?.as_array()?;
                    Self::Decimal {
                        precision: u8::try_from(parts.first()?.as_u64()?).ok()?,
                        scale: u8::try_from(parts.get(1)?.as_u64()?).ok()?,
                    }
                }
            }
            _ => return None,
        })
    }
}

impl fmt::Display for VariantSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Void => f.write_str("VOID"),
            Self::Boolean => f.write_str("BOOLEAN"),
            Self::Bigint => f.write_str("BIGINT"),
            Self::Decimal { precision, scale } => write!(f, "DECIMAL({precision},{scale})"),
            Self::Float => f.write_str("FLOAT"),
            Self::Double => f.write_str("DOUBLE"),
            Self::String => f.write_str("STRING"),
            Self::Binary => f.write_str("BINARY"),
            Self::Date => f.write_str("DATE"),
            Self::Timestamp => f.write_str("TIMESTAMP"),
            Self::TimestampNtz => f.write_str("TIMESTAMP_NTZ"),
            Self::Other(name) => f.write_str(name),
            Self::Variant => f.write_str("VARIANT"),
            Self::Array(element) => write!(f, "ARRAY<{element}>"),
            Self::Object(fields) => {
                f.write_str("OBJECT<")?;
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {value}")?;
                }
                f.write_str(">")
            }
        }
    }
}

/// `schema_of_variant_agg(v)`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct SchemaOfVariantAgg {
    signature: Signature,
}

impl SchemaOfVariantAgg {
    pub(crate) fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for SchemaOfVariantAgg {
    fn name(&self) -> &str {
        "schema_of_variant_agg"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [t] if is_variant(t) || t == &DataType::Null => Ok(vec![variant_type()]),
            _ => datafusion::common::plan_err!(
                "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] `schema_of_variant_agg` takes one VARIANT, got {arg_types:?}."
            ),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(SchemaAccumulator { merged: None }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}_schema", args.name),
            DataType::Utf8,
            true,
        ))])
    }
}

#[derive(Debug)]
struct SchemaAccumulator {
    /// None until a non-NULL variant arrives.
    merged: Option<VariantSchema>,
}

impl SchemaAccumulator {
    fn add(&mut self, schema: VariantSchema) {
        self.merged = Some(match self.merged.take() {
            Some(merged) => merged.merge(schema),
            None => schema,
        });
    }
}

impl Accumulator for SchemaAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(values) = values.first() else {
            return Ok(());
        };
        let mut schemas = Vec::new();
        for_each_variant(values, |variant| {
            if let Some(variant) = variant {
                schemas.push(VariantSchema::of(&variant));
            }
            Ok(())
        })?;
        for schema in schemas {
            self.add(schema);
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(states) = states.first() else {
            return Ok(());
        };
        for state in states.as_string::<i32>().iter().flatten() {
            let parsed = serde_json::from_str::<Value>(state)
                .ok()
                .and_then(|value| VariantSchema::from_state(&value));
            match parsed {
                Some(schema) => self.add(schema),
                None => return exec_err!("unreadable schema_of_variant_agg state {state}"),
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Utf8(
            self.merged.as_ref().map(|s| s.to_state().to_string()),
        )])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Utf8(
            self.merged.as_ref().map(ToString::to_string),
        ))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(text: &str) -> VariantSchema {
        let Some((metadata, value)) = super::super::json::parse(text) else {
            return VariantSchema::Other("not JSON");
        };
        VariantSchema::of(&Variant::new(&metadata, &value))
    }

    #[test]
    fn schemas_name_types_as_spark_does() {
        assert_eq!(
            schema(r#"{"b": [1, 2.5, "x", null, true], "a": 1.50, "d": 12, "e": {"z": 1}}"#)
                .to_string(),
            "OBJECT<a: DECIMAL(2,1), b: ARRAY<VARIANT>, d: BIGINT, e: OBJECT<z: BIGINT>>"
        );
        assert_eq!(schema("[1, 2, 300000]").to_string(), "ARRAY<BIGINT>");
        assert_eq!(schema("[1, 2.5]").to_string(), "ARRAY<DECIMAL(21,1)>");
        assert_eq!(schema("null").to_string(), "VOID");
    }

    #[test]
    fn merged_schemas_widen_or_become_variant() {
        let merged = [r#"{"a": 1}"#, r#"{"a": 2.5, "b": "x"}"#, r#"{"a": "s"}"#]
            .into_iter()
            .map(schema)
            .reduce(VariantSchema::merge)
            .map(|s| s.to_string());
        assert_eq!(merged.as_deref(), Some("OBJECT<a: VARIANT, b: STRING>"));
        let state = schema(r#"{"a b": [0.05]}"#).to_state();
        assert_eq!(
            VariantSchema::from_state(&state)
                .map(|s| s.to_string())
                .as_deref(),
            Some("OBJECT<a b: ARRAY<DECIMAL(2,2)>>")
        );
    }
}
