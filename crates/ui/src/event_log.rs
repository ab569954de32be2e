//! The event log (`spark.eventLog.enabled`, `spark.eventLog.dir`): the server's events as JSON
//! lines, one file per server run, each query's end carrying its plan and metrics as they
//! were then; and reading such files back for `ember history`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use datafusion::physical_plan::ExecutionPlan;
use ember_exec::progress::QueryProgress;
use ember_exec::{EventListener, QueryOutcome, ServerEvent};
use serde_json::{json, Value};

use crate::state::UiState;

type Running = (Arc<dyn ExecutionPlan>, Arc<QueryProgress>);

/// Writes one server run's events to `<dir>/<application id>.jsonl`.
pub struct EventLog {
    file: Mutex<BufWriter<File>>,
    running: Mutex<HashMap<u64, Running>>,
}

fn millis(at: SystemTime) -> u128 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

fn from_millis(value: Option<&Value>) -> SystemTime {
    let millis = value.and_then(Value::as_u64).unwrap_or(0);
    UNIX_EPOCH + std::time::Duration::from_millis(millis)
}

impl EventLog {
    pub fn create(
        dir: &Path,
        application_id: &str,
        environment: &[(String, String)],
    ) -> std::io::Result<EventLog> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{application_id}.jsonl"));
        let log = EventLog {
            file: Mutex::new(BufWriter::new(File::create(&path)?)),
            running: Mutex::default(),
        };
        log.write(&json!({
            "Event": "ApplicationStart",
            "appId": application_id,
            "timestamp": millis(SystemTime::now()),
            "environment": environment,
        }));
        Ok(log)
    }

    fn write(&self, line: &Value) {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        // A line is flushed at once: the log of a server that dies is still readable.
        let written = writeln!(file, "{line}").and_then(|()| file.flush());
        if let Err(error) = written {
            tracing::warn!("event log: {error}");
        }
    }
}

impl EventListener for EventLog {
    fn on_event(&self, event: &ServerEvent) {
        let line = match event {
            ServerEvent::SessionStarted { session, user, at } => json!({
                "Event": "SessionStarted", "session": session, "user": user, "timestamp": millis(*at),
            }),
            ServerEvent::SessionEnded { session, at } => json!({
                "Event": "SessionEnded", "session": session, "timestamp": millis(*at),
            }),
            ServerEvent::QueryStarted {
                query,
                session,
                description,
                at,
            } => json!({
                "Event": "QueryStarted", "query": query, "session": session,
                "description": description, "timestamp": millis(*at),
            }),
            ServerEvent::QueryPlanned {
                query,
                plan,
                progress,
            } => {
                self.running
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(*query, (Arc::clone(plan), Arc::clone(progress)));
                return;
            }
            ServerEvent::QueryEnded {
                query,
                outcome,
                rows,
                error,
                at,
            } => {
                let running = self
                    .running
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(query);
                let details = crate::api::plan_details(
                    running.as_ref().map(|(plan, _)| plan),
                    running.as_ref().map(|(_, progress)| progress),
                );
                json!({
                    "Event": "QueryEnded", "query": query, "outcome": outcome_name(*outcome),
                    "rows": rows, "error": error, "timestamp": millis(*at), "details": details,
                })
            }
        };
        self.write(&line);
    }
}

fn outcome_name(outcome: QueryOutcome) -> &'static str {
    match outcome {
        QueryOutcome::Succeeded => "Succeeded",
        QueryOutcome::Failed => "Failed",
        QueryOutcome::Canceled => "Canceled",
    }
}

fn outcome_of(name: &str) -> QueryOutcome {
    match name {
        "Succeeded" => QueryOutcome::Succeeded,
        "Canceled" => QueryOutcome::Canceled,
        _ => QueryOutcome::Failed,
    }
}

/// The applications logged in `dir` (its `*.jsonl` files), oldest first; unreadable lines are
/// skipped, so a log cut short by a crash still shows what it holds.
pub fn load_history(dir: &Path) -> std::io::Result<Vec<Arc<UiState>>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut applications = Vec::new();
    for path in files {
        if let Some(state) = replay(&path)? {
            applications.push(Arc::new(state));
        }
    }
    Ok(applications)
}

fn replay(path: &Path) -> std::io::Result<Option<UiState>> {
    let mut state: Option<UiState> = None;
    for line in BufReader::new(File::open(path)?).lines() {
        let Ok(event) = serde_json::from_str::<Value>(&line?) else {
            continue;
        };
        let text = |key: &str| event.get(key).and_then(Value::as_str).unwrap_or_default();
        let at = from_millis(event.get("timestamp"));
        match (text("Event"), state.as_ref()) {
            ("ApplicationStart", _) => {
                let environment = event
                    .get("environment")
                    .and_then(Value::as_array)
                    .map(|pairs| {
                        pairs
                            .iter()
                            .filter_map(|pair| {
                                Some((
                                    pair.get(0)?.as_str()?.to_string(),
                                    pair.get(1)?.as_str()?.to_string(),
                                ))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                state = Some(UiState::started_at(
                    text("appId").to_string(),
                    environment,
                    at,
                ));
            }
            ("SessionStarted", Some(state)) => state.on_event(&ServerEvent::SessionStarted {
                session: text("session").to_string(),
                user: text("user").to_string(),
                at,
            }),
            ("SessionEnded", Some(state)) => state.on_event(&ServerEvent::SessionEnded {
                session: text("session").to_string(),
                at,
            }),
            ("QueryStarted", Some(state)) => state.on_event(&ServerEvent::QueryStarted {
                query: event.get("query").and_then(Value::as_u64).unwrap_or(0),
                session: text("session").to_string(),
                description: text("description").to_string(),
                at,
            }),
            ("QueryEnded", Some(state)) => state.record_end(
                event.get("query").and_then(Value::as_u64).unwrap_or(0),
                outcome_of(text("outcome")),
                event.get("rows").and_then(Value::as_u64).unwrap_or(0),
                event
                    .get("error")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                at,
                event.get("details").cloned().unwrap_or_else(|| json!({})),
            ),
            _ => {}
        }
    }
    Ok(state)
}
