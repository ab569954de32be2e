//! One Spark session: a DataFusion context configured for Spark, plus config and views.

use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::datasource::ViewTable;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::{cast, Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use ember_resolve::{client_arrow_type, Resolver, Warehouse};
use ember_spec::{MlCommand, Plan};

use crate::events::{Events, QueryOutcome, ServerEvent};
use crate::memory::SharedMemory;
use crate::progress::QueryProgress;
use crate::{ExecError, ExecResult, SessionConfigValues};

/// Views every session sees under `global_temp`.
pub type GlobalViews = Arc<MemorySchemaProvider>;

pub struct Session {
    pub id: String,
    context: SessionContext,
    config: Mutex<SessionConfigValues>,
    /// DataFrames persisted by `cache()` / `persist()`, with their kept rows.
    pub(crate) persisted: Arc<crate::frame_cache::PersistedFrames>,
    /// Rows of checkpointed DataFrames, by the id later plans name them with.
    pub(crate) checkpoints: Arc<crate::frame_cache::PersistedFrames>,
    /// Files the client uploaded (`addArtifacts`: Python files, jars, ...), by name.
    artifacts: Mutex<std::collections::HashMap<String, Vec<u8>>>,
    /// `USE db` / `spark.catalog.setCurrentDatabase`.
    current_database: Mutex<String>,
    /// Rows of tables cached by `cacheTable` / `CACHE TABLE`, by `database.table`.
    pub(crate) cached_tables: crate::table_cache::CachedTables,
    /// Streaming queries started in this session (`spark.streams`).
    pub streams: crate::streaming::StreamingQueries,
    /// Fitted models and summaries `pyspark.ml` refers to by id.
    ml: Arc<ember_ml::MlSession>,
    /// Where this session's queries are told (the server's listeners).
    events: Events,
    /// Recent runs' plans with metrics, for `explain("formatted")`.
    last_runs: Arc<crate::explain::LastRuns>,
}

/// Spark's storage level flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageLevel {
    pub use_disk: bool,
    pub use_memory: bool,
    pub use_off_heap: bool,
    pub deserialized: bool,
    pub replication: i32,
}

impl StorageLevel {
    pub const NONE: StorageLevel = StorageLevel {
        use_disk: false,
        use_memory: false,
        use_off_heap: false,
        deserialized: false,
        replication: 1,
    };
    /// `df.persist()` / `df.cache()` without an argument.
    pub const MEMORY_AND_DISK_DESER: StorageLevel = StorageLevel {
        use_disk: true,
        use_memory: true,
        use_off_heap: false,
        deserialized: true,
        replication: 1,
    };
}

fn spark_context(global_views: &GlobalViews, memory: &SharedMemory) -> ExecResult<SessionContext> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let mut config = SessionConfig::new()
        .with_target_partitions(cores)
        .with_information_schema(true)
        .with_default_catalog_and_schema("spark_catalog", "default");
    // Spark clients read plain Utf8; view types would need a cast on every result.
    config
        .options_mut()
        .execution
        .parquet
        .schema_force_view_types = false;
    config.options_mut().sql_parser.map_string_types_to_utf8view = false;
    config.options_mut().sql_parser.enable_ident_normalization = true;
    // Spark returns rows of a narrow pipeline in input order; round-robin repartitioning of a
    // single-partition source (local data, one file) would interleave them.
    config
        .options_mut()
        .optimizer
        .enable_round_robin_repartition = false;
    // Keep join sides where the resolver put them: it builds on the right side, as Spark's
    // broadcast joins do, so rows come out in the left side's order.
    config.options_mut().optimizer.join_reordering = false;
    // Build each hash table once (as Spark's broadcast joins do) rather than hash-partition
    // both sides: the probe side then streams in its own order.
    config.options_mut().optimizer.repartition_joins = false;
    // Each partition reads its own files, as a Spark task does: rows then come back in Spark's
    // file order (see file_order.rs), and a partition can run alone on another machine.
    config
        .options_mut()
        .execution
        .enable_file_stream_work_stealing = false;
    // A single stream (a sorted result) is written to one file after another, as a Spark task
    // writes it, rather than dealt out in turn to several files at once, which would scatter a
    // sorted result's rows across files.
    config.options_mut().execution.minimum_parallel_output_files =
        datafusion::common::config::ConfigNonZeroUsize::try_new(1)?;
    // Spark lists a path's files at every read; a cached listing would hide appended files.
    // Queries of every session draw from the server's one memory pool and spill when it is full.
    let runtime = memory
        .runtime()
        .with_cache_manager(
            datafusion::execution::cache::cache_manager::CacheManagerConfig::default()
                .with_list_files_cache_limit(0),
        )
        .build_arc()?;
    let context = SessionContext::new_with_config_rt(config, runtime);
    let mut state = datafusion::execution::SessionStateBuilder::new_from_existing(context.state())
        .with_query_planner(Arc::new(crate::planner::EmberQueryPlanner))
        .with_physical_optimizer_rule(Arc::new(crate::file_order::SparkFileOrder))
        .build();
    ember_functions::register_spark_functions(&mut state)
        .map_err(|e| ExecError::Unsupported(e.to_string()))?;
    let context = SessionContext::new_with_state(state);
    // This rule pushes a struct field access below the projection that rebuilt the struct
    // under its old name (`withColumn("a", col("a").withField("d", ...))`), where the field
    // does not exist yet.
    context.remove_optimizer_rule("push_down_leaf_projections");
    // DataFusion's unnest keeps its input's functional dependencies, though it repeats rows,
    // so after `explode` a former grouping key still looks unique, and this rule would drop
    // the sort keys "determined" by it (`orderBy("k", "v")` sorting by k alone).
    context.remove_optimizer_rule("eliminate_duplicated_expr");
    // Replaced by a wrapper that keeps repeated computing projections (see the module).
    context.remove_optimizer_rule("optimize_projections");
    context.add_optimizer_rule(Arc::new(
        crate::repeated_projections::ProjectionsComputedTwice,
    ));
    context.add_optimizer_rule(Arc::new(crate::semi_join_order::StreamOuterSideOfSemiJoins));
    if let Some(catalog) = context.catalog("spark_catalog") {
        catalog.register_schema("global_temp", global_views.clone())?;
    }
    Ok(context)
}

/// The Spark setting that names the session time zone.
const SESSION_TIME_ZONE: &str = "spark.sql.session.timeZone";
/// The Spark setting for maps built with a repeated key.
const MAP_KEY_DEDUP_POLICY: &str = "spark.sql.mapKeyDedupPolicy";

/// The session time zone and map key policy, as last set.
type MirroredSettings = (Option<String>, Option<String>);

fn mirrored_settings(config: &SessionConfigValues) -> MirroredSettings {
    (
        config.get(SESSION_TIME_ZONE).map(str::to_string),
        config.get(MAP_KEY_DEDUP_POLICY).map(str::to_string),
    )
}

impl Session {
    pub fn new(id: String, global_views: &GlobalViews, memory: &SharedMemory) -> ExecResult<Self> {
        let session = Session {
            id,
            context: spark_context(global_views, memory)?,
            config: Mutex::new(SessionConfigValues::default()),
            persisted: Default::default(),
            checkpoints: Default::default(),
            artifacts: Mutex::default(),
            current_database: Mutex::new(ember_resolve::DEFAULT_DATABASE.to_string()),
            cached_tables: Mutex::default(),
            streams: crate::streaming::StreamingQueries::default(),
            ml: Arc::default(),
            events: Events::default(),
            last_runs: Arc::default(),
        };
        session.mirror_settings(&(None, None));
        Ok(session)
    }

    pub fn context(&self) -> &SessionContext {
        &self.context
    }

    /// Keeps an uploaded artifact for the rest of the session.
    pub fn add_artifact(&self, name: String, data: Vec<u8>) {
        self.artifacts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name, data);
    }

    pub fn has_artifact(&self, name: &str) -> bool {
        self.artifacts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(name)
    }

    /// `df.persist(level)`: the plan is analyzed now and its rows are kept the first time
    /// a query needs them. Persisting it again changes nothing, as in Spark.
    pub async fn persist(&self, plan: Plan, level: StorageLevel) -> ExecResult<()> {
        if self.persisted.level(&plan).is_none() {
            let resolved = self.resolver().resolve(plan.clone()).await?;
            self.persisted.insert(plan, resolved, level);
        }
        Ok(())
    }

    /// `df.localCheckpoint()` / `df.checkpoint()`: the rows are kept under a new id, which
    /// later plans name instead of the plan that computed them.
    pub async fn checkpoint(&self, plan: Plan, eager: bool) -> ExecResult<String> {
        let resolved = self.resolver().resolve(plan).await?;
        let id = uuid::Uuid::new_v4().to_string();
        let key = Self::checkpoint_plan(&id);
        self.checkpoints
            .insert(key.clone(), resolved, StorageLevel::MEMORY_AND_DISK_DESER);
        if eager {
            self.checkpoints.materialize(&key, &self.context).await?;
        }
        Ok(id)
    }

    /// Lets go of a checkpoint's rows once the client no longer refers to them.
    pub fn remove_checkpoint(&self, id: &str) {
        self.checkpoints.remove(&Self::checkpoint_plan(id));
    }

    fn checkpoint_plan(id: &str) -> Plan {
        Plan::new(ember_spec::Relation::CachedRemote {
            relation_id: id.to_string(),
        })
    }

    pub fn unpersist(&self, plan: &Plan) {
        self.persisted.remove(plan);
    }

    pub fn storage_level(&self, plan: &Plan) -> StorageLevel {
        self.persisted.level(plan).unwrap_or(StorageLevel::NONE)
    }

    pub fn with_config<T>(&self, f: impl FnOnce(&mut SessionConfigValues) -> T) -> T {
        let (out, before, after) = {
            let mut guard = self.config.lock().unwrap_or_else(|e| e.into_inner());
            let before = mirrored_settings(&guard);
            let out = f(&mut guard);
            let after = mirrored_settings(&guard);
            (out, before, after)
        };
        // The DataFusion state is written only when a mirrored setting changed, and never
        // while the config lock is held: a planner holding the state's read lock may be
        // waiting for the config lock, and most calls here only read.
        if before != after {
            self.mirror_settings(&after);
        }
        out
    }

    /// Copies the Spark settings that functions read into the DataFusion state.
    fn mirror_settings(&self, (zone, policy): &MirroredSettings) {
        self.mirror_time_zone(zone.as_deref());
        self.mirror_map_key_policy(policy.as_deref());
    }

    /// Maps built with a repeated key read DataFusion's `spark.map_key_dedup_policy`.
    fn mirror_map_key_policy(&self, policy: Option<&str>) {
        let policy = policy.unwrap_or("EXCEPTION").to_ascii_uppercase();
        let state = self.context.state_ref();
        let mut state = state.write();
        let options = state.config_mut().options_mut();
        // A value DataFusion does not know keeps the previous policy.
        let _ = options.set("datafusion.spark.map_key_dedup_policy", &policy);
    }

    /// Functions read the session time zone from DataFusion's `execution.time_zone`, in the
    /// form Arrow parses (`PST` becomes `America/Los_Angeles`); unset means UTC, and a zone
    /// Spark would reject leaves the previous one.
    fn mirror_time_zone(&self, zone: Option<&str>) {
        let zone = match zone {
            Some(zone) => ember_functions::spark_zone_id(zone),
            None => Some("UTC".to_string()),
        };
        let Some(zone) = zone else {
            return;
        };
        let state = self.context.state_ref();
        let mut state = state.write();
        let options = state.config_mut().options_mut();
        if options.execution.time_zone.as_deref() != Some(zone.as_str()) {
            options.execution.time_zone = Some(zone);
        }
    }

    /// Where this session finds databases and managed tables: `spark.sql.warehouse.dir`
    /// and the current database.
    pub fn warehouse(&self) -> Warehouse {
        let root = self.with_config(|c| {
            c.get("spark.sql.warehouse.dir")
                .unwrap_or(ember_resolve::DEFAULT_WAREHOUSE_DIR)
                .to_string()
        });
        Warehouse::new(root, self.current_database())
    }

    /// The record of tables and persistent views in this session's warehouse.
    pub fn catalog_store(&self) -> crate::CatalogStore {
        crate::CatalogStore::new(self.warehouse())
    }

    pub fn current_database(&self) -> String {
        self.current_database
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Makes `database` the current one; it must exist.
    pub fn set_current_database(&self, database: &str) -> ExecResult<()> {
        if !self.warehouse().database_exists(database) {
            return Err(ExecError::DatabaseNotFound(database.to_string()));
        }
        *self
            .current_database
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = database.to_ascii_lowercase();
        Ok(())
    }

    /// Analyzes a plan into a DataFusion plan whose output types are the ones Spark clients
    /// read (plain Utf8, microsecond timestamps).
    pub async fn logical_plan(&self, plan: Plan) -> ExecResult<LogicalPlan> {
        let plan = self.resolver().resolve(plan).await?;
        client_types(plan)
    }

    pub(crate) fn resolver(&self) -> Resolver<'_> {
        Resolver::with_warehouse(&self.context, self.warehouse())
            .with_catalog(Arc::new(self.session_tables()))
            .with_ml(self.ml.clone())
            .with_recursion_level_limit(self.recursion_level_limit())
            .with_ignore_corrupt_files(self.with_config(|c| {
                c.get("spark.sql.files.ignoreCorruptFiles")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            }))
    }

    /// `spark.sql.cteRecursionLevelLimit`: Spark's 100 unless set; negative means none.
    fn recursion_level_limit(&self) -> Option<usize> {
        let value = self.with_config(|c| {
            c.get("spark.sql.cteRecursionLevelLimit")
                .map(|v| v.trim().parse::<i64>())
        });
        match value {
            Some(Ok(limit)) => usize::try_from(limit).ok(),
            _ => Some(ember_resolve::DEFAULT_RECURSION_LEVEL_LIMIT),
        }
    }

    /// Runs a `pyspark.ml` command (fit, evaluate, save, ...).
    pub async fn ml_command(&self, command: MlCommand) -> ExecResult<ember_ml::MlOutput> {
        Ok(self.ml.run(&self.resolver(), command).await?)
    }

    /// One micro-batch of a streaming query: its sources read from `input`.
    pub async fn logical_plan_for_stream(
        &self,
        plan: Plan,
        input: Arc<dyn ember_resolve::StreamInput>,
    ) -> ExecResult<LogicalPlan> {
        let resolver = self.resolver().with_stream_input(input);
        let plan = resolver.resolve(plan).await?;
        client_types(plan)
    }

    /// Runs a plan, streaming its batches.
    pub async fn execute(&self, plan: Plan) -> ExecResult<(SchemaRef, SendableRecordBatchStream)> {
        let logical = self.logical_plan(plan).await?;
        self.execute_logical(logical).await
    }

    pub async fn execute_logical(
        &self,
        logical: LogicalPlan,
    ) -> ExecResult<(SchemaRef, SendableRecordBatchStream)> {
        let (schema, stream, _, _) = self.execute_logical_with_progress(logical).await?;
        Ok((schema, stream))
    }

    /// Runs a plan, streaming its batches, with the progress of its stages to report.
    /// `description` (the SQL text, when there is one) names the query to event listeners.
    pub async fn execute_with_progress(
        &self,
        plan: Plan,
        description: Option<String>,
    ) -> ExecResult<(SchemaRef, SendableRecordBatchStream, Arc<QueryProgress>)> {
        let query = crate::events::next_query_id();
        let spec = plan.clone();
        let logical = match self.logical_plan(plan).await {
            Ok(logical) => logical,
            Err(error) => {
                let description = description.unwrap_or_default();
                self.query_started(query, description);
                self.query_failed(query, &error);
                return Err(error);
            }
        };
        let description = description.unwrap_or_else(|| crate::query_events::describe(&logical));
        self.query_started(query, description);
        match self.execute_logical_with_progress(logical).await {
            Ok((schema, stream, progress, physical)) => {
                if self.events.is_heard() {
                    self.events.emit(ServerEvent::QueryPlanned {
                        query,
                        plan: Arc::clone(&physical),
                        progress: Arc::clone(&progress),
                    });
                }
                // `explain("formatted")` of the same DataFrame shows this run's metrics.
                let runs = Arc::clone(&self.last_runs);
                let on_end = Box::new(move || {
                    runs.record(spec, crate::explain::formatted(&physical));
                });
                let stream =
                    crate::query_events::observed(stream, query, self.events.clone(), on_end);
                Ok((schema, stream, progress))
            }
            Err(error) => {
                self.query_failed(query, &error);
                Err(error)
            }
        }
    }

    fn query_started(&self, query: u64, description: String) {
        if self.events.is_heard() {
            self.events.emit(ServerEvent::QueryStarted {
                query,
                session: self.id.clone(),
                description,
                at: std::time::SystemTime::now(),
            });
        }
    }

    fn query_failed(&self, query: u64, error: &ExecError) {
        if self.events.is_heard() {
            self.events.emit(ServerEvent::QueryEnded {
                query,
                outcome: QueryOutcome::Failed,
                rows: 0,
                error: Some(error.to_string()),
                at: std::time::SystemTime::now(),
            });
        }
    }

    /// `df.explain(mode)` in Spark's layout (see `explain.rs`).
    pub async fn explain(&self, plan: Plan, mode: crate::ExplainMode) -> ExecResult<String> {
        let last_run = self.last_runs.of(&plan);
        let analyzed = self.logical_plan(plan).await?;
        let state = self.context.state();
        let optimized = state.optimize(&analyzed)?;
        let physical = state.create_physical_plan(&optimized).await?;
        Ok(crate::explain::explain(
            &crate::explain::Explained {
                analyzed: &analyzed,
                optimized: &optimized,
                physical: &physical,
                last_run,
            },
            mode,
        ))
    }

    /// Tells `events`' listeners about this session's queries.
    pub fn with_events(mut self, events: Events) -> Self {
        self.events = events;
        self
    }

    /// `spark.connect.progress.reportInterval`: how often a running query reports its
    /// progress (Spark's 2 s unless set; a negative value turns reports off).
    pub fn progress_report_interval(&self) -> Option<std::time::Duration> {
        let value = self.with_config(|c| {
            c.get("spark.connect.progress.reportInterval")
                .map(str::to_string)
        });
        match value {
            Some(text) => crate::config::parse_duration(&text),
            None => Some(std::time::Duration::from_secs(2)),
        }
    }

    async fn execute_logical_with_progress(
        &self,
        logical: LogicalPlan,
    ) -> ExecResult<(
        SchemaRef,
        SendableRecordBatchStream,
        Arc<QueryProgress>,
        Arc<dyn datafusion::physical_plan::ExecutionPlan>,
    )> {
        if reads_a_stream(&logical) {
            return Err(ExecError::Analysis(
                "[UNSUPPORTED_STREAMING_OPERATION] Queries with streaming sources must be executed with writeStream.start().".into(),
            ));
        }
        crate::frame_cache::materialize_cached_frames(&logical, &self.context).await?;
        let (mut state, logical) = self
            .context
            .execute_logical_plan(logical)
            .await?
            .into_parts();
        // The query's Python calls stop when its result stream is dropped (interrupted,
        // released, the client gone) instead of running to the end.
        let interrupt = ember_udf::install_query_interrupt(state.config_mut().options_mut());
        // Planning reads the options captured here.
        state.mark_start_execution();
        let frame = datafusion::dataframe::DataFrame::new(state, logical);
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let task_context = Arc::new(frame.task_ctx());
        let physical = frame.create_physical_plan().await?;
        let (stream, progress, running) =
            crate::partition_order::in_partition_order(physical, task_context)?;
        Ok((
            schema,
            interrupt_on_drop(stream, interrupt),
            progress,
            running,
        ))
    }

    /// `createTempView` and friends; `global` puts the view under `global_temp`.
    pub async fn create_view(
        &self,
        name: &str,
        plan: Plan,
        replace: bool,
        global: bool,
    ) -> ExecResult<()> {
        let logical = self.logical_plan(plan).await?;
        let view = Arc::new(ViewTable::new(logical, None));
        let exists = self.view_exists(name, global);
        if exists && !replace {
            return Err(ExecError::ViewAlreadyExists(name.to_string()));
        }
        if global {
            let schema = self.global_schema()?;
            schema.deregister_table(name)?;
            schema.register_table(name.to_string(), view)?;
        } else {
            self.context.deregister_table(name)?;
            self.context.register_table(name, view)?;
        }
        Ok(())
    }

    fn global_schema(&self) -> ExecResult<Arc<dyn SchemaProvider>> {
        self.context
            .catalog("spark_catalog")
            .and_then(|c| c.schema("global_temp"))
            .ok_or_else(|| ExecError::Unsupported("global temp views".into()))
    }

    pub fn view_exists(&self, name: &str, global: bool) -> bool {
        if global {
            self.global_schema()
                .map(|s| s.table_exist(name))
                .unwrap_or(false)
        } else {
            self.context.table_exist(name).unwrap_or(false)
        }
    }

    /// Drops a temp view; true when it existed.
    pub fn drop_view(&self, name: &str, global: bool) -> ExecResult<bool> {
        if global {
            Ok(self.global_schema()?.deregister_table(name)?.is_some())
        } else {
            Ok(self.context.deregister_table(name)?.is_some())
        }
    }

    /// Names of the session's temp views and tables in the default schema.
    pub fn table_names(&self) -> Vec<String> {
        self.context
            .catalog("spark_catalog")
            .and_then(|c| c.schema("default"))
            .map(|s| {
                let mut names = s.table_names();
                names.sort();
                names
            })
            .unwrap_or_default()
    }
}

/// Whether the plan reads a streaming source outside a streaming query.
pub fn reads_a_stream(plan: &LogicalPlan) -> bool {
    use datafusion::common::tree_node::TreeNode;
    plan.exists(|node| {
        Ok(matches!(node, LogicalPlan::SubqueryAlias(alias)
            if alias.alias.table() == ember_resolve::STREAM_SOURCE_ALIAS))
    })
    .unwrap_or(false)
}

/// Sets `interrupt` once `stream` is dropped, finished or not.
fn interrupt_on_drop(
    stream: SendableRecordBatchStream,
    interrupt: ember_udf::Interrupt,
) -> SendableRecordBatchStream {
    struct SetOnDrop(ember_udf::Interrupt);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.interrupt();
        }
    }
    let guard = SetOnDrop(interrupt);
    let schema = stream.schema();
    let stream = futures::StreamExt::map(stream, move |batch| {
        let _ = &guard;
        batch
    });
    Box::pin(datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(schema, stream))
}

/// Casts output columns whose Arrow type is not the one Spark clients expect.
fn client_types(plan: LogicalPlan) -> ExecResult<LogicalPlan> {
    let schema = plan.schema().clone();
    let mut changed = false;
    let mut exprs: Vec<Expr> = Vec::new();
    for (qualifier, field) in schema.iter() {
        let column = Expr::Column(datafusion::common::Column::new(
            qualifier.cloned(),
            field.name(),
        ));
        let wanted = client_arrow_type(field.data_type());
        if &wanted == field.data_type() {
            exprs.push(column);
        } else {
            changed = true;
            exprs.push(cast(column, wanted).alias_qualified(qualifier.cloned(), field.name()));
        }
    }
    if !changed {
        return Ok(plan);
    }
    Ok(LogicalPlanBuilder::from(plan).project(exprs)?.build()?)
}
