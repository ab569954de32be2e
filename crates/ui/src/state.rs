//! What the UI knows: the sessions and queries it was told about, kept in memory (the most
//! recent queries only), and the environment it was started with.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use datafusion::physical_plan::ExecutionPlan;
use ember_exec::progress::QueryProgress;
use ember_exec::{EventListener, QueryOutcome, ServerEvent};

/// Finished queries beyond this many are forgotten, oldest first.
const QUERIES_KEPT: usize = 1000;

#[derive(Clone)]
pub(crate) struct QueryRecord {
    pub id: u64,
    pub session: String,
    pub description: String,
    pub submitted: SystemTime,
    pub ended: Option<SystemTime>,
    pub outcome: Option<QueryOutcome>,
    pub rows: u64,
    pub error: Option<String>,
    /// While the query runs: its plan and stage counters, read live.
    pub plan: Option<Arc<dyn ExecutionPlan>>,
    pub progress: Option<Arc<QueryProgress>>,
    /// Once it ended: what the plan and counters showed then (the plan itself is let go,
    /// with whatever data its operators held).
    pub snapshot: Option<serde_json::Value>,
}

#[derive(Clone)]
pub(crate) struct SessionRecord {
    pub id: String,
    pub user: String,
    pub started: SystemTime,
    pub ended: Option<SystemTime>,
}

#[derive(Default)]
struct Known {
    queries: BTreeMap<u64, QueryRecord>,
    sessions: BTreeMap<String, SessionRecord>,
}

pub struct UiState {
    pub(crate) application_id: String,
    pub(crate) started: SystemTime,
    /// Versions and server settings for the environment page.
    environment: Mutex<Vec<(String, String)>>,
    known: Mutex<Known>,
}

impl UiState {
    pub fn new(application_id: String, environment: Vec<(String, String)>) -> Self {
        UiState {
            application_id,
            started: SystemTime::now(),
            environment: Mutex::new(environment),
            known: Mutex::default(),
        }
    }

    /// An application read back from its event log.
    pub(crate) fn started_at(
        application_id: String,
        environment: Vec<(String, String)>,
        started: SystemTime,
    ) -> Self {
        let mut state = UiState::new(application_id, environment);
        state.started = started;
        state
    }

    /// A logged query's end, with the plan details the log kept.
    pub(crate) fn record_end(
        &self,
        query: u64,
        outcome: QueryOutcome,
        rows: u64,
        error: Option<String>,
        at: SystemTime,
        details: serde_json::Value,
    ) {
        if let Some(record) = self.known().queries.get_mut(&query) {
            record.outcome = Some(outcome);
            record.rows = rows;
            record.error = error;
            record.ended = Some(at);
            record.snapshot = Some(details);
        }
    }

    pub fn application_id(&self) -> &str {
        &self.application_id
    }

    pub fn set_environment(&self, environment: Vec<(String, String)>) {
        *self.environment.lock().unwrap_or_else(|e| e.into_inner()) = environment;
    }

    pub(crate) fn environment(&self) -> Vec<(String, String)> {
        self.environment
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn queries(&self) -> Vec<QueryRecord> {
        self.known().queries.values().rev().cloned().collect()
    }

    pub(crate) fn query(&self, id: u64) -> Option<QueryRecord> {
        self.known().queries.get(&id).cloned()
    }

    pub(crate) fn sessions(&self) -> Vec<(SessionRecord, usize, usize)> {
        let known = self.known();
        known
            .sessions
            .values()
            .map(|session| {
                let mine = known.queries.values().filter(|q| q.session == session.id);
                let (total, running) = mine.fold((0, 0), |(total, running), q| {
                    (total + 1, running + usize::from(q.outcome.is_none()))
                });
                (session.clone(), total, running)
            })
            .collect()
    }
}

impl EventListener for UiState {
    fn on_event(&self, event: &ServerEvent) {
        let mut known = self.known();
        match event {
            ServerEvent::SessionStarted { session, user, at } => {
                known.sessions.insert(
                    session.clone(),
                    SessionRecord {
                        id: session.clone(),
                        user: user.clone(),
                        started: *at,
                        ended: None,
                    },
                );
            }
            ServerEvent::SessionEnded { session, at } => {
                if let Some(record) = known.sessions.get_mut(session) {
                    record.ended = Some(*at);
                }
            }
            ServerEvent::QueryStarted {
                query,
                session,
                description,
                at,
            } => {
                known.queries.insert(
                    *query,
                    QueryRecord {
                        id: *query,
                        session: session.clone(),
                        description: description.clone(),
                        submitted: *at,
                        ended: None,
                        outcome: None,
                        rows: 0,
                        error: None,
                        plan: None,
                        progress: None,
                        snapshot: None,
                    },
                );
                forget_old_queries(&mut known.queries);
            }
            ServerEvent::QueryPlanned {
                query,
                plan,
                progress,
            } => {
                if let Some(record) = known.queries.get_mut(query) {
                    record.plan = Some(Arc::clone(plan));
                    record.progress = Some(Arc::clone(progress));
                }
            }
            ServerEvent::QueryEnded {
                query,
                outcome,
                rows,
                error,
                at,
            } => {
                if let Some(record) = known.queries.get_mut(query) {
                    record.outcome = Some(*outcome);
                    record.rows = *rows;
                    record.error = error.clone();
                    record.ended = Some(*at);
                    record.snapshot = Some(crate::api::plan_details(
                        record.plan.take().as_ref(),
                        record.progress.take().as_ref(),
                    ));
                }
            }
        }
    }
}

fn forget_old_queries(queries: &mut BTreeMap<u64, QueryRecord>) {
    while queries.len() > QUERIES_KEPT {
        let oldest_finished = queries
            .iter()
            .find(|(_, q)| q.outcome.is_some())
            .map(|(id, _)| *id);
        match oldest_finished {
            Some(id) => queries.remove(&id),
            None => break,
        };
    }
}
