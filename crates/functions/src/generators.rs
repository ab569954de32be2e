//! What the resolver needs to expand Spark's generators into rows: `ember_positions` pairs
//! each element of an array (entry of a map) with its 0-based position, the input of
//! `posexplode`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int32Array, ListArray, StructArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

pub const POSITIONS: &str = "ember_positions";

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Positions {
    signature: Signature,
}

impl Positions {
    pub(crate) fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

/// `pos` and then `col` for an array's elements, or `key` and `value` for a map's entries.
fn output_fields(input: &DataType) -> Result<Fields> {
    let position = Field::new("pos", DataType::Int32, false);
    match input {
        DataType::List(item) | DataType::LargeList(item) => Ok(Fields::from(vec![
            position,
            Field::new("col", item.data_type().clone(), true),
        ])),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(fields) if fields.len() == 2 => Ok(Fields::from(vec![
                position,
                Field::new("key", fields[0].data_type().clone(), false),
                Field::new("value", fields[1].data_type().clone(), true),
            ])),
            other => plan_err!("a map's entries are a struct, not {other}"),
        },
        other => plan_err!(
            "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] posexplode needs an array or a map, not {other}"
        ),
    }
}

impl ScalarUDFImpl for Positions {
    fn name(&self) -> &str {
        POSITIONS
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let Some(input) = arg_types.first() else {
            return plan_err!("{POSITIONS} takes one argument");
        };
        Ok(DataType::List(Arc::new(Field::new(
            "item",
            DataType::Struct(output_fields(input)?),
            true,
        ))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(input) = arrays.first() else {
            return exec_err!("{POSITIONS} takes one argument");
        };
        let fields = output_fields(input.data_type())?;
        // The same offsets and nulls; the values gain a position column.
        let (offsets, values, nulls): (OffsetBuffer<i32>, Vec<ArrayRef>, _) =
            match input.data_type() {
                DataType::List(_) => {
                    let list = input.as_list::<i32>();
                    (
                        list.offsets().clone(),
                        vec![Arc::clone(list.values())],
                        list.nulls().cloned(),
                    )
                }
                DataType::LargeList(_) => {
                    let list = input.as_list::<i64>();
                    let offsets: Vec<i32> = list.offsets().iter().map(|o| *o as i32).collect();
                    (
                        OffsetBuffer::new(offsets.into()),
                        vec![Arc::clone(list.values())],
                        list.nulls().cloned(),
                    )
                }
                DataType::Map(..) => {
                    let map = input.as_map();
                    (
                        map.offsets().clone(),
                        vec![Arc::clone(map.keys()), Arc::clone(map.values())],
                        map.nulls().cloned(),
                    )
                }
                other => return exec_err!("{POSITIONS} needs an array or a map, not {other}"),
            };
        let first = offsets.first().copied().unwrap_or(0);
        let last = offsets.last().copied().unwrap_or(0);
        let mut positions = vec![0i32; (last - first) as usize];
        for window in offsets.windows(2) {
            for (index, slot) in (window[0]..window[1]).enumerate() {
                positions[(slot - first) as usize] = index as i32;
            }
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(Int32Array::from(positions))];
        columns.extend(
            values
                .into_iter()
                .map(|v| v.slice(first as usize, (last - first) as usize)),
        );
        let shifted: Vec<i32> = offsets.iter().map(|o| o - first).collect();
        let entries = StructArray::try_new(fields.clone(), columns, None)?;
        let list = ListArray::try_new(
            Arc::new(Field::new("item", DataType::Struct(fields), true)),
            OffsetBuffer::new(shifted.into()),
            Arc::new(entries),
            nulls,
        )?;
        Ok(ColumnarValue::Array(Arc::new(list)))
    }
}
