//! Spark's type grammar, parsed by hand: `int`, `decimal(10,2)`, `array<string>`,
//! `map<string,int>`, `struct<a:int,b string>` and comma-separated schemas (`a INT, b STRING`).

use ember_spec::{DataType, StructField};

use crate::{SqlError, SqlResult};

/// Parses a schema: either a `struct<...>` type or a list of `name type` fields.
pub fn parse_schema(text: &str) -> SqlResult<DataType> {
    let mut cursor = Cursor::new(text);
    let trimmed = text.trim();
    let data_type = if trimmed.to_ascii_lowercase().starts_with("struct<") {
        cursor.data_type()?
    } else {
        DataType::Struct(cursor.fields(None)?)
    };
    cursor.expect_end()?;
    Ok(data_type)
}

/// Parses one data type; a field list is read as a struct, as Spark's `DataType.fromDDL` does.
pub fn parse_data_type(text: &str) -> SqlResult<DataType> {
    let mut cursor = Cursor::new(text);
    match cursor.data_type() {
        Ok(data_type) if cursor.at_end() => Ok(data_type),
        Ok(_) => parse_schema(text),
        // `a INT, b STRING` starts with a field name, not a type.
        Err(type_error) => parse_schema(text).map_err(|_| type_error),
    }
}

struct Cursor<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor { text, position: 0 }
    }

    fn skip_spaces(&mut self) {
        while let Some(c) = self.peek_char() {
            if c.is_whitespace() {
                self.position += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn peek_char(&self) -> Option<char> {
        self.text[self.position..].chars().next()
    }

    fn at_end(&mut self) -> bool {
        self.skip_spaces();
        self.position >= self.text.len()
    }

    fn expect_end(&mut self) -> SqlResult<()> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.error("end of input"))
        }
    }

    fn error(&self, expected: &str) -> SqlError {
        let rest: String = self.text[self.position..].chars().take(20).collect();
        let near = if rest.is_empty() {
            "end of input".to_string()
        } else {
            format!("'{rest}'")
        };
        SqlError::syntax(near, format!("expected {expected} in '{}'", self.text))
    }

    fn eat(&mut self, symbol: char) -> bool {
        self.skip_spaces();
        if self.peek_char() == Some(symbol) {
            self.position += symbol.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, symbol: char) -> SqlResult<()> {
        if self.eat(symbol) {
            Ok(())
        } else {
            Err(self.error(&format!("'{symbol}'")))
        }
    }

    fn identifier(&mut self) -> SqlResult<String> {
        self.skip_spaces();
        if self.peek_char() == Some('`') {
            self.position += 1;
            let mut name = String::new();
            loop {
                match self.peek_char() {
                    None => return Err(self.error("closing '`'")),
                    Some('`') => {
                        self.position += 1;
                        if self.peek_char() == Some('`') {
                            self.position += 1;
                            name.push('`');
                        } else {
                            return Ok(name);
                        }
                    }
                    Some(c) => {
                        self.position += c.len_utf8();
                        name.push(c);
                    }
                }
            }
        }
        let start = self.position;
        while let Some(c) = self.peek_char() {
            if c.is_alphanumeric() || c == '_' {
                self.position += c.len_utf8();
            } else {
                break;
            }
        }
        if start == self.position {
            return Err(self.error("an identifier"));
        }
        Ok(self.text[start..self.position].to_string())
    }

    fn number(&mut self) -> SqlResult<u32> {
        self.skip_spaces();
        let start = self.position;
        while matches!(self.peek_char(), Some(c) if c.is_ascii_digit()) {
            self.position += 1;
        }
        self.text[start..self.position]
            .parse()
            .map_err(|_| self.error("a number"))
    }

    fn keyword(&mut self, word: &str) -> bool {
        self.skip_spaces();
        let rest = &self.text[self.position..];
        let matches = rest.len() >= word.len()
            && rest[..word.len()].eq_ignore_ascii_case(word)
            && !rest[word.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_');
        if matches {
            self.position += word.len();
        }
        matches
    }

    fn fields(&mut self, close: Option<char>) -> SqlResult<Vec<StructField>> {
        let mut fields = Vec::new();
        if let Some(close) = close {
            if self.eat(close) {
                return Ok(fields);
            }
        }
        loop {
            let name = self.identifier()?;
            self.eat(':');
            let data_type = self.data_type()?;
            let nullable = !(self.keyword("NOT") && self.keyword("NULL"));
            if self.keyword("COMMENT") {
                self.string_literal()?;
            }
            fields.push(StructField {
                name,
                data_type,
                nullable,
                metadata: None,
            });
            if self.eat(',') {
                continue;
            }
            match close {
                Some(close) => {
                    self.expect(close)?;
                    return Ok(fields);
                }
                None => return Ok(fields),
            }
        }
    }

    fn string_literal(&mut self) -> SqlResult<String> {
        self.skip_spaces();
        let quote = match self.peek_char() {
            Some(q @ ('\'' | '"')) => q,
            _ => return Err(self.error("a string")),
        };
        self.position += 1;
        let start = self.position;
        while let Some(c) = self.peek_char() {
            self.position += c.len_utf8();
            if c == quote {
                return Ok(self.text[start..self.position - 1].to_string());
            }
        }
        Err(self.error("closing quote"))
    }

    fn data_type(&mut self) -> SqlResult<DataType> {
        let name = self.identifier()?.to_ascii_lowercase();
        let data_type = match name.as_str() {
            "boolean" | "bool" => DataType::Boolean,
            "tinyint" | "byte" => DataType::Byte,
            "smallint" | "short" => DataType::Short,
            "int" | "integer" => DataType::Integer,
            "bigint" | "long" => DataType::Long,
            "float" | "real" => DataType::Float,
            "double" => DataType::Double,
            "string" | "text" => DataType::String,
            "binary" => DataType::Binary,
            "date" => DataType::Date,
            "timestamp" | "timestamp_ltz" => DataType::Timestamp,
            "timestamp_ntz" => DataType::TimestampNtz,
            "variant" => DataType::Variant,
            "time" => {
                let precision = if self.eat('(') {
                    let precision = self.number()?;
                    self.expect(')')?;
                    u8::try_from(precision)
                        .ok()
                        .filter(|p| *p <= 6)
                        .ok_or_else(|| self.error("a TIME precision from 0 to 6"))?
                } else {
                    6
                };
                DataType::Time(precision)
            }
            "void" | "null" => DataType::Null,
            "char" | "character" | "varchar" => {
                self.expect('(')?;
                let length = self.number()?;
                self.expect(')')?;
                if name == "varchar" {
                    DataType::Varchar(length)
                } else {
                    DataType::Char(length)
                }
            }
            "decimal" | "dec" | "numeric" => {
                if self.eat('(') {
                    let precision = self.number()?;
                    let scale = if self.eat(',') { self.number()? } else { 0 };
                    self.expect(')')?;
                    let precision = u8::try_from(precision).map_err(|_| self.error("precision"))?;
                    let scale = i8::try_from(scale).map_err(|_| self.error("scale"))?;
                    DataType::Decimal { precision, scale }
                } else {
                    DataType::Decimal {
                        precision: 10,
                        scale: 0,
                    }
                }
            }
            "array" => {
                self.expect('<')?;
                let element = self.data_type()?;
                self.expect('>')?;
                DataType::Array {
                    element: Box::new(element),
                    contains_null: true,
                }
            }
            "map" => {
                self.expect('<')?;
                let key = self.data_type()?;
                self.expect(',')?;
                let value = self.data_type()?;
                self.expect('>')?;
                DataType::Map {
                    key: Box::new(key),
                    value: Box::new(value),
                    value_contains_null: true,
                }
            }
            "struct" => {
                self.expect('<')?;
                DataType::Struct(self.fields(Some('>'))?)
            }
            "interval" => {
                if self.keyword("YEAR") || self.keyword("MONTH") {
                    if self.keyword("TO") {
                        self.identifier()?;
                    }
                    DataType::YearMonthInterval
                } else if self.keyword("DAY")
                    || self.keyword("HOUR")
                    || self.keyword("MINUTE")
                    || self.keyword("SECOND")
                {
                    if self.keyword("TO") {
                        self.identifier()?;
                    }
                    DataType::DayTimeInterval
                } else {
                    DataType::CalendarInterval
                }
            }
            _ => {
                return Err(SqlError::UnsupportedDataType(format!(
                    "\"{}\"",
                    name.to_uppercase()
                )))
            }
        };
        Ok(data_type)
    }
}

/// A parsed type as Spark's DDL text: the parser prints maps as `Map(K, V)` and struct
/// fields without the colon, so nested types are written out here.
pub(crate) fn ast_type_text(data_type: &datafusion::sql::sqlparser::ast::DataType) -> String {
    use datafusion::sql::sqlparser::ast::{ArrayElemTypeDef, DataType as Ast};
    match data_type {
        Ast::Map(key, value) => format!("MAP<{}, {}>", ast_type_text(key), ast_type_text(value)),
        Ast::Array(
            ArrayElemTypeDef::AngleBracket(element)
            | ArrayElemTypeDef::Parenthesis(element)
            | ArrayElemTypeDef::SquareBracket(element, _),
        ) => format!("ARRAY<{}>", ast_type_text(element)),
        Ast::Struct(fields, _) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| {
                    let name = f
                        .field_name
                        .as_ref()
                        .map(|n| format!("`{}`", n.value.replace('`', "``")))
                        .unwrap_or_default();
                    format!("{name}: {}", ast_type_text(&f.field_type))
                })
                .collect();
            format!("STRUCT<{}>", fields.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_field_lists_and_nested_types() -> SqlResult<()> {
        let parsed =
            parse_schema("a INT, b: array<string>, `c d` map<string, decimal(10,2)> NOT NULL")?;
        let DataType::Struct(fields) = parsed else {
            panic!("not a struct")
        };
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[0].data_type, DataType::Integer);
        assert_eq!(fields[1].data_type.simple_string(), "array<string>");
        assert_eq!(fields[2].name, "c d");
        assert!(!fields[2].nullable);
        assert_eq!(
            fields[2].data_type.simple_string(),
            "map<string,decimal(10,2)>"
        );
        Ok(())
    }

    #[test]
    fn parses_struct_type_and_rejects_unknown_names() {
        let parsed = parse_data_type("struct<x:int,y:string>").ok();
        assert_eq!(
            parsed.map(|t| t.simple_string()),
            Some("struct<x:int,y:string>".into())
        );
        assert!(parse_data_type("intx").is_err());
    }

    #[test]
    fn ddl_strings_parse_back_with_odd_field_names() -> SqlResult<()> {
        let parsed = parse_data_type("struct<id:int,`odd col`:array<double>,`a``b`:string>")?;
        assert_eq!(
            parsed.ddl_string(),
            "struct<id:int,`odd col`:array<double>,`a``b`:string>"
        );
        assert_eq!(parse_data_type(&parsed.ddl_string())?, parsed);
        Ok(())
    }
}
