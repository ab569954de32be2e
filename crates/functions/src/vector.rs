//! `pyspark.ml.linalg` vectors in Arrow: Spark's `VectorUDT` stores a vector as the struct
//! `<type: int8, size: int32, indices: list<int32>, values: list<float64>>` (type 0 sparse,
//! 1 dense). A user-defined type is a struct whose first field carries the type's class
//! names in its metadata, so the type survives plans and reaches the client's schema.
//! `vector_to_array` and `array_to_vector` convert between vectors and arrays.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float32Builder, Float64Builder, Int32Builder, Int8Builder,
    ListBuilder, StructArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Float64Type};
use datafusion::common::exec_err;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

/// Field metadata keys naming a user-defined type's classes.
pub const UDT_JVM_CLASS: &str = "spark.udt.jvm";
pub const UDT_PYTHON_CLASS: &str = "spark.udt.python";

pub const VECTOR_JVM_CLASS: &str = "org.apache.spark.ml.linalg.VectorUDT";
pub const VECTOR_PYTHON_CLASS: &str = "pyspark.ml.linalg.VectorUDT";

/// A struct type marked as a user-defined type.
pub fn udt_struct_type(fields: &Fields, jvm: Option<&str>, python: Option<&str>) -> DataType {
    let mut tag = HashMap::new();
    if let Some(jvm) = jvm {
        tag.insert(UDT_JVM_CLASS.to_string(), jvm.to_string());
    }
    if let Some(python) = python {
        tag.insert(UDT_PYTHON_CLASS.to_string(), python.to_string());
    }
    let tagged: Vec<Field> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let field = f.as_ref().clone();
            if i == 0 {
                let mut metadata = field.metadata().clone();
                metadata.extend(tag.clone());
                field.with_metadata(metadata)
            } else {
                field
            }
        })
        .collect();
    DataType::Struct(Fields::from(tagged))
}

/// The (JVM, Python) class names of a user-defined type's struct.
pub fn udt_classes(data_type: &DataType) -> Option<(Option<String>, Option<String>)> {
    let DataType::Struct(fields) = data_type else {
        return None;
    };
    let metadata = fields.first()?.metadata();
    let jvm = metadata.get(UDT_JVM_CLASS).cloned();
    let python = metadata.get(UDT_PYTHON_CLASS).cloned();
    (jvm.is_some() || python.is_some()).then_some((jvm, python))
}

/// The fields of Spark's vector storage struct.
pub fn vector_fields() -> Fields {
    Fields::from(vec![
        Field::new("type", DataType::Int8, false),
        Field::new("size", DataType::Int32, true),
        Field::new(
            "indices",
            DataType::List(Arc::new(Field::new("element", DataType::Int32, false))),
            true,
        ),
        Field::new(
            "values",
            DataType::List(Arc::new(Field::new("element", DataType::Float64, false))),
            true,
        ),
    ])
}

/// The Arrow type of an ML vector column.
pub fn vector_type() -> DataType {
    udt_struct_type(
        &vector_fields(),
        Some(VECTOR_JVM_CLASS),
        Some(VECTOR_PYTHON_CLASS),
    )
}

/// Whether a type holds ML vectors.
pub fn is_vector(data_type: &DataType) -> bool {
    udt_classes(data_type).is_some_and(|(jvm, python)| {
        jvm.as_deref() == Some(VECTOR_JVM_CLASS) || python.as_deref() == Some(VECTOR_PYTHON_CLASS)
    })
}

/// One ML vector.
#[derive(Debug, Clone, PartialEq)]
pub enum Vector {
    Dense(Vec<f64>),
    Sparse {
        size: usize,
        indices: Vec<usize>,
        values: Vec<f64>,
    },
}

impl Vector {
    pub fn size(&self) -> usize {
        match self {
            Vector::Dense(values) => values.len(),
            Vector::Sparse { size, .. } => *size,
        }
    }

    pub fn to_dense(&self) -> Vec<f64> {
        match self {
            Vector::Dense(values) => values.clone(),
            Vector::Sparse {
                size,
                indices,
                values,
            } => {
                let mut dense = vec![0.0; *size];
                for (i, v) in indices.iter().zip(values) {
                    if let Some(slot) = dense.get_mut(*i) {
                        *slot = *v;
                    }
                }
                dense
            }
        }
    }

    /// The (index, value) pairs that are not zero.
    pub fn active(&self) -> Vec<(usize, f64)> {
        match self {
            Vector::Dense(values) => values
                .iter()
                .enumerate()
                .filter(|(_, v)| **v != 0.0)
                .map(|(i, v)| (i, *v))
                .collect(),
            Vector::Sparse {
                indices, values, ..
            } => indices
                .iter()
                .zip(values)
                .filter(|(_, v)| **v != 0.0)
                .map(|(i, v)| (*i, *v))
                .collect(),
        }
    }

    /// Spark's `Vector.compressed`: dense unless sparse takes less space.
    pub fn compressed(self) -> Vector {
        let size = self.size();
        let active = self.active();
        // Spark keeps the smaller storage: 8 bytes per dense value against 12 per sparse
        // entry plus 20, sparse on a tie (checked against Spark 4.1 for sizes 2 to 9).
        if 12 * active.len() + 20 <= 8 * size {
            let (indices, values) = active.into_iter().unzip();
            Vector::Sparse {
                size,
                indices,
                values,
            }
        } else {
            Vector::Dense(self.to_dense())
        }
    }
}

/// Builds an ML vector column.
#[derive(Default)]
pub struct VectorBuilder {
    kinds: Int8Builder,
    sizes: Int32Builder,
    indices: ListBuilder<Int32Builder>,
    values: ListBuilder<Float64Builder>,
    nulls: Vec<bool>,
}

impl VectorBuilder {
    pub fn append(&mut self, vector: Option<&Vector>) {
        match vector {
            Some(Vector::Dense(values)) => {
                self.kinds.append_value(1);
                self.sizes.append_null();
                self.indices.append_null();
                self.values.values().append_slice(values);
                self.values.append(true);
                self.nulls.push(true);
            }
            Some(Vector::Sparse {
                size,
                indices,
                values,
            }) => {
                self.kinds.append_value(0);
                self.sizes
                    .append_value(i32::try_from(*size).unwrap_or(i32::MAX));
                for i in indices {
                    self.indices
                        .values()
                        .append_value(i32::try_from(*i).unwrap_or(i32::MAX));
                }
                self.indices.append(true);
                self.values.values().append_slice(values);
                self.values.append(true);
                self.nulls.push(true);
            }
            None => {
                self.kinds.append_value(0);
                self.sizes.append_null();
                self.indices.append_null();
                self.values.append_null();
                self.nulls.push(false);
            }
        }
    }

    pub fn finish(mut self) -> Result<ArrayRef> {
        let DataType::Struct(fields) = vector_type() else {
            return exec_err!("vector type is not a struct");
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.kinds.finish()),
            Arc::new(self.sizes.finish()),
            Arc::new(self.indices.finish().with_field(fields[2].clone())?),
            Arc::new(self.values.finish().with_field(fields[3].clone())?),
        ];
        let nulls =
            self.nulls.iter().any(|valid| !valid).then(|| {
                datafusion::arrow::buffer::NullBuffer::from(std::mem::take(&mut self.nulls))
            });
        Ok(Arc::new(StructArray::try_new(fields, columns, nulls)?))
    }
}

/// Helper for list arrays whose element field must match the declared type.
trait WithField: Sized {
    fn with_field(self, field: Arc<Field>) -> Result<Self>;
}

impl WithField for datafusion::arrow::array::ListArray {
    fn with_field(self, field: Arc<Field>) -> Result<Self> {
        let DataType::List(element) = field.data_type() else {
            return exec_err!("vector field {} is not a list", field.name());
        };
        let (_, offsets, values, nulls) = self.into_parts();
        Ok(Self::try_new(element.clone(), offsets, values, nulls)?)
    }
}

/// Reads the vectors of a column; NULL rows are `None`.
pub fn read_vectors(array: &dyn Array) -> Result<Vec<Option<Vector>>> {
    let Some(structs) = array.as_struct_opt() else {
        return exec_err!("expected a vector column, found {}", array.data_type());
    };
    if structs.num_columns() != 4 {
        return exec_err!("expected a vector column, found {}", array.data_type());
    }
    let kinds = structs
        .column(0)
        .as_primitive_opt::<datafusion::arrow::datatypes::Int8Type>();
    let sizes = structs
        .column(1)
        .as_primitive_opt::<datafusion::arrow::datatypes::Int32Type>();
    let indices = structs.column(2).as_list_opt::<i32>();
    let values = structs.column(3).as_list_opt::<i32>();
    let (Some(kinds), Some(sizes), Some(indices), Some(values)) = (kinds, sizes, indices, values)
    else {
        return exec_err!("expected a vector column, found {}", array.data_type());
    };
    let mut out = Vec::with_capacity(structs.len());
    for row in 0..structs.len() {
        if structs.is_null(row) || values.is_null(row) {
            out.push(None);
            continue;
        }
        let row_values = values.value(row);
        let row_values: Vec<f64> = row_values
            .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
            .values()
            .to_vec();
        if kinds.value(row) == 1 {
            out.push(Some(Vector::Dense(row_values)));
        } else {
            let row_indices = indices.value(row);
            let row_indices = row_indices
                .as_primitive::<datafusion::arrow::datatypes::Int32Type>()
                .values()
                .iter()
                .map(|i| usize::try_from(*i).unwrap_or(0))
                .collect();
            out.push(Some(Vector::Sparse {
                size: usize::try_from(sizes.value(row)).unwrap_or(0),
                indices: row_indices,
                values: row_values,
            }));
        }
    }
    Ok(out)
}

/// `vector_to_array(v[, dtype])`: the vector's values as a dense array of doubles (or floats).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct VectorToArray {
    signature: Signature,
    float32: bool,
}

impl VectorToArray {
    pub fn new(float32: bool) -> Self {
        VectorToArray {
            signature: Signature::any(1, Volatility::Immutable),
            float32,
        }
    }
}

impl ScalarUDFImpl for VectorToArray {
    fn name(&self) -> &str {
        if self.float32 {
            "vector_to_array_float32"
        } else {
            "vector_to_array"
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        let element = if self.float32 {
            DataType::Float32
        } else {
            DataType::Float64
        };
        Ok(DataType::List(Arc::new(Field::new(
            "element", element, false,
        ))))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let array = args.args[0].to_array(args.number_rows)?;
        if !is_vector(array.data_type()) {
            return exec_err!(
                "vector_to_array expects a vector column, found {}",
                array.data_type()
            );
        }
        let vectors = read_vectors(array.as_ref())?;
        let out: ArrayRef = if self.float32 {
            let mut builder = ListBuilder::new(Float32Builder::new())
                .with_field(Arc::new(Field::new("element", DataType::Float32, false)));
            for vector in &vectors {
                match vector {
                    Some(v) => {
                        for x in v.to_dense() {
                            builder.values().append_value(x as f32);
                        }
                        builder.append(true);
                    }
                    None => builder.append_null(),
                }
            }
            Arc::new(builder.finish())
        } else {
            let mut builder = ListBuilder::new(Float64Builder::new())
                .with_field(Arc::new(Field::new("element", DataType::Float64, false)));
            for vector in &vectors {
                match vector {
                    Some(v) => {
                        builder.values().append_slice(&v.to_dense());
                        builder.append(true);
                    }
                    None => builder.append_null(),
                }
            }
            Arc::new(builder.finish())
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// `array_to_vector(a)`: a numeric array as a dense vector.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ArrayToVector {
    signature: Signature,
}

impl Default for ArrayToVector {
    fn default() -> Self {
        ArrayToVector {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ArrayToVector {
    fn name(&self) -> &str {
        "array_to_vector"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(vector_type())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let array = args.args[0].to_array(args.number_rows)?;
        let target = DataType::List(Arc::new(Field::new("element", DataType::Float64, true)));
        let Ok(doubles) = datafusion::arrow::compute::cast(&array, &target) else {
            return exec_err!(
                "array_to_vector expects an array of numbers, found {}",
                array.data_type()
            );
        };
        let lists = doubles.as_list::<i32>();
        let mut builder = VectorBuilder::default();
        for row in 0..lists.len() {
            if lists.is_null(row) {
                builder.append(None);
                continue;
            }
            let values = lists.value(row);
            let values = values.as_primitive::<Float64Type>();
            let dense: Vec<f64> = (0..values.len())
                .map(|i| {
                    if values.is_null(i) {
                        f64::NAN
                    } else {
                        values.value(i)
                    }
                })
                .collect();
            builder.append(Some(&Vector::Dense(dense)));
        }
        Ok(ColumnarValue::Array(builder.finish()?))
    }
}

/// The vector functions by name; others are handed back.
/// `unwrap_udt(x)`: a vector or matrix as its plain storage struct; other values as they are.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct UnwrapUdt {
    signature: Signature,
}

impl Default for UnwrapUdt {
    fn default() -> Self {
        UnwrapUdt {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

/// `data_type` without its user-defined type tag.
fn untagged(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Struct(fields) if udt_classes(data_type).is_some() => DataType::Struct(
            fields
                .iter()
                .map(|f| {
                    let mut metadata = f.metadata().clone();
                    metadata.remove(UDT_JVM_CLASS);
                    metadata.remove(UDT_PYTHON_CLASS);
                    f.as_ref().clone().with_metadata(metadata)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

impl ScalarUDFImpl for UnwrapUdt {
    fn name(&self) -> &str {
        "unwrap_udt"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(args.first().map(untagged).unwrap_or(DataType::Null))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let array = args.args[0].to_array(args.number_rows)?;
        let DataType::Struct(fields) = untagged(array.data_type()) else {
            return Ok(ColumnarValue::Array(array));
        };
        let Some(parts) = array.as_struct_opt() else {
            return Ok(ColumnarValue::Array(array));
        };
        let unwrapped = datafusion::arrow::array::StructArray::try_new(
            fields,
            parts.columns().to_vec(),
            parts.nulls().cloned(),
        )?;
        Ok(ColumnarValue::Array(Arc::new(unwrapped)))
    }
}

/// `array_binary_search(sorted, value)`: the index of `value` in the sorted numeric array,
/// or `-(insertion point) - 1` when absent, as Java's `Arrays.binarySearch` (the client's
/// internal function for sparse vector lookups).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ArrayBinarySearch {
    signature: Signature,
}

impl Default for ArrayBinarySearch {
    fn default() -> Self {
        ArrayBinarySearch {
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ArrayBinarySearch {
    fn name(&self) -> &str {
        "array_binary_search"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = args.args[0].to_array(args.number_rows)?;
        let values = args.args[1].to_array(args.number_rows)?;
        let values = datafusion::arrow::compute::cast(&values, &DataType::Float64)?;
        let values = values.as_primitive::<Float64Type>();
        let Some(lists) = arrays.as_list_opt::<i32>() else {
            return exec_err!(
                "array_binary_search expects an array, found {}",
                arrays.data_type()
            );
        };
        let mut out = datafusion::arrow::array::Int32Builder::with_capacity(lists.len());
        for row in 0..lists.len() {
            if lists.is_null(row) || values.is_null(row) {
                out.append_null();
                continue;
            }
            let items = datafusion::arrow::compute::cast(&lists.value(row), &DataType::Float64)?;
            let items = items.as_primitive::<Float64Type>().values();
            let target = values.value(row);
            let found = match items.binary_search_by(|x| x.total_cmp(&target)) {
                Ok(i) => i as i64,
                Err(i) => -(i as i64) - 1,
            };
            out.append_value(i32::try_from(found).unwrap_or(i32::MIN));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

pub(crate) fn call(
    _registry: &dyn datafusion::execution::FunctionRegistry,
    name: &str,
    args: Vec<datafusion::logical_expr::Expr>,
    _types: &[DataType],
) -> crate::FunctionResult<
    std::result::Result<datafusion::logical_expr::Expr, Vec<datafusion::logical_expr::Expr>>,
> {
    use datafusion::logical_expr::{Expr, ScalarUDF};
    let udf = match name {
        "vector_to_array" => {
            let dtype = match args.get(1) {
                None => "float64".to_string(),
                Some(Expr::Literal(datafusion::common::ScalarValue::Utf8(Some(t)), _)) => t.clone(),
                Some(_) => {
                    return Err(crate::FunctionError::InvalidArgument(
                        "vector_to_array: dtype must be a string literal".into(),
                    ))
                }
            };
            let float32 = match dtype.as_str() {
                "float64" => false,
                "float32" => true,
                other => {
                    return Err(crate::FunctionError::InvalidArgument(format!(
                        "Unsupported dtype: {other}. Valid values: float64, float32."
                    )))
                }
            };
            ScalarUDF::new_from_impl(VectorToArray::new(float32))
        }
        "array_to_vector" => ScalarUDF::new_from_impl(ArrayToVector::default()),
        "unwrap_udt" => ScalarUDF::new_from_impl(UnwrapUdt::default()),
        "array_binary_search" => {
            return Ok(Ok(
                ScalarUDF::new_from_impl(ArrayBinarySearch::default()).call(args)
            ))
        }
        _ => return Ok(Err(args)),
    };
    let mut args = args;
    args.truncate(1);
    Ok(Ok(udf.call(args)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_picks_the_storage_spark_picks() {
        let ones = |size: usize, nnz: usize| {
            let mut values = vec![0.0; size];
            values[..nnz].fill(1.0);
            Vector::Dense(values).compressed()
        };
        // Spark 4.1: the largest count of non-zeros that still stays sparse, by size.
        for (size, most_sparse) in [(3, 0), (4, 1), (5, 1), (6, 2), (7, 3), (8, 3), (9, 4)] {
            assert!(matches!(ones(size, most_sparse), Vector::Sparse { .. }));
            assert!(matches!(ones(size, most_sparse + 1), Vector::Dense(_)));
        }
        assert!(matches!(ones(2, 0), Vector::Dense(_)));
    }

    #[test]
    fn vectors_round_trip_through_arrow() -> Result<()> {
        let dense = Vector::Dense(vec![1.0, 0.0, 2.5]);
        let sparse = Vector::Sparse {
            size: 5,
            indices: vec![1, 4],
            values: vec![3.0, -1.0],
        };
        let mut builder = VectorBuilder::default();
        builder.append(Some(&dense));
        builder.append(None);
        builder.append(Some(&sparse));
        let array = builder.finish()?;
        assert!(is_vector(array.data_type()));
        let back = read_vectors(array.as_ref())?;
        assert_eq!(back, vec![Some(dense), None, Some(sparse.clone())]);
        assert_eq!(sparse.to_dense(), vec![0.0, 3.0, 0.0, 0.0, -1.0]);
        Ok(())
    }
}
