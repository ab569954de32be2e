//! The schema `schema_of_csv` / `schema_of_json` / `schema_of_xml` infer from a constant
//! sample, computed before planning: `from_csv(col, schema_of_csv('1,abc'))` needs its
//! result type when the plan is built, as Spark folds the constant first.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::config::ConfigOptions;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl};

/// The DDL text `function(sample)` returns, if `function` is one of the schema inferrers.
pub fn infer_schema_text(function: &str, sample: &str) -> Option<String> {
    let lower = function.to_ascii_lowercase();
    let inferrer: Box<dyn ScalarUDFImpl> = match lower.as_str() {
        "schema_of_csv" => Box::new(
            crate::csv_functions::CsvFunction::all()
                .into_iter()
                .find(|f| f.name() == lower)?,
        ),
        "schema_of_json" => Box::new(
            crate::json_functions::JsonFunction::all()
                .into_iter()
                .find(|f| f.name() == lower)?,
        ),
        "schema_of_xml" => Box::new(
            crate::xml_functions::XmlFunction::all()
                .into_iter()
                .find(|f| f.name() == lower)?,
        ),
        _ => return None,
    };
    let args = ScalarFunctionArgs {
        args: vec![ColumnarValue::Scalar(ScalarValue::Utf8(Some(
            sample.to_string(),
        )))],
        arg_fields: vec![Arc::new(Field::new("sample", DataType::Utf8, true))],
        number_rows: 1,
        return_field: Arc::new(Field::new("schema", DataType::Utf8, true)),
        config_options: Arc::new(ConfigOptions::default()),
    };
    let result = inferrer.invoke_with_args(args).ok()?;
    let array = result.into_array(1).ok()?;
    let text = array.as_string_opt::<i32>()?;
    (!text.is_empty() && text.is_valid(0)).then(|| text.value(0).to_string())
}
