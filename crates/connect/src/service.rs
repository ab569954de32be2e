//! The tonic service: one method per RPC, each a thin shell around the modules that do
//! the work. Every operation runs in its own task, so a panic fails that request only.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use ember_proto::spark::connect::spark_connect_service_server::SparkConnectService;
use ember_proto::spark::connect::*;
use futures::Stream;
use tokio::task::AbortHandle;
use tonic::{Request, Response, Status, Streaming};

use crate::analyze::run_analyze;
use crate::config::run_config;
use crate::error::{status_from_message, ConnectError};
use crate::execute::run_operation;
use crate::operations::ResponseBuffer;
use crate::results::OperationIds;
use crate::sessions::SessionManager;

type ResponseStream = Pin<Box<dyn Stream<Item = Result<ExecutePlanResponse, Status>> + Send>>;

pub(crate) struct RunningOperation {
    pub(crate) session_id: String,
    tags: Vec<String>,
    pub(crate) abort: AbortHandle,
}

pub(crate) type Operations = Arc<Mutex<HashMap<String, RunningOperation>>>;
pub(crate) type Buffers = Arc<Mutex<HashMap<String, Arc<ResponseBuffer>>>>;

#[derive(Default)]
pub struct EmberService {
    sessions: Arc<SessionManager>,
    operations: Operations,
    /// Responses of reattachable operations, kept until the client releases them or
    /// no client has read them for the detached timeout (see `housekeeping`).
    buffers: Buffers,
    /// One id per server run: clients notice a restarted server by its change.
    server_side_session_id: String,
}

impl EmberService {
    /// The kept responses of a reattachable operation, if it still has them.
    fn buffer(&self, operation_id: &str) -> Option<Arc<ResponseBuffer>> {
        self.buffers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(operation_id)
            .cloned()
    }

    pub fn new(
        memory: ember_exec::SharedMemory,
        events: ember_exec::Events,
        ui_url: Option<String>,
    ) -> Self {
        EmberService {
            sessions: Arc::new(SessionManager::new(memory, events, ui_url)),
            operations: Arc::default(),
            buffers: Arc::default(),
            server_side_session_id: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Starts the task that ends idle sessions and operations no client reads any more.
    pub fn start_housekeeping(&self, lifetimes: crate::housekeeping::Lifetimes) {
        crate::housekeeping::start(
            lifetimes,
            Arc::downgrade(&self.sessions),
            Arc::downgrade(&self.operations),
            Arc::downgrade(&self.buffers),
        );
    }
}

fn user_id(context: &Option<UserContext>) -> String {
    context
        .as_ref()
        .map(|c| c.user_id.clone())
        .unwrap_or_default()
}

/// The client sends each chunk's CRC-32 (as Java's `CRC32` computes it).
fn crc_matches(data: &[u8], crc: i64) -> bool {
    i64::from(crc32fast::hash(data)) == crc
}

fn panic_message(error: tokio::task::JoinError) -> Status {
    if error.is_cancelled() {
        return status_from_message("[OPERATION_CANCELED] Operation has been canceled.".into());
    }
    let detail = match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into()),
        Err(_) => "task failed".into(),
    };
    status_from_message(format!("[INTERNAL_ERROR] {detail}"))
}

#[tonic::async_trait]
impl SparkConnectService for EmberService {
    type ExecutePlanStream = ResponseStream;
    type ReattachExecuteStream = ResponseStream;

    async fn execute_plan(
        &self,
        request: Request<ExecutePlanRequest>,
    ) -> Result<Response<Self::ExecutePlanStream>, Status> {
        let request = request.into_inner();
        let session = self
            .sessions
            .get_or_create(&user_id(&request.user_context), &request.session_id)?;
        let plan = request
            .plan
            .ok_or_else(|| Status::from(ConnectError::InvalidPlan("missing plan".into())))?;
        let ids = OperationIds {
            session_id: request.session_id.clone(),
            server_side_session_id: self.server_side_session_id.clone(),
            operation_id: request
                .operation_id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        };
        let reattachable = request.request_options.iter().any(|option| {
            matches!(
                &option.request_option,
                Some(execute_plan_request::request_option::RequestOption::ReattachOptions(r))
                    if r.reattachable
            )
        });
        let (sender, mut receiver) = tokio::sync::mpsc::channel(16);
        let error_sender = sender.clone();
        let task = tokio::spawn(run_operation(session, plan, ids.clone(), sender));
        self.operations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                ids.operation_id.clone(),
                RunningOperation {
                    session_id: request.session_id,
                    tags: request.tags,
                    abort: task.abort_handle(),
                },
            );
        let operations = self.operations.clone();
        let operation_id = ids.operation_id.clone();
        tokio::spawn(async move {
            let outcome = match task.await {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(Status::from(error)),
                Err(join_error) => Some(panic_message(join_error)),
            };
            if let Some(status) = outcome {
                let _ = error_sender.send(Err(status)).await;
            }
            operations
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&operation_id);
        });
        let buffer = Arc::new(ResponseBuffer::default());
        if reattachable {
            self.buffers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(ids.operation_id.clone(), buffer.clone());
        }
        let producer = buffer.clone();
        tokio::spawn(async move {
            let mut outcome = Ok(());
            while let Some(item) = receiver.recv().await {
                match item {
                    Ok(response) => {
                        if !producer.push(response).await {
                            break;
                        }
                    }
                    Err(status) => {
                        outcome = Err(status);
                        break;
                    }
                }
            }
            producer.finish(outcome);
        });
        Ok(Response::new(buffer.stream_from(0, !reattachable)))
    }

    async fn analyze_plan(
        &self,
        request: Request<AnalyzePlanRequest>,
    ) -> Result<Response<AnalyzePlanResponse>, Status> {
        let request = request.into_inner();
        let session = self
            .sessions
            .get_or_create(&user_id(&request.user_context), &request.session_id)?;
        let analyze = request
            .analyze
            .ok_or_else(|| Status::from(ConnectError::InvalidPlan("missing analyze".into())))?;
        let result = tokio::spawn(async move { run_analyze(&session, &analyze).await })
            .await
            .map_err(panic_message)??;
        Ok(Response::new(AnalyzePlanResponse {
            session_id: request.session_id,
            server_side_session_id: self.server_side_session_id.clone(),
            result: Some(result),
        }))
    }

    async fn config(
        &self,
        request: Request<ConfigRequest>,
    ) -> Result<Response<ConfigResponse>, Status> {
        let request = request.into_inner();
        let session = self
            .sessions
            .get_or_create(&user_id(&request.user_context), &request.session_id)?;
        let (pairs, warnings) = run_config(&session, &request)?;
        Ok(Response::new(ConfigResponse {
            session_id: request.session_id,
            server_side_session_id: self.server_side_session_id.clone(),
            pairs,
            warnings,
        }))
    }

    async fn add_artifacts(
        &self,
        request: Request<Streaming<AddArtifactsRequest>>,
    ) -> Result<Response<AddArtifactsResponse>, Status> {
        let mut stream = request.into_inner();
        let mut session_id = String::new();
        let mut artifacts = Vec::new();
        // A chunked artifact in progress: name, bytes so far, every chunk's CRC good so far.
        let mut chunked: Option<(String, Vec<u8>, bool)> = None;
        let mut session: Option<Arc<ember_exec::Session>> = None;
        let mut keep = |session: &Arc<ember_exec::Session>, name: String, data: Vec<u8>, ok| {
            if ok {
                session.add_artifact(name.clone(), data);
            }
            artifacts.push(add_artifacts_response::ArtifactSummary {
                name,
                is_crc_successful: ok,
            });
        };
        while let Some(message) = stream.message().await? {
            session_id = message.session_id.clone();
            let current = match &session {
                Some(s) => s.clone(),
                None => {
                    let s = self
                        .sessions
                        .get_or_create(&user_id(&message.user_context), &message.session_id)?;
                    session = Some(s.clone());
                    s
                }
            };
            match message.payload {
                Some(add_artifacts_request::Payload::Batch(batch)) => {
                    for artifact in batch.artifacts {
                        let (data, ok) = match artifact.data {
                            Some(chunk) => {
                                let ok = crc_matches(&chunk.data, chunk.crc);
                                (chunk.data, ok)
                            }
                            None => (Vec::new(), false),
                        };
                        keep(&current, artifact.name, data, ok);
                    }
                }
                Some(add_artifacts_request::Payload::BeginChunk(begin)) => {
                    if let Some((name, data, ok)) = chunked.take() {
                        keep(&current, name, data, ok);
                    }
                    let (data, ok) = match begin.initial_chunk {
                        Some(chunk) => {
                            let ok = crc_matches(&chunk.data, chunk.crc);
                            (chunk.data, ok)
                        }
                        None => (Vec::new(), true),
                    };
                    chunked = Some((begin.name, data, ok));
                }
                Some(add_artifacts_request::Payload::Chunk(chunk)) => {
                    if let Some((_, data, ok)) = chunked.as_mut() {
                        *ok &= crc_matches(&chunk.data, chunk.crc);
                        data.extend_from_slice(&chunk.data);
                    }
                }
                None => {}
            }
        }
        if let (Some((name, data, ok)), Some(current)) = (chunked.take(), &session) {
            keep(current, name, data, ok);
        }
        Ok(Response::new(AddArtifactsResponse {
            session_id,
            server_side_session_id: self.server_side_session_id.clone(),
            artifacts,
        }))
    }

    async fn artifact_status(
        &self,
        request: Request<ArtifactStatusesRequest>,
    ) -> Result<Response<ArtifactStatusesResponse>, Status> {
        let request = request.into_inner();
        let session = self
            .sessions
            .get_or_create(&user_id(&request.user_context), &request.session_id)?;
        let statuses = request
            .names
            .into_iter()
            .map(|name| {
                let exists = session.has_artifact(&name);
                (name, artifact_statuses_response::ArtifactStatus { exists })
            })
            .collect();
        Ok(Response::new(ArtifactStatusesResponse {
            session_id: request.session_id,
            server_side_session_id: self.server_side_session_id.clone(),
            statuses,
        }))
    }

    async fn interrupt(
        &self,
        request: Request<InterruptRequest>,
    ) -> Result<Response<InterruptResponse>, Status> {
        let request = request.into_inner();
        let mut interrupted = Vec::new();
        let operations = self.operations.lock().unwrap_or_else(|e| e.into_inner());
        for (id, operation) in operations.iter() {
            if operation.session_id != request.session_id {
                continue;
            }
            let matches = match &request.interrupt {
                Some(interrupt_request::Interrupt::OperationTag(tag)) => {
                    operation.tags.contains(tag)
                }
                Some(interrupt_request::Interrupt::OperationId(wanted)) => wanted == id,
                None => true,
            };
            if matches {
                operation.abort.abort();
                interrupted.push(id.clone());
            }
        }
        Ok(Response::new(InterruptResponse {
            session_id: request.session_id,
            server_side_session_id: self.server_side_session_id.clone(),
            interrupted_ids: interrupted,
        }))
    }

    async fn reattach_execute(
        &self,
        request: Request<ReattachExecuteRequest>,
    ) -> Result<Response<Self::ReattachExecuteStream>, Status> {
        let request = request.into_inner();
        let buffer = self.buffer(&request.operation_id).ok_or_else(|| {
            status_from_message(format!(
                "[INVALID_HANDLE.OPERATION_NOT_FOUND] Operation {} not found.",
                request.operation_id
            ))
        })?;
        let start = buffer.position_after(request.last_response_id.as_deref())?;
        Ok(Response::new(buffer.stream_from(start, false)))
    }

    async fn release_execute(
        &self,
        request: Request<ReleaseExecuteRequest>,
    ) -> Result<Response<ReleaseExecuteResponse>, Status> {
        let request = request.into_inner();
        let buffer = self.buffer(&request.operation_id);
        match (&request.release, buffer) {
            (Some(release_execute_request::Release::ReleaseUntil(until)), Some(buffer)) => {
                buffer.release(Some(&until.response_id));
            }
            (_, buffer) => {
                // Releasing all of an operation also stops it if it still runs.
                if let Some(buffer) = buffer {
                    buffer.release(None);
                }
                self.buffers
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&request.operation_id);
                if let Some(running) = self
                    .operations
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&request.operation_id)
                {
                    running.abort.abort();
                }
            }
        }
        Ok(Response::new(ReleaseExecuteResponse {
            session_id: request.session_id,
            server_side_session_id: self.server_side_session_id.clone(),
            operation_id: Some(request.operation_id),
        }))
    }

    async fn release_session(
        &self,
        request: Request<ReleaseSessionRequest>,
    ) -> Result<Response<ReleaseSessionResponse>, Status> {
        let request = request.into_inner();
        self.sessions
            .release(&user_id(&request.user_context), &request.session_id);
        // Its running operations end with it.
        for operation in self
            .operations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|o| o.session_id == request.session_id)
        {
            operation.abort.abort();
        }
        Ok(Response::new(ReleaseSessionResponse {
            session_id: request.session_id,
            server_side_session_id: self.server_side_session_id.clone(),
        }))
    }

    async fn fetch_error_details(
        &self,
        request: Request<FetchErrorDetailsRequest>,
    ) -> Result<Response<FetchErrorDetailsResponse>, Status> {
        let request = request.into_inner();
        Ok(Response::new(FetchErrorDetailsResponse {
            session_id: request.session_id,
            server_side_session_id: self.server_side_session_id.clone(),
            root_error_idx: None,
            errors: Vec::new(),
        }))
    }

    async fn clone_session(
        &self,
        _request: Request<CloneSessionRequest>,
    ) -> Result<Response<CloneSessionResponse>, Status> {
        Err(Status::from(ConnectError::Unsupported(
            "cloning sessions".into(),
        )))
    }
}
