//! `VectorAssembler`: numeric and vector columns into one feature vector.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::exec_err;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use ember_functions::{Vector, VectorBuilder};

use crate::error::{illegal, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

pub const CLASS: &str = "org.apache.spark.ml.feature.VectorAssembler";

pub fn operators() -> Vec<OperatorDef> {
    vec![OperatorDef {
        class: CLASS,
        defaults: || vec![("handleInvalid", MlValue::String("error".into()))],
        role: Role::Transformer(|uid, params, _| Ok(Arc::new(VectorAssembler { uid, params }))),
    }]
}

struct VectorAssembler {
    uid: String,
    params: Params,
}

/// One input column as the assembler reads it.
#[derive(Clone, Copy)]
enum Part {
    Number,
    Vector,
}

impl Model for VectorAssembler {
    fn class(&self) -> &'static str {
        CLASS
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn params(&self) -> &Params {
        &self.params
    }

    fn transform(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        let mode = params.choice("handleInvalid", &["skip", "error", "keep"])?;
        let inputs = params.strings("inputCols")?.unwrap_or_default();
        let output = params.output_column(&self.uid);
        let mut args = Vec::new();
        let mut parts = Vec::new();
        for name in &inputs {
            let (column, data_type) = frame::column(input.schema(), name)?;
            if ember_functions::is_vector(&data_type) {
                args.push(column);
                parts.push(Part::Vector);
            } else if data_type.is_numeric() || matches!(data_type, DataType::Boolean) {
                args.push(Expr::Cast(datafusion::logical_expr::Cast::new(
                    Box::new(column),
                    DataType::Float64,
                )));
                parts.push(Part::Number);
            } else {
                return illegal(format!(
                    "Data type {} of column {name} is not supported.",
                    ember_resolve::from_arrow(&data_type)
                        .simple_string()
                        .to_uppercase()
                ));
            }
        }
        let input = if mode == "skip" {
            // Spark drops the rows with a NULL or NaN input first.
            let mut keep: Option<Expr> = None;
            for (arg, part) in args.iter().zip(&parts) {
                let mut valid = arg.clone().is_not_null();
                if matches!(part, Part::Number) {
                    valid = valid.and(Expr::Not(Box::new(
                        datafusion::functions::math::expr_fn::isnan(arg.clone()),
                    )));
                }
                keep = Some(match keep {
                    Some(k) => k.and(valid),
                    None => valid,
                });
            }
            match keep {
                Some(k) => LogicalPlanBuilder::from(input).filter(k)?.build()?,
                None => input,
            }
        } else {
            input
        };
        let keep_invalid = mode == "keep";
        let call = model_call(
            "vector_assembler",
            ember_functions::vector_type(),
            args,
            move |arrays| assemble(arrays, &parts, keep_invalid),
        );
        frame::append_columns(input, vec![(output, call)])
    }

    fn attribute(&self, _name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(None)
    }
    fn data(&self) -> MlResult<Option<RecordBatch>> {
        Ok(None)
    }
}

fn assemble(
    arrays: &[ArrayRef],
    parts: &[Part],
    keep_invalid: bool,
) -> datafusion::error::Result<ArrayRef> {
    let rows = arrays.first().map(|a| a.len()).unwrap_or(0);
    let mut vectors = Vec::with_capacity(arrays.len());
    for (array, part) in arrays.iter().zip(parts) {
        vectors.push(match part {
            Part::Vector => Some(ember_functions::read_vectors(array.as_ref())?),
            Part::Number => None,
        });
    }
    let mut builder = VectorBuilder::default();
    for row in 0..rows {
        let mut indices = Vec::new();
        let mut values = Vec::new();
        let mut size = 0usize;
        for ((array, part), read) in arrays.iter().zip(parts).zip(&vectors) {
            match part {
                Part::Number => {
                    let numbers = array.as_primitive::<Float64Type>();
                    if numbers.is_null(row) {
                        if !keep_invalid {
                            return exec_err!("Encountered null while assembling a row with handleInvalid = \"error\". Consider removing nulls from dataset or using handleInvalid = \"keep\" or \"skip\".");
                        }
                        indices.push(size);
                        values.push(f64::NAN);
                    } else {
                        let v = numbers.value(row);
                        if v.is_nan() && !keep_invalid {
                            return exec_err!("Encountered NaN while assembling a row with handleInvalid = \"error\". Consider removing NaNs from dataset or using handleInvalid = \"keep\" or \"skip\".");
                        }
                        if v != 0.0 {
                            indices.push(size);
                            values.push(v);
                        }
                    }
                    size += 1;
                }
                Part::Vector => {
                    let vector = read.as_ref().and_then(|r| r[row].as_ref());
                    match vector {
                        Some(vector) => {
                            for (i, v) in vector.active() {
                                indices.push(size + i);
                                values.push(v);
                            }
                            size += vector.size();
                        }
                        None => {
                            return exec_err!("Encountered null while assembling a row with handleInvalid = \"error\". Consider removing nulls from dataset or using handleInvalid = \"keep\" or \"skip\".");
                        }
                    }
                }
            }
        }
        let vector = Vector::Sparse {
            size,
            indices,
            values,
        }
        .compressed();
        builder.append(Some(&vector));
    }
    builder.finish()
}
