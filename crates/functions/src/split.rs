//! Spark's `split(str, regex[, limit])`: the pieces of `str` around matches of the pattern.
//! A positive `limit` caps the pieces (the last keeps the rest); zero or less splits at every
//! match, keeping trailing empty pieces. An empty pattern splits between characters.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, ListBuilder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use regex::Regex;

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Split {
    signature: Signature,
}

impl Split {
    pub(crate) fn new() -> Self {
        Split {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The pieces of `text` as Spark's split gives them.
fn split_text(text: &str, pattern: &Regex, limit: i32) -> Vec<String> {
    if pattern.as_str().is_empty() {
        let chars: Vec<String> = text.chars().map(String::from).collect();
        return match usize::try_from(limit) {
            Ok(n) if n > 0 && chars.len() > n => {
                let mut head: Vec<String> = chars[..n - 1].to_vec();
                head.push(chars[n - 1..].concat());
                head
            }
            _ => chars,
        };
    }
    match usize::try_from(limit) {
        Ok(n) if n > 0 => pattern.splitn(text, n).map(str::to_string).collect(),
        _ => pattern.split(text).map(str::to_string).collect(),
    }
}

impl ScalarUDFImpl for Split {
    fn name(&self) -> &str {
        "split"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.len() {
            2 => Ok(vec![DataType::Utf8, DataType::Utf8]),
            3 => Ok(vec![DataType::Utf8, DataType::Utf8, DataType::Int32]),
            n => plan_err!("split takes 2 or 3 arguments, not {n}"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new(
            "item",
            DataType::Utf8,
            true,
        ))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (texts, patterns) = match arrays.as_slice() {
            [texts, patterns, ..] => (texts.as_string::<i32>(), patterns.as_string::<i32>()),
            _ => return exec_err!("split takes 2 or 3 arguments"),
        };
        let limits = arrays.get(2).map(|l| l.as_primitive::<Int32Type>());
        let mut out = ListBuilder::new(StringBuilder::new());
        let mut compiled: Option<(String, Regex)> = None;
        for i in 0..texts.len() {
            let limit = match limits {
                Some(l) if l.is_null(i) => None,
                Some(l) => Some(l.value(i)),
                None => Some(-1),
            };
            let (Some(limit), true, true) = (limit, texts.is_valid(i), patterns.is_valid(i)) else {
                out.append_null();
                continue;
            };
            let pattern = patterns.value(i);
            if compiled.as_ref().is_none_or(|(text, _)| text != pattern) {
                let regex = Regex::new(pattern).map_err(|e| {
                    DataFusionError::Execution(format!(
                        "[INVALID_PARAMETER_VALUE.PATTERN] The value of parameter `regexp` in `split` is invalid: {e}"
                    ))
                })?;
                compiled = Some((pattern.to_string(), regex));
            }
            let Some((_, regex)) = compiled.as_ref() else {
                return exec_err!("split lost its pattern");
            };
            for piece in split_text(texts.value(i), regex, limit) {
                out.values().append_value(piece);
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str, pattern: &str, limit: i32) -> Vec<String> {
        match Regex::new(pattern) {
            Ok(regex) => split_text(text, &regex, limit),
            Err(_) => Vec::new(),
        }
    }

    #[test]
    fn splits_as_spark_does() {
        assert_eq!(
            split("oneAtwoBthreeC", "[ABC]", -1),
            ["one", "two", "three", ""]
        );
        assert_eq!(split("oneAtwoBthreeC", "[ABC]", 2), ["one", "twoBthreeC"]);
        assert_eq!(split("a,b,,c", ",", 0), ["a", "b", "", "c"]);
        assert_eq!(split("abc", "", -1), ["a", "b", "c"]);
        assert_eq!(split("abc", "", 2), ["a", "bc"]);
        assert_eq!(split("", ",", -1), [""]);
    }
}
