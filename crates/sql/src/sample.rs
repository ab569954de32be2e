//! `TABLESAMPLE`: a fraction of the rows (`PERCENT`, `BUCKET x OUT OF y`) or the first rows
//! (`n ROWS`), as Spark reads them.

use datafusion::sql::sqlparser::ast::{self, TableSample, TableSampleKind, TableSampleUnit};
use ember_spec::{Plan, Relation};

use crate::error::unsupported;
use crate::{SqlError, SqlResult};

pub(crate) fn sampled(plan: Plan, sample: TableSampleKind) -> SqlResult<Plan> {
    let sample = match sample {
        TableSampleKind::BeforeTableAlias(s) | TableSampleKind::AfterTableAlias(s) => *s,
    };
    let seed = match &sample.seed {
        Some(seed) => Some(number(&seed.value.to_string())? as i64),
        None => None,
    };
    let (lower, upper) = match &sample {
        TableSample {
            bucket: Some(bucket),
            ..
        } => {
            if bucket.on.is_some() {
                return unsupported("TABLESAMPLE (BUCKET ... ON ...)");
            }
            let numerator = number(&bucket.bucket.to_string())?;
            let denominator = number(&bucket.total.to_string())?;
            if denominator <= 0.0 || numerator <= 0.0 || numerator > denominator {
                return Err(SqlError::Analysis(format!(
                    "[INVALID_SAMPLING_FRACTION] Sampling fraction ({numerator} out of {denominator}) must be on interval [0, 1]."
                )));
            }
            ((numerator - 1.0) / denominator, numerator / denominator)
        }
        TableSample {
            quantity: Some(quantity),
            ..
        } => {
            let value = expr_number(&quantity.value)?;
            match quantity.unit {
                Some(TableSampleUnit::Rows) => {
                    return Ok(Plan::new(Relation::Limit {
                        input: Box::new(plan),
                        limit: value.max(0.0) as usize,
                    }))
                }
                Some(TableSampleUnit::Percent) => {
                    if !(0.0..=100.0).contains(&value) {
                        return Err(SqlError::Analysis(format!(
                            "[INVALID_SAMPLING_FRACTION] Sampling fraction ({}) must be on interval [0, 1].",
                            value / 100.0
                        )));
                    }
                    (0.0, value / 100.0)
                }
                None => return unsupported("TABLESAMPLE without PERCENT or ROWS"),
            }
        }
        _ => return unsupported("this TABLESAMPLE form"),
    };
    Ok(Plan::new(Relation::Sample {
        input: Box::new(plan),
        lower_bound: lower,
        upper_bound: upper,
        with_replacement: false,
        seed,
    }))
}

fn expr_number(expr: &ast::Expr) -> SqlResult<f64> {
    match expr {
        ast::Expr::Value(value) => number(&value.to_string()),
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => Ok(-expr_number(expr)?),
        other => Err(SqlError::syntax(
            other.to_string(),
            "TABLESAMPLE takes a number",
        )),
    }
}

fn number(text: &str) -> SqlResult<f64> {
    text.trim()
        .parse::<f64>()
        .map_err(|_| SqlError::syntax(text.to_string(), "TABLESAMPLE takes a number"))
}
