//! ORC: reading through datafusion-orc's `FileFormat`, writing through orc-rust.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::listing::ListingOptions;
use orc_rust::compression::CompressionType;

use crate::{FormatError, FormatResult};

/// How a listing table finds and reads ORC files: the files Spark writes end in `.orc`.
pub fn listing_options() -> ListingOptions {
    ListingOptions::new(Arc::new(datafusion_orc::OrcFormat)).with_file_extension(".orc")
}

/// Writes record batches into one ORC file.
pub struct OrcFileWriter {
    inner: orc_rust::ArrowWriter<File>,
    schema: SchemaRef,
}

impl OrcFileWriter {
    /// `compression` is Spark's option value (`snappy` by default, `zlib`, `lz4`, `zstd`,
    /// `lzo`, `none`/`uncompressed`).
    pub fn create(path: &Path, schema: &Schema, compression: Option<&str>) -> FormatResult<Self> {
        let schema = Arc::new(writable_schema(schema)?);
        let file = File::create(path).map_err(|source| FormatError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut builder = orc_rust::ArrowWriterBuilder::new(file, schema.clone());
        if let Some(codec) = compression_type(compression.unwrap_or("snappy"))? {
            builder = builder.with_compression(codec);
        }
        Ok(OrcFileWriter {
            inner: builder.try_build()?,
            schema,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> FormatResult<()> {
        let columns = batch
            .columns()
            .iter()
            .zip(self.schema.fields())
            .map(|(column, field)| cast(column, field.data_type()))
            .collect::<Result<Vec<_>, _>>()?;
        let batch = RecordBatch::try_new(self.schema.clone(), columns)?;
        Ok(self.inner.write(&batch)?)
    }

    pub fn close(self) -> FormatResult<()> {
        Ok(self.inner.close()?)
    }
}

fn compression_type(name: &str) -> FormatResult<Option<CompressionType>> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "none" | "uncompressed" => None,
        "snappy" => Some(CompressionType::Snappy),
        "zlib" => Some(CompressionType::Zlib),
        "lz4" => Some(CompressionType::Lz4),
        "zstd" => Some(CompressionType::Zstd),
        "lzo" => Some(CompressionType::Lzo),
        other => {
            return Err(FormatError::Unsupported(format!(
                "ORC compression codec {other}"
            )))
        }
    })
}

/// The schema as orc-rust can write it: timestamps become UTC instants (the same values),
/// and a type it cannot write is an error here rather than a failure halfway through a file.
fn writable_schema(schema: &Schema) -> FormatResult<Schema> {
    let fields = schema
        .fields()
        .iter()
        .map(|field| {
            let data_type = match field.data_type() {
                DataType::Timestamp(unit, Some(_)) => {
                    DataType::Timestamp(*unit, Some("UTC".into()))
                }
                DataType::Null => DataType::Utf8,
                DataType::Utf8View => DataType::Utf8,
                DataType::BinaryView => DataType::Binary,
                other if writable(other) => other.clone(),
                other => {
                    return Err(FormatError::Unsupported(format!(
                        "writing column `{}` of type {other} to ORC",
                        field.name()
                    )))
                }
            };
            Ok(Field::new(field.name(), data_type, true))
        })
        .collect::<FormatResult<Vec<_>>>()?;
    Ok(Schema::new(fields))
}

fn writable(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Boolean
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::Float32
            | DataType::Float64
            | DataType::Date32
            | DataType::Timestamp(_, None)
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Binary
            | DataType::LargeBinary
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};

    #[test]
    fn written_file_reads_back() -> FormatResult<()> {
        let dir = std::env::temp_dir().join(format!("ember-orc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|source| FormatError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join("part.orc");
        let schema = Schema::new(vec![
            Field::new("age", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
        ]);
        let batch = RecordBatch::try_new(
            Arc::new(schema.clone()),
            vec![
                Arc::new(Int64Array::from(vec![Some(100), None])),
                Arc::new(StringArray::from(vec![Some("Hyukjin"), Some("Kwon")])),
            ],
        )?;
        let mut writer = OrcFileWriter::create(&path, &schema, None)?;
        writer.write(&batch)?;
        writer.close()?;
        let file = File::open(&path).map_err(|source| FormatError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let read: Vec<RecordBatch> = orc_rust::ArrowReaderBuilder::try_new(file)?
            .build()
            .collect::<Result<_, _>>()?;
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].column(0).as_ref(), batch.column(0).as_ref());
        assert_eq!(read[0].column(1).as_ref(), batch.column(1).as_ref());
        Ok(())
    }

    #[test]
    fn nested_columns_are_refused_before_writing() {
        let schema = Schema::new(vec![Field::new(
            "tags",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        )]);
        assert!(matches!(
            writable_schema(&schema),
            Err(FormatError::Unsupported(_))
        ));
    }
}
