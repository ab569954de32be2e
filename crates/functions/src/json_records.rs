//! JSON lines read as Spark's readers do: each line parsed into the schema's fields, a line
//! that is not a JSON object or whose values do not fit the schema marked malformed. The
//! fields that do fit keep their values (Spark's partial results), so the reader can keep
//! the line (PERMISSIVE, with the text in the corrupt-record column), drop it
//! (DROPMALFORMED) or fail (FAILFAST).

use std::sync::Arc;

use datafusion::arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, BooleanArray, StringArray, StructArray, UInt32Array,
};
use datafusion::arrow::compute::{cast, concat, take};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::arrow::json::ReaderBuilder;
use datafusion::common::{exec_err, plan_err};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use serde_json::{Map, Value};

/// The field of the result that tells a malformed line.
pub const MALFORMED_FIELD: &str = "__malformed";

/// What a reader does with a malformed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParseMode {
    Permissive,
    DropMalformed,
    FailFast,
}

impl ParseMode {
    /// Spark's `mode` option; anything else is PERMISSIVE, as Spark falls back to it.
    pub fn from_option(value: Option<&str>) -> Self {
        match value.map(str::to_ascii_uppercase).as_deref() {
            Some("DROPMALFORMED") => ParseMode::DropMalformed,
            Some("FAILFAST") => ParseMode::FailFast,
            _ => ParseMode::Permissive,
        }
    }
}

/// `json_record(line, NULL::struct<...>)`: a struct of the schema's fields plus
/// `__malformed`; under FAILFAST a malformed line fails the query instead.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct JsonRecord {
    fail_fast: bool,
    signature: Signature,
}

/// The function for a reader in `mode`; not in the catalog, since users never call it.
pub fn json_record_udf(mode: ParseMode) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(JsonRecord {
        fail_fast: mode == ParseMode::FailFast,
        signature: Signature::any(2, Volatility::Immutable),
    }))
}

fn record_type(target: &DataType) -> Result<DataType> {
    let DataType::Struct(fields) = target else {
        return plan_err!("json_record takes a struct schema, not {target}");
    };
    let mut all: Vec<FieldRef> = fields.iter().cloned().collect();
    all.push(Arc::new(Field::new(
        MALFORMED_FIELD,
        DataType::Boolean,
        false,
    )));
    Ok(DataType::Struct(Fields::from(all)))
}

impl ScalarUDFImpl for JsonRecord {
    fn name(&self) -> &str {
        "json_record"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.get(1) {
            Some(target) => record_type(target),
            None => plan_err!("json_record takes a line and a schema"),
        }
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let Some(target) = args.arg_fields.get(1) else {
            return plan_err!("json_record takes a line and a schema");
        };
        Ok(Arc::new(Field::new(
            self.name(),
            record_type(target.data_type())?,
            false,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (Some(lines), Some(target)) = (arrays.first(), arrays.get(1)) else {
            return exec_err!("json_record takes a line and a schema");
        };
        let DataType::Struct(fields) = target.data_type() else {
            return exec_err!("json_record takes a struct schema");
        };
        let lines = cast(lines, &DataType::Utf8)?;
        let (values, malformed) = parse_records(lines.as_string::<i32>(), fields)?;
        if self.fail_fast {
            if let Some(row) = (0..malformed.len()).find(|&row| malformed.value(row)) {
                return Err(malformed_error(lines.as_string::<i32>().value(row)));
            }
        }
        let mut columns = values.columns().to_vec();
        columns.push(Arc::new(malformed));
        let DataType::Struct(out_fields) = record_type(target.data_type())? else {
            return exec_err!("json_record's result is a struct");
        };
        Ok(ColumnarValue::Array(Arc::new(StructArray::try_new(
            out_fields, columns, None,
        )?)))
    }
}

/// `malformed_check(malformed, record)`: true, or Spark's FAILFAST error naming the record
/// when `malformed` is true. Readers filter on it to fail at the first malformed record.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MalformedCheck {
    signature: Signature,
}

pub fn malformed_check_udf() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(MalformedCheck {
        signature: Signature::exact(
            vec![DataType::Boolean, DataType::Utf8],
            Volatility::Immutable,
        ),
    }))
}

fn malformed_error(record: &str) -> DataFusionError {
    DataFusionError::Execution(format!(
        "[MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION] Malformed records are detected in record parsing: {record}. Parse Mode: FAILFAST. To process malformed records as null result, try setting the option 'mode' as 'PERMISSIVE'."
    ))
}

impl ScalarUDFImpl for MalformedCheck {
    fn name(&self) -> &str {
        "malformed_check"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (Some(flags), Some(records)) = (arrays.first(), arrays.get(1)) else {
            return exec_err!("malformed_check takes a flag and a record");
        };
        let (flags, records) = (flags.as_boolean(), records.as_string::<i32>());
        if let Some(row) = (0..flags.len()).find(|&row| flags.is_valid(row) && flags.value(row)) {
            return Err(malformed_error(records.value(row)));
        }
        Ok(ColumnarValue::Array(Arc::new(BooleanArray::from(vec![
            true;
            flags.len()
        ]))))
    }
}

/// Each line's fields (a struct that is never NULL) and whether the line was malformed.
pub fn parse_records(lines: &StringArray, fields: &Fields) -> Result<(StructArray, BooleanArray)> {
    let target = DataType::Struct(fields.clone());
    let mut good: Vec<&str> = Vec::new();
    let mut positions: Vec<Option<u32>> = Vec::with_capacity(lines.len());
    let mut malformed = vec![false; lines.len()];
    let mut objects: Vec<Option<Map<String, Value>>> = vec![None; lines.len()];
    for row in 0..lines.len() {
        let parsed = (!lines.is_null(row))
            .then(|| serde_json::from_str::<Value>(lines.value(row)).ok())
            .flatten();
        match parsed {
            Some(Value::Object(object)) => {
                positions.push(Some(good.len() as u32));
                good.push(lines.value(row));
                objects[row] = Some(object);
            }
            _ => {
                positions.push(None);
                malformed[row] = true;
            }
        }
    }
    let decoded = match decode(&good, &target) {
        Some(all) => all,
        None => {
            // Some line's values do not fit: decode line by line, keeping what fits.
            let mut parts: Vec<ArrayRef> = Vec::with_capacity(good.len());
            for row in 0..lines.len() {
                let Some(object) = objects[row].take() else {
                    continue;
                };
                match decode(&[lines.value(row)], &target) {
                    Some(part) => parts.push(part),
                    None => {
                        malformed[row] = true;
                        parts.push(partial_record(object, fields, &target)?);
                    }
                }
            }
            let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
            concat(&refs)?
        }
    };
    let taken = take(&decoded, &UInt32Array::from(positions), None)?;
    let structs = taken.as_struct();
    // Every line gives a row; a malformed one has NULL fields rather than a NULL struct.
    let rows = StructArray::try_new(fields.clone(), structs.columns().to_vec(), None)?;
    Ok((rows, BooleanArray::from(malformed)))
}

/// Lines decoded together as the target struct, or None when one of them does not fit.
fn decode(lines: &[&str], target: &DataType) -> Option<ArrayRef> {
    if lines.is_empty() {
        return Some(new_null_array(target, 0));
    }
    let field = Arc::new(Field::new("value", target.clone(), true));
    let mut decoder = ReaderBuilder::new_with_field(field)
        .with_batch_size(lines.len())
        .with_coerce_primitive(true)
        .build_decoder()
        .ok()?;
    decoder.decode(lines.join("\n").as_bytes()).ok()?;
    let batch = decoder.flush().ok()??;
    (batch.num_rows() == lines.len()).then(|| Arc::clone(batch.column(0)))
}

/// One line whose values do not all fit: the fields that fit keep their values.
fn partial_record(
    mut object: Map<String, Value>,
    fields: &Fields,
    target: &DataType,
) -> Result<ArrayRef> {
    for field in fields.iter() {
        let Some(value) = object.remove(field.name()) else {
            continue;
        };
        let single = DataType::Struct(Fields::from(vec![Arc::clone(field)]));
        let mut alone = Map::new();
        alone.insert(field.name().clone(), value.clone());
        let text = Value::Object(alone).to_string();
        if decode(&[text.as_str()], &single).is_some() {
            object.insert(field.name().clone(), value);
        }
    }
    let kept = Value::Object(object).to_string();
    Ok(decode(&[kept.as_str()], target).unwrap_or_else(|| new_null_array(target, 1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;

    #[test]
    fn malformed_lines_keep_the_fields_that_fit() -> Result<()> {
        let lines = StringArray::from(vec![
            r#"{"a":1,"b":"x"}"#,
            r#"{"a":"oops","b":"y"}"#,
            "not json",
            r#"{"a":3,"extra":true}"#,
        ]);
        let fields = Fields::from(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Utf8, true),
        ]);
        let (rows, malformed) = parse_records(&lines, &fields)?;
        assert_eq!(
            malformed.iter().collect::<Vec<_>>(),
            vec![Some(false), Some(true), Some(true), Some(false)]
        );
        let a = rows.column(0).as_any().downcast_ref::<Int64Array>();
        assert_eq!(
            a.map(|a| a.iter().collect::<Vec<_>>()),
            Some(vec![Some(1), None, None, Some(3)])
        );
        let b = rows.column(1).as_string::<i32>();
        assert_eq!(
            b.iter().collect::<Vec<_>>(),
            vec![Some("x"), Some("y"), None, None]
        );
        assert_eq!(rows.null_count(), 0);
        Ok(())
    }
}
