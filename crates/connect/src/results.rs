//! Result streaming: DataFusion's record batches go out as Arrow IPC stream messages, one
//! response per batch, with the schema first and `ResultComplete` last.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::writer::StreamWriter;
use ember_proto::spark::connect::execute_plan_response::{
    ArrowBatch, ResponseType, ResultComplete,
};
use ember_proto::spark::connect::{DataType as ProtoType, ExecutePlanResponse};

use crate::convert::data_type_to_proto;
use crate::error::ConnectResult;

/// Identifies the responses of one operation.
#[derive(Clone)]
pub struct OperationIds {
    pub session_id: String,
    pub server_side_session_id: String,
    pub operation_id: String,
}

impl OperationIds {
    pub fn response(&self, response_type: Option<ResponseType>) -> ExecutePlanResponse {
        ExecutePlanResponse {
            session_id: self.session_id.clone(),
            server_side_session_id: self.server_side_session_id.clone(),
            operation_id: self.operation_id.clone(),
            response_id: uuid::Uuid::new_v4().to_string(),
            response_type,
            ..Default::default()
        }
    }

    pub fn complete(&self) -> ExecutePlanResponse {
        self.response(Some(ResponseType::ResultComplete(ResultComplete {})))
    }
}

pub fn schema_to_proto(schema: &SchemaRef) -> ProtoType {
    let fields = schema
        .fields()
        .iter()
        .map(|f| ember_spec::StructField {
            name: f.name().clone(),
            data_type: ember_resolve::from_arrow(f.data_type()),
            nullable: f.is_nullable(),
            metadata: ember_resolve::spark_metadata(f),
        })
        .collect();
    data_type_to_proto(&ember_spec::DataType::Struct(fields))
}

pub fn encode_batch(schema: &SchemaRef, batch: &RecordBatch) -> ConnectResult<Vec<u8>> {
    let mut buffer = Vec::new();
    {
        let mut writer = StreamWriter::try_new(&mut buffer, schema)?;
        writer.write(batch)?;
        writer.finish()?;
    }
    Ok(buffer)
}

pub fn batch_response(
    ids: &OperationIds,
    schema: &SchemaRef,
    batch: &RecordBatch,
    start_offset: i64,
) -> ConnectResult<ExecutePlanResponse> {
    let data = encode_batch(schema, batch)?;
    Ok(ids.response(Some(ResponseType::ArrowBatch(ArrowBatch {
        row_count: i64::try_from(batch.num_rows()).unwrap_or(i64::MAX),
        data,
        start_offset: Some(start_offset),
        ..Default::default()
    }))))
}

/// The stages of a running query, as Spark's server reports them to the client's progress bar
/// and handlers.
pub fn progress_response(
    ids: &OperationIds,
    progress: &ember_exec::progress::QueryProgress,
) -> ExecutePlanResponse {
    use ember_proto::spark::connect::execute_plan_response::{
        execution_progress::StageInfo, ExecutionProgress, ResponseType,
    };
    let (stages, running) = progress.report();
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let stages = stages
        .into_iter()
        .map(|stage| StageInfo {
            stage_id: count(stage.stage_id),
            num_tasks: count(stage.num_tasks),
            num_completed_tasks: count(stage.num_completed_tasks),
            input_bytes_read: count(stage.input_bytes_read),
            done: stage.done,
        })
        .collect();
    ids.response(Some(ResponseType::ExecutionProgress(ExecutionProgress {
        stages,
        num_inflight_tasks: count(running),
    })))
}
