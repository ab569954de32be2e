//! Sessions by (user, session id): each has its own config, temp views and context.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::catalog::MemorySchemaProvider;
use ember_exec::{GlobalViews, Session, SharedMemory};

use crate::error::ConnectResult;

#[derive(Default)]
pub struct SessionManager {
    sessions: Mutex<HashMap<(String, String), Arc<Session>>>,
    global_views: GlobalViews,
    memory: SharedMemory,
}

impl SessionManager {
    pub fn new(memory: SharedMemory) -> Self {
        SessionManager {
            sessions: Mutex::default(),
            global_views: Arc::new(MemorySchemaProvider::new()),
            memory,
        }
    }

    pub fn get_or_create(&self, user_id: &str, session_id: &str) -> ConnectResult<Arc<Session>> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let key = (user_id.to_string(), session_id.to_string());
        if let Some(session) = sessions.get(&key) {
            return Ok(session.clone());
        }
        let session = Arc::new(Session::new(
            session_id.to_string(),
            &self.global_views,
            &self.memory,
        )?);
        sessions.insert(key, session.clone());
        Ok(session)
    }

    pub fn release(&self, user_id: &str, session_id: &str) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.remove(&(user_id.to_string(), session_id.to_string()));
    }
}
