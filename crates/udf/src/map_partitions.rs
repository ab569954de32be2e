//! `mapInPandas` / `mapInArrow` (and `foreachPartition`, which the client builds on them): a
//! Python function maps each partition's batches to new batches of a declared schema.
//! `groupBy(...).applyInPandas` is the same with grouping keys: the input is hash-partitioned
//! on them, so each group lies in one partition, and the worker calls the function per group.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::common::{internal_err, DFSchema, DFSchemaRef, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, Extension, LogicalPlan, UserDefinedLogicalNodeCore};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::{StreamExt, TryStreamExt};

use crate::worker;

/// Spark's eval types for functions over a partition's batches or a group's rows.
pub const MAP_PANDAS_ITER: i32 = 205;
pub const MAP_ARROW_ITER: i32 = 207;
pub const GROUPED_MAP_PANDAS: i32 = 201;

/// Key columns of a grouped map are named with this prefix and a number.
pub const KEY_PREFIX: &str = "__key_";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapPartitions {
    pub input: LogicalPlan,
    pub name: String,
    pub command: Vec<u8>,
    pub eval_type: i32,
    /// Grouping key columns of the input (`__key_0`, ...); empty for a partition map.
    pub keys: Vec<String>,
    schema: DFSchemaRef,
}

impl MapPartitions {
    pub fn try_new(
        input: LogicalPlan,
        name: String,
        command: Vec<u8>,
        eval_type: i32,
        keys: Vec<String>,
        output: Schema,
    ) -> Result<Self> {
        Ok(MapPartitions {
            input,
            name,
            command,
            eval_type,
            keys,
            schema: Arc::new(DFSchema::try_from(output)?),
        })
    }

    pub fn into_plan(self) -> LogicalPlan {
        LogicalPlan::Extension(Extension {
            node: Arc::new(self),
        })
    }

    /// The operator that runs this node over `input`.
    pub fn physical(&self, input: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
        let input_schema = input.schema();
        let keys = self
            .keys
            .iter()
            .map(|k| datafusion::physical_expr::expressions::col(k, &input_schema))
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(MapPartitionsExec::new(
            input,
            self.name.clone(),
            self.command.clone(),
            self.eval_type,
            keys,
            Arc::new(self.schema.as_arrow().clone()),
        )))
    }
}

impl PartialOrd for MapPartitions {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match self.name.partial_cmp(&other.name) {
            Some(Ordering::Equal) => self.input.partial_cmp(&other.input),
            other => other,
        }
    }
}

impl UserDefinedLogicalNodeCore for MapPartitions {
    fn name(&self) -> &str {
        "MapPartitions"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        vec![]
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "MapPartitions: {}", self.name)
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        let Some(input) = inputs.into_iter().next() else {
            return internal_err!("MapPartitions takes one input");
        };
        Ok(MapPartitions {
            input,
            ..self.clone()
        })
    }
}

#[derive(Debug)]
pub struct MapPartitionsExec {
    input: Arc<dyn ExecutionPlan>,
    name: String,
    command: Arc<Vec<u8>>,
    eval_type: i32,
    keys: Vec<Arc<dyn datafusion::physical_expr::PhysicalExpr>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl MapPartitionsExec {
    fn new(
        input: Arc<dyn ExecutionPlan>,
        name: String,
        command: Vec<u8>,
        eval_type: i32,
        keys: Vec<Arc<dyn datafusion::physical_expr::PhysicalExpr>>,
        schema: SchemaRef,
    ) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            input.properties().output_partitioning().clone(),
            EmissionType::Final,
            Boundedness::Bounded,
        );
        MapPartitionsExec {
            input,
            name,
            command: Arc::new(command),
            eval_type,
            keys,
            schema,
            properties: Arc::new(properties),
        }
    }
}

impl DisplayAs for MapPartitionsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "MapPartitionsExec: {}", self.name)
    }
}

impl ExecutionPlan for MapPartitionsExec {
    fn name(&self) -> &str {
        "MapPartitionsExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn required_input_distribution(&self) -> Vec<datafusion::physical_expr::Distribution> {
        use datafusion::physical_expr::Distribution;
        if self.keys.is_empty() {
            vec![Distribution::UnspecifiedDistribution]
        } else {
            vec![Distribution::KeyPartitioned(self.keys.clone())]
        }
    }

    fn apply_expressions(
        &self,
        _visit: &mut dyn FnMut(
            &Arc<dyn datafusion::physical_expr::PhysicalExpr>,
        ) -> Result<datafusion::common::tree_node::TreeNodeRecursion>,
    ) -> Result<datafusion::common::tree_node::TreeNodeRecursion> {
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(input) = children.into_iter().next() else {
            return internal_err!("MapPartitionsExec takes one input");
        };
        Ok(Arc::new(MapPartitionsExec::new(
            input,
            self.name.clone(),
            self.command.as_ref().clone(),
            self.eval_type,
            self.keys.clone(),
            Arc::clone(&self.schema),
        )))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let interrupt = crate::query_interrupt(context.session_config().options());
        let input = self.input.execute(partition, context)?;
        let input_schema = input.schema();
        let output = Arc::clone(&self.schema);
        let command = Arc::clone(&self.command);
        let eval_type = u32::try_from(self.eval_type).unwrap_or_default();
        let results = async move {
            let batches: Vec<_> = input.try_collect().await?;
            let answer = tokio::task::spawn_blocking(move || {
                worker::call(
                    &interrupt,
                    eval_type,
                    &command,
                    &input_schema,
                    &batches,
                    &output,
                )
            })
            .await
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
            Ok::<_, datafusion::error::DataFusionError>(futures::stream::iter(
                answer.into_iter().map(Ok),
            ))
        };
        let stream = futures::stream::once(results).try_flatten().boxed();
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            stream,
        )))
    }
}
