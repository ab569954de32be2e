//! A running streaming query, and the session's list of them (`spark.streams`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use futures::StreamExt;
use tokio::sync::watch;

use super::sinks::Sink;
use super::sources::{BatchInput, SourceOffsets};
use super::{OutputMode, StreamStart, Trigger};
use crate::{ExecError, ExecResult, Session};

/// How long a query waits before looking again when its sources had nothing new.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// Progress reports a query keeps (`recentProgress`).
const KEPT_PROGRESS: usize = 100;

pub struct StreamingQuery {
    pub id: String,
    pub run_id: String,
    pub name: Option<String>,
    /// The query as the client built it, for `explain`.
    pub plan: ember_spec::Plan,
    state: Mutex<QueryState>,
    stop: watch::Sender<bool>,
    terminated: watch::Sender<bool>,
}

#[derive(Default)]
struct QueryState {
    error: Option<String>,
    progress: Vec<String>,
    /// Whether the last look at the sources found new input.
    data_available: bool,
    /// Batches run since the sources last had nothing new (`processAllAvailable`).
    idle_rounds: u64,
}

impl StreamingQuery {
    pub fn is_active(&self) -> bool {
        !*self.terminated.borrow()
    }

    pub fn status(&self) -> (String, bool, bool) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let message = if !self.is_active() {
            "Stopped"
        } else if state.data_available {
            "Processing new data"
        } else {
            "Waiting for data to arrive"
        };
        (message.to_string(), state.data_available, self.is_active())
    }

    pub fn recent_progress(&self) -> Vec<String> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .progress
            .clone()
    }

    pub fn error(&self) -> Option<String> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .error
            .clone()
    }

    /// Asks the query to stop and waits until its current batch is done.
    pub async fn stop(&self) {
        self.stop.send_replace(true);
        self.await_termination(None).await;
    }

    /// Waits for the query to end; false when `timeout` passed first.
    pub async fn await_termination(&self, timeout: Option<Duration>) -> bool {
        let mut terminated = self.terminated.subscribe();
        let wait = terminated.wait_for(|done| *done);
        match timeout {
            Some(timeout) => tokio::time::timeout(timeout, wait).await.is_ok(),
            None => wait.await.is_ok(),
        }
    }

    /// Waits until the sources have nothing the query has not processed.
    pub async fn process_all_available(&self) {
        loop {
            {
                let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if state.idle_rounds > 0 || !self.is_active() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn update(&self, change: impl FnOnce(&mut QueryState)) {
        change(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// The streaming queries a session started.
#[derive(Default)]
pub struct StreamingQueries {
    queries: Mutex<Vec<Arc<StreamingQuery>>>,
}

impl StreamingQueries {
    pub fn active(&self) -> Vec<Arc<StreamingQuery>> {
        self.queries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|q| q.is_active())
            .cloned()
            .collect()
    }

    pub fn get(&self, id: &str) -> Option<Arc<StreamingQuery>> {
        self.queries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|q| q.id == id)
            .cloned()
    }

    /// Forgets queries that ended (`resetTerminated`).
    pub fn reset_terminated(&self) {
        self.queries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|q| q.is_active());
    }

    /// Waits until any query ends; false when `timeout` passed first.
    pub async fn await_any_termination(&self, timeout: Option<Duration>) -> bool {
        let started = Instant::now();
        loop {
            let queries = self
                .queries
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            if queries.iter().any(|q| !q.is_active()) {
                return true;
            }
            if timeout.is_some_and(|t| started.elapsed() >= t) {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn add(&self, query: Arc<StreamingQuery>) -> ExecResult<()> {
        let mut queries = self.queries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(name) = &query.name {
            if queries
                .iter()
                .any(|q| q.is_active() && q.name.as_ref() == Some(name))
            {
                return Err(ExecError::Analysis(format!(
                    "[STREAM_FAILED] Cannot start query with name {name} as a query with that name is already active in this SparkSession."
                )));
            }
        }
        queries.push(query);
        Ok(())
    }
}

impl Session {
    /// Starts a streaming query on its own task; it runs until stopped or until it fails.
    pub async fn start_stream(
        self: &Arc<Self>,
        start: StreamStart,
    ) -> ExecResult<Arc<StreamingQuery>> {
        let sink = Sink::for_start(&start)?;
        // Analysis errors (unknown columns, a file source without a schema) belong to start().
        let analyzed = self.logical_plan(start.plan.clone()).await?;
        sink.prepare(
            self,
            std::sync::Arc::new(analyzed.schema().as_arrow().clone()),
        )?;
        let (stop, stop_signal) = watch::channel(false);
        let (terminated, _) = watch::channel(false);
        let query = Arc::new(StreamingQuery {
            id: uuid::Uuid::new_v4().to_string(),
            run_id: uuid::Uuid::new_v4().to_string(),
            name: start.name.clone(),
            plan: start.plan.clone(),
            state: Mutex::default(),
            stop,
            terminated,
        });
        self.streams.add(query.clone())?;
        let session = self.clone();
        let running = query.clone();
        tokio::spawn(async move {
            let outcome = run(&session, &running, &start, &sink, stop_signal).await;
            if let Err(error) = outcome {
                running.update(|s| s.error = Some(error.to_string()));
            }
            running.terminated.send_replace(true);
        });
        Ok(query)
    }
}

async fn run(
    session: &Session,
    query: &StreamingQuery,
    start: &StreamStart,
    sink: &Sink,
    stop: watch::Receiver<bool>,
) -> ExecResult<()> {
    let offsets = Arc::new(SourceOffsets::default());
    let cumulative = start.output_mode == OutputMode::Complete;
    let mut batch_id = 0i64;
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let began = Instant::now();
        let input = Arc::new(BatchInput::new(offsets.clone(), cumulative));
        let logical = session
            .logical_plan_for_stream(start.plan.clone(), input.clone())
            .await?;
        let has_new = input.new_input() > 0;
        query.update(|s| s.data_available = has_new);
        if has_new {
            let (schema, mut stream) = session.execute_logical(logical).await?;
            let mut batches: Vec<RecordBatch> = Vec::new();
            while let Some(batch) = stream.next().await {
                batches.push(batch?);
            }
            let output_rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            sink.write(session, batch_id, schema, batches, start.output_mode)
                .await?;
            let progress = progress_json(query, batch_id, &input, output_rows, sink, began);
            query.update(|s| {
                s.progress.push(progress);
                if s.progress.len() > KEPT_PROGRESS {
                    s.progress.remove(0);
                }
                s.idle_rounds = 0;
            });
            batch_id += 1;
        } else {
            query.update(|s| s.idle_rounds += 1);
        }
        let wait = match start.trigger {
            Trigger::AvailableNow if !has_new => return Ok(()),
            Trigger::AvailableNow => Duration::ZERO,
            Trigger::ProcessingTime(interval) if !interval.is_zero() => {
                interval.saturating_sub(began.elapsed())
            }
            Trigger::ProcessingTime(_) if has_new => Duration::ZERO,
            Trigger::ProcessingTime(_) => IDLE_POLL,
        };
        let mut stop = stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|s| *s) => return Ok(()),
        }
    }
}

fn progress_json(
    query: &StreamingQuery,
    batch_id: i64,
    input: &BatchInput,
    output_rows: usize,
    sink: &Sink,
    began: Instant,
) -> String {
    let millis = began.elapsed().as_millis() as u64;
    let rows = input.input_rows();
    let per_second = if millis == 0 {
        0.0
    } else {
        rows as f64 * 1000.0 / millis as f64
    };
    serde_json::json!({
        "id": query.id,
        "runId": query.run_id,
        "name": query.name,
        "timestamp": chrono_now(),
        "batchId": batch_id,
        "batchDuration": millis,
        "numInputRows": rows,
        "inputRowsPerSecond": per_second,
        "processedRowsPerSecond": per_second,
        "durationMs": {"triggerExecution": millis},
        "eventTime": {},
        "stateOperators": [],
        "sources": [{
            "description": "streaming source",
            "startOffset": serde_json::Value::Null,
            "endOffset": serde_json::Value::Null,
            "latestOffset": serde_json::Value::Null,
            "numInputRows": rows,
            "inputRowsPerSecond": per_second,
            "processedRowsPerSecond": per_second,
        }],
        "sink": {"description": sink.description(), "numOutputRows": output_rows},
        "observedMetrics": {},
    })
    .to_string()
}

/// The current UTC time as Spark writes it in progress reports.
fn chrono_now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}
