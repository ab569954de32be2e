//! `PCA`: the top principal components of the features' covariance, and projections onto
//! them.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;
use nalgebra::DMatrix;

use crate::dataset::Labeled;
use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::{Matrix, MlValue};

const ESTIMATOR: &str = "org.apache.spark.ml.feature.PCA";
const MODEL: &str = "org.apache.spark.ml.feature.PCAModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![("outputCol", MlValue::Null)]
}

pub fn operators() -> Vec<OperatorDef> {
    vec![
        OperatorDef {
            class: ESTIMATOR,
            defaults,
            role: Role::Estimator(fit),
        },
        OperatorDef {
            class: MODEL,
            defaults,
            role: Role::Transformer(load),
        },
    ]
}

/// The sample covariance of the rows of `data`.
fn covariance(data: &Labeled) -> DMatrix<f64> {
    let (n, d) = (data.rows(), data.dims);
    let mut mean = vec![0.0; d];
    for i in 0..n {
        for (m, x) in mean.iter_mut().zip(data.row(i)) {
            *m += x / n as f64;
        }
    }
    let mut cov = DMatrix::zeros(d, d);
    for i in 0..n {
        let row = data.row(i);
        for a in 0..d {
            for b in a..d {
                cov[(a, b)] += (row[a] - mean[a]) * (row[b] - mean[b]);
            }
        }
    }
    let scale = (n as f64 - 1.0).max(1.0);
    for a in 0..d {
        for b in a..d {
            cov[(a, b)] /= scale;
            cov[(b, a)] = cov[(a, b)];
        }
    }
    cov
}

/// The top `k` principal components (columns, d x k, column-major) and the share of the
/// variance each explains.
fn principal_components(data: &Labeled, k: usize) -> (Matrix, Vec<f64>) {
    let d = data.dims;
    let svd = covariance(data).svd(true, false);
    let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
    order.sort_by(|a, b| svd.singular_values[*b].total_cmp(&svd.singular_values[*a]));
    let total: f64 = svd.singular_values.iter().sum();
    let mut values = Vec::with_capacity(d * k);
    let mut explained = Vec::with_capacity(k);
    if let Some(u) = &svd.u {
        for &j in order.iter().take(k) {
            values.extend(u.column(j).iter().copied());
            explained.push(if total > 0.0 {
                svd.singular_values[j] / total
            } else {
                0.0
            });
        }
    }
    (
        Matrix {
            num_rows: d,
            num_cols: explained.len(),
            values,
        },
        explained,
    )
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let k = params.int("k")?;
        let vector_params = params.with(&std::collections::BTreeMap::from([(
            "featuresCol".to_string(),
            MlValue::String(params.string("inputCol")?),
        )]));
        let points = Labeled::collect(context, data, &vector_params, false).await?;
        if k < 1 || k as usize > points.dims {
            return illegal(format!(
                "requirement failed: source vector size {} must be no less than k={k}",
                points.dims
            ));
        }
        let (pc, explained) = principal_components(&points, k as usize);
        Ok(Arc::new(PcaModel {
            uid,
            params,
            pc,
            explained,
        }) as Arc<dyn Model>)
    })
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let lacks = |name: &str| MlError::IllegalArgument(format!("model data lacks {name}"));
    let pc = crate::matrix_data::read_matrix(
        data.column_by_name("pc")
            .ok_or_else(|| lacks("pc"))?
            .as_ref(),
        0,
    )?;
    let explained = data
        .column_by_name("explainedVariance")
        .map(|c| ember_functions::read_vectors(c.as_ref()))
        .transpose()?
        .and_then(|v| v.into_iter().next().flatten())
        .ok_or_else(|| lacks("explainedVariance"))?
        .to_dense();
    // Spark may store the matrix transposed; keep it column-major.
    let values = (0..pc.num_cols)
        .flat_map(|c| (0..pc.num_rows).map(move |r| (r, c)))
        .map(|(r, c)| pc.get(r, c))
        .collect();
    Ok(Arc::new(PcaModel {
        uid,
        params,
        pc: Matrix { values, ..pc },
        explained,
    }))
}

struct PcaModel {
    uid: String,
    params: Params,
    pc: Matrix,
    explained: Vec<f64>,
}

impl Model for PcaModel {
    fn class(&self) -> &'static str {
        MODEL
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn params(&self) -> &Params {
        &self.params
    }

    fn transform(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        let source = params.string("inputCol")?;
        let (column, data_type) = frame::column(input.schema(), &source)?;
        frame::require_vector(&source, &data_type)?;
        let pc = Arc::new(self.pc.clone());
        let call = model_call(
            "pca",
            ember_functions::vector_type(),
            vec![column],
            move |arrays| {
                let mut out = VectorBuilder::default();
                for vector in ember_functions::read_vectors(arrays[0].as_ref())? {
                    out.append(
                        vector
                            .map(|v| {
                                let x = v.to_dense();
                                Vector::Dense(
                                    (0..pc.num_cols)
                                        .map(|c| {
                                            (0..pc.num_rows)
                                                .map(|r| {
                                                    pc.get(r, c) * x.get(r).copied().unwrap_or(0.0)
                                                })
                                                .sum()
                                        })
                                        .collect(),
                                )
                            })
                            .as_ref(),
                    );
                }
                out.finish()
            },
        );
        frame::append_columns(input, vec![(params.output_column(&self.uid), call)])
    }

    fn attribute(&self, name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let value = match name {
            "pc" => MlValue::Matrix(self.pc.clone()),
            "explainedVariance" => MlValue::Vector(Vector::Dense(self.explained.clone())),
            _ => return Ok(None),
        };
        Ok(Some(Fetched::Value(value)))
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let mut explained = VectorBuilder::default();
        explained.append(Some(&Vector::Dense(self.explained.clone())));
        let schema = Schema::new(vec![
            Field::new("pc", crate::matrix_data::matrix_type(), true),
            Field::new("explainedVariance", ember_functions::vector_type(), true),
        ]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![
                crate::matrix_data::row_major_matrix_column(&self.pc)?,
                explained.finish()?,
            ],
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_of_a_line_explain_everything() {
        let data = Labeled {
            features: vec![1.0, 2.0, 2.0, 4.0, 3.0, 6.0],
            labels: vec![0.0; 3],
            weights: vec![1.0; 3],
            dims: 2,
        };
        let (pc, explained) = principal_components(&data, 1);
        assert!((explained[0] - 1.0).abs() < 1e-12);
        // The direction (1, 2) / sqrt(5), up to sign.
        let ratio = pc.get(1, 0) / pc.get(0, 0);
        assert!((ratio - 2.0).abs() < 1e-9);
    }
}
