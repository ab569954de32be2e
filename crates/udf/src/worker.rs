//! The pool of Python worker processes and the framing spoken with them (see `worker.py`).

use std::io::{BufReader, BufWriter, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;

use crate::{UdfError, UdfResult};

const WORKER_SCRIPT: &str = include_str!("worker.py");

/// The interpreter workers run on.
fn python() -> String {
    std::env::var("EMBER_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

struct Worker {
    child: Child,
    requests: BufWriter<ChildStdin>,
    answers: BufReader<ChildStdout>,
}

impl Worker {
    fn start(python: &str) -> UdfResult<Worker> {
        let failed = |reason: String| UdfError::Worker {
            python: python.to_string(),
            reason,
        };
        let mut child = Command::new(python)
            .args(["-u", "-c", WORKER_SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| failed(e.to_string()))?;
        let requests = child
            .stdin
            .take()
            .ok_or_else(|| failed("no stdin".into()))?;
        let answers = child
            .stdout
            .take()
            .ok_or_else(|| failed("no stdout".into()))?;
        Ok(Worker {
            child,
            requests: BufWriter::new(requests),
            answers: BufReader::new(answers),
        })
    }

    fn call(&mut self, request: &Request<'_>) -> std::io::Result<(u8, Vec<u8>)> {
        self.requests.write_all(&request.eval_type.to_le_bytes())?;
        for blob in [request.command, &request.output_schema, &request.arguments] {
            let size = u32::try_from(blob.len()).map_err(std::io::Error::other)?;
            self.requests.write_all(&size.to_le_bytes())?;
            self.requests.write_all(blob)?;
        }
        self.requests.flush()?;
        let mut header = [0u8; 5];
        self.answers.read_exact(&mut header)?;
        let size = u32::from_le_bytes([header[1], header[2], header[3], header[4]]) as usize;
        let mut payload = vec![0u8; size];
        self.answers.read_exact(&mut payload)?;
        Ok((header[0], payload))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Request<'a> {
    eval_type: u32,
    command: &'a [u8],
    output_schema: Vec<u8>,
    arguments: Vec<u8>,
}

/// Idle workers, reused across calls; each call borrows one (or starts one), so partitions
/// evaluated at once run in workers of their own.
#[derive(Default)]
struct Pool {
    idle: Mutex<Vec<Worker>>,
}

fn pool() -> &'static Arc<Pool> {
    static POOL: OnceLock<Arc<Pool>> = OnceLock::new();
    POOL.get_or_init(Arc::default)
}

fn ipc_bytes(schema: &Schema, batch: Option<&RecordBatch>) -> UdfResult<Vec<u8>> {
    let mut buffer = Vec::new();
    {
        let mut writer = StreamWriter::try_new(&mut buffer, schema)?;
        if let Some(batch) = batch {
            writer.write(batch)?;
        }
        writer.finish()?;
    }
    Ok(buffer)
}

/// Sends one request and reads the answer's batches (declared by `output`).
pub(crate) fn call(
    eval_type: u32,
    command: &[u8],
    input: &Schema,
    batches: &[RecordBatch],
    output: &Schema,
) -> UdfResult<Vec<RecordBatch>> {
    let mut arguments = Vec::new();
    {
        let mut writer = StreamWriter::try_new(&mut arguments, input)?;
        for batch in batches {
            writer.write(batch)?;
        }
        writer.finish()?;
    }
    let request = Request {
        eval_type,
        command,
        output_schema: ipc_bytes(output, None)?,
        arguments,
    };
    let python = python();
    let taken = pool().idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let mut worker = match taken {
        Some(worker) => worker,
        None => Worker::start(&python)?,
    };
    let (status, payload) = worker.call(&request).map_err(|e| UdfError::Worker {
        python: python.clone(),
        reason: format!("it exited unexpectedly ({e})"),
    })?;
    // Only a worker that answered goes back to the pool; one that died is dropped (killed).
    pool()
        .idle
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(worker);
    if status != 0 {
        return Err(UdfError::Python(
            String::from_utf8_lossy(&payload).into_owned(),
        ));
    }
    let reader = StreamReader::try_new(std::io::Cursor::new(payload), None)?;
    Ok(reader.collect::<Result<Vec<_>, _>>()?)
}

/// Runs the pickled function over `arguments`, returning one value per row as `output`.
pub(crate) fn evaluate(
    eval_type: u32,
    command: &[u8],
    arguments: &RecordBatch,
    output: &Field,
) -> UdfResult<ArrayRef> {
    let output_schema = Schema::new(vec![output.clone()]);
    let results = call(
        eval_type,
        command,
        arguments.schema().as_ref(),
        std::slice::from_ref(arguments),
        &output_schema,
    )?;
    match results.first() {
        Some(batch) if batch.num_columns() == 1 => Ok(batch.column(0).clone()),
        _ => Err(UdfError::Worker {
            python: python(),
            reason: "the worker answered without a result".into(),
        }),
    }
}
