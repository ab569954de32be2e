//! Spark's higher-order functions that DataFusion's own cannot express: `transform` and
//! `filter` whose lambda may take the element's index, `zip_with`, `aggregate` (`reduce`),
//! `array_sort` with a comparator, and the map ones (`map_filter`, `transform_keys`,
//! `transform_values`, `map_zip_with`).
//!
//! A lambda runs once per batch over every element at once, with the outer columns it
//! captures spread to one row per element; only `aggregate` steps, once per element position
//! across all rows, because each step needs the previous accumulator.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use datafusion::arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, BooleanArray, Int32Array, ListArray, MapArray,
    StructArray, UInt32Array,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::{cast, filter, interleave, nullif, take, take_arrays};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderSignature,
    HigherOrderUDF, HigherOrderUDFImpl, LambdaArgument, LambdaParametersProgress, ValueOrLambda,
    Volatility,
};

/// One Spark higher-order function; the name is the one registered and the one Spark uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum HigherOrder {
    Transform,
    Filter,
    ZipWith,
    Aggregate,
    MapFilter,
    TransformKeys,
    TransformValues,
    MapZipWith,
    /// `array_sort(array, (x, y) -> int)`: sorted by a comparator.
    ArraySort,
}

impl HigherOrder {
    const ALL: [HigherOrder; 9] = [
        Self::ArraySort,
        Self::Transform,
        Self::Filter,
        Self::ZipWith,
        Self::Aggregate,
        Self::MapFilter,
        Self::TransformKeys,
        Self::TransformValues,
        Self::MapZipWith,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Transform => "transform",
            Self::Filter => "filter",
            Self::ZipWith => "zip_with",
            Self::Aggregate => "aggregate",
            Self::MapFilter => "map_filter",
            Self::TransformKeys => "transform_keys",
            Self::TransformValues => "transform_values",
            Self::MapZipWith => "map_zip_with",
            Self::ArraySort => "array_sort",
        }
    }

    /// How many value arguments come before the lambdas.
    fn value_count(self) -> usize {
        match self {
            Self::ZipWith | Self::Aggregate | Self::MapZipWith => 2,
            _ => 1,
        }
    }
}

/// Every Spark higher-order function, to register in a session.
pub(crate) fn higher_order_functions() -> Vec<HigherOrderUDF> {
    HigherOrder::ALL
        .into_iter()
        .map(|kind| {
            let udf = HigherOrderUDF::new_from_impl(SparkHigherOrder::new(kind));
            if kind == HigherOrder::Aggregate {
                udf.with_aliases(["reduce"])
            } else {
                udf
            }
        })
        .collect()
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SparkHigherOrder {
    kind: HigherOrder,
    signature: HigherOrderSignature,
}

impl SparkHigherOrder {
    fn new(kind: HigherOrder) -> Self {
        Self {
            kind,
            signature: HigherOrderSignature::variadic_any(Volatility::Immutable),
        }
    }
}

fn nullable(field: &Field) -> FieldRef {
    Arc::new(field.clone().with_nullable(true))
}

fn list_item(name: &str, field: &Field) -> Result<FieldRef> {
    match field.data_type() {
        DataType::List(item) => Ok(Arc::clone(item)),
        DataType::Null => Ok(Arc::new(Field::new("item", DataType::Null, true))),
        other => plan_err!(
            "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] The first parameter of `{name}` requires the \"ARRAY\" type, however it has the type \"{other}\"."
        ),
    }
}

/// The entries struct of a map type and its key and value fields.
fn map_fields(name: &str, field: &Field) -> Result<(FieldRef, FieldRef, FieldRef)> {
    if let DataType::Map(entries, _) = field.data_type() {
        if let DataType::Struct(fields) = entries.data_type() {
            if fields.len() == 2 {
                return Ok((
                    Arc::clone(entries),
                    Arc::clone(&fields[0]),
                    Arc::clone(&fields[1]),
                ));
            }
        }
    }
    plan_err!(
        "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] The first parameter of `{name}` requires the \"MAP\" type, however it has the type \"{}\".",
        field.data_type()
    )
}

fn map_type(entries: &Field, key: FieldRef, value: FieldRef) -> DataType {
    let fields = Fields::from(vec![
        key.as_ref().clone().with_nullable(false),
        value.as_ref().clone().with_nullable(true),
    ]);
    DataType::Map(
        Arc::new(Field::new(entries.name(), DataType::Struct(fields), false)),
        false,
    )
}

/// Types equal up to nullability and nested field names of lists.
fn same_type(left: &DataType, right: &DataType) -> bool {
    match (left, right) {
        (DataType::List(l), DataType::List(r)) => same_type(l.data_type(), r.data_type()),
        (DataType::Struct(l), DataType::Struct(r)) => {
            l.len() == r.len()
                && l.iter().zip(r.iter()).all(|(l, r)| {
                    l.name().eq_ignore_ascii_case(r.name())
                        && same_type(l.data_type(), r.data_type())
                })
        }
        (DataType::Map(l, _), DataType::Map(r, _)) => same_type(l.data_type(), r.data_type()),
        _ => left == right,
    }
}

impl HigherOrderUDFImpl for SparkHigherOrder {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn signature(&self) -> &HigherOrderSignature {
        &self.signature
    }

    fn lambda_parameters(
        &self,
        _step: usize,
        fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>],
    ) -> Result<LambdaParametersProgress> {
        let values: Vec<&FieldRef> = fields
            .iter()
            .filter_map(|f| match f {
                ValueOrLambda::Value(v) => Some(v),
                ValueOrLambda::Lambda(_) => None,
            })
            .collect();
        let lambdas = fields.len() - values.len();
        let name = self.name();
        if values.len() != self.kind.value_count() || lambdas == 0 {
            return plan_err!(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `{name}` requires {} value arguments and a lambda.",
                self.kind.value_count()
            );
        }
        let index = Arc::new(Field::new("index", DataType::Int32, false));
        let params = match self.kind {
            HigherOrder::Transform | HigherOrder::Filter => {
                vec![vec![list_item(name, values[0])?, index]]
            }
            HigherOrder::ZipWith => vec![vec![
                nullable(list_item(name, values[0])?.as_ref()),
                nullable(list_item(name, values[1])?.as_ref()),
            ]],
            HigherOrder::ArraySort => {
                let item = list_item(name, values[0])?;
                vec![vec![Arc::clone(&item), item]]
            }
            HigherOrder::Aggregate => {
                let accumulator = nullable(values[1]);
                vec![
                    vec![Arc::clone(&accumulator), list_item(name, values[0])?],
                    vec![accumulator],
                ]
            }
            HigherOrder::MapFilter | HigherOrder::TransformKeys | HigherOrder::TransformValues => {
                let (_, key, value) = map_fields(name, values[0])?;
                vec![vec![key, value]]
            }
            HigherOrder::MapZipWith => {
                let (_, key, left) = map_fields(name, values[0])?;
                let (_, _, right) = map_fields(name, values[1])?;
                vec![vec![key, nullable(&left), nullable(&right)]]
            }
        };
        // `aggregate`'s finish lambda is optional: offer parameters for the lambdas given.
        let mut params = params;
        params.truncate(lambdas);
        Ok(LambdaParametersProgress::Complete(params))
    }

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        let name = self.name();
        let mut values = Vec::new();
        let mut lambdas = Vec::new();
        for field in args.arg_fields {
            match field {
                ValueOrLambda::Value(v) => values.push(v),
                ValueOrLambda::Lambda(l) => lambdas.push(l),
            }
        }
        let (Some(first), Some(lambda)) = (values.first(), lambdas.first()) else {
            return plan_err!("{name} expects values followed by a lambda");
        };
        let data_type = match self.kind {
            HigherOrder::Transform | HigherOrder::ZipWith => {
                DataType::new_list(lambda.data_type().clone(), true)
            }
            HigherOrder::Filter | HigherOrder::ArraySort => match first.data_type() {
                DataType::Null => DataType::new_list(DataType::Null, true),
                other => other.clone(),
            },
            HigherOrder::Aggregate => {
                let zero = values
                    .get(1)
                    .map(|f| f.data_type())
                    .unwrap_or(&DataType::Null);
                if !same_type(zero, lambda.data_type()) && zero != &DataType::Null {
                    return plan_err!(
                        "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"{name}\" due to data type mismatch: The third parameter requires the \"{zero}\" type, however the merge function returns \"{}\".",
                        lambda.data_type()
                    );
                }
                match lambdas.get(1) {
                    Some(finish) => finish.data_type().clone(),
                    None => zero.clone(),
                }
            }
            HigherOrder::MapFilter => first.data_type().clone(),
            HigherOrder::TransformValues => {
                let (entries, key, _) = map_fields(name, first)?;
                map_type(&entries, key, Arc::clone(lambda))
            }
            HigherOrder::TransformKeys => {
                let (entries, _, value) = map_fields(name, first)?;
                map_type(&entries, Arc::clone(lambda), value)
            }
            HigherOrder::MapZipWith => {
                let (entries, key, _) = map_fields(name, first)?;
                if let Some(second) = values.get(1) {
                    let (_, other_key, _) = map_fields(name, second)?;
                    if !same_type(key.data_type(), other_key.data_type()) {
                        return plan_err!(
                            "[DATATYPE_MISMATCH.MAP_ZIP_WITH_DIFF_TYPES] Cannot resolve \"{name}\" due to data type mismatch: Input to the `map_zip_with` should have been two maps with compatible key types, but it's [\"{}\", \"{}\"].",
                            key.data_type(),
                            other_key.data_type()
                        );
                    }
                }
                map_type(&entries, key, Arc::clone(lambda))
            }
        };
        Ok(Arc::new(Field::new(name, data_type, true)))
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let mut values = Vec::new();
        let mut lambdas = Vec::new();
        for arg in &args.args {
            match arg {
                ValueOrLambda::Value(v) => values.push(v.to_array(rows)?),
                ValueOrLambda::Lambda(l) => lambdas.push(l),
            }
        }
        let (Some(first), Some(lambda)) = (values.first(), lambdas.first()) else {
            return exec_err!("{} expects values followed by a lambda", self.name());
        };
        let return_type = args.return_field.data_type();
        let result = match self.kind {
            HigherOrder::Transform => transform(first, lambda, return_type)?,
            HigherOrder::Filter => filter_list(first, lambda)?,
            HigherOrder::ZipWith => zip_with(first, second(&values)?, lambda, return_type)?,
            HigherOrder::Aggregate => {
                aggregate(first, second(&values)?, lambda, lambdas.get(1).copied())?
            }
            HigherOrder::MapFilter => map_filter(first, lambda)?,
            HigherOrder::ArraySort => sort_with_comparator(first, lambda)?,
            HigherOrder::TransformKeys => transform_map(first, lambda, return_type, true)?,
            HigherOrder::TransformValues => transform_map(first, lambda, return_type, false)?,
            HigherOrder::MapZipWith => map_zip_with(first, second(&values)?, lambda, return_type)?,
        };
        Ok(ColumnarValue::Array(result))
    }
}

fn second(values: &[ArrayRef]) -> Result<&ArrayRef> {
    match values.get(1) {
        Some(v) => Ok(v),
        None => exec_err!("expected a second value argument"),
    }
}

/// The elements of a list or map column, packed: null rows hold no elements, and offsets
/// start at zero.
struct Packed {
    offsets: Vec<i32>,
    nulls: Option<NullBuffer>,
    /// The list's values or the map's entries, only those of the rows.
    values: ArrayRef,
}

impl Packed {
    fn new(
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

    fn list(array: &ArrayRef) -> Result<Self> {
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

    fn map(array: &ArrayRef) -> Result<Self> {
        match array.as_map_opt() {
            Some(map) => {
                let entries: ArrayRef = Arc::new(map.entries().clone());
                Self::new(map.offsets(), map.nulls(), &entries)
            }
            None => exec_err!("expected a map, got {}", array.data_type()),
        }
    }

    fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    fn range(&self, row: usize) -> std::ops::Range<usize> {
        self.offsets[row] as usize..self.offsets[row + 1] as usize
    }

    fn is_valid(&self, row: usize) -> bool {
        self.nulls.as_ref().is_none_or(|n| n.is_valid(row))
    }

    /// The row each element belongs to, to spread captured columns.
    fn row_of_elements(&self) -> UInt32Array {
        (0..self.rows())
            .flat_map(|row| std::iter::repeat_n(row as u32, self.range(row).len()))
            .collect()
    }

    /// Each element's 0-based position in its row.
    fn positions(&self) -> Int32Array {
        (0..self.rows())
            .flat_map(|row| 0..self.range(row).len() as i32)
            .collect()
    }

    fn offset_buffer(&self) -> OffsetBuffer<i32> {
        OffsetBuffer::new(self.offsets.clone().into())
    }

    fn entries(&self) -> Result<&StructArray> {
        match self.values.as_struct_opt() {
            Some(entries) => Ok(entries),
            None => exec_err!("expected map entries"),
        }
    }
}

/// Runs `lambda` over parallel parameter arrays whose element `i` belongs to row `rows[i]`.
fn apply(lambda: &LambdaArgument, params: &[ArrayRef], rows: &UInt32Array) -> Result<ArrayRef> {
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

fn list_field(return_type: &DataType) -> Result<FieldRef> {
    match return_type {
        DataType::List(item) => Ok(Arc::clone(item)),
        other => exec_err!("expected a list result, got {other}"),
    }
}

fn transform(list: &ArrayRef, lambda: &LambdaArgument, return_type: &DataType) -> Result<ArrayRef> {
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

/// The rows of a predicate's result that are true; null counts as false, as in Spark.
fn truths(predicate: &ArrayRef) -> Result<BooleanArray> {
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
fn kept_offsets(packed: &Packed, keep: &BooleanArray) -> OffsetBuffer<i32> {
    let mut offsets = Vec::with_capacity(packed.rows() + 1);
    let mut total = 0i32;
    offsets.push(0);
    for row in 0..packed.rows() {
        total += packed.range(row).filter(|i| keep.value(*i)).count() as i32;
        offsets.push(total);
    }
    OffsetBuffer::new(offsets.into())
}

fn filter_list(list: &ArrayRef, lambda: &LambdaArgument) -> Result<ArrayRef> {
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

fn zip_with(
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

/// Folds each row's elements into `zero` with `merge`, one element position at a time across
/// all rows, then applies `finish`; a null array gives null.
fn aggregate(
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
        let merged = if merged.data_type() == &accumulator_type {
            merged
        } else {
            cast(&merged, &accumulator_type)?
        };
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

fn new_map(
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

fn map_filter(map: &ArrayRef, lambda: &LambdaArgument) -> Result<ArrayRef> {
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
fn transform_map(
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

fn check_unique_keys(packed: &Packed, keys: &ArrayRef) -> Result<()> {
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
fn map_zip_with(
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

/// Each row's elements ordered by a comparator lambda (negative, zero or positive), with the
/// binary insertion sort Java's `TimSort` uses for short runs, so ties and inconsistent
/// comparators keep Spark's order. The comparator runs once over every pair of a row.
fn sort_with_comparator(list: &ArrayRef, lambda: &LambdaArgument) -> Result<ArrayRef> {
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
