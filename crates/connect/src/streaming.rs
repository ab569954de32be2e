//! Streaming commands: `writeStream.start()`, a query's controls (`status`, `stop`,
//! `awaitTermination`, ...) and the session's `spark.streams`.

use std::sync::Arc;
use std::time::Duration;

use ember_exec::streaming::{OutputMode, StreamStart, StreamingQuery, Trigger};
use ember_exec::Session;
use ember_proto::spark::connect::execute_plan_response::ResponseType;
use ember_proto::spark::connect::streaming_query_command::Command as QueryCommand;
use ember_proto::spark::connect::streaming_query_command_result::{
    self as query_result, ResultType as QueryResult,
};
use ember_proto::spark::connect::streaming_query_manager_command::Command as ManagerCommand;
use ember_proto::spark::connect::streaming_query_manager_command_result::{
    self as manager_result, ResultType as ManagerResult,
};
use ember_proto::spark::connect::write_stream_operation_start::{
    SinkDestination, Trigger as ProtoTrigger,
};
use ember_proto::spark::connect::{
    StreamingQueryCommand, StreamingQueryCommandResult, StreamingQueryInstanceId,
    StreamingQueryManagerCommand, StreamingQueryManagerCommandResult, WriteStreamOperationStart,
    WriteStreamOperationStartResult,
};

use crate::convert::{plan_from_proto, required};
use crate::error::{ConnectError, ConnectResult};

fn instance_id(query: &StreamingQuery) -> StreamingQueryInstanceId {
    StreamingQueryInstanceId {
        id: query.id.clone(),
        run_id: query.run_id.clone(),
    }
}

pub async fn start(
    session: &Arc<Session>,
    start: &WriteStreamOperationStart,
) -> ConnectResult<ResponseType> {
    if start.foreach_writer.is_some() || start.foreach_batch.is_some() {
        return Err(ConnectError::Unsupported(
            "foreach and foreachBatch streaming sinks".into(),
        ));
    }
    let plan = plan_from_proto(required(start.input.as_ref(), "write_stream.input")?)?;
    let trigger = match &start.trigger {
        None => Trigger::ProcessingTime(Duration::ZERO),
        Some(ProtoTrigger::ProcessingTimeInterval(text)) => {
            Trigger::ProcessingTime(parse_interval(text)?)
        }
        Some(ProtoTrigger::AvailableNow(_)) | Some(ProtoTrigger::Once(_)) => Trigger::AvailableNow,
        Some(ProtoTrigger::ContinuousCheckpointInterval(_)) => {
            return Err(ConnectError::Unsupported("continuous triggers".into()))
        }
    };
    let (path, table) = match &start.sink_destination {
        Some(SinkDestination::Path(path)) => (Some(path.clone()), None),
        Some(SinkDestination::TableName(table)) => (None, Some(table.clone())),
        None => (None, None),
    };
    let mut options: Vec<(String, String)> = start
        .options
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    options.sort();
    let query = session
        .start_stream(StreamStart {
            plan,
            format: start.format.clone(),
            options,
            path,
            table,
            partition_by: start.partitioning_column_names.clone(),
            output_mode: OutputMode::parse(&start.output_mode)?,
            name: Some(start.query_name.clone()).filter(|n| !n.is_empty()),
            trigger,
        })
        .await?;
    Ok(ResponseType::WriteStreamOperationStartResult(
        WriteStreamOperationStartResult {
            query_id: Some(instance_id(&query)),
            name: query.name.clone().unwrap_or_default(),
            query_started_event_json: None,
        },
    ))
}

/// `"10 seconds"`, `"1 minute"`, `"500 milliseconds"`: a trigger interval.
fn parse_interval(text: &str) -> ConnectResult<Duration> {
    let text = text.trim().to_ascii_lowercase();
    let text = text.strip_prefix("interval").unwrap_or(&text).trim();
    let mut parts = text.split_whitespace();
    let invalid = || ConnectError::InvalidPlan(format!("invalid trigger interval: {text}"));
    let amount: f64 = parts
        .next()
        .ok_or_else(invalid)?
        .parse()
        .map_err(|_| invalid())?;
    let unit = parts.next().unwrap_or("milliseconds");
    let millis = match unit.trim_end_matches('s') {
        "millisecond" | "m" => amount,
        "second" => amount * 1000.0,
        "minute" => amount * 60_000.0,
        "hour" => amount * 3_600_000.0,
        "day" => amount * 86_400_000.0,
        _ => return Err(invalid()),
    };
    Ok(Duration::from_millis(millis.max(0.0) as u64))
}

fn find(
    session: &Session,
    id: Option<&StreamingQueryInstanceId>,
) -> ConnectResult<Arc<StreamingQuery>> {
    let id = required(id, "streaming_query_command.query_id")?;
    session.streams.get(&id.id).ok_or_else(|| {
        ConnectError::InvalidPlan(format!(
            "[STREAMING_QUERY_NOT_FOUND] No streaming query with id {}",
            id.id
        ))
    })
}

pub async fn query_command(
    session: &Session,
    command: &StreamingQueryCommand,
) -> ConnectResult<ResponseType> {
    let query = find(session, command.query_id.as_ref())?;
    let result = match required(command.command.as_ref(), "streaming_query_command.command")? {
        QueryCommand::Status(_) => {
            let (status_message, is_data_available, is_active) = query.status();
            Some(QueryResult::Status(query_result::StatusResult {
                status_message,
                is_data_available,
                is_trigger_active: is_data_available,
                is_active,
            }))
        }
        QueryCommand::LastProgress(_) => {
            let recent = query.recent_progress();
            Some(QueryResult::RecentProgress(
                query_result::RecentProgressResult {
                    recent_progress_json: recent.last().cloned().into_iter().collect(),
                },
            ))
        }
        QueryCommand::RecentProgress(_) => Some(QueryResult::RecentProgress(
            query_result::RecentProgressResult {
                recent_progress_json: query.recent_progress(),
            },
        )),
        QueryCommand::Stop(_) => {
            query.stop().await;
            None
        }
        QueryCommand::ProcessAllAvailable(_) => {
            query.process_all_available().await;
            None
        }
        QueryCommand::Explain(_) => {
            let plan = session.logical_plan(query.plan.clone()).await?;
            let state = session.context().state();
            let physical = state.create_physical_plan(&state.optimize(&plan)?).await?;
            let text = datafusion::physical_plan::displayable(physical.as_ref())
                .indent(true)
                .to_string();
            Some(QueryResult::Explain(query_result::ExplainResult {
                result: format!("== Physical Plan ==\n{text}"),
            }))
        }
        QueryCommand::Exception(_) => {
            let error = query.error();
            Some(QueryResult::Exception(query_result::ExceptionResult {
                error_class: error.as_ref().map(|_| "STREAM_FAILED".to_string()),
                exception_message: error,
                stack_trace: None,
            }))
        }
        QueryCommand::AwaitTermination(wait) => {
            let timeout = wait
                .timeout_ms
                .map(|ms| Duration::from_millis(ms.max(0) as u64));
            let terminated = query.await_termination(timeout).await;
            if let Some(error) = query.error() {
                return Err(ConnectError::InvalidPlan(format!(
                    "[STREAM_FAILED] {error}"
                )));
            }
            Some(QueryResult::AwaitTermination(
                query_result::AwaitTerminationResult { terminated },
            ))
        }
    };
    Ok(ResponseType::StreamingQueryCommandResult(
        StreamingQueryCommandResult {
            query_id: Some(instance_id(&query)),
            result_type: result,
        },
    ))
}

pub async fn manager_command(
    session: &Session,
    command: &StreamingQueryManagerCommand,
) -> ConnectResult<ResponseType> {
    let instance = |query: &StreamingQuery| manager_result::StreamingQueryInstance {
        id: Some(instance_id(query)),
        name: query.name.clone(),
    };
    let result = match required(command.command.as_ref(), "streaming_query_manager_command")? {
        ManagerCommand::Active(_) => ManagerResult::Active(manager_result::ActiveResult {
            active_queries: session
                .streams
                .active()
                .iter()
                .map(|q| instance(q))
                .collect(),
        }),
        ManagerCommand::GetQuery(id) => match session.streams.get(id) {
            Some(query) => ManagerResult::Query(instance(&query)),
            None => {
                return Ok(ResponseType::StreamingQueryManagerCommandResult(
                    StreamingQueryManagerCommandResult { result_type: None },
                ))
            }
        },
        ManagerCommand::AwaitAnyTermination(wait) => {
            let timeout = wait
                .timeout_ms
                .map(|ms| Duration::from_millis(ms.max(0) as u64));
            ManagerResult::AwaitAnyTermination(manager_result::AwaitAnyTerminationResult {
                terminated: session.streams.await_any_termination(timeout).await,
            })
        }
        ManagerCommand::ResetTerminated(_) => {
            session.streams.reset_terminated();
            ManagerResult::ResetTerminated(true)
        }
        ManagerCommand::ListListeners(_) => {
            ManagerResult::ListListeners(manager_result::ListStreamingQueryListenerResult {
                listener_ids: Vec::new(),
            })
        }
        ManagerCommand::AddListener(_) | ManagerCommand::RemoveListener(_) => {
            return Err(ConnectError::Unsupported(
                "streaming query listeners".into(),
            ))
        }
    };
    Ok(ResponseType::StreamingQueryManagerCommandResult(
        StreamingQueryManagerCommandResult {
            result_type: Some(result),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_intervals_parse() -> ConnectResult<()> {
        assert_eq!(parse_interval("10 seconds")?, Duration::from_secs(10));
        assert_eq!(parse_interval("1 minute")?, Duration::from_secs(60));
        assert_eq!(
            parse_interval("500 milliseconds")?,
            Duration::from_millis(500)
        );
        assert_eq!(parse_interval("0 seconds")?, Duration::ZERO);
        assert!(parse_interval("soon").is_err());
        Ok(())
    }
}
