//! Spark's XML schema inference: the widest type that holds every value seen for a field,
//! fields in name order.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Fields};

use super::dom::Element;
use super::XmlOptions;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Inferred {
    Null,
    Long,
    Double,
    Boolean,
    String,
    Struct(BTreeMap<String, Inferred>),
    Array(Box<Inferred>),
}

impl Inferred {
    pub fn merge(self, other: Inferred) -> Inferred {
        use Inferred::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Null, x) | (x, Null) => x,
            (Long, Double) | (Double, Long) => Double,
            (Struct(mut a), Struct(b)) => {
                for (name, t) in b {
                    let merged = match a.remove(&name) {
                        Some(existing) => existing.merge(t),
                        None => t,
                    };
                    a.insert(name, merged);
                }
                Struct(a)
            }
            (Array(a), Array(b)) => Array(Box::new(a.merge(*b))),
            (Array(a), x) | (x, Array(a)) => Array(Box::new(a.merge(x))),
            _ => String,
        }
    }

    /// The Arrow type; a field only ever seen empty is a string, as in Spark.
    pub fn arrow_type(&self) -> DataType {
        match self {
            Inferred::Null | Inferred::String => DataType::Utf8,
            Inferred::Long => DataType::Int64,
            Inferred::Double => DataType::Float64,
            Inferred::Boolean => DataType::Boolean,
            Inferred::Struct(fields) => DataType::Struct(struct_fields(fields)),
            Inferred::Array(element) => {
                DataType::List(Arc::new(Field::new("element", element.arrow_type(), true)))
            }
        }
    }
}

pub(crate) fn struct_fields(fields: &BTreeMap<String, Inferred>) -> Fields {
    fields
        .iter()
        .map(|(name, t)| Field::new(name, t.arrow_type(), true))
        .collect()
}

/// The type of one text value.
pub(crate) fn infer_text(text: &str, options: &XmlOptions) -> Inferred {
    let text = text.trim();
    if text.is_empty() || options.null_value.as_deref() == Some(text) {
        return Inferred::Null;
    }
    if text.parse::<i64>().is_ok() {
        return Inferred::Long;
    }
    let numeric = text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if numeric && text.parse::<f64>().is_ok() {
        return Inferred::Double;
    }
    if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") {
        return Inferred::Boolean;
    }
    Inferred::String
}

/// The fields of a row (or of an element with structure): attributes, children, and the
/// element's own text under the value tag when it has attributes or children beside it.
pub(crate) fn element_fields(
    element: &Element,
    options: &XmlOptions,
) -> BTreeMap<String, Inferred> {
    let mut fields = BTreeMap::new();
    if !options.exclude_attributes {
        for (name, value) in &element.attributes {
            fields.insert(
                format!("{}{name}", options.attribute_prefix),
                infer_text(value, options),
            );
        }
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for child in &element.children {
        *counts.entry(child.name.as_str()).or_default() += 1;
    }
    for child in &element.children {
        let one = element_type(child, options);
        let t = if counts.get(child.name.as_str()).copied().unwrap_or(0) > 1 {
            Inferred::Array(Box::new(one))
        } else {
            one
        };
        let merged = match fields.remove(&child.name) {
            Some(existing) => Inferred::merge(existing, t),
            None => t,
        };
        fields.insert(child.name.clone(), merged);
    }
    if !element.text.trim().is_empty() && !fields.is_empty() {
        fields.insert(
            options.value_tag.clone(),
            infer_text(&element.text, options),
        );
    }
    fields
}

/// The type of one child element: a value, or a struct when it has attributes or children.
pub(crate) fn element_type(element: &Element, options: &XmlOptions) -> Inferred {
    let fields = element_fields(element, options);
    if fields.is_empty() {
        infer_text(&element.text, options)
    } else {
        Inferred::Struct(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_widen_and_conflicts_become_strings() {
        assert_eq!(Inferred::Long.merge(Inferred::Double), Inferred::Double);
        assert_eq!(Inferred::Null.merge(Inferred::Long), Inferred::Long);
        assert_eq!(Inferred::Long.merge(Inferred::Boolean), Inferred::String);
        let options = XmlOptions::from_options(&[]);
        assert_eq!(infer_text(" 100 ", &options), Inferred::Long);
        assert_eq!(infer_text("1.5", &options), Inferred::Double);
        assert_eq!(infer_text("True", &options), Inferred::Boolean);
        assert_eq!(infer_text("Infinity", &options), Inferred::String);
    }
}
