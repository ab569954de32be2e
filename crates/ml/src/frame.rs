//! Data in and out of ML operators: reading columns of a plan, adding computed columns.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Column, DFSchema};
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlan, LogicalPlanBuilder, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use ember_functions::Vector;

use crate::error::{illegal, MlResult};

/// The column named `name` in `schema` (exact name, as Spark ML looks columns up).
pub fn column(schema: &DFSchema, name: &str) -> MlResult<(Expr, DataType)> {
    for (qualifier, field) in schema.iter() {
        if field.name() == name {
            return Ok((
                Expr::Column(Column::new(qualifier.cloned(), name)),
                field.data_type().clone(),
            ));
        }
    }
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    illegal(format!(
        "{name} does not exist. Available: {}",
        names.join(", ")
    ))
}

/// `plan` with `columns` added at the end; a name that exists already is an error, as in
/// Spark.
pub fn append_columns(plan: LogicalPlan, columns: Vec<(String, Expr)>) -> MlResult<LogicalPlan> {
    let schema = plan.schema().clone();
    for (name, _) in &columns {
        if schema.fields().iter().any(|f| f.name() == name) {
            return illegal(format!("Output column {name} already exists."));
        }
    }
    let mut exprs: Vec<Expr> = schema
        .iter()
        .map(|(q, f)| Expr::Column(Column::new(q.cloned(), f.name())))
        .collect();
    exprs.extend(columns.into_iter().map(|(name, e)| match e {
        Expr::Alias(alias) if alias.name == name => Expr::Alias(alias),
        other => other.alias(name),
    }));
    Ok(LogicalPlanBuilder::from(plan).project(exprs)?.build()?)
}

/// `plan` with column `name` computed by `expr` instead, in its place.
pub fn replace_column(plan: LogicalPlan, name: &str, expr: Expr) -> MlResult<LogicalPlan> {
    let mut replacement = Some(expr);
    let exprs: Vec<Expr> = plan
        .schema()
        .iter()
        .map(|(q, f)| match replacement.take_if(|_| f.name() == name) {
            Some(e) => e.alias(name),
            None => Expr::Column(Column::new(q.cloned(), f.name())),
        })
        .collect();
    Ok(LogicalPlanBuilder::from(plan).project(exprs)?.build()?)
}

/// `column` cast to double, as ML operators read numeric inputs.
pub fn as_double(column: Expr) -> Expr {
    Expr::Cast(datafusion::logical_expr::Cast::new(
        Box::new(column),
        DataType::Float64,
    ))
}

/// Runs `plan` and returns its rows, partition after partition, so training sees them in the
/// same order on every run (a seeded fit is then reproducible).
pub async fn collect(context: &SessionContext, plan: LogicalPlan) -> MlResult<Vec<RecordBatch>> {
    let partitions = context
        .execute_logical_plan(plan)
        .await?
        .collect_partitioned()
        .await?;
    Ok(partitions.into_iter().flatten().collect())
}

/// A plan of just `exprs` over `plan`.
pub fn select(plan: LogicalPlan, exprs: Vec<Expr>) -> MlResult<LogicalPlan> {
    Ok(LogicalPlanBuilder::from(plan).project(exprs)?.build()?)
}

/// Column `index` of every batch, as doubles (NULL as `None`).
pub fn doubles(batches: &[RecordBatch], index: usize) -> MlResult<Vec<Option<f64>>> {
    let mut out = Vec::new();
    for batch in batches {
        let column = datafusion::arrow::compute::cast(batch.column(index), &DataType::Float64)?;
        let values = column.as_primitive::<Float64Type>();
        out.extend(values.iter());
    }
    Ok(out)
}

/// Column `index` of every batch, as vectors.
pub fn vectors(batches: &[RecordBatch], index: usize) -> MlResult<Vec<Option<Vector>>> {
    let mut out = Vec::new();
    for batch in batches {
        out.extend(ember_functions::read_vectors(batch.column(index).as_ref())?);
    }
    Ok(out)
}

/// Column `index` of every batch, as text (numbers as Spark casts them to string).
pub fn strings(batches: &[RecordBatch], index: usize) -> MlResult<Vec<Option<String>>> {
    let mut out = Vec::new();
    for batch in batches {
        let column = batch.column(index);
        let text = match column.data_type() {
            DataType::Utf8 => column.clone(),
            _ => datafusion::arrow::compute::cast(column, &DataType::Utf8)?,
        };
        out.extend(
            text.as_string::<i32>()
                .iter()
                .map(|v| v.map(str::to_string)),
        );
    }
    Ok(out)
}

/// Requires a column to hold vectors.
pub fn require_vector(name: &str, data_type: &DataType) -> MlResult<()> {
    if ember_functions::is_vector(data_type) {
        Ok(())
    } else {
        illegal(format!(
            "requirement failed: Column {name} must be of type class org.apache.spark.ml.linalg.VectorUDT:struct<type:tinyint,size:int,indices:array<int>,values:array<double>> but was actually class {}.",
            ember_resolve::from_arrow(data_type).simple_string()
        ))
    }
}

/// Requires a numeric column.
pub fn require_numeric(name: &str, data_type: &DataType) -> MlResult<()> {
    if data_type.is_numeric() || matches!(data_type, DataType::Boolean) {
        Ok(())
    } else {
        illegal(format!(
            "requirement failed: Column {name} must be of type numeric but was actually of type {}.",
            ember_resolve::from_arrow(data_type).simple_string()
        ))
    }
}

type Kernel = dyn Fn(&[ArrayRef]) -> datafusion::error::Result<ArrayRef> + Send + Sync;

/// A row-wise function a model computes: a closure over the model's state.
pub struct ModelFunction {
    name: String,
    /// Tells functions of different models apart for plan comparisons.
    id: u64,
    return_type: DataType,
    signature: Signature,
    kernel: Arc<Kernel>,
}

impl std::fmt::Debug for ModelFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ModelFunction({})", self.name)
    }
}

impl PartialEq for ModelFunction {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for ModelFunction {}
impl std::hash::Hash for ModelFunction {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// An expression computing `kernel` over `args` row by row.
pub fn model_call(
    name: &str,
    return_type: DataType,
    args: Vec<Expr>,
    kernel: impl Fn(&[ArrayRef]) -> datafusion::error::Result<ArrayRef> + Send + Sync + 'static,
) -> Expr {
    let function = ModelFunction {
        name: name.to_string(),
        id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        return_type,
        signature: Signature::variadic_any(Volatility::Immutable),
        kernel: Arc::new(kernel),
    };
    ScalarUDF::new_from_impl(function).call(args)
}

impl ScalarUDFImpl for ModelFunction {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(self.return_type.clone())
    }
    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(args.number_rows))
            .collect::<datafusion::error::Result<Vec<_>>>()?;
        Ok(ColumnarValue::Array((self.kernel)(&arrays)?))
    }
}

/// `expr AS name` whose field carries Spark metadata (JSON text), as ML attributes do.
pub fn with_metadata(expr: Expr, name: &str, metadata: &serde_json::Value) -> Expr {
    let map = std::collections::HashMap::from([(
        ember_resolve::SPARK_METADATA_KEY.to_string(),
        metadata.to_string(),
    )]);
    expr.alias_with_metadata(
        name,
        Some(datafusion::common::metadata::FieldMetadata::from(map)),
    )
}
