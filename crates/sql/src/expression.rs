//! Spark SQL expression text (`"a + 1 AS b"`, `"count(DISTINCT x)"`) to `ember_spec::Expr`.
//! Operators become the function names the Spark Connect client uses, so both front ends
//! meet the analyzer with one vocabulary.

use datafusion::sql::sqlparser::ast::{
    self, AccessExpr, BinaryOperator, CastKind, CeilFloorKind, ObjectNamePart, SelectItem,
    SelectItemQualifiedWildcardKind, Subscript, TrimWhereField, UnaryOperator, Value,
};
use datafusion::sql::sqlparser::parser::Parser;
use ember_spec::{Expr, Literal, SubqueryKind};

use crate::converter::{Converter, Parameters};
use crate::dialect::SparkDialect;
use crate::error::unsupported;
use crate::literal::{
    interval_literal, negate_literal, suffixed_number, typed_literal, value_literal,
};
use crate::{parse_data_type, SqlError, SqlResult};

/// Parses one expression, as `expr("...")` and `filter("...")` take it.
pub fn parse_expression(text: &str) -> SqlResult<Expr> {
    let dialect = SparkDialect;
    let mut parser =
        Parser::new(&dialect).try_with_sql(&crate::string_literals::spark_string_literals(text))?;
    let parsed = parser.parse_expr()?;
    expect_end(&mut parser, text)?;
    let mut converter = Converter::new(Parameters::default());
    let expr = converter.expr(parsed)?;
    converter.expect_no_references("a subquery in an expression string")?;
    Ok(expr)
}

/// Parses an expression that may carry an alias or be a star, as `selectExpr("...")` takes it.
pub fn parse_named_expression(text: &str) -> SqlResult<Expr> {
    let dialect = SparkDialect;
    let mut parser =
        Parser::new(&dialect).try_with_sql(&crate::string_literals::spark_string_literals(text))?;
    let item = parser.parse_select_item()?;
    expect_end(&mut parser, text)?;
    let mut converter = Converter::new(Parameters::default());
    let expr = converter.select_item(item)?;
    converter.expect_no_references("a subquery in an expression string")?;
    Ok(expr)
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

pub(crate) fn object_name(name: &ast::ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => ident.value.clone(),
            ObjectNamePart::Function(function) => function.name.value.clone(),
        })
        .collect()
}

/// `IDENTIFIER('db.`t`')`: the parts of a name given as a string.
pub(crate) fn identifier_parts(text: &str) -> SqlResult<Vec<String>> {
    let dialect = SparkDialect;
    let parts = datafusion::sql::sqlparser::parser::Parser::new(&dialect)
        .try_with_sql(text)
        .and_then(|mut parser| parser.parse_multipart_identifier())
        .map_err(|e| SqlError::syntax(text, e.to_string()))?;
    Ok(parts.into_iter().map(|ident| ident.value).collect())
}

pub(crate) fn call(name: &str, arguments: Vec<Expr>) -> Expr {
    Expr::Function {
        name: name.to_string(),
        arguments,
        is_distinct: false,
    }
}

fn negate_if(negated: bool, expr: Expr) -> Expr {
    if negated {
        call("not", vec![expr])
    } else {
        expr
    }
}

impl Converter {
    /// A select-list item: an expression, an aliased one, or a star.
    pub(crate) fn select_item(&mut self, item: SelectItem) -> SqlResult<Expr> {
        match item {
            SelectItem::UnnamedExpr(expr) => self.expr(expr),
            SelectItem::ExprWithAlias { expr, alias } => Ok(Expr::Alias {
                expr: Box::new(self.expr(expr)?),
                name: vec![alias.value],
                metadata: None,
            }),
            SelectItem::Wildcard(options) => star_except(
                Expr::Star {
                    target: None,
                    plan_id: None,
                },
                options,
            ),
            SelectItem::QualifiedWildcard(
                SelectItemQualifiedWildcardKind::ObjectName(name),
                options,
            ) => star_except(
                Expr::Star {
                    target: Some(object_name(&name)),
                    plan_id: None,
                },
                options,
            ),
            other => unsupported(format!("select item {other}")),
        }
    }

    fn boxed(&mut self, expr: Box<ast::Expr>) -> SqlResult<Expr> {
        self.expr(*expr)
    }

    /// Converts one expression; subqueries inside it are kept by the converter.
    pub(crate) fn expr(&mut self, expr: ast::Expr) -> SqlResult<Expr> {
        use ast::Expr as E;
        Ok(match expr {
            E::Identifier(ident) => match suffixed_number(&ident.value) {
                Some(literal) if ident.quote_style.is_none() => Expr::Literal(literal),
                _ => Expr::Column {
                    name: vec![ident.value],
                    plan_id: None,
                },
            },
            E::CompoundIdentifier(parts) => {
                let mut name: Vec<String> = parts.into_iter().map(|p| p.value).collect();
                if name.len() == 2 && self.lateral_views.contains(&name[0].to_lowercase()) {
                    name.remove(0);
                }
                Expr::Column {
                    name,
                    plan_id: None,
                }
            }
            E::Value(value) => match value.value {
                Value::Placeholder(marker) => self.parameter(&marker)?,
                other => Expr::Literal(value_literal(other)?),
            },
            E::Nested(inner) => self.boxed(inner)?,
            E::IsNull(inner) => call("isnull", vec![self.boxed(inner)?]),
            E::IsNotNull(inner) => call("isnotnull", vec![self.boxed(inner)?]),
            E::IsTrue(inner) => self.null_safe_equal(inner, Literal::Boolean(true))?,
            E::IsFalse(inner) => self.null_safe_equal(inner, Literal::Boolean(false))?,
            E::IsNotTrue(inner) => call(
                "not",
                vec![self.null_safe_equal(inner, Literal::Boolean(true))?],
            ),
            E::IsNotFalse(inner) => call(
                "not",
                vec![self.null_safe_equal(inner, Literal::Boolean(false))?],
            ),
            E::IsUnknown(inner) => call("isnull", vec![self.boxed(inner)?]),
            E::IsNotUnknown(inner) => call("isnotnull", vec![self.boxed(inner)?]),
            E::IsDistinctFrom(left, right) => call(
                "not",
                vec![call("<=>", vec![self.boxed(left)?, self.boxed(right)?])],
            ),
            E::IsNotDistinctFrom(left, right) => {
                call("<=>", vec![self.boxed(left)?, self.boxed(right)?])
            }
            E::InList {
                expr,
                list,
                negated,
            } => {
                let mut arguments = vec![self.boxed(expr)?];
                for item in list {
                    arguments.push(self.expr(item)?);
                }
                negate_if(negated, call("in", arguments))
            }
            E::InSubquery {
                expr,
                subquery,
                negated,
            } => {
                let values = match *expr {
                    E::Tuple(items) => items
                        .into_iter()
                        .map(|e| self.expr(e))
                        .collect::<SqlResult<_>>()?,
                    other => vec![self.expr(other)?],
                };
                negate_if(negated, self.subquery(*subquery, SubqueryKind::In(values))?)
            }
            E::Exists { subquery, negated } => {
                negate_if(negated, self.subquery(*subquery, SubqueryKind::Exists)?)
            }
            E::Subquery(subquery) => self.subquery(*subquery, SubqueryKind::Scalar)?,
            E::Between {
                expr,
                negated,
                low,
                high,
            } => negate_if(
                negated,
                call(
                    "between",
                    vec![self.boxed(expr)?, self.boxed(low)?, self.boxed(high)?],
                ),
            ),
            E::Like {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => self.pattern_match("like", negated, any, expr, pattern, escape_char)?,
            E::ILike {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => self.pattern_match("ilike", negated, any, expr, pattern, escape_char)?,
            E::RLike {
                negated,
                expr,
                pattern,
                ..
            } => negate_if(
                negated,
                call("rlike", vec![self.boxed(expr)?, self.boxed(pattern)?]),
            ),
            E::BinaryOp { left, op, right } => {
                let name = binary_operator(&op)?;
                let arguments = vec![self.boxed(left)?, self.boxed(right)?];
                if name == "!=" {
                    call("not", vec![call("==", arguments)])
                } else {
                    call(name, arguments)
                }
            }
            E::UnaryOp { op, expr } => match op {
                UnaryOperator::Not => call("not", vec![self.boxed(expr)?]),
                UnaryOperator::Minus => match self.boxed(expr)? {
                    Expr::Literal(literal) => Expr::Literal(negate_literal(literal)),
                    // SQL's `-b` is named `(- b)`; the DataFrame API's `-col` is `negative(b)`.
                    other => call("-", vec![other]),
                },
                UnaryOperator::Plus => call("positive", vec![self.boxed(expr)?]),
                UnaryOperator::BitwiseNot => call("~", vec![self.boxed(expr)?]),
                other => return unsupported(format!("operator {other}")),
            },
            E::Cast {
                kind,
                expr,
                data_type,
                ..
            } => {
                let text = data_type.to_string();
                Expr::Cast {
                    expr: Box::new(self.boxed(expr)?),
                    data_type: parse_data_type(&text)?,
                    is_try: matches!(kind, CastKind::TryCast | CastKind::SafeCast),
                }
            }
            E::TypedString(typed) => typed_literal(typed)?,
            E::Interval(interval) => Expr::Literal(interval_literal(interval)?),
            E::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                let operand = operand.map(|o| self.boxed(o)).transpose()?;
                let mut branches = Vec::with_capacity(conditions.len());
                for branch in conditions {
                    let condition = self.expr(branch.condition)?;
                    let condition = match &operand {
                        Some(operand) => call("==", vec![operand.clone(), condition]),
                        None => condition,
                    };
                    branches.push((condition, self.expr(branch.result)?));
                }
                Expr::CaseWhen {
                    branches,
                    otherwise: else_result
                        .map(|e| self.boxed(e))
                        .transpose()?
                        .map(Box::new),
                }
            }
            E::CompoundFieldAccess { root, access_chain } => {
                let mut current = self.boxed(root)?;
                for access in access_chain {
                    let extraction = match access {
                        AccessExpr::Dot(ast::Expr::Identifier(ident)) => {
                            Expr::Literal(Literal::String(ident.value))
                        }
                        AccessExpr::Dot(other) => self.expr(other)?,
                        AccessExpr::Subscript(Subscript::Index { index }) => self.expr(index)?,
                        AccessExpr::Subscript(other) => {
                            return unsupported(format!("subscript {other}"))
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
                    body: Box::new(self.boxed(lambda.body)?),
                    parameters,
                }
            }
            E::Function(function) => self.function(function)?,
            E::Extract { field, expr, .. } => {
                call(&extract_function(&field)?, vec![self.boxed(expr)?])
            }
            E::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut arguments = vec![self.boxed(expr)?];
                arguments.push(match substring_from {
                    Some(from) => self.boxed(from)?,
                    None => Expr::Literal(Literal::Integer(1)),
                });
                if let Some(length) = substring_for {
                    arguments.push(self.boxed(length)?);
                }
                call("substring", arguments)
            }
            E::Position { expr, r#in } => {
                call("position", vec![self.boxed(expr)?, self.boxed(r#in)?])
            }
            E::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                if trim_characters.is_some() {
                    return unsupported("TRIM with a character list");
                }
                let name = match trim_where {
                    Some(TrimWhereField::Leading) => "ltrim",
                    Some(TrimWhereField::Trailing) => "rtrim",
                    Some(TrimWhereField::Both) | None => "trim",
                };
                // Spark's two-argument trim functions take the characters first.
                let mut arguments = Vec::with_capacity(2);
                if let Some(what) = trim_what {
                    arguments.push(self.boxed(what)?);
                }
                arguments.push(self.boxed(expr)?);
                call(name, arguments)
            }
            E::Ceil { expr, field } => self.rounding("ceil", expr, field)?,
            E::Floor { expr, field } => self.rounding("floor", expr, field)?,
            E::Array(array) => call(
                "array",
                array
                    .elem
                    .into_iter()
                    .map(|e| self.expr(e))
                    .collect::<SqlResult<_>>()?,
            ),
            E::Tuple(items) => call(
                "struct",
                items
                    .into_iter()
                    .map(|e| self.expr(e))
                    .collect::<SqlResult<_>>()?,
            ),
            E::Struct { values, fields } => {
                if !fields.is_empty() {
                    return unsupported("typed STRUCT<...>(...) literals");
                }
                call(
                    "struct",
                    values
                        .into_iter()
                        .map(|e| self.expr(e))
                        .collect::<SqlResult<_>>()?,
                )
            }
            E::Named { expr, name } => Expr::Alias {
                expr: Box::new(self.boxed(expr)?),
                name: vec![name.value],
                metadata: None,
            },
            E::Wildcard(_) => Expr::Star {
                target: None,
                plan_id: None,
            },
            E::QualifiedWildcard(name, _) => Expr::Star {
                target: Some(object_name(&name)),
                plan_id: None,
            },
            other => return unsupported(format!("the expression '{other}'")),
        })
    }

    /// A subquery expression; its plan travels with the statement's root.
    fn subquery(&mut self, query: ast::Query, kind: SubqueryKind) -> SqlResult<Expr> {
        let plan = self.query(query)?;
        let plan_id = self.add_reference(plan);
        Ok(Expr::Subquery { plan_id, kind })
    }

    fn null_safe_equal(&mut self, inner: Box<ast::Expr>, value: Literal) -> SqlResult<Expr> {
        Ok(call("<=>", vec![self.boxed(inner)?, Expr::Literal(value)]))
    }

    fn pattern_match(
        &mut self,
        name: &str,
        negated: bool,
        any: bool,
        expr: Box<ast::Expr>,
        pattern: Box<ast::Expr>,
        escape: Option<ast::ValueWithSpan>,
    ) -> SqlResult<Expr> {
        // `x [NOT] LIKE ANY|SOME|ALL (p, q)`: the pattern tests joined with SQL's
        // three-valued OR (ANY, SOME) or AND (ALL). The parser reads `ALL (...)` and
        // `SOME (...)` as calls.
        let quantified = match (any, pattern.as_ref()) {
            (true, _) => Some("or"),
            (false, ast::Expr::Function(f)) => {
                match object_name(&f.name).join(".").to_ascii_lowercase().as_str() {
                    "all" => Some("and"),
                    "some" => Some("or"),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(join) = quantified {
            if escape.is_some() {
                return unsupported(format!("{} ANY/ALL with ESCAPE", name.to_ascii_uppercase()));
            }
            let patterns = match *pattern {
                ast::Expr::Tuple(patterns) => patterns,
                ast::Expr::Nested(pattern) => vec![*pattern],
                ast::Expr::Function(f) => match f.args {
                    ast::FunctionArguments::List(list) => list
                        .args
                        .into_iter()
                        .map(|arg| match arg {
                            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e),
                            other => Err(SqlError::syntax(other.to_string(), "a LIKE pattern")),
                        })
                        .collect::<SqlResult<Vec<_>>>()?,
                    _ => Vec::new(),
                },
                other => vec![other],
            };
            let subject = self.expr(*expr)?;
            let mut combined: Option<Expr> = None;
            for pattern in patterns {
                let test = negate_if(
                    negated,
                    call(name, vec![subject.clone(), self.expr(pattern)?]),
                );
                combined = Some(match combined {
                    None => test,
                    Some(left) => call(join, vec![left, test]),
                });
            }
            return combined.ok_or_else(|| SqlError::syntax(name, "LIKE ANY/ALL needs a pattern"));
        }
        let mut arguments = vec![self.boxed(expr)?, self.boxed(pattern)?];
        if let Some(escape) = escape {
            arguments.push(Expr::Literal(value_literal(escape.value)?));
        }
        Ok(negate_if(negated, call(name, arguments)))
    }

    fn rounding(
        &mut self,
        name: &str,
        expr: Box<ast::Expr>,
        field: CeilFloorKind,
    ) -> SqlResult<Expr> {
        let mut arguments = vec![self.boxed(expr)?];
        match field {
            CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime) => {}
            CeilFloorKind::Scale(scale) => {
                arguments.push(Expr::Literal(value_literal(scale.value)?))
            }
            CeilFloorKind::DateTimeField(other) => {
                return unsupported(format!("{} TO {other}", name.to_ascii_uppercase()))
            }
        }
        Ok(call(name, arguments))
    }
}

/// `*` or `t.*`, with Spark's `EXCEPT (columns)` when given.
fn star_except(star: Expr, mut options: ast::WildcardAdditionalOptions) -> SqlResult<Expr> {
    let except = options.opt_except.take();
    reject_star_options(&options)?;
    Ok(match except {
        Some(except) => Expr::StarExcept {
            star: Box::new(star),
            except: std::iter::once(except.first_element)
                .chain(except.additional_elements)
                .map(|ident| ident.value)
                .collect(),
        },
        None => star,
    })
}

fn reject_star_options(options: &ast::WildcardAdditionalOptions) -> SqlResult<()> {
    if options.opt_except.is_some()
        || options.opt_exclude.is_some()
        || options.opt_replace.is_some()
        || options.opt_rename.is_some()
        || options.opt_ilike.is_some()
    {
        return unsupported("`*` with EXCEPT, EXCLUDE, REPLACE, RENAME or ILIKE");
    }
    Ok(())
}

/// `EXTRACT(field FROM source)` as the Spark function that reads the same field.
fn extract_function(field: &ast::DateTimeField) -> SqlResult<String> {
    use ast::DateTimeField as F;
    Ok(match field {
        F::Year | F::Years => "year",
        F::Month | F::Months => "month",
        F::Week(_) | F::Weeks => "weekofyear",
        F::Day | F::Days => "day",
        F::DayOfWeek | F::Dow => "dayofweek",
        F::DayOfYear | F::Doy => "dayofyear",
        F::Hour | F::Hours => "hour",
        F::Minute | F::Minutes => "minute",
        F::Second | F::Seconds => "second",
        F::Quarter => "quarter",
        other => return unsupported(format!("EXTRACT({other} FROM ...)")),
    }
    .to_string())
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
        other => return unsupported(format!("operator {other}")),
    })
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
