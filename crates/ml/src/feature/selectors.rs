//! Feature selectors: `VarianceThresholdSelector`, `ChiSqSelector` and
//! `UnivariateFeatureSelector`, whose models keep the indices of the features they select.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int32Builder, ListBuilder, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;
use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor};

use crate::dataset::Labeled;
use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const VARIANCE: &str = "org.apache.spark.ml.feature.VarianceThresholdSelector";
const VARIANCE_MODEL: &str = "org.apache.spark.ml.feature.VarianceThresholdSelectorModel";
const CHI_SQ: &str = "org.apache.spark.ml.feature.ChiSqSelector";
const CHI_SQ_MODEL: &str = "org.apache.spark.ml.feature.ChiSqSelectorModel";
const UNIVARIATE: &str = "org.apache.spark.ml.feature.UnivariateFeatureSelector";
const UNIVARIATE_MODEL: &str = "org.apache.spark.ml.feature.UnivariateFeatureSelectorModel";

fn variance_defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("varianceThreshold", MlValue::Double(0.0)),
        ("featuresCol", MlValue::String("features".into())),
        ("outputCol", MlValue::Null),
    ]
}

fn chi_sq_defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("numTopFeatures", MlValue::Integer(50)),
        ("percentile", MlValue::Double(0.1)),
        ("fpr", MlValue::Double(0.05)),
        ("fdr", MlValue::Double(0.05)),
        ("fwe", MlValue::Double(0.05)),
        ("selectorType", MlValue::String("numTopFeatures".into())),
        ("featuresCol", MlValue::String("features".into())),
        ("labelCol", MlValue::String("label".into())),
        ("outputCol", MlValue::Null),
    ]
}

fn univariate_defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("selectionMode", MlValue::String("numTopFeatures".into())),
        ("featuresCol", MlValue::String("features".into())),
        ("labelCol", MlValue::String("label".into())),
        ("outputCol", MlValue::Null),
    ]
}

pub fn operators() -> Vec<OperatorDef> {
    vec![
        OperatorDef {
            class: VARIANCE,
            defaults: variance_defaults,
            role: Role::Estimator(|c, d, p, u| fit(VARIANCE_MODEL, c, d, p, u)),
        },
        OperatorDef {
            class: VARIANCE_MODEL,
            defaults: variance_defaults,
            role: Role::Transformer(|u, p, d| load(VARIANCE_MODEL, u, p, d)),
        },
        OperatorDef {
            class: CHI_SQ,
            defaults: chi_sq_defaults,
            role: Role::Estimator(|c, d, p, u| fit(CHI_SQ_MODEL, c, d, p, u)),
        },
        OperatorDef {
            class: CHI_SQ_MODEL,
            defaults: chi_sq_defaults,
            role: Role::Transformer(|u, p, d| load(CHI_SQ_MODEL, u, p, d)),
        },
        OperatorDef {
            class: UNIVARIATE,
            defaults: univariate_defaults,
            role: Role::Estimator(|c, d, p, u| fit(UNIVARIATE_MODEL, c, d, p, u)),
        },
        OperatorDef {
            class: UNIVARIATE_MODEL,
            defaults: univariate_defaults,
            role: Role::Transformer(|u, p, d| load(UNIVARIATE_MODEL, u, p, d)),
        },
    ]
}

/// One feature's test; features rank by its p-value.
#[derive(Debug, Clone, Copy)]
struct Test {
    p_value: f64,
}

/// Each feature's column of values.
fn columns(data: &Labeled) -> Vec<Vec<f64>> {
    (0..data.dims)
        .map(|j| (0..data.rows()).map(|i| data.row(i)[j]).collect())
        .collect()
}

/// Pearson's chi-squared test of independence between categorical `x` and `y`.
fn chi_squared(x: &[f64], y: &[f64]) -> MlResult<Test> {
    let mut table: BTreeMap<(u64, u64), f64> = BTreeMap::new();
    let mut rows: BTreeMap<u64, f64> = BTreeMap::new();
    let mut cols: BTreeMap<u64, f64> = BTreeMap::new();
    for (a, b) in x.iter().zip(y) {
        let key = (a.to_bits(), b.to_bits());
        *table.entry(key).or_default() += 1.0;
        *rows.entry(key.0).or_default() += 1.0;
        *cols.entry(key.1).or_default() += 1.0;
    }
    let n = x.len() as f64;
    let mut statistic = 0.0;
    for (r, row_total) in &rows {
        for (c, col_total) in &cols {
            let expected = row_total * col_total / n;
            let observed = table.get(&(*r, *c)).copied().unwrap_or(0.0);
            statistic += (observed - expected).powi(2) / expected;
        }
    }
    let freedom = (rows.len().saturating_sub(1) * cols.len().saturating_sub(1)) as f64;
    let p_value = if freedom > 0.0 {
        let distribution =
            ChiSquared::new(freedom).map_err(|e| MlError::IllegalArgument(e.to_string()))?;
        1.0 - distribution.cdf(statistic)
    } else {
        1.0
    };
    Ok(Test { p_value })
}

/// The upper tail of the F distribution with (`d1`, `d2`) degrees of freedom at `f`.
fn f_tail(f: f64, d1: f64, d2: f64) -> MlResult<f64> {
    if d1 <= 0.0 || d2 <= 0.0 || f.is_nan() {
        return Ok(f64::NAN);
    }
    let distribution =
        FisherSnedecor::new(d1, d2).map_err(|e| MlError::IllegalArgument(e.to_string()))?;
    Ok(1.0 - distribution.cdf(f))
}

/// One-way ANOVA F-test of continuous `x` across the classes of `y`.
fn anova(x: &[f64], y: &[f64]) -> MlResult<Test> {
    let mut groups: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
    for (v, label) in x.iter().zip(y) {
        let group = groups.entry(label.to_bits()).or_default();
        group.0 += v;
        group.1 += 1.0;
    }
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let between: f64 = groups
        .values()
        .map(|(sum, count)| count * (sum / count - mean).powi(2))
        .sum();
    let total: f64 = x.iter().map(|v| (v - mean).powi(2)).sum();
    let within = total - between;
    let k = groups.len() as f64;
    let statistic = (between / (k - 1.0)) / (within / (n - k));
    Ok(Test {
        p_value: f_tail(statistic, k - 1.0, n - k)?,
    })
}

/// The F-test of a linear relation between continuous `x` and `y`.
fn f_regression(x: &[f64], y: &[f64]) -> MlResult<Test> {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    let r = sxy / (sxx * syy).sqrt();
    let statistic = r * r / (1.0 - r * r) * (n - 2.0);
    Ok(Test {
        p_value: f_tail(statistic, 1.0, n - 2.0)?,
    })
}

/// Which features pass `mode` with `threshold`, most significant first.
fn select(tests: &[Test], mode: &str, threshold: f64) -> Vec<usize> {
    let mut ranked: Vec<usize> = (0..tests.len()).collect();
    ranked.sort_by(|a, b| {
        tests[*a]
            .p_value
            .total_cmp(&tests[*b].p_value)
            .then(a.cmp(b))
    });
    let features = tests.len() as f64;
    match mode {
        "numTopFeatures" => ranked.into_iter().take(threshold as usize).collect(),
        "percentile" => ranked
            .into_iter()
            .take((features * threshold) as usize)
            .collect(),
        "fpr" => ranked
            .into_iter()
            .filter(|i| tests[*i].p_value < threshold)
            .collect(),
        "fdr" => {
            // Benjamini-Hochberg: everything up to the last rank under its bound.
            let last = ranked
                .iter()
                .enumerate()
                .filter(|(rank, i)| {
                    tests[**i].p_value <= threshold * (*rank as f64 + 1.0) / features
                })
                .map(|(rank, _)| rank + 1)
                .max()
                .unwrap_or(0);
            ranked.into_iter().take(last).collect()
        }
        _ => ranked
            .into_iter()
            .filter(|i| tests[*i].p_value < threshold / features)
            .collect(),
    }
}

/// The mode and threshold the estimator's params ask for.
fn mode_and_threshold(model: &str, params: &Params) -> MlResult<(String, f64)> {
    let modes = ["numTopFeatures", "percentile", "fpr", "fdr", "fwe"];
    if model == CHI_SQ_MODEL {
        let mode = params.choice("selectorType", &modes)?;
        let threshold = match mode.as_str() {
            "numTopFeatures" => params.int("numTopFeatures")? as f64,
            other => params.double(other)?,
        };
        return Ok((mode, threshold));
    }
    let mode = params.choice("selectionMode", &modes)?;
    let threshold = match params.get("selectionThreshold").and_then(MlValue::as_f64) {
        Some(t) => t,
        None if mode == "numTopFeatures" => 50.0,
        None if mode == "percentile" => 0.1,
        None => 0.05,
    };
    Ok((mode, threshold))
}

fn fit<'a>(
    model: &'static str,
    context: &'a SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'a, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let with_label = model != VARIANCE_MODEL;
        let data = Labeled::collect(context, data, &params, with_label).await?;
        let features = columns(&data);
        let selected = if model == VARIANCE_MODEL {
            let threshold = params.double("varianceThreshold")?;
            let n = data.rows() as f64;
            features
                .iter()
                .enumerate()
                .filter(|(_, values)| {
                    let mean = values.iter().sum::<f64>() / n;
                    let variance =
                        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
                    variance > threshold
                })
                .map(|(i, _)| i)
                .collect()
        } else {
            let test: fn(&[f64], &[f64]) -> MlResult<Test> = if model == CHI_SQ_MODEL {
                chi_squared
            } else {
                let kinds = ["categorical", "continuous"];
                let feature = params.choice("featureType", &kinds)?;
                let label = params.choice("labelType", &kinds)?;
                match (feature.as_str(), label.as_str()) {
                    ("categorical", "categorical") => chi_squared,
                    ("continuous", "categorical") => anova,
                    ("continuous", "continuous") => f_regression,
                    _ => {
                        return illegal(format!(
                            "Unsupported combination: featureType={feature}, labelType={label}"
                        ))
                    }
                }
            };
            let tests = features
                .iter()
                .map(|x| test(x, &data.labels))
                .collect::<MlResult<Vec<_>>>()?;
            let (mode, threshold) = mode_and_threshold(model, &params)?;
            let mut chosen = select(&tests, &mode, threshold);
            // ChiSqSelector reports its features in index order, the univariate selector
            // by significance.
            if model == CHI_SQ_MODEL {
                chosen.sort_unstable();
            }
            chosen
        };
        Ok(Arc::new(SelectorModel {
            class: model,
            uid,
            params,
            selected,
        }) as Arc<dyn Model>)
    })
}

fn load(
    class: &'static str,
    uid: String,
    params: Params,
    data: Option<RecordBatch>,
) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let list = data
        .column_by_name("selectedFeatures")
        .and_then(|c| c.as_list_opt::<i32>())
        .filter(|l| !l.is_empty())
        .ok_or_else(|| MlError::IllegalArgument("model data lacks selectedFeatures".into()))?;
    let values = datafusion::arrow::compute::cast(&list.value(0), &DataType::Int32)?;
    let selected = values
        .as_primitive::<Int32Type>()
        .values()
        .iter()
        .map(|i| usize::try_from(*i).unwrap_or_default())
        .collect();
    Ok(Arc::new(SelectorModel {
        class,
        uid,
        params,
        selected,
    }))
}

struct SelectorModel {
    class: &'static str,
    uid: String,
    params: Params,
    selected: Vec<usize>,
}

/// `vector` restricted to `selected`, keeping its storage.
pub(crate) fn slice(vector: &Vector, selected: &[usize]) -> Vector {
    match vector {
        Vector::Dense(values) => Vector::Dense(
            selected
                .iter()
                .map(|i| values.get(*i).copied().unwrap_or(0.0))
                .collect(),
        ),
        Vector::Sparse { .. } => {
            let dense = vector.to_dense();
            let (indices, values) = selected
                .iter()
                .enumerate()
                .filter_map(|(k, i)| dense.get(*i).filter(|v| **v != 0.0).map(|v| (k, *v)))
                .unzip();
            Vector::Sparse {
                size: selected.len(),
                indices,
                values,
            }
        }
    }
}

impl Model for SelectorModel {
    fn class(&self) -> &'static str {
        self.class
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn params(&self) -> &Params {
        &self.params
    }

    fn transform(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        let source = params.string("featuresCol")?;
        let (column, data_type) = frame::column(input.schema(), &source)?;
        frame::require_vector(&source, &data_type)?;
        let mut selected = self.selected.clone();
        selected.sort_unstable();
        let selected = Arc::new(selected);
        let call = model_call(
            "feature_selector",
            ember_functions::vector_type(),
            vec![column],
            move |arrays| {
                let mut out = VectorBuilder::default();
                for vector in ember_functions::read_vectors(arrays[0].as_ref())? {
                    out.append(vector.map(|v| slice(&v, &selected)).as_ref());
                }
                out.finish()
            },
        );
        frame::append_columns(input, vec![(params.output_column(&self.uid), call)])
    }

    fn attribute(&self, name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(match name {
            "selectedFeatures" => Some(Fetched::Value(MlValue::Array(
                self.selected
                    .iter()
                    .map(|i| MlValue::Integer(i32::try_from(*i).unwrap_or(i32::MAX)))
                    .collect(),
            ))),
            _ => None,
        })
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let element = Arc::new(Field::new("element", DataType::Int32, false));
        let mut list = ListBuilder::new(Int32Builder::new()).with_field(element.clone());
        for i in &self.selected {
            list.values()
                .append_value(i32::try_from(*i).unwrap_or(i32::MAX));
        }
        list.append(true);
        let schema = Schema::new(vec![Field::new(
            "selectedFeatures",
            DataType::List(element),
            true,
        )]);
        Ok(Some(RecordBatch::try_new(
            Arc::new(schema),
            vec![Arc::new(list.finish())],
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi_squared_of_a_perfect_association() -> MlResult<()> {
        let x = [0.0, 0.0, 1.0, 1.0];
        let y = [0.0, 0.0, 1.0, 1.0];
        let test = chi_squared(&x, &y)?;
        assert!((test.p_value - 0.045_500_263_9).abs() < 1e-8);
        Ok(())
    }

    #[test]
    fn false_discovery_rate_keeps_ranks_under_the_bound() {
        let tests: Vec<Test> = [0.01, 0.5, 0.02, 0.04]
            .iter()
            .map(|p| Test { p_value: *p })
            .collect();
        // Bounds 0.0125, 0.025, 0.0375, 0.05 over ranks 1..4: ranks 1 and 2 pass.
        assert_eq!(select(&tests, "fdr", 0.05), vec![0, 2]);
        assert_eq!(select(&tests, "numTopFeatures", 3.0), vec![0, 2, 3]);
        let tests: Vec<Test> = [0.3, 0.1].iter().map(|p| Test { p_value: *p }).collect();
        assert_eq!(select(&tests, "numTopFeatures", 2.0), vec![1, 0]);
    }
}
