//! Starting the web UI beside the server (`spark.ui.enabled`, `spark.ui.port`) and feeding
//! it the server's events.

use std::sync::Arc;

use ember_ui::{UiSettings, UiState};

use crate::server::ServerSettings;

/// A UI serving, and the state its pages show.
#[derive(Clone)]
pub struct RunningUi {
    pub url: String,
    pub(crate) state: Arc<UiState>,
}

pub(crate) fn environment(settings: &ServerSettings, url: Option<&str>) -> Vec<(String, String)> {
    let memory = settings
        .memory
        .limit
        .map(ember_exec::human_size)
        .unwrap_or_else(|| "unbounded".into());
    let spill = settings
        .memory
        .spill_dir
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| std::env::temp_dir().display().to_string());
    let mut entries: Vec<(String, String)> = vec![
        ("spark.version".into(), crate::SPARK_VERSION.into()),
        ("spark.ember.memory".into(), memory),
        ("spark.local.dir".into(), spill),
        (
            "spark.connect.session.manager.defaultSessionTimeout".into(),
            format!("{}s", settings.lifetimes.session_timeout.as_secs()),
        ),
        (
            "spark.connect.execute.manager.detachedTimeout".into(),
            format!("{}s", settings.lifetimes.detached_timeout.as_secs()),
        ),
        (
            "spark.ember.python.workers".into(),
            ember_udf::worker_limit().to_string(),
        ),
    ];
    if let Some(url) = url {
        entries.push(("spark.ui.url".into(), url.to_string()));
    }
    if let Some(dir) = &settings.event_log_dir {
        entries.push(("spark.eventLog.dir".into(), dir.display().to_string()));
    }
    entries
}

/// One id per server run, naming it in the UI and its event log.
pub(crate) fn new_application_id() -> String {
    format!(
        "ember-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    )
}

/// Starts the UI when the settings ask for one; a UI that cannot bind is reported and left
/// out, the server runs without it.
pub async fn start_ui(settings: &ServerSettings) -> Option<RunningUi> {
    let wanted: &UiSettings = settings.ui.as_ref()?;
    let application_id = new_application_id();
    // The environment names the URL, known only once bound; the state is filled after.
    let placeholder = Arc::new(UiState::new(application_id.clone(), Vec::new()));
    match ember_ui::start(wanted, Arc::clone(&placeholder)).await {
        Ok(address) => {
            let url = ember_ui::url(address);
            placeholder.set_environment(environment(settings, Some(&url)));
            Some(RunningUi {
                url,
                state: placeholder,
            })
        }
        Err(error) => {
            tracing::warn!(
                "the web UI could not bind {}:{}: {error}",
                wanted.host,
                wanted.port
            );
            None
        }
    }
}
