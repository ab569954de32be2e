//! Spark's `format_number(x, d)`: `x` rounded half-even to `d` decimal places, with commas
//! between thousands (`1,234,567.89`); no decimal point when `d` is 0, NULL when `d` < 0.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, StringArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct FormatNumber {
    signature: Signature,
}

impl FormatNumber {
    pub(crate) fn new() -> Self {
        FormatNumber {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// Puts a comma between each group of three integer digits.
fn group_thousands(digits: &str) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn format_float(value: f64, places: usize) -> String {
    let text = format!("{value:.places$}");
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w.to_string(), Some(f.to_string())),
        None => (text, None),
    };
    let whole = if whole == "-0"
        && fraction
            .as_deref()
            .is_none_or(|f| f.chars().all(|c| c == '0'))
    {
        "0".to_string()
    } else {
        whole
    };
    match fraction {
        Some(f) => format!("{}.{f}", group_thousands(&whole)),
        None => group_thousands(&whole),
    }
}

impl ScalarUDFImpl for FormatNumber {
    fn name(&self) -> &str {
        "format_number"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [value, places] = arg_types else {
            return plan_err!("format_number takes a number and a count of decimal places");
        };
        let value = if value.is_integer() {
            DataType::Int64
        } else if value.is_numeric() || value.is_null() {
            DataType::Float64
        } else {
            return plan_err!("format_number needs a number, not {value}");
        };
        if !(places.is_integer() || places.is_null()) {
            return plan_err!("format_number needs an integer count of decimal places");
        }
        Ok(vec![value, DataType::Int64])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [values, places] = arrays.as_slice() else {
            return exec_err!("format_number takes two arguments");
        };
        let places = places.as_primitive::<Int64Type>();
        let place_at = |i: usize| -> Option<usize> {
            (places.is_valid(i) && places.value(i) >= 0).then(|| places.value(i) as usize)
        };
        let out: StringArray = match values.data_type() {
            DataType::Int64 => {
                let values = values.as_primitive::<Int64Type>();
                (0..values.len())
                    .map(|i| {
                        let p = place_at(i)?;
                        values.is_valid(i).then(|| {
                            let whole = group_thousands(&values.value(i).to_string());
                            if p == 0 {
                                whole
                            } else {
                                format!("{whole}.{}", "0".repeat(p))
                            }
                        })
                    })
                    .collect()
            }
            _ => {
                let values = values.as_primitive::<Float64Type>();
                (0..values.len())
                    .map(|i| {
                        let p = place_at(i)?;
                        values.is_valid(i).then(|| format_float(values.value(i), p))
                    })
                    .collect()
            }
        };
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_rounds() {
        assert_eq!(format_float(1234567.891, 2), "1,234,567.89");
        assert_eq!(format_float(5.0, 4), "5.0000");
        assert_eq!(format_float(-1234.5, 0), "-1,234");
        assert_eq!(format_float(999.999, 1), "1,000.0");
        assert_eq!(group_thousands("-123456"), "-123,456");
    }
}
