//! Ending what no client will use again: sessions idle longer than the session timeout
//! (Spark's `spark.connect.session.manager.defaultSessionTimeout`, 60 minutes) and
//! reattachable operations no client stream has read for the detached timeout (Spark's
//! `spark.connect.execute.manager.detachedTimeout`, 60 seconds): their query stops and
//! their kept responses are freed.

use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::operations::ResponseBuffer;
use crate::service::{Buffers, Operations};
use crate::sessions::SessionManager;

#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub session_timeout: Duration,
    pub detached_timeout: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            session_timeout: Duration::from_secs(60 * 60),
            detached_timeout: Duration::from_secs(60),
        }
    }
}

impl Lifetimes {
    /// Often enough that nothing outlives its timeout by more than a quarter of it.
    fn check_every(&self) -> Duration {
        (self.session_timeout.min(self.detached_timeout) / 4)
            .clamp(Duration::from_millis(100), Duration::from_secs(10))
    }
}

/// The weak form of a shared map.
type WeakOf<T> = Weak<<T as std::ops::Deref>::Target>;

/// Runs until the service is gone.
pub(crate) fn start(
    lifetimes: Lifetimes,
    sessions: Weak<SessionManager>,
    operations: WeakOf<Operations>,
    buffers: WeakOf<Buffers>,
) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(lifetimes.check_every());
        loop {
            ticks.tick().await;
            let (Some(sessions), Some(operations), Some(buffers)) =
                (sessions.upgrade(), operations.upgrade(), buffers.upgrade())
            else {
                return;
            };
            end_detached_operations(&lifetimes, &operations, &buffers);
            let busy: HashSet<String> = operations
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .values()
                .map(|o| o.session_id.clone())
                .collect();
            for session in sessions.expire_idle(lifetimes.session_timeout, &busy) {
                tracing::info!("session {session} expired after being idle");
            }
        }
    });
}

fn end_detached_operations(lifetimes: &Lifetimes, operations: &Operations, buffers: &Buffers) {
    let detached: Vec<(String, Arc<ResponseBuffer>)> = {
        let mut buffers = buffers.lock().unwrap_or_else(|e| e.into_inner());
        let ids: Vec<String> = buffers
            .iter()
            .filter(|(_, b)| {
                b.detached_for()
                    .is_some_and(|d| d >= lifetimes.detached_timeout)
            })
            .map(|(id, _)| id.clone())
            .collect();
        ids.into_iter()
            .filter_map(|id| buffers.remove(&id).map(|b| (id, b)))
            .collect()
    };
    let operations = operations.lock().unwrap_or_else(|e| e.into_inner());
    for (id, buffer) in detached {
        buffer.release(None);
        if let Some(running) = operations.get(&id) {
            tracing::info!("operation {id} stopped: no client read it");
            running.abort.abort();
        }
    }
}

/// A timeout as Spark writes durations (`60s`, `30min`; a bare number is milliseconds).
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    ember_exec::parse_duration(text)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("'{text}' is not a positive duration such as 60s or 30min"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[tokio::test]
    async fn an_operation_no_stream_reads_is_released_after_the_timeout() {
        let buffers: Buffers = Arc::new(Mutex::new(HashMap::new()));
        let operations: Operations = Arc::default();
        let read = Arc::new(ResponseBuffer::default());
        let unread = Arc::new(ResponseBuffer::default());
        let held = |b: &Buffers| b.lock().unwrap_or_else(|e| e.into_inner()).clone();
        buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert("read".into(), read.clone());
        buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert("unread".into(), unread.clone());
        let _reading = read.clone().stream_from(0, false);
        drop(unread.clone().stream_from(0, false));
        let lifetimes = Lifetimes {
            session_timeout: Duration::from_secs(60),
            detached_timeout: Duration::ZERO,
        };
        end_detached_operations(&lifetimes, &operations, &buffers);
        let left: Vec<String> = held(&buffers).into_keys().collect();
        assert_eq!(left, vec!["read".to_string()]);
        // The released buffer refuses further responses, which stops its producer.
        assert!(!unread.push(Default::default()).await);
        assert!(read.push(Default::default()).await);
    }

    #[test]
    fn timeouts_read_as_spark_durations() {
        assert_eq!(parse_timeout("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_timeout("30min"), Ok(Duration::from_secs(1800)));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("soon").is_err());
    }
}
