//! Spark 4's ANSI integer arithmetic: `+`, `-` and `*` on integers raise ARITHMETIC_OVERFLOW
//! instead of wrapping around. Both sides are widened to the wider integer type first, as
//! Spark's type coercion does.

use datafusion::arrow::array::{ArrayRef, AsArray, Int64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::compute::kernels::numeric::{add, mul, sub};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::logical_expr::{Expr, Operator};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Arithmetic {
    Add,
    Subtract,
    Multiply,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CheckedArithmetic {
    operation: Arithmetic,
    /// `try_add` and friends: NULL where the result overflows, instead of an error.
    null_on_overflow: bool,
    signature: Signature,
}

/// The wider of two integer types, Spark's result type for integer arithmetic.
fn wider(a: &DataType, b: &DataType) -> DataType {
    let rank = |t: &DataType| match t {
        DataType::Int8 => 1,
        DataType::Int16 => 2,
        DataType::Int32 => 3,
        _ => 4,
    };
    if rank(a) >= rank(b) {
        a.clone()
    } else {
        b.clone()
    }
}

fn spark_type_name(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Int8 => "tinyint",
        DataType::Int16 => "smallint",
        DataType::Int32 => "int",
        _ => "long",
    }
}

impl ScalarUDFImpl for CheckedArithmetic {
    fn name(&self) -> &str {
        match (self.operation, self.null_on_overflow) {
            (Arithmetic::Add, false) => "ansi_add",
            (Arithmetic::Subtract, false) => "ansi_subtract",
            (Arithmetic::Multiply, false) => "ansi_multiply",
            (Arithmetic::Add, true) => "try_add",
            (Arithmetic::Subtract, true) => "try_subtract",
            (Arithmetic::Multiply, true) => "try_multiply",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [a, b] = arg_types else {
            return plan_err!("{} takes two integers", self.name());
        };
        let common = wider(a, b);
        Ok(vec![common.clone(), common])
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [a, b] => Ok(wider(a, b)),
            _ => plan_err!("{} takes two integers", self.name()),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [left, right] = arrays.as_slice() else {
            return exec_err!("{} takes two integers", self.name());
        };
        if self.null_on_overflow {
            return Ok(ColumnarValue::Array(self.tolerant(left, right)?));
        }
        let (result, try_name) = match self.operation {
            Arithmetic::Add => (add(left, right), "try_add"),
            Arithmetic::Subtract => (sub(left, right), "try_subtract"),
            Arithmetic::Multiply => (mul(left, right), "try_multiply"),
        };
        match result {
            Ok(values) => Ok(ColumnarValue::Array(values)),
            Err(datafusion::arrow::error::ArrowError::ArithmeticOverflow(_)) => exec_err!(
                "[ARITHMETIC_OVERFLOW] {} overflow. Use '{try_name}' to tolerate overflow and return NULL instead. If necessary set \"spark.sql.ansi.enabled\" to \"false\" to bypass this error. SQLSTATE: 22003",
                spark_type_name(left.data_type())
            ),
            Err(other) => Err(other.into()),
        }
    }
}

impl CheckedArithmetic {
    /// Row by row in 64 bits; a result outside the output type's range becomes NULL.
    fn tolerant(&self, left: &ArrayRef, right: &ArrayRef) -> Result<ArrayRef> {
        let output = left.data_type().clone();
        let wide = |a: &ArrayRef| -> Result<Int64Array> {
            Ok(cast(a, &DataType::Int64)?
                .as_primitive::<Int64Type>()
                .clone())
        };
        let (left64, right64) = (wide(left)?, wide(right)?);
        let (low, high) = match output {
            DataType::Int8 => (i64::from(i8::MIN), i64::from(i8::MAX)),
            DataType::Int16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
            DataType::Int32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => (i64::MIN, i64::MAX),
        };
        let result: Int64Array = left64
            .iter()
            .zip(right64.iter())
            .map(|(a, b)| {
                let (a, b) = (a?, b?);
                let value = match self.operation {
                    Arithmetic::Add => a.checked_add(b),
                    Arithmetic::Subtract => a.checked_sub(b),
                    Arithmetic::Multiply => a.checked_mul(b),
                }?;
                (low..=high).contains(&value).then_some(value)
            })
            .collect();
        Ok(cast(&result, &output)?)
    }
}

/// `left op right` with overflow checks when both sides are integers; None otherwise.
/// With `null_on_overflow` an overflowing row is NULL (`try_add`), else an error.
pub fn checked_integer_arithmetic(
    null_on_overflow: bool,
    op: Operator,
    left: &Expr,
    right: &Expr,
    left_type: &DataType,
    right_type: &DataType,
) -> Option<Expr> {
    let is_signed_integer = |t: &DataType| {
        matches!(
            t,
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64
        )
    };
    if !is_signed_integer(left_type) || !is_signed_integer(right_type) {
        return None;
    }
    let operation = match op {
        Operator::Plus => Arithmetic::Add,
        Operator::Minus => Arithmetic::Subtract,
        Operator::Multiply => Arithmetic::Multiply,
        _ => return None,
    };
    let function = ScalarUDF::new_from_impl(CheckedArithmetic {
        operation,
        null_on_overflow,
        signature: Signature::user_defined(Volatility::Immutable),
    });
    Some(function.call(vec![left.clone(), right.clone()]))
}
