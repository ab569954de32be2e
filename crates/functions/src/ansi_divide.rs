//! Spark's ANSI `/` on doubles: a zero divisor raises DIVIDE_BY_ZERO instead of giving
//! Infinity or NaN; NULL on either side gives NULL.

use datafusion::arrow::array::{Array, AsArray, Float64Array};
use datafusion::arrow::compute::kernels::numeric::div;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::exec_err;
use datafusion::common::types::{logical_float64, NativeType};
use datafusion::error::Result;
use datafusion::logical_expr::{
    Coercion, ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, TypeSignatureClass,
    Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct AnsiDivide {
    signature: Signature,
}

impl AnsiDivide {
    pub(crate) fn new() -> Self {
        AnsiDivide {
            signature: Signature::exact(
                vec![DataType::Float64, DataType::Float64],
                Volatility::Immutable,
            ),
        }
    }
}

impl ScalarUDFImpl for AnsiDivide {
    fn name(&self) -> &str {
        "ansi_divide"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [left, right] = arrays.as_slice() else {
            return exec_err!("ansi_divide takes two arguments");
        };
        let dividends = left.as_primitive::<Float64Type>();
        let divisors = right.as_primitive::<Float64Type>();
        let zero_divisor = (0..divisors.len())
            .any(|i| divisors.is_valid(i) && dividends.is_valid(i) && divisors.value(i) == 0.0);
        if zero_divisor {
            return exec_err!(
                "[DIVIDE_BY_ZERO] Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead. If necessary set \"spark.sql.ansi.enabled\" to \"false\" to bypass this error. SQLSTATE: 22012"
            );
        }
        Ok(ColumnarValue::Array(div(left, right)?))
    }
}

/// Spark's `try_divide` for SQL text: a zero divisor gives NULL. The DataFrame API builds
/// the same from `nullif` and `/`, keeping decimal types; SQL text reaches this UDF.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct TryDivide {
    signature: Signature,
}

impl TryDivide {
    pub(crate) fn new() -> Self {
        TryDivide {
            signature: Signature::coercible(
                vec![
                    Coercion::new_implicit(
                        TypeSignatureClass::Native(logical_float64()),
                        vec![TypeSignatureClass::Numeric],
                        NativeType::Float64,
                    ),
                    Coercion::new_implicit(
                        TypeSignatureClass::Native(logical_float64()),
                        vec![TypeSignatureClass::Numeric],
                        NativeType::Float64,
                    ),
                ],
                Volatility::Immutable,
            ),
        }
    }
}

impl ScalarUDFImpl for TryDivide {
    fn name(&self) -> &str {
        "try_divide"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [left, right] = arrays.as_slice() else {
            return exec_err!("try_divide takes two arguments");
        };
        let dividends = left.as_primitive::<Float64Type>();
        let divisors = right.as_primitive::<Float64Type>();
        let quotients: Float64Array = dividends
            .iter()
            .zip(divisors.iter())
            .map(|(a, b)| match (a, b) {
                (Some(a), Some(b)) if b != 0.0 => Some(a / b),
                _ => None,
            })
            .collect();
        Ok(ColumnarValue::Array(std::sync::Arc::new(quotients)))
    }
}
