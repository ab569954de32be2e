//! Spark SQL expression text (`"a + 1 AS b"`, `"count(DISTINCT x)"`) to `ember_spec::Expr`.
//! Operators become the function names the Spark Connect client uses, so both front ends
//! meet the analyzer with one vocabulary.

use datafusion::sql::sqlparser::ast::{
    self, AccessExpr, BinaryOperator, CastKind, DuplicateTreatment, FunctionArg, FunctionArgExpr,
    FunctionArguments, ObjectNamePart, SelectItem, SelectItemQualifiedWildcardKind, Subscript,
    UnaryOperator, Value, WindowType,
};
use datafusion::sql::sqlparser::dialect::DatabricksDialect;
use datafusion::sql::sqlparser::parser::Parser;
use ember_spec::{DataType, Expr, Literal, NullOrdering, SortDirection, SortOrder};

use crate::{parse_data_type, SqlError, SqlResult};

/// Parses one expression, as `expr("...")` and `filter("...")` take it.
pub fn parse_expression(text: &str) -> SqlResult<Expr> {
    let dialect = DatabricksDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(text)?;
    let parsed = parser.parse_expr()?;
    expect_end(&mut parser, text)?;
    convert(parsed)
}

/// Parses an expression that may carry an alias or be a star, as `selectExpr("...")` takes it.
pub fn parse_named_expression(text: &str) -> SqlResult<Expr> {
    let dialect = DatabricksDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(text)?;
    let item = parser.parse_select_item()?;
    expect_end(&mut parser, text)?;
    match item {
        SelectItem::UnnamedExpr(expr) => convert(expr),
        SelectItem::ExprWithAlias { expr, alias } => Ok(Expr::Alias {
            expr: Box::new(convert(expr)?),
            name: vec![alias.value],
            metadata: None,
        }),
        SelectItem::Wildcard(_) => Ok(Expr::Star {
            target: None,
            plan_id: None,
        }),
        SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), _) => {
            Ok(Expr::Star {
                target: Some(object_name(&name)),
                plan_id: None,
            })
        }
        other => Err(SqlError::Unsupported(format!("select item {other}"))),
    }
}

fn expect_end(parser: &mut Parser, text: &str) -> SqlResult<()> {
    let next = parser.peek_token();
    if next.token == datafusion::sql::sqlparser::tokenizer::Token::EOF {
        Ok(())
    } else {
        Err(SqlError::syntax(
            format!("'{}'", next.token),
            format!("in expression '{text}'"),
        ))
    }
}

fn object_name(name: &ast::ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => ident.value.clone(),
            ObjectNamePart::Function(function) => function.name.value.clone(),
        })
        .collect()
}

fn call(name: &str, arguments: Vec<Expr>) -> Expr {
    Expr::Function {
        name: name.to_string(),
        arguments,
        is_distinct: false,
    }
}

fn boxed(expr: ast::Expr) -> SqlResult<Expr> {
    convert(expr)
}

fn convert(expr: ast::Expr) -> SqlResult<Expr> {
    use ast::Expr as E;
    Ok(match expr {
        E::Identifier(ident) => Expr::Column {
            name: vec![ident.value],
            plan_id: None,
        },
        E::CompoundIdentifier(parts) => Expr::Column {
            name: parts.into_iter().map(|p| p.value).collect(),
            plan_id: None,
        },
        E::Value(value) => Expr::Literal(literal(value.value)?),
        E::Nested(inner) => convert(*inner)?,
        E::IsNull(inner) => call("isnull", vec![boxed(*inner)?]),
        E::IsNotNull(inner) => call("isnotnull", vec![boxed(*inner)?]),
        E::IsTrue(inner) => call(
            "<=>",
            vec![boxed(*inner)?, Expr::Literal(Literal::Boolean(true))],
        ),
        E::IsFalse(inner) => call(
            "<=>",
            vec![boxed(*inner)?, Expr::Literal(Literal::Boolean(false))],
        ),
        E::IsDistinctFrom(left, right) => call(
            "not",
            vec![call("<=>", vec![boxed(*left)?, boxed(*right)?])],
        ),
        E::IsNotDistinctFrom(left, right) => call("<=>", vec![boxed(*left)?, boxed(*right)?]),
        E::InList {
            expr,
            list,
            negated,
        } => {
            let mut arguments = vec![boxed(*expr)?];
            for item in list {
                arguments.push(convert(item)?);
            }
            negate_if(negated, call("in", arguments))
        }
        E::Between {
            expr,
            negated,
            low,
            high,
        } => negate_if(
            negated,
            call("between", vec![boxed(*expr)?, boxed(*low)?, boxed(*high)?]),
        ),
        E::Like {
            negated,
            expr,
            pattern,
            ..
        } => negate_if(negated, call("like", vec![boxed(*expr)?, boxed(*pattern)?])),
        E::ILike {
            negated,
            expr,
            pattern,
            ..
        } => negate_if(
            negated,
            call("ilike", vec![boxed(*expr)?, boxed(*pattern)?]),
        ),
        E::RLike {
            negated,
            expr,
            pattern,
            ..
        } => negate_if(
            negated,
            call("rlike", vec![boxed(*expr)?, boxed(*pattern)?]),
        ),
        E::BinaryOp { left, op, right } => {
            let name = binary_operator(&op)?;
            let arguments = vec![boxed(*left)?, boxed(*right)?];
            if name == "!=" {
                call("not", vec![call("==", arguments)])
            } else {
                call(name, arguments)
            }
        }
        E::UnaryOp { op, expr } => match op {
            UnaryOperator::Not => call("not", vec![boxed(*expr)?]),
            UnaryOperator::Minus => match convert(*expr)? {
                Expr::Literal(literal) => Expr::Literal(negate_literal(literal)),
                // SQL's `-b` is named `(- b)`; the DataFrame API's `-col` is `negative(b)`.
                other => call("-", vec![other]),
            },
            UnaryOperator::Plus => call("positive", vec![boxed(*expr)?]),
            UnaryOperator::BitwiseNot => call("~", vec![boxed(*expr)?]),
            other => return Err(SqlError::Unsupported(format!("operator {other}"))),
        },
        E::Cast {
            kind,
            expr,
            data_type,
            ..
        } => {
            let text = data_type.to_string();
            Expr::Cast {
                expr: Box::new(convert(*expr)?),
                data_type: parse_data_type(&text)?,
                is_try: matches!(kind, CastKind::TryCast | CastKind::SafeCast),
            }
        }
        E::TypedString(typed) => {
            let text = match typed.value.value {
                Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s,
                other => other.to_string(),
            };
            Expr::Cast {
                expr: Box::new(Expr::Literal(Literal::String(text))),
                data_type: parse_data_type(&typed.data_type.to_string())?,
                is_try: false,
            }
        }
        E::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            let operand = operand.map(|o| convert(*o)).transpose()?;
            let mut branches = Vec::with_capacity(conditions.len());
            for branch in conditions {
                let condition = convert(branch.condition)?;
                let condition = match &operand {
                    Some(operand) => call("==", vec![operand.clone(), condition]),
                    None => condition,
                };
                branches.push((condition, convert(branch.result)?));
            }
            Expr::CaseWhen {
                branches,
                otherwise: else_result.map(|e| convert(*e)).transpose()?.map(Box::new),
            }
        }
        E::CompoundFieldAccess { root, access_chain } => {
            let mut current = convert(*root)?;
            for access in access_chain {
                let extraction = match access {
                    AccessExpr::Dot(ast::Expr::Identifier(ident)) => {
                        Expr::Literal(Literal::String(ident.value))
                    }
                    AccessExpr::Dot(other) => convert(other)?,
                    AccessExpr::Subscript(Subscript::Index { index }) => convert(index)?,
                    AccessExpr::Subscript(other) => {
                        return Err(SqlError::Unsupported(format!("subscript {other}")))
                    }
                };
                current = Expr::ExtractValue {
                    child: Box::new(current),
                    extraction: Box::new(extraction),
                };
            }
            current
        }
        E::Lambda(lambda) => {
            let parameters = match lambda.params {
                ast::OneOrManyWithParens::One(p) => vec![p.name.value],
                ast::OneOrManyWithParens::Many(ps) => {
                    ps.into_iter().map(|p| p.name.value).collect()
                }
            };
            Expr::Lambda {
                body: Box::new(convert(*lambda.body)?),
                parameters,
            }
        }
        E::Function(function) => convert_function(function)?,
        other => return Err(SqlError::Unsupported(format!("expression '{other}'"))),
    })
}

fn negate_if(negated: bool, expr: Expr) -> Expr {
    if negated {
        call("not", vec![expr])
    } else {
        expr
    }
}

fn negate_literal(literal: Literal) -> Literal {
    match literal {
        Literal::Integer(v) => Literal::Integer(-v),
        Literal::Long(v) => Literal::Long(-v),
        Literal::Double(v) => Literal::Double(-v),
        Literal::Float(v) => Literal::Float(-v),
        Literal::Decimal {
            value,
            precision,
            scale,
        } => Literal::Decimal {
            value: -value,
            precision,
            scale,
        },
        other => other,
    }
}

fn binary_operator(op: &BinaryOperator) -> SqlResult<&'static str> {
    Ok(match op {
        BinaryOperator::Plus => "+",
        BinaryOperator::Minus => "-",
        BinaryOperator::Multiply => "*",
        BinaryOperator::Divide => "/",
        BinaryOperator::Modulo => "%",
        BinaryOperator::Eq => "==",
        BinaryOperator::NotEq => "!=",
        BinaryOperator::Lt => "<",
        BinaryOperator::LtEq => "<=",
        BinaryOperator::Gt => ">",
        BinaryOperator::GtEq => ">=",
        BinaryOperator::Spaceship => "<=>",
        BinaryOperator::And => "and",
        BinaryOperator::Or => "or",
        BinaryOperator::StringConcat => "concat",
        BinaryOperator::BitwiseAnd => "&",
        BinaryOperator::BitwiseOr => "|",
        BinaryOperator::BitwiseXor => "^",
        BinaryOperator::MyIntegerDivide | BinaryOperator::DuckIntegerDivide => "div",
        other => return Err(SqlError::Unsupported(format!("operator {other}"))),
    })
}

/// Spark's literal typing: integers are INT when they fit, else BIGINT; a number with a
/// decimal point is DECIMAL; an exponent makes it DOUBLE.
fn literal(value: Value) -> SqlResult<Literal> {
    Ok(match value {
        Value::Null => Literal::Null(DataType::Null),
        Value::Boolean(b) => Literal::Boolean(b),
        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Literal::String(s),
        Value::Number(text, long_suffix) => number_literal(&text, long_suffix)?,
        other => return Err(SqlError::Unsupported(format!("literal {other}"))),
    })
}

fn number_literal(text: &str, long_suffix: bool) -> SqlResult<Literal> {
    let bad = || SqlError::syntax(format!("'{text}'"), "invalid number");
    if text.contains(['e', 'E']) {
        return text.parse().map(Literal::Double).map_err(|_| bad());
    }
    if let Some((whole, fraction)) = text.split_once('.') {
        let digits = format!("{whole}{fraction}");
        let value: i128 = digits.parse().map_err(|_| bad())?;
        let scale = i8::try_from(fraction.len()).map_err(|_| bad())?;
        let significant = digits.trim_start_matches('0').len().max(1);
        let precision = u8::try_from(significant.max(fraction.len())).map_err(|_| bad())?;
        return Ok(Literal::Decimal {
            value,
            precision,
            scale,
        });
    }
    let value: i64 = text.parse().map_err(|_| bad())?;
    if long_suffix {
        return Ok(Literal::Long(value));
    }
    Ok(match i32::try_from(value) {
        Ok(small) => Literal::Integer(small),
        Err(_) => Literal::Long(value),
    })
}

fn convert_function(function: ast::Function) -> SqlResult<Expr> {
    let name = object_name(&function.name).join(".");
    let mut is_distinct = false;
    let mut arguments = Vec::new();
    match function.args {
        FunctionArguments::None => {}
        FunctionArguments::Subquery(_) => {
            return Err(SqlError::Unsupported("subquery arguments".into()))
        }
        FunctionArguments::List(list) => {
            is_distinct = matches!(list.duplicate_treatment, Some(DuplicateTreatment::Distinct));
            for argument in list.args {
                arguments.push(match argument {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => convert(e)?,
                    FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => Expr::Star {
                        target: None,
                        plan_id: None,
                    },
                    FunctionArg::Unnamed(FunctionArgExpr::QualifiedWildcard(n)) => Expr::Star {
                        target: Some(object_name(&n)),
                        plan_id: None,
                    },
                    FunctionArg::Named {
                        name,
                        arg: FunctionArgExpr::Expr(e),
                        ..
                    } => Expr::NamedArgument {
                        key: name.value,
                        value: Box::new(convert(e)?),
                    },
                    other => return Err(SqlError::Unsupported(format!("argument {other}"))),
                });
            }
        }
    }
    let call = Expr::Function {
        name,
        arguments,
        is_distinct,
    };
    match function.over {
        None => Ok(call),
        Some(WindowType::NamedWindow(name)) => {
            Err(SqlError::Unsupported(format!("named window {name}")))
        }
        Some(WindowType::WindowSpec(spec)) => {
            let partition_by = spec
                .partition_by
                .into_iter()
                .map(convert)
                .collect::<SqlResult<_>>()?;
            let mut order_by = Vec::new();
            for order in spec.order_by {
                let direction = if order.options.asc == Some(false) {
                    SortDirection::Descending
                } else {
                    SortDirection::Ascending
                };
                let nulls = order.options.nulls_first.map(|first| {
                    if first {
                        NullOrdering::NullsFirst
                    } else {
                        NullOrdering::NullsLast
                    }
                });
                order_by.push(SortOrder::new(convert(order.expr)?, direction, nulls));
            }
            if spec.window_frame.is_some() {
                return Err(SqlError::Unsupported(
                    "window frames in expression text".into(),
                ));
            }
            Ok(Expr::Window {
                function: Box::new(call),
                partition_by,
                order_by,
                frame: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_use_connect_names() -> SqlResult<()> {
        let parsed = parse_expression("a + 1 > b")?;
        let Expr::Function {
            name, arguments, ..
        } = parsed
        else {
            panic!("not a call")
        };
        assert_eq!(name, ">");
        assert!(matches!(&arguments[0], Expr::Function { name, .. } if name == "+"));
        Ok(())
    }

    #[test]
    fn literals_follow_spark_typing() -> SqlResult<()> {
        assert_eq!(parse_expression("1")?, Expr::Literal(Literal::Integer(1)));
        assert_eq!(
            parse_expression("3000000000")?,
            Expr::Literal(Literal::Long(3000000000))
        );
        assert_eq!(
            parse_expression("1.50")?,
            Expr::Literal(Literal::Decimal {
                value: 150,
                precision: 3,
                scale: 2
            })
        );
        Ok(())
    }

    #[test]
    fn aliases_and_distinct_aggregates() -> SqlResult<()> {
        let parsed = parse_named_expression("count(DISTINCT x) AS n")?;
        let Expr::Alias { expr, name, .. } = parsed else {
            panic!("no alias")
        };
        assert_eq!(name, vec!["n".to_string()]);
        assert!(matches!(
            *expr,
            Expr::Function {
                is_distinct: true,
                ..
            }
        ));
        assert!(parse_expression("a +").is_err());
        Ok(())
    }
}
