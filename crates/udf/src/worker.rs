//! The pool of Python worker processes and the framing spoken with them (see `worker.py`).

use std::io::{BufReader, BufWriter, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;

use crate::interrupt::{off_the_runtime, Interrupt};
use crate::{UdfError, UdfResult};

const WORKER_SCRIPT: &str = include_str!("worker.py");

/// The interpreter workers run on.
fn python() -> String {
    std::env::var("EMBER_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

struct Worker {
    /// Shared with the watchdog, which kills the process when its query is interrupted.
    child: Arc<Mutex<Child>>,
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
            child: Arc::new(Mutex::new(child)),
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
        let mut child = lock(&self.child);
        let _ = child.kill();
        let _ = child.wait();
    }
}

struct Request<'a> {
    eval_type: u32,
    command: &'a [u8],
    output_schema: Vec<u8>,
    arguments: Vec<u8>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// At most this many workers run at once in the whole server (0: `EMBER_PYTHON_WORKERS`,
/// else one per core). Calls
/// beyond it wait for a worker to come free.
static WORKER_LIMIT: AtomicUsize = AtomicUsize::new(0);

/// Caps the Python workers running at once (`ember server --python-workers`).
pub fn set_worker_limit(workers: usize) {
    WORKER_LIMIT.store(workers, Ordering::Relaxed);
}

pub fn worker_limit() -> usize {
    match WORKER_LIMIT.load(Ordering::Relaxed) {
        0 => std::env::var("EMBER_PYTHON_WORKERS")
            .ok()
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        n => n,
    }
}

/// How long a waiting call sleeps before it looks at its query's interrupt again.
const INTERRUPT_CHECK: Duration = Duration::from_millis(50);

/// Idle workers, reused across calls, and how many calls hold one.
#[derive(Default)]
struct Pool {
    state: Mutex<PoolState>,
    freed: Condvar,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<Worker>,
    busy: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(Pool::default)
}

/// A call's right to one worker; gives the worker back (when it answered) and the slot.
struct Lease {
    worker: Option<Worker>,
}

impl Pool {
    /// Waits for a free slot, giving up when the query is interrupted.
    fn lease(&'static self, interrupt: &Interrupt) -> UdfResult<Lease> {
        let mut state = lock(&self.state);
        while state.busy >= worker_limit() {
            if interrupt.is_set() {
                return Err(UdfError::Interrupted);
            }
            state = self
                .freed
                .wait_timeout(state, INTERRUPT_CHECK)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        if interrupt.is_set() {
            return Err(UdfError::Interrupted);
        }
        state.busy += 1;
        Ok(Lease {
            worker: state.idle.pop(),
        })
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let pool = pool();
        let mut state = lock(&pool.state);
        state.busy = state.busy.saturating_sub(1);
        if let Some(worker) = self.worker.take() {
            state.idle.push(worker);
        }
        drop(state);
        pool.freed.notify_one();
    }
}

/// Workers busy for a query, killed by the watchdog when the query is interrupted.
type Watched = Vec<(u64, Arc<Mutex<Child>>, Interrupt)>;

fn watched() -> &'static Mutex<Watched> {
    static WATCHED: OnceLock<Mutex<Watched>> = OnceLock::new();
    WATCHED.get_or_init(|| {
        let spawned = std::thread::Builder::new()
            .name("ember-udf-watchdog".into())
            .spawn(|| loop {
                std::thread::sleep(INTERRUPT_CHECK);
                for (_, child, interrupt) in lock(watched()).iter() {
                    if interrupt.is_set() {
                        let _ = lock(child).kill();
                    }
                }
            });
        // Without the watchdog, interrupts still stop calls that wait for a worker.
        if let Err(error) = spawned {
            tracing::warn!("no watchdog for Python workers: {error}");
        }
        Mutex::new(Vec::new())
    })
}

/// Registers a running worker with the watchdog for as long as it lives.
struct Watch(u64);

impl Watch {
    fn start(child: &Arc<Mutex<Child>>, interrupt: &Interrupt) -> Watch {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        lock(watched()).push((id, Arc::clone(child), interrupt.clone()));
        Watch(id)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        lock(watched()).retain(|(id, _, _)| *id != self.0);
    }
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

/// Sends one request and reads the answer's batches (declared by `output`), waiting for a
/// free worker first; the runtime thread's other tasks move elsewhere meanwhile.
pub(crate) fn call(
    interrupt: &Interrupt,
    eval_type: u32,
    command: &[u8],
    input: &Schema,
    batches: &[RecordBatch],
    output: &Schema,
) -> UdfResult<Vec<RecordBatch>> {
    off_the_runtime(|| call_blocking(interrupt, eval_type, command, input, batches, output))
}

fn call_blocking(
    interrupt: &Interrupt,
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
    let mut lease = pool().lease(interrupt)?;
    let mut worker = match lease.worker.take() {
        Some(worker) => worker,
        None => Worker::start(&python)?,
    };
    let answer = {
        let _watch = Watch::start(&worker.child, interrupt);
        worker.call(&request)
    };
    let (status, payload) = match answer {
        Ok(answer) => answer,
        // Killed by the watchdog: the query is gone, and so is the worker.
        Err(_) if interrupt.is_set() => return Err(UdfError::Interrupted),
        Err(e) => {
            return Err(UdfError::Worker {
                python: python.clone(),
                reason: format!("it exited unexpectedly ({e})"),
            })
        }
    };
    // Only a worker that answered goes back to the pool; one that died is dropped (killed).
    lease.worker = Some(worker);
    drop(lease);
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
    interrupt: &Interrupt,
    eval_type: u32,
    command: &[u8],
    arguments: &RecordBatch,
    output: &Field,
) -> UdfResult<ArrayRef> {
    let output_schema = Schema::new(vec![output.clone()]);
    let results = call(
        interrupt,
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
