//! The `ember` binary: `ember server` runs the Spark Connect server in the foreground.
//! (`ember submit` lives in the Python package, which owns the interpreter that runs jobs.)

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ember", version, about = "Spark Connect server on DataFusion")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI over the event logs in DIR (written with `--event-log-dir`).
    History {
        dir: std::path::PathBuf,
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Spark's history server port.
        #[arg(long, default_value_t = 18080)]
        port: u16,
    },
    /// Serve Spark Connect clients until interrupted.
    Server {
        /// Address to bind; loopback unless told otherwise.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        #[arg(long, default_value_t = 15002)]
        port: u16,
        /// Memory all queries together may hold before sorts, aggregations and joins spill to
        /// disk, as Spark writes sizes (`512m`, `2g`; a bare number is MiB). Default: 60% of
        /// the machine's memory.
        #[arg(long, value_parser = ember_connect::parse_memory_size)]
        memory: Option<usize>,
        /// Most Python worker processes running UDFs at once, over all sessions (default:
        /// `EMBER_PYTHON_WORKERS`, else one per core); further calls wait for a free one.
        #[arg(long)]
        python_workers: Option<usize>,
        /// A session unused this long ends and frees its state (Spark's duration syntax).
        #[arg(long, default_value = "60min", value_parser = ember_connect::parse_timeout)]
        session_timeout: std::time::Duration,
        /// A query whose results no client has read this long stops, its results freed.
        #[arg(long, default_value = "60s", value_parser = ember_connect::parse_timeout)]
        detached_timeout: std::time::Duration,
        /// Port of the web UI (Spark's `spark.ui.port`); the next free one if taken.
        #[arg(long, default_value_t = 4040)]
        ui_port: u16,
        /// Run without the web UI (Spark's `spark.ui.enabled=false`): no port is opened.
        #[arg(long)]
        no_ui: bool,
        /// Write the event log (sessions, queries with their plans and metrics) here, as
        /// Spark's `spark.eventLog.dir`; `ember history` serves it later.
        #[arg(long)]
        event_log_dir: Option<std::path::PathBuf>,
        /// Directory for spill files (Spark's `spark.local.dir`); default: the system's
        /// temporary directory.
        #[arg(long)]
        local_dir: Option<std::path::PathBuf>,
    },
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let command = Cli::parse().command;
    ember_connect::server_runtime()?.block_on(run(command))
}

async fn run(command: Command) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::History { dir, host, port } => {
            let address =
                ember_connect::start_history(&dir, &ember_connect::UiSettings { host, port })
                    .await?;
            println!("Ember history of {} on {address}", dir.display());
            let _ = tokio::signal::ctrl_c().await;
        }
        Command::Server {
            host,
            port,
            memory,
            python_workers,
            session_timeout,
            detached_timeout,
            ui_port,
            no_ui,
            event_log_dir,
            local_dir,
        } => {
            if let Some(workers) = python_workers {
                ember_connect::set_python_worker_limit(workers.max(1));
            }
            let settings = ember_connect::ServerSettings {
                memory: ember_connect::MemorySettings {
                    limit: memory.or(ember_connect::MemorySettings::for_this_machine().limit),
                    spill_dir: local_dir,
                },
                lifetimes: ember_connect::Lifetimes {
                    session_timeout,
                    detached_timeout,
                },
                ui: (!no_ui).then(|| ember_connect::UiSettings {
                    host: host.clone(),
                    port: ui_port,
                }),
                event_log_dir,
            };
            let listener = tokio::net::TcpListener::bind((host.as_str(), port)).await?;
            println!(
                "Ember Spark Connect server on sc://{host}:{}",
                listener.local_addr()?.port()
            );
            let ui = ember_connect::start_ui(&settings).await;
            if let Some(ui) = &ui {
                println!("Ember web UI on {}", ui.url);
            }
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            ember_connect::serve_with_ui(listener, shutdown, settings, ui).await?;
        }
    }
    Ok(())
}
