//! `bround` (banker's rounding, on the decimal digits a double prints as, as Spark rounds
//! through `BigDecimal`) and `conv` (number strings between bases, over 64-bit two's
//! complement like Spark's `NumberConverter`).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, PrimitiveArray, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int64Type};
use datafusion::common::{exec_err, plan_err, ScalarValue};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Bround {
    signature: Signature,
}

impl Bround {
    pub(crate) fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The `scale` argument: a constant, 0 when absent.
fn scale_argument(args: &[ColumnarValue]) -> Result<i32> {
    match args.get(1) {
        None => Ok(0),
        Some(ColumnarValue::Scalar(value)) => match value.cast_to(&DataType::Int32)? {
            ScalarValue::Int32(Some(scale)) => Ok(scale),
            _ => exec_err!("bround: the scale must not be null"),
        },
        Some(ColumnarValue::Array(_)) => {
            exec_err!("[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] bround's scale must be a constant")
        }
    }
}

/// Half-to-even rounding of `n` after dropping `digits` decimal digits, as a multiple of
/// 10^digits removed (the quotient).
fn half_even_quotient(n: i128, digits: u32) -> i128 {
    if digits > 38 {
        return 0;
    }
    let divisor = 10i128.pow(digits);
    let (q, r) = (n / divisor, (n % divisor).abs());
    let twice = r * 2;
    let away = twice > divisor || (twice == divisor && q % 2 != 0);
    if away {
        q + n.signum()
    } else {
        q
    }
}

pub(crate) fn bround_f64(x: f64, scale: i32) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    // The shortest digits that print as x, e.g. "2.125e0": Spark rounds those.
    let text = format!("{x:e}");
    let Some((mantissa, exponent)) = text.split_once('e') else {
        return x;
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return x;
    };
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let Ok(n) = digits.parse::<i128>() else {
        return x;
    };
    let places = digits.len() as i32 - 1 - exponent;
    if places <= scale {
        return x;
    }
    let dropped = (places - scale) as u32;
    let q = half_even_quotient(if negative { -n } else { n }, dropped);
    format!("{q}e{}", -scale).parse().unwrap_or(x)
}

fn bround_i64(x: i64, scale: i32) -> i64 {
    if scale >= 0 {
        return x;
    }
    let dropped = scale.unsigned_abs();
    if dropped > 18 {
        return 0;
    }
    let q = half_even_quotient(i128::from(x), dropped);
    (q * 10i128.pow(dropped)).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

impl ScalarUDFImpl for Bround {
    fn name(&self) -> &str {
        "bround"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let value = match arg_types.first() {
            Some(t) if t.is_integer() => DataType::Int64,
            Some(DataType::Decimal128(p, s)) => DataType::Decimal128(*p, *s),
            Some(t) if t.is_numeric() || t.is_null() => DataType::Float64,
            Some(t) => {
                return plan_err!(
                    "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] The first parameter of `bround` requires the \"NUMERIC\" type, however it has the type \"{t}\"."
                )
            }
            None => return plan_err!("bround takes a value and an optional scale"),
        };
        let mut types = vec![value];
        if arg_types.len() > 1 {
            types.push(DataType::Int32);
        }
        Ok(types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(t) => Ok(t.clone()),
            None => plan_err!("bround takes a value"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scale = scale_argument(&args.args)?;
        let Some(value) = args.args.first() else {
            return exec_err!("bround takes a value");
        };
        let values = value.to_array(args.number_rows)?;
        let out: ArrayRef = match values.data_type() {
            DataType::Int64 => Arc::new(
                values
                    .as_primitive::<Int64Type>()
                    .unary::<_, Int64Type>(|x| bround_i64(x, scale)),
            ),
            DataType::Decimal128(p, s) => {
                let dropped = i32::from(*s) - scale;
                let rounded: PrimitiveArray<Decimal128Type> = if dropped <= 0 {
                    values.as_primitive::<Decimal128Type>().clone()
                } else {
                    let factor = 10i128.pow(dropped.unsigned_abs().min(38));
                    values
                        .as_primitive::<Decimal128Type>()
                        .unary(|v| half_even_quotient(v, dropped.unsigned_abs()) * factor)
                };
                Arc::new(rounded.with_precision_and_scale(*p, *s)?)
            }
            _ => {
                let doubles = cast(&values, &DataType::Float64)?;
                let doubles: Float64Array = doubles
                    .as_primitive::<Float64Type>()
                    .unary(|x| bround_f64(x, scale));
                Arc::new(doubles)
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Conv {
    signature: Signature,
}

impl Conv {
    pub(crate) fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// `number` (digits in `from` base, optionally after a '-') in base `to`; a negative `to`
/// prints a signed result. None for bases outside 2..=36 or no input.
pub(crate) fn convert_base(number: &str, from: i32, to: i32) -> Option<String> {
    let (from_radix, to_radix) = (from.unsigned_abs(), to.unsigned_abs());
    if !(2..=36).contains(&from_radix) || !(2..=36).contains(&to_radix) || number.is_empty() {
        return None;
    }
    let (mut negative, digits) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number),
    };
    // Digits up to the first that is not one in `from`; an overflow saturates to all ones.
    let mut value: u64 = 0;
    for c in digits.chars() {
        let Some(d) = c.to_digit(36).filter(|d| *d < from_radix) else {
            break;
        };
        match value
            .checked_mul(u64::from(from_radix))
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => value = v,
            None => {
                value = u64::MAX;
                break;
            }
        }
    }
    let mut signed = value as i64;
    if negative && to > 0 {
        signed = if signed < 0 { -1 } else { -signed };
    }
    if to < 0 && signed < 0 {
        signed = signed.wrapping_neg();
        negative = true;
    }
    let mut magnitude = signed as u64;
    let mut out = Vec::new();
    loop {
        let digit = (magnitude % u64::from(to_radix)) as u32;
        out.push(char::from_digit(digit, to_radix)?.to_ascii_uppercase());
        magnitude /= u64::from(to_radix);
        if magnitude == 0 {
            break;
        }
    }
    if negative && to < 0 {
        out.push('-');
    }
    Some(out.into_iter().rev().collect())
}

impl ScalarUDFImpl for Conv {
    fn name(&self) -> &str {
        "conv"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != 3 {
            return plan_err!(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `conv` requires 3 parameters but the actual number is {}.",
                arg_types.len()
            );
        }
        Ok(vec![DataType::Utf8, DataType::Int32, DataType::Int32])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [numbers, from, to] = arrays.as_slice() else {
            return exec_err!("conv takes three arguments");
        };
        let numbers = numbers.as_string::<i32>();
        let (from, to) = (
            from.as_primitive::<datafusion::arrow::datatypes::Int32Type>(),
            to.as_primitive::<datafusion::arrow::datatypes::Int32Type>(),
        );
        let mut out = StringBuilder::new();
        for row in 0..numbers.len() {
            if numbers.is_null(row) || from.is_null(row) || to.is_null(row) {
                out.append_null();
                continue;
            }
            out.append_option(convert_base(
                numbers.value(row),
                from.value(row),
                to.value(row),
            ));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bround_rounds_half_to_even_on_printed_digits() {
        assert_eq!(bround_f64(2.5, 0), 2.0);
        assert_eq!(bround_f64(3.5, 0), 4.0);
        assert_eq!(bround_f64(-2.5, 0), -2.0);
        assert_eq!(bround_f64(2.125, 2), 2.12);
        assert_eq!(bround_f64(2.135, 2), 2.14);
        assert_eq!(bround_f64(1.23, 5), 1.23);
        assert_eq!(bround_i64(25, -1), 20);
        assert_eq!(bround_i64(35, -1), 40);
        assert_eq!(bround_i64(-25, -1), -20);
    }

    #[test]
    fn conv_follows_spark_number_converter() {
        assert_eq!(convert_base("100", 2, 10).as_deref(), Some("4"));
        assert_eq!(convert_base("-10", 16, -10).as_deref(), Some("-16"));
        assert_eq!(
            convert_base("-1", 10, 16).as_deref(),
            Some("FFFFFFFFFFFFFFFF")
        );
        assert_eq!(convert_base("ff", 16, 2).as_deref(), Some("11111111"));
        assert_eq!(convert_base("12z", 10, 10).as_deref(), Some("12"));
        assert_eq!(convert_base("1", 1, 10), None);
    }
}
