//! `CREATE [OR REPLACE] [TEMPORARY] FUNCTION`, `DROP [TEMPORARY] FUNCTION`,
//! `DESCRIBE FUNCTION` and `SHOW USER|SYSTEM|ALL FUNCTIONS`, read from the text: the parser's dialect has no grammar for Spark's
//! SQL functions (parameter defaults, `RETURNS`, characteristics, `RETURN body`).

use ember_spec::{FunctionParameter, FunctionScope, ShowKind, SqlFunction, Statement};

use crate::alter_table::{after_words, first_word, parenthesized, top_level_items};
use crate::expression::identifier_parts;
use crate::statement_text::{find_keyword, matching_parenthesis, unquote};
use crate::{parse_data_type, parse_expression, SqlError, SqlResult};

/// The statement when `text` creates, drops or describes a function; None otherwise.
pub(crate) fn function_statement(text: &str) -> SqlResult<Option<Statement>> {
    if let Some(rest) = after_words(text, &["DESCRIBE", "FUNCTION"])
        .or_else(|| after_words(text, &["DESC", "FUNCTION"]))
    {
        let (extended, rest) = match after_words(rest, &["EXTENDED"]) {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        return Ok(Some(Statement::DescribeFunction {
            name: function_name(rest)?,
            extended,
        }));
    }
    for (word, scope) in [
        ("USER", FunctionScope::User),
        ("SYSTEM", FunctionScope::System),
        ("ALL", FunctionScope::All),
    ] {
        if let Some(rest) = after_words(text, &["SHOW", word, "FUNCTIONS"]) {
            let rest = after_words(rest, &["LIKE"]).unwrap_or(rest).trim();
            return Ok(Some(Statement::Show(ShowKind::Functions {
                pattern: (!rest.is_empty()).then(|| unquote(rest)),
                scope,
            })));
        }
    }
    if let Some(rest) = after_words(text, &["DROP"]) {
        let (temporary, rest) = temporary_keyword(rest);
        let Some(rest) = after_words(rest, &["FUNCTION"]) else {
            return Ok(None);
        };
        let (if_exists, rest) = match after_words(rest, &["IF", "EXISTS"]) {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        return Ok(Some(Statement::DropFunction {
            name: function_name(rest)?,
            temporary,
            if_exists,
        }));
    }
    let Some(rest) = after_words(text, &["CREATE"]) else {
        return Ok(None);
    };
    let (replace, rest) = match after_words(rest, &["OR", "REPLACE"]) {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let (temporary, rest) = temporary_keyword(rest);
    let Some(rest) = after_words(rest, &["FUNCTION"]) else {
        return Ok(None);
    };
    let (if_not_exists, rest) = match after_words(rest, &["IF", "NOT", "EXISTS"]) {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    if temporary && if_not_exists {
        return Err(SqlError::Analysis(
            "[INVALID_SQL_SYNTAX.CREATE_TEMP_FUNC_WITH_IF_NOT_EXISTS] Invalid SQL syntax: CREATE TEMPORARY FUNCTION with IF NOT EXISTS is not allowed.".into(),
        ));
    }
    if replace && if_not_exists {
        return Err(SqlError::Analysis(
            "[INVALID_SQL_SYNTAX.CREATE_ROUTINE_WITH_IF_NOT_EXISTS_AND_REPLACE] Invalid SQL syntax: Cannot create a routine with both IF NOT EXISTS and REPLACE specified.".into(),
        ));
    }
    let (name, rest) = first_word(rest);
    let name = identifier_parts(name)?;
    if let Some(class) = after_words(rest, &["AS"]) {
        let class = unquote(first_word(class).0);
        // Spark records a persistent one and loads the class only when it is called.
        if !temporary {
            return Ok(Some(Statement::CreateClassFunction {
                name,
                class_name: class,
                replace,
                if_not_exists,
            }));
        }
        // A temporary one loads its class now: there is no JVM to load it into.
        return Err(SqlError::Analysis(format!(
            "[CANNOT_LOAD_FUNCTION_CLASS] Cannot load class {class} when registering the function `{}`, please make sure it is on the classpath.",
            name.join(".")
        )));
    }
    let function = sql_function(name, rest)?;
    Ok(Some(Statement::CreateFunction {
        function: Box::new(function),
        temporary,
        replace,
        if_not_exists,
        text: text.to_string(),
    }))
}

fn temporary_keyword(text: &str) -> (bool, &str) {
    match after_words(text, &["TEMPORARY"]).or_else(|| after_words(text, &["TEMP"])) {
        Some(rest) => (true, rest),
        None => (false, text),
    }
}

fn function_name(text: &str) -> SqlResult<Vec<String>> {
    let (name, rest) = first_word(text);
    if name.is_empty() || !rest.trim().is_empty() {
        return Err(SqlError::syntax(
            format!("'{}'", rest.trim()),
            "a function name",
        ));
    }
    // `DESCRIBE FUNCTION 'abs'` names it as a string too.
    identifier_parts(&unquote(name))
}

/// `(params) [RETURNS type] [characteristics] RETURN body`, after the function's name.
fn sql_function(name: Vec<String>, text: &str) -> SqlResult<SqlFunction> {
    let parameter_list = parenthesized(text)?
        .ok_or_else(|| SqlError::syntax(format!("'{}'", text.trim()), "a parameter list"))?;
    let open = text.find('(').unwrap_or(0);
    let close = open
        + 1
        + matching_parenthesis(&text[open + 1..])
            .ok_or_else(|| SqlError::syntax(text.trim(), "an unclosed parenthesis"))?;
    let after_parameters = &text[close + 1..];
    let body_at = find_keyword(after_parameters, "RETURN")
        .ok_or_else(|| SqlError::syntax("end of input", "RETURN and the function's body"))?;
    let header = &after_parameters[..body_at];
    let body_text = after_parameters[body_at + "RETURN".len()..]
        .trim()
        .to_string();
    let mut characteristics = header.trim();
    let mut returns = None;
    let mut table_columns = None;
    if let Some(rest) = after_words(characteristics, &["RETURNS"]) {
        if let Some(table) = after_words(rest, &["TABLE"]) {
            let (columns, after) = table_column_list(table)?;
            table_columns = Some(columns);
            characteristics = after.trim();
        }
    }
    if let Some(rest) =
        after_words(characteristics, &["RETURNS"]).filter(|_| table_columns.is_none())
    {
        let end = CHARACTERISTICS
            .iter()
            .filter_map(|word| find_keyword(rest, word))
            .min()
            .unwrap_or(rest.len());
        returns = Some(parse_data_type(rest[..end].trim())?);
        characteristics = rest[end..].trim();
    }
    let (comment, deterministic) = read_characteristics(characteristics)?;
    let starts_query = ["SELECT", "WITH", "FROM", "VALUES", "TABLE"]
        .iter()
        .any(|word| after_words(&body_text, &[word]).is_some());
    let (body, query) = if starts_query {
        let query = crate::parse_query(&body_text, crate::Parameters::default())?;
        (
            ember_spec::Expr::Literal(ember_spec::Literal::Null(ember_spec::DataType::Null)),
            Some(query),
        )
    } else if table_columns.is_some() {
        return Err(SqlError::Analysis(format!(
            "[INVALID_SQL_FUNCTION_PLAN_STRUCTURE] the body of the table function `{}` must be a query.",
            name.join(".")
        )));
    } else {
        (parse_expression(&body_text)?, None)
    };
    let parameters = top_level_items(&parameter_list)
        .iter()
        .map(|item| parameter(item))
        .collect::<SqlResult<Vec<_>>>()?;
    Ok(SqlFunction {
        name,
        parameters,
        returns,
        body,
        query,
        table_columns,
        body_text,
        comment,
        deterministic,
    })
}

/// `(name type, ...)` after `RETURNS TABLE`, or nothing: the columns and the text after.
fn table_column_list(text: &str) -> SqlResult<(Vec<(String, ember_spec::DataType)>, &str)> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('(') {
        return Ok((Vec::new(), trimmed));
    }
    let close = 1 + matching_parenthesis(&trimmed[1..])
        .ok_or_else(|| SqlError::syntax(trimmed, "an unclosed parenthesis"))?;
    let columns = top_level_items(&trimmed[1..close])
        .iter()
        .map(|item| {
            let parameter = parameter(item)?;
            Ok((parameter.name, parameter.data_type))
        })
        .collect::<SqlResult<Vec<_>>>()?;
    Ok((columns, &trimmed[close + 1..]))
}

const CHARACTERISTICS: [&str; 8] = [
    "LANGUAGE",
    "DETERMINISTIC",
    "NOT",
    "COMMENT",
    "CONTAINS",
    "READS",
    "MODIFIES",
    "SQL",
];

/// `LANGUAGE SQL`, `[NOT] DETERMINISTIC`, `COMMENT '...'`, `CONTAINS SQL`, `READS SQL DATA`,
/// `SQL SECURITY DEFINER`, in any order: the comment and whether it is deterministic.
fn read_characteristics(text: &str) -> SqlResult<(Option<String>, bool)> {
    let mut rest = text.trim();
    let mut comment = None;
    let mut deterministic = true;
    while !rest.is_empty() {
        if let Some(after) = after_words(rest, &["COMMENT"]) {
            let (value, after) = quoted_string(after)?;
            comment = Some(value);
            rest = after;
            continue;
        }
        let (next, after) = [
            (&["LANGUAGE", "SQL"][..], None),
            (&["NOT", "DETERMINISTIC"][..], Some(false)),
            (&["DETERMINISTIC"][..], Some(true)),
            (&["CONTAINS", "SQL"][..], None),
            (&["READS", "SQL", "DATA"][..], None),
            (&["SQL", "SECURITY", "DEFINER"][..], None),
        ]
        .iter()
        .find_map(|(words, flag)| after_words(rest, words).map(|after| (*flag, after)))
        .ok_or_else(|| {
            SqlError::syntax(
                format!("'{}'", first_word(rest).0),
                "a function characteristic or RETURN",
            )
        })?;
        if let Some(flag) = next {
            deterministic = flag;
        }
        rest = after.trim_start();
    }
    Ok((comment, deterministic))
}

/// A leading `'text'` and what follows it.
fn quoted_string(text: &str) -> SqlResult<(String, &str)> {
    let text = text.trim_start();
    let quote = text
        .chars()
        .next()
        .filter(|c| *c == '\'' || *c == '"')
        .ok_or_else(|| SqlError::syntax(format!("'{text}'"), "a quoted string"))?;
    let end = text[1..]
        .find(quote)
        .ok_or_else(|| SqlError::syntax(format!("'{text}'"), "a closing quote"))?;
    Ok((text[1..end + 1].to_string(), text[end + 2..].trim_start()))
}

/// `name type [DEFAULT expr] [COMMENT 'text']`.
fn parameter(item: &str) -> SqlResult<FunctionParameter> {
    let (name, rest) = first_word(item.trim());
    let comment_at = find_keyword(rest, "COMMENT");
    let (rest, comment) = match comment_at {
        Some(at) => (
            &rest[..at],
            Some(quoted_string(&rest[at + "COMMENT".len()..])?.0),
        ),
        None => (rest, None),
    };
    let (type_text, default) = match find_keyword(rest, "DEFAULT") {
        Some(at) => (
            &rest[..at],
            Some(parse_expression(rest[at + "DEFAULT".len()..].trim())?),
        ),
        None => (rest, None),
    };
    if type_text.trim().is_empty() {
        return Err(SqlError::syntax(
            format!("'{}'", item.trim()),
            "a parameter needs a type",
        ));
    }
    Ok(FunctionParameter {
        name: unquote(name),
        data_type: parse_data_type(type_text.trim())?,
        default,
        comment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ember_spec::DataType;

    fn create(text: &str) -> SqlResult<(SqlFunction, bool, bool)> {
        match function_statement(text)? {
            Some(Statement::CreateFunction {
                function,
                temporary,
                replace,
                ..
            }) => Ok((*function, temporary, replace)),
            other => Err(SqlError::Analysis(format!("not a CREATE: {other:?}"))),
        }
    }

    #[test]
    fn reads_parameters_defaults_and_characteristics() -> SqlResult<()> {
        let (function, temporary, replace) = create(
            "CREATE OR REPLACE TEMP FUNCTION area(w DOUBLE, h DOUBLE DEFAULT 2.0 COMMENT 'height') \
             RETURNS DOUBLE COMMENT 'the area' NOT DETERMINISTIC RETURN w * h",
        )?;
        assert!(temporary && replace);
        assert_eq!(function.name, vec!["area".to_string()]);
        assert_eq!(function.parameters.len(), 2);
        assert_eq!(function.parameters[1].data_type, DataType::Double);
        assert!(function.parameters[1].default.is_some());
        assert_eq!(function.parameters[1].comment.as_deref(), Some("height"));
        assert_eq!(function.returns, Some(DataType::Double));
        assert_eq!(function.comment.as_deref(), Some("the area"));
        assert!(!function.deterministic);
        assert_eq!(function.body_text, "w * h");
        Ok(())
    }

    #[test]
    fn persistent_function_without_returns() -> SqlResult<()> {
        let (function, temporary, _) =
            create("CREATE FUNCTION db.shout(s STRING) RETURN upper(s) || '!'")?;
        assert!(!temporary);
        assert_eq!(function.name, vec!["db".to_string(), "shout".to_string()]);
        assert_eq!(function.returns, None);
        Ok(())
    }

    #[test]
    fn class_functions_are_refused() {
        assert!(matches!(
            function_statement("CREATE TEMPORARY FUNCTION f AS 'com.example.F'"),
            Err(SqlError::Analysis(text)) if text.starts_with("[CANNOT_LOAD_FUNCTION_CLASS]")
        ));
    }

    #[test]
    fn table_functions_keep_their_columns_and_query() -> SqlResult<()> {
        let (function, _, _) = create(
            "CREATE FUNCTION t(n INT) RETURNS TABLE (a INT, b STRING) RETURN SELECT n, 'x'",
        )?;
        let columns = function.table_columns.unwrap_or_default();
        assert_eq!(columns.len(), 2);
        assert_eq!(columns[1].0, "b");
        assert!(function.query.is_some());
        let (bare, _, _) = create("CREATE FUNCTION t() RETURNS TABLE RETURN SELECT 1 AS one")?;
        assert_eq!(bare.table_columns, Some(Vec::new()));
        assert!(matches!(
            create("CREATE FUNCTION t() RETURNS TABLE (a INT) RETURN 1"),
            Err(SqlError::Analysis(text)) if text.contains("must be a query")
        ));
        Ok(())
    }

    #[test]
    fn drop_and_describe() -> SqlResult<()> {
        assert!(matches!(
            function_statement("DROP TEMPORARY FUNCTION IF EXISTS f")?,
            Some(Statement::DropFunction {
                temporary: true,
                if_exists: true,
                ..
            })
        ));
        assert!(matches!(
            function_statement("DESC FUNCTION EXTENDED upper")?,
            Some(Statement::DescribeFunction { extended: true, .. })
        ));
        assert!(function_statement("DROP TABLE t")?.is_none());
        Ok(())
    }
}
