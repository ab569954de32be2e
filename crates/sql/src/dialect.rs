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

/// `\uXXXX` escapes inside string literals written out as their characters, which Spark
/// reads and the tokenizer does not (it knows the one-letter escapes only).
pub(crate) fn unicode_escapes(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("\\u") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"' | '`') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (Some('\'' | '"'), '\\') => {
                let Some(next) = chars.next() else {
                    out.push(c);
                    break;
                };
                let hex: String = chars.clone().take(4).collect();
                let decoded = (next == 'u' && hex.len() == 4)
                    .then(|| u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32))
                    .flatten();
                match decoded {
                    Some(decoded) => {
                        for _ in 0..4 {
                            chars.next();
                        }
                        // A decoded quote or backslash stays escaped for the tokenizer.
                        if matches!(decoded, '\'' | '"' | '\\') {
                            out.push('\\');
                        }
                        out.push(decoded);
                    }
                    None => {
                        out.push(c);
                        out.push(next);
                    }
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod escape_tests {
    use super::unicode_escapes;

    #[test]
    fn unicode_escapes_are_decoded_in_strings_only() {
        assert_eq!(unicode_escapes(r"SELECT 'u\u00e9'"), "SELECT 'ué'");
        assert_eq!(
            unicode_escapes(r"SELECT `\u00e9`, 'a\'\u0041'"),
            r"SELECT `\u00e9`, 'a\'A'"
        );
        assert_eq!(unicode_escapes(r"SELECT '\u0027'"), r"SELECT '\''");
        assert_eq!(unicode_escapes(r"SELECT '\u12'"), r"SELECT '\u12'");
    }
}
