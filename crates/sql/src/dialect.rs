//! The sqlparser dialect for Spark SQL: Databricks' grammar (Spark's, plus a little), with
//! Spark's `CREATE TABLE ... USING format`, `LONG`, `MAP<k, v>` and the `DIV` operator.
//!
//! It presents itself to the parser as the Databricks dialect, so the parser's
//! Databricks-only rules apply too: `exists(array, x -> ...)` and `array(1, 2)` stay
//! function calls rather than subqueries.

use std::any::TypeId;

use datafusion::sql::sqlparser::ast::{BinaryOperator, Expr};
use datafusion::sql::sqlparser::dialect::{DatabricksDialect, Dialect};
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SparkDialect;

impl Dialect for SparkDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<DatabricksDialect>()
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        DatabricksDialect.is_delimited_identifier_start(ch)
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        DatabricksDialect.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        DatabricksDialect.is_identifier_part(ch)
    }

    fn supports_numeric_prefix(&self) -> bool {
        true
    }

    /// Spark reads `'a\nb'` as a newline and `'it\'s'` as a quote ...
    fn supports_string_literal_backslash_escape(&self) -> bool {
        true
    }

    /// ... but keeps `\%` and `\_` for LIKE patterns to read.
    fn ignores_wildcard_escapes(&self) -> bool {
        true
    }

    fn supports_filter_during_aggregation(&self) -> bool {
        true
    }

    fn supports_group_by_expr(&self) -> bool {
        true
    }

    fn supports_lambda_functions(&self) -> bool {
        true
    }

    fn supports_select_wildcard_except(&self) -> bool {
        true
    }

    /// Spark reads `INTERVAL '1 day 2 hours'` without a unit after the string.
    fn require_interval_qualifier(&self) -> bool {
        false
    }

    fn supports_struct_literal(&self) -> bool {
        true
    }

    fn supports_nested_comments(&self) -> bool {
        true
    }

    fn supports_group_by_with_modifier(&self) -> bool {
        true
    }

    fn supports_values_as_table_factor(&self) -> bool {
        true
    }

    fn supports_bang_not_operator(&self) -> bool {
        true
    }

    fn supports_cte_without_as(&self) -> bool {
        true
    }

    fn supports_select_item_multi_column_alias(&self) -> bool {
        true
    }

    fn supports_create_table_using(&self) -> bool {
        true
    }

    fn supports_long_type_as_bigint(&self) -> bool {
        true
    }

    fn supports_map_literal_with_angle_brackets(&self) -> bool {
        true
    }

    /// Spark's `trim(chars, str)` call form, which the parser reads only as
    /// `TRIM([BOTH] chars FROM str)`.
    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        let is_trim = matches!(
            parser.peek_tokens(),
            [Token::Word(word), Token::LParen] if word.keyword == Keyword::TRIM
        );
        if !is_trim {
            return None;
        }
        parser
            .maybe_parse(|parser| {
                parser.expect_keyword(Keyword::TRIM)?;
                parser.expect_token(&Token::LParen)?;
                let characters = parser.parse_expr()?;
                parser.expect_token(&Token::Comma)?;
                let text = parser.parse_expr()?;
                parser.expect_token(&Token::RParen)?;
                Ok(Expr::Trim {
                    trim_where: None,
                    trim_what: Some(Box::new(characters)),
                    expr: Box::new(text),
                    trim_characters: None,
                })
            })
            .transpose()
    }

    /// `a DIV b`, binding like `*` and `/`.
    fn parse_infix(
        &self,
        parser: &mut Parser,
        expr: &Expr,
        precedence: u8,
    ) -> Option<Result<Expr, ParserError>> {
        if !parser.parse_keyword(Keyword::DIV) {
            return None;
        }
        Some(
            parser
                .parse_subexpr(precedence)
                .map(|right| Expr::BinaryOp {
                    left: Box::new(expr.clone()),
                    op: BinaryOperator::MyIntegerDivide,
                    right: Box::new(right),
                }),
        )
    }
}
