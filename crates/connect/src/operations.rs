//! Reattachable execution: an operation's responses are kept until the client releases
//! them, so a client whose stream broke can reattach and carry on after the last response
//! it saw (`ReattachExecute`), and tells the server what it no longer needs
//! (`ReleaseExecute`).
//!
//! The producer may run only a few responses ahead of what has been delivered, so a slow
//! client holds back the query instead of filling memory.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ember_proto::spark::connect::ExecutePlanResponse;
use futures::Stream;
use tokio::sync::Notify;
use tonic::Status;

use crate::error::status_from_message;

/// How far production may run ahead of delivery, in responses.
const AHEAD: usize = 16;

/// A producer that sees no delivery for this long gives up: its client is gone.
const STALLED_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

#[derive(Default)]
struct Buffer {
    /// Responses not yet released; the first has index `first_index`.
    kept: VecDeque<ExecutePlanResponse>,
    first_index: usize,
    /// One past the highest index handed to a client stream.
    delivered: usize,
    /// Set when the producer is done: Ok after the last response, or the error.
    finished: Option<Result<(), Status>>,
    released: bool,
    /// Client streams reading the responses now, and since when none has.
    attached: usize,
    detached_since: Option<Instant>,
}

impl Buffer {
    fn produced(&self) -> usize {
        self.first_index + self.kept.len()
    }
}

#[derive(Default)]
pub struct ResponseBuffer {
    state: Mutex<Buffer>,
    changed: Notify,
}

pub type BufferedStream = Pin<Box<dyn Stream<Item = Result<ExecutePlanResponse, Status>> + Send>>;

impl ResponseBuffer {
    fn lock(&self) -> std::sync::MutexGuard<'_, Buffer> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a response, waiting while the client is too far behind. False once released.
    pub async fn push(&self, response: ExecutePlanResponse) -> bool {
        loop {
            let notified = self.changed.notified();
            {
                let mut state = self.lock();
                if state.released {
                    return false;
                }
                if state.produced() < state.delivered + AHEAD {
                    state.kept.push_back(response);
                    drop(state);
                    self.changed.notify_waiters();
                    return true;
                }
            }
            if tokio::time::timeout(STALLED_AFTER, notified).await.is_err() {
                self.release(None);
                return false;
            }
        }
    }

    pub fn finish(&self, outcome: Result<(), Status>) {
        self.lock().finished.get_or_insert(outcome);
        self.changed.notify_waiters();
    }

    /// Forgets responses up to and including `response_id`, or everything when None.
    pub fn release(&self, response_id: Option<&str>) {
        let mut state = self.lock();
        match response_id {
            None => {
                state.released = true;
                state.first_index += state.kept.len();
                state.kept.clear();
            }
            Some(id) => {
                if let Some(position) = state.kept.iter().position(|r| r.response_id == id) {
                    state.kept.drain(..=position);
                    state.first_index += position + 1;
                }
            }
        }
        drop(state);
        self.changed.notify_waiters();
    }

    /// The index after `response_id`, or the first kept response when None.
    pub fn position_after(&self, response_id: Option<&str>) -> Result<usize, Status> {
        let state = self.lock();
        match response_id {
            None => Ok(state.first_index),
            Some(id) => state
                .kept
                .iter()
                .position(|r| r.response_id == id)
                .map(|p| state.first_index + p + 1)
                .ok_or_else(|| {
                    status_from_message(format!(
                        "[INVALID_CURSOR.POSITION_NOT_AVAILABLE] The cursor position id {id} is no longer available."
                    ))
                }),
        }
    }

    /// How long no client stream has read this operation; None while one does.
    pub fn detached_for(&self) -> Option<Duration> {
        let state = self.lock();
        match (state.attached, state.detached_since) {
            (0, Some(since)) => Some(since.elapsed()),
            _ => None,
        }
    }

    /// The responses from index `start` on, ending after the last one or with the error.
    /// With `release_on_drop`, a client that goes away releases the operation, which stops it.
    pub fn stream_from(self: Arc<Self>, start: usize, release_on_drop: bool) -> BufferedStream {
        self.lock().attached += 1;
        let guard = Attachment {
            buffer: self.clone(),
            release_on_drop,
        };
        Box::pin(futures::stream::unfold(
            (self, start, false, guard),
            |(buffer, index, ended, guard)| async move {
                if ended {
                    return None;
                }
                loop {
                    let notified = buffer.changed.notified();
                    {
                        let mut state = buffer.lock();
                        if index < state.first_index {
                            let status = status_from_message(
                                "[INVALID_CURSOR.POSITION_NOT_AVAILABLE] The responses were released.".into(),
                            );
                            return Some((Err(status), (buffer.clone(), index, true, guard)));
                        }
                        if index < state.produced() {
                            let response = state.kept[index - state.first_index].clone();
                            state.delivered = state.delivered.max(index + 1);
                            drop(state);
                            buffer.changed.notify_waiters();
                            return Some((Ok(response), (buffer.clone(), index + 1, false, guard)));
                        }
                        match &state.finished {
                            Some(Ok(())) => return None,
                            Some(Err(status)) => {
                                let status = status.clone();
                                return Some((Err(status), (buffer.clone(), index, true, guard)));
                            }
                            None => {}
                        }
                    }
                    notified.await;
                }
            },
        ))
    }
}

/// A client stream reading an operation; when dropped, the operation is detached (and
/// released, for an operation only that stream could read).
struct Attachment {
    buffer: Arc<ResponseBuffer>,
    release_on_drop: bool,
}

impl Drop for Attachment {
    fn drop(&mut self) {
        {
            let mut state = self.buffer.lock();
            state.attached = state.attached.saturating_sub(1);
            if state.attached == 0 {
                state.detached_since = Some(Instant::now());
            }
        }
        if self.release_on_drop {
            self.buffer.release(None);
        }
    }
}
