//! Random functions: `rand`/`random`, `randn`, `uniform` and `randstr`. Each draws from
//! Spark's XORShift generator seeded with `seed + partition index`, through a positional
//! placeholder the resolver turns into a `MarkRows` column; without a seed, one is picked.

use datafusion::arrow::datatypes::DataType;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{cast, lit, Expr};

use crate::catalog::{call_registry, first_argument};
use crate::{FunctionError, FunctionResult};

/// The expression for random function `name`; the arguments back when it is not one.
pub(crate) fn call(
    registry: &dyn FunctionRegistry,
    name: &str,
    args: Vec<Expr>,
    types: &[DataType],
) -> FunctionResult<Result<Expr, Vec<Expr>>> {
    let expr = match name {
        "rand" | "random" if args.len() == 1 => {
            let seed = cast(first_argument(name, args)?, DataType::Int64);
            call_registry(registry, crate::SEEDED_RAND, vec![seed])?
        }
        "uniform" if (2..=3).contains(&args.len()) => {
            let (low_type, high_type) = (
                types.first().cloned().unwrap_or(DataType::Null),
                types.get(1).cloned().unwrap_or(DataType::Null),
            );
            let result = uniform_type(&low_type, &high_type)?;
            let mut args = args.into_iter();
            let (Some(low), Some(high)) = (args.next(), args.next()) else {
                return Err(FunctionError::UnknownFunction(name.into()));
            };
            let seed = match args.next() {
                Some(seed) => cast(seed, DataType::Int64),
                None => lit(random_seed()),
            };
            let draw = call_registry(registry, crate::SEEDED_RAND, vec![seed])?;
            let low = cast(low, DataType::Float64);
            let high = cast(high, DataType::Float64);
            // Spark: min + (max - min) * rand(seed), cast to the arguments' type.
            cast(low.clone() + (high - low) * draw, result)
        }
        "randstr" if (1..=2).contains(&args.len()) => {
            let mut args = args.into_iter();
            let Some(length) = args.next() else {
                return Err(FunctionError::UnknownFunction(name.into()));
            };
            let seed = match args.next() {
                Some(seed) => cast(seed, DataType::Int64),
                None => lit(random_seed()),
            };
            call_registry(
                registry,
                crate::SEEDED_RANDSTR,
                vec![cast(length, DataType::Int32), seed],
            )?
        }
        "randn" => {
            // Without a seed, Spark picks one.
            let seed = match args.is_empty() {
                true => lit(random_seed()),
                false => cast(first_argument(name, args)?, DataType::Int64),
            };
            call_registry(registry, crate::SEEDED_RANDN, vec![seed])?
        }
        _ => return Ok(Err(args)),
    };
    Ok(Ok(expr))
}

/// A seed for a random function called without one, as Spark picks one per call.
fn random_seed() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or_default()
}

/// `uniform(min, max)`: integers give the wider integer type, otherwise a double (or a float
/// when that is the widest).
fn uniform_type(low: &DataType, high: &DataType) -> FunctionResult<DataType> {
    use DataType::*;
    let integral = |t: &DataType| matches!(t, Int8 | Int16 | Int32 | Int64);
    Ok(match (low, high) {
        (a, b) if integral(a) && integral(b) => {
            if matches!((a, b), (Int64, _) | (_, Int64)) {
                Int64
            } else if matches!((a, b), (Int32, _) | (_, Int32)) {
                Int32
            } else if matches!((a, b), (Int16, _) | (_, Int16)) {
                Int16
            } else {
                Int8
            }
        }
        (Float32, Float32)
        | (Float32, Int8 | Int16 | Int32 | Int64)
        | (Int8 | Int16 | Int32 | Int64, Float32) => Float32,
        (a, b) if a.is_numeric() && b.is_numeric() => Float64,
        (a, b) => {
            return Err(FunctionError::TypeMismatch(format!(
                "uniform needs numeric bounds, not {a} and {b}"
            )))
        }
    })
}
