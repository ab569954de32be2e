//! The routes: the page (one HTML file with its script, embedded in the binary) and the
//! JSON API. Spark's REST paths where they fit: `/api/v1/applications`,
//! `/api/v1/applications/{app}/sql[/{id}]`, `.../environment`; Ember's own
//! `.../sessions`.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use datafusion::physical_plan::ExecutionPlan;
use ember_exec::progress::QueryProgress;
use ember_exec::QueryOutcome;
use serde_json::{json, Value};

use crate::plan_json::{plan_json, plan_text};
use crate::state::{QueryRecord, UiState};

const PAGE: &str = include_str!("../assets/index.html");

/// The applications a UI shows: the live server, or the logged runs of `ember history`.
pub(crate) struct Applications(pub Vec<Arc<UiState>>);

impl Applications {
    fn find(&self, app: &str) -> Option<&Arc<UiState>> {
        self.0.iter().find(|state| state.application_id == app)
    }
}

pub(crate) fn router(served: Applications) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/v1/applications", get(applications))
        .route("/api/v1/applications/{app}/sql", get(queries))
        .route("/api/v1/applications/{app}/sql/{id}", get(query))
        .route("/api/v1/applications/{app}/sessions", get(sessions))
        .route("/api/v1/applications/{app}/environment", get(environment))
        .with_state(Arc::new(served))
}

async fn page() -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response()
}

/// Spark's time format in its REST API (`2024-05-01T10:00:00.000GMT`).
fn time(at: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(at)
        .format("%Y-%m-%dT%H:%M:%S%.3fGMT")
        .to_string()
}

fn millis_between(start: SystemTime, end: SystemTime) -> u128 {
    end.duration_since(start)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// A JSON answer (serialized here: the API needs no more of a web framework than routing).
fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn ok(value: &Value) -> Response {
    json_response(StatusCode::OK, value)
}

fn not_found(what: String) -> Response {
    json_response(StatusCode::NOT_FOUND, &json!({ "message": what }))
}

/// The application `app` names, or the answer that there is none.
fn application(applications: &Applications, app: &str) -> Result<Arc<UiState>, Box<Response>> {
    applications
        .find(app)
        .cloned()
        .ok_or_else(|| Box::new(not_found(format!("unknown app: {app}"))))
}

async fn applications(State(applications): State<Arc<Applications>>) -> Response {
    let list: Vec<Value> = applications
        .0
        .iter()
        .map(|state| {
            json!({
                "id": state.application_id,
                "name": "Ember",
                "attempts": [{
                    "startTime": time(state.started),
                    "duration": millis_between(state.started, SystemTime::now()),
                }],
            })
        })
        .collect();
    ok(&Value::Array(list))
}

/// Spark's options of the SQL list: `details`, `planDescription`, `offset`, `length`.
#[derive(Default)]
struct QueryOptions {
    details: Option<bool>,
    plan_description: Option<bool>,
    offset: Option<usize>,
    length: Option<usize>,
}

impl QueryOptions {
    fn parse(query: Option<&str>) -> Self {
        let mut options = QueryOptions::default();
        for pair in query.unwrap_or_default().split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "details" => options.details = value.parse().ok(),
                "planDescription" => options.plan_description = value.parse().ok(),
                "offset" => options.offset = value.parse().ok(),
                "length" => options.length = value.parse().ok(),
                _ => {}
            }
        }
        options
    }
}

fn status(record: &QueryRecord) -> &'static str {
    match record.outcome {
        None => "RUNNING",
        Some(QueryOutcome::Succeeded) => "COMPLETED",
        Some(QueryOutcome::Failed) => "FAILED",
        Some(QueryOutcome::Canceled) => "CANCELED",
    }
}

/// A query's plan (operators with metrics, edges, text) and stages, as they are now.
pub(crate) fn plan_details(
    plan: Option<&Arc<dyn ExecutionPlan>>,
    progress: Option<&Arc<QueryProgress>>,
) -> Value {
    let mut value = json!({});
    if let Some(progress) = progress {
        let (stages, running) = progress.report();
        value["runningTasks"] = json!(running);
        value["stages"] = stages
            .iter()
            .map(|s| {
                json!({
                    "stageId": s.stage_id,
                    "numTasks": s.num_tasks,
                    "numCompletedTasks": s.num_completed_tasks,
                    "inputBytes": s.input_bytes_read,
                    "done": s.done,
                })
            })
            .collect();
    }
    if let Some(plan) = plan {
        let (nodes, edges) = plan_json(plan);
        value["nodes"] = Value::Array(nodes);
        value["edges"] = Value::Array(edges);
        value["planDescription"] = json!(plan_text(plan));
    }
    value
}

fn query_json(record: &QueryRecord, details_wanted: bool, plan_description: bool) -> Value {
    let end = record.ended.unwrap_or_else(SystemTime::now);
    let mut value = json!({
        "id": record.id,
        "status": status(record),
        "description": record.description,
        "session": record.session,
        "submissionTime": time(record.submitted),
        "duration": millis_between(record.submitted, end),
        "rows": record.rows,
        "error": record.error,
    });
    let details = match &record.snapshot {
        Some(snapshot) => snapshot.clone(),
        None => plan_details(record.plan.as_ref(), record.progress.as_ref()),
    };
    if let (Value::Object(into), Value::Object(from)) = (&mut value, details) {
        for (key, item) in from {
            let wanted = match key.as_str() {
                "nodes" | "edges" => details_wanted,
                "planDescription" => plan_description,
                _ => true,
            };
            if wanted {
                into.insert(key, item);
            }
        }
    }
    value
}

async fn queries(
    State(applications): State<Arc<Applications>>,
    Path(app): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let state = match application(&applications, &app) {
        Ok(state) => state,
        Err(response) => return *response,
    };
    let options = QueryOptions::parse(query.as_deref());
    let details = options.details.unwrap_or(true);
    let plan_description = options.plan_description.unwrap_or(true);
    let list: Vec<Value> = state
        .queries()
        .iter()
        .skip(options.offset.unwrap_or(0))
        .take(options.length.unwrap_or(usize::MAX))
        .map(|q| query_json(q, details, plan_description))
        .collect();
    ok(&Value::Array(list))
}

async fn query(
    State(applications): State<Arc<Applications>>,
    Path((app, id)): Path<(String, u64)>,
) -> Response {
    let state = match application(&applications, &app) {
        Ok(state) => state,
        Err(response) => return *response,
    };
    match state.query(id) {
        Some(record) => ok(&query_json(&record, true, true)),
        None => not_found(format!("unknown query: {id}")),
    }
}

async fn sessions(
    State(applications): State<Arc<Applications>>,
    Path(app): Path<String>,
) -> Response {
    let state = match application(&applications, &app) {
        Ok(state) => state,
        Err(response) => return *response,
    };
    let list: Vec<Value> = state
        .sessions()
        .into_iter()
        .map(|(session, total, running)| {
            json!({
                "id": session.id,
                "user": session.user,
                "startTime": time(session.started),
                "endTime": session.ended.map(time),
                "queries": total,
                "runningQueries": running,
            })
        })
        .collect();
    ok(&Value::Array(list))
}

async fn environment(
    State(applications): State<Arc<Applications>>,
    Path(app): Path<String>,
) -> Response {
    let state = match application(&applications, &app) {
        Ok(state) => state,
        Err(response) => return *response,
    };
    let properties: Vec<Value> = state
        .environment()
        .iter()
        .map(|(key, value)| json!([key, value]))
        .collect();
    ok(&json!({
        "runtime": {
            "emberVersion": env!("CARGO_PKG_VERSION"),
        },
        "sparkProperties": properties,
    }))
}
