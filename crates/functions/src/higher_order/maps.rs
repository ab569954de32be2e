//! The higher-order functions over maps.

use super::prelude::*;

pub(super) fn new_map(
    return_type: &DataType,
    offsets: OffsetBuffer<i32>,
    keys: ArrayRef,
    values: ArrayRef,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef> {
    let DataType::Map(entries, _) = return_type else {
        return exec_err!("expected a map result, got {return_type}");
    };
    let DataType::Struct(fields) = entries.data_type() else {
        return exec_err!("expected map entries, got {}", entries.data_type());
    };
    let values = cast(&values, fields[1].data_type())?;
    let struct_array = StructArray::try_new(fields.clone(), vec![keys, values], None)?;
    Ok(Arc::new(MapArray::try_new(
        Arc::clone(entries),
        offsets,
        struct_array,
        nulls,
        false,
    )?))
}

pub(super) fn map_filter(map: &ArrayRef, lambda: &LambdaArgument) -> Result<ArrayRef> {
    let packed = Packed::map(map)?;
    let entries = packed.entries()?;
    let rows = packed.row_of_elements();
    let predicate = apply(
        lambda,
        &[Arc::clone(entries.column(0)), Arc::clone(entries.column(1))],
        &rows,
    )?;
    let keep = truths(&predicate)?;
    let offsets = kept_offsets(&packed, &keep);
    let kept = filter(entries, &keep)?;
    let kept = kept.as_struct();
    new_map(
        map.data_type(),
        offsets,
        Arc::clone(kept.column(0)),
        Arc::clone(kept.column(1)),
        packed.nulls.clone(),
    )
}

/// `transform_keys` (new keys must be unique and not null, as Spark's default
/// `spark.sql.mapKeyDedupPolicy=EXCEPTION` requires) or `transform_values`.
pub(super) fn transform_map(
    map: &ArrayRef,
    lambda: &LambdaArgument,
    return_type: &DataType,
    keys: bool,
) -> Result<ArrayRef> {
    let packed = Packed::map(map)?;
    let entries = packed.entries()?;
    let rows = packed.row_of_elements();
    let (old_keys, old_values) = (entries.column(0), entries.column(1));
    let out = apply(
        lambda,
        &[Arc::clone(old_keys), Arc::clone(old_values)],
        &rows,
    )?;
    if !keys {
        return new_map(
            return_type,
            packed.offset_buffer(),
            Arc::clone(old_keys),
            out,
            packed.nulls.clone(),
        );
    }
    if out.null_count() > 0 {
        return exec_err!("[NULL_MAP_KEY] Cannot use null as map key.");
    }
    check_unique_keys(&packed, &out)?;
    let DataType::Map(entries_field, _) = return_type else {
        return exec_err!("expected a map result, got {return_type}");
    };
    let key_type = match entries_field.data_type() {
        DataType::Struct(fields) => fields[0].data_type().clone(),
        other => return exec_err!("expected map entries, got {other}"),
    };
    new_map(
        return_type,
        packed.offset_buffer(),
        cast(&out, &key_type)?,
        Arc::clone(old_values),
        packed.nulls.clone(),
    )
}

pub(super) fn check_unique_keys(packed: &Packed, keys: &ArrayRef) -> Result<()> {
    let converter = RowConverter::new(vec![SortField::new(keys.data_type().clone())])?;
    let encoded = converter.convert_columns(&[Arc::clone(keys)])?;
    for row in 0..packed.rows() {
        let mut seen = HashSet::new();
        for i in packed.range(row) {
            if !seen.insert(encoded.row(i)) {
                let key = datafusion::common::ScalarValue::try_from_array(keys, i)?;
                return exec_err!(
                    "[DUPLICATED_MAP_KEY] Duplicate map key {key} was found, please check the input data. If you want to remove the duplicated keys, you can set \"spark.sql.mapKeyDedupPolicy\" to \"LAST_WIN\" so that the key inserted at last takes precedence."
                );
            }
        }
    }
    Ok(())
}

/// Both maps' keys, the first map's order first; the lambda sees null for a side that lacks
/// the key. A null map gives null.
pub(super) fn map_zip_with(
    left: &ArrayRef,
    right: &ArrayRef,
    lambda: &LambdaArgument,
    return_type: &DataType,
) -> Result<ArrayRef> {
    let left = Packed::map(left)?;
    let right = Packed::map(right)?;
    let (left_entries, right_entries) = (left.entries()?, right.entries()?);
    let (left_keys, right_keys) = (left_entries.column(0), right_entries.column(0));
    let right_keys = if right_keys.data_type() == left_keys.data_type() {
        Arc::clone(right_keys)
    } else {
        cast(right_keys, left_keys.data_type())?
    };
    let converter = RowConverter::new(vec![SortField::new(left_keys.data_type().clone())])?;
    let left_rows = converter.convert_columns(&[Arc::clone(left_keys)])?;
    let right_rows = converter.convert_columns(&[Arc::clone(&right_keys)])?;
    let mut offsets = vec![0i32];
    let mut rows = Vec::new();
    let mut key_picks = Vec::new();
    let mut left_index = Vec::new();
    let mut right_index = Vec::new();
    let mut valid = Vec::with_capacity(left.rows());
    for row in 0..left.rows() {
        let is_valid = left.is_valid(row) && right.is_valid(row);
        valid.push(is_valid);
        if is_valid {
            let in_right: HashMap<_, usize> =
                right.range(row).map(|j| (right_rows.row(j), j)).collect();
            let mut in_left = HashSet::new();
            for i in left.range(row) {
                in_left.insert(left_rows.row(i));
                rows.push(row as u32);
                key_picks.push((0, i));
                left_index.push(Some(i as u32));
                right_index.push(in_right.get(&left_rows.row(i)).map(|j| *j as u32));
            }
            for j in right.range(row) {
                if !in_left.contains(&right_rows.row(j)) {
                    rows.push(row as u32);
                    key_picks.push((1, j));
                    left_index.push(None);
                    right_index.push(Some(j as u32));
                }
            }
        }
        offsets.push(rows.len() as i32);
    }
    let keys = interleave(&[left_keys.as_ref(), right_keys.as_ref()], &key_picks)?;
    let left_values = take(
        left_entries.column(1).as_ref(),
        &UInt32Array::from(left_index),
        None,
    )?;
    let right_values = take(
        right_entries.column(1).as_ref(),
        &UInt32Array::from(right_index),
        None,
    )?;
    let out = apply(
        lambda,
        &[Arc::clone(&keys), left_values, right_values],
        &UInt32Array::from(rows),
    )?;
    new_map(
        return_type,
        OffsetBuffer::new(offsets.into()),
        keys,
        out,
        Some(NullBuffer::from(valid)),
    )
}
