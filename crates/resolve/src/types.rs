//! Spark data types ↔ Arrow data types, and Spark literals → DataFusion scalars.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType as ArrowType, Field, Fields, IntervalUnit, TimeUnit};
use datafusion::common::ScalarValue;
use ember_spec::{DataType, Literal, StructField};

use crate::error::{unsupported, ResolveResult};

/// Spark's TIMESTAMP is an instant; Ember keeps it as UTC microseconds.
pub const TIMESTAMP_ZONE: &str = "UTC";

pub fn to_arrow(data_type: &DataType) -> ResolveResult<ArrowType> {
    Ok(match data_type {
        DataType::Null => ArrowType::Null,
        DataType::Boolean => ArrowType::Boolean,
        DataType::Byte => ArrowType::Int8,
        DataType::Short => ArrowType::Int16,
        DataType::Integer => ArrowType::Int32,
        DataType::Long => ArrowType::Int64,
        DataType::Float => ArrowType::Float32,
        DataType::Double => ArrowType::Float64,
        DataType::Decimal { precision, scale } => ArrowType::Decimal128(*precision, *scale),
        DataType::String | DataType::Char(_) | DataType::Varchar(_) => ArrowType::Utf8,
        DataType::Binary => ArrowType::Binary,
        DataType::Date => ArrowType::Date32,
        DataType::Timestamp => {
            ArrowType::Timestamp(TimeUnit::Microsecond, Some(TIMESTAMP_ZONE.into()))
        }
        DataType::TimestampNtz => ArrowType::Timestamp(TimeUnit::Microsecond, None),
        DataType::Time(_) => ArrowType::Time64(TimeUnit::Nanosecond),
        DataType::DayTimeInterval => ArrowType::Duration(TimeUnit::Microsecond),
        DataType::YearMonthInterval => ArrowType::Interval(IntervalUnit::YearMonth),
        DataType::CalendarInterval => ArrowType::Interval(IntervalUnit::MonthDayNano),
        DataType::Array {
            element,
            contains_null,
        } => ArrowType::List(Arc::new(Field::new(
            "element",
            to_arrow(element)?,
            *contains_null,
        ))),
        DataType::Map {
            key,
            value,
            value_contains_null,
        } => {
            let entries = Field::new(
                "entries",
                ArrowType::Struct(Fields::from(vec![
                    Field::new("key", to_arrow(key)?, false),
                    Field::new("value", to_arrow(value)?, *value_contains_null),
                ])),
                false,
            );
            ArrowType::Map(Arc::new(entries), false)
        }
        DataType::Struct(fields) => ArrowType::Struct(to_arrow_fields(fields)?),
        DataType::Variant => ember_functions::variant_type(),
        DataType::Udt(udt) => match to_arrow(&udt.sql_type)? {
            ArrowType::Struct(fields) => ember_functions::udt_struct_type(
                &fields,
                udt.jvm_class.as_deref(),
                udt.python_class.as_deref(),
            ),
            // Only struct-stored types keep their identity; others travel as their storage.
            other => other,
        },
        DataType::Unparsed(text) => return unsupported(format!("unparsed type {text}")),
    })
}

pub fn to_arrow_fields(fields: &[StructField]) -> ResolveResult<Fields> {
    let mut out = Vec::with_capacity(fields.len());
    for field in fields {
        out.push(Field::new(
            &field.name,
            to_arrow(&field.data_type)?,
            field.nullable,
        ));
    }
    Ok(Fields::from(out))
}

/// The Spark type an Arrow type stands for.
pub fn from_arrow(data_type: &ArrowType) -> DataType {
    match data_type {
        ArrowType::Null => DataType::Null,
        ArrowType::Boolean => DataType::Boolean,
        ArrowType::Int8 | ArrowType::UInt8 => DataType::Byte,
        ArrowType::Int16 | ArrowType::UInt16 => DataType::Short,
        ArrowType::Int32 | ArrowType::UInt32 => DataType::Integer,
        ArrowType::Int64 | ArrowType::UInt64 => DataType::Long,
        ArrowType::Float16 | ArrowType::Float32 => DataType::Float,
        ArrowType::Float64 => DataType::Double,
        ArrowType::Decimal32(p, s)
        | ArrowType::Decimal64(p, s)
        | ArrowType::Decimal128(p, s)
        | ArrowType::Decimal256(p, s) => DataType::Decimal {
            precision: *p,
            scale: *s,
        },
        ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View => DataType::String,
        ArrowType::Binary
        | ArrowType::LargeBinary
        | ArrowType::BinaryView
        | ArrowType::FixedSizeBinary(_) => DataType::Binary,
        ArrowType::Date32 | ArrowType::Date64 => DataType::Date,
        ArrowType::Timestamp(_, Some(_)) => DataType::Timestamp,
        ArrowType::Timestamp(_, None) => DataType::TimestampNtz,
        ArrowType::Duration(_) | ArrowType::Interval(IntervalUnit::DayTime) => {
            DataType::DayTimeInterval
        }
        ArrowType::Interval(IntervalUnit::YearMonth) => DataType::YearMonthInterval,
        ArrowType::Interval(_) => DataType::CalendarInterval,
        ArrowType::List(field)
        | ArrowType::LargeList(field)
        | ArrowType::ListView(field)
        | ArrowType::LargeListView(field)
        | ArrowType::FixedSizeList(field, _) => DataType::Array {
            element: Box::new(from_arrow(field.data_type())),
            contains_null: field.is_nullable(),
        },
        ArrowType::Map(entries, _) => match entries.data_type() {
            ArrowType::Struct(kv) if kv.len() == 2 => DataType::Map {
                key: Box::new(from_arrow(kv[0].data_type())),
                value: Box::new(from_arrow(kv[1].data_type())),
                value_contains_null: kv[1].is_nullable(),
            },
            _ => DataType::Null,
        },
        variant if ember_functions::is_variant(variant) => DataType::Variant,
        ArrowType::Struct(fields) if ember_functions::udt_classes(data_type).is_some() => {
            let (jvm_class, python_class) =
                ember_functions::udt_classes(data_type).unwrap_or_default();
            let plain = ArrowType::Struct(
                fields
                    .iter()
                    .map(|f| f.as_ref().clone().with_metadata(Default::default()))
                    .collect(),
            );
            DataType::Udt(Box::new(ember_spec::UserDefinedType {
                jvm_class,
                python_class,
                sql_type: from_arrow(&plain),
            }))
        }
        ArrowType::Struct(fields) => DataType::Struct(
            fields
                .iter()
                .map(|f| StructField {
                    name: f.name().clone(),
                    data_type: from_arrow(f.data_type()),
                    nullable: f.is_nullable(),
                    metadata: spark_metadata(f),
                })
                .collect(),
        ),
        ArrowType::Dictionary(_, value) => from_arrow(value),
        ArrowType::RunEndEncoded(_, value) => from_arrow(value.data_type()),
        ArrowType::Time32(_) | ArrowType::Time64(_) => DataType::Time(6),
        ArrowType::Union(..) => DataType::Null,
    }
}

/// The Arrow type Ember hands to clients for a computed type: the one Spark's own type maps to.
pub fn client_arrow_type(data_type: &ArrowType) -> ArrowType {
    to_arrow(&from_arrow(data_type)).unwrap_or(ArrowType::Utf8)
}

pub fn literal_to_scalar(literal: &Literal) -> ResolveResult<ScalarValue> {
    Ok(match literal {
        Literal::Null(data_type) => ScalarValue::try_from(&to_arrow(data_type)?)?,
        Literal::Boolean(v) => ScalarValue::Boolean(Some(*v)),
        Literal::Byte(v) => ScalarValue::Int8(Some(*v)),
        Literal::Short(v) => ScalarValue::Int16(Some(*v)),
        Literal::Integer(v) => ScalarValue::Int32(Some(*v)),
        Literal::Long(v) => ScalarValue::Int64(Some(*v)),
        Literal::Float(v) => ScalarValue::Float32(Some(*v)),
        Literal::Double(v) => ScalarValue::Float64(Some(*v)),
        Literal::Decimal {
            value,
            precision,
            scale,
        } => ScalarValue::Decimal128(Some(*value), *precision, *scale),
        Literal::String(v) => ScalarValue::Utf8(Some(v.clone())),
        Literal::Binary(v) => ScalarValue::Binary(Some(v.clone())),
        Literal::Date(v) => ScalarValue::Date32(Some(*v)),
        Literal::Timestamp(v) => {
            ScalarValue::TimestampMicrosecond(Some(*v), Some(TIMESTAMP_ZONE.into()))
        }
        Literal::TimestampNtz(v) => ScalarValue::TimestampMicrosecond(Some(*v), None),
        Literal::Time(v) => ScalarValue::Time64Nanosecond(Some(*v)),
        Literal::DayTimeInterval(v) => ScalarValue::DurationMicrosecond(Some(*v)),
        Literal::YearMonthInterval(v) => ScalarValue::IntervalYearMonth(Some(*v)),
        Literal::Array {
            element_type,
            elements,
        } => {
            let values = elements
                .iter()
                .map(literal_to_scalar)
                .collect::<ResolveResult<Vec<_>>>()?;
            let element = to_arrow(element_type)?;
            ScalarValue::List(ScalarValue::new_list_nullable(&values, &element))
        }
        Literal::Struct { fields } => {
            let mut builder = datafusion::common::scalar::ScalarStructBuilder::new();
            for (name, value) in fields {
                let scalar = literal_to_scalar(value)?;
                builder = builder.with_scalar(Field::new(name, scalar.data_type(), true), scalar);
            }
            builder.build()?
        }
        Literal::Map { .. } => return unsupported("map literals"),
    })
}

/// Where a field's Spark metadata (JSON text) lives in its Arrow field metadata.
pub const SPARK_METADATA_KEY: &str = "spark.metadata";

/// A field's Spark metadata, if it has any.
pub fn spark_metadata(field: &datafusion::arrow::datatypes::Field) -> Option<String> {
    field.metadata().get(SPARK_METADATA_KEY).cloned()
}
