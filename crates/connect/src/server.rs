//! Starting the server: in the foreground (`ember server`) or on background threads of the
//! current process (the embedded Python package).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use ember_exec::{MemorySettings, SharedMemory};
use ember_proto::spark::connect::spark_connect_service_server::SparkConnectServiceServer;
use tokio::sync::oneshot;
use tonic::transport::server::TcpIncoming;

pub use crate::housekeeping::{parse_timeout, Lifetimes};
use crate::service::EmberService;

/// The Spark version Ember speaks for; clients check the major version.
pub const SPARK_VERSION: &str = "4.1.1";

/// Results and plans can be large; the client's default cap is 128 MiB.
const MAX_MESSAGE_SIZE: usize = 128 * 1024 * 1024;

/// What a server is started with.
#[derive(Debug, Clone, Default)]
pub struct ServerSettings {
    pub memory: MemorySettings,
    pub lifetimes: Lifetimes,
}

impl From<MemorySettings> for ServerSettings {
    fn from(memory: MemorySettings) -> Self {
        ServerSettings {
            memory,
            lifetimes: Lifetimes::default(),
        }
    }
}

/// Needs a runtime: the service's housekeeping runs as a task.
fn service(settings: ServerSettings) -> SparkConnectServiceServer<EmberService> {
    let service = EmberService::new(SharedMemory::new(settings.memory));
    service.start_housekeeping(settings.lifetimes);
    SparkConnectServiceServer::new(service)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE)
}

/// Accepted connections send small responses at once: with Nagle's algorithm on, every
/// short query waited about 40 ms for the client's delayed acknowledgement.
fn incoming(listener: tokio::net::TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener).with_nodelay(Some(true))
}

/// Serves until `shutdown` resolves, every query drawing on one memory pool.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    settings: impl Into<ServerSettings>,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .add_service(service(settings.into()))
        .serve_with_incoming_shutdown(incoming(listener), shutdown)
        .await
}

static BACKGROUND: Mutex<Option<HashMap<u16, oneshot::Sender<()>>>> = Mutex::new(None);

/// Stack for each runtime thread. Planning walks plans and expressions recursively, and a
/// deep plan (a long chain of DataFrame calls, nested subqueries) overflows the 2 MiB
/// default, which aborts the whole process.
const THREAD_STACK_BYTES: usize = 32 * 1024 * 1024;

/// The multi-threaded runtime a server runs on.
pub fn server_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ember-server")
        .thread_stack_size(THREAD_STACK_BYTES)
        .build()
}

/// Starts a server on its own runtime thread; returns the bound port once it accepts
/// connections.
pub fn start_background_server(
    host: &str,
    port: u16,
    settings: impl Into<ServerSettings>,
) -> std::io::Result<u16> {
    let settings = settings.into();
    let addr: SocketAddr = format!("{host}:{port}")
        .parse()
        .or_else(|_| format!("127.0.0.1:{port}").parse())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{e}")))?;
    let runtime = server_runtime()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind(addr))?;
    let bound = listener.local_addr()?.port();
    let (stop, stopped) = oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("ember-server-main".into())
        .stack_size(THREAD_STACK_BYTES)
        .spawn(move || {
            runtime.block_on(async move {
                let shutdown = async move {
                    let _ = stopped.await;
                };
                if let Err(error) = serve(listener, shutdown, settings).await {
                    tracing::error!("server stopped: {error}");
                }
            });
        })?;
    let mut servers = BACKGROUND.lock().unwrap_or_else(|e| e.into_inner());
    servers.get_or_insert_with(HashMap::new).insert(bound, stop);
    Ok(bound)
}

/// Stops a server started by [`start_background_server`]; unknown ports are ignored.
pub fn stop_background_server(port: u16) {
    let mut servers = BACKGROUND.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(stop) = servers.as_mut().and_then(|s| s.remove(&port)) {
        let _ = stop.send(());
    }
}
