use ember_proto::spark::connect::expression::window::window_frame::{
    frame_boundary::Boundary, FrameBoundary as ProtoBoundary,
};
use ember_proto::spark::connect::expression::{cast::CastToType, ExprType};
use ember_proto::spark::connect::Expression;
use ember_spec::{
    Expr, FrameBoundary, FrameKind, NullOrdering, SortDirection, SortOrder, SubqueryKind,
    WindowFrame,
};

use super::{data_type_from_proto, literal_from_proto, parse_schema_text, required};
use crate::error::{ConnectError, ConnectResult};

/// Splits `a.b`, `` `a.b`.c `` into name parts, as Spark's attribute parser does.
pub(crate) fn split_identifier(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' if quoted && chars.peek() == Some(&'`') => {
                chars.next();
                current.push('`');
            }
            '`' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut current)),
            other => current.push(other),
        }
    }
    parts.push(current);
    parts
}

fn boxed(expression: Option<&Expression>, field: &str) -> ConnectResult<Box<Expr>> {
    Ok(Box::new(expression_from_proto(required(
        expression, field,
    )?)?))
}

pub(crate) fn sort_order_from_proto(
    order: &ember_proto::spark::connect::expression::SortOrder,
) -> ConnectResult<SortOrder> {
    let child = expression_from_proto(required(order.child.as_deref(), "sort_order.child")?)?;
    // Proto enums: direction 1 = ascending, 2 = descending; nulls 1 = first, 2 = last.
    let direction = if order.direction == 2 {
        SortDirection::Descending
    } else {
        SortDirection::Ascending
    };
    let nulls = match order.null_ordering {
        1 => Some(NullOrdering::NullsFirst),
        2 => Some(NullOrdering::NullsLast),
        _ => None,
    };
    Ok(SortOrder::new(child, direction, nulls))
}

pub fn expression_from_proto(proto: &Expression) -> ConnectResult<Expr> {
    let expr_type = required(proto.expr_type.as_ref(), "expression.expr_type")?;
    Ok(match expr_type {
        ExprType::Literal(literal) => Expr::Literal(literal_from_proto(literal)?),
        ExprType::UnresolvedAttribute(attribute) => Expr::Column {
            name: split_identifier(&attribute.unparsed_identifier),
            plan_id: attribute.plan_id,
        },
        ExprType::UnresolvedFunction(function) => {
            let mut arguments: Vec<Expr> = function
                .arguments
                .iter()
                .map(expression_from_proto)
                .collect::<ConnectResult<_>>()?;
            ember_sql::schema_argument_as_type(
                &function.function_name,
                &mut arguments,
                crate::convert::data_type::parse_schema_text,
                ember_functions::infer_schema_text,
            )?;
            Expr::Function {
                name: function.function_name.clone(),
                arguments,
                is_distinct: function.is_distinct,
            }
        }
        ExprType::ExpressionString(text) => ember_sql::parse_named_expression(&text.expression)?,
        ExprType::UnresolvedStar(star) => Expr::Star {
            target: star
                .unparsed_target
                .as_ref()
                .map(|t| split_identifier(t.trim_end_matches(".*")))
                .filter(|parts| !parts.iter().all(String::is_empty)),
            plan_id: star.plan_id,
        },
        ExprType::Alias(alias) => Expr::Alias {
            expr: boxed(alias.expr.as_deref(), "alias.expr")?,
            name: alias.name.clone(),
            metadata: alias.metadata.clone().filter(|m| !m.is_empty()),
        },
        ExprType::Cast(cast) => {
            let data_type = match required(cast.cast_to_type.as_ref(), "cast.cast_to_type")? {
                CastToType::Type(t) => data_type_from_proto(t)?,
                CastToType::TypeStr(text) => parse_schema_text(text)?,
            };
            // eval_mode 3 is TRY.
            Expr::Cast {
                expr: boxed(cast.expr.as_deref(), "cast.expr")?,
                data_type,
                is_try: cast.eval_mode == 3,
            }
        }
        ExprType::SortOrder(order) => Expr::SortOrder(Box::new(sort_order_from_proto(order)?)),
        ExprType::Window(window) => {
            let frame = window
                .frame_spec
                .as_deref()
                .map(|f| -> ConnectResult<WindowFrame> {
                    let kind = if f.frame_type == 1 {
                        FrameKind::Rows
                    } else {
                        FrameKind::Range
                    };
                    Ok(WindowFrame {
                        kind,
                        lower: boundary(f.lower.as_deref(), true)?,
                        upper: boundary(f.upper.as_deref(), false)?,
                    })
                })
                .transpose()?;
            Expr::Window {
                function: boxed(window.window_function.as_deref(), "window.window_function")?,
                partition_by: window
                    .partition_spec
                    .iter()
                    .map(expression_from_proto)
                    .collect::<ConnectResult<_>>()?,
                order_by: window
                    .order_spec
                    .iter()
                    .map(sort_order_from_proto)
                    .collect::<ConnectResult<_>>()?,
                frame,
            }
        }
        ExprType::UnresolvedExtractValue(extract) => Expr::ExtractValue {
            child: boxed(extract.child.as_deref(), "extract.child")?,
            extraction: boxed(extract.extraction.as_deref(), "extract.extraction")?,
        },
        ExprType::UpdateFields(update) => Expr::UpdateFields {
            struct_expr: boxed(
                update.struct_expression.as_deref(),
                "update_fields.struct_expression",
            )?,
            field_name: update.field_name.clone(),
            value: update
                .value_expression
                .as_deref()
                .map(expression_from_proto)
                .transpose()?
                .map(Box::new),
        },
        ExprType::LambdaFunction(lambda) => Expr::Lambda {
            body: boxed(lambda.function.as_deref(), "lambda.function")?,
            parameters: lambda
                .arguments
                .iter()
                .map(|v| v.name_parts.join("."))
                .collect(),
        },
        ExprType::UnresolvedNamedLambdaVariable(v) => Expr::LambdaVariable(v.name_parts.join(".")),
        ExprType::SubqueryExpression(subquery) => {
            use ember_proto::spark::connect::subquery_expression::SubqueryType;
            let kind = match SubqueryType::try_from(subquery.subquery_type) {
                Ok(SubqueryType::Scalar) => SubqueryKind::Scalar,
                Ok(SubqueryType::Exists) => SubqueryKind::Exists,
                Ok(SubqueryType::In) => SubqueryKind::In(
                    subquery
                        .in_subquery_values
                        .iter()
                        .map(expression_from_proto)
                        .collect::<ConnectResult<Vec<_>>>()?,
                ),
                _ => return Err(ConnectError::Unsupported("table-valued subqueries".into())),
            };
            Expr::Subquery {
                plan_id: subquery.plan_id,
                kind,
            }
        }
        ExprType::UnresolvedRegex(regex) => Expr::ColumnRegex {
            pattern: regex.col_name.clone(),
            plan_id: regex.plan_id,
        },
        ExprType::CallFunction(call) => Expr::Function {
            name: call.function_name.clone(),
            arguments: call
                .arguments
                .iter()
                .map(expression_from_proto)
                .collect::<ConnectResult<_>>()?,
            is_distinct: false,
        },
        ExprType::NamedArgumentExpression(named) => Expr::NamedArgument {
            key: named.key.clone(),
            value: boxed(named.value.as_deref(), "named_argument.value")?,
        },
        ExprType::CommonInlineUserDefinedFunction(function) => {
            Expr::PythonUdf(Box::new(python_udf_from_proto(function)?))
        }
        other => {
            return Err(ConnectError::Unsupported(format!(
                "expression {}",
                variant_name(other)
            )))
        }
    })
}

fn variant_name(expr_type: &ExprType) -> String {
    format!("{expr_type:?}")
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or("expression")
        .to_string()
}

fn boundary(proto: Option<&ProtoBoundary>, lower: bool) -> ConnectResult<FrameBoundary> {
    let Some(boundary) = proto.and_then(|b| b.boundary.as_ref()) else {
        return Ok(if lower {
            FrameBoundary::UnboundedPreceding
        } else {
            FrameBoundary::UnboundedFollowing
        });
    };
    Ok(match boundary {
        Boundary::CurrentRow(_) => FrameBoundary::CurrentRow,
        Boundary::Unbounded(_) if lower => FrameBoundary::UnboundedPreceding,
        Boundary::Unbounded(_) => FrameBoundary::UnboundedFollowing,
        Boundary::Value(value) => FrameBoundary::Offset(Box::new(expression_from_proto(value)?)),
    })
}

/// A function the client pickled; only Python functions can run here.
pub fn python_udf_from_proto(
    function: &ember_proto::spark::connect::CommonInlineUserDefinedFunction,
) -> ConnectResult<ember_spec::PythonUdf> {
    use ember_proto::spark::connect::common_inline_user_defined_function::Function;
    let Some(Function::PythonUdf(python)) = &function.function else {
        return Err(ConnectError::Unsupported(
            "user-defined functions other than Python ones".into(),
        ));
    };
    Ok(ember_spec::PythonUdf {
        name: function.function_name.clone(),
        arguments: function
            .arguments
            .iter()
            .map(expression_from_proto)
            .collect::<ConnectResult<_>>()?,
        command: python.command.clone(),
        eval_type: python.eval_type,
        output_type: data_type_from_proto(required(
            python.output_type.as_ref(),
            "python_udf.output_type",
        )?)?,
        deterministic: function.deterministic,
    })
}

#[cfg(test)]
mod tests {
    use super::split_identifier;

    #[test]
    fn splits_dotted_and_quoted_names() {
        assert_eq!(split_identifier("a.b"), vec!["a", "b"]);
        assert_eq!(split_identifier("`a.b`.c"), vec!["a.b", "c"]);
        assert_eq!(split_identifier("`x``y`"), vec!["x`y"]);
    }
}
