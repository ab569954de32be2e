//! Spark's VARIANT: semi-structured values in the variant binary encoding (the one Parquet
//! adopted), held in Arrow as Spark Connect sends them, a struct of `value` and `metadata`
//! bytes with the metadata field tagged `variant: true`. `parse_json`, `to_json`,
//! `variant_get`, `schema_of_variant` and their relatives.

mod get;
mod json;
mod schema;

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryBuilder, StructArray};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    lit, ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use parquet_variant::Variant;

pub(crate) use get::VariantGet;
pub(crate) use schema::SchemaOfVariantAgg;

use crate::catalog::call_registry;
use crate::FunctionResult;

/// The Arrow type of Spark's VARIANT, as the Spark Connect client reads it.
pub fn variant_type() -> DataType {
    let tag = HashMap::from([("variant".to_string(), "true".to_string())]);
    DataType::Struct(Fields::from(vec![
        Field::new("value", DataType::Binary, false),
        Field::new("metadata", DataType::Binary, false).with_metadata(tag),
    ]))
}

/// Whether an Arrow type is the VARIANT struct.
pub fn is_variant(data_type: &DataType) -> bool {
    match data_type {
        DataType::Struct(fields) => {
            fields.len() == 2
                && fields.iter().any(|f| f.name() == "value")
                && fields.iter().any(|f| {
                    f.name() == "metadata"
                        && f.metadata().get("variant").map(String::as_str) == Some("true")
                })
        }
        _ => false,
    }
}

/// The value and metadata columns of a VARIANT array.
fn parts(array: &ArrayRef) -> Result<(&StructArray, ArrayRef, ArrayRef)> {
    let Some(variants) = array.as_struct_opt() else {
        return exec_err!("expected a VARIANT, got {}", array.data_type());
    };
    let (Some(value), Some(metadata)) = (
        variants.column_by_name("value"),
        variants.column_by_name("metadata"),
    ) else {
        return exec_err!("expected a VARIANT, got {}", array.data_type());
    };
    Ok((variants, value.clone(), metadata.clone()))
}

/// Calls `each` with the variant at every row (None for a NULL row).
fn for_each_variant(
    array: &ArrayRef,
    mut each: impl FnMut(Option<Variant<'_, '_>>) -> Result<()>,
) -> Result<()> {
    let (variants, value, metadata) = parts(array)?;
    let (value, metadata) = (value.as_binary::<i32>(), metadata.as_binary::<i32>());
    for row in 0..variants.len() {
        if variants.is_null(row) {
            each(None)?;
            continue;
        }
        match Variant::try_new(metadata.value(row), value.value(row)) {
            Ok(variant) => each(Some(variant))?,
            Err(e) => return exec_err!("[MALFORMED_VARIANT] Variant binary is malformed: {e}"),
        }
    }
    Ok(())
}

/// A VARIANT array from encoded rows (None for NULL).
struct VariantColumn {
    values: BinaryBuilder,
    metadata: BinaryBuilder,
    nulls: Vec<bool>,
}

impl VariantColumn {
    fn with_capacity(rows: usize) -> Self {
        Self {
            values: BinaryBuilder::with_capacity(rows, rows * 16),
            metadata: BinaryBuilder::with_capacity(rows, rows * 8),
            nulls: Vec::with_capacity(rows),
        }
    }

    fn push(&mut self, encoded: Option<(Vec<u8>, Vec<u8>)>) {
        match encoded {
            Some((metadata, value)) => {
                self.metadata.append_value(metadata);
                self.values.append_value(value);
                self.nulls.push(true);
            }
            None => {
                // The fields are not nullable: a NULL row holds the encoded variant null.
                self.metadata.append_value([1u8, 0, 0]);
                self.values.append_value([0u8]);
                self.nulls.push(false);
            }
        }
    }

    fn finish(mut self) -> Result<ArrayRef> {
        let DataType::Struct(fields) = variant_type() else {
            return exec_err!("VARIANT is a struct");
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.values.finish()),
            Arc::new(self.metadata.finish()),
        ];
        let nulls = self
            .nulls
            .iter()
            .any(|valid| !valid)
            .then(|| datafusion::arrow::buffer::NullBuffer::from(self.nulls));
        Ok(Arc::new(StructArray::try_new(fields, columns, nulls)?))
    }
}

/// A variant re-encoded on its own (a field or element taken out of a larger one).
fn encode(variant: &Variant<'_, '_>) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut builder = parquet_variant::VariantBuilder::new();
    builder.try_append_value(variant.clone())?;
    Ok(builder.try_finish()?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// `parse_json`; `lenient` gives NULL for text that is not JSON.
    Parse {
        lenient: bool,
    },
    ToJson,
    IsNull,
    SchemaOf,
}

/// The scalar VARIANT functions other than `variant_get`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct VariantFunction {
    name: &'static str,
    kind: Kind,
    signature: Signature,
}

/// The registered name of `to_json` on a VARIANT (also its cast to STRING).
pub const VARIANT_TO_JSON: &str = "ember_variant_to_json";

impl VariantFunction {
    pub(crate) fn all() -> Vec<Self> {
        [
            ("parse_json", Kind::Parse { lenient: false }),
            ("try_parse_json", Kind::Parse { lenient: true }),
            (VARIANT_TO_JSON, Kind::ToJson),
            ("is_variant_null", Kind::IsNull),
            ("schema_of_variant", Kind::SchemaOf),
        ]
        .into_iter()
        .map(|(name, kind)| Self {
            name,
            kind,
            signature: Signature::user_defined(Volatility::Immutable),
        })
        .collect()
    }
}

impl ScalarUDFImpl for VariantFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [argument] = arg_types else {
            return plan_err!(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `{}` requires 1 parameters but the actual number is {}.",
                self.name,
                arg_types.len()
            );
        };
        match self.kind {
            Kind::Parse { .. } => Ok(vec![DataType::Utf8]),
            _ if is_variant(argument) || argument == &DataType::Null => {
                Ok(vec![variant_type()])
            }
            _ => plan_err!(
                "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] The first parameter of `{}` requires the \"VARIANT\" type, however it has the type {argument}.",
                self.name
            ),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::Parse { .. } => variant_type(),
            Kind::ToJson | Kind::SchemaOf => DataType::Utf8,
            Kind::IsNull => DataType::Boolean,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(input) = arrays.first() else {
            return exec_err!("{} takes one argument", self.name);
        };
        let out: ArrayRef = match self.kind {
            Kind::Parse { lenient } => {
                let texts = input.as_string::<i32>();
                let mut out = VariantColumn::with_capacity(texts.len());
                for text in texts.iter() {
                    let encoded = match text {
                        None => None,
                        Some(text) => match json::parse(text) {
                            Some(encoded) => Some(encoded),
                            None if lenient => None,
                            None => {
                                return exec_err!(
                                    "[MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION] Malformed records are detected in record parsing: {text}."
                                )
                            }
                        },
                    };
                    out.push(encoded);
                }
                out.finish()?
            }
            Kind::ToJson | Kind::SchemaOf => {
                let mut out = datafusion::arrow::array::StringBuilder::new();
                for_each_variant(input, |variant| {
                    match variant {
                        None => out.append_null(),
                        Some(variant) if self.kind == Kind::ToJson => {
                            let mut text = String::new();
                            json::write(&variant, &mut text);
                            out.append_value(text);
                        }
                        Some(variant) => {
                            out.append_value(schema::VariantSchema::of(&variant).to_string())
                        }
                    }
                    Ok(())
                })?;
                Arc::new(out.finish())
            }
            Kind::IsNull => {
                let mut out = datafusion::arrow::array::BooleanBuilder::new();
                for_each_variant(input, |variant| {
                    out.append_value(matches!(variant, Some(Variant::Null)));
                    Ok(())
                })?;
                Arc::new(out.finish())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// The JSON text of a variant, for `show()` and casts.
pub fn variant_json(metadata: &[u8], value: &[u8]) -> Option<String> {
    let variant = Variant::try_new(metadata, value).ok()?;
    let mut text = String::new();
    json::write(&variant, &mut text);
    Some(text)
}

/// The expression for a VARIANT function `name`; the arguments back when it is not one.
pub(crate) fn call(
    registry: &dyn FunctionRegistry,
    name: &str,
    args: Vec<Expr>,
    types: &[DataType],
) -> FunctionResult<Result<Expr, Vec<Expr>>> {
    let expr = match name {
        "to_json" if types.first().is_some_and(is_variant) => {
            let mut args = args;
            args.truncate(1);
            call_registry(registry, VARIANT_TO_JSON, args)?
        }
        // Spark builds the object from the value's JSON form.
        "to_variant_object" => {
            let valid = matches!(
                types.first(),
                Some(DataType::Struct(_) | DataType::Map(..) | DataType::List(_))
            ) && args.len() == 1;
            if !valid {
                return Err(crate::FunctionError::TypeMismatch(format!(
                    "Cannot resolve \"to_variant_object\": cannot cast \"{}\" to \"VARIANT\".",
                    types.first().map(ToString::to_string).unwrap_or_default()
                )));
            }
            let text = call_registry(registry, "to_json", args)?;
            call_registry(registry, "parse_json", vec![text])?
        }
        "variant_get" | "try_variant_get" => {
            let mut args = args;
            if args.len() == 2 {
                // Without a type the value stays a variant.
                args.push(lit(datafusion::common::ScalarValue::try_from(
                    &variant_type(),
                )?));
            }
            let function = if name == "variant_get" {
                get::VARIANT_GET
            } else {
                get::TRY_VARIANT_GET
            };
            call_registry(registry, function, args)?
        }
        _ => return Ok(Err(args)),
    };
    Ok(Ok(expr))
}
