//! Spark's `raise_error(message)`: evaluating it on any row fails the query with the user's
//! message. It is volatile so the optimizer never evaluates it ahead of time, for example in
//! a CASE branch no row reaches.

use datafusion::arrow::array::{new_null_array, Array, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, ScalarValue};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct RaiseError {
    signature: Signature,
}

impl RaiseError {
    pub(crate) fn new() -> Self {
        RaiseError {
            signature: Signature::exact(vec![DataType::Utf8], Volatility::Volatile),
        }
    }
}

fn raise(message: Option<&str>) -> Result<ColumnarValue> {
    exec_err!(
        "[USER_RAISED_EXCEPTION] {} SQLSTATE: P0001",
        message.unwrap_or("null")
    )
}

impl ScalarUDFImpl for RaiseError {
    fn name(&self) -> &str {
        "raise_error"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Null)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match args.args.first() {
            Some(ColumnarValue::Scalar(ScalarValue::Utf8(message))) if args.number_rows > 0 => {
                raise(message.as_deref())
            }
            Some(ColumnarValue::Array(messages)) if !messages.is_empty() => {
                let messages = messages.as_string::<i32>();
                let first = (!messages.is_null(0)).then(|| messages.value(0));
                raise(first)
            }
            _ => Ok(ColumnarValue::Array(new_null_array(
                &DataType::Null,
                args.number_rows,
            ))),
        }
    }
}
