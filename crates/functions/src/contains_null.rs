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

pub const ARRAYS_OVERLAP: &str = "ember_arrays_overlap";

/// Spark's `arrays_overlap(a, b)`: true when a non-NULL element is in both; otherwise NULL
/// when both are non-empty and either holds a NULL (it might match), else false. NULL when
/// either array is.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct ArraysOverlap {
    signature: Signature,
}

impl ArraysOverlap {
    pub(crate) fn new() -> Self {
        Self {
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ArraysOverlap {
    fn name(&self) -> &str {
        ARRAYS_OVERLAP
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use datafusion::arrow::row::{RowConverter, SortField};
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [left, right] = arrays.as_slice() else {
            return exec_err!("{ARRAYS_OVERLAP} takes two arrays");
        };
        let (Some(left), Some(right)) = (left.as_list_opt::<i32>(), right.as_list_opt::<i32>())
        else {
            return exec_err!("{ARRAYS_OVERLAP} takes two arrays");
        };
        let element = left.value_type();
        let right_values = if right.value_type() == element {
            Arc::clone(right.values())
        } else {
            datafusion::arrow::compute::cast(right.values(), &element)?
        };
        let converter = RowConverter::new(vec![SortField::new(element)])?;
        let left_rows = converter.convert_columns(&[Arc::clone(left.values())])?;
        let right_rows = converter.convert_columns(&[right_values])?;
        let range = |offsets: &[i32], row: usize| offsets[row] as usize..offsets[row + 1] as usize;
        let out: BooleanArray = (0..left.len())
            .map(|row| {
                if left.is_null(row) || right.is_null(row) {
                    return None;
                }
                let (l, r) = (
                    range(left.value_offsets(), row),
                    range(right.value_offsets(), row),
                );
                let mut seen = std::collections::HashSet::new();
                let mut has_null = false;
                for i in l.clone() {
                    if left.values().is_null(i) {
                        has_null = true;
                    } else {
                        seen.insert(left_rows.row(i));
                    }
                }
                for j in r.clone() {
                    if right.values().is_null(j) {
                        has_null = true;
                    } else if seen.contains(&right_rows.row(j)) {
                        return Some(true);
                    }
                }
                if has_null && !l.is_empty() && !r.is_empty() {
                    None
                } else {
                    Some(false)
                }
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}
