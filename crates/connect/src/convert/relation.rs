// Older clients still send fields the protocol has since deprecated.
#![allow(deprecated)]

use ember_proto::spark::connect::read::ReadType;
use ember_proto::spark::connect::relation::RelType;
use ember_proto::spark::connect::write_operation::SaveType;
use ember_proto::spark::connect::{
    Relation as ProtoRelation, WriteOperation as ProtoWrite, WriteOperationV2 as ProtoWriteV2,
};
use ember_spec::{
    Expr, GroupType, JoinType, Pivot, Plan, ReadSource, Relation, SaveMode, SetOperationKind,
    TableWrite, TableWriteMode, WriteOperation,
};

use super::expression::{sort_order_from_proto, split_identifier};
use super::{expression_from_proto, literal_from_proto, parse_schema_text, required};
use crate::error::{ConnectError, ConnectResult};

fn input(relation: Option<&ProtoRelation>, field: &str) -> ConnectResult<Box<Plan>> {
    Ok(Box::new(plan_from_proto(required(relation, field)?)?))
}

fn expressions(list: &[ember_proto::spark::connect::Expression]) -> ConnectResult<Vec<Expr>> {
    list.iter().map(expression_from_proto).collect()
}

fn count(value: i32, field: &str) -> ConnectResult<usize> {
    usize::try_from(value)
        .map_err(|_| ConnectError::InvalidPlan(format!("negative {field}: {value}")))
}

fn sorted_options(options: &std::collections::HashMap<String, String>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = options
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.sort();
    out
}

pub fn plan_from_proto(proto: &ProtoRelation) -> ConnectResult<Plan> {
    let plan_id = proto.common.as_ref().and_then(|c| c.plan_id);
    let rel_type = required(proto.rel_type.as_ref(), "relation.rel_type")?;
    let relation = match rel_type {
        RelType::CachedRemoteRelation(cached) => Relation::CachedRemote {
            relation_id: cached.relation_id.clone(),
        },
        RelType::Read(read) => match required(read.read_type.as_ref(), "read.read_type")? {
            ReadType::NamedTable(table) => Relation::Read(ReadSource::Table {
                name: split_identifier(&table.unparsed_identifier),
            }),
            ReadType::DataSource(source) => {
                let format = source.format.clone().unwrap_or_else(|| "parquet".into());
                let paths = source.paths.clone();
                let schema = source
                    .schema
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .map(parse_schema_text)
                    .transpose()?;
                let mut options = sorted_options(&source.options);
                if read.is_streaming {
                    // `readStream.load(path)` sends the path as an option.
                    let mut paths = paths;
                    if let Some(i) = options.iter().position(|(k, _)| k == "path") {
                        paths.push(options.remove(i).1);
                    }
                    Relation::Read(ReadSource::Stream {
                        format,
                        paths,
                        schema,
                        options,
                    })
                } else {
                    Relation::Read(ReadSource::Files {
                        format,
                        paths,
                        schema,
                        options,
                    })
                }
            }
        },
        RelType::Project(project) => {
            let expressions = expressions(&project.expressions)?;
            match project.input.as_deref() {
                Some(i) => Relation::Project {
                    input: input(Some(i), "project.input")?,
                    expressions,
                },
                // `spark.range(1).select(...)`-less projections: one empty row.
                None => Relation::Project {
                    input: Box::new(Plan::new(Relation::Range {
                        start: 0,
                        end: 1,
                        step: 1,
                        num_partitions: None,
                    })),
                    expressions,
                },
            }
        }
        RelType::Filter(filter) => Relation::Filter {
            input: input(filter.input.as_deref(), "filter.input")?,
            condition: expression_from_proto(required(
                filter.condition.as_ref(),
                "filter.condition",
            )?)?,
        },
        RelType::Join(join) => Relation::Join {
            left: input(join.left.as_deref(), "join.left")?,
            right: input(join.right.as_deref(), "join.right")?,
            join_type: match join.join_type {
                0 | 1 => JoinType::Inner,
                2 => JoinType::FullOuter,
                3 => JoinType::LeftOuter,
                4 => JoinType::RightOuter,
                5 => JoinType::LeftAnti,
                6 => JoinType::LeftSemi,
                7 => JoinType::Cross,
                other => return Err(ConnectError::InvalidPlan(format!("join type {other}"))),
            },
            condition: join
                .join_condition
                .as_ref()
                .map(expression_from_proto)
                .transpose()?,
            using_columns: join.using_columns.clone(),
            natural: false,
        },
        RelType::SetOp(op) => Relation::SetOperation {
            left: input(op.left_input.as_deref(), "set_op.left_input")?,
            right: input(op.right_input.as_deref(), "set_op.right_input")?,
            kind: match op.set_op_type {
                1 => SetOperationKind::Intersect,
                2 => SetOperationKind::Union,
                3 => SetOperationKind::Except,
                other => return Err(ConnectError::InvalidPlan(format!("set operation {other}"))),
            },
            is_all: op.is_all.unwrap_or(false),
            by_name: op.by_name.unwrap_or(false),
            allow_missing_columns: op.allow_missing_columns.unwrap_or(false),
        },
        RelType::Sort(sort) => Relation::Sort {
            input: input(sort.input.as_deref(), "sort.input")?,
            order: sort
                .order
                .iter()
                .map(sort_order_from_proto)
                .collect::<ConnectResult<_>>()?,
        },
        RelType::Limit(limit) => Relation::Limit {
            input: input(limit.input.as_deref(), "limit.input")?,
            limit: count(limit.limit, "limit")?,
        },
        RelType::Offset(offset) => Relation::Offset {
            input: input(offset.input.as_deref(), "offset.input")?,
            offset: count(offset.offset, "offset")?,
        },
        RelType::Tail(tail) => Relation::Tail {
            input: input(tail.input.as_deref(), "tail.input")?,
            limit: count(tail.limit, "tail limit")?,
        },
        RelType::Aggregate(aggregate) => Relation::Aggregate {
            input: input(aggregate.input.as_deref(), "aggregate.input")?,
            group_type: match aggregate.group_type {
                2 => GroupType::Rollup,
                3 => GroupType::Cube,
                4 => GroupType::Pivot,
                5 => GroupType::GroupingSets,
                _ => GroupType::GroupBy,
            },
            grouping: expressions(&aggregate.grouping_expressions)?,
            aggregates: expressions(&aggregate.aggregate_expressions)?,
            pivot: aggregate
                .pivot
                .as_ref()
                .map(|p| -> ConnectResult<Pivot> {
                    Ok(Pivot {
                        column: expression_from_proto(required(p.col.as_ref(), "pivot.col")?)?,
                        values: p
                            .values
                            .iter()
                            .map(literal_from_proto)
                            .collect::<ConnectResult<_>>()?,
                        labels: Vec::new(),
                        group_by_other_columns: false,
                    })
                })
                .transpose()?,
            grouping_sets: aggregate
                .grouping_sets
                .iter()
                .map(|s| expressions(&s.grouping_set))
                .collect::<ConnectResult<_>>()?,
        },
        RelType::MlRelation(ml) => Relation::Ml(Box::new(super::ml::ml_relation_from_proto(ml)?)),
        RelType::Sql(sql) => {
            return Ok(Plan {
                plan_id,
                ..ember_sql::parse_query(&sql.query, sql_parameters(sql)?)?
            })
        }
        RelType::UnresolvedTableValuedFunction(function) => Relation::TableFunction {
            name: function.function_name.clone(),
            arguments: expressions(&function.arguments)?,
        },
        RelType::LocalRelation(local) => Relation::LocalRelation {
            arrow_ipc: local.data.clone(),
            schema: local
                .schema
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(parse_schema_text)
                .transpose()?,
        },
        RelType::Range(range) => Relation::Range {
            start: range.start.unwrap_or(0),
            end: range.end,
            step: range.step,
            num_partitions: range
                .num_partitions
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0),
        },
        RelType::SubqueryAlias(alias) => Relation::SubqueryAlias {
            input: input(alias.input.as_deref(), "subquery_alias.input")?,
            alias: alias.alias.clone(),
        },
        RelType::Deduplicate(dedup) => Relation::Deduplicate {
            input: input(dedup.input.as_deref(), "deduplicate.input")?,
            columns: if dedup.all_columns_as_keys.unwrap_or(false) {
                None
            } else {
                Some(dedup.column_names.clone())
            },
            within_watermark: dedup.within_watermark.unwrap_or(false),
        },
        RelType::Sample(sample) => Relation::Sample {
            input: input(sample.input.as_deref(), "sample.input")?,
            lower_bound: sample.lower_bound,
            upper_bound: sample.upper_bound,
            with_replacement: sample.with_replacement.unwrap_or(false),
            seed: sample.seed,
        },
        RelType::SampleBy(sample) => Relation::SampleBy {
            input: input(sample.input.as_deref(), "sample_by.input")?,
            column: expression_from_proto(required(sample.col.as_ref(), "sample_by.col")?)?,
            fractions: sample
                .fractions
                .iter()
                .map(|f| {
                    let stratum = required(f.stratum.as_ref(), "sample_by.stratum")?;
                    Ok((literal_from_proto(stratum)?, f.fraction))
                })
                .collect::<ConnectResult<Vec<_>>>()?,
            seed: sample.seed,
        },
        RelType::WithColumns(with) => Relation::WithColumns {
            input: input(with.input.as_deref(), "with_columns.input")?,
            columns: with
                .aliases
                .iter()
                .map(|alias| {
                    let mut expr =
                        expression_from_proto(required(alias.expr.as_deref(), "alias.expr")?)?;
                    let name = alias.name.join(".");
                    // withMetadata: the new column carries the metadata.
                    if let Some(metadata) = alias.metadata.clone().filter(|m| !m.is_empty()) {
                        expr = Expr::Alias {
                            expr: Box::new(expr),
                            name: alias.name.clone(),
                            metadata: Some(metadata),
                        };
                    }
                    Ok((name, expr))
                })
                .collect::<ConnectResult<_>>()?,
        },
        RelType::WithColumnsRenamed(renamed) => {
            let mut renames: Vec<(String, String)> = renamed
                .renames
                .iter()
                .map(|r| (r.col_name.clone(), r.new_col_name.clone()))
                .collect();
            let mut legacy: Vec<(String, String)> = renamed
                .rename_columns_map
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            legacy.sort();
            renames.extend(legacy);
            Relation::WithColumnsRenamed {
                input: input(renamed.input.as_deref(), "with_columns_renamed.input")?,
                renames,
            }
        }
        RelType::Drop(drop) => Relation::Drop {
            input: input(drop.input.as_deref(), "drop.input")?,
            columns: expressions(&drop.columns)?,
            names: drop.column_names.clone(),
        },
        RelType::ToDf(to_df) => Relation::ToDf {
            input: input(to_df.input.as_deref(), "to_df.input")?,
            names: to_df.column_names.clone(),
        },
        RelType::ToSchema(to_schema) => Relation::ToSchema {
            input: input(to_schema.input.as_deref(), "to_schema.input")?,
            schema: super::data_type_from_proto(required(
                to_schema.schema.as_ref(),
                "to_schema.schema",
            )?)?,
        },
        RelType::ShowString(show) => Relation::ShowString {
            input: input(show.input.as_deref(), "show_string.input")?,
            num_rows: count(show.num_rows, "num_rows")?,
            truncate: count(show.truncate, "truncate")?,
            vertical: show.vertical,
        },
        RelType::HtmlString(html) => Relation::HtmlString {
            input: input(html.input.as_deref(), "html_string.input")?,
            num_rows: count(html.num_rows, "num_rows")?,
            truncate: count(html.truncate, "truncate")?,
        },
        RelType::Repartition(r) => Relation::Repartition {
            input: input(r.input.as_deref(), "repartition.input")?,
            num_partitions: usize::try_from(r.num_partitions).ok().filter(|n| *n > 0),
            by: Vec::new(),
        },
        RelType::RepartitionByExpression(r) => Relation::Repartition {
            input: input(r.input.as_deref(), "repartition.input")?,
            num_partitions: r
                .num_partitions
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0),
            by: r
                .partition_exprs
                .iter()
                .map(expression_from_proto)
                .collect::<ConnectResult<Vec<_>>>()?,
        },
        RelType::Hint(h) => Relation::Repartition {
            input: input(h.input.as_deref(), "hint.input")?,
            num_partitions: None,
            by: Vec::new(),
        },
        RelType::MapPartitions(map) => Relation::MapPartitions {
            input: input(map.input.as_deref(), "map_partitions.input")?,
            function: super::python_udf_from_proto(required(
                map.func.as_ref(),
                "map_partitions.func",
            )?)?,
        },
        RelType::GroupMap(map) => Relation::GroupMap {
            input: input(map.input.as_deref(), "group_map.input")?,
            grouping: map
                .grouping_expressions
                .iter()
                .map(expression_from_proto)
                .collect::<ConnectResult<Vec<_>>>()?,
            function: super::python_udf_from_proto(required(map.func.as_ref(), "group_map.func")?)?,
        },
        RelType::WithRelations(with) => Relation::WithRelations {
            root: input(with.root.as_deref(), "with_relations.root")?,
            references: with
                .references
                .iter()
                .map(plan_from_proto)
                .collect::<ConnectResult<Vec<_>>>()?,
        },
        RelType::Describe(d) => Relation::Describe {
            input: input(d.input.as_deref(), "describe.input")?,
            columns: d.cols.clone(),
        },
        RelType::Summary(s) => Relation::Summary {
            input: input(s.input.as_deref(), "summary.input")?,
            statistics: s.statistics.clone(),
        },
        RelType::FillNa(fill) => Relation::FillNa {
            input: input(fill.input.as_deref(), "fill_na.input")?,
            columns: fill.cols.clone(),
            values: fill
                .values
                .iter()
                .map(literal_from_proto)
                .collect::<ConnectResult<_>>()?,
        },
        RelType::DropNa(drop) => Relation::DropNa {
            input: input(drop.input.as_deref(), "drop_na.input")?,
            columns: drop.cols.clone(),
            min_non_nulls: drop.min_non_nulls.map(|n| usize::try_from(n).unwrap_or(0)),
        },
        RelType::Replace(replace) => Relation::Replace {
            input: input(replace.input.as_deref(), "replace.input")?,
            columns: replace.cols.clone(),
            replacements: replace
                .replacements
                .iter()
                .map(|r| {
                    Ok((
                        literal_from_proto(required(r.old_value.as_ref(), "old_value")?)?,
                        literal_from_proto(required(r.new_value.as_ref(), "new_value")?)?,
                    ))
                })
                .collect::<ConnectResult<_>>()?,
        },
        RelType::ApproxQuantile(quantile) => Relation::ApproxQuantile {
            input: input(quantile.input.as_deref(), "approx_quantile.input")?,
            columns: quantile.cols.clone(),
            probabilities: quantile.probabilities.clone(),
            relative_error: quantile.relative_error,
        },
        RelType::FreqItems(freq) => Relation::FreqItems {
            input: input(freq.input.as_deref(), "freq_items.input")?,
            columns: freq.cols.clone(),
            support: freq.support.unwrap_or(0.01),
        },
        RelType::Cov(cov) => Relation::Covariance {
            input: input(cov.input.as_deref(), "cov.input")?,
            first: cov.col1.clone(),
            second: cov.col2.clone(),
        },
        RelType::Corr(corr) => {
            if corr
                .method
                .as_deref()
                .is_some_and(|m| !m.eq_ignore_ascii_case("pearson"))
            {
                return Err(ConnectError::Unsupported(
                    "correlation methods other than pearson".into(),
                ));
            }
            Relation::Correlation {
                input: input(corr.input.as_deref(), "corr.input")?,
                first: corr.col1.clone(),
                second: corr.col2.clone(),
            }
        }
        RelType::Crosstab(crosstab) => Relation::Crosstab {
            input: input(crosstab.input.as_deref(), "crosstab.input")?,
            first: crosstab.col1.clone(),
            second: crosstab.col2.clone(),
        },
        RelType::Unpivot(unpivot) => Relation::Unpivot {
            input: input(unpivot.input.as_deref(), "unpivot.input")?,
            ids: expressions(&unpivot.ids)?,
            values: unpivot
                .values
                .as_ref()
                .map(|v| expressions(&v.values))
                .transpose()?,
            variable_column_name: unpivot.variable_column_name.clone(),
            value_column_name: unpivot.value_column_name.clone(),
        },
        other => {
            let name = format!("{other:?}");
            let name = name
                .split(['(', ' ', '{'])
                .next()
                .unwrap_or("relation")
                .to_string();
            return Err(ConnectError::Unsupported(format!("the {name} relation")));
        }
    };
    Ok(Plan { plan_id, relation })
}

pub fn write_from_proto(proto: &ProtoWrite) -> ConnectResult<WriteOperation> {
    let input = plan_from_proto(required(proto.input.as_ref(), "write.input")?)?;
    let (path, table, insert_into) = match &proto.save_type {
        Some(SaveType::Path(path)) => (Some(path.clone()), None, false),
        Some(SaveType::Table(table)) => (
            None,
            Some(split_identifier(&table.table_name)),
            table.save_method
                == ember_proto::spark::connect::write_operation::save_table::TableSaveMethod::InsertInto as i32,
        ),
        None => (None, None, false),
    };
    Ok(WriteOperation {
        input,
        format: proto.source.clone().unwrap_or_else(|| "parquet".into()),
        path,
        table,
        insert_into,
        mode: match proto.mode {
            1 => SaveMode::Append,
            2 => SaveMode::Overwrite,
            4 => SaveMode::Ignore,
            _ => SaveMode::ErrorIfExists,
        },
        partition_by: proto.partitioning_columns.clone(),
        options: sorted_options(&proto.options),
        partition_values: Vec::new(),
        overwrite_written_partitions: false,
    })
}

/// `df.writeTo(table)...`: partition columns must be plain column names; transforms such as
/// `years(col)` get Spark's session-catalog error.
pub fn table_write_from_proto(proto: &ProtoWriteV2) -> ConnectResult<TableWrite> {
    let input = plan_from_proto(required(proto.input.as_ref(), "write.input")?)?;
    let mut partition_by = Vec::new();
    for expression in &proto.partitioning_columns {
        match expression_from_proto(expression)? {
            Expr::Column { name, .. } => partition_by.push(name.join(".")),
            // Spark's session catalog stores buckets but no other transform.
            Expr::Function { name, .. } if name.eq_ignore_ascii_case("bucket") => {
                return Err(ConnectError::Unsupported(
                    "bucketed tables (partitionedBy(bucket(...)))".into(),
                ))
            }
            Expr::Function {
                name, arguments, ..
            } => {
                let columns: Vec<String> = arguments
                    .iter()
                    .map(|argument| match argument {
                        Expr::Column { name, .. } => name.join("."),
                        other => format!("{other:?}"),
                    })
                    .collect();
                return Err(ConnectError::UnsupportedPartitionTransform(format!(
                    "{name}({})",
                    columns.join(", ")
                )));
            }
            other => {
                return Err(ConnectError::Unsupported(format!(
                    "partitionedBy with the transform {other:?}"
                )))
            }
        }
    }
    if !proto.clustering_columns.is_empty() {
        return Err(ConnectError::Unsupported("clusterBy on writeTo".into()));
    }
    // The numbers of WriteOperationV2.Mode.
    let mode = match proto.mode {
        1 => TableWriteMode::Create,
        2 => TableWriteMode::Overwrite,
        3 => TableWriteMode::OverwritePartitions,
        4 => TableWriteMode::Append,
        5 => TableWriteMode::Replace,
        6 => TableWriteMode::CreateOrReplace,
        other => {
            return Err(ConnectError::InvalidPlan(format!(
                "unknown writeTo mode {other}"
            )))
        }
    };
    Ok(TableWrite {
        input,
        table: split_identifier(&proto.table_name),
        provider: proto.provider.clone(),
        partition_by,
        options: sorted_options(&proto.options),
        properties: sorted_options(&proto.table_properties),
        mode,
        overwrite_condition: proto
            .overwrite_condition
            .as_ref()
            .map(expression_from_proto)
            .transpose()?,
    })
}

/// The values of a query's `:name` and `?` markers, from either generation of fields.
pub fn sql_parameters(
    sql: &ember_proto::spark::connect::Sql,
) -> ConnectResult<ember_sql::Parameters> {
    #[allow(deprecated)]
    let (args, pos_args) = (&sql.args, &sql.pos_args);
    let mut parameters = ember_sql::Parameters::default();
    for (name, literal) in args {
        parameters.named.insert(
            name.clone(),
            ember_spec::Expr::Literal(literal_from_proto(literal)?),
        );
    }
    for (name, expression) in &sql.named_arguments {
        parameters
            .named
            .insert(name.clone(), expression_from_proto(expression)?);
    }
    for literal in pos_args {
        parameters
            .positional
            .push(ember_spec::Expr::Literal(literal_from_proto(literal)?));
    }
    for expression in &sql.pos_arguments {
        parameters
            .positional
            .push(expression_from_proto(expression)?);
    }
    Ok(parameters)
}
