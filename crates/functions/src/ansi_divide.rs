//! Spark's ANSI `/` on doubles: a zero divisor raises DIVIDE_BY_ZERO instead of giving
//! Infinity or NaN; NULL on either side gives NULL.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::kernels::numeric::div;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::exec_err;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
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
