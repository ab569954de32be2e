//! Spark SQL spellings the parser cannot read, handled on the text before it parses:
//! free-form `SET key=value` / `RESET`, `CLEAR CACHE`, `REFRESH TABLE`, `GLOBAL TEMP VIEW`,
//! `DESCRIBE TABLE|QUERY`, and the data source clauses of `CREATE TABLE` (`OPTIONS (...)`,
//! `PARTITIONED BY (names)`) that may come in any order.

use ember_spec::Statement;

use crate::{SqlError, SqlResult};

/// `SET`, `SET key`, `SET key = value`, `RESET`, `RESET key`.
pub(crate) fn set_or_reset(text: &str) -> Option<Statement> {
    let (first, rest) = match text.split_once(char::is_whitespace) {
        Some((first, rest)) => (first, rest.trim()),
        None => (text, ""),
    };
    if first.eq_ignore_ascii_case("reset") {
        return Some(Statement::Reset {
            key: (!rest.is_empty()).then(|| rest.to_string()),
        });
    }
    if !first.eq_ignore_ascii_case("set") {
        return None;
    }
    // `SET TIME ZONE 'x'` is Spark's spelling of the session time zone.
    let lower = rest.to_ascii_lowercase();
    if let Some(zone) = lower.strip_prefix("time zone") {
        let value = rest[rest.len() - zone.len()..].trim();
        return Some(Statement::Set {
            key: Some("spark.sql.session.timeZone".into()),
            value: Some(unquote(value)),
        });
    }
    if rest.is_empty() || rest == "-v" {
        return Some(Statement::Set {
            key: None,
            value: None,
        });
    }
    Some(match rest.split_once('=') {
        Some((key, value)) => Statement::Set {
            key: Some(unquote(key.trim())),
            value: Some(unquote(value.trim())),
        },
        None => Statement::Set {
            key: Some(unquote(rest)),
            value: None,
        },
    })
}

/// `CLEAR CACHE` and `REFRESH TABLE name`, which the parser does not know.
pub(crate) fn cache_maintenance(text: &str) -> Option<Statement> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    match upper
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["CLEAR", "CACHE"] => Some(Statement::ClearCache),
        ["REFRESH", "TABLE", _] => Some(Statement::RefreshTable {
            name: words[2].split('.').map(unquote).collect(),
        }),
        _ => None,
    }
}

pub(crate) fn unquote(text: &str) -> String {
    let quoted = text.len() >= 2
        && ((text.starts_with('\'') && text.ends_with('\''))
            || (text.starts_with('"') && text.ends_with('"'))
            || (text.starts_with('`') && text.ends_with('`')));
    if quoted {
        text[1..text.len() - 1].to_string()
    } else {
        text.to_string()
    }
}

/// `CREATE [OR REPLACE] GLOBAL TEMP[ORARY] VIEW`: the parser knows no `GLOBAL` here, so it
/// is taken out and remembered.
pub(crate) fn strip_global_view(text: &str) -> (bool, String) {
    let words: Vec<&str> = text.split_whitespace().collect();
    let upper: Vec<String> = words
        .iter()
        .take(5)
        .map(|w| w.to_ascii_uppercase())
        .collect();
    let position = match upper
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["CREATE", "GLOBAL", ..] => Some(1),
        ["CREATE", "OR", "REPLACE", "GLOBAL", ..] => Some(3),
        _ => None,
    };
    match position {
        Some(index) => {
            let mut kept: Vec<&str> = words.clone();
            kept.remove(index);
            (true, kept.join(" "))
        }
        None => (false, text.to_string()),
    }
}

/// `DESCRIBE TABLE [EXTENDED] t` and `DESCRIBE QUERY q`: the parser wants neither keyword,
/// and reads `EXTENDED` only before the name.
pub(crate) fn describe_without_keyword(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let first = words.first().map(|w| w.to_ascii_uppercase());
    let second = words.get(1).map(|w| w.to_ascii_uppercase());
    match (first.as_deref(), second.as_deref()) {
        // EXPLAIN's FORMATTED / COST / CODEGEN modes show the same plan here.
        (Some("DESC" | "DESCRIBE"), Some("TABLE" | "QUERY"))
        | (Some("EXPLAIN"), Some("FORMATTED" | "COST" | "CODEGEN")) => {
            let mut kept = words.clone();
            kept.remove(1);
            kept.join(" ")
        }
        _ => text.to_string(),
    }
}

/// `CREATE DATABASE|SCHEMA ... COMMENT 'text'`: taken out of the text, which the parser
/// does not accept with it, and returned.
pub(crate) fn take_database_comment(text: &str) -> (String, Option<String>) {
    let words: Vec<String> = text
        .split_whitespace()
        .take(2)
        .map(|w| w.to_ascii_uppercase())
        .collect();
    let creates_database = words.first().is_some_and(|w| w == "CREATE")
        && words
            .get(1)
            .is_some_and(|w| matches!(w.as_str(), "DATABASE" | "SCHEMA" | "NAMESPACE"));
    let Some(start) = find_keyword(text, "COMMENT").filter(|_| creates_database) else {
        return (text.to_string(), None);
    };
    let after = text[start + "COMMENT".len()..].trim_start();
    let Some(quote) = after.chars().next().filter(|c| *c == '\'' || *c == '"') else {
        return (text.to_string(), None);
    };
    let Some(end) = after[1..].find(quote) else {
        return (text.to_string(), None);
    };
    let comment = after[1..1 + end].to_string();
    let rest = format!("{} {}", &text[..start], &after[end + 2..]);
    (rest, Some(comment))
}

/// `CREATE TABLE ... OPTIONS (k 'v', k2 = 'v2')`: Spark's data source options, which the
/// parser does not read; taken out of the text and returned as pairs.
pub(crate) fn take_table_options(text: &str) -> SqlResult<(String, Vec<(String, String)>)> {
    take_create_table_list(text, "OPTIONS")
}

/// `CREATE TABLE ... TBLPROPERTIES (...)`: Spark takes the clauses after the columns in any
/// order, the parser in one; taken out of the text and returned as pairs.
pub(crate) fn take_table_properties(text: &str) -> SqlResult<(String, Vec<(String, String)>)> {
    take_create_table_list(text, "TBLPROPERTIES")
}

fn take_create_table_list(
    text: &str,
    keyword: &'static str,
) -> SqlResult<(String, Vec<(String, String)>)> {
    let is_create_table = {
        let upper = text.to_ascii_uppercase();
        upper.starts_with("CREATE") && upper.contains(" TABLE ")
    };
    if !is_create_table {
        return Ok((text.to_string(), Vec::new()));
    }
    let Some(start) = find_keyword(text, keyword) else {
        return Ok((text.to_string(), Vec::new()));
    };
    let after = &text[start + keyword.len()..];
    let open = after
        .find('(')
        .filter(|i| after[..*i].trim().is_empty())
        .ok_or_else(|| SqlError::syntax(format!("'{keyword}'"), "a parenthesized list"))?;
    let body_start = start + keyword.len() + open + 1;
    let close = matching_parenthesis(&text[body_start..])
        .ok_or_else(|| SqlError::syntax(format!("'{keyword}'"), "an unclosed list"))?;
    let body = &text[body_start..body_start + close];
    let options = option_pairs(body)?;
    let rest = format!("{} {}", &text[..start], &text[body_start + close + 1..]);
    Ok((rest, options))
}

/// `k 'v', 'k2' = 'v2'`: the pairs of an OPTIONS or TBLPROPERTIES list.
pub(crate) fn option_pairs(body: &str) -> SqlResult<Vec<(String, String)>> {
    let mut options = Vec::new();
    for item in split_outside_quotes(body, ',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let key_end = match item.chars().next() {
            Some(quote @ ('\'' | '"' | '`')) => item[1..].find(quote).map(|i| i + 2),
            _ => item.find(|c: char| c.is_whitespace() || c == '='),
        }
        .ok_or_else(|| SqlError::syntax(format!("'{item}'"), "an option needs a value"))?;
        let key = &item[..key_end];
        let value = item[key_end..].trim_start();
        let value = value.strip_prefix('=').unwrap_or(value).trim();
        options.push((unquote(key), unquote(value)));
    }
    Ok(options)
}

/// `CREATE TABLE ... PARTITIONED BY (a, b)`: Spark takes bare column names anywhere after
/// the columns; the parser wants typed columns in one place. Typed ones (`(b STRING)`) keep
/// only their names here too.
pub(crate) fn take_partition_columns(text: &str) -> SqlResult<(String, Vec<String>)> {
    let upper = text.to_ascii_uppercase();
    if !(upper.starts_with("CREATE") && upper.contains(" TABLE ")) {
        return Ok((text.to_string(), Vec::new()));
    }
    let Some(start) = find_keyword(text, "PARTITIONED") else {
        return Ok((text.to_string(), Vec::new()));
    };
    let after = &text[start + "PARTITIONED".len()..];
    let by = after.trim_start();
    if !by.to_ascii_uppercase().starts_with("BY") {
        return Ok((text.to_string(), Vec::new()));
    }
    let open_offset = after.len() - by.len() + 2;
    let rest = &after[open_offset..];
    let open = rest
        .find('(')
        .filter(|i| rest[..*i].trim().is_empty())
        .ok_or_else(|| SqlError::syntax("'PARTITIONED'", "PARTITIONED BY needs a column list"))?;
    let body_start = start + "PARTITIONED".len() + open_offset + open + 1;
    let close = matching_parenthesis(&text[body_start..])
        .ok_or_else(|| SqlError::syntax("'PARTITIONED'", "unclosed PARTITIONED BY list"))?;
    let columns = split_outside_quotes(&text[body_start..body_start + close], ',')
        .into_iter()
        .filter_map(|item| item.split_whitespace().next().map(unquote))
        .collect();
    let remaining = format!("{} {}", &text[..start], &text[body_start + close + 1..]);
    Ok((remaining, columns))
}

/// `FROM VALUES ... AS t(c) PIVOT|UNPIVOT (...)` with the VALUES in a subquery, which the
/// parser reads; None when the text has no such pivot.
pub(crate) fn values_before_pivot(text: &str) -> Option<String> {
    let from = find_keyword(text, "FROM")?;
    let after_from = &text[from + 4..];
    let values = from + 4 + (after_from.len() - after_from.trim_start().len());
    if !text[values..]
        .get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("VALUES"))
    {
        return None;
    }
    let pivot = ["PIVOT", "UNPIVOT"]
        .iter()
        .filter_map(|word| find_keyword(&text[values..], word))
        .min()?;
    let pivot = values + pivot;
    Some(format!(
        "{}(SELECT * FROM {}) {}",
        &text[..values],
        text[values..pivot].trim_end(),
        &text[pivot..]
    ))
}

/// Where `word` stands alone outside quotes, ignoring case.
pub(crate) fn find_keyword(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' || b == b'`' => quote = Some(b),
            None => {
                let end = i + word.len();
                let boundary_before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
                let boundary_after = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
                if boundary_before
                    && boundary_after
                    && text
                        .get(i..end)
                        .is_some_and(|w| w.eq_ignore_ascii_case(word))
                {
                    return Some(i);
                }
            }
        }
    }
    None
}

/// The index of the `)` that closes an already opened parenthesis.
pub(crate) fn matching_parenthesis(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' => depth += 1,
                ')' if depth == 0 => return Some(i),
                ')' => depth -= 1,
                _ => {}
            },
        }
    }
    None
}

fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' || c == '`' => quote = Some(c),
            None if c == separator => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            None => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Spark's `WITH RECURSIVE name(cols) MAX RECURSION LEVEL n AS (...)`, which the parser does
/// not read: the clauses come out of the text, each with its CTE's name (lower case).
pub(crate) fn take_recursion_levels(text: &str) -> SqlResult<(String, Vec<(String, i64)>)> {
    let mut text = text.to_string();
    let mut levels = Vec::new();
    let mut from = 0;
    while let Some(found) = find_keyword(&text[from..], "max") {
        let start = from + found;
        let rest = &text[start + 3..];
        let mut words = rest.split_whitespace();
        let recursion = words
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("recursion"));
        let level = words
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("level"));
        if !(recursion && level) {
            // `max(...)` the function, or a column named so.
            from = start + 3;
            continue;
        }
        let after_level = find_keyword(rest, "level").map_or(rest.len(), |i| i + 5);
        let tail = &rest[after_level..];
        let digits_start = tail.len() - tail.trim_start().len();
        let digits: String = tail[digits_start..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let value = digits.parse::<i64>().map_err(|_| {
            SqlError::syntax(
                tail.split_whitespace().next().unwrap_or("end of input"),
                "a number after MAX RECURSION LEVEL",
            )
        })?;
        let end = start + 3 + after_level + digits_start + digits.len();
        levels.push((cte_name_before(&text[..start]), value));
        text.replace_range(start..end, " ");
        from = start;
    }
    Ok((text, levels))
}

/// The name of the CTE whose header ends `before`: `name` or `name(columns)`.
fn cte_name_before(before: &str) -> String {
    let mut head = before.trim_end();
    if head.ends_with(')') {
        let mut depth = 0usize;
        for (i, c) in head.char_indices().rev() {
            match c {
                ')' => depth += 1,
                '(' if depth == 1 => {
                    head = head[..i].trim_end();
                    break;
                }
                '(' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    let name: String = head
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '`')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    name.trim_matches('`').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recursion_levels_come_out_with_their_cte_names() -> SqlResult<()> {
        let (text, levels) = take_recursion_levels(
            "WITH RECURSIVE t(n) MAX RECURSION LEVEL 7 AS (SELECT max(1)), `u` max recursion level 9 AS (SELECT 2) SELECT 1",
        )?;
        assert_eq!(levels, vec![("t".to_string(), 7), ("u".to_string(), 9)]);
        assert!(!text.to_ascii_lowercase().contains("recursion"));
        assert!(text.contains("max(1)"));
        assert!(
            take_recursion_levels("WITH RECURSIVE t MAX RECURSION LEVEL x AS (SELECT 1)").is_err()
        );
        Ok(())
    }
}
