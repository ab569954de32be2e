//! `ember_contains_null(array)`: whether an array holds a NULL element (NULL for a NULL
//! array). Spark's `flatten` and `arrays_overlap` answer NULL where one does.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::exec_err;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

pub const CONTAINS_NULL: &str = "ember_contains_null";

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct ContainsNull {
    signature: Signature,
}

impl ContainsNull {
    pub(crate) fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ContainsNull {
    fn name(&self) -> &str {
        CONTAINS_NULL
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some(value) = args.args.first() else {
            return exec_err!("{CONTAINS_NULL} takes an array");
        };
        let array = value.to_array(args.number_rows)?;
        let Some(lists) = array.as_list_opt::<i32>() else {
            return exec_err!("{CONTAINS_NULL} takes an array, not {}", array.data_type());
        };
        let out: BooleanArray = (0..lists.len())
            .map(|row| {
                if lists.is_null(row) {
                    return None;
                }
                let (start, end) = (
                    lists.value_offsets()[row] as usize,
                    lists.value_offsets()[row + 1] as usize,
                );
                let values = lists.values();
                Some((start..end).any(|i| values.is_null(i)))
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}
