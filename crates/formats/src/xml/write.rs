//! Record batches to an XML file, laid out as Spark writes it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use quick_xml::escape::{escape, minimal_escape};

use super::XmlOptions;
use crate::{FormatError, FormatResult};

const INDENT: &str = "    ";

/// Writes rows as `rowTag` elements inside one `rootTag` element.
pub struct XmlFileWriter {
    out: BufWriter<File>,
    path: String,
    options: XmlOptions,
}

impl XmlFileWriter {
    pub fn create(path: &Path, options: XmlOptions) -> FormatResult<Self> {
        let file = File::create(path).map_err(|source| FormatError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut writer = XmlFileWriter {
            out: BufWriter::new(file),
            path: path.display().to_string(),
            options,
        };
        let head = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<{}>\n",
            writer.options.root_tag
        );
        writer.put(&head)?;
        Ok(writer)
    }

    pub fn write(&mut self, batch: &RecordBatch) -> FormatResult<()> {
        let schema = batch.schema();
        let mut text = String::new();
        for row in 0..batch.num_rows() {
            let fields: Vec<(&str, &dyn Array)> = schema
                .fields()
                .iter()
                .zip(batch.columns())
                .map(|(f, c)| (f.name().as_str(), c.as_ref()))
                .collect();
            element(
                &mut text,
                &self.options.row_tag,
                &fields,
                row,
                1,
                &self.options,
            )?;
        }
        self.put(&text)
    }

    pub fn close(mut self) -> FormatResult<()> {
        let tail = format!("</{}>\n", self.options.root_tag);
        self.put(&tail)?;
        self.out.flush().map_err(|source| FormatError::Io {
            path: self.path.clone(),
            source,
        })
    }

    fn put(&mut self, text: &str) -> FormatResult<()> {
        self.out
            .write_all(text.as_bytes())
            .map_err(|source| FormatError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

/// One element whose fields are the given columns at `row`: prefixed fields become
/// attributes, the value tag its text, the rest child elements; null fields are left out.
fn element(
    out: &mut String,
    name: &str,
    fields: &[(&str, &dyn Array)],
    row: usize,
    depth: usize,
    options: &XmlOptions,
) -> FormatResult<()> {
    let pad = INDENT.repeat(depth);
    out.push_str(&format!("{pad}<{name}"));
    let mut text = None;
    let mut children = Vec::new();
    for (field, array) in fields {
        if array.is_null(row) {
            continue;
        }
        if *field == options.value_tag {
            text = Some(scalar(*array, row)?);
        } else if let Some(attribute) = field
            .strip_prefix(options.attribute_prefix.as_str())
            .filter(|_| !options.attribute_prefix.is_empty())
        {
            let value = scalar(*array, row)?;
            out.push_str(&format!(" {attribute}=\"{}\"", escape(value.as_str())));
        } else {
            children.push((*field, *array));
        }
    }
    if children.is_empty() {
        match text {
            Some(text) => out.push_str(&format!(">{}</{name}>\n", minimal_escape(text.as_str()))),
            None => out.push_str("/>\n"),
        }
        return Ok(());
    }
    out.push_str(">\n");
    if let Some(text) = text {
        out.push_str(&format!("{pad}{INDENT}{}\n", minimal_escape(text.as_str())));
    }
    for (field, array) in children {
        value(out, field, array, row, depth + 1, options)?;
    }
    out.push_str(&format!("{pad}</{name}>\n"));
    Ok(())
}

/// A field's value: a struct as an element of its own, an array as one element per item.
fn value(
    out: &mut String,
    name: &str,
    array: &dyn Array,
    row: usize,
    depth: usize,
    options: &XmlOptions,
) -> FormatResult<()> {
    match array.data_type() {
        DataType::Struct(fields) => {
            let columns = array.as_struct();
            let inner: Vec<(&str, &dyn Array)> = fields
                .iter()
                .zip(columns.columns())
                .map(|(f, c)| (f.name().as_str(), c.as_ref()))
                .collect();
            element(out, name, &inner, row, depth, options)
        }
        DataType::List(_) => {
            let items = array.as_list::<i32>().value(row);
            for i in 0..items.len() {
                if !items.is_null(i) {
                    value(out, name, items.as_ref(), i, depth, options)?;
                }
            }
            Ok(())
        }
        DataType::LargeList(_) => {
            let items = array.as_list::<i64>().value(row);
            for i in 0..items.len() {
                if !items.is_null(i) {
                    value(out, name, items.as_ref(), i, depth, options)?;
                }
            }
            Ok(())
        }
        DataType::Map(_, _) => Err(FormatError::Unsupported(format!(
            "writing map column `{name}` as XML"
        ))),
        _ => {
            let pad = INDENT.repeat(depth);
            let text = scalar(array, row)?;
            out.push_str(&format!(
                "{pad}<{name}>{}</{name}>\n",
                minimal_escape(text.as_str())
            ));
            Ok(())
        }
    }
}

fn scalar(array: &dyn Array, row: usize) -> FormatResult<String> {
    let formatter = ArrayFormatter::try_new(array, &FormatOptions::default())?;
    Ok(formatter.value(row).to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::xml::read_rows;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};

    #[test]
    fn writes_spark_layout_and_reads_back() -> FormatResult<()> {
        let path = std::env::temp_dir().join(format!("ember-xml-{}.xml", std::process::id()));
        let options = XmlOptions::from_options(&[("rowTag".into(), "person".into())]);
        let schema = Arc::new(Schema::new(vec![
            Field::new("age", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![Some(100), None])),
                Arc::new(StringArray::from(vec![Some("Hyukjin <Kwon>"), Some("B")])),
            ],
        )?;
        let mut writer = XmlFileWriter::create(&path, options.clone())?;
        writer.write(&batch)?;
        writer.close()?;
        let text = std::fs::read_to_string(&path).map_err(|source| FormatError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let _ = std::fs::remove_file(&path);
        assert!(text.contains(
            "<ROWS>\n    <person>\n        <age>100</age>\n        <name>Hyukjin &lt;Kwon></name>\n    </person>\n"
        ));
        let (read_schema, batches) = read_rows(&[("f".into(), text)], None, &options)?;
        assert_eq!(read_schema, schema);
        assert_eq!(batches[0].columns(), batch.columns());
        Ok(())
    }
}
