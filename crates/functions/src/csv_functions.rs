//! Spark's CSV functions on single lines: `from_csv` (fields cast to the schema, an empty or
//! missing field NULL), `to_csv` (a struct as one line, fields quoted when they hold the
//! separator or a quote) and `schema_of_csv` (INT, BIGINT, DOUBLE, BOOLEAN or STRING per field).
//! Options: `sep` (or `delimiter`), `ignoreLeadingWhiteSpace`, `ignoreTrailingWhiteSpace`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray, StringBuilder, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::{cast, cast_with_options, CastOptions};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::json_functions::option_value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum CsvKind {
    From,
    To,
    SchemaOf,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct CsvFunction {
    kind: CsvKind,
    signature: Signature,
}

impl CsvFunction {
    pub(crate) fn all() -> [Self; 3] {
        [CsvKind::From, CsvKind::To, CsvKind::SchemaOf].map(|kind| Self {
            kind,
            signature: Signature::user_defined(Volatility::Immutable),
        })
    }
}

/// How lines are read and written.
struct CsvOptions {
    separator: char,
    trim_leading: bool,
    trim_trailing: bool,
}

impl CsvOptions {
    fn from_argument(options: Option<&ArrayRef>) -> Self {
        let flag =
            |key: &str| option_value(options, key).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let separator = option_value(options, "sep")
            .or_else(|| option_value(options, "delimiter"))
            .and_then(|s| s.chars().next())
            .unwrap_or(',');
        CsvOptions {
            separator,
            trim_leading: flag("ignoreLeadingWhiteSpace"),
            trim_trailing: flag("ignoreTrailingWhiteSpace"),
        }
    }

    /// The fields of one line; double quotes group text holding separators, `""` is a quote.
    fn split(&self, line: &str) -> Vec<String> {
        let mut fields = Vec::new();
        let mut current = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    current.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                c if c == self.separator && !quoted => fields.push(std::mem::take(&mut current)),
                c => current.push(c),
            }
        }
        fields.push(current);
        fields
            .into_iter()
            .map(|f| {
                let f = if self.trim_leading {
                    f.trim_start()
                } else {
                    &f
                };
                let f = if self.trim_trailing { f.trim_end() } else { f };
                f.to_string()
            })
            .collect()
    }

    fn quote(&self, text: &str) -> String {
        if text.contains(self.separator) || text.contains('"') || text.contains('\n') {
            format!("\"{}\"", text.replace('"', "\\\""))
        } else {
            text.to_string()
        }
    }
}

/// Spark's inferred type of one CSV field.
fn inferred_type(field: &str) -> &'static str {
    let field = field.trim();
    if field.parse::<i32>().is_ok() {
        "INT"
    } else if field.parse::<i64>().is_ok() {
        "BIGINT"
    } else if !field.is_empty() && field.parse::<f64>().is_ok() {
        "DOUBLE"
    } else if field.eq_ignore_ascii_case("true") || field.eq_ignore_ascii_case("false") {
        "BOOLEAN"
    } else {
        "STRING"
    }
}

/// A cell of `to_csv`: arrays and structs as Spark prints them, the rest as text.
fn cell(array: &ArrayRef, row: usize) -> Result<Option<String>> {
    if array.is_null(row) {
        return Ok(None);
    }
    Ok(Some(match array.data_type() {
        DataType::List(_) => {
            let values = array.as_list::<i32>().value(row);
            let items = (0..values.len())
                .map(|i| Ok(cell(&values, i)?.unwrap_or_else(|| "null".into())))
                .collect::<Result<Vec<_>>>()?;
            format!("[{}]", items.join(", "))
        }
        DataType::Struct(_) => {
            let fields = array.as_struct();
            let items = fields
                .columns()
                .iter()
                .map(|c| Ok(cell(c, row)?.unwrap_or_else(|| "null".into())))
                .collect::<Result<Vec<_>>>()?;
            format!("{{{}}}", items.join(", "))
        }
        _ => {
            let text = cast(&array.slice(row, 1), &DataType::Utf8)?;
            text.as_string::<i32>().value(0).to_string()
        }
    }))
}

impl ScalarUDFImpl for CsvFunction {
    fn name(&self) -> &str {
        match self.kind {
            CsvKind::From => "from_csv",
            CsvKind::To => "to_csv",
            CsvKind::SchemaOf => "schema_of_csv",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let mut types = arg_types.to_vec();
        match (self.kind, types.first_mut()) {
            (CsvKind::From | CsvKind::SchemaOf, Some(first)) => *first = DataType::Utf8,
            (CsvKind::To, Some(_)) => {}
            (_, None) => return plan_err!("{} takes an argument", self.name()),
        }
        Ok(types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match self.kind {
            // The schema travels as a NULL of the target type.
            CsvKind::From => match arg_types.get(1) {
                Some(t @ DataType::Struct(_)) => Ok(t.clone()),
                _ => plan_err!(
                    "[INVALID_SCHEMA.NON_STRING_LITERAL] from_csv needs its schema as a DDL string, such as \"a INT, b STRING\"."
                ),
            },
            CsvKind::To | CsvKind::SchemaOf => Ok(DataType::Utf8),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(input) = arrays.first() else {
            return exec_err!("{} takes an argument", self.name());
        };
        let options_at = match self.kind {
            CsvKind::From => 2,
            CsvKind::To | CsvKind::SchemaOf => 1,
        };
        let options = CsvOptions::from_argument(arrays.get(options_at));
        let out: ArrayRef = match self.kind {
            CsvKind::SchemaOf => {
                let texts = cast(input, &DataType::Utf8)?;
                let texts = texts.as_string::<i32>();
                let mut out = StringBuilder::new();
                for text in texts.iter() {
                    out.append_option(text.map(|t| {
                        let fields: Vec<String> = options
                            .split(t)
                            .iter()
                            .enumerate()
                            .map(|(i, f)| format!("_c{i}: {}", inferred_type(f)))
                            .collect();
                        format!("STRUCT<{}>", fields.join(", "))
                    }));
                }
                Arc::new(out.finish())
            }
            CsvKind::To => {
                let Some(structs) = input.as_struct_opt() else {
                    return exec_err!("to_csv takes a struct, not {}", input.data_type());
                };
                let separator = options.separator.to_string();
                let mut out = StringBuilder::new();
                for row in 0..structs.len() {
                    if structs.is_null(row) {
                        out.append_null();
                        continue;
                    }
                    let mut cells = Vec::with_capacity(structs.num_columns());
                    for column in structs.columns() {
                        let text = cell(column, row)?;
                        cells.push(text.map(|t| options.quote(&t)).unwrap_or_default());
                    }
                    out.append_value(cells.join(&separator));
                }
                Arc::new(out.finish())
            }
            CsvKind::From => {
                let DataType::Struct(fields) = args.return_field.data_type() else {
                    return exec_err!("from_csv needs a struct schema");
                };
                let texts = cast(input, &DataType::Utf8)?;
                let texts = texts.as_string::<i32>();
                let rows: Vec<Option<Vec<String>>> =
                    texts.iter().map(|t| t.map(|t| options.split(t))).collect();
                let safe = CastOptions {
                    safe: true,
                    ..Default::default()
                };
                let mut columns = Vec::with_capacity(fields.len());
                for (index, field) in fields.iter().enumerate() {
                    let values: StringArray = rows
                        .iter()
                        .map(|r| {
                            r.as_ref()
                                .and_then(|f| f.get(index))
                                .filter(|v| !v.is_empty())
                                .cloned()
                        })
                        .collect();
                    let values: ArrayRef = Arc::new(values);
                    columns.push(cast_with_options(&values, field.data_type(), &safe)?);
                }
                let nulls = NullBuffer::from(rows.iter().map(Option::is_some).collect::<Vec<_>>());
                Arc::new(StructArray::try_new(fields.clone(), columns, Some(nulls))?)
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_with_quotes_and_options() {
        let options = CsvOptions {
            separator: '|',
            trim_leading: true,
            trim_trailing: false,
        };
        assert_eq!(options.split("1|  a|\"x|y\""), vec!["1", "a", "x|y"]);
        assert_eq!(options.split("1||true"), vec!["1", "", "true"]);
    }

    #[test]
    fn field_types_infer_like_spark() {
        let types: Vec<&str> = ["1", "a", "true", "", "1.5", "9999999999"]
            .into_iter()
            .map(inferred_type)
            .collect();
        assert_eq!(
            types,
            ["INT", "STRING", "BOOLEAN", "STRING", "DOUBLE", "BIGINT"]
        );
    }
}
