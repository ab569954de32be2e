// Older clients still send fields the protocol has since deprecated.
#![allow(deprecated)]

use ember_proto::spark::connect::expression::literal::LiteralType;
use ember_proto::spark::connect::expression::Literal as ProtoLiteral;
use ember_spec::{DataType, Literal};

use super::{data_type_from_proto, required};
use crate::error::{ConnectError, ConnectResult};

pub fn literal_from_proto(proto: &ProtoLiteral) -> ConnectResult<Literal> {
    let value = required(proto.literal_type.as_ref(), "literal.literal_type")?;
    Ok(match value {
        LiteralType::Null(t) => Literal::Null(data_type_from_proto(t).unwrap_or(DataType::Null)),
        LiteralType::Binary(v) => Literal::Binary(v.clone()),
        LiteralType::Boolean(v) => Literal::Boolean(*v),
        LiteralType::Byte(v) => Literal::Byte(i8::try_from(*v).unwrap_or_default()),
        LiteralType::Short(v) => Literal::Short(i16::try_from(*v).unwrap_or_default()),
        LiteralType::Integer(v) => Literal::Integer(*v),
        LiteralType::Long(v) => Literal::Long(*v),
        LiteralType::Float(v) => Literal::Float(*v),
        LiteralType::Double(v) => Literal::Double(*v),
        LiteralType::Decimal(d) => decimal(&d.value, d.precision, d.scale)?,
        LiteralType::String(v) => Literal::String(v.clone()),
        LiteralType::Date(v) => Literal::Date(*v),
        LiteralType::Timestamp(v) => Literal::Timestamp(*v),
        LiteralType::TimestampNtz(v) => Literal::TimestampNtz(*v),
        LiteralType::Time(t) => Literal::Time(t.nano),
        LiteralType::YearMonthInterval(v) => Literal::YearMonthInterval(*v),
        LiteralType::DayTimeInterval(v) => Literal::DayTimeInterval(*v),
        LiteralType::Array(array) => {
            let elements = array
                .elements
                .iter()
                .map(literal_from_proto)
                .collect::<ConnectResult<Vec<_>>>()?;
            let element_type = match &array.element_type {
                Some(t) => data_type_from_proto(t)?,
                None => elements.first().map(literal_type).unwrap_or(DataType::Null),
            };
            Literal::Array {
                element_type,
                elements,
            }
        }
        LiteralType::SpecializedArray(array) => specialized_array(array),
        LiteralType::Struct(s) => {
            let names: Vec<String> = match s
                .struct_type
                .as_ref()
                .map(data_type_from_proto)
                .transpose()?
            {
                Some(DataType::Struct(fields)) => fields.into_iter().map(|f| f.name).collect(),
                Some(DataType::Udt(udt)) => match udt.sql_type {
                    DataType::Struct(fields) => fields.into_iter().map(|f| f.name).collect(),
                    _ => Vec::new(),
                },
                _ => (0..s.elements.len())
                    .map(|i| format!("col{}", i + 1))
                    .collect(),
            };
            let fields = names
                .into_iter()
                .zip(s.elements.iter())
                .map(|(n, e)| Ok((n, literal_from_proto(e)?)))
                .collect::<ConnectResult<_>>()?;
            Literal::Struct { fields }
        }
        other => return Err(ConnectError::Unsupported(format!("literal {other:?}"))),
    })
}

/// An array sent in its compact form (`ml` parameters, vectors).
fn specialized_array(
    array: &ember_proto::spark::connect::expression::literal::SpecializedArray,
) -> Literal {
    use ember_proto::spark::connect::expression::literal::specialized_array::ValueType;
    let (element_type, elements) = match &array.value_type {
        Some(ValueType::Bools(v)) => (
            DataType::Boolean,
            v.values.iter().map(|x| Literal::Boolean(*x)).collect(),
        ),
        Some(ValueType::Ints(v)) => (
            DataType::Integer,
            v.values.iter().map(|x| Literal::Integer(*x)).collect(),
        ),
        Some(ValueType::Longs(v)) => (
            DataType::Long,
            v.values.iter().map(|x| Literal::Long(*x)).collect(),
        ),
        Some(ValueType::Floats(v)) => (
            DataType::Float,
            v.values.iter().map(|x| Literal::Float(*x)).collect(),
        ),
        Some(ValueType::Doubles(v)) => (
            DataType::Double,
            v.values.iter().map(|x| Literal::Double(*x)).collect(),
        ),
        Some(ValueType::Strings(v)) => (
            DataType::String,
            v.values
                .iter()
                .map(|x| Literal::String(x.clone()))
                .collect(),
        ),
        None => (DataType::Null, Vec::new()),
    };
    Literal::Array {
        element_type,
        elements,
    }
}

fn literal_type(literal: &Literal) -> DataType {
    match literal {
        Literal::Null(t) => t.clone(),
        Literal::Boolean(_) => DataType::Boolean,
        Literal::Integer(_) => DataType::Integer,
        Literal::Long(_) => DataType::Long,
        Literal::Double(_) => DataType::Double,
        Literal::String(_) => DataType::String,
        _ => DataType::Null,
    }
}

/// A decimal literal as Spark reads it: the value's own precision and scale, each raised to
/// the one sent when that is larger (the client sends `Decimal("0.2")` as scale 0).
fn decimal(text: &str, precision: Option<i32>, scale: Option<i32>) -> ConnectResult<Literal> {
    let bad = || ConnectError::InvalidPlan(format!("bad decimal literal {text}"));
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().map_err(|_| bad())?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let mut value: i128 = digits.parse().map_err(|_| bad())?;
    let fraction_digits = i32::try_from(fraction.len()).map_err(|_| bad())?;
    let mut own_scale = fraction_digits - exponent;
    if own_scale < 0 {
        // `1E+2`: Spark keeps no negative scales, so the digits take the zeros.
        value = value
            .checked_mul(
                10i128
                    .checked_pow(own_scale.unsigned_abs())
                    .ok_or_else(bad)?,
            )
            .ok_or_else(bad)?;
        own_scale = 0;
    }
    let own_precision = i32::try_from(value.unsigned_abs().to_string().len()).map_err(|_| bad())?;
    let scale_wanted = own_scale.max(scale.unwrap_or(0));
    if scale_wanted > own_scale {
        let factor = 10i128
            .checked_pow(u32::try_from(scale_wanted - own_scale).map_err(|_| bad())?)
            .ok_or_else(bad)?;
        value = value.checked_mul(factor).ok_or_else(bad)?;
    }
    let precision_wanted = own_precision.max(precision.unwrap_or(0)).max(scale_wanted);
    if precision_wanted > 38 {
        return Err(bad());
    }
    Ok(Literal::Decimal {
        value,
        precision: u8::try_from(precision_wanted).map_err(|_| bad())?,
        scale: i8::try_from(scale_wanted).map_err(|_| bad())?,
    })
}

#[cfg(test)]
mod decimal_tests {
    use super::*;

    fn parts(text: &str, precision: Option<i32>, scale: Option<i32>) -> (i128, u8, i8) {
        match decimal(text, precision, scale) {
            Ok(Literal::Decimal {
                value,
                precision,
                scale,
            }) => (value, precision, scale),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn decimals_keep_their_own_scale_when_the_client_sends_a_smaller_one() {
        assert_eq!(parts("0.2", Some(10), Some(0)), (2, 10, 1));
        assert_eq!(parts("100.00", Some(10), Some(0)), (10000, 10, 2));
        assert_eq!(parts("-0.05", None, None), (-5, 2, 2));
        assert_eq!(parts("7", Some(10), Some(2)), (700, 10, 2));
        assert_eq!(parts("1E+2", None, None), (100, 3, 0));
        assert_eq!(parts("1.5E-3", None, None), (15, 4, 4));
        assert!(decimal("1.2.3", None, None).is_err());
    }
}
