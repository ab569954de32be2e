//! Lists and maps as flat elements with their rows, and running a lambda over them.

use super::prelude::*;

/// The elements of a list or map column, packed: null rows hold no elements, and offsets
/// start at zero.
pub(super) struct Packed {
    pub(super) offsets: Vec<i32>,
    pub(super) nulls: Option<NullBuffer>,
    /// The list's values or the map's entries, only those of the rows.
    pub(super) values: ArrayRef,
}

impl Packed {
    pub(super) fn new(
        offsets: &OffsetBuffer<i32>,
        nulls: Option<&NullBuffer>,
        values: &ArrayRef,
    ) -> Result<Self> {
        let rows = offsets.len() - 1;
        let is_valid = |row: usize| nulls.is_none_or(|n| n.is_valid(row));
        let hides_elements = (0..rows).any(|row| !is_valid(row) && offsets[row + 1] > offsets[row]);
        let start = offsets[0];
        if !hides_elements {
            let end = offsets[rows];
            return Ok(Self {
                offsets: offsets.iter().map(|o| o - start).collect(),
                nulls: nulls.cloned(),
                values: values.slice(start as usize, (end - start) as usize),
            });
        }
        let mut packed = Vec::with_capacity(rows + 1);
        let mut indices = Vec::new();
        packed.push(0);
        for row in 0..rows {
            if is_valid(row) {
                indices.extend(offsets[row] as u32..offsets[row + 1] as u32);
            }
            packed.push(indices.len() as i32);
        }
        Ok(Self {
            offsets: packed,
            nulls: nulls.cloned(),
            values: take(values.as_ref(), &UInt32Array::from(indices), None)?,
        })
    }

    pub(super) fn list(array: &ArrayRef) -> Result<Self> {
        match array.data_type() {
            DataType::Null => Self::new(
                &OffsetBuffer::new_zeroed(array.len()),
                Some(&NullBuffer::new_null(array.len())),
                &new_null_array(&DataType::Null, 0),
            ),
            _ => match array.as_list_opt::<i32>() {
                Some(list) => Self::new(list.offsets(), list.nulls(), list.values()),
                None => exec_err!("expected an array, got {}", array.data_type()),
            },
        }
    }

    pub(super) fn map(array: &ArrayRef) -> Result<Self> {
        match array.as_map_opt() {
            Some(map) => {
                let entries: ArrayRef = Arc::new(map.entries().clone());
                Self::new(map.offsets(), map.nulls(), &entries)
            }
            None => exec_err!("expected a map, got {}", array.data_type()),
        }
    }

    pub(super) fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    pub(super) fn range(&self, row: usize) -> std::ops::Range<usize> {
        self.offsets[row] as usize..self.offsets[row + 1] as usize
    }

    pub(super) fn is_valid(&self, row: usize) -> bool {
        self.nulls.as_ref().is_none_or(|n| n.is_valid(row))
    }

    /// The row each element belongs to, to spread captured columns.
    pub(super) fn row_of_elements(&self) -> UInt32Array {
        (0..self.rows())
            .flat_map(|row| std::iter::repeat_n(row as u32, self.range(row).len()))
            .collect()
    }

    /// Each element's 0-based position in its row.
    pub(super) fn positions(&self) -> Int32Array {
        (0..self.rows())
            .flat_map(|row| 0..self.range(row).len() as i32)
            .collect()
    }

    pub(super) fn offset_buffer(&self) -> OffsetBuffer<i32> {
        OffsetBuffer::new(self.offsets.clone().into())
    }

    pub(super) fn entries(&self) -> Result<&StructArray> {
        match self.values.as_struct_opt() {
            Some(entries) => Ok(entries),
            None => exec_err!("expected map entries"),
        }
    }
}

/// Runs `lambda` over parallel parameter arrays whose element `i` belongs to row `rows[i]`.
pub(super) fn apply(
    lambda: &LambdaArgument,
    params: &[ArrayRef],
    rows: &UInt32Array,
) -> Result<ArrayRef> {
    type Param = Box<dyn Fn() -> Result<ArrayRef>>;
    let closures: Vec<Param> = params
        .iter()
        .map(|param| {
            let param = Arc::clone(param);
            Box::new(move || Ok(Arc::clone(&param))) as Param
        })
        .collect();
    let refs: Vec<&dyn Fn() -> Result<ArrayRef>> = closures.iter().map(|c| c.as_ref()).collect();
    lambda
        .evaluate(&refs, |captures| Ok(take_arrays(captures, rows, None)?))?
        .into_array(rows.len())
}

pub(super) fn list_field(return_type: &DataType) -> Result<FieldRef> {
    match return_type {
        DataType::List(item) => Ok(Arc::clone(item)),
        other => exec_err!("expected a list result, got {other}"),
    }
}

/// The rows of a predicate's result that are true; null counts as false, as in Spark.
pub(super) fn truths(predicate: &ArrayRef) -> Result<BooleanArray> {
    match predicate.as_boolean_opt() {
        Some(b) => Ok(match b.nulls() {
            Some(nulls) => BooleanArray::new(b.values() & nulls.inner(), None),
            None => b.clone(),
        }),
        None => exec_err!(
            "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] The lambda function must return a boolean, not {}",
            predicate.data_type()
        ),
    }
}

/// Offsets after keeping the elements `keep` marks.
pub(super) fn kept_offsets(packed: &Packed, keep: &BooleanArray) -> OffsetBuffer<i32> {
    let mut offsets = Vec::with_capacity(packed.rows() + 1);
    let mut total = 0i32;
    offsets.push(0);
    for row in 0..packed.rows() {
        total += packed.range(row).filter(|i| keep.value(*i)).count() as i32;
        offsets.push(total);
    }
    OffsetBuffer::new(offsets.into())
}
