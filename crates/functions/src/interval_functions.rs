//! `make_ym_interval(years, months)`: a year-month interval, counted in months as Spark
//! keeps it; an interval past an INT of months is an overflow.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, IntervalYearMonthBuilder};
use datafusion::arrow::datatypes::{DataType, Int32Type, IntervalUnit};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

pub const MAKE_YM_INTERVAL: &str = "make_ym_interval";

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct MakeYmInterval {
    signature: Signature,
}

impl MakeYmInterval {
    pub(crate) fn new() -> Self {
        MakeYmInterval {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for MakeYmInterval {
    fn name(&self) -> &str {
        MAKE_YM_INTERVAL
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        for t in arg_types {
            if !(t.is_integer() || t.is_null()) {
                return plan_err!(
                    "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] make_ym_interval needs integers, not {t}"
                );
            }
        }
        Ok(vec![DataType::Int32; arg_types.len()])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Interval(IntervalUnit::YearMonth))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (Some(years), Some(months)) = (arrays.first(), arrays.get(1)) else {
            return exec_err!("make_ym_interval takes years and months");
        };
        let (years, months) = (
            years.as_primitive::<Int32Type>(),
            months.as_primitive::<Int32Type>(),
        );
        let mut out = IntervalYearMonthBuilder::with_capacity(rows);
        for row in 0..rows {
            if years.is_null(row) || months.is_null(row) {
                out.append_null();
                continue;
            }
            let total = years
                .value(row)
                .checked_mul(12)
                .and_then(|m| m.checked_add(months.value(row)));
            match total {
                Some(total) => out.append_value(total),
                None => {
                    return exec_err!(
                        "[ARITHMETIC_OVERFLOW] integer overflow. Use 'try_add' to tolerate overflow and return NULL instead."
                    )
                }
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}
