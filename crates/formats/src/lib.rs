//! File formats DataFusion does not bring: ORC (read through datafusion-orc's `FileFormat`,
//! written through orc-rust) and XML rows as Spark reads and writes them; and how written
//! files are committed into place so that a crash never leaves a mix (`commit`).

pub mod commit;
pub mod orc;
pub mod xml;

/// What went wrong reading or writing one of these formats.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("malformed XML in {path}: {message}")]
    MalformedXml { path: String, message: String },
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error(transparent)]
    Orc(#[from] orc_rust::error::OrcError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

pub type FormatResult<T> = Result<T, FormatError>;

/// A writer for one file of a format Ember writes itself.
pub enum PartFileWriter {
    Orc(orc::OrcFileWriter),
    Xml(xml::XmlFileWriter),
}

impl PartFileWriter {
    /// A writer for `format` (`orc` or `xml`) at `path`, configured by Spark's write options.
    pub fn create(
        format: &str,
        path: &std::path::Path,
        schema: &datafusion::arrow::datatypes::Schema,
        options: &[(String, String)],
    ) -> FormatResult<Self> {
        match format {
            "orc" => {
                let compression = options
                    .iter()
                    .rev()
                    .find(|(k, _)| k.eq_ignore_ascii_case("compression"))
                    .map(|(_, v)| v.as_str());
                Ok(PartFileWriter::Orc(orc::OrcFileWriter::create(
                    path,
                    schema,
                    compression,
                )?))
            }
            "xml" => Ok(PartFileWriter::Xml(xml::XmlFileWriter::create(
                path,
                xml::XmlOptions::from_options(options),
            )?)),
            other => Err(FormatError::Unsupported(format!(
                "writing the {other} format"
            ))),
        }
    }

    pub fn write(&mut self, batch: &datafusion::arrow::array::RecordBatch) -> FormatResult<()> {
        match self {
            PartFileWriter::Orc(writer) => writer.write(batch),
            PartFileWriter::Xml(writer) => writer.write(batch),
        }
    }

    pub fn close(self) -> FormatResult<()> {
        match self {
            PartFileWriter::Orc(writer) => writer.close(),
            PartFileWriter::Xml(writer) => writer.close(),
        }
    }
}
