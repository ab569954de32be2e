//! Training data gathered from a plan: a dense feature matrix with labels and weights.

use datafusion::logical_expr::{lit, Expr, LogicalPlan};
use datafusion::prelude::SessionContext;

use crate::error::{illegal, MlResult};
use crate::frame;
use crate::params::Params;

/// Rows of features (row-major), with a label and a weight each.
pub struct Labeled {
    pub features: Vec<f64>,
    pub labels: Vec<f64>,
    pub weights: Vec<f64>,
    pub dims: usize,
}

impl Labeled {
    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.features[i * self.dims..(i + 1) * self.dims]
    }

    /// Collects `featuresCol`, `labelCol` and `weightCol` (when set) of `plan`.
    pub async fn collect(
        context: &SessionContext,
        plan: LogicalPlan,
        params: &Params,
        with_label: bool,
    ) -> MlResult<Labeled> {
        let features_name = params.string("featuresCol")?;
        let (features, features_type) = frame::column(plan.schema(), &features_name)?;
        frame::require_vector(&features_name, &features_type)?;
        let label = if with_label {
            let name = params.string("labelCol")?;
            let (label, label_type) = frame::column(plan.schema(), &name)?;
            frame::require_numeric(&name, &label_type)?;
            label
        } else {
            lit(0.0)
        };
        let weight = match params
            .optional_string("weightCol")
            .filter(|w| !w.is_empty())
        {
            Some(name) => {
                let (weight, weight_type) = frame::column(plan.schema(), &name)?;
                frame::require_numeric(&name, &weight_type)?;
                weight
            }
            None => lit(1.0),
        };
        let cast = |e: Expr| {
            Expr::Cast(datafusion::logical_expr::Cast::new(
                Box::new(e),
                datafusion::arrow::datatypes::DataType::Float64,
            ))
        };
        let selected = frame::select(
            plan,
            vec![
                features.alias("f"),
                cast(label).alias("l"),
                cast(weight).alias("w"),
            ],
        )?;
        let batches = frame::collect(context, selected).await?;
        let vectors = frame::vectors(&batches, 0)?;
        let labels = frame::doubles(&batches, 1)?;
        let weights = frame::doubles(&batches, 2)?;
        let dims = vectors
            .iter()
            .flatten()
            .map(|v| v.size())
            .max()
            .unwrap_or(0);
        let mut out = Labeled {
            features: Vec::with_capacity(vectors.len() * dims),
            labels: Vec::with_capacity(vectors.len()),
            weights: Vec::with_capacity(vectors.len()),
            dims,
        };
        for ((vector, label), weight) in vectors.into_iter().zip(labels).zip(weights) {
            let Some(vector) = vector else {
                return illegal("requirement failed: features must not be null");
            };
            if vector.size() != dims {
                return illegal(format!(
                    "requirement failed: Dimensions mismatch when adding new sample. Expecting {dims} but got {}.",
                    vector.size()
                ));
            }
            let Some(label) = label else {
                return illegal("requirement failed: labels must not be null");
            };
            let weight = weight.unwrap_or(0.0);
            if weight < 0.0 || weight.is_nan() {
                return illegal(format!(
                    "requirement failed: instance weight, {weight} has to be >= 0.0"
                ));
            }
            out.features.extend(vector.to_dense());
            out.labels.push(label);
            out.weights.push(weight);
        }
        Ok(out)
    }

    /// Weighted mean and (unbiased) standard deviation of each feature, as Spark's
    /// summarizer computes them.
    pub fn moments(&self) -> (Vec<f64>, Vec<f64>) {
        let d = self.dims;
        let mut sum_w = 0.0;
        let mut sum_w2 = 0.0;
        let mut mean = vec![0.0; d];
        for i in 0..self.rows() {
            let w = self.weights[i];
            if w == 0.0 {
                continue;
            }
            sum_w += w;
            sum_w2 += w * w;
            for (m, x) in mean.iter_mut().zip(self.row(i)) {
                *m += w * x;
            }
        }
        if sum_w > 0.0 {
            mean.iter_mut().for_each(|m| *m /= sum_w);
        }
        let mut var = vec![0.0; d];
        for i in 0..self.rows() {
            let w = self.weights[i];
            for ((v, x), m) in var.iter_mut().zip(self.row(i)).zip(&mean) {
                *v += w * (x - m) * (x - m);
            }
        }
        let denominator = sum_w - sum_w2 / sum_w.max(f64::MIN_POSITIVE);
        let std = var
            .into_iter()
            .map(|v| {
                if denominator > 0.0 {
                    (v / denominator).max(0.0).sqrt()
                } else {
                    0.0
                }
            })
            .collect();
        (mean, std)
    }

    pub fn weight_sum(&self) -> f64 {
        self.weights.iter().sum()
    }
}
