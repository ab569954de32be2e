//! Spark's XML functions on single records: `from_xml` (the record's outermost element is the
//! row, read into the given struct type as the XML reader reads rows) and `schema_of_xml` (the
//! type the reader infers, in DDL spelling). Options: `attributePrefix`, `valueTag`,
//! `nullValue`, `excludeAttribute`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use ember_formats::xml::{read_records, XmlOptions};

use crate::json_functions::option_value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum XmlKind {
    From,
    SchemaOf,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct XmlFunction {
    kind: XmlKind,
    signature: Signature,
}

impl XmlFunction {
    pub(crate) fn all() -> [Self; 2] {
        [XmlKind::From, XmlKind::SchemaOf].map(|kind| Self {
            kind,
            signature: Signature::user_defined(Volatility::Immutable),
        })
    }
}

fn xml_options(options: Option<&ArrayRef>) -> XmlOptions {
    let pairs: Vec<(String, String)> = [
        "attributePrefix",
        "valueTag",
        "nullValue",
        "excludeAttribute",
    ]
    .into_iter()
    .filter_map(|key| option_value(options, key).map(|v| (key.to_string(), v)))
    .collect();
    XmlOptions::from_options(&pairs)
}

/// Spark's DDL spelling of a type the XML reader produces.
fn ddl_type(data_type: &DataType) -> String {
    match data_type {
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int32 => "INT".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Date32 => "DATE".into(),
        DataType::Timestamp(_, _) => "TIMESTAMP".into(),
        DataType::Decimal128(p, s) => format!("DECIMAL({p},{s})"),
        DataType::List(item) => format!("ARRAY<{}>", ddl_type(item.data_type())),
        DataType::Struct(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.name(), ddl_type(f.data_type())))
                .collect();
            format!("STRUCT<{}>", fields.join(", "))
        }
        _ => "STRING".into(),
    }
}

fn malformed(error: ember_formats::FormatError) -> DataFusionError {
    DataFusionError::Execution(format!("[MALFORMED_RECORD_IN_PARSING] {error}"))
}

impl ScalarUDFImpl for XmlFunction {
    fn name(&self) -> &str {
        match self.kind {
            XmlKind::From => "from_xml",
            XmlKind::SchemaOf => "schema_of_xml",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let mut types = arg_types.to_vec();
        match types.first_mut() {
            Some(first) => *first = DataType::Utf8,
            None => return plan_err!("{} takes an argument", self.name()),
        }
        Ok(types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match self.kind {
            // The schema travels as a NULL of the target type.
            XmlKind::From => match arg_types.get(1) {
                Some(t @ DataType::Struct(_)) => Ok(t.clone()),
                _ => plan_err!(
                    "[INVALID_SCHEMA.NON_STRING_LITERAL] from_xml needs its schema as a DDL string, such as \"a INT, b STRING\"."
                ),
            },
            XmlKind::SchemaOf => Ok(DataType::Utf8),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(input) = arrays.first() else {
            return exec_err!("{} takes an argument", self.name());
        };
        let options_at = match self.kind {
            XmlKind::From => 2,
            XmlKind::SchemaOf => 1,
        };
        let options = xml_options(arrays.get(options_at));
        let texts = cast(input, &DataType::Utf8)?;
        let texts: Vec<Option<&str>> = texts.as_string::<i32>().iter().collect();
        let out: ArrayRef = match self.kind {
            XmlKind::From => {
                let Some(DataType::Struct(fields)) = arrays.get(1).map(|a| a.data_type().clone())
                else {
                    return exec_err!("from_xml needs a struct schema");
                };
                let schema = Arc::new(Schema::new(fields));
                let (_, records) =
                    read_records(&texts, Some(schema), &options).map_err(malformed)?;
                Arc::new(records)
            }
            XmlKind::SchemaOf => {
                let mut out = StringBuilder::new();
                for text in &texts {
                    match text {
                        Some(text) => {
                            let (schema, _) =
                                read_records(&[Some(text)], None, &options).map_err(malformed)?;
                            out.append_value(ddl_type(&DataType::Struct(schema.fields().clone())));
                        }
                        None => out.append_null(),
                    }
                }
                Arc::new(out.finish())
            }
        };
        debug_assert_eq!(out.len(), input.len());
        Ok(ColumnarValue::Array(out))
    }
}
