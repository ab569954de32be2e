//! XML files to record batches.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::arrow::json::ReaderBuilder;
use serde_json::{Map, Number, Value};

use super::dom::{parse_rows, Element};
use super::infer::{element_fields, struct_fields, Inferred};
use super::XmlOptions;
use crate::{FormatError, FormatResult};

const BATCH_ROWS: usize = 4096;

/// The rows of every file, with the given schema or one inferred from all rows.
/// `files` pairs each path (for errors) with its text.
pub fn read_rows(
    files: &[(String, String)],
    schema: Option<SchemaRef>,
    options: &XmlOptions,
) -> FormatResult<(SchemaRef, Vec<RecordBatch>)> {
    let mut rows = Vec::new();
    for (path, text) in files {
        let parsed =
            parse_rows(text, &options.row_tag).map_err(|message| FormatError::MalformedXml {
                path: path.clone(),
                message,
            })?;
        rows.extend(parsed);
    }
    let schema = match schema {
        Some(schema) => schema,
        None => {
            let fields = rows.iter().fold(BTreeMap::new(), |acc, row| {
                match Inferred::Struct(acc).merge(Inferred::Struct(element_fields(row, options))) {
                    Inferred::Struct(fields) => fields,
                    _ => BTreeMap::new(),
                }
            });
            Arc::new(Schema::new(struct_fields(&fields)))
        }
    };
    let mut batches = Vec::new();
    for chunk in rows.chunks(BATCH_ROWS) {
        let values: Vec<Value> = chunk
            .iter()
            .map(|row| {
                object(
                    row,
                    schema.fields().iter().map(|f| (f.name(), f.data_type())),
                    options,
                )
            })
            .collect();
        let mut decoder = ReaderBuilder::new(schema.clone())
            .with_batch_size(BATCH_ROWS)
            .build_decoder()?;
        decoder.serialize(&values)?;
        if let Some(batch) = decoder.flush()? {
            batches.push(batch);
        }
    }
    Ok((schema, batches))
}

/// `from_xml` / `schema_of_xml`: each text is one record, its outermost element the row.
/// Returns the schema (given, or inferred from every record) and a struct per text: NULL
/// for a NULL text; a text that is not one well-formed element is an error.
pub fn read_records(
    texts: &[Option<&str>],
    schema: Option<SchemaRef>,
    options: &XmlOptions,
) -> FormatResult<(SchemaRef, StructArray)> {
    let mut records = Vec::with_capacity(texts.len());
    for text in texts {
        let Some(text) = text else {
            records.push(None);
            continue;
        };
        let malformed = |message: String| FormatError::MalformedXml {
            path: "the record".into(),
            message,
        };
        let root = super::dom::root_name(text).map_err(malformed)?;
        let mut rows = parse_rows(text, &root).map_err(malformed)?;
        if rows.len() != 1 {
            return Err(malformed(format!(
                "{} records where one was expected",
                rows.len()
            )));
        }
        records.push(rows.pop());
    }
    let schema =
        match schema {
            Some(schema) => schema,
            None => {
                let fields = records.iter().flatten().fold(BTreeMap::new(), |acc, row| {
                    match Inferred::Struct(acc)
                        .merge(Inferred::Struct(element_fields(row, options)))
                    {
                        Inferred::Struct(fields) => fields,
                        _ => BTreeMap::new(),
                    }
                });
                Arc::new(Schema::new(struct_fields(&fields)))
            }
        };
    let values: Vec<Value> = records
        .iter()
        .map(|record| match record {
            Some(row) => object(
                row,
                schema.fields().iter().map(|f| (f.name(), f.data_type())),
                options,
            ),
            None => Value::Object(Map::new()),
        })
        .collect();
    let mut decoder = ReaderBuilder::new(schema.clone())
        .with_batch_size(values.len().max(1))
        .build_decoder()?;
    decoder.serialize(&values)?;
    let batch = match decoder.flush()? {
        Some(batch) => batch,
        None => RecordBatch::new_empty(schema.clone()),
    };
    let valid = NullBuffer::from(records.iter().map(Option::is_some).collect::<Vec<_>>());
    let structs = StructArray::try_new(
        schema.fields().clone(),
        batch.columns().to_vec(),
        Some(valid),
    )?;
    Ok((schema, structs))
}

/// An element's fields as a JSON object typed for the decoder.
fn object<'a>(
    element: &Element,
    fields: impl Iterator<Item = (&'a String, &'a DataType)>,
    options: &XmlOptions,
) -> Value {
    let mut out = Map::new();
    for (name, data_type) in fields {
        let value = if *name == options.value_tag {
            leaf(&element.text, data_type, options)
        } else if let Some((_, v)) = name
            .strip_prefix(options.attribute_prefix.as_str())
            .filter(|_| !options.attribute_prefix.is_empty())
            .and_then(|attr| element.attributes.iter().find(|(k, _)| k == attr))
        {
            leaf(v, data_type, options)
        } else {
            let mut children = element
                .children
                .iter()
                .filter(|c| &c.name == name)
                .peekable();
            match data_type {
                // No element at all is null, not an empty array.
                DataType::List(_) if children.peek().is_none() => Value::Null,
                DataType::List(element_field) => Value::Array(
                    children
                        .map(|c| child(c, element_field.data_type(), options))
                        .collect(),
                ),
                _ => children
                    .next()
                    .map(|c| child(c, data_type, options))
                    .unwrap_or(Value::Null),
            }
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

fn child(element: &Element, data_type: &DataType, options: &XmlOptions) -> Value {
    match data_type {
        DataType::Struct(fields) => object(
            element,
            fields.iter().map(|f| (f.name(), f.data_type())),
            options,
        ),
        DataType::List(field) => Value::Array(vec![child(element, field.data_type(), options)]),
        // A structured element read as a plain value gives its own text.
        _ => leaf(&element.text, data_type, options),
    }
}

/// One text value in the column's type; a value that does not parse is null, as in Spark's
/// permissive mode.
fn leaf(text: &str, data_type: &DataType, options: &XmlOptions) -> Value {
    let text = text.trim();
    if text.is_empty() || options.null_value.as_deref() == Some(text) {
        return Value::Null;
    }
    match data_type {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => text
            .parse::<i64>()
            .map(|n| Value::Number(n.into()))
            .unwrap_or(Value::Null),
        DataType::Float32 | DataType::Float64 => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        DataType::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::Null,
        },
        _ => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int64Type;

    #[test]
    fn infers_sorted_columns_and_reads_values() -> FormatResult<()> {
        let text = r#"<?xml version="1.0"?>
<ROWS>
    <person id="7"><name>Hyukjin Kwon</name><age>100</age></person>
    <person><name>Bob</name><tag>a</tag><tag>b</tag></person>
</ROWS>"#;
        let options = XmlOptions::from_options(&[("rowTag".into(), "person".into())]);
        let (schema, batches) = read_rows(&[("f.xml".into(), text.into())], None, &options)?;
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["_id", "age", "name", "tag"]);
        let batch = &batches[0];
        assert_eq!(batch.num_rows(), 2);
        let age = batch.column(1).as_primitive::<Int64Type>();
        assert_eq!(age.value(0), 100);
        assert!(age.is_null(1));
        let tags = batch.column(3).as_list::<i32>();
        assert_eq!(tags.value(1).len(), 2);
        Ok(())
    }

    #[test]
    fn malformed_document_names_the_file() {
        let options = XmlOptions::from_options(&[("rowTag".into(), "p".into())]);
        let result = read_rows(&[("bad.xml".into(), "<p><a>1</p>".into())], None, &options);
        assert!(matches!(result, Err(FormatError::MalformedXml { path, .. }) if path == "bad.xml"));
    }
}
