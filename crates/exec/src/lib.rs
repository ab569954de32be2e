//! Sessions' state and running plans: each Spark session owns a DataFusion
//! `SessionContext` configured for Spark (all cores, Spark functions, no view types), its
//! config, temp views and the shared global temp views; plans run locally and stream Arrow
//! batches; writers commit atomically.

mod alter_table;
mod catalog_store;
mod config;
mod databases;
mod error;
pub mod events;
mod explain;
mod file_order;
mod frame_cache;
mod kept_rows;
mod memory;
mod parallel_plans;
mod partition_order;
mod partitions;
mod planner;
pub mod progress;
mod query_events;
mod recursion_limit;
mod repeated_projections;
mod row_marks;
mod semi_join_order;
mod session;
mod show_create;
mod sql_functions;
mod statements;
pub mod streaming;
mod table_cache;
mod write;
mod write_v2;

pub use catalog_store::{CatalogStore, TableEntry, TableKind};
pub use config::{parse_duration, SessionConfigValues};
pub use ember_ml as ml;
pub use error::{ExecError, ExecResult};
pub use events::{EventListener, Events, QueryOutcome, ServerEvent};
pub use explain::ExplainMode;
pub use memory::{human_size, parse_memory_size, MemorySettings, SharedMemory};
pub use session::{reads_a_stream, GlobalViews, Session, StorageLevel};
pub use sql_functions::FunctionInfo;
pub use statements::matches_pattern;
