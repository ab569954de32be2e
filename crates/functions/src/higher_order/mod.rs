//! Spark's higher-order functions that DataFusion's own cannot express: `transform` and
//! `filter` whose lambda may take the element's index, `zip_with`, `aggregate` (`reduce`),
//! `array_sort` with a comparator, and the map ones (`map_filter`, `transform_keys`,
//! `transform_values`, `map_zip_with`).
//!
//! A lambda runs once per batch over every element at once, with the outer columns it
//! captures spread to one row per element; only `aggregate` steps, once per element position
//! across all rows, because each step needs the previous accumulator.

mod lists;
mod maps;
mod packed;

/// What every part here uses; each file takes what it needs.
mod prelude {
    pub(super) use std::collections::{HashMap, HashSet};
    pub(super) use std::sync::Arc;

    pub(super) use super::packed::{apply, kept_offsets, list_field, truths, Packed};
    pub(super) use datafusion::arrow::array::{
        new_null_array, Array, ArrayRef, AsArray, BooleanArray, Int32Array, ListArray, MapArray,
        StructArray, UInt32Array,
    };
    pub(super) use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
    pub(super) use datafusion::arrow::compute::{
        cast, filter, interleave, nullif, take, take_arrays,
    };
    pub(super) use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
    pub(super) use datafusion::arrow::row::{RowConverter, SortField};
    pub(super) use datafusion::common::{exec_err, plan_err};
    pub(super) use datafusion::error::Result;
    pub(super) use datafusion::logical_expr::{
        ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderSignature,
        HigherOrderUDF, HigherOrderUDFImpl, LambdaArgument, LambdaParametersProgress,
        ValueOrLambda, Volatility,
    };
}

use prelude::*;

use lists::{aggregate, filter_list, sort_with_comparator, transform, zip_with};
use maps::{map_filter, map_zip_with, transform_map};

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

/// Spark's structural equality (`aggregate`'s merge result against its zero): field names
/// do not matter.
fn same_structure(left: &DataType, right: &DataType) -> bool {
    match (left, right) {
        (DataType::List(l), DataType::List(r)) => same_structure(l.data_type(), r.data_type()),
        (DataType::Struct(l), DataType::Struct(r)) => {
            l.len() == r.len()
                && l.iter()
                    .zip(r.iter())
                    .all(|(l, r)| same_structure(l.data_type(), r.data_type()))
        }
        (DataType::Map(l, _), DataType::Map(r, _)) => same_structure(l.data_type(), r.data_type()),
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
                if !same_structure(zero, lambda.data_type()) && zero != &DataType::Null {
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
