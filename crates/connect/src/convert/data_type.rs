use ember_proto::spark::connect::data_type::{self as dt, Kind};
use ember_proto::spark::connect::DataType as ProtoType;
use ember_spec::{DataType, StructField, UserDefinedType};

use super::required;
use crate::error::{ConnectError, ConnectResult};

pub fn data_type_from_proto(proto: &ProtoType) -> ConnectResult<DataType> {
    let kind = required(proto.kind.as_ref(), "data_type.kind")?;
    Ok(match kind {
        Kind::Null(_) => DataType::Null,
        Kind::Binary(_) => DataType::Binary,
        Kind::Boolean(_) => DataType::Boolean,
        Kind::Byte(_) => DataType::Byte,
        Kind::Short(_) => DataType::Short,
        Kind::Integer(_) => DataType::Integer,
        Kind::Long(_) => DataType::Long,
        Kind::Float(_) => DataType::Float,
        Kind::Double(_) => DataType::Double,
        Kind::Decimal(d) => DataType::Decimal {
            precision: u8::try_from(d.precision.unwrap_or(10)).unwrap_or(38),
            scale: i8::try_from(d.scale.unwrap_or(0)).unwrap_or(0),
        },
        Kind::String(_) => DataType::String,
        Kind::Char(c) => DataType::Char(u32::try_from(c.length).unwrap_or(0)),
        Kind::VarChar(c) => DataType::Varchar(u32::try_from(c.length).unwrap_or(0)),
        Kind::Date(_) => DataType::Date,
        Kind::Timestamp(_) => DataType::Timestamp,
        Kind::TimestampNtz(_) => DataType::TimestampNtz,
        Kind::Variant(_) => DataType::Variant,
        Kind::Time(t) => {
            DataType::Time(t.precision.and_then(|p| u8::try_from(p).ok()).unwrap_or(6))
        }
        Kind::CalendarInterval(_) => DataType::CalendarInterval,
        Kind::YearMonthInterval(_) => DataType::YearMonthInterval,
        Kind::DayTimeInterval(_) => DataType::DayTimeInterval,
        Kind::Array(a) => DataType::Array {
            element: Box::new(data_type_from_proto(required(
                a.element_type.as_deref(),
                "element_type",
            )?)?),
            contains_null: a.contains_null,
        },
        Kind::Map(m) => DataType::Map {
            key: Box::new(data_type_from_proto(required(
                m.key_type.as_deref(),
                "key_type",
            )?)?),
            value: Box::new(data_type_from_proto(required(
                m.value_type.as_deref(),
                "value_type",
            )?)?),
            value_contains_null: m.value_contains_null,
        },
        Kind::Struct(s) => DataType::Struct(
            s.fields
                .iter()
                .map(|f| {
                    Ok(StructField {
                        name: f.name.clone(),
                        data_type: data_type_from_proto(required(
                            f.data_type.as_ref(),
                            "field.data_type",
                        )?)?,
                        nullable: f.nullable,
                        metadata: f.metadata.clone(),
                    })
                })
                .collect::<ConnectResult<_>>()?,
        ),
        Kind::Unparsed(u) => parse_schema_text(&u.data_type_string)?,
        Kind::Udt(udt) => DataType::Udt(Box::new(UserDefinedType {
            jvm_class: udt.jvm_class.clone(),
            python_class: udt.python_class.clone(),
            sql_type: match (&udt.sql_type, udt.jvm_class.as_deref()) {
                (Some(sql_type), _) => data_type_from_proto(sql_type)?,
                // The storage struct itself, untagged (a tagged one reads back as the UDT).
                (None, Some(ember_functions::VECTOR_JVM_CLASS)) => {
                    ember_resolve::from_arrow(&datafusion::arrow::datatypes::DataType::Struct(
                        ember_functions::vector_fields(),
                    ))
                }
                (None, Some(MATRIX_JVM_CLASS)) => matrix_sql_type(),
                (None, _) => {
                    return Err(ConnectError::InvalidPlan(
                        "a user-defined type without its SQL type".into(),
                    ))
                }
            },
        })),
        other => return Err(ConnectError::Unsupported(format!("data type {other:?}"))),
    })
}

const MATRIX_JVM_CLASS: &str = "org.apache.spark.ml.linalg.MatrixUDT";

/// How Spark stores an ML matrix; `pyspark.ml` params name the UDT without it.
fn matrix_sql_type() -> DataType {
    let field = |name: &str, data_type: DataType, nullable: bool| StructField {
        name: name.to_string(),
        data_type,
        nullable,
        metadata: None,
    };
    let array = |element: DataType| DataType::Array {
        element: Box::new(element),
        contains_null: false,
    };
    DataType::Struct(vec![
        field("type", DataType::Byte, false),
        field("numRows", DataType::Integer, false),
        field("numCols", DataType::Integer, false),
        field("colPtrs", array(DataType::Integer), true),
        field("rowIndices", array(DataType::Integer), true),
        field("values", array(DataType::Double), true),
        field("isTransposed", DataType::Boolean, false),
    ])
}

/// A schema as the client sends it: Spark's JSON form or DDL text.
pub fn parse_schema_text(text: &str) -> ConnectResult<DataType> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(trimmed)
            .map_err(|e| ConnectError::InvalidPlan(format!("bad schema JSON: {e}")))?;
        return json_type(&value);
    }
    Ok(ember_sql::parse_data_type(trimmed)?)
}

fn json_type(value: &serde_json::Value) -> ConnectResult<DataType> {
    use serde_json::Value;
    match value {
        Value::String(name) => Ok(ember_sql::parse_data_type(match name.as_str() {
            "integer" => "int",
            other => other,
        })?),
        Value::Object(object) => {
            let kind = object
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let field = |key: &str| {
                object
                    .get(key)
                    .ok_or_else(|| ConnectError::InvalidPlan(format!("schema JSON lacks {key}")))
            };
            match kind {
                "struct" => {
                    let fields = field("fields")?.as_array().cloned().unwrap_or_default();
                    let mut out = Vec::new();
                    for f in fields {
                        out.push(StructField {
                            name: f
                                .get("name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            data_type: json_type(f.get("type").unwrap_or(&Value::Null))?,
                            nullable: f.get("nullable").and_then(Value::as_bool).unwrap_or(true),
                            metadata: f
                                .get("metadata")
                                .filter(|m| m.as_object().is_some_and(|o| !o.is_empty()))
                                .map(Value::to_string),
                        });
                    }
                    Ok(DataType::Struct(out))
                }
                "array" => Ok(DataType::Array {
                    element: Box::new(json_type(field("elementType")?)?),
                    contains_null: object
                        .get("containsNull")
                        .and_then(Value::as_bool)
                        .unwrap_or(true),
                }),
                "map" => Ok(DataType::Map {
                    key: Box::new(json_type(field("keyType")?)?),
                    value: Box::new(json_type(field("valueType")?)?),
                    value_contains_null: object
                        .get("valueContainsNull")
                        .and_then(Value::as_bool)
                        .unwrap_or(true),
                }),
                "udt" => Ok(DataType::Udt(Box::new(UserDefinedType {
                    jvm_class: object
                        .get("class")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    python_class: object
                        .get("pyClass")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    sql_type: json_type(field("sqlType")?)?,
                }))),
                other => Err(ConnectError::Unsupported(format!(
                    "schema JSON type {other}"
                ))),
            }
        }
        other => Err(ConnectError::InvalidPlan(format!(
            "bad schema JSON {other}"
        ))),
    }
}

fn kind(kind: Kind) -> ProtoType {
    ProtoType { kind: Some(kind) }
}

pub fn data_type_to_proto(data_type: &DataType) -> ProtoType {
    match data_type {
        DataType::Null => kind(Kind::Null(dt::Null::default())),
        DataType::Boolean => kind(Kind::Boolean(dt::Boolean::default())),
        DataType::Byte => kind(Kind::Byte(dt::Byte::default())),
        DataType::Short => kind(Kind::Short(dt::Short::default())),
        DataType::Integer => kind(Kind::Integer(dt::Integer::default())),
        DataType::Long => kind(Kind::Long(dt::Long::default())),
        DataType::Float => kind(Kind::Float(dt::Float::default())),
        DataType::Double => kind(Kind::Double(dt::Double::default())),
        DataType::Decimal { precision, scale } => kind(Kind::Decimal(dt::Decimal {
            precision: Some(i32::from(*precision)),
            scale: Some(i32::from(*scale)),
            ..Default::default()
        })),
        DataType::String | DataType::Char(_) | DataType::Varchar(_) | DataType::Unparsed(_) => {
            kind(Kind::String(dt::String::default()))
        }
        DataType::Binary => kind(Kind::Binary(dt::Binary::default())),
        DataType::Date => kind(Kind::Date(dt::Date::default())),
        DataType::Timestamp => kind(Kind::Timestamp(dt::Timestamp::default())),
        DataType::TimestampNtz => kind(Kind::TimestampNtz(dt::TimestampNtz::default())),
        DataType::Variant => kind(Kind::Variant(dt::Variant::default())),
        DataType::Udt(udt) => kind(Kind::Udt(Box::new(dt::Udt {
            r#type: "udt".into(),
            jvm_class: udt.jvm_class.clone(),
            python_class: udt.python_class.clone(),
            serialized_python_class: None,
            sql_type: Some(Box::new(data_type_to_proto(&udt.sql_type))),
        }))),
        DataType::Time(precision) => kind(Kind::Time(dt::Time {
            precision: Some(i32::from(*precision)),
            ..Default::default()
        })),
        DataType::DayTimeInterval => kind(Kind::DayTimeInterval(dt::DayTimeInterval {
            start_field: Some(0),
            end_field: Some(3),
            ..Default::default()
        })),
        DataType::YearMonthInterval => kind(Kind::YearMonthInterval(dt::YearMonthInterval {
            start_field: Some(0),
            end_field: Some(1),
            ..Default::default()
        })),
        DataType::CalendarInterval => kind(Kind::CalendarInterval(dt::CalendarInterval::default())),
        DataType::Array {
            element,
            contains_null,
        } => kind(Kind::Array(Box::new(dt::Array {
            element_type: Some(Box::new(data_type_to_proto(element))),
            contains_null: *contains_null,
            ..Default::default()
        }))),
        DataType::Map {
            key,
            value,
            value_contains_null,
        } => kind(Kind::Map(Box::new(dt::Map {
            key_type: Some(Box::new(data_type_to_proto(key))),
            value_type: Some(Box::new(data_type_to_proto(value))),
            value_contains_null: *value_contains_null,
            ..Default::default()
        }))),
        DataType::Struct(fields) => kind(Kind::Struct(dt::Struct {
            fields: fields
                .iter()
                .map(|f| dt::StructField {
                    name: f.name.clone(),
                    data_type: Some(data_type_to_proto(&f.data_type)),
                    nullable: f.nullable,
                    metadata: f.metadata.clone(),
                })
                .collect(),
            ..Default::default()
        })),
    }
}
