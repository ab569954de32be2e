//! A running query's events: a short description of what it does, and its end (rows
//! returned, error or cancellation) told when its result stream ends or is dropped.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::SystemTime;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::Result;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use datafusion::logical_expr::LogicalPlan;
use futures::Stream;

use crate::events::{Events, QueryOutcome, ServerEvent};

/// Longest description kept for a DataFrame query.
const DESCRIPTION_CHARS: usize = 300;

/// A DataFrame query in words: the top of its logical plan.
pub(crate) fn describe(plan: &LogicalPlan) -> String {
    let text = plan.display_indent().to_string();
    let mut lines = text.lines().map(str::trim);
    let mut description: String = lines.next().unwrap_or_default().to_string();
    if let Some(second) = lines.next() {
        description.push_str(" ← ");
        description.push_str(second);
    }
    if description.chars().count() > DESCRIPTION_CHARS {
        description = description.chars().take(DESCRIPTION_CHARS).collect();
        description.push('…');
    }
    description
}

/// Run once when a query ends, however it ends.
pub(crate) type OnEnd = Box<dyn FnOnce() + Send>;

/// `stream`, telling `events` how the query ended and running `on_end` then.
pub(crate) fn observed(
    stream: SendableRecordBatchStream,
    query: u64,
    events: Events,
    on_end: OnEnd,
) -> SendableRecordBatchStream {
    Box::pin(Observed {
        stream,
        query,
        events,
        on_end: Some(on_end),
        rows: 0,
        ended: false,
    })
}

struct Observed {
    stream: SendableRecordBatchStream,
    query: u64,
    events: Events,
    on_end: Option<OnEnd>,
    rows: u64,
    ended: bool,
}

impl Observed {
    fn end(&mut self, outcome: QueryOutcome, error: Option<String>) {
        if let Some(on_end) = self.on_end.take() {
            on_end();
        }
        if !self.ended && self.events.is_heard() {
            self.ended = true;
            self.events.emit(ServerEvent::QueryEnded {
                query: self.query,
                outcome,
                rows: self.rows,
                error,
                at: SystemTime::now(),
            });
        }
    }
}

impl Stream for Observed {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.stream.as_mut().poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(batch))) => {
                self.rows += batch.num_rows() as u64;
            }
            Poll::Ready(Some(Err(error))) => {
                let message = error.to_string();
                self.end(QueryOutcome::Failed, Some(message));
            }
            Poll::Ready(None) => self.end(QueryOutcome::Succeeded, None),
            Poll::Pending => {}
        }
        polled
    }
}

impl RecordBatchStream for Observed {
    fn schema(&self) -> SchemaRef {
        self.stream.schema()
    }
}

impl Drop for Observed {
    fn drop(&mut self) {
        self.end(QueryOutcome::Canceled, None);
    }
}
