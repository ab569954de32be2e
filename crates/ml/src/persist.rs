//! Spark's on-disk layout for ML operators: `metadata/part-00000` holds one JSON line
//! (`class`, `uid`, `paramMap`, `defaultParamMap`, `sparkVersion`), and models keep their
//! data as Parquet under `data/`. Writes go to a temporary directory that is renamed into
//! place, so a failed save leaves nothing half-written.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::arrow::ArrowWriter;
use serde_json::{json, Map, Value};

use crate::error::{io_error, MlError, MlResult};
use crate::params::Params;
use crate::value::MlValue;

/// The Spark version Ember's saved models say they come from.
pub const SPARK_VERSION: &str = "4.1.1";

/// Schema metadata keys of model data that go to the top level of the saved metadata JSON
/// instead (`numFeatures`, `numClasses` of trees), and come back the same way on load.
pub const EXTRA_METADATA_PREFIX: &str = "ember.ml.metadata.";

/// The metadata entries that are not extra.
const STANDARD_METADATA: [&str; 6] = [
    "class",
    "timestamp",
    "sparkVersion",
    "uid",
    "paramMap",
    "defaultParamMap",
];

/// An operator read back from disk.
pub struct Saved {
    pub class: String,
    pub uid: String,
    pub params: BTreeMap<String, MlValue>,
    pub data: Option<RecordBatch>,
}

fn local(path: &str) -> PathBuf {
    PathBuf::from(path.strip_prefix("file://").unwrap_or(path))
}

pub fn save(
    path: &str,
    overwrite: bool,
    class: &str,
    uid: &str,
    params: &Params,
    data: Option<RecordBatch>,
) -> MlResult<()> {
    let target = local(path);
    if target.exists() && !overwrite {
        return Err(MlError::PathExists(path.to_string()));
    }
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_error(parent))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "model".into());
    let staging = parent.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let result = write_into(&staging, class, uid, params, data);
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    if target.exists() {
        fs::remove_dir_all(&target).map_err(io_error(&target))?;
    }
    fs::rename(&staging, &target).map_err(io_error(&target))?;
    Ok(())
}

fn write_into(
    dir: &Path,
    class: &str,
    uid: &str,
    params: &Params,
    data: Option<RecordBatch>,
) -> MlResult<()> {
    let metadata_dir = dir.join("metadata");
    fs::create_dir_all(&metadata_dir).map_err(io_error(&metadata_dir))?;
    let to_json = |values: &BTreeMap<String, MlValue>| {
        Value::Object(
            values
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect::<Map<String, Value>>(),
        )
    };
    let mut metadata = json!({
        "class": class,
        "timestamp": chrono::Utc::now().timestamp_millis(),
        "sparkVersion": SPARK_VERSION,
        "uid": uid,
        "paramMap": to_json(params.set_values()),
        "defaultParamMap": to_json(&saved_defaults(uid, params)),
    });
    let data = match data {
        Some(batch) => {
            let mut schema = batch.schema().as_ref().clone();
            for (key, value) in std::mem::take(&mut schema.metadata) {
                match key.strip_prefix(EXTRA_METADATA_PREFIX) {
                    Some(name) => {
                        metadata[name] =
                            serde_json::from_str(&value).unwrap_or(Value::String(value));
                    }
                    None => {
                        schema.metadata.insert(key, value);
                    }
                }
            }
            Some(RecordBatch::try_new(
                Arc::new(schema),
                batch.columns().to_vec(),
            )?)
        }
        None => None,
    };
    let file = metadata_dir.join("part-00000");
    fs::write(&file, format!("{metadata}\n")).map_err(io_error(&file))?;
    let success = metadata_dir.join("_SUCCESS");
    fs::write(&success, "").map_err(io_error(&success))?;
    if let Some(batch) = data {
        let data_dir = dir.join("data");
        fs::create_dir_all(&data_dir).map_err(io_error(&data_dir))?;
        let file_path = data_dir.join("part-00000.parquet");
        let file = fs::File::create(&file_path).map_err(io_error(&file_path))?;
        // Spark reads vectors and matrices back as its UDTs only through this footer entry.
        let schema_json = crate::spark_schema::schema_json(&batch.schema());
        let properties = datafusion::parquet::file::properties::WriterProperties::builder()
            .set_key_value_metadata(Some(vec![
                datafusion::parquet::file::metadata::KeyValue::new(
                    crate::spark_schema::ROW_METADATA_KEY.to_string(),
                    schema_json,
                ),
            ]))
            .build();
        let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties))?;
        writer.write(&batch)?;
        writer.close()?;
    }
    Ok(())
}

/// Defaults as Spark saves them: an output column defaults to `<uid>__output`, and params
/// without a default are left out.
fn saved_defaults(uid: &str, params: &Params) -> BTreeMap<String, MlValue> {
    params
        .default_values()
        .iter()
        .filter_map(|(name, value)| match value {
            MlValue::Null if name == "outputCol" => {
                Some((name.clone(), MlValue::String(format!("{uid}__output"))))
            }
            MlValue::Null => None,
            other => Some((name.clone(), other.clone())),
        })
        .collect()
}

pub fn load(path: &str) -> MlResult<Saved> {
    let dir = local(path);
    let metadata_dir = dir.join("metadata");
    if !metadata_dir.is_dir() {
        return Err(MlError::PathNotFound(metadata_dir.display().to_string()));
    }
    let mut text = String::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(&metadata_dir)
        .map_err(io_error(&metadata_dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("part-"))
        })
        .collect();
    entries.sort();
    for entry in entries {
        text.push_str(&fs::read_to_string(&entry).map_err(io_error(&entry))?);
    }
    let metadata: Value = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| MlError::IllegalArgument(format!("no ML metadata found in {path}")))?;
    let field = |name: &str| {
        metadata
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let params = metadata
        .get("paramMap")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), MlValue::from_json(v)))
                .collect()
        })
        .unwrap_or_default();
    let extra: std::collections::HashMap<String, String> = metadata
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !STANDARD_METADATA.contains(&k.as_str()))
        .map(|(k, v)| (format!("{EXTRA_METADATA_PREFIX}{k}"), v.to_string()))
        .collect();
    let data = match read_data(&dir.join("data"))? {
        Some(batch) if !extra.is_empty() => {
            let mut schema = batch.schema().as_ref().clone();
            schema.metadata.extend(extra);
            Some(batch.with_schema(Arc::new(schema))?)
        }
        other => other,
    };
    Ok(Saved {
        class: field("class"),
        uid: field("uid"),
        params,
        data,
    })
}

fn read_data(dir: &Path) -> MlResult<Option<RecordBatch>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io_error(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    let mut batches = Vec::new();
    let mut schema = None;
    for path in files {
        let file = fs::File::open(&path).map_err(io_error(&path))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
        for batch in reader {
            let batch = batch?;
            schema.get_or_insert_with(|| batch.schema());
            batches.push(batch);
        }
    }
    match schema {
        Some(schema) => Ok(Some(datafusion::arrow::compute::concat_batches(
            &schema, &batches,
        )?)),
        None => Ok(None),
    }
}

/// An extra metadata entry the saved model carries (`numFeatures`), as JSON text.
pub fn extra_text(data: &RecordBatch, name: &str) -> Option<String> {
    data.schema()
        .metadata()
        .get(&format!("{EXTRA_METADATA_PREFIX}{name}"))
        .cloned()
}

pub fn extra_number(data: &RecordBatch, name: &str) -> Option<usize> {
    extra_text(data, name).and_then(|v| v.parse().ok())
}

/// `batch` carrying `extra` numbers for the saved metadata.
pub fn with_extra(batch: RecordBatch, extra: &[(&str, String)]) -> MlResult<RecordBatch> {
    let mut schema = batch.schema().as_ref().clone();
    for (name, value) in extra {
        schema
            .metadata
            .insert(format!("{EXTRA_METADATA_PREFIX}{name}"), value.clone());
    }
    Ok(batch.with_schema(Arc::new(schema))?)
}
