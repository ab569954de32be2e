//! A plan node that appends one column computed from a row's position in its partition:
//! Spark's seeded random draw (`rand(seed)`, `sample`, `randomSplit`, `sampleBy`) or the
//! partition index (`spark_partition_id()`). Neither is a function of the row's values, so
//! neither can be a scalar function; `ember-exec` plans this node as its own operator.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{DFSchema, DFSchemaRef, Result};
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

/// What the appended column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd)]
pub enum RowMark {
    /// A uniform double in [0, 1) from Spark's XORShift generator seeded with
    /// `seed + partition index`, one draw per row in order.
    Draw { seed: i64 },
    /// A standard normal draw from the same generator (Java's `nextGaussian`): `randn(seed)`.
    Gaussian { seed: i64 },
    /// `randstr(length, seed)`: `length` characters from 0-9, a-z and A-Z, drawn from the
    /// same generator as `Draw`.
    RandomString { seed: i64, length: i32 },
    /// The index of the partition the row is in.
    PartitionId,
    /// Spark's `monotonically_increasing_id()`: the partition index in the upper 31 bits and
    /// the row's position in its partition in the lower 33.
    MonotonicId,
}

impl RowMark {
    pub fn data_type(&self) -> DataType {
        match self {
            RowMark::Draw { .. } | RowMark::Gaussian { .. } => DataType::Float64,
            RowMark::PartitionId => DataType::Int32,
            RowMark::MonotonicId => DataType::Int64,
            RowMark::RandomString { .. } => DataType::Utf8,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MarkRows {
    pub input: LogicalPlan,
    pub mark: RowMark,
    pub column: String,
    schema: DFSchemaRef,
}

impl MarkRows {
    pub fn try_new(input: LogicalPlan, mark: RowMark, column: String) -> Result<Self> {
        let mut fields: Vec<_> = input
            .schema()
            .iter()
            .map(|(q, f)| (q.cloned(), Arc::clone(f)))
            .collect();
        fields.push((None, Arc::new(Field::new(&column, mark.data_type(), false))));
        let schema = DFSchema::new_with_metadata(fields, input.schema().metadata().clone())?;
        Ok(MarkRows {
            input,
            mark,
            column,
            schema: Arc::new(schema),
        })
    }

    pub fn into_plan(self) -> LogicalPlan {
        LogicalPlan::Extension(datafusion::logical_expr::Extension {
            node: Arc::new(self),
        })
    }
}

impl PartialOrd for MarkRows {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match self.mark.partial_cmp(&other.mark) {
            Some(Ordering::Equal) => match self.column.partial_cmp(&other.column) {
                Some(Ordering::Equal) => self.input.partial_cmp(&other.input),
                other => other,
            },
            other => other,
        }
    }
}

impl UserDefinedLogicalNodeCore for MarkRows {
    fn name(&self) -> &str {
        "MarkRows"
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
        write!(f, "MarkRows: {} = {:?}", self.column, self.mark)
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        let input = inputs.into_iter().next().ok_or_else(|| {
            datafusion::error::DataFusionError::Internal("MarkRows takes one input".into())
        })?;
        MarkRows::try_new(input, self.mark, self.column.clone())
    }
}

/// Replaces calls of the positional functions (`spark_partition_id()`, `rand(seed)`) in
/// `exprs` with columns that `MarkRows` nodes over `input` compute.
pub(crate) fn mark_positional(
    input: LogicalPlan,
    exprs: Vec<Expr>,
) -> crate::ResolveResult<(LogicalPlan, Vec<Expr>)> {
    use datafusion::common::tree_node::{Transformed, TreeNode};
    use datafusion::common::Column;
    use ember_functions::{MONOTONIC_ID, PARTITION_ID, SEEDED_RAND, SEEDED_RANDN, SEEDED_RANDSTR};

    let mut marks: Vec<(RowMark, String)> = Vec::new();
    let mut exprs_out = Vec::with_capacity(exprs.len());
    for expr in exprs {
        let rewritten = expr.transform_up(|e| {
            let Expr::ScalarFunction(call) = &e else {
                return Ok(Transformed::no(e));
            };
            let (mark, name) = match call.func.name() {
                PARTITION_ID => (RowMark::PartitionId, "__ember_partition_id".to_string()),
                MONOTONIC_ID => (RowMark::MonotonicId, "__ember_monotonic_id".to_string()),
                SEEDED_RANDSTR => {
                    let length = literal_i64(call.args.first(), "length", "randstr")?;
                    let seed = literal_i64(call.args.get(1), "seed", "randstr")?;
                    let length = i32::try_from(length).ok().filter(|l| *l >= 0).ok_or_else(|| {
                        datafusion::error::DataFusionError::Plan(format!(
                            "[INVALID_PARAMETER_VALUE] the length of randstr must be between 0 and {}, not {length}",
                            i32::MAX
                        ))
                    })?;
                    (
                        RowMark::RandomString { seed, length },
                        format!("__ember_randstr_{seed}_{length}"),
                    )
                }
                SEEDED_RAND | SEEDED_RANDN => {
                    let gaussian = call.func.name() == SEEDED_RANDN;
                    let seed = literal_i64(call.args.first(), "seed", "rand")?;
                    if gaussian {
                        (RowMark::Gaussian { seed }, format!("__ember_randn_{seed}"))
                    } else {
                        (RowMark::Draw { seed }, format!("__ember_rand_{seed}"))
                    }
                }
                _ => return Ok(Transformed::no(e)),
            };
            if !marks.iter().any(|(_, n)| *n == name) {
                marks.push((mark, name.clone()));
            }
            Ok(Transformed::yes(Expr::Column(Column::from_name(name))))
        })?;
        exprs_out.push(rewritten.data);
    }
    let mut plan = input;
    for (mark, name) in marks {
        plan = MarkRows::try_new(plan, mark, name)?.into_plan();
    }
    Ok((plan, exprs_out))
}

/// Replaces a generator call (`explode(a)`, `explode_outer(a)`) in `exprs` with the column of
/// an unnest of its array under `input`; Spark allows one generator per select.
pub(crate) fn unnest_generator(
    input: LogicalPlan,
    exprs: Vec<Expr>,
) -> crate::ResolveResult<(LogicalPlan, Vec<Expr>)> {
    use datafusion::common::tree_node::{Transformed, TreeNode};
    use datafusion::common::{Column, NullHandling, UnnestOptions};
    use datafusion::logical_expr::LogicalPlanBuilder;
    use ember_functions::{EXPLODE, EXPLODE_OUTER};

    const GENERATED: &str = "__ember_generated";
    let mut generator: Option<(Expr, bool)> = None;
    let mut out = Vec::with_capacity(exprs.len());
    for expr in exprs {
        let rewritten = expr.transform_up(|e| {
            let Expr::ScalarFunction(call) = &e else {
                return Ok(Transformed::no(e));
            };
            let outer = match call.func.name() {
                EXPLODE => false,
                EXPLODE_OUTER => true,
                _ => return Ok(Transformed::no(e)),
            };
            let argument = call.args.first().cloned().ok_or_else(|| {
                datafusion::error::DataFusionError::Plan("explode takes one argument".into())
            })?;
            // A generator with several output columns appears once per column.
            if generator.as_ref().is_some_and(|(a, o)| *a == argument && *o == outer) {
                return Ok(Transformed::yes(Expr::Column(Column::from_name(GENERATED))));
            }
            if generator.is_some() {
                return Err(datafusion::error::DataFusionError::Plan(
                    "[UNSUPPORTED_GENERATOR.MULTI_GENERATOR] Only one generator is allowed per select clause.".into(),
                ));
            }
            generator = Some((argument, outer));
            Ok(Transformed::yes(Expr::Column(Column::from_name(GENERATED))))
        })?;
        out.push(rewritten.data);
    }
    let Some((argument, outer)) = generator else {
        return Ok((input, out));
    };
    let mut columns: Vec<Expr> = input
        .schema()
        .iter()
        .map(|(q, f)| Expr::Column(Column::new(q.cloned(), f.name())))
        .collect();
    columns.push(argument.alias(GENERATED));
    let handling = if outer {
        NullHandling::PreserveAndExpandEmpty
    } else {
        NullHandling::Drop
    };
    let plan = LogicalPlanBuilder::from(input)
        .project(columns)?
        .unnest_column_with_options(
            Column::from_name(GENERATED),
            UnnestOptions::new().with_null_handling(handling),
        )?
        .build()?;
    Ok((plan, out))
}

/// The value of a literal argument (perhaps cast) of a positional function, as an i64; NULL
/// is 0, as Spark takes a NULL seed.
fn literal_i64(
    argument: Option<&Expr>,
    what: &str,
    function: &str,
) -> datafusion::error::Result<i64> {
    use datafusion::common::ScalarValue;
    let value = match argument {
        Some(Expr::Literal(value, _)) => Some(value.clone()),
        Some(Expr::Cast(cast)) => match cast.expr.as_ref() {
            Expr::Literal(value, _) => Some(value.clone()),
            _ => None,
        },
        _ => None,
    }
    .and_then(|v| v.cast_to(&DataType::Int64).ok());
    match value {
        Some(ScalarValue::Int64(Some(value))) => Ok(value),
        Some(ScalarValue::Int64(None)) => Ok(0),
        _ => Err(datafusion::error::DataFusionError::Plan(format!(
            "[INVALID_PARAMETER_VALUE] the {what} of {function} must be a literal"
        ))),
    }
}
