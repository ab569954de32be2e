// The client still reads vector literals through fields the protocol has since deprecated.
#![allow(deprecated)]

//! `pyspark.ml` protocol messages → Ember's ML requests, and ML results → protocol literals.

use ember_exec::ml::{MlOutput, MlValue, OperatorInfo};
use ember_functions::Vector;
use ember_proto::spark::connect::expression::literal::{self as lit, LiteralType};
use ember_proto::spark::connect::expression::Literal as ProtoLiteral;
use ember_proto::spark::connect::{
    self as pb, ml_command, ml_command_result, ml_operator, ml_relation, MlCommandResult,
};
use ember_spec::{
    MlArgument, MlCommand, MlMethod, MlOperator, MlOperatorKind, MlParams, MlRelation,
    MlTransformer, Plan,
};

use super::{literal_from_proto, plan_from_proto, required};
use crate::error::ConnectResult;

const VECTOR_UDT: &str = "org.apache.spark.ml.linalg.VectorUDT";
const MATRIX_UDT: &str = "org.apache.spark.ml.linalg.MatrixUDT";

fn operator(proto: Option<&pb::MlOperator>, field: &str) -> ConnectResult<MlOperator> {
    let proto = required(proto, field)?;
    let kind = match ml_operator::OperatorType::try_from(proto.r#type) {
        Ok(ml_operator::OperatorType::Estimator) => MlOperatorKind::Estimator,
        Ok(ml_operator::OperatorType::Transformer) => MlOperatorKind::Transformer,
        Ok(ml_operator::OperatorType::Evaluator) => MlOperatorKind::Evaluator,
        Ok(ml_operator::OperatorType::Model) => MlOperatorKind::Model,
        _ => MlOperatorKind::Unspecified,
    };
    Ok(MlOperator {
        name: proto.name.clone(),
        uid: proto.uid.clone(),
        kind,
    })
}

fn params(proto: Option<&pb::MlParams>) -> ConnectResult<MlParams> {
    let mut params = match proto {
        Some(p) => p
            .params
            .iter()
            .map(|(k, v)| Ok((k.clone(), literal_from_proto(v)?)))
            .collect::<ConnectResult<Vec<_>>>()?,
        None => Vec::new(),
    };
    params.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(params)
}

fn dataset(proto: Option<&pb::Relation>, field: &str) -> ConnectResult<Plan> {
    plan_from_proto(required(proto, field)?)
}

fn object_id(proto: Option<&pb::ObjectRef>, field: &str) -> ConnectResult<String> {
    Ok(required(proto, field)?.id.clone())
}

fn methods(fetch: &pb::Fetch) -> ConnectResult<(String, Vec<MlMethod>)> {
    use pb::fetch::method::args::ArgsType;
    let object = object_id(fetch.obj_ref.as_ref(), "fetch.obj_ref")?;
    let methods = fetch
        .methods
        .iter()
        .map(|m| {
            let args = m
                .args
                .iter()
                .map(
                    |a| match required(a.args_type.as_ref(), "fetch.method.args")? {
                        ArgsType::Param(literal) => {
                            Ok(MlArgument::Value(literal_from_proto(literal)?))
                        }
                        ArgsType::Input(relation) => {
                            Ok(MlArgument::Dataset(plan_from_proto(relation)?))
                        }
                    },
                )
                .collect::<ConnectResult<_>>()?;
            Ok(MlMethod {
                name: m.method.clone(),
                args,
            })
        })
        .collect::<ConnectResult<_>>()?;
    Ok((object, methods))
}

/// An `MlRelation` (a model's transform, or a DataFrame a summary returns).
pub fn ml_relation_from_proto(proto: &pb::MlRelation) -> ConnectResult<MlRelation> {
    match required(proto.ml_type.as_ref(), "ml_relation.ml_type")? {
        ml_relation::MlType::Transform(transform) => {
            let transformer = match required(
                transform.operator.as_ref(),
                "ml_relation.transform.operator",
            )? {
                ml_relation::transform::Operator::ObjRef(r) => MlTransformer::Model(r.id.clone()),
                ml_relation::transform::Operator::Transformer(op) => {
                    MlTransformer::Operator(operator(Some(op), "transformer")?)
                }
            };
            Ok(MlRelation::Transform {
                input: dataset(transform.input.as_deref(), "ml_relation.transform.input")?,
                transformer,
                params: params(transform.params.as_ref())?,
            })
        }
        ml_relation::MlType::Fetch(fetch) => {
            let (object, methods) = methods(fetch)?;
            Ok(MlRelation::Fetch {
                object,
                methods,
                dataset: proto
                    .model_summary_dataset
                    .as_deref()
                    .map(plan_from_proto)
                    .transpose()?,
            })
        }
    }
}

/// An `MlCommand` (fit, fetch, save, ...).
pub fn ml_command_from_proto(proto: &pb::MlCommand) -> ConnectResult<MlCommand> {
    use ml_command::Command;
    Ok(
        match required(proto.command.as_ref(), "ml_command.command")? {
            Command::Fit(fit) => MlCommand::Fit {
                estimator: operator(fit.estimator.as_ref(), "fit.estimator")?,
                params: params(fit.params.as_ref())?,
                dataset: dataset(fit.dataset.as_ref(), "fit.dataset")?,
            },
            Command::Fetch(fetch) => {
                let (object, methods) = methods(fetch)?;
                MlCommand::Fetch { object, methods }
            }
            Command::Delete(delete) => MlCommand::Delete {
                objects: delete.obj_refs.iter().map(|r| r.id.clone()).collect(),
                evict_only: delete.evict_only.unwrap_or(false),
            },
            Command::Write(write) => MlCommand::Write {
                target: match required(write.r#type.as_ref(), "write.type")? {
                    ml_command::write::Type::ObjRef(r) => MlTransformer::Model(r.id.clone()),
                    ml_command::write::Type::Operator(op) => {
                        MlTransformer::Operator(operator(Some(op), "write.operator")?)
                    }
                },
                params: params(write.params.as_ref())?,
                path: write.path.clone(),
                overwrite: write.should_overwrite.unwrap_or(false),
            },
            Command::Read(read) => MlCommand::Read {
                operator: operator(read.operator.as_ref(), "read.operator")?,
                path: read.path.clone(),
            },
            Command::Evaluate(evaluate) => MlCommand::Evaluate {
                evaluator: operator(evaluate.evaluator.as_ref(), "evaluate.evaluator")?,
                params: params(evaluate.params.as_ref())?,
                dataset: dataset(evaluate.dataset.as_ref(), "evaluate.dataset")?,
            },
            Command::CleanCache(_) => MlCommand::CleanCache,
            Command::GetCacheInfo(_) => MlCommand::GetCacheInfo,
            Command::CreateSummary(summary) => MlCommand::CreateSummary {
                model: object_id(summary.model_ref.as_ref(), "create_summary.model_ref")?,
                dataset: dataset(summary.dataset.as_ref(), "create_summary.dataset")?,
            },
            Command::GetModelSize(size) => MlCommand::GetModelSize {
                model: object_id(size.model_ref.as_ref(), "get_model_size.model_ref")?,
            },
        },
    )
}

/// A command's answer as the client reads it.
pub fn ml_result_to_proto(output: MlOutput) -> MlCommandResult {
    use ml_command_result::ResultType;
    let result_type = match output {
        MlOutput::Value(value) => ResultType::Param(value_to_proto(&value)),
        MlOutput::Summary(id) => ResultType::Summary(id),
        MlOutput::Operator(info) => ResultType::OperatorInfo(operator_info(info)),
    };
    MlCommandResult {
        result_type: Some(result_type),
    }
}

fn operator_info(info: OperatorInfo) -> ml_command_result::MlOperatorInfo {
    use ml_command_result::ml_operator_info::Type;
    let r#type = match (info.object_id, info.name) {
        (Some(id), _) => Some(Type::ObjRef(pb::ObjectRef { id })),
        (None, Some(name)) => Some(Type::Name(name)),
        (None, None) => None,
    };
    let params = (!info.params.is_empty()).then(|| pb::MlParams {
        params: info
            .params
            .iter()
            .map(|(k, v)| (k.clone(), value_to_proto(v)))
            .collect(),
    });
    ml_command_result::MlOperatorInfo {
        r#type,
        uid: info.uid,
        params,
        warning_message: info.warning,
    }
}

fn literal(value: LiteralType) -> ProtoLiteral {
    ProtoLiteral {
        literal_type: Some(value),
        ..Default::default()
    }
}

fn null() -> ProtoLiteral {
    literal(LiteralType::Null(super::data_type_to_proto(
        &ember_spec::DataType::Null,
    )))
}

fn ints(values: impl IntoIterator<Item = usize>) -> ProtoLiteral {
    use lit::specialized_array::ValueType;
    literal(LiteralType::SpecializedArray(lit::SpecializedArray {
        value_type: Some(ValueType::Ints(pb::Ints {
            values: values
                .into_iter()
                .map(|v| i32::try_from(v).unwrap_or(i32::MAX))
                .collect(),
        })),
    }))
}

fn doubles(values: &[f64]) -> ProtoLiteral {
    use lit::specialized_array::ValueType;
    literal(LiteralType::SpecializedArray(lit::SpecializedArray {
        value_type: Some(ValueType::Doubles(pb::Doubles {
            values: values.to_vec(),
        })),
    }))
}

fn udt_struct(jvm_class: &str, elements: Vec<ProtoLiteral>) -> ProtoLiteral {
    use pb::data_type::Kind;
    let struct_type = pb::DataType {
        kind: Some(Kind::Udt(Box::new(pb::data_type::Udt {
            r#type: "udt".into(),
            jvm_class: Some(jvm_class.to_string()),
            ..Default::default()
        }))),
    };
    literal(LiteralType::Struct(lit::Struct {
        struct_type: Some(struct_type),
        elements,
    }))
}

fn size_literal(size: usize) -> ProtoLiteral {
    literal(LiteralType::Integer(
        i32::try_from(size).unwrap_or(i32::MAX),
    ))
}

fn value_to_proto(value: &MlValue) -> ProtoLiteral {
    match value {
        MlValue::Null => null(),
        MlValue::Boolean(v) => literal(LiteralType::Boolean(*v)),
        MlValue::Integer(v) => literal(LiteralType::Integer(*v)),
        MlValue::Long(v) => literal(LiteralType::Long(*v)),
        MlValue::Double(v) => literal(LiteralType::Double(*v)),
        MlValue::String(v) => literal(LiteralType::String(v.clone())),
        MlValue::Array(values) => {
            let element_type = values
                .first()
                .map(value_type)
                .unwrap_or(ember_spec::DataType::String);
            literal(LiteralType::Array(lit::Array {
                element_type: Some(super::data_type_to_proto(&element_type)),
                elements: values.iter().map(value_to_proto).collect(),
            }))
        }
        MlValue::Vector(Vector::Dense(values)) => udt_struct(
            VECTOR_UDT,
            vec![
                literal(LiteralType::Byte(1)),
                null(),
                null(),
                doubles(values),
            ],
        ),
        MlValue::Vector(Vector::Sparse {
            size,
            indices,
            values,
        }) => udt_struct(
            VECTOR_UDT,
            vec![
                literal(LiteralType::Byte(0)),
                size_literal(*size),
                ints(indices.iter().copied()),
                doubles(values),
            ],
        ),
        MlValue::Matrix(m) => udt_struct(
            MATRIX_UDT,
            vec![
                literal(LiteralType::Byte(1)),
                size_literal(m.num_rows),
                size_literal(m.num_cols),
                null(),
                null(),
                doubles(&m.values),
                literal(LiteralType::Boolean(false)),
            ],
        ),
    }
}

fn value_type(value: &MlValue) -> ember_spec::DataType {
    use ember_spec::DataType;
    match value {
        MlValue::Boolean(_) => DataType::Boolean,
        MlValue::Integer(_) => DataType::Integer,
        MlValue::Long(_) => DataType::Long,
        MlValue::Double(_) => DataType::Double,
        MlValue::Array(values) => DataType::Array {
            element: Box::new(values.first().map(value_type).unwrap_or(DataType::String)),
            contains_null: true,
        },
        _ => DataType::String,
    }
}
