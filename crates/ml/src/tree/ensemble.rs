//! Tree ensembles: random forests (bootstrapped trees on random feature subsets, averaged)
//! and gradient-boosted trees (regression trees fitted to the loss gradient, summed).

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;
use rand::{Rng, SeedableRng};

use crate::classification::{first_argmax, prediction_columns, Scored};
use crate::dataset::Labeled;
use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::persist::{extra_number, extra_text, with_extra};
use crate::tree::decision_tree::{
    class_count, growth, leaf_column, sparse, tree_defaults, tree_model,
};
use crate::tree::{self, node_data, Impurity, Node};
use crate::value::MlValue;

/// Which ensemble, and what it predicts.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    ForestClassifier,
    ForestRegressor,
    BoostedClassifier,
    BoostedRegressor,
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::ForestClassifier,
        Kind::ForestRegressor,
        Kind::BoostedClassifier,
        Kind::BoostedRegressor,
    ];

    fn estimator(self) -> &'static str {
        match self {
            Kind::ForestClassifier => "org.apache.spark.ml.classification.RandomForestClassifier",
            Kind::ForestRegressor => "org.apache.spark.ml.regression.RandomForestRegressor",
            Kind::BoostedClassifier => "org.apache.spark.ml.classification.GBTClassifier",
            Kind::BoostedRegressor => "org.apache.spark.ml.regression.GBTRegressor",
        }
    }

    fn model(self) -> &'static str {
        match self {
            Kind::ForestClassifier => {
                "org.apache.spark.ml.classification.RandomForestClassificationModel"
            }
            Kind::ForestRegressor => "org.apache.spark.ml.regression.RandomForestRegressionModel",
            Kind::BoostedClassifier => "org.apache.spark.ml.classification.GBTClassificationModel",
            Kind::BoostedRegressor => "org.apache.spark.ml.regression.GBTRegressionModel",
        }
    }

    fn classifier(self) -> bool {
        matches!(self, Kind::ForestClassifier | Kind::BoostedClassifier)
    }

    fn boosted(self) -> bool {
        matches!(self, Kind::BoostedClassifier | Kind::BoostedRegressor)
    }

    fn defaults(self) -> Vec<(&'static str, MlValue)> {
        // Boosting always grows regression trees on the gradient.
        let mut d = tree_defaults(self == Kind::ForestClassifier);
        d.push(("subsamplingRate", MlValue::Double(1.0)));
        d.push(("seed", MlValue::Long(-1_061_934_542)));
        if self.boosted() {
            d.retain(|(n, _)| *n != "impurity");
            d.extend([
                ("impurity", MlValue::String("variance".into())),
                ("maxIter", MlValue::Integer(20)),
                ("stepSize", MlValue::Double(0.1)),
                ("featureSubsetStrategy", MlValue::String("all".into())),
                ("validationTol", MlValue::Double(0.01)),
                (
                    "lossType",
                    MlValue::String(
                        if self.classifier() {
                            "logistic"
                        } else {
                            "squared"
                        }
                        .into(),
                    ),
                ),
            ]);
        } else {
            d.extend([
                ("numTrees", MlValue::Integer(20)),
                ("bootstrap", MlValue::Boolean(true)),
                ("featureSubsetStrategy", MlValue::String("auto".into())),
            ]);
        }
        if self == Kind::BoostedClassifier {
            d.extend([
                ("rawPredictionCol", MlValue::String("rawPrediction".into())),
                ("probabilityCol", MlValue::String("probability".into())),
            ]);
        }
        d
    }
}

pub fn operators() -> Vec<OperatorDef> {
    fn defaults_of(kind: Kind) -> fn() -> Vec<(&'static str, MlValue)> {
        match kind {
            Kind::ForestClassifier => || Kind::ForestClassifier.defaults(),
            Kind::ForestRegressor => || Kind::ForestRegressor.defaults(),
            Kind::BoostedClassifier => || Kind::BoostedClassifier.defaults(),
            Kind::BoostedRegressor => || Kind::BoostedRegressor.defaults(),
        }
    }
    let mut all = Vec::new();
    for kind in Kind::ALL {
        all.push(OperatorDef {
            class: kind.estimator(),
            defaults: defaults_of(kind),
            role: Role::Estimator(match kind {
                Kind::ForestClassifier => |c, d, p, u| fit(Kind::ForestClassifier, c, d, p, u),
                Kind::ForestRegressor => |c, d, p, u| fit(Kind::ForestRegressor, c, d, p, u),
                Kind::BoostedClassifier => |c, d, p, u| fit(Kind::BoostedClassifier, c, d, p, u),
                Kind::BoostedRegressor => |c, d, p, u| fit(Kind::BoostedRegressor, c, d, p, u),
            }),
        });
        all.push(OperatorDef {
            class: kind.model(),
            defaults: defaults_of(kind),
            role: Role::Transformer(match kind {
                Kind::ForestClassifier => |u, p, d| load(Kind::ForestClassifier, u, p, d),
                Kind::ForestRegressor => |u, p, d| load(Kind::ForestRegressor, u, p, d),
                Kind::BoostedClassifier => |u, p, d| load(Kind::BoostedClassifier, u, p, d),
                Kind::BoostedRegressor => |u, p, d| load(Kind::BoostedRegressor, u, p, d),
            }),
        });
    }
    all
}

/// How many features each node of a forest considers.
fn subset_size(strategy: &str, features: usize, classifier: bool, trees: usize) -> MlResult<usize> {
    let n = features as f64;
    let count = match strategy {
        "auto" if trees == 1 => n,
        "auto" if classifier => n.sqrt().ceil(),
        "auto" => (n / 3.0).ceil(),
        "all" => n,
        "sqrt" => n.sqrt().ceil(),
        "log2" => n.log2().ceil().max(1.0),
        "onethird" => (n / 3.0).ceil(),
        other => match other.parse::<f64>() {
            Ok(v) if v > 0.0 && v <= 1.0 && other.contains('.') => (v * n).ceil(),
            Ok(v) if v >= 1.0 && v.fract() == 0.0 => v.min(n),
            _ => {
                return illegal(format!(
                    "featureSubsetStrategy {other} is not one of auto, all, onethird, sqrt, log2, a fraction in (0, 1.0] or a whole number >= 1"
                ))
            }
        },
    };
    Ok((count as usize).clamp(1, features.max(1)))
}

/// A Poisson(`mean`) draw by multiplying uniforms (fine for the small means of bagging).
fn poisson(rng: &mut rand::rngs::StdRng, mean: f64) -> f64 {
    let limit = (-mean).exp();
    let mut product = rng.random::<f64>();
    let mut count = 0.0;
    while product > limit {
        count += 1.0;
        product *= rng.random::<f64>();
    }
    count
}

/// The gradient-boosting loss.
#[derive(Clone, Copy, PartialEq)]
enum Loss {
    Logistic,
    Squared,
    Absolute,
}

impl Loss {
    fn parse(name: &str) -> MlResult<Loss> {
        match name {
            "logistic" => Ok(Loss::Logistic),
            "squared" => Ok(Loss::Squared),
            "absolute" => Ok(Loss::Absolute),
            other => illegal(format!("GBT lossType {other} is not supported")),
        }
    }

    /// The negative gradient at prediction `f` for label `y`: what the next tree fits.
    fn residual(self, f: f64, y: f64) -> f64 {
        match self {
            Loss::Logistic => 4.0 * y / (1.0 + (2.0 * y * f).exp()),
            Loss::Squared => 2.0 * (y - f),
            Loss::Absolute => {
                if y - f < 0.0 {
                    -1.0
                } else {
                    1.0
                }
            }
        }
    }

    fn error(self, f: f64, y: f64) -> f64 {
        match self {
            Loss::Logistic => 2.0 * (-2.0 * y * f).exp().ln_1p(),
            Loss::Squared => (y - f) * (y - f),
            Loss::Absolute => (y - f).abs(),
        }
    }
}

fn fit<'a>(
    kind: Kind,
    context: &'a SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'a, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let schema_plan = data.clone();
        let mut training = Labeled::collect(context, data, &params, true).await?;
        let classes = if kind.classifier() {
            class_count(&schema_plan, &params, &training)?
        } else {
            0
        };
        let seed = params.get("seed").and_then(MlValue::as_i64).unwrap_or(0) as u64;
        let (trees, weights) = if kind.boosted() {
            if kind == Kind::BoostedClassifier {
                if classes > 2 {
                    return illegal(format!("GBTClassifier only supports binary classification but was given numClasses = {classes}"));
                }
                // Labels 0 and 1 become -1 and +1.
                training.labels.iter_mut().for_each(|y| *y = 2.0 * *y - 1.0);
            }
            boost(&training, &params, seed)?
        } else {
            forest(kind, &training, &params, classes, seed)?
        };
        Ok(Arc::new(EnsembleModel {
            kind,
            uid,
            params,
            trees,
            weights,
            features: training.dims,
            classes,
        }) as Arc<dyn Model>)
    })
}

fn forest(
    kind: Kind,
    training: &Labeled,
    params: &Params,
    classes: usize,
    seed: u64,
) -> MlResult<(Vec<Node>, Vec<f64>)> {
    let count = usize::try_from(params.int("numTrees")?).unwrap_or(0);
    if count < 1 {
        return illegal("numTrees must be >= 1");
    }
    let rate = params.double("subsamplingRate")?;
    let bootstrap = params.boolean("bootstrap")?;
    let per_node = subset_size(
        &params.string("featureSubsetStrategy")?,
        training.dims,
        kind.classifier(),
        count,
    )?;
    let mut base = growth(params, classes)?;
    let thresholds = tree::thresholds(training, base.max_bins);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut trees = Vec::with_capacity(count);
    for t in 0..count {
        let mut sample = Labeled {
            features: training.features.clone(),
            labels: training.labels.clone(),
            weights: training.weights.clone(),
            dims: training.dims,
        };
        for w in sample.weights.iter_mut() {
            let draws = if bootstrap {
                poisson(&mut rng, rate)
            } else if rng.random::<f64>() < rate {
                1.0
            } else {
                0.0
            };
            *w *= draws;
        }
        base.features_per_node =
            (per_node < training.dims).then_some((per_node, seed.wrapping_add(t as u64)));
        trees.push(tree::grow(&sample, &thresholds, &base));
    }
    Ok((trees, vec![1.0; count]))
}

fn boost(training: &Labeled, params: &Params, seed: u64) -> MlResult<(Vec<Node>, Vec<f64>)> {
    let loss = Loss::parse(&params.string("lossType")?)?;
    let iterations = usize::try_from(params.int("maxIter")?).unwrap_or(0).max(1);
    let step = params.double("stepSize")?;
    let rate = params.double("subsamplingRate")?;
    let growth = growth(params, 0)?;
    let thresholds = tree::thresholds(training, growth.max_bins);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut fitted = vec![0.0; training.rows()];
    let mut target = Labeled {
        features: training.features.clone(),
        labels: training.labels.clone(),
        weights: training.weights.clone(),
        dims: training.dims,
    };
    let (mut trees, mut weights) = (Vec::new(), Vec::new());
    for m in 0..iterations {
        if m > 0 {
            for (i, label) in target.labels.iter_mut().enumerate() {
                *label = loss.residual(fitted[i], training.labels[i]);
            }
        }
        if rate < 1.0 {
            for (w, base) in target.weights.iter_mut().zip(&training.weights) {
                *w = if rng.random::<f64>() < rate {
                    *base
                } else {
                    0.0
                };
            }
        }
        let tree = tree::grow(&target, &thresholds, &growth);
        let weight = if m == 0 { 1.0 } else { step };
        for (i, f) in fitted.iter_mut().enumerate() {
            *f += weight * tree.leaf(training.row(i)).prediction;
        }
        trees.push(tree);
        weights.push(weight);
    }
    Ok((trees, weights))
}

fn load(
    kind: Kind,
    uid: String,
    params: Params,
    data: Option<RecordBatch>,
) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let trees = node_data::read_ensemble(&data)?;
    let weights: Vec<f64> = extra_text(&data, "treeWeights")
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| vec![1.0; trees.len()]);
    let classes = if kind.classifier() {
        extra_number(&data, "numClasses").unwrap_or(2)
    } else {
        0
    };
    Ok(Arc::new(EnsembleModel {
        kind,
        uid,
        params,
        features: extra_number(&data, "numFeatures").unwrap_or(0),
        trees,
        weights,
        classes,
    }))
}

struct EnsembleModel {
    kind: Kind,
    uid: String,
    params: Params,
    trees: Vec<Node>,
    weights: Vec<f64>,
    features: usize,
    classes: usize,
}

/// What an ensemble needs to score rows, shared with the functions that do.
struct Scorer {
    kind: Kind,
    trees: Vec<Node>,
    weights: Vec<f64>,
    classes: usize,
    thresholds: Option<Vec<f64>>,
}

impl Scorer {
    /// The boosted sum, or the weighted mean of the trees' predictions.
    fn regression(&self, x: &[f64]) -> f64 {
        let sum: f64 = self
            .trees
            .iter()
            .zip(&self.weights)
            .map(|(t, w)| w * t.leaf(x).prediction)
            .sum();
        if self.kind.boosted() {
            sum
        } else {
            sum / self.weights.iter().sum::<f64>().max(f64::MIN_POSITIVE)
        }
    }

    fn classify(&self, x: &[f64]) -> Scored {
        let raw = if self.kind.boosted() {
            let f = self.regression(x);
            vec![-f, f]
        } else {
            let mut votes = vec![0.0; self.classes];
            for (tree, w) in self.trees.iter().zip(&self.weights) {
                let stats = &tree.leaf(x).stats;
                let total: f64 = stats.iter().sum();
                if total > 0.0 {
                    for (v, c) in votes.iter_mut().zip(stats) {
                        *v += w * c / total;
                    }
                }
            }
            votes
        };
        let probability = if self.kind.boosted() {
            let p = 1.0 / (1.0 + (-2.0 * raw[1]).exp());
            vec![1.0 - p, p]
        } else {
            let total: f64 = raw.iter().sum();
            raw.iter()
                .map(|v| if total > 0.0 { v / total } else { 0.0 })
                .collect()
        };
        let prediction = match &self.thresholds {
            Some(t) => first_argmax(
                &probability
                    .iter()
                    .zip(t)
                    .map(|(p, t)| if *t == 0.0 { f64::INFINITY } else { p / t })
                    .collect::<Vec<_>>(),
            ),
            None => first_argmax(&raw),
        };
        (raw, probability, prediction)
    }

    fn leaves(&self, x: &[f64]) -> Vec<f64> {
        self.trees.iter().map(|t| t.leaf_index(x) as f64).collect()
    }
}

impl EnsembleModel {
    fn scorer(&self, params: &Params) -> MlResult<Scorer> {
        Ok(Scorer {
            kind: self.kind,
            trees: self.trees.clone(),
            weights: self.weights.clone(),
            classes: self.classes,
            thresholds: params.doubles("thresholds")?,
        })
    }

    fn importances(&self) -> Vec<f64> {
        let impurity = if self.kind == Kind::ForestClassifier {
            growth(&self.params, self.classes.max(2))
                .map(|g| g.impurity)
                .unwrap_or(Impurity::Gini)
        } else {
            Impurity::Variance
        };
        let mut total = vec![0.0; self.features];
        for tree in &self.trees {
            let mut own = vec![0.0; self.features];
            tree.add_importances(&mut own, impurity);
            for (t, v) in total.iter_mut().zip(tree::normalize(own)) {
                *t += v;
            }
        }
        tree::normalize(total)
    }

    fn debug_string(&self) -> String {
        let mut out = self.describe();
        out.push('\n');
        for (i, (tree, weight)) in self.trees.iter().zip(&self.weights).enumerate() {
            out.push_str(&format!(
                "  Tree {i} (weight {}):\n",
                tree::java_double(*weight)
            ));
            tree.debug_lines(4, &mut out);
        }
        out
    }
}

impl Model for EnsembleModel {
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
        let name = params.string("featuresCol")?;
        let (column, data_type) = frame::column(input.schema(), &name)?;
        frame::require_vector(&name, &data_type)?;
        let scorer = Arc::new(self.scorer(params)?);
        let mut outputs = if self.kind.classifier() {
            let s = scorer.clone();
            prediction_columns(
                "tree_ensemble",
                params,
                column.clone(),
                Arc::new(move |x: &Vector| s.classify(&x.to_dense())),
            )?
        } else {
            let s = scorer.clone();
            vec![(
                params.string("predictionCol")?,
                leaf_column("tree_ensemble", column.clone(), move |x| {
                    s.regression(&x.to_dense())
                }),
            )]
        };
        let leaf = params.optional_string("leafCol").unwrap_or_default();
        if !leaf.is_empty() {
            let call = model_call(
                "tree_ensemble_leaves",
                ember_functions::vector_type(),
                vec![column],
                move |arrays| {
                    let mut out = VectorBuilder::default();
                    for v in ember_functions::read_vectors(arrays[0].as_ref())? {
                        out.append(
                            v.map(|v| Vector::Dense(scorer.leaves(&v.to_dense())))
                                .as_ref(),
                        );
                    }
                    out.finish()
                },
            );
            outputs.push((leaf, call));
        }
        frame::append_columns(input, outputs)
    }

    fn attribute(&self, name: &str, args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let x = || match args.first() {
            Some(MlValue::Vector(x)) => Ok(x.to_dense()),
            _ => illegal(format!("{name} needs a vector")),
        };
        let scorer = || self.scorer(&self.params);
        let value = match name {
            "trees" => {
                let classifier = self.kind == Kind::ForestClassifier;
                let column = self.params.string("featuresCol")?;
                return Ok(Some(Fetched::Models(
                    self.trees
                        .iter()
                        .map(|t| {
                            tree_model(classifier, t.clone(), self.features, self.classes, &column)
                        })
                        .collect(),
                )));
            }
            "treeWeights" => MlValue::doubles(&self.weights),
            "getNumTrees" | "numTrees" => MlValue::Integer(self.trees.len() as i32),
            "totalNumNodes" => {
                MlValue::Integer(self.trees.iter().map(Node::nodes).sum::<usize>() as i32)
            }
            "numFeatures" => MlValue::Integer(self.features as i32),
            "numClasses" if self.kind.classifier() => MlValue::Integer(self.classes as i32),
            "featureImportances" => sparse(self.importances()),
            "toDebugString" => MlValue::String(self.debug_string()),
            "predictLeaf" => MlValue::Vector(Vector::Dense(scorer()?.leaves(&x()?))),
            "predict" if self.kind.classifier() => MlValue::Double(scorer()?.classify(&x()?).2),
            "predict" => MlValue::Double(scorer()?.regression(&x()?)),
            "predictRaw" if self.kind.classifier() => {
                MlValue::Vector(Vector::Dense(scorer()?.classify(&x()?).0))
            }
            "predictProbability" if self.kind.classifier() => {
                MlValue::Vector(Vector::Dense(scorer()?.classify(&x()?).1))
            }
            _ => return Ok(None),
        };
        Ok(Some(Fetched::Value(value)))
    }

    fn call_on_data<'a>(
        &'a self,
        context: &'a SessionContext,
        name: &'a str,
        data: LogicalPlan,
        args: &'a [MlValue],
    ) -> BoxFuture<'a, MlResult<Option<Fetched>>> {
        Box::pin(async move {
            if name != "evaluateEachIteration" || !self.kind.boosted() {
                return Ok(None);
            }
            let loss = match args.first().and_then(MlValue::as_str) {
                Some(l) => Loss::parse(l)?,
                None => Loss::parse(&self.params.string("lossType")?)?,
            };
            let data = Labeled::collect(context, data, &self.params, true).await?;
            let mut fitted = vec![0.0; data.rows()];
            let total_weight = data.weight_sum().max(f64::MIN_POSITIVE);
            let mut errors = Vec::with_capacity(self.trees.len());
            for (tree, weight) in self.trees.iter().zip(&self.weights) {
                let mut error = 0.0;
                for (i, f) in fitted.iter_mut().enumerate() {
                    *f += weight * tree.leaf(data.row(i)).prediction;
                    let y = if self.kind.classifier() {
                        2.0 * data.labels[i] - 1.0
                    } else {
                        data.labels[i]
                    };
                    error += data.weights[i] * loss.error(*f, y);
                }
                errors.push(error / total_weight);
            }
            Ok(Some(Fetched::Value(MlValue::doubles(&errors))))
        })
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let trees: Vec<&Node> = self.trees.iter().collect();
        let batch = node_data::ensemble_batch(&trees)?;
        let mut extra = vec![
            ("numFeatures", self.features.to_string()),
            ("numTrees", self.trees.len().to_string()),
            ("treeWeights", serde_json::json!(self.weights).to_string()),
        ];
        if self.kind.classifier() {
            extra.push(("numClasses", self.classes.to_string()));
        }
        Ok(Some(with_extra(batch, &extra)?))
    }

    fn describe(&self) -> String {
        let short = self.kind.model().rsplit('.').next().unwrap_or_default();
        let classes = if self.kind.classifier() {
            format!(", numClasses={}", self.classes)
        } else {
            String::new()
        };
        format!(
            "{short}: uid={}, numTrees={}{classes}, numFeatures={}",
            self.uid,
            self.trees.len(),
            self.features
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_residuals_follow_sparks_gradient() {
        // At F = -1 for a negative example the next tree fits -4 / (1 + e^2).
        let r = Loss::Logistic.residual(-1.0, -1.0);
        assert!((r + 4.0 / (1.0 + 2f64.exp())).abs() < 1e-12);
        assert!((Loss::Logistic.error(-1.0, -1.0) - 2.0 * (-2f64).exp().ln_1p()).abs() < 1e-12);
    }

    #[test]
    fn subsets_follow_the_strategy() -> MlResult<()> {
        assert_eq!(subset_size("auto", 9, true, 10)?, 3);
        assert_eq!(subset_size("auto", 9, false, 10)?, 3);
        assert_eq!(subset_size("auto", 9, true, 1)?, 9);
        assert_eq!(subset_size("0.5", 9, true, 10)?, 5);
        assert_eq!(subset_size("4", 9, true, 10)?, 4);
        Ok(())
    }
}
