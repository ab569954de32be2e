//! Spark's string functions that are DataFusion expressions in another shape (`locate`,
//! `printf`, `to_binary`, ...), and `mask`, which has no DataFusion counterpart.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::compute::cast as cast_array;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, ScalarValue};
use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    binary_expr, cast, lit, when, ColumnarValue, Expr, Operator, ScalarFunctionArgs, ScalarUDFImpl,
    Signature, Volatility,
};

use crate::catalog::{call_registry, first_argument, two_arguments};
use crate::{FunctionError, FunctionResult};

/// The expression for string function `name`; the arguments back when it is not one of these.
pub(crate) fn call(
    registry: &dyn FunctionRegistry,
    name: &str,
    args: Vec<Expr>,
    types: &[DataType],
) -> FunctionResult<Result<Expr, Vec<Expr>>> {
    let expr = match name {
        // Spark compares bytes; these read the bytes as text.
        "contains" | "startswith" | "endswith" | "starts_with" | "ends_with"
            if types.len() == 2 && types.iter().all(|t| matches!(t, DataType::Binary)) =>
        {
            let target = match name {
                "startswith" | "starts_with" => "starts_with",
                "endswith" | "ends_with" => "ends_with",
                _ => "contains",
            };
            let args = args.into_iter().map(|a| cast(a, DataType::Utf8)).collect();
            call_registry(registry, target, args)?
        }
        // overlay(src, replacement, pos[, len]): a length of -1 means the replacement's.
        "overlay" if args.len() == 4 => {
            let mut args = args;
            let length = args.remove(3);
            let replacement_length = call_registry(registry, "char_length", vec![args[1].clone()])?;
            let length = when(
                cast(length.clone(), DataType::Int64).eq(lit(-1i64)),
                cast(replacement_length, DataType::Int64),
            )
            .otherwise(cast(length, DataType::Int64))?;
            args.push(length);
            call_registry(registry, "overlay", args)?
        }
        // locate(substr, str[, pos]): the 1-based position of substr in str at or after pos,
        // 0 when absent or when pos is below 1.
        "locate" | "position" => {
            let count = args.len();
            let mut iter = args.into_iter();
            let (Some(needle), Some(haystack)) = (iter.next(), iter.next()) else {
                return Err(FunctionError::WrongArgumentCount {
                    name: name.into(),
                    expected: "2 or 3".into(),
                    actual: count,
                });
            };
            match iter.next() {
                None => call_registry(registry, "strpos", vec![haystack, needle])?,
                Some(start) => {
                    let start = cast(start, DataType::Int64);
                    let rest = call_registry(registry, "substr", vec![haystack, start.clone()])?;
                    let found = cast(
                        call_registry(registry, "strpos", vec![rest, needle])?,
                        DataType::Int64,
                    );
                    let shifted = binary_expr(
                        binary_expr(found.clone(), Operator::Plus, start.clone()),
                        Operator::Minus,
                        lit(1i64),
                    );
                    let position = when(start.clone().is_null().or(start.lt(lit(1i64))), lit(0i64))
                        .when(found.clone().eq(lit(0i64)), lit(0i64))
                        .otherwise(shifted)?;
                    cast(position, DataType::Int32)
                }
            }
        }
        "instr" => {
            let (haystack, needle) = two_arguments(name, args)?;
            call_registry(registry, "strpos", vec![haystack, needle])?
        }
        // Spark's two-argument trims take the characters first.
        "trim" | "ltrim" | "rtrim" if args.len() == 2 => {
            let (characters, text) = two_arguments(name, args)?;
            let target = if name == "trim" { "btrim" } else { name };
            call_registry(registry, target, vec![text, characters])?
        }
        "replace" if args.len() == 2 => {
            let (text, search) = two_arguments(name, args)?;
            call_registry(registry, "replace", vec![text, search, lit("")])?
        }
        // levenshtein(a, b, threshold): -1 when the distance exceeds the threshold.
        "levenshtein" if args.len() == 3 => {
            let mut iter = args.into_iter();
            let (Some(a), Some(b), Some(threshold)) = (iter.next(), iter.next(), iter.next())
            else {
                return Err(FunctionError::UnknownFunction(name.into()));
            };
            let distance = call_registry(registry, "levenshtein", vec![a, b])?;
            when(
                distance.clone().gt(cast(threshold, DataType::Int32)),
                lit(-1i32),
            )
            .otherwise(distance)?
        }
        "like" | "ilike" if args.len() == 3 => {
            let mut iter = args.into_iter();
            let (Some(text), Some(pattern), Some(escape)) = (iter.next(), iter.next(), iter.next())
            else {
                return Err(FunctionError::UnknownFunction(name.into()));
            };
            let Expr::Literal(ScalarValue::Utf8(Some(escape)), _) = escape else {
                return Err(FunctionError::TypeMismatch(format!(
                    "the escape character of {name} must be a string literal"
                )));
            };
            // DataFusion escapes with a backslash only: other escape characters become one.
            let escape_char = escape.chars().next();
            let pattern = match (escape_char, pattern) {
                (Some('\\') | None, pattern) => pattern,
                (Some(c), Expr::Literal(ScalarValue::Utf8(Some(p)), _)) => {
                    lit(with_backslash_escape(&p, c))
                }
                (Some(c), pattern) => {
                    let doubled = call_registry(
                        registry,
                        "regexp_replace",
                        vec![pattern, lit("\\\\"), lit("\\\\\\\\")],
                    )?;
                    call_registry(
                        registry,
                        "regexp_replace",
                        vec![
                            doubled,
                            lit(format!("{}(.)", regex::escape(&c.to_string()))),
                            lit("\\\\$1"),
                        ],
                    )?
                }
            };
            Expr::Like(datafusion::logical_expr::expr::Like::new(
                false,
                Box::new(text),
                Box::new(pattern),
                escape_char.map(|_| '\\'),
                name == "ilike",
            ))
        }
        // encode/decode with a character set: text to bytes and back.
        "encode" | "decode" if args.len() == 2 && charset_argument(&args[1]) => {
            let (value, _) = two_arguments(name, args)?;
            let target = if name == "encode" {
                DataType::Binary
            } else {
                DataType::Utf8
            };
            cast(value, target)
        }
        "printf" => call_registry(registry, "format_string", args)?,
        "len" => call_registry(registry, "length", args)?,
        // Arrow strings are always valid UTF-8.
        "validate_utf8" | "try_validate_utf8" => first_argument(name, args)?,
        "collate" => two_arguments(name, args)?.0,
        "collation" => {
            first_argument(name, args)?;
            lit("SYSTEM.BUILTIN.UTF8_BINARY")
        }
        "to_binary" | "try_to_binary" => {
            let count = args.len();
            let mut iter = args.into_iter();
            let Some(value) = iter.next() else {
                return Err(FunctionError::WrongArgumentCount {
                    name: name.into(),
                    expected: "1 or 2".into(),
                    actual: count,
                });
            };
            let format = match iter.next() {
                None => "hex".to_string(),
                Some(Expr::Literal(ScalarValue::Utf8(Some(format)), _)) => {
                    format.to_ascii_lowercase()
                }
                Some(_) => {
                    return Err(FunctionError::TypeMismatch(format!(
                        "the format of {name} must be a string literal"
                    )))
                }
            };
            match format.as_str() {
                "hex" => call_registry(registry, "unhex", vec![value])?,
                "base64" => call_registry(registry, "unbase64", vec![value])?,
                "utf-8" | "utf8" => cast(value, DataType::Binary),
                other => {
                    return Err(FunctionError::TypeMismatch(format!(
                        "[INVALID_PARAMETER_VALUE.BINARY_FORMAT] The value of parameter(s) `format` in `{name}` is invalid: expects one of the binary formats 'base64', 'hex', 'utf-8', but got '{other}'."
                    )))
                }
            }
        }
        _ => return Ok(Err(args)),
    };
    Ok(Ok(expr))
}

fn charset_argument(argument: &Expr) -> bool {
    matches!(
        argument,
        Expr::Literal(ScalarValue::Utf8(Some(charset)), _)
            if matches!(
                charset.to_ascii_uppercase().as_str(),
                "UTF-8" | "UTF8" | "US-ASCII" | "ISO-8859-1" | "UTF-16" | "UTF-16BE" | "UTF-16LE"
            )
    )
}

/// `mask(str, upperChar, lowerChar, digitChar, otherChar)`: each upper-case letter, lower-case
/// letter and digit replaced by its class's character; a NULL class character keeps the
/// original. Spark's defaults are 'X', 'x', 'n' and NULL.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Mask {
    signature: Signature,
}

impl Mask {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

fn replacement_at(array: Option<&ArrayRef>, row: usize, default: Option<char>) -> Option<char> {
    match array {
        None => default,
        Some(array) => {
            let strings = array.as_string::<i32>();
            if strings.is_null(row) {
                None
            } else {
                strings.value(row).chars().next()
            }
        }
    }
}

impl ScalarUDFImpl for Mask {
    fn name(&self) -> &str {
        "mask"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.is_empty() || arg_types.len() > 5 {
            return datafusion::common::plan_err!(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `mask` requires 1 to 5 parameters but the actual number is {}.",
                arg_types.len()
            );
        }
        Ok(vec![DataType::Utf8; arg_types.len()])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let arrays: Vec<ArrayRef> = arrays
            .iter()
            .map(|a| cast_array(a, &DataType::Utf8))
            .collect::<std::result::Result<_, _>>()?;
        let Some(input) = arrays.first() else {
            return exec_err!("mask takes a string");
        };
        let input = input.as_string::<i32>();
        let mut out = StringBuilder::new();
        for row in 0..input.len() {
            if input.is_null(row) {
                out.append_null();
                continue;
            }
            let upper = replacement_at(arrays.get(1), row, Some('X'));
            let lower = replacement_at(arrays.get(2), row, Some('x'));
            let digit = replacement_at(arrays.get(3), row, Some('n'));
            let other = replacement_at(arrays.get(4), row, None);
            let masked: String = input
                .value(row)
                .chars()
                .map(|c| {
                    let replacement = if c.is_uppercase() {
                        upper
                    } else if c.is_lowercase() {
                        lower
                    } else if c.is_ascii_digit() {
                        digit
                    } else {
                        other
                    };
                    replacement.unwrap_or(c)
                })
                .collect();
            out.append_value(masked);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// A LIKE pattern escaped with `escape` rewritten to escape with a backslash.
fn with_backslash_escape(pattern: &str, escape: char) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == escape {
            out.push('\\');
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_backslash_escape;

    #[test]
    fn like_patterns_move_to_backslash_escapes() {
        assert_eq!(
            with_backslash_escape("%SystemDrive/%", '/'),
            "%SystemDrive\\%"
        );
        assert_eq!(with_backslash_escape("a\\b//c", '/'), "a\\\\b\\/c");
    }
}

/// `sentences(text[, language, country])`: the text's sentences, each as its words, as
/// Java's sentence and word boundaries split English text; punctuation is left out.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Sentences {
    signature: Signature,
}

impl Sentences {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

fn sentence_words(text: &str) -> Vec<Vec<String>> {
    let mut sentences = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let inside_number = matches!(c, '.' | ',')
            && word.chars().last().is_some_and(|l| l.is_ascii_digit())
            && chars.peek().is_some_and(char::is_ascii_digit);
        if c.is_alphanumeric() || (c == '\'' && !word.is_empty()) || inside_number {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        let ends_sentence =
            matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|next| next.is_whitespace());
        if ends_sentence && !words.is_empty() {
            sentences.push(std::mem::take(&mut words));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    if !words.is_empty() {
        sentences.push(words);
    }
    sentences
}

impl ScalarUDFImpl for Sentences {
    fn name(&self) -> &str {
        "sentences"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.len() {
            1..=3 => Ok(vec![DataType::Utf8; arg_types.len()]),
            n => datafusion::common::plan_err!(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `sentences` requires 1 to 3 parameters but the actual number is {n}."
            ),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::new_list(
            DataType::new_list(DataType::Utf8, true),
            true,
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use datafusion::arrow::array::ListBuilder;
        let Some(text) = args.args.first() else {
            return exec_err!("sentences takes a string");
        };
        let texts = text.to_array(args.number_rows)?;
        let texts = cast_array(&texts, &DataType::Utf8)?;
        let texts = texts.as_string::<i32>();
        let mut out = ListBuilder::new(ListBuilder::new(StringBuilder::new()));
        for text in texts.iter() {
            match text {
                None => out.append(false),
                Some(text) => {
                    for sentence in sentence_words(text) {
                        for word in sentence {
                            out.values().values().append_value(word);
                        }
                        out.values().append(true);
                    }
                    out.append(true);
                }
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod sentence_tests {
    use super::sentence_words;

    #[test]
    fn sentences_split_into_words() {
        assert_eq!(
            sentence_words("Hi there! Good morning. It's 9.5 o'clock"),
            vec![
                vec!["Hi", "there"],
                vec!["Good", "morning"],
                vec!["It's", "9.5", "o'clock"],
            ]
        );
    }
}
