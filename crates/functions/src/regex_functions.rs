//! `regexp_extract`, `regexp_extract_all`, `regexp_substr` and `regexp_replace` with Spark's
//! rules: every match is replaced, `$1` in a replacement names a group (Java's syntax), a
//! missing match extracts the empty string.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, GenericListBuilder, Int64Array, StringArray, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use regex::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegexpKind {
    Extract,
    ExtractAll,
    Substr,
    Replace,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RegexpFunction {
    kind: RegexpKind,
    signature: Signature,
}

impl RegexpFunction {
    pub fn new(kind: RegexpKind) -> Self {
        Self {
            kind,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    pub fn all() -> Vec<Self> {
        [
            RegexpKind::Extract,
            RegexpKind::ExtractAll,
            RegexpKind::Substr,
            RegexpKind::Replace,
        ]
        .into_iter()
        .map(Self::new)
        .collect()
    }

    fn argument_counts(&self) -> (usize, usize) {
        match self.kind {
            RegexpKind::Extract | RegexpKind::ExtractAll => (2, 3),
            RegexpKind::Substr => (2, 2),
            RegexpKind::Replace => (3, 4),
        }
    }
}

/// Compiles each distinct pattern once per batch; patterns are almost always literals.
struct PatternCache {
    last: Option<(String, Regex)>,
}

impl PatternCache {
    fn get(&mut self, pattern: &str) -> Result<&Regex> {
        let stale = self.last.as_ref().is_none_or(|(p, _)| p != pattern);
        if stale {
            let compiled = Regex::new(pattern).map_err(|e| {
                datafusion::error::DataFusionError::Execution(format!(
                    "[INVALID_PARAMETER_VALUE.PATTERN] The value of parameter(s) `regexp` is invalid: {pattern}: {e}"
                ))
            })?;
            self.last = Some((pattern.to_string(), compiled));
        }
        match &self.last {
            Some((_, regex)) => Ok(regex),
            None => exec_err!("no pattern"),
        }
    }
}

/// Java's replacement syntax (`$1`, `${name}`, `\$`) in the regex crate's (`${1}`, `$$`).
pub fn java_replacement(replacement: &str) -> String {
    let mut out = String::with_capacity(replacement.len());
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => {}
            },
            '$' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push_str(&format!("${{{digits}}}"));
            }
            '$' => out.push('$'),
            other => out.push(other),
        }
    }
    out
}

fn group_index_error(index: i64, groups: usize) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Execution(format!(
        "[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) `idx` in `regexp_extract` is invalid: Expects group index between 0 and {}, but got {index}.",
        groups.saturating_sub(1)
    ))
}

fn strings(array: &ArrayRef) -> Result<StringArray> {
    Ok(cast(array, &DataType::Utf8)?.as_string::<i32>().clone())
}

fn integers(array: Option<&ArrayRef>, rows: usize, default: i64) -> Result<Int64Array> {
    match array {
        Some(array) => Ok(cast(array, &DataType::Int64)?
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
            .clone()),
        None => Ok(Int64Array::from(vec![default; rows])),
    }
}

impl ScalarUDFImpl for RegexpFunction {
    fn name(&self) -> &str {
        match self.kind {
            RegexpKind::Extract => "regexp_extract",
            RegexpKind::ExtractAll => "regexp_extract_all",
            RegexpKind::Substr => "regexp_substr",
            RegexpKind::Replace => "regexp_replace",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let (low, high) = self.argument_counts();
        if arg_types.len() < low || arg_types.len() > high {
            return plan_err!(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `{}` requires {low} to {high} parameters but the actual number is {}.",
                self.name(),
                arg_types.len()
            );
        }
        Ok(arg_types
            .iter()
            .enumerate()
            .map(|(index, _)| {
                let is_text = index < 2 || (self.kind == RegexpKind::Replace && index == 2);
                if is_text {
                    DataType::Utf8
                } else {
                    DataType::Int64
                }
            })
            .collect())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            RegexpKind::ExtractAll => {
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
            }
            _ => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (Some(subject), Some(pattern)) = (arrays.first(), arrays.get(1)) else {
            return exec_err!("{} takes a string and a pattern", self.name());
        };
        let (subject, pattern) = (strings(subject)?, strings(pattern)?);
        let mut cache = PatternCache { last: None };
        let result: ArrayRef = match self.kind {
            RegexpKind::Extract | RegexpKind::Substr => {
                let default_group = if self.kind == RegexpKind::Extract {
                    1
                } else {
                    0
                };
                let groups = integers(arrays.get(2), rows, default_group)?;
                let mut out = StringBuilder::new();
                for row in 0..rows {
                    if subject.is_null(row) || pattern.is_null(row) || groups.is_null(row) {
                        out.append_null();
                        continue;
                    }
                    let regex = cache.get(pattern.value(row))?;
                    let index = groups.value(row);
                    if index < 0 || index as usize >= regex.captures_len() {
                        return Err(group_index_error(index, regex.captures_len()));
                    }
                    match regex.captures(subject.value(row)) {
                        Some(found) => {
                            out.append_value(found.get(index as usize).map_or("", |m| m.as_str()))
                        }
                        // regexp_substr gives NULL without a match, regexp_extract "".
                        None if self.kind == RegexpKind::Substr => out.append_null(),
                        None => out.append_value(""),
                    }
                }
                Arc::new(out.finish())
            }
            RegexpKind::ExtractAll => {
                let groups = integers(arrays.get(2), rows, 1)?;
                let mut out = GenericListBuilder::<i32, _>::new(StringBuilder::new());
                for row in 0..rows {
                    if subject.is_null(row) || pattern.is_null(row) || groups.is_null(row) {
                        out.append_null();
                        continue;
                    }
                    let regex = cache.get(pattern.value(row))?;
                    let index = groups.value(row);
                    if index < 0 || index as usize >= regex.captures_len() {
                        return Err(group_index_error(index, regex.captures_len()));
                    }
                    for found in regex.captures_iter(subject.value(row)) {
                        out.values()
                            .append_value(found.get(index as usize).map_or("", |m| m.as_str()));
                    }
                    out.append(true);
                }
                Arc::new(out.finish())
            }
            RegexpKind::Replace => {
                let Some(replacement) = arrays.get(2) else {
                    return exec_err!("regexp_replace takes a replacement");
                };
                let replacement = strings(replacement)?;
                let positions = integers(arrays.get(3), rows, 1)?;
                let mut out = StringBuilder::new();
                for row in 0..rows {
                    if subject.is_null(row)
                        || pattern.is_null(row)
                        || replacement.is_null(row)
                        || positions.is_null(row)
                    {
                        out.append_null();
                        continue;
                    }
                    let position = positions.value(row);
                    if position < 1 {
                        return exec_err!(
                            "[INVALID_PARAMETER_VALUE.REGEX_POSITION] The value of parameter(s) `position` in `regexp_replace` is invalid: Expects a positive value, but got {position}."
                        );
                    }
                    let regex = cache.get(pattern.value(row))?;
                    let text = subject.value(row);
                    // The search starts at the 1-based character `position`.
                    let start = text
                        .char_indices()
                        .nth(position as usize - 1)
                        .map_or(text.len(), |(i, _)| i);
                    let (head, tail) = text.split_at(start);
                    let replaced =
                        regex.replace_all(tail, java_replacement(replacement.value(row)).as_str());
                    out.append_value(format!("{head}{replaced}"));
                }
                Arc::new(out.finish())
            }
        };
        Ok(ColumnarValue::Array(result))
    }
}

#[cfg(test)]
mod tests {
    use super::java_replacement;

    #[test]
    fn java_group_references_become_braced() {
        assert_eq!(java_replacement("$1-$2"), "${1}-${2}");
        assert_eq!(java_replacement("\\$1"), "$$1");
        assert_eq!(java_replacement("a$"), "a$");
    }
}
