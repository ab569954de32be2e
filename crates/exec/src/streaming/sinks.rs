//! Where a streaming query's micro-batches go.

use std::sync::{Arc, Mutex};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::datasource::MemTable;
use ember_spec::{Plan, Relation, SaveMode, WriteOperation};

use super::{OutputMode, StreamStart};
use crate::{ExecError, ExecResult, Session};

pub(crate) enum Sink {
    /// A temp view named by `queryName` holding the rows written so far.
    Memory {
        name: String,
        rows: Mutex<Vec<RecordBatch>>,
    },
    /// Each batch printed to the server's standard output.
    Console {
        num_rows: usize,
        truncate: bool,
    },
    Noop,
    /// Files appended under a path, or rows appended to a catalog table.
    Write(Box<WriteOperation>),
}

impl Sink {
    pub fn for_start(start: &StreamStart) -> ExecResult<Self> {
        let option = |key: &str| {
            start
                .options
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.clone())
        };
        let format = start.format.to_ascii_lowercase();
        Ok(match format.as_str() {
            "memory" => Sink::Memory {
                name: start.name.clone().ok_or_else(|| {
                    ExecError::Analysis(
                        "[STREAMING_QUERY_NAME_REQUIRED] queryName must be specified for memory sink.".into(),
                    )
                })?,
                rows: Mutex::default(),
            },
            "console" => Sink::Console {
                num_rows: option("numRows").and_then(|n| n.parse().ok()).unwrap_or(20),
                truncate: option("truncate").is_none_or(|t| !t.eq_ignore_ascii_case("false")),
            },
            "noop" => Sink::Noop,
            "foreach" | "foreachbatch" => {
                return Err(ExecError::Unsupported(
                    "foreach and foreachBatch streaming sinks".into(),
                ))
            }
            _ => {
                let path = start.path.clone().or_else(|| option("path"));
                if path.is_none() && start.table.is_none() {
                    return Err(ExecError::Analysis(
                        "[STREAMING_SINK_PATH_REQUIRED] 'path' is not specified for the file sink.".into(),
                    ));
                }
                Sink::Write(Box::new(WriteOperation {
                    input: Plan::new(Relation::LocalRelation {
                        arrow_ipc: None,
                        schema: None,
                    }),
                    format: if start.table.is_some() && format.is_empty() {
                        "parquet".into()
                    } else {
                        format
                    },
                    path,
                    table: start
                        .table
                        .as_ref()
                        .map(|t| t.split('.').map(str::to_string).collect()),
                    insert_into: false,
                    mode: SaveMode::Append,
                    partition_by: start.partition_by.clone(),
                    options: start.options.clone(),
                    partition_values: Vec::new(),
                    overwrite_written_partitions: false,
                }))
            }
        })
    }

    /// Before the first batch: a memory sink's table exists, empty, from the start.
    pub fn prepare(&self, session: &Session, schema: SchemaRef) -> ExecResult<()> {
        if let Sink::Memory { name, .. } = self {
            register_memory_table(session, name, schema, Vec::new())?;
        }
        Ok(())
    }

    pub fn description(&self) -> String {
        match self {
            Sink::Memory { name, .. } => format!("MemorySink[{name}]"),
            Sink::Console { .. } => "ConsoleSink".into(),
            Sink::Noop => "NoopSink".into(),
            Sink::Write(op) => format!(
                "FileSink[{}]",
                op.path
                    .clone()
                    .or_else(|| op.table.as_ref().map(|t| t.join(".")))
                    .unwrap_or_default()
            ),
        }
    }

    pub async fn write(
        &self,
        session: &Session,
        batch_id: i64,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
        mode: OutputMode,
    ) -> ExecResult<()> {
        match self {
            Sink::Memory { name, rows } => {
                let all = {
                    let mut rows = rows.lock().unwrap_or_else(|e| e.into_inner());
                    if mode == OutputMode::Complete {
                        rows.clear();
                    }
                    rows.extend(batches);
                    rows.clone()
                };
                register_memory_table(session, name, schema, all)?;
            }
            Sink::Console { num_rows, truncate } => {
                let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
                let table = ember_resolve::format_batches_as_show_string(
                    &names,
                    &batches,
                    ember_resolve::ShowOptions {
                        num_rows: *num_rows,
                        truncate: if *truncate { 20 } else { 0 },
                        vertical: false,
                    },
                );
                let rule = "-".repeat(43);
                println!("{rule}\nBatch: {batch_id}\n{rule}\n{table}");
            }
            Sink::Noop => {}
            Sink::Write(template) => {
                if batches.iter().all(|b| b.num_rows() == 0) {
                    return Ok(());
                }
                let mut operation = template.as_ref().clone();
                operation.input = Plan::new(Relation::LocalRelation {
                    arrow_ipc: Some(ipc_bytes(&schema, &batches)?),
                    schema: None,
                });
                Box::pin(session.write(operation)).await?;
            }
        }
        Ok(())
    }
}

/// Puts a memory sink's rows under its query name, replacing what was there.
fn register_memory_table(
    session: &Session,
    name: &str,
    schema: SchemaRef,
    rows: Vec<RecordBatch>,
) -> ExecResult<()> {
    let table = MemTable::try_new(schema, vec![rows])?;
    session.context().deregister_table(name)?;
    session.context().register_table(name, Arc::new(table))?;
    Ok(())
}

fn ipc_bytes(schema: &SchemaRef, batches: &[RecordBatch]) -> ExecResult<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut writer =
        datafusion::arrow::ipc::writer::StreamWriter::try_new(&mut bytes, schema.as_ref())?;
    for batch in batches {
        writer.write(batch)?;
    }
    writer.finish()?;
    drop(writer);
    Ok(bytes)
}
