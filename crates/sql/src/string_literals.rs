//! Spark's string literal forms the tokenizer does not know, rewritten into ones it does
//! before parsing: `\uXXXX` escapes (written out as their characters) and raw strings
//! `r'C:\dir'` (their backslashes doubled, so they survive escape processing).

use std::borrow::Cow;

pub(crate) fn spark_string_literals(text: &str) -> Cow<'_, str> {
    if !text.contains("\\u") && !text.contains(['r', 'R']) {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            None if matches!(c, '\'' | '"' | '`') => quote = Some(c),
            None if is_raw_start(&chars, i) => {
                let q = chars[i + 1];
                out.push(q);
                i += 2;
                while i < chars.len() && chars[i] != q {
                    if chars[i] == '\\' {
                        out.push('\\');
                    }
                    out.push(chars[i]);
                    i += 1;
                }
                if i < chars.len() {
                    out.push(q);
                }
                i += 1;
                continue;
            }
            Some(q) if c == q => quote = None,
            Some('\'' | '"') if c == '\\' && i + 1 < chars.len() => {
                let next = chars[i + 1];
                let decoded = (next == 'u' && i + 6 <= chars.len())
                    .then(|| chars[i + 2..i + 6].iter().collect::<String>())
                    .and_then(|hex| u32::from_str_radix(&hex, 16).ok())
                    .and_then(char::from_u32);
                match decoded {
                    Some(decoded) => {
                        // A decoded quote or backslash stays escaped for the tokenizer.
                        if matches!(decoded, '\'' | '"' | '\\') {
                            out.push('\\');
                        }
                        out.push(decoded);
                        i += 6;
                    }
                    None => {
                        out.push(c);
                        out.push(next);
                        i += 2;
                    }
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    Cow::Owned(out)
}

/// `r'...'` or `R"..."` where the `r` starts a token (not the end of a name like `bar'`).
fn is_raw_start(chars: &[char], i: usize) -> bool {
    matches!(chars[i], 'r' | 'R')
        && matches!(chars.get(i + 1), Some('\'' | '"'))
        && !i
            .checked_sub(1)
            .and_then(|p| chars.get(p))
            .is_some_and(|p| p.is_alphanumeric() || *p == '_')
}

#[cfg(test)]
mod tests {
    use super::spark_string_literals;

    #[test]
    fn unicode_escapes_are_decoded_in_strings_only() {
        assert_eq!(spark_string_literals(r"SELECT 'u\u00e9'"), "SELECT 'ué'");
        assert_eq!(
            spark_string_literals(r"SELECT `\u00e9`, 'a\'\u0041'"),
            r"SELECT `\u00e9`, 'a\'A'"
        );
        assert_eq!(spark_string_literals(r"SELECT '\u0027'"), r"SELECT '\''");
        assert_eq!(spark_string_literals(r"SELECT '\u12'"), r"SELECT '\u12'");
    }

    #[test]
    fn raw_strings_keep_their_backslashes() {
        assert_eq!(spark_string_literals(r"SELECT r'a\nb'"), r"SELECT 'a\\nb'");
        assert_eq!(
            spark_string_literals(r#"SELECT R"x\y" AS r"#),
            r#"SELECT "x\\y" AS r"#
        );
        assert_eq!(spark_string_literals("SELECT bar'x'"), "SELECT bar'x'");
        assert_eq!(spark_string_literals("SELECT 'r'"), "SELECT 'r'");
    }
}
