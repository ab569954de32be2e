//! `ALTER TABLE|VIEW`, `SHOW TBLPROPERTIES` and `DESCRIBE DATABASE`, read from the text: the
//! parser knows few of Spark's forms (`ADD COLUMNS (...)`, `UNSET TBLPROPERTIES`).

use ember_spec::{ShowKind, Statement, TableChange};

use crate::error::unsupported;
use crate::expression::identifier_parts;
use crate::statement_text::{find_keyword, matching_parenthesis, option_pairs, unquote};
use crate::{parse_data_type, SqlError, SqlResult};

/// The statement when `text` is an ALTER TABLE/VIEW or SHOW TBLPROPERTIES; None otherwise.
pub(crate) fn table_maintenance(text: &str) -> SqlResult<Option<Statement>> {
    for noun in ["DATABASE", "SCHEMA", "NAMESPACE"] {
        let rest =
            after_words(text, &["DESCRIBE", noun]).or_else(|| after_words(text, &["DESC", noun]));
        if let Some(rest) = rest {
            let (extended, rest) = match after_words(rest, &["EXTENDED"]) {
                Some(rest) => (true, rest),
                None => (false, rest),
            };
            return Ok(Some(Statement::DescribeDatabase {
                name: unquote(rest.trim()),
                extended,
            }));
        }
    }
    if let Some(rest) = after_words(text, &["SHOW", "TBLPROPERTIES"]) {
        let (name, rest) = first_word(rest);
        let key = parenthesized(rest)?.map(|body| unquote(body.trim()));
        return Ok(Some(Statement::Show(ShowKind::TableProperties {
            table: identifier_parts(name)?,
            key,
        })));
    }
    if let Some(rest) = after_words(text, &["SHOW", "PARTITIONS"]) {
        let (name, rest) = first_word(rest);
        let partition = match after_words(rest, &["PARTITION"]) {
            Some(spec) => option_pairs(&required_list(spec)?)?,
            None => Vec::new(),
        };
        return Ok(Some(Statement::Show(ShowKind::Partitions {
            table: identifier_parts(name)?,
            partition,
        })));
    }
    let Some(rest) =
        after_words(text, &["ALTER", "TABLE"]).or_else(|| after_words(text, &["ALTER", "VIEW"]))
    else {
        return Ok(None);
    };
    let (name, rest) = first_word(rest);
    let name = identifier_parts(name)?;
    let change = if let Some(new_name) = after_words(rest, &["RENAME", "TO"]) {
        TableChange::RenameTo(identifier_parts(new_name.trim())?)
    } else if let Some(list) = after_words(rest, &["SET", "TBLPROPERTIES"]) {
        TableChange::SetProperties(option_pairs(&required_list(list)?)?)
    } else if let Some(list) = after_words(rest, &["UNSET", "TBLPROPERTIES"]) {
        let (if_exists, list) = match after_words(list, &["IF", "EXISTS"]) {
            Some(list) => (true, list),
            None => (false, list),
        };
        let keys = top_level_items(&required_list(list)?)
            .into_iter()
            .map(|k| unquote(k.trim()))
            .collect();
        TableChange::UnsetProperties { keys, if_exists }
    } else if let Some(columns) =
        after_words(rest, &["ADD", "COLUMNS"]).or_else(|| after_words(rest, &["ADD", "COLUMN"]))
    {
        let body = match parenthesized(columns)? {
            Some(body) => body,
            None => columns.to_string(),
        };
        TableChange::AddColumns(
            top_level_items(&body)
                .into_iter()
                .map(|item| column(&item))
                .collect::<SqlResult<_>>()?,
        )
    } else if after_words(rest, &["RECOVER", "PARTITIONS"]).is_some() {
        TableChange::RecoverPartitions
    } else if let Some(specs) = after_words(rest, &["ADD", "IF", "NOT", "EXISTS"]) {
        TableChange::AddPartitions {
            partitions: partition_specs(specs)?,
            if_not_exists: true,
        }
    } else if let Some(specs) = after_words(rest, &["ADD"]).filter(|r| starts_partition(r)) {
        TableChange::AddPartitions {
            partitions: partition_specs(specs)?,
            if_not_exists: false,
        }
    } else if let Some(specs) = after_words(rest, &["DROP", "IF", "EXISTS"]) {
        TableChange::DropPartitions {
            partitions: partition_specs(specs)?,
            if_exists: true,
        }
    } else if let Some(specs) = after_words(rest, &["DROP"]).filter(|r| starts_partition(r)) {
        TableChange::DropPartitions {
            partitions: partition_specs(specs)?,
            if_exists: false,
        }
    } else {
        let what: Vec<&str> = rest.split_whitespace().take(2).collect();
        return unsupported(format!("ALTER TABLE ... {}", what.join(" ")));
    };
    Ok(Some(Statement::AlterTable { name, change }))
}

fn starts_partition(text: &str) -> bool {
    after_words(text, &["PARTITION"]).is_some()
}

/// `PARTITION (a = 1, b = 'x') [,] PARTITION (...) [PURGE]`: each spec's columns and values.
fn partition_specs(text: &str) -> SqlResult<Vec<Vec<(String, String)>>> {
    let mut specs = Vec::new();
    let mut rest = text.trim();
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() || after_words(rest, &["PURGE"]).is_some_and(str::is_empty) {
            break;
        }
        let Some(spec) = after_words(rest, &["PARTITION"]) else {
            return Err(SqlError::syntax(rest, "PARTITION (...)"));
        };
        let body = required_list(spec)?;
        specs.push(option_pairs(&body)?);
        // Past `(` + body + `)`.
        rest = &spec.trim_start()[body.len() + 2..];
        if after_words(rest, &["LOCATION"]).is_some() {
            return unsupported("ADD PARTITION ... LOCATION");
        }
    }
    if specs.is_empty() {
        return Err(SqlError::syntax(text.trim(), "PARTITION (...)"));
    }
    Ok(specs)
}

/// `name TYPE [COMMENT '...']`.
fn column(item: &str) -> SqlResult<(String, ember_spec::DataType)> {
    let (name, rest) = first_word(item.trim());
    let type_text = match find_keyword(rest, "COMMENT") {
        Some(at) => &rest[..at],
        None => rest,
    };
    if type_text.trim().is_empty() {
        return Err(SqlError::syntax(item.trim(), "a new column needs a type"));
    }
    Ok((unquote(name), parse_data_type(type_text.trim())?))
}

/// The text after the given leading words (matched whole, ignoring case), if they lead.
pub(crate) fn after_words<'a>(text: &'a str, words: &[&str]) -> Option<&'a str> {
    let mut rest = text.trim_start();
    for word in words {
        let head = rest.get(..word.len())?;
        let boundary = rest[word.len()..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || c == '(');
        if !head.eq_ignore_ascii_case(word) || !boundary {
            return None;
        }
        rest = rest[word.len()..].trim_start();
    }
    Some(rest)
}

/// The first whitespace-separated word (backquoted parts may hold spaces) and the rest.
pub(crate) fn first_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    let mut in_quote = false;
    for (i, c) in text.char_indices() {
        match c {
            '`' => in_quote = !in_quote,
            c if (c.is_whitespace() || c == '(') && !in_quote => return (&text[..i], &text[i..]),
            _ => {}
        }
    }
    (text, "")
}

/// The inside of a leading `( ... )`, or None when the text does not start with one.
pub(crate) fn parenthesized(text: &str) -> SqlResult<Option<String>> {
    let text = text.trim();
    let Some(inner) = text.strip_prefix('(') else {
        return Ok(None);
    };
    let close = matching_parenthesis(inner)
        .ok_or_else(|| SqlError::syntax(text, "an unclosed parenthesis"))?;
    Ok(Some(inner[..close].to_string()))
}

fn required_list(text: &str) -> SqlResult<String> {
    parenthesized(text)?.ok_or_else(|| SqlError::syntax(text.trim(), "a parenthesized list"))
}

/// Items separated by commas outside quotes, parentheses and angle brackets.
pub(crate) fn top_level_items(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut current = String::new();
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' | '<' => depth += 1,
                ')' | '>' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            },
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        items.push(current);
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use ember_spec::DataType;

    #[test]
    fn reads_spark_alter_table_forms() -> SqlResult<()> {
        assert_eq!(
            table_maintenance("ALTER TABLE db.t RENAME TO db.u")?,
            Some(Statement::AlterTable {
                name: vec!["db".into(), "t".into()],
                change: TableChange::RenameTo(vec!["db".into(), "u".into()]),
            })
        );
        assert_eq!(
            table_maintenance("alter table t add columns (a INT, b DECIMAL(10, 2) COMMENT 'x')")?,
            Some(Statement::AlterTable {
                name: vec!["t".into()],
                change: TableChange::AddColumns(vec![
                    ("a".into(), DataType::Integer),
                    (
                        "b".into(),
                        DataType::Decimal {
                            precision: 10,
                            scale: 2
                        }
                    ),
                ]),
            })
        );
        assert_eq!(
            table_maintenance("ALTER TABLE t UNSET TBLPROPERTIES IF EXISTS ('k1', 'k2')")?,
            Some(Statement::AlterTable {
                name: vec!["t".into()],
                change: TableChange::UnsetProperties {
                    keys: vec!["k1".into(), "k2".into()],
                    if_exists: true,
                },
            })
        );
        assert!(table_maintenance("SELECT 1")?.is_none());
        assert!(table_maintenance("ALTER TABLE t SET SERDE 'x'").is_err());
        Ok(())
    }
}
