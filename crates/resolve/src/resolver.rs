use std::collections::HashMap;
use std::sync::Mutex;

use datafusion::execution::context::SessionState;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_spec::Plan;
use futures::future::BoxFuture;

use crate::ResolveResult;

/// Analyzes plans for one session. Holds what must be remembered across a plan's nodes:
/// which qualifier each client plan id ended up under.
pub struct Resolver<'a> {
    pub(crate) context: &'a SessionContext,
    pub(crate) state: SessionState,
    pub(crate) warehouse: crate::Warehouse,
    pub(crate) catalog: Option<std::sync::Arc<dyn crate::TableCatalog>>,
    pub(crate) stream_input: Option<std::sync::Arc<dyn crate::StreamInput>>,
    pub(crate) ml: Option<std::sync::Arc<dyn crate::MlPlanner>>,
    /// Rounds a recursive CTE may add rows in (`spark.sql.cteRecursionLevelLimit`); `None`
    /// for no limit.
    pub(crate) recursion_level_limit: Option<usize>,
    /// `spark.sql.files.ignoreCorruptFiles`: unreadable files are skipped, not an error.
    pub(crate) ignore_corrupt_files: bool,
    scopes: Mutex<Scopes>,
}

/// Spark's default for `spark.sql.cteRecursionLevelLimit`.
pub const DEFAULT_RECURSION_LEVEL_LIMIT: usize = 100;

#[derive(Default)]
struct Scopes {
    qualifiers: HashMap<i64, String>,
    next_alias: usize,
    /// Plans that subquery expressions name by id (`WithRelations`).
    subqueries: HashMap<i64, Plan>,
    /// DataFrames that SQL text names as tables (`spark.sql("... {df} ...", df=df)`), by
    /// their alias, lower case.
    named_relations: HashMap<String, Plan>,
    /// The scans of the recursive queries whose steps are being resolved, by name (lower
    /// case).
    recursive_scans: HashMap<String, datafusion::logical_expr::LogicalPlan>,
    /// Schemas of the queries around the subquery being resolved, innermost last.
    outer: Vec<datafusion::common::DFSchemaRef>,
    /// Parameters of the lambda functions whose bodies are being resolved.
    /// Each with its field when the higher-order function could tell it before the body.
    lambda_parameters: Vec<(String, Option<datafusion::arrow::datatypes::FieldRef>)>,
}

impl<'a> Resolver<'a> {
    pub fn new(context: &'a SessionContext) -> Self {
        Resolver::with_warehouse(context, crate::Warehouse::default())
    }

    /// A resolver that finds catalog tables in `warehouse`.
    pub fn with_warehouse(context: &'a SessionContext, warehouse: crate::Warehouse) -> Self {
        Resolver {
            context,
            state: context.state(),
            warehouse,
            catalog: None,
            stream_input: None,
            ml: None,
            recursion_level_limit: Some(DEFAULT_RECURSION_LEVEL_LIMIT),
            ignore_corrupt_files: false,
            scopes: Mutex::new(Scopes::default()),
        }
    }

    /// Also asks `catalog` for tables stored elsewhere and for persistent views.
    pub fn with_catalog(mut self, catalog: std::sync::Arc<dyn crate::TableCatalog>) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// Reads streaming sources from `input`: one micro-batch of a streaming query.
    pub fn with_stream_input(mut self, input: std::sync::Arc<dyn crate::StreamInput>) -> Self {
        self.stream_input = Some(input);
        self
    }

    /// Stops recursive CTEs after `limit` rounds that add rows (`None`: never).
    pub fn with_recursion_level_limit(mut self, limit: Option<usize>) -> Self {
        self.recursion_level_limit = limit;
        self
    }

    /// Skips files that cannot be read instead of failing (`ignoreCorruptFiles`).
    pub fn with_ignore_corrupt_files(mut self, ignore: bool) -> Self {
        self.ignore_corrupt_files = ignore;
        self
    }

    /// Plans `pyspark.ml` relations with `ml`.
    pub fn with_ml(mut self, ml: std::sync::Arc<dyn crate::MlPlanner>) -> Self {
        self.ml = Some(ml);
        self
    }

    /// The session context plans run in.
    pub fn context(&self) -> &SessionContext {
        self.context
    }

    /// Resolves a whole query into a plan whose output names are Spark's.
    pub async fn resolve(&self, plan: Plan) -> ResolveResult<LogicalPlan> {
        self.resolve_plan(plan).await
    }

    /// Resolves `query` with the table `name` reading `input` (`SQLTransformer`'s
    /// `__THIS__`).
    pub async fn resolve_with_table(
        &self,
        query: Plan,
        name: &str,
        input: LogicalPlan,
    ) -> ResolveResult<LogicalPlan> {
        let outer = self.set_recursive_scan(name, Some(input));
        let resolved = self.resolve_plan(query).await;
        self.set_recursive_scan(name, outer);
        resolved
    }

    pub(crate) fn resolve_plan(&self, plan: Plan) -> BoxFuture<'_, ResolveResult<LogicalPlan>> {
        Box::pin(async move {
            if let Some(cached) = self.catalog.as_ref().and_then(|c| c.cached_plan(&plan)) {
                return self.scan_cached_plan(cached);
            }
            self.resolve_relation(plan).await
        })
    }

    /// Runs a plan and returns its batches partition by partition, the order Spark's
    /// collect gives (a union's left side first).
    pub(crate) async fn collect_in_order(
        &self,
        plan: LogicalPlan,
    ) -> ResolveResult<Vec<datafusion::arrow::array::RecordBatch>> {
        let partitions = self
            .context
            .execute_logical_plan(plan)
            .await?
            .collect_partitioned()
            .await?;
        Ok(partitions.into_iter().flatten().collect())
    }

    /// The first `count` rows in partition order, reading partitions one after another and
    /// stopping as soon as enough rows are in.
    pub(crate) async fn first_rows_in_order(
        &self,
        plan: LogicalPlan,
        count: usize,
    ) -> ResolveResult<Vec<datafusion::arrow::array::RecordBatch>> {
        use futures::StreamExt;
        let frame = self.context.execute_logical_plan(plan).await?;
        let task_context = std::sync::Arc::new(frame.task_ctx());
        let physical = frame.create_physical_plan().await?;
        let partitions = physical
            .properties()
            .output_partitioning()
            .partition_count();
        let mut batches = Vec::new();
        let mut rows = 0;
        for partition in 0..partitions {
            let mut stream = physical.execute(partition, task_context.clone())?;
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                let wanted = count - rows;
                rows += batch.num_rows().min(wanted);
                batches.push(batch.slice(0, batch.num_rows().min(wanted)));
                if rows >= count {
                    return Ok(batches);
                }
            }
        }
        Ok(batches)
    }

    /// A scan of batches already computed (shipped rows, `show()` text, statistics), under
    /// a fresh qualifier.
    pub(crate) fn scan_batches(
        &self,
        schema: datafusion::arrow::datatypes::SchemaRef,
        batches: Vec<datafusion::arrow::array::RecordBatch>,
    ) -> ResolveResult<LogicalPlan> {
        let table = datafusion::datasource::MemTable::try_new(schema, vec![batches])?;
        let source = datafusion::datasource::provider_as_source(std::sync::Arc::new(table));
        Ok(
            datafusion::logical_expr::LogicalPlanBuilder::scan(self.fresh_alias(), source, None)?
                .build()?,
        )
    }

    pub(crate) fn fresh_alias(&self) -> String {
        let mut scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        scopes.next_alias += 1;
        format!("__ember_{}", scopes.next_alias)
    }

    pub(crate) fn remember_qualifier(&self, plan_id: Option<i64>, qualifier: &str) {
        if let Some(id) = plan_id {
            let mut scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
            scopes.qualifiers.insert(id, qualifier.to_string());
        }
    }

    pub(crate) fn remember_subquery(&self, plan: Plan) {
        let mut scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        if let ember_spec::Relation::SubqueryAlias { alias, .. } = &plan.relation {
            scopes
                .named_relations
                .insert(alias.to_ascii_lowercase(), plan.clone());
        }
        if let Some(id) = plan.plan_id {
            scopes.subqueries.insert(id, plan);
        }
    }

    /// While a recursive query's step resolves, its name reads the previous round's rows;
    /// returns what the name meant before.
    pub(crate) fn set_recursive_scan(
        &self,
        name: &str,
        scan: Option<datafusion::logical_expr::LogicalPlan>,
    ) -> Option<datafusion::logical_expr::LogicalPlan> {
        let mut scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        let key = name.to_ascii_lowercase();
        match scan {
            Some(scan) => scopes.recursive_scans.insert(key, scan),
            None => scopes.recursive_scans.remove(&key),
        }
    }

    pub(crate) fn recursive_scan(
        &self,
        name: &str,
    ) -> Option<datafusion::logical_expr::LogicalPlan> {
        let scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        scopes
            .recursive_scans
            .get(&name.to_ascii_lowercase())
            .cloned()
    }

    /// A DataFrame the SQL text refers to by name.
    pub(crate) fn named_relation(&self, name: &str) -> Option<Plan> {
        let scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        scopes
            .named_relations
            .get(&name.to_ascii_lowercase())
            .cloned()
    }

    pub(crate) fn subquery_plan(&self, plan_id: i64) -> Option<Plan> {
        let scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        scopes.subqueries.get(&plan_id).cloned()
    }

    pub(crate) fn push_outer(&self, schema: datafusion::common::DFSchemaRef) {
        let mut scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        scopes.outer.push(schema);
    }

    pub(crate) fn pop_outer(&self) -> Option<datafusion::common::DFSchemaRef> {
        let mut scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        scopes.outer.pop()
    }

    pub(crate) fn push_lambda_parameters(
        &self,
        parameters: &[String],
        fields: Option<&[datafusion::arrow::datatypes::FieldRef]>,
    ) {
        let mut scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        for (i, name) in parameters.iter().enumerate() {
            let field = fields
                .and_then(|f| f.get(i))
                .map(|f| std::sync::Arc::new(f.as_ref().clone().with_name(name.as_str())));
            scopes.lambda_parameters.push((name.clone(), field));
        }
    }

    pub(crate) fn pop_lambda_parameters(&self, count: usize) {
        let mut scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        let keep = scopes.lambda_parameters.len().saturating_sub(count);
        scopes.lambda_parameters.truncate(keep);
    }

    /// The lambda parameter `name` refers to, innermost first, with its field when known.
    pub(crate) fn lambda_parameter(
        &self,
        name: &str,
    ) -> Option<(String, Option<datafusion::arrow::datatypes::FieldRef>)> {
        let scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        scopes
            .lambda_parameters
            .iter()
            .rev()
            .find(|(p, _)| p.eq_ignore_ascii_case(name))
            .cloned()
    }

    pub(crate) fn qualifier_of(&self, plan_id: Option<i64>) -> Option<String> {
        let id = plan_id?;
        let scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        scopes.qualifiers.get(&id).cloned()
    }
}
