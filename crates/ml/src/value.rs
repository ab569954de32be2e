//! Param values and method results: Spark literals plus ML vectors and matrices.

use ember_functions::Vector;
use ember_spec::Literal;

/// A dense matrix in column-major order, as Spark's `DenseMatrix` keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub num_rows: usize,
    pub num_cols: usize,
    pub values: Vec<f64>,
}

impl Matrix {
    pub fn get(&self, row: usize, col: usize) -> f64 {
        self.values[col * self.num_rows + row]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum MlValue {
    Null,
    Boolean(bool),
    Integer(i32),
    Long(i64),
    Double(f64),
    String(String),
    Array(Vec<MlValue>),
    Vector(Vector),
    Matrix(Matrix),
}

impl MlValue {
    pub fn from_literal(literal: &Literal) -> MlValue {
        match literal {
            Literal::Null(_) => MlValue::Null,
            Literal::Boolean(v) => MlValue::Boolean(*v),
            Literal::Byte(v) => MlValue::Integer(i32::from(*v)),
            Literal::Short(v) => MlValue::Integer(i32::from(*v)),
            Literal::Integer(v) => MlValue::Integer(*v),
            Literal::Long(v) => MlValue::Long(*v),
            Literal::Float(v) => MlValue::Double(f64::from(*v)),
            Literal::Double(v) => MlValue::Double(*v),
            Literal::String(v) => MlValue::String(v.clone()),
            Literal::Array { elements, .. } => {
                MlValue::Array(elements.iter().map(MlValue::from_literal).collect())
            }
            Literal::Struct { fields } => struct_value(fields),
            other => MlValue::String(format!("{other:?}")),
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            MlValue::Integer(v) => Some(f64::from(*v)),
            MlValue::Long(v) => Some(*v as f64),
            MlValue::Double(v) => Some(*v),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            MlValue::Integer(v) => Some(i64::from(*v)),
            MlValue::Long(v) => Some(*v),
            MlValue::Double(v) if v.fract() == 0.0 => Some(*v as i64),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            MlValue::String(v) => Some(v),
            _ => None,
        }
    }

    pub fn strings(values: Vec<String>) -> MlValue {
        MlValue::Array(values.into_iter().map(MlValue::String).collect())
    }

    pub fn doubles(values: &[f64]) -> MlValue {
        MlValue::Array(values.iter().map(|v| MlValue::Double(*v)).collect())
    }

    /// The value as Spark writes it in a model's `metadata` JSON.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Value};
        match self {
            MlValue::Null => Value::Null,
            MlValue::Boolean(v) => json!(v),
            MlValue::Integer(v) => json!(v),
            MlValue::Long(v) => json!(v),
            // JSON has no infinities: Spark writes these three as strings.
            MlValue::Double(v) if v.is_nan() => json!("NaN"),
            MlValue::Double(v) if v.is_infinite() => json!(if *v > 0.0 { "Inf" } else { "-Inf" }),
            MlValue::Double(v) => json!(v),
            MlValue::String(v) => json!(v),
            MlValue::Array(values) => Value::Array(values.iter().map(MlValue::to_json).collect()),
            MlValue::Vector(Vector::Dense(values)) => json!({"type": 1, "values": values}),
            MlValue::Vector(Vector::Sparse {
                size,
                indices,
                values,
            }) => json!({"type": 0, "size": size, "indices": indices, "values": values}),
            MlValue::Matrix(m) => json!({
                "type": 1, "numRows": m.num_rows, "numCols": m.num_cols,
                "values": m.values, "isTransposed": false
            }),
        }
    }

    /// A value read back from `metadata` JSON.
    pub fn from_json(value: &serde_json::Value) -> MlValue {
        use serde_json::Value;
        match value {
            Value::Null => MlValue::Null,
            Value::Bool(v) => MlValue::Boolean(*v),
            Value::Number(n) => match n.as_i64() {
                Some(i) => i32::try_from(i)
                    .map(MlValue::Integer)
                    .unwrap_or(MlValue::Long(i)),
                None => MlValue::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(v) => match v.as_str() {
                "NaN" => MlValue::Double(f64::NAN),
                "Inf" => MlValue::Double(f64::INFINITY),
                "-Inf" => MlValue::Double(f64::NEG_INFINITY),
                _ => MlValue::String(v.clone()),
            },
            Value::Array(values) => MlValue::Array(values.iter().map(MlValue::from_json).collect()),
            Value::Object(object) => {
                let doubles = |key: &str| -> Vec<f64> {
                    object
                        .get(key)
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_f64).collect())
                        .unwrap_or_default()
                };
                match object.get("type").and_then(Value::as_i64) {
                    Some(1) if object.contains_key("numRows") => MlValue::Matrix(Matrix {
                        num_rows: object.get("numRows").and_then(Value::as_u64).unwrap_or(0)
                            as usize,
                        num_cols: object.get("numCols").and_then(Value::as_u64).unwrap_or(0)
                            as usize,
                        values: doubles("values"),
                    }),
                    Some(1) => MlValue::Vector(Vector::Dense(doubles("values"))),
                    Some(0) => MlValue::Vector(Vector::Sparse {
                        size: object.get("size").and_then(Value::as_u64).unwrap_or(0) as usize,
                        indices: doubles("indices").iter().map(|i| *i as usize).collect(),
                        values: doubles("values"),
                    }),
                    _ => MlValue::String(value.to_string()),
                }
            }
        }
    }
}

/// Vectors and matrices arrive as structs of their storage fields.
fn struct_value(fields: &[(String, Literal)]) -> MlValue {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| MlValue::from_literal(v))
    };
    let doubles = |value: Option<MlValue>| -> Vec<f64> {
        match value {
            Some(MlValue::Array(values)) => values.iter().filter_map(MlValue::as_f64).collect(),
            _ => Vec::new(),
        }
    };
    let kind = get("type").and_then(|v| v.as_i64());
    if fields.len() == 4 {
        let values = doubles(get("values"));
        return match kind {
            Some(1) => MlValue::Vector(Vector::Dense(values)),
            _ => MlValue::Vector(Vector::Sparse {
                size: get("size").and_then(|v| v.as_i64()).unwrap_or(0) as usize,
                indices: doubles(get("indices"))
                    .iter()
                    .map(|i| *i as usize)
                    .collect(),
                values,
            }),
        };
    }
    if fields.len() == 7 {
        let num_rows = get("numRows").and_then(|v| v.as_i64()).unwrap_or(0) as usize;
        let num_cols = get("numCols").and_then(|v| v.as_i64()).unwrap_or(0) as usize;
        return MlValue::Matrix(Matrix {
            num_rows,
            num_cols,
            values: doubles(get("values")),
        });
    }
    MlValue::Array(
        fields
            .iter()
            .map(|(_, v)| MlValue::from_literal(v))
            .collect(),
    )
}
