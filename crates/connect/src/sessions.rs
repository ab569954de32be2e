//! Sessions by (user, session id): each has its own config, temp views and context.
//! A session ends when its client releases it or after it was idle too long; its id is
//! then refused (Spark's `INVALID_HANDLE.SESSION_CLOSED`) instead of silently starting over.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use datafusion::catalog::MemorySchemaProvider;
use ember_exec::{Events, GlobalViews, ServerEvent, Session, SharedMemory};

use crate::error::{ConnectError, ConnectResult};

type SessionKey = (String, String);

/// How many closed session ids are remembered (the oldest are forgotten first).
const CLOSED_REMEMBERED: usize = 10_000;

struct Entry {
    session: Arc<Session>,
    last_used: Instant,
}

#[derive(Default)]
struct Closed {
    keys: HashSet<SessionKey>,
    order: VecDeque<SessionKey>,
}

impl Closed {
    fn insert(&mut self, key: SessionKey) {
        if self.keys.insert(key.clone()) {
            self.order.push_back(key);
        }
        while self.order.len() > CLOSED_REMEMBERED {
            if let Some(oldest) = self.order.pop_front() {
                self.keys.remove(&oldest);
            }
        }
    }
}

#[derive(Default)]
pub struct SessionManager {
    sessions: Mutex<HashMap<SessionKey, Entry>>,
    closed: Mutex<Closed>,
    global_views: GlobalViews,
    memory: SharedMemory,
    /// Told about sessions and their queries (the web UI).
    events: Events,
    /// Shown to every session as `spark.ui.url`.
    ui_url: Option<String>,
}

fn key(user_id: &str, session_id: &str) -> SessionKey {
    (user_id.to_string(), session_id.to_string())
}

impl SessionManager {
    pub fn new(memory: SharedMemory, events: Events, ui_url: Option<String>) -> Self {
        SessionManager {
            sessions: Mutex::default(),
            closed: Mutex::default(),
            global_views: Arc::new(MemorySchemaProvider::new()),
            memory,
            events,
            ui_url,
        }
    }

    fn ended(&self, session_id: &str) {
        self.events.emit(ServerEvent::SessionEnded {
            session: session_id.to_string(),
            at: SystemTime::now(),
        });
    }

    pub fn get_or_create(&self, user_id: &str, session_id: &str) -> ConnectResult<Arc<Session>> {
        let key = key(user_id, session_id);
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = sessions.get_mut(&key) {
            entry.last_used = Instant::now();
            return Ok(entry.session.clone());
        }
        if self
            .closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys
            .contains(&key)
        {
            return Err(ConnectError::InvalidHandle(format!(
                "[INVALID_HANDLE.SESSION_CLOSED] The handle {session_id} is invalid. Session was closed."
            )));
        }
        let session = Session::new(session_id.to_string(), &self.global_views, &self.memory)?
            .with_events(self.events.clone());
        if let Some(url) = &self.ui_url {
            session.with_config(|config| config.set("spark.ui.url", url));
        }
        let session = Arc::new(session);
        self.events.emit(ServerEvent::SessionStarted {
            session: session_id.to_string(),
            user: user_id.to_string(),
            at: SystemTime::now(),
        });
        sessions.insert(
            key,
            Entry {
                session: session.clone(),
                last_used: Instant::now(),
            },
        );
        Ok(session)
    }

    pub fn release(&self, user_id: &str, session_id: &str) {
        let key = key(user_id, session_id);
        let removed = self
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        if removed.is_some() {
            self.closed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key);
            self.ended(session_id);
        }
    }

    /// Ends the sessions unused for `timeout` that run no operation; returns their ids.
    pub fn expire_idle(&self, timeout: Duration, busy: &HashSet<String>) -> Vec<String> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let mut expired: Vec<SessionKey> = Vec::new();
        for (key, entry) in sessions.iter_mut() {
            if busy.contains(&key.1) {
                // Idle time counts from the end of the session's last query.
                entry.last_used = now;
            } else if now.duration_since(entry.last_used) >= timeout {
                expired.push(key.clone());
            }
        }
        let mut closed = self.closed.lock().unwrap_or_else(|e| e.into_inner());
        for key in &expired {
            sessions.remove(key);
            closed.insert(key.clone());
        }
        drop(closed);
        drop(sessions);
        let ids: Vec<String> = expired.into_iter().map(|(_, id)| id).collect();
        for id in &ids {
            self.ended(id);
        }
        ids
    }
}
