//! Spark operators on DataFusion expressions.

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{binary_expr, cast, Expr, Operator, ScalarUDF};

use crate::ansi_divide::AnsiDivide;

/// Spark's `/`: integral operands divide as doubles (`1 / 2` is `0.5`) and a zero divisor
/// raises DIVIDE_BY_ZERO (ANSI mode); decimals stay decimal.
pub fn divide(left: Expr, right: Expr, left_type: &DataType, right_type: &DataType) -> Expr {
    let is_decimal =
        |t: &DataType| matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..));
    if is_decimal(left_type) || is_decimal(right_type) {
        binary_expr(left, Operator::Divide, right)
    } else {
        ScalarUDF::from(AnsiDivide::new()).call(vec![
            cast(left, DataType::Float64),
            cast(right, DataType::Float64),
        ])
    }
}

pub fn binary_operator(name: &str) -> Option<Operator> {
    Some(match name {
        "+" => Operator::Plus,
        "-" => Operator::Minus,
        "*" => Operator::Multiply,
        "%" => Operator::Modulo,
        "==" => Operator::Eq,
        "!=" => Operator::NotEq,
        "<=>" => Operator::IsNotDistinctFrom,
        "<" => Operator::Lt,
        "<=" => Operator::LtEq,
        ">" => Operator::Gt,
        ">=" => Operator::GtEq,
        "and" => Operator::And,
        "or" => Operator::Or,
        "&" => Operator::BitwiseAnd,
        "|" => Operator::BitwiseOr,
        "^" => Operator::BitwiseXor,
        _ => return None,
    })
}
