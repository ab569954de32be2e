//! What happens in the server, told to whoever listens (the web UI, an event log): sessions
//! starting and ending, queries starting, planned (with the physical plan, whose operators
//! keep their live metrics, and the stage counters) and ending. Listeners are called on the
//! query's own thread, so they only record.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use datafusion::physical_plan::ExecutionPlan;

use crate::progress::QueryProgress;

/// How a query ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryOutcome {
    Succeeded,
    Failed,
    /// Its results were dropped before the end: interrupted, released, client gone.
    Canceled,
}

#[derive(Clone)]
pub enum ServerEvent {
    SessionStarted {
        session: String,
        user: String,
        at: SystemTime,
    },
    SessionEnded {
        session: String,
        at: SystemTime,
    },
    QueryStarted {
        query: u64,
        session: String,
        description: String,
        at: SystemTime,
    },
    QueryPlanned {
        query: u64,
        plan: Arc<dyn ExecutionPlan>,
        progress: Arc<QueryProgress>,
    },
    QueryEnded {
        query: u64,
        outcome: QueryOutcome,
        rows: u64,
        error: Option<String>,
        at: SystemTime,
    },
}

pub trait EventListener: Send + Sync {
    fn on_event(&self, event: &ServerEvent);
}

/// The server's listeners, shared by its sessions.
#[derive(Clone, Default)]
pub struct Events {
    listeners: Arc<RwLock<Vec<Arc<dyn EventListener>>>>,
}

impl Events {
    pub fn subscribe(&self, listener: Arc<dyn EventListener>) {
        self.listeners
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(listener);
    }

    pub fn emit(&self, event: ServerEvent) {
        for listener in self
            .listeners
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            listener.on_event(&event);
        }
    }

    pub fn is_heard(&self) -> bool {
        !self
            .listeners
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }
}

/// Query ids, unique within the server process.
pub(crate) fn next_query_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
