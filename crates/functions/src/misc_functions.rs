//! Spark's miscellaneous and aggregate functions that are DataFusion expressions in another
//! shape (`typeof`, `assert_true`, `listagg`, the current user, ...).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{lit, when, Expr};

use crate::catalog::{aggregate_call, call_registry, first_argument};
use crate::{FunctionError, FunctionResult};

/// Spark's name for an Arrow type, as `typeof` and error messages print it.
pub fn spark_type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Null => "void".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Int8 => "tinyint".into(),
        DataType::Int16 => "smallint".into(),
        DataType::Int32 => "int".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => format!("decimal({p},{s})"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => "binary".into(),
        DataType::Date32 | DataType::Date64 => "date".into(),
        DataType::Timestamp(_, Some(_)) => "timestamp".into(),
        DataType::Timestamp(_, None) => "timestamp_ntz".into(),
        DataType::Interval(datafusion::arrow::datatypes::IntervalUnit::YearMonth) => {
            "interval year to month".into()
        }
        DataType::Interval(_) | DataType::Duration(_) => "interval day to second".into(),
        DataType::List(field) | DataType::LargeList(field) | DataType::FixedSizeList(field, _) => {
            format!("array<{}>", spark_type_name(field.data_type()))
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(fields) if fields.len() == 2 => format!(
                "map<{},{}>",
                spark_type_name(fields[0].data_type()),
                spark_type_name(fields[1].data_type())
            ),
            _ => "map".into(),
        },
        DataType::Struct(fields) => format!(
            "struct<{}>",
            fields
                .iter()
                .map(|f| format!("{}:{}", f.name(), spark_type_name(f.data_type())))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string().to_ascii_lowercase(),
    }
}

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
        "typeof" => {
            first_argument(name, args)?;
            lit(spark_type_name(types.first().unwrap_or(&DataType::Null)))
        }
        "current_user" | "user" | "session_user" if args.is_empty() => lit(user_name()),
        "current_timezone" if args.is_empty() => lit("UTC"),
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
        "listagg" | "string_agg" | "listagg_distinct" | "string_agg_distinct" => {
            let distinct = name.ends_with("_distinct");
            let mut args = args;
            if args.len() == 1 {
                args.push(lit(""));
            }
            aggregate_call(registry, "string_agg", args, distinct)?
        }
        _ => return Ok(Err(args)),
    };
    Ok(Ok(expr))
}
