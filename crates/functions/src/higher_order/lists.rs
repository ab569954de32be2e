//! The higher-order functions over arrays.

use super::prelude::*;

pub(super) fn transform(
    list: &ArrayRef,
    lambda: &LambdaArgument,
    return_type: &DataType,
) -> Result<ArrayRef> {
    let packed = Packed::list(list)?;
    let rows = packed.row_of_elements();
    let positions: ArrayRef = Arc::new(packed.positions());
    let out = apply(lambda, &[Arc::clone(&packed.values), positions], &rows)?;
    let field = list_field(return_type)?;
    let out = cast(&out, field.data_type())?;
    Ok(Arc::new(ListArray::try_new(
        field,
        packed.offset_buffer(),
        out,
        packed.nulls.clone(),
    )?))
}

pub(super) fn filter_list(list: &ArrayRef, lambda: &LambdaArgument) -> Result<ArrayRef> {
    let packed = Packed::list(list)?;
    if list.data_type() == &DataType::Null {
        return Ok(new_null_array(
            &DataType::new_list(DataType::Null, true),
            list.len(),
        ));
    }
    let rows = packed.row_of_elements();
    let positions: ArrayRef = Arc::new(packed.positions());
    let predicate = apply(lambda, &[Arc::clone(&packed.values), positions], &rows)?;
    let keep = truths(&predicate)?;
    let offsets = kept_offsets(&packed, &keep);
    let values = filter(packed.values.as_ref(), &keep)?;
    let field = list_field(list.data_type())?;
    Ok(Arc::new(ListArray::try_new(
        field,
        offsets,
        values,
        packed.nulls.clone(),
    )?))
}

pub(super) fn zip_with(
    left: &ArrayRef,
    right: &ArrayRef,
    lambda: &LambdaArgument,
    return_type: &DataType,
) -> Result<ArrayRef> {
    let left = Packed::list(left)?;
    let right = Packed::list(right)?;
    let mut offsets = vec![0i32];
    let mut rows = Vec::new();
    let mut left_index = Vec::new();
    let mut right_index = Vec::new();
    let mut valid = Vec::with_capacity(left.rows());
    for row in 0..left.rows() {
        let is_valid = left.is_valid(row) && right.is_valid(row);
        valid.push(is_valid);
        if is_valid {
            let (l, r) = (left.range(row), right.range(row));
            for k in 0..l.len().max(r.len()) {
                rows.push(row as u32);
                left_index.push((k < l.len()).then(|| (l.start + k) as u32));
                right_index.push((k < r.len()).then(|| (r.start + k) as u32));
            }
        }
        offsets.push(rows.len() as i32);
    }
    let xs = take(left.values.as_ref(), &UInt32Array::from(left_index), None)?;
    let ys = take(right.values.as_ref(), &UInt32Array::from(right_index), None)?;
    let out = apply(lambda, &[xs, ys], &UInt32Array::from(rows))?;
    let field = list_field(return_type)?;
    let out = cast(&out, field.data_type())?;
    Ok(Arc::new(ListArray::try_new(
        field,
        OffsetBuffer::new(offsets.into()),
        out,
        Some(NullBuffer::from(valid)),
    )?))
}

/// `array` as `target`: structs field by field in order (names may differ, as Spark's
/// structural equality allows), anything else by cast.
fn conform(array: ArrayRef, target: &DataType) -> Result<ArrayRef> {
    if array.data_type() == target {
        return Ok(array);
    }
    match (array.as_struct_opt(), target) {
        (Some(parts), DataType::Struct(fields)) if parts.num_columns() == fields.len() => {
            let columns = parts
                .columns()
                .iter()
                .zip(fields.iter())
                .map(|(c, f)| conform(Arc::clone(c), f.data_type()))
                .collect::<Result<Vec<_>>>()?;
            Ok(Arc::new(datafusion::arrow::array::StructArray::try_new(
                fields.clone(),
                columns,
                parts.nulls().cloned(),
            )?))
        }
        _ => Ok(cast(&array, target)?),
    }
}

/// Folds each row's elements into `zero` with `merge`, one element position at a time across
/// all rows, then applies `finish`; a null array gives null.
pub(super) fn aggregate(
    list: &ArrayRef,
    zero: &ArrayRef,
    merge: &LambdaArgument,
    finish: Option<&LambdaArgument>,
) -> Result<ArrayRef> {
    let packed = Packed::list(list)?;
    let accumulator_type = zero.data_type().clone();
    let mut accumulator = Arc::clone(zero);
    let longest = (0..packed.rows())
        .map(|row| packed.range(row).len())
        .max()
        .unwrap_or(0);
    for step in 0..longest {
        let active: Vec<usize> = (0..packed.rows())
            .filter(|row| packed.range(*row).len() > step)
            .collect();
        let active_rows = UInt32Array::from_iter_values(active.iter().map(|r| *r as u32));
        let elements = UInt32Array::from_iter_values(
            active
                .iter()
                .map(|r| (packed.range(*r).start + step) as u32),
        );
        let current = take(accumulator.as_ref(), &active_rows, None)?;
        let element = take(packed.values.as_ref(), &elements, None)?;
        let merged = apply(merge, &[current, element], &active_rows)?;
        let merged = conform(merged, &accumulator_type)?;
        let mut next = 0;
        let picks: Vec<(usize, usize)> = (0..packed.rows())
            .map(|row| {
                if active.get(next) == Some(&row) {
                    next += 1;
                    (1, next - 1)
                } else {
                    (0, row)
                }
            })
            .collect();
        accumulator = interleave(&[accumulator.as_ref(), merged.as_ref()], &picks)?;
    }
    let result = match finish {
        // Only rows with an array finish: a NULL array stays NULL without running it.
        Some(finish) => {
            let valid: Vec<u32> = (0..packed.rows())
                .filter(|row| packed.is_valid(*row))
                .map(|row| row as u32)
                .collect();
            let valid_rows = UInt32Array::from(valid.clone());
            let finished = apply(
                finish,
                &[take(accumulator.as_ref(), &valid_rows, None)?],
                &valid_rows,
            )?;
            let mut next = 0u32;
            let spread: UInt32Array = (0..packed.rows() as u32)
                .map(|row| {
                    (valid.get(next as usize) == Some(&row)).then(|| {
                        next += 1;
                        next - 1
                    })
                })
                .collect();
            take(finished.as_ref(), &spread, None)?
        }
        None => accumulator,
    };
    match &packed.nulls {
        Some(nulls) if nulls.null_count() > 0 => {
            let is_null = BooleanArray::new(!nulls.inner(), None);
            Ok(nullif(result.as_ref(), &is_null)?)
        }
        _ => Ok(result),
    }
}

/// Each row's elements ordered by a comparator lambda (negative, zero or positive), with the
/// binary insertion sort Java's `TimSort` uses for short runs, so ties and inconsistent
/// comparators keep Spark's order. The comparator runs once over every pair of a row.
pub(super) fn sort_with_comparator(list: &ArrayRef, lambda: &LambdaArgument) -> Result<ArrayRef> {
    if list.data_type() == &DataType::Null {
        return Ok(new_null_array(
            &DataType::new_list(DataType::Null, true),
            list.len(),
        ));
    }
    let packed = Packed::list(list)?;
    let (mut rows, mut lefts, mut rights) = (Vec::new(), Vec::new(), Vec::new());
    let mut pair_start = Vec::with_capacity(packed.rows());
    for row in 0..packed.rows() {
        pair_start.push(lefts.len());
        let range = packed.range(row);
        for i in range.clone() {
            for j in range.clone() {
                rows.push(row as u32);
                lefts.push(i as u32);
                rights.push(j as u32);
            }
        }
    }
    let xs = take(packed.values.as_ref(), &UInt32Array::from(lefts), None)?;
    let ys = take(packed.values.as_ref(), &UInt32Array::from(rights), None)?;
    let compared = apply(lambda, &[xs, ys], &UInt32Array::from(rows))?;
    let compared = cast(&compared, &DataType::Int64)?;
    let compared = compared.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
    if compared.null_count() > 0 {
        return exec_err!(
            "[COMPARATOR_RETURNS_NULL] The comparator has returned a NULL for a comparison between elements. It returns NULL only for NULL elements; handle them in the comparator."
        );
    }
    let mut order: Vec<u32> = Vec::with_capacity(packed.values.len());
    for (row, first_pair) in pair_start.iter().enumerate() {
        let range = packed.range(row);
        let n = range.len();
        let start = range.start;
        let compare = |a: usize, b: usize| compared.value(first_pair + a * n + b);
        let mut sorted: Vec<usize> = Vec::with_capacity(n);
        for pivot in 0..n {
            let (mut left, mut right) = (0, sorted.len());
            while left < right {
                let mid = (left + right) / 2;
                if compare(pivot, sorted[mid]) < 0 {
                    right = mid;
                } else {
                    left = mid + 1;
                }
            }
            sorted.insert(left, pivot);
        }
        order.extend(sorted.into_iter().map(|i| (start + i) as u32));
    }
    let values = take(packed.values.as_ref(), &UInt32Array::from(order), None)?;
    let field = list_field(list.data_type())?;
    Ok(Arc::new(ListArray::try_new(
        field,
        packed.offset_buffer(),
        values,
        packed.nulls.clone(),
    )?))
}
