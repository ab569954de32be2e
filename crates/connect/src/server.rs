//! Starting the server: in the foreground (`ember server`) or on background threads of the
//! current process (the embedded Python package).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ember_exec::{MemorySettings, SharedMemory};
use ember_proto::spark::connect::spark_connect_service_server::SparkConnectServiceServer;
use tokio::sync::oneshot;
use tonic::transport::server::TcpIncoming;

pub use crate::housekeeping::{parse_timeout, Lifetimes};
use crate::service::EmberService;
pub use crate::web_ui::{start_ui, RunningUi};
pub use ember_ui::UiSettings;

/// The Spark version Ember speaks for; clients check the major version.
pub const SPARK_VERSION: &str = "4.1.1";

/// Results and plans can be large; the client's default cap is 128 MiB.
const MAX_MESSAGE_SIZE: usize = 128 * 1024 * 1024;

/// What a server is started with.
#[derive(Debug, Clone, Default)]
pub struct ServerSettings {
    pub memory: MemorySettings,
    pub lifetimes: Lifetimes,
    /// Where the web UI should listen; None: no UI (`spark.ui.enabled=false`).
    pub ui: Option<UiSettings>,
    /// Where the event log goes (`spark.eventLog.dir`); None: no log.
    pub event_log_dir: Option<std::path::PathBuf>,
}

impl From<MemorySettings> for ServerSettings {
    fn from(memory: MemorySettings) -> Self {
        ServerSettings {
            memory,
            lifetimes: Lifetimes::default(),
            ui: None,
            event_log_dir: None,
        }
    }
}

/// Needs a runtime: the service's housekeeping runs as a task.
fn service(
    settings: ServerSettings,
    ui: Option<RunningUi>,
) -> SparkConnectServiceServer<EmberService> {
    let events = ember_exec::Events::default();
    let ui_url = ui.as_ref().map(|ui| ui.url.clone());
    let application_id = ui
        .as_ref()
        .map(|ui| ui.state.application_id().to_string())
        .unwrap_or_else(crate::web_ui::new_application_id);
    if let Some(dir) = &settings.event_log_dir {
        let environment = crate::web_ui::environment(&settings, ui_url.as_deref());
        match ember_ui::EventLog::create(dir, &application_id, &environment) {
            Ok(log) => events.subscribe(Arc::new(log)),
            Err(error) => tracing::warn!("no event log in {}: {error}", dir.display()),
        }
    }
    if let Some(ui) = ui {
        events.subscribe(ui.state);
    }
    let service = EmberService::new(SharedMemory::new(settings.memory), events, ui_url);
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

/// Serves until `shutdown` resolves, every query drawing on one memory pool, with the web
/// UI when the settings ask for it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    settings: impl Into<ServerSettings>,
) -> Result<(), tonic::transport::Error> {
    let settings = settings.into();
    let ui = start_ui(&settings).await;
    serve_with_ui(listener, shutdown, settings, ui).await
}

/// [`serve`] with a UI already started (by [`start_ui`]), or none.
pub async fn serve_with_ui(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    settings: ServerSettings,
    ui: Option<RunningUi>,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .add_service(service(settings, ui))
        .serve_with_incoming_shutdown(incoming(listener), shutdown)
        .await
}

/// Background servers by port: how to stop each, and its UI's URL.
type Background = HashMap<u16, (oneshot::Sender<()>, Option<String>)>;
static BACKGROUND: Mutex<Option<Background>> = Mutex::new(None);

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
    let ui = runtime.block_on(start_ui(&settings));
    let ui_url = ui.as_ref().map(|ui| ui.url.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("ember-server-main".into())
        .stack_size(THREAD_STACK_BYTES)
        .spawn(move || {
            runtime.block_on(async move {
                let shutdown = async move {
                    let _ = stopped.await;
                };
                if let Err(error) = serve_with_ui(listener, shutdown, settings, ui).await {
                    tracing::error!("server stopped: {error}");
                }
            });
        })?;
    let mut servers = BACKGROUND.lock().unwrap_or_else(|e| e.into_inner());
    servers
        .get_or_insert_with(HashMap::new)
        .insert(bound, (stop, ui_url));
    Ok(bound)
}

/// `ember history DIR` on the current runtime; returns the URL.
pub async fn start_history(
    dir: &std::path::Path,
    settings: &UiSettings,
) -> std::io::Result<String> {
    Ok(ember_ui::url(ember_ui::start_history(settings, dir).await?))
}

/// `ember history DIR`: serves the UI over the runs logged in `dir` from a background
/// runtime of this process until it ends; returns the URL.
pub fn start_history_ui(dir: &std::path::Path, settings: &UiSettings) -> std::io::Result<String> {
    let runtime = server_runtime()?;
    let address = runtime.block_on(ember_ui::start_history(settings, dir))?;
    std::thread::Builder::new()
        .name("ember-history".into())
        .spawn(move || runtime.block_on(std::future::pending::<()>()))?;
    Ok(ember_ui::url(address))
}

/// The web UI's URL of the background server on `port`, if it has one.
pub fn background_ui_url(port: u16) -> Option<String> {
    let servers = BACKGROUND.lock().unwrap_or_else(|e| e.into_inner());
    servers.as_ref()?.get(&port)?.1.clone()
}

/// Stops a server started by [`start_background_server`]; unknown ports are ignored.
pub fn stop_background_server(port: u16) {
    let mut servers = BACKGROUND.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((stop, _)) = servers.as_mut().and_then(|s| s.remove(&port)) {
        let _ = stop.send(());
    }
}
