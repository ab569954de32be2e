//! Name → expression. Table-like on purpose: one arm per Spark function that needs more
//! than a registry lookup.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::execution::FunctionRegistry;
use datafusion::functions_aggregate::expr_fn as aggregate;
use datafusion::logical_expr::expr::{AggregateFunction, ScalarFunction, WindowFunction};
use datafusion::logical_expr::{binary_expr, cast, lit, not, when, Expr, Operator};
use datafusion::prelude::{coalesce, in_list};

use crate::operators::{binary_operator, divide};
use crate::{FunctionError, FunctionResult};

/// A family of functions (math, strings, dates, ...): the expression for a name it owns, or
/// the arguments handed back.
type Family = fn(
    &dyn FunctionRegistry,
    &str,
    Vec<Expr>,
    &[DataType],
) -> FunctionResult<Result<Expr, Vec<Expr>>>;

/// Tried in order before the special shapes below and the registry.
const FAMILIES: &[Family] = &[
    crate::variant::call,
    crate::vector::call,
    crate::math_functions::call,
    crate::string_functions::call,
    crate::datetime_functions::call,
    crate::collection_functions::call,
    crate::misc_functions::call,
    crate::random_functions::call,
];

/// True when `name` is an aggregate, so `df.select(sum("x"))` plans as an aggregation.
pub fn is_aggregate_function(registry: &dyn FunctionRegistry, name: &str) -> bool {
    let name = canonical_name(name);
    matches!(
        name.as_str(),
        "count"
            | "count_distinct"
            | "countdistinct"
            | "mean"
            | "std"
            | "listagg"
            | "listagg_distinct"
            | "string_agg_distinct"
            | "try_avg"
            | "grouping_id"
    ) || registry.udaf(&name).is_ok()
}

fn canonical_name(name: &str) -> String {
    name.to_ascii_lowercase()
}

pub(crate) fn expect_count(name: &str, args: &[Expr], expected: usize) -> FunctionResult<()> {
    if args.len() == expected {
        Ok(())
    } else {
        Err(FunctionError::WrongArgumentCount {
            name: name.to_string(),
            expected: expected.to_string(),
            actual: args.len(),
        })
    }
}

pub(crate) fn first_argument(name: &str, args: Vec<Expr>) -> FunctionResult<Expr> {
    expect_count(name, &args, 1)?;
    args.into_iter()
        .next()
        .ok_or_else(|| FunctionError::UnknownFunction(name.into()))
}

pub(crate) fn two_arguments(name: &str, args: Vec<Expr>) -> FunctionResult<(Expr, Expr)> {
    expect_count(name, &args, 2)?;
    let mut iter = args.into_iter();
    match (iter.next(), iter.next()) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(FunctionError::UnknownFunction(name.into())),
    }
}

/// Builds the DataFusion expression for a Spark function call. `types` are the resolved
/// argument types, in order.
pub fn call_function(
    registry: &dyn FunctionRegistry,
    name: &str,
    args: Vec<Expr>,
    types: &[DataType],
    is_distinct: bool,
) -> FunctionResult<Expr> {
    let lower = canonical_name(name);
    if lower == "-" && args.len() == 1 {
        return Ok(Expr::Negative(Box::new(first_argument(name, args)?)));
    }
    if let Some(op) = binary_operator(&lower) {
        let (left, right) = two_arguments(name, args)?;
        if let Some(scaled) =
            crate::interval_scale::scaled_interval(registry, op, false, &left, &right, types)?
        {
            return Ok(scaled);
        }
        if let Some(elapsed) = crate::time_functions::time_minus_time(op, &left, &right, types) {
            return Ok(elapsed);
        }
        if let Some(shifted) = date_plus_days(registry, op, &left, &right, types)? {
            return Ok(shifted);
        }
        if let (Some(lt), Some(rt)) = (types.first(), types.get(1)) {
            if let Some(checked) = crate::checked_arithmetic::checked_integer_arithmetic(
                false, op, &left, &right, lt, rt,
            ) {
                return Ok(checked);
            }
        }
        return Ok(binary_expr(left, op, right));
    }
    let mut args =
        match crate::aggregates::decimal_average(registry, &lower, args, types, is_distinct)? {
            Ok(average) => return Ok(average),
            Err(args) => args,
        };
    // `listagg(DISTINCT x)` arrives as listagg with the flag; families see the name only.
    let lower = match lower.as_str() {
        "listagg" | "string_agg" if is_distinct => format!("{lower}_distinct"),
        _ => lower,
    };
    for family in FAMILIES {
        // A family hands the arguments back when the name is not one of its own.
        match family(registry, &lower, args, types)? {
            Ok(expr) => return Ok(expr),
            Err(unused) => args = unused,
        }
    }
    let expr = match lower.as_str() {
        "/" => {
            let (left, right) = two_arguments(name, args)?;
            if let Some(scaled) = crate::interval_scale::scaled_interval(
                registry,
                Operator::Divide,
                false,
                &left,
                &right,
                types,
            )? {
                return Ok(scaled);
            }
            let (lt, rt) = (types.first().cloned(), types.get(1).cloned());
            divide(
                left,
                right,
                &lt.unwrap_or(DataType::Null),
                &rt.unwrap_or(DataType::Null),
            )
        }
        "map" | "create_map" => {
            // Spark's map(k1, v1, k2, v2, ...) is DataFusion's map([k1, k2], [v1, v2]).
            if !args.len().is_multiple_of(2) {
                return Err(FunctionError::WrongArgumentCount {
                    name: name.to_string(),
                    expected: "an even number of".into(),
                    actual: args.len(),
                });
            }
            let (mut keys, mut values) = (Vec::new(), Vec::new());
            for (index, argument) in args.into_iter().enumerate() {
                if index.is_multiple_of(2) {
                    keys.push(argument);
                } else {
                    values.push(argument);
                }
            }
            let make_array = datafusion::functions_nested::expr_fn::make_array;
            // `map_from_arrays` follows `spark.sql.mapKeyDedupPolicy` for repeated keys.
            call_registry(
                registry,
                "map_from_arrays",
                vec![make_array(keys), make_array(values)],
            )?
        }
        "element_at" if matches!(types.first(), Some(DataType::Map(..))) => {
            // The value under the key, or NULL when the map lacks it.
            let (map, key) = two_arguments(name, args)?;
            let values = datafusion::functions_nested::expr_fn::map_extract(map, key);
            datafusion::functions_nested::expr_fn::array_element(values, lit(1i64))
        }
        "element_at"
            if matches!(
                types.first(),
                Some(DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..))
            ) =>
        {
            // 1-based, negative counts from the end, as DataFusion's array_element.
            let (array, index) = two_arguments(name, args)?;
            datafusion::functions_nested::expr_fn::array_element(
                array,
                cast(index, DataType::Int64),
            )
        }
        "date_trunc" if matches!(types.get(1), Some(DataType::Date32)) => {
            // Spark truncates a DATE as the TIMESTAMP at its midnight.
            let (unit, date) = two_arguments(name, args)?;
            let timestamp = cast(
                date,
                DataType::Timestamp(
                    datafusion::arrow::datatypes::TimeUnit::Microsecond,
                    Some("UTC".into()),
                ),
            );
            call_registry(registry, "date_trunc", vec![unit, timestamp])?
        }
        "sqrt" => {
            // Spark's sqrt is over DOUBLE and gives NaN below zero, never an error.
            // DataFusion's sqrt refuses negative input, so only magnitudes reach it.
            let value = cast(first_argument(name, args)?, DataType::Float64);
            let root = datafusion::functions::math::expr_fn::sqrt(
                datafusion::functions::math::expr_fn::abs(value.clone()),
            );
            when(value.lt(lit(0.0f64)), lit(f64::NAN)).otherwise(root)?
        }
        "div" => {
            // Integral division: the quotient truncated toward zero, as BIGINT.
            let (left, right) = two_arguments(name, args)?;
            let (lt, rt) = (
                types.first().cloned().unwrap_or(DataType::Null),
                types.get(1).cloned().unwrap_or(DataType::Null),
            );
            if lt.is_integer() && rt.is_integer() {
                binary_expr(
                    cast(left, DataType::Int64),
                    Operator::Divide,
                    cast(right, DataType::Int64),
                )
            } else {
                cast(divide(left, right, &lt, &rt), DataType::Int64)
            }
        }
        "try_divide" => {
            // NULL where the divisor is zero, instead of an error.
            let (left, right) = two_arguments(name, args)?;
            if let Some(scaled) = crate::interval_scale::scaled_interval(
                registry,
                Operator::Divide,
                true,
                &left,
                &right,
                types,
            )? {
                return Ok(scaled);
            }
            let (lt, rt) = (types.first().cloned(), types.get(1).cloned());
            let zero = cast(lit(0i32), rt.clone().unwrap_or(DataType::Int32));
            let divisor = call_registry(registry, "nullif", vec![right, zero])?;
            divide(
                left,
                divisor,
                &lt.unwrap_or(DataType::Null),
                &rt.unwrap_or(DataType::Null),
            )
        }
        // The interval kernel gives NULL where a field overflows, which is what the try_
        // form promises.
        "try_make_interval" if args.len() <= 7 => {
            let mut args = args;
            args.resize(7, lit(0i32));
            call_registry(registry, "make_interval", args)?
        }
        "make_ym_interval" if args.len() <= 2 => {
            let mut args = args;
            args.resize(2, lit(0i32));
            call_registry(registry, "make_ym_interval", args)?
        }
        "not" => not(first_argument(name, args)?),
        "negative" => Expr::Negative(Box::new(first_argument(name, args)?)),
        "positive" => first_argument(name, args)?,
        "isnull" => first_argument(name, args)?.is_null(),
        "isnotnull" => first_argument(name, args)?.is_not_null(),
        "isnan" => {
            let value = first_argument(name, args)?;
            call_registry(registry, "isnan", vec![value])?
        }
        "in" => {
            let mut iter = args.into_iter();
            let value = iter
                .next()
                .ok_or_else(|| FunctionError::WrongArgumentCount {
                    name: "in".into(),
                    expected: "> 0".into(),
                    actual: 0,
                })?;
            in_list(value, iter.collect(), false)
        }
        "between" => {
            let mut iter = args.into_iter();
            match (iter.next(), iter.next(), iter.next()) {
                (Some(v), Some(low), Some(high)) => v.between(low, high),
                _ => {
                    return Err(FunctionError::WrongArgumentCount {
                        name: "between".into(),
                        expected: "3".into(),
                        actual: 0,
                    })
                }
            }
        }
        "like" => {
            let (value, pattern) = two_arguments(name, args)?;
            value.like(pattern)
        }
        "ilike" => {
            let (value, pattern) = two_arguments(name, args)?;
            value.ilike(pattern)
        }
        "rlike" | "regexp" | "regexp_like" => {
            let (value, pattern) = two_arguments(name, args)?;
            binary_expr(value, Operator::RegexMatch, pattern)
        }
        "when" | "case_when" => case_when(args)?,
        "if" | "iff" => {
            expect_count(name, &args, 3)?;
            let mut iter = args.into_iter();
            match (iter.next(), iter.next(), iter.next()) {
                (Some(c), Some(t), Some(e)) => when(c, t).otherwise(e)?,
                _ => return Err(FunctionError::UnknownFunction(name.into())),
            }
        }
        "coalesce" => coalesce(args),
        "nvl" | "ifnull" => {
            let (a, b) = two_arguments(name, args)?;
            coalesce(vec![a, b])
        }
        "count" => count(args, is_distinct),
        "count_distinct" | "countdistinct" => count(args, true),
        "mean" => aggregate_call(registry, "avg", args, is_distinct)?,
        "std" | "stddev" => aggregate_call(registry, "stddev", args, is_distinct)?,
        "sumdistinct" | "sum_distinct" => aggregate_call(registry, "sum", args, true)?,
        "approx_count_distinct" => count(args.into_iter().take(1).collect(), true),
        "first" | "first_value" => first_last(registry, "first_value", args)?,
        "last" | "last_value" => first_last(registry, "last_value", args)?,
        "substr" => call_registry(registry, "substring", args)?,
        "~" => call_registry(registry, "bitwise_not", args)?,
        "e" if args.is_empty() => lit(std::f64::consts::E),
        "equal_null" => {
            let (left, right) = two_arguments(name, args)?;
            binary_expr(left, Operator::IsNotDistinctFrom, right)
        }
        "every" | "bool_and" => aggregate_call(registry, "bool_and", args, is_distinct)?,
        "some" | "any" | "bool_or" => aggregate_call(registry, "bool_or", args, is_distinct)?,
        "count_if" => {
            let condition = first_argument(name, args)?;
            count(vec![when(condition, lit(1i32)).end()?], false)
        }
        "array_size" => call_registry(registry, "cardinality", args)?,
        "current_database" | "current_schema" if args.is_empty() => lit("default"),
        "current_catalog" if args.is_empty() => lit("spark_catalog"),
        "date_add" | "date_sub" | "add_months" | "dateadd" => {
            // A date given as text is read as a date first, as Spark's coercion does.
            let mut args = args;
            if let (Some(first), Some(DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)) =
                (args.first_mut(), types.first())
            {
                *first = cast(first.clone(), DataType::Date32);
            }
            let target = if lower == "dateadd" {
                "date_add"
            } else {
                lower.as_str()
            };
            call_registry(registry, target, args)?
        }
        "factorial" => {
            let value = first_argument(name, args)?;
            call_registry(registry, "factorial", vec![cast(value, DataType::Int32)])?
        }
        "startswith" => call_registry(registry, "starts_with", args)?,
        "sort_array" => {
            // Spark's second argument is `asc` (a boolean); DataFusion's is 'ASC'/'DESC'.
            let mut iter = args.into_iter();
            let array = iter
                .next()
                .ok_or_else(|| FunctionError::WrongArgumentCount {
                    name: "sort_array".into(),
                    expected: "1 or 2".into(),
                    actual: 0,
                })?;
            let descending = matches!(
                iter.next(),
                Some(Expr::Literal(ScalarValue::Boolean(Some(false)), _))
            );
            let (order, nulls) = if descending {
                ("DESC", "NULLS LAST")
            } else {
                ("ASC", "NULLS FIRST")
            };
            call_registry(registry, "array_sort", vec![array, lit(order), lit(nulls)])?
        }
        "endswith" => call_registry(registry, "ends_with", args)?,
        "ucase" => call_registry(registry, "upper", args)?,
        // Spark's sign is a double whatever the input.
        "sign" | "signum" => {
            let value = first_argument(name, args)?;
            call_registry(registry, "signum", vec![cast(value, DataType::Float64)])?
        }
        "variance" | "var_samp" => aggregate_call(registry, "var_samp", args, is_distinct)?,
        // A bit per grouping key, the first key highest; no keys means all of them (the
        // resolver fills them in once it knows the grouping).
        "grouping_id" => cast(
            aggregate_call(registry, "grouping", args, false)?,
            DataType::Int64,
        ),
        "max_by" | "min_by" => value_at_extreme(registry, name, args, lower == "max_by")?,
        // Spark 4 (ANSI) gives NULL for the size of a NULL array or map, not -1.
        "size" | "cardinality" => {
            let value = first_argument(name, args)?;
            when(
                value.clone().is_null(),
                Expr::Literal(ScalarValue::Int32(None), None),
            )
            .otherwise(call_registry(registry, "size", vec![value])?)?
        }
        "lcase" => call_registry(registry, "lower", args)?,
        "day" | "dayofmonth" => date_part(registry, "day", args)?,
        "year" | "month" | "hour" | "minute" | "second" | "quarter" => {
            date_part(registry, &lower, args)?
        }
        "dayofweek" => {
            // Spark counts Sunday as 1; DataFusion's `dow` counts it as 0.
            binary_expr(date_part(registry, "dow", args)?, Operator::Plus, lit(1i32))
        }
        "dayofyear" => date_part(registry, "doy", args)?,
        "weekofyear" => date_part(registry, "week", args)?,
        "to_date" => to_date(registry, args)?,
        "current_timestamp" | "now" => call_registry(registry, "now", args)?,
        // The pandas API's index: consecutive from 0 in the order rows come.
        "distributed_sequence_id" if args.is_empty() => binary_expr(
            cast(window_call(registry, "row_number", args)?, DataType::Int64),
            Operator::Minus,
            lit(1i64),
        ),
        "row_number" | "rank" | "dense_rank" | "percent_rank" | "cume_dist" | "ntile" | "lag"
        | "lead" | "nth_value" => window_call(registry, &lower, args)?,
        _ => registry_call(registry, &lower, args, is_distinct)?,
    };
    Ok(expr)
}

fn case_when(args: Vec<Expr>) -> FunctionResult<Expr> {
    let mut iter = args.into_iter();
    let mut branches = Vec::new();
    let mut otherwise = None;
    loop {
        match (iter.next(), iter.next()) {
            (Some(condition), Some(value)) => branches.push((condition, value)),
            (Some(default), None) => {
                otherwise = Some(default);
                break;
            }
            _ => break,
        }
    }
    let mut branches = branches.into_iter();
    let Some((condition, value)) = branches.next() else {
        return Err(FunctionError::WrongArgumentCount {
            name: "when".into(),
            expected: "> 1".into(),
            actual: 0,
        });
    };
    let mut builder = when(condition, value);
    for (condition, value) in branches {
        builder = builder.when(condition, value);
    }
    Ok(match otherwise {
        Some(default) => builder.otherwise(default)?,
        None => builder.end()?,
    })
}

fn count(args: Vec<Expr>, is_distinct: bool) -> Expr {
    // count(*) arrives with the star already replaced by a literal 1.
    let args = if args.is_empty() {
        vec![lit(1i32)]
    } else {
        args
    };
    if is_distinct {
        if args.len() == 1 {
            let mut iter = args.into_iter();
            return aggregate::count_distinct(iter.next().unwrap_or(lit(1i32)));
        }
        // count(DISTINCT a, b) counts rows where every argument is non-null.
        let all_present = args
            .iter()
            .cloned()
            .map(|a| a.is_not_null())
            .reduce(|a, b| a.and(b))
            .unwrap_or(lit(true));
        let tuple = datafusion::functions::expr_fn::named_struct(
            args.into_iter()
                .enumerate()
                .flat_map(|(i, a)| [lit(format!("c{i}")), a])
                .collect(),
        );
        let guarded = when(all_present, tuple)
            .end()
            .unwrap_or(lit(ScalarValue::Null));
        return aggregate::count_distinct(guarded);
    }
    if args.len() > 1 {
        let all_present = args
            .into_iter()
            .map(|a| a.is_not_null())
            .reduce(|a, b| a.and(b))
            .unwrap_or(lit(true));
        let guarded = when(all_present, lit(1i32))
            .end()
            .unwrap_or(lit(ScalarValue::Null));
        return aggregate::count(guarded);
    }
    aggregate::count(args.into_iter().next().unwrap_or(lit(1i32)))
}

fn first_last(
    registry: &dyn FunctionRegistry,
    name: &str,
    mut args: Vec<Expr>,
) -> FunctionResult<Expr> {
    // Spark's optional second argument is `ignoreNulls`.
    let ignore_nulls = match args.get(1) {
        Some(Expr::Literal(ScalarValue::Boolean(Some(flag)), _)) => *flag,
        _ => false,
    };
    args.truncate(1);
    let udaf = registry.udaf(name)?;
    let null_treatment = if ignore_nulls {
        Some(datafusion::sql::sqlparser::ast::NullTreatment::IgnoreNulls.into())
    } else {
        None
    };
    Ok(Expr::AggregateFunction(AggregateFunction::new_udf(
        udaf,
        args,
        false,
        None,
        vec![],
        null_treatment,
    )))
}

/// A field of a date or timestamp; a timestamp's fields are those of its wall clock in the
/// session time zone.
pub(crate) fn date_part(
    registry: &dyn FunctionRegistry,
    part: &str,
    args: Vec<Expr>,
) -> FunctionResult<Expr> {
    let value = first_argument(part, args)?;
    let value = call_registry(registry, crate::session_time::LOCAL_TIME, vec![value])?;
    let extracted = datafusion::functions::expr_fn::date_part(lit(part), value);
    Ok(cast(extracted, DataType::Int32))
}

fn to_date(registry: &dyn FunctionRegistry, args: Vec<Expr>) -> FunctionResult<Expr> {
    match args.len() {
        1 => Ok(cast(
            args.into_iter().next().unwrap_or(lit(ScalarValue::Null)),
            DataType::Date32,
        )),
        _ => {
            let parsed = call_registry(registry, "to_timestamp", spark_format_args(args))?;
            Ok(cast(parsed, DataType::Date32))
        }
    }
}

/// Spark's datetime patterns (`yyyy-MM-dd HH:mm:ss`) in chrono's form (`%Y-%m-%d %H:%M:%S`).
pub(crate) fn spark_pattern_to_chrono(pattern: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut run = 1;
        while i + run < chars.len() && chars[i + run] == c {
            run += 1;
        }
        let piece = match (c, run) {
            ('y', 2) => "%y".to_string(),
            ('y', _) => "%Y".to_string(),
            ('M', 1) | ('M', 2) => "%m".to_string(),
            ('M', 3) => "%b".to_string(),
            ('M', _) => "%B".to_string(),
            ('d', _) => "%d".to_string(),
            ('H', _) => "%H".to_string(),
            ('h', _) => "%I".to_string(),
            ('m', _) => "%M".to_string(),
            ('s', _) => "%S".to_string(),
            ('S', n) => format!("%{n}f"),
            ('a', _) => "%p".to_string(),
            ('E', 1..=3) => "%a".to_string(),
            ('E', _) => "%A".to_string(),
            ('X', _) | ('Z', _) => "%z".to_string(),
            ('\'', _) => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '\'' {
                    out.push(chars[j]);
                    j += 1;
                }
                i = j + 1;
                continue;
            }
            (other, n) => std::iter::repeat_n(other, n).collect(),
        };
        out.push_str(&piece);
        i += run;
    }
    out
}

fn spark_format_args(args: Vec<Expr>) -> Vec<Expr> {
    args.into_iter()
        .enumerate()
        .map(|(i, a)| match (i, a) {
            (1, Expr::Literal(ScalarValue::Utf8(Some(p)), _)) => lit(spark_pattern_to_chrono(&p)),
            (_, a) => a,
        })
        .collect()
}

/// `DATE ± INTERVAL n DAY`: Spark keeps the result a date, moved by whole days.
fn date_plus_days(
    registry: &dyn FunctionRegistry,
    op: Operator,
    left: &Expr,
    right: &Expr,
    types: &[DataType],
) -> FunctionResult<Option<Expr>> {
    let (date, interval) = match (types.first(), types.get(1), op) {
        (Some(DataType::Date32), Some(DataType::Duration(_)), Operator::Plus | Operator::Minus) => {
            (left, right)
        }
        (Some(DataType::Duration(_)), Some(DataType::Date32), Operator::Plus) => (right, left),
        _ => return Ok(None),
    };
    let Some(DataType::Duration(unit)) = types.iter().find(|t| matches!(t, DataType::Duration(_)))
    else {
        return Ok(None);
    };
    let per_day: i64 = match unit {
        datafusion::arrow::datatypes::TimeUnit::Second => 86_400,
        datafusion::arrow::datatypes::TimeUnit::Millisecond => 86_400_000,
        datafusion::arrow::datatypes::TimeUnit::Microsecond => 86_400_000_000,
        datafusion::arrow::datatypes::TimeUnit::Nanosecond => 86_400_000_000_000,
    };
    let days = cast(
        binary_expr(
            cast(interval.clone(), DataType::Int64),
            Operator::Divide,
            lit(per_day),
        ),
        DataType::Int32,
    );
    let function = if op == Operator::Minus {
        "date_sub"
    } else {
        "date_add"
    };
    call_registry(registry, function, vec![date.clone(), days]).map(Some)
}

pub(crate) fn call_registry(
    registry: &dyn FunctionRegistry,
    name: &str,
    args: Vec<Expr>,
) -> FunctionResult<Expr> {
    let udf = registry
        .udf(name)
        .map_err(|_| FunctionError::UnknownFunction(name.into()))?;
    Ok(Expr::ScalarFunction(ScalarFunction::new_udf(udf, args)))
}

pub(crate) fn aggregate_call(
    registry: &dyn FunctionRegistry,
    name: &str,
    args: Vec<Expr>,
    is_distinct: bool,
) -> FunctionResult<Expr> {
    let udaf = registry
        .udaf(name)
        .map_err(|_| FunctionError::UnknownFunction(name.into()))?;
    Ok(Expr::AggregateFunction(AggregateFunction::new_udf(
        udaf,
        args,
        is_distinct,
        None,
        vec![],
        None,
    )))
}

/// `max_by(x, y)` / `min_by(x, y)`: the `x` of the row with the largest (smallest) `y`,
/// ignoring rows whose `y` is NULL.
fn value_at_extreme(
    registry: &dyn FunctionRegistry,
    name: &str,
    args: Vec<Expr>,
    largest: bool,
) -> FunctionResult<Expr> {
    let [value, ordering]: [Expr; 2] =
        args.try_into()
            .map_err(|args: Vec<Expr>| FunctionError::WrongArgumentCount {
                name: name.into(),
                expected: "2".into(),
                actual: args.len(),
            })?;
    let udaf = registry
        .udaf("first_value")
        .map_err(|_| FunctionError::UnknownFunction("first_value".into()))?;
    Ok(Expr::AggregateFunction(AggregateFunction::new_udf(
        udaf,
        vec![value],
        false,
        Some(Box::new(ordering.clone().is_not_null())),
        vec![ordering.sort(!largest, false)],
        None,
    )))
}

fn window_call(
    registry: &dyn FunctionRegistry,
    name: &str,
    mut args: Vec<Expr>,
) -> FunctionResult<Expr> {
    let udwf = registry
        .udwf(name)
        .map_err(|_| FunctionError::UnknownFunction(name.into()))?;
    // `nth_value(x, n, ignoreNulls)` and `lag`/`lead(x, offset, default, ignoreNulls)` end
    // with the flag; DataFusion takes it as the call's null treatment.
    let flag_at = match name {
        "nth_value" => Some(2),
        "lag" | "lead" => Some(3),
        _ => None,
    };
    let mut ignore_nulls = false;
    if flag_at.is_some_and(|at| args.len() == at + 1) {
        if let Some(Expr::Literal(ScalarValue::Boolean(flag), _)) = args.last() {
            ignore_nulls = flag.unwrap_or(false);
            args.pop();
        }
    }
    let mut function = WindowFunction::new(Arc::clone(&udwf), args);
    if ignore_nulls {
        function.params.null_treatment =
            Some(datafusion::sql::sqlparser::ast::NullTreatment::IgnoreNulls.into());
    }
    Ok(Expr::WindowFunction(Box::new(function)))
}

fn registry_call(
    registry: &dyn FunctionRegistry,
    name: &str,
    args: Vec<Expr>,
    is_distinct: bool,
) -> FunctionResult<Expr> {
    if let Ok(udf) = registry.udf(name) {
        let args = if matches!(name, "to_timestamp") {
            spark_format_args(args)
        } else {
            args
        };
        return Ok(Expr::ScalarFunction(ScalarFunction::new_udf(udf, args)));
    }
    if registry.udaf(name).is_ok() {
        return aggregate_call(registry, name, args, is_distinct);
    }
    if registry.udwf(name).is_ok() {
        return window_call(registry, name, args);
    }
    Err(FunctionError::UnknownFunction(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::spark_pattern_to_chrono;

    #[test]
    fn converts_spark_datetime_patterns() {
        assert_eq!(
            spark_pattern_to_chrono("yyyy-MM-dd HH:mm:ss"),
            "%Y-%m-%d %H:%M:%S"
        );
        assert_eq!(spark_pattern_to_chrono("dd/MM/yy"), "%d/%m/%y");
        assert_eq!(spark_pattern_to_chrono("yyyy-MM-dd'T'HH"), "%Y-%m-%dT%H");
    }
}
