//! Matrices as Spark stores them in model data: the `MatrixUDT` struct (`type`, `numRows`,
//! `numCols`, `colPtrs`, `rowIndices`, `values`, `isTransposed`), dense or sparse.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int32Array, Int8Array, ListArray,
    StructArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Float64Type, Int32Type, Int8Type};

use crate::error::{MlError, MlResult};
use crate::value::Matrix;

const MATRIX_JVM_CLASS: &str = "org.apache.spark.ml.linalg.MatrixUDT";
const MATRIX_PYTHON_CLASS: &str = "pyspark.ml.linalg.MatrixUDT";

fn list_of(element: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("element", element, false)))
}

fn matrix_fields() -> Fields {
    Fields::from(vec![
        Field::new("type", DataType::Int8, false),
        Field::new("numRows", DataType::Int32, false),
        Field::new("numCols", DataType::Int32, false),
        Field::new("colPtrs", list_of(DataType::Int32), true),
        Field::new("rowIndices", list_of(DataType::Int32), true),
        Field::new("values", list_of(DataType::Float64), true),
        Field::new("isTransposed", DataType::Boolean, false),
    ])
}

/// The Arrow type of a matrix column.
pub fn matrix_type() -> DataType {
    ember_functions::udt_struct_type(
        &matrix_fields(),
        Some(MATRIX_JVM_CLASS),
        Some(MATRIX_PYTHON_CLASS),
    )
}

fn size(value: usize) -> MlResult<i32> {
    i32::try_from(value).map_err(|_| MlError::IllegalArgument(format!("matrix too large: {value}")))
}

/// A one-row column holding `matrix` dense, rows stored one after another (transposed), as
/// Spark stores a model's coefficient matrix.
pub fn row_major_matrix_column(matrix: &Matrix) -> MlResult<ArrayRef> {
    dense_matrix_column(std::slice::from_ref(matrix), true)
}

/// A column of dense matrices, one a row: their values column after column (as `DenseMatrix`
/// keeps them), or row after row when `row_major`.
pub fn dense_matrix_column(matrices: &[Matrix], row_major: bool) -> MlResult<ArrayRef> {
    let mut values = Vec::new();
    for matrix in matrices {
        if row_major {
            for row in 0..matrix.num_rows {
                for col in 0..matrix.num_cols {
                    values.push(matrix.get(row, col));
                }
            }
        } else {
            values.extend_from_slice(&matrix.values);
        }
    }
    let rows = matrices.len();
    let null_list = |element: DataType| {
        ListArray::new_null(Arc::new(Field::new("element", element, false)), rows)
    };
    let values = ListArray::new(
        Arc::new(Field::new("element", DataType::Float64, false)),
        OffsetBuffer::from_lengths(matrices.iter().map(|m| m.values.len())),
        Arc::new(Float64Array::from(values)),
        None,
    );
    let sizes = |size_of: fn(&Matrix) -> usize| -> MlResult<Int32Array> {
        matrices.iter().map(|m| size(size_of(m))).collect()
    };
    let DataType::Struct(fields) = matrix_type() else {
        return Err(MlError::IllegalArgument(
            "matrix type is not a struct".into(),
        ));
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int8Array::from(vec![1; rows])),
        Arc::new(sizes(|m| m.num_rows)?),
        Arc::new(sizes(|m| m.num_cols)?),
        Arc::new(null_list(DataType::Int32)),
        Arc::new(null_list(DataType::Int32)),
        Arc::new(values),
        Arc::new(BooleanArray::from(vec![row_major; rows])),
    ];
    Ok(Arc::new(StructArray::try_new(fields, columns, None)?))
}

/// The same vector or matrix column typed as the older `mllib` classes, which some model
/// attributes (`gaussiansDF`) hand out.
pub fn as_mllib(array: ArrayRef) -> MlResult<ArrayRef> {
    let Some((jvm, python)) = ember_functions::udt_classes(array.data_type()) else {
        return Ok(array);
    };
    let structs = array.as_struct_opt().ok_or_else(|| bad("not a struct"))?;
    let rename = |class: Option<String>| class.map(|c| c.replace(".ml.linalg.", ".mllib.linalg."));
    let DataType::Struct(fields) = ember_functions::udt_struct_type(
        structs.fields(),
        rename(jvm).as_deref(),
        rename(python).as_deref(),
    ) else {
        return Err(bad("not a struct"));
    };
    Ok(Arc::new(StructArray::try_new(
        fields,
        structs.columns().to_vec(),
        structs.nulls().cloned(),
    )?))
}

fn bad(what: &str) -> MlError {
    MlError::IllegalArgument(format!("model data holds a malformed matrix: {what}"))
}

fn list_row<T: datafusion::arrow::datatypes::ArrowPrimitiveType>(
    array: &ArrayRef,
    row: usize,
) -> Option<Vec<T::Native>> {
    let list = array.as_list_opt::<i32>()?;
    if list.is_null(row) {
        return None;
    }
    let values = list.value(row);
    Some(values.as_primitive_opt::<T>()?.values().to_vec())
}

/// Row `row` of a matrix column, in Ember's column-major form.
pub fn read_matrix(array: &dyn Array, row: usize) -> MlResult<Matrix> {
    let structs = array.as_struct_opt().ok_or_else(|| bad("not a struct"))?;
    let column = |name: &str| {
        structs
            .column_by_name(name)
            .cloned()
            .ok_or_else(|| bad(name))
    };
    let int = |name: &str| -> MlResult<usize> {
        let values = column(name)?;
        let values = values
            .as_primitive_opt::<Int32Type>()
            .ok_or_else(|| bad(name))?;
        usize::try_from(values.value(row)).map_err(|_| bad(name))
    };
    let kind = column("type")?
        .as_primitive_opt::<Int8Type>()
        .map(|k| k.value(row))
        .ok_or_else(|| bad("type"))?;
    let (rows, cols) = (int("numRows")?, int("numCols")?);
    let transposed = column("isTransposed")?
        .as_boolean_opt()
        .is_some_and(|b| b.value(row));
    let values = list_row::<Float64Type>(&column("values")?, row).ok_or_else(|| bad("values"))?;
    let mut dense = vec![0.0; rows * cols];
    let mut put = |r: usize, c: usize, v: f64| -> MlResult<()> {
        if r >= rows || c >= cols {
            return Err(bad("index out of range"));
        }
        dense[c * rows + r] = v;
        Ok(())
    };
    if kind == 1 {
        if values.len() != rows * cols {
            return Err(bad("values"));
        }
        for (i, v) in values.iter().enumerate() {
            let (r, c) = if transposed {
                (i / cols.max(1), i % cols.max(1))
            } else {
                (i % rows.max(1), i / rows.max(1))
            };
            put(r, c, *v)?;
        }
    } else {
        // Compressed columns, or compressed rows when transposed.
        let pointers =
            list_row::<Int32Type>(&column("colPtrs")?, row).ok_or_else(|| bad("colPtrs"))?;
        let indices =
            list_row::<Int32Type>(&column("rowIndices")?, row).ok_or_else(|| bad("rowIndices"))?;
        for (outer, window) in pointers.windows(2).enumerate() {
            let start = usize::try_from(window[0]).map_err(|_| bad("colPtrs"))?;
            let end = usize::try_from(window[1]).map_err(|_| bad("colPtrs"))?;
            for k in start..end {
                let inner = indices
                    .get(k)
                    .and_then(|i| usize::try_from(*i).ok())
                    .ok_or_else(|| bad("rowIndices"))?;
                let value = *values.get(k).ok_or_else(|| bad("values"))?;
                if transposed {
                    put(outer, inner, value)?;
                } else {
                    put(inner, outer, value)?;
                }
            }
        }
    }
    Ok(Matrix {
        num_rows: rows,
        num_cols: cols,
        values: dense,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_round_trips_row_major() -> MlResult<()> {
        let matrix = Matrix {
            num_rows: 2,
            num_cols: 3,
            values: vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0],
        };
        let column = row_major_matrix_column(&matrix)?;
        let values = column.as_struct().column(5).as_list::<i32>().value(0);
        let stored = values.as_primitive::<Float64Type>().values().to_vec();
        assert_eq!(stored, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(read_matrix(column.as_ref(), 0)?, matrix);
        Ok(())
    }

    #[test]
    fn matrices_round_trip_column_major() -> MlResult<()> {
        let a = Matrix {
            num_rows: 2,
            num_cols: 2,
            values: vec![1.0, 2.0, 3.0, 4.0],
        };
        let b = Matrix {
            num_rows: 1,
            num_cols: 1,
            values: vec![9.0],
        };
        let column = dense_matrix_column(&[a.clone(), b.clone()], false)?;
        assert_eq!(read_matrix(column.as_ref(), 0)?, a);
        assert_eq!(read_matrix(column.as_ref(), 1)?, b);
        Ok(())
    }
}
