//! Spark's arithmetic and math functions that are DataFusion expressions in another shape:
//! the `try_*` arithmetic, logarithms under Spark's argument order, `nullifzero`, ...

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{binary_expr, cast, lit, when, Expr, Operator};
use datafusion::prelude::coalesce;

use crate::catalog::{call_function, call_registry, first_argument, two_arguments};
use crate::checked_arithmetic::checked_integer_arithmetic;
use crate::FunctionResult;

/// The expression for math function `name`; the arguments back when it is not one of these.
pub(crate) fn call(
    registry: &dyn FunctionRegistry,
    name: &str,
    args: Vec<Expr>,
    types: &[DataType],
) -> FunctionResult<Result<Expr, Vec<Expr>>> {
    let expr = match name {
        "try_add" | "try_subtract" | "try_multiply" => {
            let (op, symbol) = match name {
                "try_add" => (Operator::Plus, "+"),
                "try_subtract" => (Operator::Minus, "-"),
                _ => (Operator::Multiply, "*"),
            };
            let (left, right) = two_arguments(name, args)?;
            if let Some(scaled) =
                crate::interval_scale::scaled_interval(registry, op, true, &left, &right, types)?
            {
                return Ok(Ok(scaled));
            }
            if let (Some(lt), Some(rt)) = (types.first(), types.get(1)) {
                if let Some(tolerant) = checked_integer_arithmetic(true, op, &left, &right, lt, rt)
                {
                    return Ok(Ok(tolerant));
                }
            }
            // Other types (dates, intervals, decimals, doubles) follow the operator.
            call_function(registry, symbol, vec![left, right], types, false)?
        }
        "try_mod" => {
            // NULL where the divisor is zero, instead of an error.
            let (left, right) = two_arguments(name, args)?;
            let zero = cast(lit(0i32), types.get(1).cloned().unwrap_or(DataType::Int32));
            let divisor = call_registry(registry, "nullif", vec![right, zero])?;
            call_function(registry, "%", vec![left, divisor], types, false)?
        }
        "nullifzero" => {
            let value = first_argument(name, args)?;
            let zero = cast(lit(0i32), types.first().cloned().unwrap_or(DataType::Int32));
            call_registry(registry, "nullif", vec![value, zero])?
        }
        "zeroifnull" => {
            let value = first_argument(name, args)?;
            let zero = cast(lit(0i32), types.first().cloned().unwrap_or(DataType::Int32));
            coalesce(vec![value, zero])
        }
        "negate" => Expr::Negative(Box::new(first_argument(name, args)?)),
        // Spark's one-argument log is the natural logarithm; with two, the base comes first.
        "log" if args.len() == 1 => {
            let value = cast(first_argument(name, args)?, DataType::Float64);
            call_registry(registry, "ln", vec![non_positive_to_null(value)])?
        }
        "log" => {
            let (base, value) = two_arguments(name, args)?;
            let base = cast(base, DataType::Float64);
            let value = cast(value, DataType::Float64);
            call_registry(
                registry,
                "log",
                vec![non_positive_to_null(base), non_positive_to_null(value)],
            )?
        }
        "ln" | "log10" | "log2" => {
            let value = cast(first_argument(name, args)?, DataType::Float64);
            strict(registry, name, vec![non_positive_to_null(value)])?
        }
        "log1p" => {
            // NULL at or below -1, where the logarithm of 1 + x is not defined.
            let value = cast(first_argument(name, args)?, DataType::Float64);
            let defined = when(value.clone().gt(lit(-1.0f64)), value)
                .otherwise(lit(ScalarValue::Float64(None)))?;
            strict(registry, name, vec![defined])?
        }
        "exp" | "expm1" | "sinh" | "cosh" | "tanh" | "cbrt" | "asin" | "acos" | "atan" => {
            // Spark's math functions are over DOUBLE whatever the input.
            let value = cast(first_argument(name, args)?, DataType::Float64);
            strict(registry, name, vec![value])?
        }
        "pow" | "power" | "hypot" | "atan2" => {
            let (left, right) = two_arguments(name, args)?;
            let name = if name == "power" { "pow" } else { name };
            strict(
                registry,
                name,
                vec![
                    cast(left, DataType::Float64),
                    cast(right, DataType::Float64),
                ],
            )?
        }
        "degrees" | "radians" | "sin" | "cos" | "tan" | "asinh" | "acosh" | "atanh" | "cot" => {
            // Spark's math functions are over DOUBLE whatever the input.
            let value = cast(first_argument(name, args)?, DataType::Float64);
            call_registry(registry, name, vec![value])?
        }
        "csc" | "sec" => {
            let value = cast(first_argument(name, args)?, DataType::Float64);
            let inner = if name == "csc" { "sin" } else { "cos" };
            binary_expr(
                lit(1.0f64),
                Operator::Divide,
                call_registry(registry, inner, vec![value])?,
            )
        }
        "try_avg" => crate::catalog::aggregate_call(registry, "avg", args, false)?,
        // ceil(x, scale) / floor(x, scale): rounded up (down) at `scale` decimal places.
        "ceil" | "ceiling" | "floor" if args.len() == 2 => {
            let (value, scale) = two_arguments(name, args)?;
            let factor = call_registry(
                registry,
                "power",
                vec![lit(10.0f64), cast(scale, DataType::Float64)],
            )?;
            let scaled = binary_expr(
                cast(value, DataType::Float64),
                Operator::Multiply,
                factor.clone(),
            );
            let inner = if name == "floor" { "floor" } else { "ceil" };
            binary_expr(
                call_registry(registry, inner, vec![scaled])?,
                Operator::Divide,
                factor,
            )
        }
        _ => return Ok(Err(args)),
    };
    Ok(Ok(expr))
}

/// Spark's logarithms give NULL for arguments at or below zero.
/// Spark's StrictMath version of a function (see `strict_math`).
fn strict(registry: &dyn FunctionRegistry, name: &str, args: Vec<Expr>) -> FunctionResult<Expr> {
    match crate::strict_math::strict_name(name) {
        Some(strict) => call_registry(registry, &strict, args),
        None => call_registry(registry, name, args),
    }
}

fn non_positive_to_null(value: Expr) -> Expr {
    when(value.clone().gt(lit(0.0f64)), value)
        .otherwise(lit(ScalarValue::Float64(None)))
        .unwrap_or_else(|_| lit(ScalarValue::Float64(None)))
}
