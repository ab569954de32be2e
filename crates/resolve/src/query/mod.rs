//! Relation resolution, one file per construct; this dispatcher is the only `match`.

mod aggregate;
mod columns;
mod corrupt_files;
mod csv_records;
mod join;
mod json_lines;
mod local_relation;
mod na;
mod project;
mod read;
mod recursive;
mod select;

mod set_operation;
mod show_string;
mod statistics;
mod summary;
mod table_function;
mod unpivot;

use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use ember_spec::{JoinType, Plan, Relation};

use crate::{ResolveResult, Resolver};

impl Resolver<'_> {
    pub(crate) async fn resolve_relation(&self, plan: Plan) -> ResolveResult<LogicalPlan> {
        let plan_id = plan.plan_id;
        match plan.relation {
            Relation::Read(source) => self.resolve_query_read(source).await,
            Relation::Project { input, expressions } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_project(input, &expressions)
            }
            Relation::Filter { input, condition } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_filter(input, &condition)
            }
            Relation::Join {
                left,
                right,
                join_type,
                condition,
                mut using_columns,
                natural,
            } => {
                let (left_id, right_id) = (left.plan_id, right.plan_id);
                let left = self.resolve_plan(*left).await?;
                let right = match right.relation {
                    Relation::Lateral { input } => {
                        let lateral = self.resolve_lateral(*input, &left).await?;
                        let every_row = match join_type {
                            JoinType::Inner | JoinType::Cross => true,
                            JoinType::LeftOuter => condition.is_none(),
                            _ => false,
                        };
                        let projected = if every_row {
                            self.lateral_as_projection(&lateral, &left)?
                        } else {
                            None
                        };
                        if let Some(projected) = projected {
                            return match &condition {
                                Some(condition) => self.resolve_query_filter(projected, condition),
                                None => Ok(projected),
                            };
                        }
                        lateral
                    }
                    _ => self.resolve_plan(*right).await?,
                };
                if natural {
                    using_columns = join::common_column_names(&left, &right);
                }
                self.resolve_query_join(
                    (left, left_id),
                    (right, right_id),
                    join_type,
                    condition.as_ref(),
                    &using_columns,
                )
            }
            Relation::SetOperation {
                left,
                right,
                kind,
                is_all,
                by_name,
                allow_missing_columns,
            } => {
                let left = self.resolve_plan(*left).await?;
                let right = self.resolve_plan(*right).await?;
                self.resolve_query_set_operation(
                    left,
                    right,
                    kind,
                    is_all,
                    by_name,
                    allow_missing_columns,
                )
            }
            Relation::Sort { input, order } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_sort(input, &order)
            }
            Relation::Limit { input, limit } => {
                let input = self.resolve_plan(*input).await?;
                Ok(LogicalPlanBuilder::from(input)
                    .limit(0, Some(limit))?
                    .build()?)
            }
            Relation::Offset { input, offset } => {
                let input = self.resolve_plan(*input).await?;
                Ok(LogicalPlanBuilder::from(input)
                    .limit(offset, None)?
                    .build()?)
            }
            Relation::Tail { input, limit } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_tail(input, limit).await
            }
            Relation::Aggregate {
                input,
                group_type,
                grouping,
                aggregates,
                pivot,
                grouping_sets,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_aggregate(
                    input,
                    group_type,
                    &grouping,
                    &aggregates,
                    pivot.as_ref(),
                    &grouping_sets,
                )
                .await
            }
            Relation::LocalRelation { arrow_ipc, schema } => {
                self.resolve_query_local_relation(arrow_ipc.as_deref(), schema.as_ref())
            }
            Relation::Range {
                start,
                end,
                step,
                num_partitions,
            } => self.resolve_query_range(start, end, step, num_partitions),
            Relation::SubqueryAlias { input, alias } => {
                let input = self.resolve_plan(*input).await?;
                self.remember_qualifier(plan_id, &alias);
                Ok(LogicalPlanBuilder::from(input).alias(alias)?.build()?)
            }
            Relation::Deduplicate { input, columns, .. } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_deduplicate(input, columns.as_deref())
            }
            Relation::Sample {
                input,
                lower_bound,
                upper_bound,
                with_replacement,
                seed,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_sample(input, lower_bound, upper_bound, with_replacement, seed)
            }
            Relation::SampleBy {
                input,
                column,
                fractions,
                seed,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_sample_by(input, &column, &fractions, seed)
            }
            Relation::WithColumns { input, columns } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_with_columns(input, &columns)
            }
            Relation::WithColumnsRenamed { input, renames } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_with_columns_renamed(input, &renames)
            }
            Relation::Drop {
                input,
                columns,
                names,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_drop(input, &columns, &names)
            }
            Relation::ToDf { input, names } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_to_df(input, &names)
            }
            Relation::ToSchema { input, schema } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_to_schema(input, &schema)
            }
            Relation::ShowString {
                input,
                num_rows,
                truncate,
                vertical,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_show_string(input, num_rows, truncate, vertical, false)
                    .await
            }
            Relation::HtmlString {
                input,
                num_rows,
                truncate,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_show_string(input, num_rows, truncate, false, true)
                    .await
            }
            Relation::Ml(relation) => self.resolve_ml(*relation).await,
            Relation::MapPartitions { input, function } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_map_partitions(input, &function)
            }
            Relation::GroupMap {
                input,
                grouping,
                function,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_group_map(input, &grouping, &function)
            }
            Relation::RecursiveQuery {
                name,
                anchor,
                step,
                distinct,
                max_level,
            } => {
                self.resolve_recursive_query(&name, *anchor, *step, distinct, max_level)
                    .await
            }
            Relation::RecursiveReference { name } => self.recursive_reference(&name),
            // Not on a join's right side, there is nothing to its left to name.
            Relation::Lateral { input } => self.resolve_plan(*input).await,
            // Found by `resolve_plan` while the server keeps its rows.
            Relation::CachedRemote { relation_id } => Err(crate::ResolveError::Analysis(format!(
                "No DataFrame with id {relation_id} is found in the session."
            ))),
            Relation::WithRelations { root, references } => {
                for reference in references {
                    self.remember_subquery(reference);
                }
                self.resolve_plan(*root).await
            }
            Relation::Repartition {
                input,
                num_partitions,
                by,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_repartition(input, num_partitions, &by)
            }
            Relation::Cached { input } => self.resolve_plan(*input).await,
            Relation::FillNa {
                input,
                columns,
                values,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_fill_na(input, &columns, &values)
            }
            Relation::DropNa {
                input,
                columns,
                min_non_nulls,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_drop_na(input, &columns, min_non_nulls)
            }
            Relation::Replace {
                input,
                columns,
                replacements,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_replace(input, &columns, &replacements)
            }
            Relation::Select(select) => self.resolve_query_select(*select).await,
            Relation::Values { rows } => self.resolve_query_values(&rows),
            Relation::TableFunction { name, arguments } => {
                self.resolve_query_table_function(&name, &arguments)
            }
            Relation::Describe { input, columns } => {
                let input = self.resolve_plan(*input).await?;
                let statistics = ["count", "mean", "stddev", "min", "max"]
                    .map(String::from)
                    .to_vec();
                self.resolve_query_summary(input, &columns, &statistics)
                    .await
            }
            Relation::Summary { input, statistics } => {
                let input = self.resolve_plan(*input).await?;
                let statistics = if statistics.is_empty() {
                    ["count", "mean", "stddev", "min", "25%", "50%", "75%", "max"]
                        .map(String::from)
                        .to_vec()
                } else {
                    statistics
                };
                self.resolve_query_summary(input, &[], &statistics).await
            }
            Relation::ApproxQuantile {
                input,
                columns,
                probabilities,
                relative_error,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_approx_quantile(input, &columns, &probabilities, relative_error)
                    .await
            }
            Relation::FreqItems {
                input,
                columns,
                support,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_freq_items(input, &columns, support)
                    .await
            }
            Relation::Covariance {
                input,
                first,
                second,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_pairwise_statistic(input, &first, &second, "covar_samp")
            }
            Relation::Correlation {
                input,
                first,
                second,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_pairwise_statistic(input, &first, &second, "corr")
            }
            Relation::Crosstab {
                input,
                first,
                second,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_crosstab(input, &first, &second).await
            }
            Relation::Unpivot {
                input,
                ids,
                values,
                variable_column_name,
                value_column_name,
            } => {
                let input = self.resolve_plan(*input).await?;
                self.resolve_query_unpivot(
                    input,
                    &ids,
                    values.as_deref(),
                    &variable_column_name,
                    &value_column_name,
                )
            }
        }
    }
}
