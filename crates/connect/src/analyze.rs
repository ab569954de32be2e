//! AnalyzePlan: schema, explain, tree string and the other plan questions.

use datafusion::arrow::datatypes::SchemaRef;
use ember_exec::Session;
use ember_exec::StorageLevel;
use ember_proto::spark::connect::analyze_plan_request::Analyze;
use ember_proto::spark::connect::analyze_plan_response as answer;
use ember_proto::spark::connect::plan::OpType;
use ember_proto::spark::connect::{Plan as ProtoPlan, StorageLevel as ProtoStorageLevel};
use ember_spec::{DataType, StructField};

use crate::convert::{data_type_to_proto, parse_schema_text, plan_from_proto, required};
use crate::error::{ConnectError, ConnectResult};
use crate::results::schema_to_proto;
use crate::server::SPARK_VERSION;

async fn logical(
    session: &Session,
    plan: Option<&ProtoPlan>,
) -> ConnectResult<datafusion::logical_expr::LogicalPlan> {
    let plan = required(plan, "analyze.plan")?;
    match required(plan.op_type.as_ref(), "plan.op_type")? {
        OpType::Root(relation) => Ok(session.logical_plan(plan_from_proto(relation)?).await?),
        OpType::Command(_) => Err(ConnectError::InvalidPlan("a command has no schema".into())),
        OpType::CompressedOperation(_) => Err(ConnectError::CompressedPlan),
    }
}

fn arrow_schema(plan: &datafusion::logical_expr::LogicalPlan) -> SchemaRef {
    std::sync::Arc::new(plan.schema().as_arrow().clone())
}

fn spark_fields(schema: &SchemaRef) -> Vec<StructField> {
    schema
        .fields()
        .iter()
        .map(|f| StructField {
            name: f.name().clone(),
            data_type: ember_resolve::from_arrow(f.data_type()),
            nullable: f.is_nullable(),
            metadata: ember_resolve::spark_metadata(f),
        })
        .collect()
}

/// `printSchema()` text.
fn tree_string(fields: &[StructField], level: Option<usize>) -> String {
    let mut out = String::from("root\n");
    for field in fields {
        tree_field(
            &mut out,
            &field.name,
            &field.data_type,
            field.nullable,
            1,
            level,
        );
    }
    out
}

fn tree_field(
    out: &mut String,
    name: &str,
    data_type: &DataType,
    nullable: bool,
    depth: usize,
    level: Option<usize>,
) {
    if level.is_some_and(|l| depth > l) {
        return;
    }
    let prefix = " |   ".repeat(depth - 1);
    let type_name = match data_type {
        DataType::Struct(_) => "struct".to_string(),
        DataType::Array { .. } => "array".to_string(),
        DataType::Map { .. } => "map".to_string(),
        other => other.simple_string(),
    };
    out.push_str(&format!(
        "{prefix} |-- {name}: {type_name} (nullable = {nullable})\n"
    ));
    match data_type {
        DataType::Struct(fields) => {
            for f in fields {
                tree_field(out, &f.name, &f.data_type, f.nullable, depth + 1, level);
            }
        }
        DataType::Array {
            element,
            contains_null,
        } => {
            let inner = " |   ".repeat(depth);
            if level.is_none_or(|l| depth < l) {
                out.push_str(&format!(
                    "{inner} |-- element: {} (containsNull = {contains_null})\n",
                    element_type_name(element)
                ));
                nested_children(out, element, depth + 1, level);
            }
        }
        DataType::Map {
            key,
            value,
            value_contains_null,
        } => {
            let inner = " |   ".repeat(depth);
            if level.is_none_or(|l| depth < l) {
                out.push_str(&format!("{inner} |-- key: {}\n", element_type_name(key)));
                out.push_str(&format!(
                    "{inner} |-- value: {} (valueContainsNull = {value_contains_null})\n",
                    element_type_name(value)
                ));
                nested_children(out, value, depth + 1, level);
            }
        }
        _ => {}
    }
}

fn element_type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Struct(_) => "struct".into(),
        DataType::Array { .. } => "array".into(),
        DataType::Map { .. } => "map".into(),
        other => other.simple_string(),
    }
}

fn nested_children(out: &mut String, data_type: &DataType, depth: usize, level: Option<usize>) {
    if let DataType::Struct(fields) = data_type {
        for f in fields {
            tree_field(out, &f.name, &f.data_type, f.nullable, depth + 1, level);
        }
    }
}

fn ddl(fields: &[StructField]) -> String {
    fields
        .iter()
        .map(|f| {
            let not_null = if f.nullable { "" } else { " NOT NULL" };
            format!("{} {}{not_null}", f.name, f.data_type.sql_name())
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub async fn run_analyze(session: &Session, analyze: &Analyze) -> ConnectResult<answer::Result> {
    Ok(match analyze {
        Analyze::Schema(s) => {
            let plan = logical(session, s.plan.as_ref()).await?;
            answer::Result::Schema(answer::Schema {
                schema: Some(schema_to_proto(&arrow_schema(&plan))),
            })
        }
        Analyze::Explain(e) => {
            let plan = required(e.plan.as_ref(), "analyze.plan")?;
            let relation = match required(plan.op_type.as_ref(), "plan.op_type")? {
                OpType::Root(relation) => relation,
                OpType::Command(_) => {
                    return Err(ConnectError::InvalidPlan(
                        "a command has no plan to explain".into(),
                    ))
                }
                OpType::CompressedOperation(_) => return Err(ConnectError::CompressedPlan),
            };
            let text = session
                .explain(
                    plan_from_proto(relation)?,
                    ember_exec::ExplainMode::from_spark(e.explain_mode),
                )
                .await?;
            answer::Result::Explain(answer::Explain {
                explain_string: text,
            })
        }
        Analyze::TreeString(t) => {
            let plan = logical(session, t.plan.as_ref()).await?;
            let level = t
                .level
                .and_then(|l| usize::try_from(l).ok())
                .filter(|l| *l > 0);
            answer::Result::TreeString(answer::TreeString {
                tree_string: tree_string(&spark_fields(&arrow_schema(&plan)), level),
            })
        }
        Analyze::IsLocal(local) => {
            // Local when the rows are already at hand: shipped data or a statement's result.
            let is_local = match local.plan.as_ref().and_then(|p| p.op_type.as_ref()) {
                Some(OpType::Root(relation)) => matches!(
                    plan_from_proto(relation)?.relation,
                    ember_spec::Relation::LocalRelation { .. }
                ),
                _ => false,
            };
            answer::Result::IsLocal(answer::IsLocal { is_local })
        }
        Analyze::IsStreaming(s) => {
            let plan = logical(session, s.plan.as_ref()).await?;
            answer::Result::IsStreaming(answer::IsStreaming {
                is_streaming: ember_exec::reads_a_stream(&plan),
            })
        }
        Analyze::InputFiles(i) => {
            let plan = logical(session, i.plan.as_ref()).await?;
            let mut files = Vec::new();
            datafusion::common::tree_node::TreeNode::apply(&plan, |node| {
                if let datafusion::logical_expr::LogicalPlan::TableScan(scan) = node {
                    files.push(scan.table_name.to_string());
                }
                Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
            })?;
            answer::Result::InputFiles(answer::InputFiles { files })
        }
        Analyze::SparkVersion(_) => answer::Result::SparkVersion(answer::SparkVersion {
            version: SPARK_VERSION.into(),
        }),
        Analyze::DdlParse(d) => answer::Result::DdlParse(answer::DdlParse {
            parsed: Some(data_type_to_proto(&parse_schema_text(&d.ddl_string)?)),
        }),
        Analyze::JsonToDdl(j) => {
            let DataType::Struct(fields) = parse_schema_text(&j.json_string)? else {
                return Err(ConnectError::InvalidPlan(
                    "json_to_ddl needs a struct".into(),
                ));
            };
            answer::Result::JsonToDdl(answer::JsonToDdl {
                ddl_string: ddl(&fields),
            })
        }
        Analyze::SameSemantics(s) => {
            let a = logical(session, s.target_plan.as_ref()).await?;
            let b = logical(session, s.other_plan.as_ref()).await?;
            let same = canonical_text(&a) == canonical_text(&b);
            answer::Result::SameSemantics(answer::SameSemantics { result: same })
        }
        Analyze::SemanticHash(s) => {
            let plan = logical(session, s.plan.as_ref()).await?;
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            canonical_text(&plan).hash(&mut hasher);
            answer::Result::SemanticHash(answer::SemanticHash {
                result: hasher.finish() as i32,
            })
        }
        Analyze::Persist(p) => {
            let plan = plan_from_proto(required(p.relation.as_ref(), "persist.relation")?)?;
            let level = p
                .storage_level
                .as_ref()
                .map(level_from_proto)
                .unwrap_or(StorageLevel::MEMORY_AND_DISK_DESER);
            session.persist(plan, level).await?;
            answer::Result::Persist(answer::Persist {})
        }
        Analyze::Unpersist(u) => {
            session.unpersist(&plan_from_proto(required(
                u.relation.as_ref(),
                "unpersist.relation",
            )?)?);
            answer::Result::Unpersist(answer::Unpersist {})
        }
        Analyze::GetStorageLevel(g) => {
            let plan = plan_from_proto(required(g.relation.as_ref(), "storage_level.relation")?)?;
            let level = session.storage_level(&plan);
            answer::Result::GetStorageLevel(answer::GetStorageLevel {
                storage_level: Some(ProtoStorageLevel {
                    use_disk: level.use_disk,
                    use_memory: level.use_memory,
                    use_off_heap: level.use_off_heap,
                    deserialized: level.deserialized,
                    replication: level.replication,
                }),
            })
        }
    })
}

fn level_from_proto(level: &ProtoStorageLevel) -> StorageLevel {
    StorageLevel {
        use_disk: level.use_disk,
        use_memory: level.use_memory,
        use_off_heap: level.use_off_heap,
        deserialized: level.deserialized,
        replication: level.replication,
    }
}

/// A plan's text without output names and generated qualifiers: two DataFrames computing
/// the same thing under different column names compare equal, as in Spark.
fn canonical_text(plan: &datafusion::logical_expr::LogicalPlan) -> String {
    let text = format!("{}", plan.display_indent());
    let mut out = String::new();
    for line in text.lines() {
        let pieces: Vec<&str> = line
            .split(", ")
            .map(|p| p.split(" AS ").next().unwrap_or(p))
            .collect();
        out.push_str(&pieces.join(", "));
        out.push('\n');
    }
    let mut canonical = String::new();
    let mut rest = out.as_str();
    while let Some(position) = rest.find("__ember_") {
        canonical.push_str(&rest[..position]);
        canonical.push('_');
        rest = rest[position + "__ember_".len()..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    canonical.push_str(rest);
    canonical
}
