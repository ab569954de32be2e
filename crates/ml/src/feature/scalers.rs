//! Vector scalers fitted on per-feature statistics: `StandardScaler`, `MinMaxScaler`,
//! `MaxAbsScaler`, `RobustScaler`, and their models.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;

use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{DefaultsFn, Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

/// Which scaler, with the statistics its model keeps (Spark's data column names).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Standard,
    MinMax,
    MaxAbs,
    Robust,
}

impl Kind {
    fn estimator(self) -> &'static str {
        match self {
            Kind::Standard => "org.apache.spark.ml.feature.StandardScaler",
            Kind::MinMax => "org.apache.spark.ml.feature.MinMaxScaler",
            Kind::MaxAbs => "org.apache.spark.ml.feature.MaxAbsScaler",
            Kind::Robust => "org.apache.spark.ml.feature.RobustScaler",
        }
    }
    fn model(self) -> &'static str {
        match self {
            Kind::Standard => "org.apache.spark.ml.feature.StandardScalerModel",
            Kind::MinMax => "org.apache.spark.ml.feature.MinMaxScalerModel",
            Kind::MaxAbs => "org.apache.spark.ml.feature.MaxAbsScalerModel",
            Kind::Robust => "org.apache.spark.ml.feature.RobustScalerModel",
        }
    }
    fn statistics(self) -> &'static [&'static str] {
        match self {
            Kind::Standard => &["std", "mean"],
            Kind::MinMax => &["originalMin", "originalMax"],
            Kind::MaxAbs => &["maxAbs"],
            Kind::Robust => &["range", "median"],
        }
    }
}

fn standard_defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("withMean", MlValue::Boolean(false)),
        ("withStd", MlValue::Boolean(true)),
        ("outputCol", MlValue::Null),
    ]
}

fn min_max_defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("min", MlValue::Double(0.0)),
        ("max", MlValue::Double(1.0)),
        ("outputCol", MlValue::Null),
    ]
}

fn max_abs_defaults() -> Vec<(&'static str, MlValue)> {
    vec![("outputCol", MlValue::Null)]
}

fn robust_defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("lower", MlValue::Double(0.25)),
        ("upper", MlValue::Double(0.75)),
        ("withCentering", MlValue::Boolean(false)),
        ("withScaling", MlValue::Boolean(true)),
        ("relativeError", MlValue::Double(0.001)),
        ("outputCol", MlValue::Null),
    ]
}

pub fn operators() -> Vec<OperatorDef> {
    let mut all = Vec::new();
    let kinds: [(Kind, DefaultsFn); 4] = [
        (Kind::Standard, standard_defaults),
        (Kind::MinMax, min_max_defaults),
        (Kind::MaxAbs, max_abs_defaults),
        (Kind::Robust, robust_defaults),
    ];
    for (kind, defaults) in kinds {
        all.push(OperatorDef {
            class: kind.estimator(),
            defaults,
            role: Role::Estimator(match kind {
                Kind::Standard => fit_standard,
                Kind::MinMax => fit_min_max,
                Kind::MaxAbs => fit_max_abs,
                Kind::Robust => fit_robust,
            }),
        });
        all.push(OperatorDef {
            class: kind.model(),
            defaults,
            role: Role::Transformer(match kind {
                Kind::Standard => |u, p, d| load(Kind::Standard, u, p, d),
                Kind::MinMax => |u, p, d| load(Kind::MinMax, u, p, d),
                Kind::MaxAbs => |u, p, d| load(Kind::MaxAbs, u, p, d),
                Kind::Robust => |u, p, d| load(Kind::Robust, u, p, d),
            }),
        });
    }
    all
}

fn fit_standard(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    fit(Kind::Standard, context, data, params, uid)
}

fn fit_min_max(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    fit(Kind::MinMax, context, data, params, uid)
}

fn fit_max_abs(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    fit(Kind::MaxAbs, context, data, params, uid)
}

fn fit_robust(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    fit(Kind::Robust, context, data, params, uid)
}

fn fit(
    kind: Kind,
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let input = params.string("inputCol")?;
        let (column, data_type) = frame::column(data.schema(), &input)?;
        frame::require_vector(&input, &data_type)?;
        let batches = frame::collect(context, frame::select(data, vec![column])?).await?;
        let vectors: Vec<Vector> = frame::vectors(&batches, 0)?.into_iter().flatten().collect();
        let statistics = if kind == Kind::Robust {
            let (lower, upper) = (params.double("lower")?, params.double("upper")?);
            if !(0.0..1.0).contains(&lower) || !(lower..=1.0).contains(&upper) || lower >= upper {
                return illegal(format!(
                    "requirement failed: RobustScaler needs 0 <= lower < upper <= 1, got lower={lower}, upper={upper}"
                ));
            }
            quantile_statistics(&vectors, lower, upper)?
        } else {
            statistics(kind, &vectors)?
        };
        Ok(Arc::new(ScalerModel {
            kind,
            uid,
            params,
            statistics,
        }) as Arc<dyn Model>)
    })
}

/// The value of rank `ceil(q * n)` among the sorted `values`, as Spark's quantile
/// summaries answer while they hold every value.
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len().max(1)) - 1]
}

/// `RobustScaler`'s statistics: each feature's `upper - lower` quantile range and median.
fn quantile_statistics(vectors: &[Vector], lower: f64, upper: f64) -> MlResult<Vec<Vec<f64>>> {
    let Some(first) = vectors.first() else {
        return illegal("requirement failed: Nothing has been added to this summarizer.");
    };
    let size = first.size();
    let mut columns = vec![Vec::with_capacity(vectors.len()); size];
    for vector in vectors {
        for (i, v) in vector.to_dense().into_iter().enumerate().take(size) {
            columns[i].push(v);
        }
    }
    let (mut range, mut median) = (Vec::with_capacity(size), Vec::with_capacity(size));
    for mut values in columns {
        values.retain(|v| !v.is_nan());
        values.sort_by(f64::total_cmp);
        if values.is_empty() {
            range.push(0.0);
            median.push(0.0);
            continue;
        }
        range.push(quantile(&values, upper) - quantile(&values, lower));
        median.push(quantile(&values, 0.5));
    }
    Ok(vec![range, median])
}

/// Per-feature statistics over `vectors`, in the order of `Kind::statistics`.
fn statistics(kind: Kind, vectors: &[Vector]) -> MlResult<Vec<Vec<f64>>> {
    let Some(first) = vectors.first() else {
        return illegal("requirement failed: Nothing has been added to this summarizer.");
    };
    let size = first.size();
    let n = vectors.len() as f64;
    let mut sum = vec![0.0; size];
    let mut min = vec![f64::INFINITY; size];
    let mut max = vec![f64::NEG_INFINITY; size];
    for vector in vectors {
        if vector.size() != size {
            return illegal(format!(
                "requirement failed: Dimensions mismatch when adding new sample. Expecting {size} but got {}.",
                vector.size()
            ));
        }
        for (i, v) in vector.to_dense().into_iter().enumerate() {
            sum[i] += v;
            min[i] = min[i].min(v);
            max[i] = max[i].max(v);
        }
    }
    Ok(match kind {
        Kind::Standard => {
            let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
            let mut squares = vec![0.0; size];
            for vector in vectors {
                for (i, v) in vector.to_dense().into_iter().enumerate() {
                    squares[i] += (v - mean[i]).powi(2);
                }
            }
            // The unbiased sample deviation; one row has none.
            let std = squares
                .iter()
                .map(|s| if n > 1.0 { (s / (n - 1.0)).sqrt() } else { 0.0 })
                .collect();
            vec![std, mean]
        }
        Kind::MinMax => vec![min, max],
        Kind::MaxAbs | Kind::Robust => vec![min
            .iter()
            .zip(&max)
            .map(|(a, b)| a.abs().max(b.abs()))
            .collect()],
    })
}

fn load(
    kind: Kind,
    uid: String,
    params: Params,
    data: Option<RecordBatch>,
) -> MlResult<Arc<dyn Model>> {
    let Some(data) = data else {
        return illegal(format!("{} data is missing", kind.model()));
    };
    let mut statistics = Vec::new();
    for name in kind.statistics() {
        let column = data
            .column_by_name(name)
            .ok_or_else(|| MlError::IllegalArgument(format!("model data lacks {name}")))?;
        let vector = ember_functions::read_vectors(column.as_ref())?
            .into_iter()
            .next()
            .flatten()
            .ok_or_else(|| MlError::IllegalArgument(format!("model data lacks {name}")))?;
        statistics.push(vector.to_dense());
    }
    Ok(Arc::new(ScalerModel {
        kind,
        uid,
        params,
        statistics,
    }))
}

struct ScalerModel {
    kind: Kind,
    uid: String,
    params: Params,
    statistics: Vec<Vec<f64>>,
}

/// How one model maps a vector.
#[derive(Clone)]
enum Scaling {
    Standard {
        mean: Option<Vec<f64>>,
        factor: Vec<f64>,
    },
    MinMax {
        min: Vec<f64>,
        range: Vec<f64>,
        low: f64,
        high: f64,
    },
    MaxAbs {
        divisor: Vec<f64>,
    },
}

impl Scaling {
    fn apply(&self, vector: &Vector) -> Vector {
        match self {
            Scaling::Standard {
                mean: Some(mean),
                factor,
            } => Vector::Dense(
                vector
                    .to_dense()
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v - mean[i]) * factor[i])
                    .collect(),
            ),
            Scaling::Standard { mean: None, factor } => scale_active(vector, factor),
            Scaling::MinMax {
                min,
                range,
                low,
                high,
            } => Vector::Dense(
                vector
                    .to_dense()
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let scaled = if range[i] != 0.0 {
                            (v - min[i]) / range[i]
                        } else {
                            0.5
                        };
                        scaled * (high - low) + low
                    })
                    .collect(),
            ),
            Scaling::MaxAbs { divisor } => scale_active(vector, divisor),
        }
    }
}

/// Multiplies each stored value by its feature's factor, keeping the vector's storage.
fn scale_active(vector: &Vector, factor: &[f64]) -> Vector {
    match vector {
        Vector::Dense(values) => {
            Vector::Dense(values.iter().zip(factor).map(|(v, f)| v * f).collect())
        }
        Vector::Sparse {
            size,
            indices,
            values,
        } => Vector::Sparse {
            size: *size,
            indices: indices.clone(),
            values: indices
                .iter()
                .zip(values)
                .map(|(i, v)| v * factor.get(*i).copied().unwrap_or(0.0))
                .collect(),
        },
    }
}

impl ScalerModel {
    fn scaling(&self, params: &Params) -> MlResult<Scaling> {
        let stat = |i: usize| self.statistics.get(i).cloned().unwrap_or_default();
        Ok(match self.kind {
            Kind::Standard => {
                let std = stat(0);
                let factor = if params.boolean("withStd")? {
                    std.iter()
                        .map(|s| if *s != 0.0 { 1.0 / s } else { 0.0 })
                        .collect()
                } else {
                    vec![1.0; std.len()]
                };
                let mean = params.boolean("withMean")?.then(|| stat(1));
                Scaling::Standard { mean, factor }
            }
            Kind::MinMax => {
                let (low, high) = (params.double("min")?, params.double("max")?);
                if low >= high {
                    return illegal(format!(
                        "requirement failed: min ({low}) must be less than max ({high})"
                    ));
                }
                let min = stat(0);
                let range = min.iter().zip(stat(1)).map(|(a, b)| b - a).collect();
                Scaling::MinMax {
                    min,
                    range,
                    low,
                    high,
                }
            }
            Kind::Robust => {
                let factor = if params.boolean("withScaling")? {
                    stat(0)
                        .iter()
                        .map(|r| if *r != 0.0 { 1.0 / r } else { 0.0 })
                        .collect()
                } else {
                    vec![1.0; stat(0).len()]
                };
                let mean = params.boolean("withCentering")?.then(|| stat(1));
                Scaling::Standard { mean, factor }
            }
            Kind::MaxAbs => Scaling::MaxAbs {
                divisor: stat(0)
                    .iter()
                    .map(|m| if *m != 0.0 { 1.0 / m } else { 1.0 })
                    .collect(),
            },
        })
    }
}

impl Model for ScalerModel {
    fn class(&self) -> &'static str {
        self.kind.model()
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn params(&self) -> &Params {
        &self.params
    }

    fn transform(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        let name = params.string("inputCol")?;
        let (column, data_type) = frame::column(input.schema(), &name)?;
        frame::require_vector(&name, &data_type)?;
        let scaling = self.scaling(params)?;
        let call = model_call(
            "vector_scaler",
            ember_functions::vector_type(),
            vec![column],
            move |arrays| {
                let mut builder = VectorBuilder::default();
                for vector in ember_functions::read_vectors(arrays[0].as_ref())? {
                    builder.append(vector.map(|v| scaling.apply(&v)).as_ref());
                }
                builder.finish()
            },
        );
        frame::append_columns(input, vec![(params.output_column(&self.uid), call)])
    }

    fn attribute(&self, name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(self
            .kind
            .statistics()
            .iter()
            .position(|s| *s == name)
            .map(|i| Fetched::Value(MlValue::Vector(Vector::Dense(self.statistics[i].clone())))))
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let mut fields = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (name, values) in self.kind.statistics().iter().zip(&self.statistics) {
            let mut builder = VectorBuilder::default();
            builder.append(Some(&Vector::Dense(values.clone())));
            fields.push(Field::new(*name, ember_functions::vector_type(), true));
            columns.push(builder.finish()?);
        }
        Ok(Some(RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            columns,
        )?))
    }

    fn describe(&self) -> String {
        let short = self.kind.model().rsplit('.').next().unwrap_or_default();
        let features = self.statistics.first().map(Vec::len).unwrap_or(0);
        format!("{short}: uid={}, numFeatures={features}", self.uid)
    }
}
