//! What each streaming source gained since the last micro-batch.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use datafusion::arrow::array::{Int64Array, RecordBatch, TimestampMicrosecondArray};
use ember_resolve::{
    rate_schema, ResolveError, ResolveResult, StreamData, StreamInput, StreamSource,
};

/// How far a query has read each of its sources; kept across micro-batches.
#[derive(Default)]
pub(crate) struct SourceOffsets {
    offsets: Mutex<HashMap<String, Offset>>,
}

enum Offset {
    Rate {
        started: Instant,
        started_micros: i64,
        next_value: i64,
    },
    Files {
        seen: HashSet<String>,
    },
}

fn key(source: &StreamSource) -> String {
    format!("{}|{:?}|{:?}", source.format, source.paths, source.options)
}

/// The input of one micro-batch: each source is read once, then the same rows are given to
/// every resolution of the batch's plan.
pub(crate) struct BatchInput {
    offsets: Arc<SourceOffsets>,
    /// `complete` mode: everything the source has produced, not only what is new.
    cumulative: bool,
    read: Mutex<HashMap<String, (StreamData, usize)>>,
}

impl BatchInput {
    pub fn new(offsets: Arc<SourceOffsets>, cumulative: bool) -> Self {
        BatchInput {
            offsets,
            cumulative,
            read: Mutex::default(),
        }
    }

    /// New rows (or new files) this batch read from its sources.
    pub fn new_input(&self) -> usize {
        self.read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(|(_, new)| *new)
            .sum()
    }

    /// Rows read from sources that make their own rows.
    pub fn input_rows(&self) -> usize {
        self.read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(|(data, new)| match data {
                StreamData::Batches(batches) => batches.iter().map(|b| b.num_rows()).sum(),
                StreamData::Files(_) => *new,
            })
            .sum()
    }
}

impl StreamInput for BatchInput {
    fn data(&self, source: &StreamSource) -> ResolveResult<StreamData> {
        let key = key(source);
        let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((data, _)) = read.get(&key) {
            return Ok(data.clone());
        }
        let mut offsets = self
            .offsets
            .offsets
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (data, new) = match source.format.as_str() {
            "rate" => {
                let offset = offsets.entry(key.clone()).or_insert_with(|| Offset::Rate {
                    started: Instant::now(),
                    started_micros: SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map(|d| d.as_micros() as i64)
                        .unwrap_or(0),
                    next_value: 0,
                });
                rate_rows(offset, source, self.cumulative)?
            }
            _ => {
                let offset = offsets.entry(key.clone()).or_insert_with(|| Offset::Files {
                    seen: HashSet::new(),
                });
                new_files(offset, source, self.cumulative)?
            }
        };
        read.insert(key, (data.clone(), new));
        Ok(data)
    }
}

fn option<'a>(source: &'a StreamSource, key: &str) -> Option<&'a str> {
    source
        .options
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// The `rate` source: `rowsPerSecond` rows a second, `value` counting from 0 and
/// `timestamp` spaced evenly from the query's start.
fn rate_rows(
    offset: &mut Offset,
    source: &StreamSource,
    cumulative: bool,
) -> ResolveResult<(StreamData, usize)> {
    let Offset::Rate {
        started,
        started_micros,
        next_value,
    } = offset
    else {
        return Err(ResolveError::InvalidArgument(
            "a source changed its kind".into(),
        ));
    };
    let per_second: i64 = match option(source, "rowsPerSecond") {
        Some(text) => text.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            ResolveError::InvalidArgument(format!(
                "Invalid value '{text}'. The option 'rowsPerSecond' must be positive"
            ))
        })?,
        None => 1,
    };
    let elapsed = started.elapsed().as_micros() as i64;
    let end = elapsed.saturating_mul(per_second) / 1_000_000;
    let first = if cumulative { 0 } else { *next_value };
    let values: Vec<i64> = (first..end).collect();
    let new = (end - *next_value).max(0) as usize;
    *next_value = end.max(*next_value);
    let timestamps: Vec<i64> = values
        .iter()
        .map(|v| *started_micros + v * 1_000_000 / per_second)
        .collect();
    let batch = RecordBatch::try_new(
        rate_schema(),
        vec![
            Arc::new(TimestampMicrosecondArray::from(timestamps).with_timezone("UTC")),
            Arc::new(Int64Array::from(values)),
        ],
    )?;
    Ok((StreamData::Batches(vec![batch]), new))
}

/// A file source: the files that appeared in its directories since the last batch, oldest
/// name first.
fn new_files(
    offset: &mut Offset,
    source: &StreamSource,
    cumulative: bool,
) -> ResolveResult<(StreamData, usize)> {
    let Offset::Files { seen } = offset else {
        return Err(ResolveError::InvalidArgument(
            "a source changed its kind".into(),
        ));
    };
    let mut listed = Vec::new();
    for path in &source.paths {
        let local = path.strip_prefix("file://").unwrap_or(path);
        let root = std::path::Path::new(local);
        if root.is_file() {
            listed.push(local.to_string());
            continue;
        }
        let Ok(entries) = std::fs::read_dir(root) else {
            return Err(ResolveError::PathNotFound(format!("file:{local}")));
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with(['_', '.']) || !entry.path().is_file() {
                continue;
            }
            listed.push(entry.path().to_string_lossy().to_string());
        }
    }
    listed.sort();
    let fresh: Vec<String> = listed
        .iter()
        .filter(|f| !seen.contains(*f))
        .cloned()
        .collect();
    let new = fresh.len();
    seen.extend(fresh.iter().cloned());
    let files = if cumulative {
        let mut all: Vec<String> = seen.iter().cloned().collect();
        all.sort();
        all
    } else {
        fresh
    };
    Ok((StreamData::Files(files), new))
}
