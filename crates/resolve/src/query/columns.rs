//! DataFrame column operations: withColumns, withColumnsRenamed, drop, toDF, to(schema),
//! dropDuplicates, sample, range, tail.

use std::sync::Arc;

use datafusion::catalog::TableFunctionImpl;
use datafusion::common::Column;
use datafusion::datasource::provider_as_source;
use datafusion::functions_table::generate_series::RangeFunc;
use datafusion::logical_expr::{cast, col, lit, Expr, LogicalPlan, LogicalPlanBuilder};
use ember_spec::{self as spec, DataType};

use super::project::project_named;
use crate::error::{ResolveError, ResolveResult};
use crate::expression::Named;
use crate::types::to_arrow;
use crate::Resolver;

/// The input's visible columns, as references that keep their qualifiers.
pub(crate) fn input_columns(input: &LogicalPlan) -> Vec<Named> {
    input
        .schema()
        .iter()
        .filter(|(_, f)| !crate::naming::is_internal_column(f.name()))
        .map(|(q, f)| Named {
            expr: Expr::Column(Column::new(q.cloned(), f.name())),
            name: f.name().clone(),
        })
        .collect()
}

impl Resolver<'_> {
    pub(crate) fn resolve_query_with_columns(
        &self,
        input: LogicalPlan,
        columns: &[(String, spec::Expr)],
    ) -> ResolveResult<LogicalPlan> {
        let mut items = input_columns(&input);
        for (name, expr) in columns {
            let resolved = self.resolve_expr(expr, input.schema())?;
            let named = Named {
                expr: resolved.expr,
                name: name.clone(),
            };
            match items.iter().position(|i| i.name.eq_ignore_ascii_case(name)) {
                Some(index) => items[index] = named,
                None => items.push(named),
            }
        }
        project_named(input, items, Vec::new())
    }

    pub(crate) fn resolve_query_with_columns_renamed(
        &self,
        input: LogicalPlan,
        renames: &[(String, String)],
    ) -> ResolveResult<LogicalPlan> {
        let mut items = input_columns(&input);
        for item in items.iter_mut() {
            if let Some((_, to)) = renames
                .iter()
                .find(|(from, _)| from.eq_ignore_ascii_case(&item.name))
            {
                item.name = to.clone();
            }
        }
        project_named(input, items, Vec::new())
    }

    pub(crate) fn resolve_query_drop(
        &self,
        input: LogicalPlan,
        columns: &[spec::Expr],
        names: &[String],
    ) -> ResolveResult<LogicalPlan> {
        let mut dropped = Vec::new();
        for column in columns {
            // Dropping a column that does not exist is a no-op in Spark; an ambiguous one is not.
            match self.resolve_expr(column, input.schema()) {
                Ok(resolved) => dropped.push(resolved.expr),
                Err(error @ ResolveError::AmbiguousReference { .. }) => return Err(error),
                Err(_) => {}
            }
        }
        let items: Vec<Named> = input_columns(&input)
            .into_iter()
            .filter(|item| {
                !names.iter().any(|n| n.eq_ignore_ascii_case(&item.name))
                    && !dropped.contains(&item.expr)
            })
            .collect();
        project_named(input, items, Vec::new())
    }

    pub(crate) fn resolve_query_to_df(
        &self,
        input: LogicalPlan,
        names: &[String],
    ) -> ResolveResult<LogicalPlan> {
        let mut items = input_columns(&input);
        if items.len() != names.len() {
            return Err(ResolveError::InvalidArgument(format!(
                "[INVALID_COLUMN_OR_FIELD_DATA_TYPE] The number of columns doesn't match.\nOld column names ({}): {}\nNew column names ({}): {}",
                items.len(),
                items.iter().map(|i| i.name.clone()).collect::<Vec<_>>().join(", "),
                names.len(),
                names.join(", ")
            )));
        }
        for (item, name) in items.iter_mut().zip(names) {
            item.name = name.clone();
        }
        project_named(input, items, Vec::new())
    }

    pub(crate) fn resolve_query_to_schema(
        &self,
        input: LogicalPlan,
        schema: &DataType,
    ) -> ResolveResult<LogicalPlan> {
        let DataType::Struct(fields) = schema else {
            return Err(ResolveError::InvalidArgument(
                "to() needs a struct schema".into(),
            ));
        };
        let available = input_columns(&input);
        let mut items = Vec::new();
        for field in fields {
            let Some(found) = available
                .iter()
                .find(|i| i.name.eq_ignore_ascii_case(&field.name))
            else {
                return Err(ResolveError::UnresolvedColumn {
                    name: format!("`{}`", field.name),
                    suggestions: available
                        .iter()
                        .map(|i| format!("`{}`", i.name))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            items.push(Named {
                expr: cast(found.expr.clone(), to_arrow(&field.data_type)?),
                name: field.name.clone(),
            });
        }
        project_named(input, items, Vec::new())
    }

    pub(crate) fn resolve_query_deduplicate(
        &self,
        input: LogicalPlan,
        columns: Option<&[String]>,
    ) -> ResolveResult<LogicalPlan> {
        let Some(columns) = columns.filter(|c| !c.is_empty()) else {
            return Ok(LogicalPlanBuilder::from(input).distinct()?.build()?);
        };
        let mut keys = Vec::new();
        for name in columns {
            let column = spec::Expr::Column {
                name: vec![name.clone()],
                plan_id: None,
            };
            keys.push(self.resolve_expr(&column, input.schema())?.expr);
        }
        let select: Vec<Expr> = input_columns(&input).into_iter().map(|n| n.expr).collect();
        Ok(LogicalPlanBuilder::from(input)
            .distinct_on(keys, select, None)?
            .build()?)
    }

    pub(crate) fn resolve_query_sample(
        &self,
        input: LogicalPlan,
        lower_bound: f64,
        upper_bound: f64,
        with_replacement: bool,
        seed: Option<i64>,
    ) -> ResolveResult<LogicalPlan> {
        if with_replacement {
            return Err(ResolveError::Unsupported(
                "sampling with replacement".into(),
            ));
        }
        // Bernoulli sampling, as Spark does it: a row is kept when its draw falls in
        // [lower, upper). Draws repeat for a seed, so `randomSplit`'s pieces (one sample per
        // range) never overlap and together hold every row.
        let (marked, draw, original) = self.with_draw(input, seed)?;
        let keep = draw
            .clone()
            .gt_eq(lit(lower_bound))
            .and(draw.lt(lit(upper_bound)));
        Ok(LogicalPlanBuilder::from(marked)
            .filter(keep)?
            .project(original)?
            .build()?)
    }

    pub(crate) fn resolve_query_sample_by(
        &self,
        input: LogicalPlan,
        column: &spec::Expr,
        fractions: &[(spec::Literal, f64)],
        seed: Option<i64>,
    ) -> ResolveResult<LogicalPlan> {
        for (_, fraction) in fractions {
            if !(0.0..=1.0).contains(fraction) {
                return Err(ResolveError::InvalidArgument(format!(
                    "[INVALID_PARAMETER_VALUE] sampleBy fractions must be in [0, 1], got {fraction}"
                )));
            }
        }
        let stratum = self.resolve_expr(column, input.schema())?.expr;
        let Some(((first, first_fraction), rest)) = fractions.split_first() else {
            return Ok(LogicalPlanBuilder::from(input)
                .filter(lit(false))?
                .build()?);
        };
        let literal = |l: &spec::Literal| crate::types::literal_to_scalar(l).map(lit);
        let mut chosen = datafusion::logical_expr::when(
            stratum.clone().eq(literal(first)?),
            lit(*first_fraction),
        );
        for (value, fraction) in rest {
            chosen = chosen.when(stratum.clone().eq(literal(value)?), lit(*fraction));
        }
        let fraction = chosen.otherwise(lit(0.0))?;
        let (marked, draw, original) = self.with_draw(input, seed)?;
        Ok(LogicalPlanBuilder::from(marked)
            .filter(draw.lt(fraction))?
            .project(original)?
            .build()?)
    }

    /// `input` with a draw in [0, 1) for each row (Spark's per-partition generator; a fresh
    /// seed when none is given), the draw's column, and a projection back to `input`'s columns.
    fn with_draw(
        &self,
        input: LogicalPlan,
        seed: Option<i64>,
    ) -> ResolveResult<(LogicalPlan, Expr, Vec<Expr>)> {
        let seed = seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as i64)
                .unwrap_or_default()
        });
        let original: Vec<Expr> = input_columns(&input).into_iter().map(|n| n.expr).collect();
        let name = format!("{}_draw", self.fresh_alias());
        let marked = crate::MarkRows::try_new(input, crate::RowMark::Draw { seed }, name.clone())?;
        Ok((marked.into_plan(), col(Column::from_name(name)), original))
    }

    pub(crate) fn resolve_query_range(
        &self,
        start: i64,
        end: i64,
        step: i64,
        num_partitions: Option<usize>,
    ) -> ResolveResult<LogicalPlan> {
        if step == 0 {
            return Err(ResolveError::InvalidArgument(
                "[FAILED_FUNCTION_CALL] range step must not be 0".into(),
            ));
        }
        let count = if (end - start).signum() == step.signum() {
            ((end as i128 - start as i128).abs() + step.unsigned_abs() as i128 - 1)
                / step.unsigned_abs() as i128
        } else {
            0
        };
        let slices = num_partitions.unwrap_or(1).min(count.max(1) as usize);
        if slices > 1 {
            // As Spark slices a range: partition i holds elements [i*n/k, (i+1)*n/k).
            let mut plan: Option<LogicalPlanBuilder> = None;
            for i in 0..slices as i128 {
                let low = start as i128 + i * count / slices as i128 * step as i128;
                let high = start as i128 + (i + 1) * count / slices as i128 * step as i128;
                let slice = self.resolve_query_range(low as i64, high as i64, step, None)?;
                plan = Some(match plan {
                    None => LogicalPlanBuilder::from(slice),
                    Some(builder) => builder.union(slice)?,
                });
            }
            if let Some(plan) = plan {
                return Ok(plan.build()?);
            }
        }
        let arguments = [lit(start), lit(end), lit(step)];
        let provider = RangeFunc {}.call_with_args(datafusion::catalog::TableFunctionArgs::new(
            &arguments,
            &self.state,
        ))?;
        let alias = self.fresh_alias();
        let plan = LogicalPlanBuilder::scan(alias, provider_as_source(provider), None)?.build()?;
        Ok(LogicalPlanBuilder::from(plan)
            .project(vec![col("value").alias("id")])?
            .build()?)
    }

    pub(crate) fn resolve_query_repartition(
        &self,
        input: LogicalPlan,
        num_partitions: Option<usize>,
        by: &[spec::Expr],
    ) -> ResolveResult<LogicalPlan> {
        use datafusion::logical_expr::Partitioning;
        let target = num_partitions.unwrap_or_else(|| self.state.config().target_partitions());
        let scheme = if !by.is_empty() {
            let keys = by
                .iter()
                .map(|e| Ok(self.resolve_expr(e, input.schema())?.expr))
                .collect::<ResolveResult<Vec<_>>>()?;
            Partitioning::Hash(keys, target)
        } else if num_partitions.is_none() {
            return Ok(input);
        } else {
            // Rows spread over the partitions by the hash of all their values; `coalesce`
            // ends up with the same partition count.
            let keys = input_columns(&input).into_iter().map(|n| n.expr).collect();
            Partitioning::Hash(keys, target)
        };
        Ok(LogicalPlanBuilder::from(input)
            .repartition(scheme)?
            .build()?)
    }

    pub(crate) fn resolve_query_map_partitions(
        &self,
        input: LogicalPlan,
        function: &spec::PythonUdf,
    ) -> ResolveResult<LogicalPlan> {
        if ![ember_udf::MAP_PANDAS_ITER, ember_udf::MAP_ARROW_ITER].contains(&function.eval_type) {
            return Err(ResolveError::Unsupported(format!(
                "Python functions of eval type {} over partitions",
                function.eval_type
            )));
        }
        let output = struct_schema(&function.output_type)?;
        // The function sees plain column names, without the resolver's qualifiers.
        let plain = input_columns(&input)
            .into_iter()
            .map(|n| n.into_projection())
            .collect::<Vec<_>>();
        let input = LogicalPlanBuilder::from(input).project(plain)?.build()?;
        Ok(ember_udf::MapPartitions::try_new(
            input,
            function.name.clone(),
            function.command.clone(),
            function.eval_type,
            Vec::new(),
            output,
        )?
        .into_plan())
    }

    /// `groupBy(keys).applyInPandas(f, schema)`: the keys travel as extra columns
    /// (`__key_0`, ...) so the worker can split the rows into groups.
    pub(crate) fn resolve_query_group_map(
        &self,
        input: LogicalPlan,
        grouping: &[spec::Expr],
        function: &spec::PythonUdf,
    ) -> ResolveResult<LogicalPlan> {
        if function.eval_type != ember_udf::GROUPED_MAP_PANDAS {
            return Err(ResolveError::Unsupported(format!(
                "Python functions of eval type {} over groups",
                function.eval_type
            )));
        }
        let output = struct_schema(&function.output_type)?;
        let mut exprs: Vec<Expr> = input_columns(&input)
            .into_iter()
            .map(|n| n.into_projection())
            .collect();
        let mut keys = Vec::with_capacity(grouping.len());
        for (index, key) in grouping.iter().enumerate() {
            let name = format!("{}{index}", ember_udf::KEY_PREFIX);
            exprs.push(self.resolve_expr(key, input.schema())?.expr.alias(&name));
            keys.push(name);
        }
        let input = LogicalPlanBuilder::from(input).project(exprs)?.build()?;
        Ok(ember_udf::MapPartitions::try_new(
            input,
            function.name.clone(),
            function.command.clone(),
            function.eval_type,
            keys,
            output,
        )?
        .into_plan())
    }

    pub(crate) async fn resolve_query_tail(
        &self,
        input: LogicalPlan,
        limit: usize,
    ) -> ResolveResult<LogicalPlan> {
        let schema = Arc::new(input.schema().as_arrow().clone());
        let batches = self.collect_in_order(input).await?;
        let total: usize = batches.iter().map(|b| b.num_rows()).sum();
        let mut skip = total.saturating_sub(limit);
        let mut kept = Vec::new();
        for batch in batches {
            if skip >= batch.num_rows() {
                skip -= batch.num_rows();
                continue;
            }
            kept.push(batch.slice(skip, batch.num_rows() - skip));
            skip = 0;
        }
        self.scan_batches(schema, kept)
    }
}

/// The Arrow schema of a function's declared struct output.
fn struct_schema(data_type: &DataType) -> ResolveResult<datafusion::arrow::datatypes::Schema> {
    let DataType::Struct(fields) = data_type else {
        return Err(ResolveError::InvalidArgument(
            "the declared schema of a Python function over rows must be a struct".into(),
        ));
    };
    Ok(datafusion::arrow::datatypes::Schema::new(
        fields
            .iter()
            .map(|f| {
                Ok(datafusion::arrow::datatypes::Field::new(
                    &f.name,
                    to_arrow(&f.data_type)?,
                    true,
                ))
            })
            .collect::<ResolveResult<Vec<_>>>()?,
    ))
}
