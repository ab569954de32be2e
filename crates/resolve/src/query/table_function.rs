//! Table-valued functions: `range(...)` becomes a range relation; a generator becomes a
//! SELECT of it over one row, so `explode`, `inline`, `stack` and friends come from the
//! function catalog like anywhere else.

use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use ember_spec::{self as spec, Literal};

use super::project::project_named;
use crate::error::{ResolveError, ResolveResult};
use crate::Resolver;

impl Resolver<'_> {
    pub(crate) fn resolve_query_table_function(
        &self,
        name: &str,
        arguments: &[spec::Expr],
    ) -> ResolveResult<LogicalPlan> {
        if name.eq_ignore_ascii_case("range") {
            return self.table_function_range(arguments);
        }
        if let Some((function, display)) = self.sql_function(name, true)? {
            return self.expand_sql_table_function(&function, &display, arguments);
        }
        let one_row = LogicalPlanBuilder::empty(true).build()?;
        let call = spec::Expr::Function {
            name: name.to_ascii_lowercase(),
            arguments: arguments.to_vec(),
            is_distinct: false,
        };
        let items = self.resolve_items(&call, one_row.schema())?;
        project_named(one_row, items, Vec::new())
    }

    fn table_function_range(&self, arguments: &[spec::Expr]) -> ResolveResult<LogicalPlan> {
        let mut values = Vec::with_capacity(arguments.len());
        for argument in arguments {
            values.push(match argument {
                spec::Expr::Literal(Literal::Integer(v)) => i64::from(*v),
                spec::Expr::Literal(Literal::Long(v)) => *v,
                spec::Expr::Literal(Literal::Short(v)) => i64::from(*v),
                spec::Expr::Literal(Literal::Byte(v)) => i64::from(*v),
                _ => {
                    return Err(ResolveError::Analysis(
                        "[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] range() takes constant integers."
                            .into(),
                    ))
                }
            });
        }
        let (start, end, step, partitions) = match values.as_slice() {
            [end] => (0, *end, 1, None),
            [start, end] => (*start, *end, 1, None),
            [start, end, step] => (*start, *end, *step, None),
            [start, end, step, partitions] => (*start, *end, *step, Some(*partitions)),
            _ => {
                return Err(ResolveError::Analysis(format!(
                    "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `range` requires [1, 2, 3, 4] parameters but the actual number is {}.",
                    values.len()
                )))
            }
        };
        let partitions = partitions
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n > 0);
        self.resolve_query_range(start, end, step, partitions)
    }
}
