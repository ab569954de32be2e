//! XML rows as Spark reads and writes them: one row per `rowTag` element, child elements and
//! attributes (prefixed `_`) as columns, text beside attributes or children as `_VALUE`.

mod dom;
mod infer;
mod read;
mod write;

pub use read::{read_records, read_rows};
pub use write::XmlFileWriter;

/// Spark's XML options that shape rows.
#[derive(Debug, Clone)]
pub struct XmlOptions {
    pub row_tag: String,
    pub root_tag: String,
    pub attribute_prefix: String,
    pub value_tag: String,
    pub null_value: Option<String>,
    pub exclude_attributes: bool,
}

impl XmlOptions {
    /// Reads Spark's option names (case-insensitively); unset ones take Spark's defaults.
    pub fn from_options(options: &[(String, String)]) -> Self {
        let get = |key: &str| {
            options
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.clone())
        };
        XmlOptions {
            row_tag: get("rowTag").unwrap_or_else(|| "ROW".into()),
            root_tag: get("rootTag").unwrap_or_else(|| "ROWS".into()),
            attribute_prefix: get("attributePrefix").unwrap_or_else(|| "_".into()),
            value_tag: get("valueTag").unwrap_or_else(|| "_VALUE".into()),
            null_value: get("nullValue"),
            exclude_attributes: get("excludeAttribute")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        }
    }

    /// Whether the user named the row tag: Spark requires it for reading.
    pub fn has_row_tag(options: &[(String, String)]) -> bool {
        options
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("rowTag"))
    }
}
