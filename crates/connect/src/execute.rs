// Older clients still send fields the protocol has since deprecated.
#![allow(deprecated)]

//! ExecutePlan: a query streams its batches; a command runs and answers.

use std::sync::Arc;

use ember_exec::Session;
use ember_proto::spark::connect::command::CommandType;
use ember_proto::spark::connect::execute_plan_response::{ResponseType, SqlCommandResult};
use ember_proto::spark::connect::plan::OpType;
use ember_proto::spark::connect::relation::RelType;
use ember_proto::spark::connect::{
    CachedRemoteRelation, CheckpointCommandResult, ExecutePlanResponse, Plan as ProtoPlan,
    Relation, Sql,
};
use futures::StreamExt;
use tokio::sync::mpsc::Sender;
use tonic::Status;

use crate::catalog::run_catalog;
use crate::convert::{
    plan_from_proto, required, sql_parameters, table_write_from_proto, write_from_proto,
};
use crate::error::{ConnectError, ConnectResult};
use crate::results::{batch_response, encode_batch, schema_to_proto, OperationIds};

type Out = Sender<Result<ExecutePlanResponse, Status>>;

async fn send(out: &Out, response: ExecutePlanResponse) -> ConnectResult<()> {
    // A closed channel means the client went away: stop quietly.
    out.send(Ok(response))
        .await
        .map_err(|_| ConnectError::InvalidPlan("client disconnected".into()))
}

pub async fn run_operation(
    session: Arc<Session>,
    plan: ProtoPlan,
    ids: OperationIds,
    out: Out,
) -> ConnectResult<()> {
    match required(plan.op_type.as_ref(), "plan.op_type")? {
        OpType::Root(relation) => run_relation(&session, relation, &ids, &out).await?,
        OpType::CompressedOperation(_) => return Err(ConnectError::CompressedPlan),
        OpType::Command(command) => {
            match required(command.command_type.as_ref(), "command.command_type")? {
                CommandType::WriteOperation(write) => {
                    session.write(write_from_proto(write)?).await?;
                }
                CommandType::WriteOperationV2(write) => {
                    session.write_table(table_write_from_proto(write)?).await?;
                }
                CommandType::CreateDataframeView(view) => {
                    let input = plan_from_proto(required(view.input.as_ref(), "view.input")?)?;
                    session
                        .create_view(&view.name, input, view.replace, view.is_global)
                        .await?;
                }
                CommandType::SqlCommand(sql) => run_sql_command(&session, sql, &ids, &out).await?,
                CommandType::RegisterFunction(function) => register_function(&session, function)?,
                CommandType::WriteStreamOperationStart(start) => {
                    let result = crate::streaming::start(&session, start).await?;
                    send(&out, ids.response(Some(result))).await?;
                }
                CommandType::StreamingQueryCommand(command) => {
                    let result = crate::streaming::query_command(&session, command).await?;
                    send(&out, ids.response(Some(result))).await?;
                }
                CommandType::MlCommand(command) => {
                    let output = session
                        .ml_command(crate::convert::ml_command_from_proto(command)?)
                        .await?;
                    let result = crate::convert::ml_result_to_proto(output);
                    send(
                        &out,
                        ids.response(Some(ResponseType::MlCommandResult(result))),
                    )
                    .await?;
                }
                CommandType::CheckpointCommand(checkpoint) => {
                    let input = required(checkpoint.relation.as_ref(), "checkpoint.relation")?;
                    let id = session
                        .checkpoint(plan_from_proto(input)?, checkpoint.eager)
                        .await?;
                    let result = ResponseType::CheckpointCommandResult(CheckpointCommandResult {
                        relation: Some(CachedRemoteRelation { relation_id: id }),
                    });
                    send(&out, ids.response(Some(result))).await?;
                }
                CommandType::RemoveCachedRemoteRelationCommand(remove) => {
                    if let Some(relation) = &remove.relation {
                        session.remove_checkpoint(&relation.relation_id);
                    }
                }
                CommandType::StreamingQueryManagerCommand(command) => {
                    let result = crate::streaming::manager_command(&session, command).await?;
                    send(&out, ids.response(Some(result))).await?;
                }
                other => {
                    let name = format!("{other:?}");
                    return Err(ConnectError::Unsupported(format!(
                        "the {} command",
                        name.split(['(', ' ']).next().unwrap_or("")
                    )));
                }
            }
        }
    }
    send(&out, ids.complete()).await
}

/// `spark.udf.register(name, f)`: the function becomes callable by name in this session,
/// from SQL text and from expressions.
fn register_function(
    session: &Session,
    function: &ember_proto::spark::connect::CommonInlineUserDefinedFunction,
) -> ConnectResult<()> {
    let udf = crate::convert::python_udf_from_proto(function)?;
    let eval_type = ember_udf::EvalType::from_spark(udf.eval_type).ok_or_else(|| {
        ConnectError::Unsupported(format!(
            "registering Python functions of eval type {}",
            udf.eval_type
        ))
    })?;
    let return_type = ember_resolve::to_arrow(&udf.output_type)?;
    let name = udf.name.to_ascii_lowercase();
    let scalar = ember_udf::PythonUdf::new(
        &name,
        udf.command,
        eval_type,
        return_type,
        udf.deterministic,
    )
    .into_scalar_udf();
    session.context().register_udf(scalar.as_ref().clone());
    Ok(())
}

async fn run_relation(
    session: &Session,
    relation: &Relation,
    ids: &OperationIds,
    out: &Out,
) -> ConnectResult<()> {
    if let Some(RelType::Catalog(catalog)) = &relation.rel_type {
        let batch = run_catalog(session, catalog).await?;
        let schema = batch.schema();
        let mut first = batch_response(ids, &schema, &batch, 0)?;
        first.schema = Some(schema_to_proto(&schema));
        return send(out, first).await;
    }
    let plan = plan_from_proto(relation)?;
    let description = match &relation.rel_type {
        Some(RelType::Sql(sql)) => Some(sql.query.clone()),
        _ => None,
    };
    let (schema, mut stream, progress) = session.execute_with_progress(plan, description).await?;
    let mut header = ids.response(None);
    header.schema = Some(schema_to_proto(&schema));
    let mut offset = 0i64;
    let mut sent_any = false;
    // While waiting for the next batch, report progress every interval, as Spark's server does.
    let mut ticker = session
        .progress_report_interval()
        .map(|every| tokio::time::interval_at(tokio::time::Instant::now() + every, every));
    loop {
        let next = match ticker.as_mut() {
            Some(ticker) => tokio::select! {
                next = stream.next() => next,
                _ = ticker.tick() => {
                    send(out, crate::results::progress_response(ids, &progress)).await?;
                    continue;
                }
            },
            None => stream.next().await,
        };
        let Some(batch) = next else {
            break;
        };
        let batch = batch?;
        if batch.num_rows() == 0 {
            continue;
        }
        let mut response = batch_response(ids, &schema, &batch, offset)?;
        if !sent_any {
            response.schema = header.schema.take();
        }
        offset += i64::try_from(batch.num_rows()).unwrap_or(0);
        sent_any = true;
        send(out, response).await?;
    }
    if !sent_any {
        // An empty result still tells the client its columns.
        let empty = datafusion::arrow::array::RecordBatch::new_empty(schema.clone());
        let mut response = batch_response(ids, &schema, &empty, 0)?;
        response.schema = header.schema.take();
        send(out, response).await?;
    }
    Ok(())
}

/// `spark.sql(...)`: a query comes back as a relation the client runs later; a statement
/// (DDL, SET, SHOW, ...) runs now and comes back as its rows.
async fn run_sql_command(
    session: &Session,
    command: &ember_proto::spark::connect::SqlCommand,
    ids: &OperationIds,
    out: &Out,
) -> ConnectResult<()> {
    let sql = match &command.input {
        Some(input) => match &input.rel_type {
            Some(RelType::Sql(sql)) => sql.clone(),
            other => {
                let relation = Relation {
                    common: None,
                    rel_type: other.clone(),
                };
                return send(out, sql_result(ids, relation)).await;
            }
        },
        None => Sql {
            query: command.sql.clone(),
            args: command.args.clone(),
            pos_args: command.pos_args.clone(),
            named_arguments: command.named_arguments.clone(),
            pos_arguments: command.pos_arguments.clone(),
        },
    };
    let statement = ember_sql::parse_statement(&sql.query, sql_parameters(&sql)?)?;
    let relation = match statement {
        // The client sends the query back to run it; parsing it now reports errors early.
        ember_spec::Statement::Query(_) => Relation {
            common: None,
            rel_type: Some(RelType::Sql(sql)),
        },
        statement => {
            let rows = session.run_statement(statement).await?;
            let local = match rows {
                Some(batch) => ember_proto::spark::connect::LocalRelation {
                    data: Some(encode_batch(&batch.schema(), &batch)?),
                    schema: None,
                },
                None => ember_proto::spark::connect::LocalRelation {
                    data: None,
                    schema: Some("struct<>".into()),
                },
            };
            Relation {
                common: None,
                rel_type: Some(RelType::LocalRelation(local)),
            }
        }
    };
    send(out, sql_result(ids, relation)).await
}

fn sql_result(ids: &OperationIds, relation: Relation) -> ExecutePlanResponse {
    ids.response(Some(ResponseType::SqlCommandResult(SqlCommandResult {
        relation: Some(relation),
    })))
}
