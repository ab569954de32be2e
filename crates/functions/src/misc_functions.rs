//! Spark's miscellaneous and aggregate functions that are DataFusion expressions in another
//! shape (`typeof`, `assert_true`, `listagg`, the current user, ...).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{lit, when, Expr};

use crate::catalog::{aggregate_call, call_registry};
use crate::{FunctionError, FunctionResult};

fn user_name() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "ember".into())
}

/// The expression for function `name`; the arguments back when it is not one of these.
pub(crate) fn call(
    registry: &dyn FunctionRegistry,
    name: &str,
    args: Vec<Expr>,
    types: &[DataType],
) -> FunctionResult<Result<Expr, Vec<Expr>>> {
    let expr = match name {
        "current_user" | "user" | "session_user" if args.is_empty() => lit(user_name()),
        "current_timezone" if args.is_empty() => {
            call_registry(registry, crate::session_time::CURRENT_ZONE, args)?
        }
        "input_file_block_length" | "input_file_block_start" if args.is_empty() => lit(-1i64),
        // assert_true(condition[, message]): NULL when the condition holds, an error otherwise
        // (a NULL condition included).
        "assert_true" => {
            let count = args.len();
            let mut iter = args.into_iter();
            let Some(condition) = iter.next() else {
                return Err(FunctionError::WrongArgumentCount {
                    name: name.into(),
                    expected: "1 or 2".into(),
                    actual: count,
                });
            };
            let message = iter
                .next()
                .unwrap_or_else(|| lit("assertion failed: condition is not true"));
            let error = call_registry(registry, "raise_error", vec![message])?;
            when(condition, lit(ScalarValue::Null)).otherwise(error)?
        }
        // any_value keeps a NULL it meets first unless told to ignore NULLs.
        "any_value" => crate::catalog::call_function(registry, "first_value", args, types, false)?,
        // Spark's array_agg leaves NULLs out, as collect_list does.
        "array_agg" => aggregate_call(registry, "collect_list", args, false)?,
        "listagg" | "string_agg" | "listagg_distinct" | "string_agg_distinct" => {
            let distinct = name.ends_with("_distinct");
            let mut args = args;
            if args.len() == 1 {
                args.push(lit(""));
            }
            // Bytes join as their hex text, decoded back afterwards.
            let binary = matches!(
                types.first(),
                Some(DataType::Binary | DataType::LargeBinary)
            );
            if binary {
                let hex = |e: Expr| call_registry(registry, "encode", vec![e, lit("hex")]);
                args = args.into_iter().map(hex).collect::<Result<_, _>>()?;
            }
            let joined = if distinct {
                // Each value once, in the order first seen; NULL when there is none.
                let separator = args.pop().unwrap_or_else(|| lit(""));
                let present = aggregate_call(registry, "count", args.clone(), false)?;
                let values = aggregate_call(registry, "array_agg", args, false)?;
                let distinct_values = call_registry(registry, "array_distinct", vec![values])?;
                let text = call_registry(
                    registry,
                    "array_to_string",
                    vec![distinct_values, separator],
                )?;
                when(present.eq(lit(0i64)), lit(ScalarValue::Utf8(None))).otherwise(text)?
            } else {
                aggregate_call(registry, "string_agg", args, false)?
            };
            if binary {
                call_registry(registry, "decode", vec![joined, lit("hex")])?
            } else {
                joined
            }
        }
        _ => return Ok(Err(args)),
    };
    Ok(Ok(expr))
}
