//! Spark's array and map functions that are DataFusion expressions in another shape
//! (`sequence`, `get`, `array_insert`, `map_concat`, ...).

use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::ScalarValue;
use datafusion::execution::FunctionRegistry;
use datafusion::functions_nested::expr_fn as nested;
use datafusion::logical_expr::{binary_expr, cast, lit, when, Expr, Operator};

use crate::catalog::{call_function, call_registry, two_arguments};
use crate::contains_null::CONTAINS_NULL;
use crate::{FunctionError, FunctionResult};

fn is_list(data_type: Option<&DataType>) -> bool {
    matches!(
        data_type,
        Some(DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..))
    )
}

fn element_type(data_type: Option<&DataType>) -> Option<DataType> {
    match data_type {
        Some(DataType::List(field) | DataType::LargeList(field)) => Some(field.data_type().clone()),
        _ => None,
    }
}

/// The expression for collection function `name`; the arguments back when it is not one of
/// these.
pub(crate) fn call(
    registry: &dyn FunctionRegistry,
    name: &str,
    args: Vec<Expr>,
    types: &[DataType],
) -> FunctionResult<Result<Expr, Vec<Expr>>> {
    let expr = match name {
        // NULL where an inner array is NULL.
        "flatten" if is_list(types.first()) => {
            let array = crate::catalog::first_argument(name, args)?;
            let has_null = call_registry(registry, CONTAINS_NULL, vec![array.clone()])?;
            when(has_null.is_true(), lit(ScalarValue::Null)).otherwise(call_registry(
                registry,
                "flatten",
                vec![array],
            )?)?
        }
        "arrays_overlap" => call_registry(registry, crate::contains_null::ARRAYS_OVERLAP, args)?,
        // Arrays of arrays repeat with DataFusion's item name inside (`element` from Arrow
        // data otherwise clashes with the name the result declares).
        "array_repeat" if matches!(types.first(), Some(DataType::List(f)) if f.name() != "item") => {
            let mut args = args;
            if let Some(DataType::List(item)) = types.first() {
                let renamed = DataType::new_list(item.data_type().clone(), true);
                args[0] = cast(args[0].clone(), renamed);
            }
            call_registry(registry, "array_repeat", args)?
        }
        "map_contains_key" => {
            let (map, key) = two_arguments(name, args)?;
            nested::array_has(nested::map_keys(map), key)
        }
        "map_concat" => {
            let keys = args.iter().cloned().map(nested::map_keys).collect();
            let values = args.into_iter().map(nested::map_values).collect();
            call_registry(
                registry,
                "map_from_arrays",
                vec![nested::array_concat(keys), nested::array_concat(values)],
            )?
        }
        // sequence(start, stop[, step]): inclusive; the step defaults to 1 or -1 (a day for
        // dates).
        "sequence" => {
            let count = args.len();
            let mut iter = args.into_iter();
            let (Some(start), Some(stop)) = (iter.next(), iter.next()) else {
                return Err(FunctionError::WrongArgumentCount {
                    name: name.into(),
                    expected: "2 or 3".into(),
                    actual: count,
                });
            };
            let is_integral = types.first().is_some_and(DataType::is_integer);
            if is_integral {
                let step = match iter.next() {
                    Some(step) => cast(step, DataType::Int64),
                    None => {
                        when(start.clone().lt_eq(stop.clone()), lit(1i64)).otherwise(lit(-1i64))?
                    }
                };
                let series = call_registry(
                    registry,
                    "generate_series",
                    vec![
                        cast(start, DataType::Int64),
                        cast(stop, DataType::Int64),
                        step,
                    ],
                )?;
                let element = types.first().cloned().unwrap_or(DataType::Int64);
                cast(
                    series,
                    DataType::List(std::sync::Arc::new(Field::new("item", element, true))),
                )
            } else {
                let mut series_args = vec![start, stop];
                series_args.extend(iter);
                if series_args.len() == 2 {
                    series_args.push(lit(ScalarValue::new_interval_dt(1, 0)));
                }
                call_registry(registry, "generate_series", series_args)?
            }
        }
        // get(array, index): 0-based, NULL outside the array.
        "get" => {
            let (array, index) = two_arguments(name, args)?;
            let index = cast(index, DataType::Int64);
            let element =
                nested::array_element(array, binary_expr(index.clone(), Operator::Plus, lit(1i64)));
            let null = lit(ScalarValue::try_from(
                element_type(types.first()).unwrap_or(DataType::Null),
            )?);
            when(index.lt(lit(0i64)), null).otherwise(element)?
        }
        "reverse" if is_list(types.first()) => {
            nested::array_reverse(crate::catalog::first_argument(name, args)?)
        }
        // A NULL array makes the whole concatenation NULL, as with strings.
        "concat" if !types.is_empty() && types.iter().all(|t| is_list(Some(t)) || t.is_null()) => {
            let any_null = args
                .iter()
                .map(|a| a.clone().is_null())
                .reduce(|a, b| a.or(b))
                .unwrap_or(lit(false));
            when(any_null, lit(ScalarValue::Null)).otherwise(nested::array_concat(args))?
        }
        // The number of top-level elements; NULL for a NULL array.
        "array_size" => {
            let array = crate::catalog::first_argument(name, args)?;
            cast(nested::array_length(array), DataType::Int32)
        }
        "array_append" => {
            let (array, element) = two_arguments(name, args)?;
            when(array.clone().is_null(), lit(ScalarValue::Null))
                .otherwise(nested::array_append(array, element))?
        }
        // Spark's array comes first; DataFusion's element does.
        "array_prepend" => {
            let (array, element) = two_arguments(name, args)?;
            when(array.clone().is_null(), lit(ScalarValue::Null))
                .otherwise(nested::array_prepend(element, array))?
        }
        // Every occurrence goes.
        "array_remove" => {
            let (array, element) = two_arguments(name, args)?;
            nested::array_remove_all(array, element)
        }
        // 1-based as BIGINT, 0 when absent, NULL for a NULL array.
        "array_position" => {
            let (array, element) = two_arguments(name, args)?;
            let found = cast(
                nested::array_position(array.clone(), element, lit(1i64)),
                DataType::Int64,
            );
            when(array.is_null(), lit(ScalarValue::Int64(None)))
                .otherwise(datafusion::prelude::coalesce(vec![found, lit(0i64)]))?
        }
        // Ascending with NULLs last (sort_array puts them first).
        "array_sort" if args.len() == 1 => {
            let array = crate::catalog::first_argument(name, args)?;
            call_registry(
                registry,
                "array_sort",
                vec![array, lit("ASC"), lit("NULLS LAST")],
            )?
        }
        "try_element_at" => call_function(registry, "element_at", args, types, false)?,
        // array_insert(array, pos, value): 1-based; negative positions count from the end,
        // -1 inserting after the last element.
        "array_insert" => {
            let [array, position, value]: [Expr; 3] =
                args.try_into()
                    .map_err(|args: Vec<Expr>| FunctionError::WrongArgumentCount {
                        name: name.into(),
                        expected: "3".into(),
                        actual: args.len(),
                    })?;
            let position = cast(position, DataType::Int64);
            let size = cast(nested::cardinality(array.clone()), DataType::Int64);
            let index = when(
                position.clone().lt(lit(0i64)),
                binary_expr(
                    binary_expr(size.clone(), Operator::Plus, position.clone()),
                    Operator::Plus,
                    lit(2i64),
                ),
            )
            .otherwise(position.clone())?;
            let before = nested::array_slice(
                array.clone(),
                lit(1i64),
                binary_expr(index.clone(), Operator::Minus, lit(1i64)),
                None,
            );
            let after = nested::array_slice(array.clone(), index.clone(), size.clone(), None);
            // A position past the end pads with NULLs up to it.
            let gap = binary_expr(
                binary_expr(index, Operator::Minus, size),
                Operator::Minus,
                lit(1i64),
            );
            let gap = when(gap.clone().gt(lit(0i64)), gap).otherwise(lit(0i64))?;
            let null_element = match element_type(types.first()) {
                Some(t) => cast(lit(ScalarValue::Null), t),
                None => lit(ScalarValue::Null),
            };
            let padding = nested::array_repeat(null_element, gap);
            let inserted = nested::array_concat(vec![
                before,
                padding,
                nested::make_array(vec![value]),
                after,
            ]);
            let zero_error = call_registry(
                registry,
                "raise_error",
                vec![lit("[INVALID_INDEX_OF_ZERO] The index 0 is invalid. An index shall be either < 0 or > 0 (the first element has index 1). SQLSTATE: 22003")],
            )?;
            when(array.is_null(), lit(ScalarValue::Null))
                .when(position.eq(lit(0i64)), zero_error)
                .otherwise(inserted)?
        }
        _ => return Ok(Err(args)),
    };
    Ok(Ok(expr))
}
