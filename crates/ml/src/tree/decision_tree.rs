//! `DecisionTreeClassifier` and `DecisionTreeRegressor`, and their models.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::prelude::SessionContext;
use ember_functions::Vector;
use futures::future::BoxFuture;

use crate::classification::{first_argmax, prediction_columns, Scored};
use crate::dataset::Labeled;
use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::persist::{extra_number, with_extra};
use crate::tree::{self, node_data, Growth, Impurity, Node};
use crate::value::MlValue;

const CLASSIFIER: &str = "org.apache.spark.ml.classification.DecisionTreeClassifier";
const CLASSIFIER_MODEL: &str = "org.apache.spark.ml.classification.DecisionTreeClassificationModel";
const REGRESSOR: &str = "org.apache.spark.ml.regression.DecisionTreeRegressor";
const REGRESSOR_MODEL: &str = "org.apache.spark.ml.regression.DecisionTreeRegressionModel";

/// The params every tree learner shares.
pub(crate) fn tree_defaults(classifier: bool) -> Vec<(&'static str, MlValue)> {
    let mut defaults = vec![
        ("maxDepth", MlValue::Integer(5)),
        ("maxBins", MlValue::Integer(32)),
        ("minInstancesPerNode", MlValue::Integer(1)),
        ("minWeightFractionPerNode", MlValue::Double(0.0)),
        ("minInfoGain", MlValue::Double(0.0)),
        ("maxMemoryInMB", MlValue::Integer(256)),
        ("cacheNodeIds", MlValue::Boolean(false)),
        ("checkpointInterval", MlValue::Integer(10)),
        ("leafCol", MlValue::String(String::new())),
        ("featuresCol", MlValue::String("features".into())),
        ("labelCol", MlValue::String("label".into())),
        ("predictionCol", MlValue::String("prediction".into())),
    ];
    if classifier {
        defaults.extend([
            ("impurity", MlValue::String("gini".into())),
            ("rawPredictionCol", MlValue::String("rawPrediction".into())),
            ("probabilityCol", MlValue::String("probability".into())),
        ]);
    } else {
        defaults.push(("impurity", MlValue::String("variance".into())));
    }
    defaults
}

fn classifier_defaults() -> Vec<(&'static str, MlValue)> {
    let mut d = tree_defaults(true);
    d.push(("seed", MlValue::Long(159_147_643)));
    d
}

fn regressor_defaults() -> Vec<(&'static str, MlValue)> {
    let mut d = tree_defaults(false);
    d.push(("seed", MlValue::Long(926_680_331)));
    d
}

pub fn operators() -> Vec<OperatorDef> {
    vec![
        OperatorDef {
            class: CLASSIFIER,
            defaults: classifier_defaults,
            role: Role::Estimator(|c, d, p, u| fit(true, c, d, p, u)),
        },
        OperatorDef {
            class: CLASSIFIER_MODEL,
            defaults: classifier_defaults,
            role: Role::Transformer(|u, p, d| load(true, u, p, d)),
        },
        OperatorDef {
            class: REGRESSOR,
            defaults: regressor_defaults,
            role: Role::Estimator(|c, d, p, u| fit(false, c, d, p, u)),
        },
        OperatorDef {
            class: REGRESSOR_MODEL,
            defaults: regressor_defaults,
            role: Role::Transformer(|u, p, d| load(false, u, p, d)),
        },
    ]
}

/// The growth limits `params` set, for `classes` classes (0 for regression).
pub(crate) fn growth(params: &Params, classes: usize) -> MlResult<Growth> {
    let name = params.string("impurity")?;
    let impurity = match Impurity::parse(&name) {
        Some(Impurity::Variance) if classes > 0 => None,
        Some(i) if classes == 0 && i != Impurity::Variance => None,
        other => other,
    }
    .ok_or_else(|| MlError::IllegalArgument(format!("impurity {name} is not supported here")))?;
    let max_depth = params.int("maxDepth")?;
    if !(0..=30).contains(&max_depth) {
        return illegal(format!(
            "DecisionTree maxDepth must be in range [0, 30], got {max_depth}"
        ));
    }
    let max_bins = params.int("maxBins")?;
    if max_bins < 2 {
        return illegal(format!("maxBins must be >= 2, got {max_bins}"));
    }
    Ok(Growth {
        impurity,
        classes,
        max_depth: max_depth as usize,
        max_bins: max_bins as usize,
        min_instances: params.int("minInstancesPerNode")? as f64,
        min_weight_fraction: params.double("minWeightFractionPerNode")?,
        min_info_gain: params.double("minInfoGain")?,
        features_per_node: None,
    })
}

/// How many classes the labels of `plan` hold: the nominal attribute's, else the largest
/// label plus one; labels must be whole numbers from 0.
pub(crate) fn class_count(plan: &LogicalPlan, params: &Params, data: &Labeled) -> MlResult<usize> {
    let label = params.string("labelCol")?;
    let mut classes = crate::feature::string_indexer::attribute_labels(plan, &label)
        .map(|l| l.len())
        .unwrap_or(0);
    for y in &data.labels {
        if *y < 0.0 || y.fract() != 0.0 {
            return illegal(format!(
                "Classifier found an invalid label {y}. Labels must be integers in range [0, numClasses)."
            ));
        }
        classes = classes.max(*y as usize + 1);
    }
    Ok(classes.max(2))
}

fn fit<'a>(
    classifier: bool,
    context: &'a SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'a, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let schema_plan = data.clone();
        let training = Labeled::collect(context, data, &params, true).await?;
        let classes = if classifier {
            class_count(&schema_plan, &params, &training)?
        } else {
            0
        };
        let growth = growth(&params, classes)?;
        let thresholds = tree::thresholds(&training, growth.max_bins);
        let root = tree::grow(&training, &thresholds, &growth);
        Ok(Arc::new(TreeModel {
            classifier,
            uid,
            params,
            root,
            features: training.dims,
            classes,
        }) as Arc<dyn Model>)
    })
}

/// A single tree as a model of its own, as an ensemble's `trees` hands them out.
pub(crate) fn tree_model(
    classifier: bool,
    root: Node,
    features: usize,
    classes: usize,
    features_col: &str,
) -> Arc<dyn Model> {
    let (prefix, defaults): (&str, crate::model::DefaultsFn) = if classifier {
        ("dtc", classifier_defaults)
    } else {
        ("dtr", regressor_defaults)
    };
    let set = std::collections::BTreeMap::from([(
        "featuresCol".to_string(),
        MlValue::String(features_col.to_string()),
    )]);
    Arc::new(TreeModel {
        classifier,
        uid: format!(
            "{prefix}_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        ),
        params: Params::new(set, &defaults()),
        root,
        features,
        classes,
    })
}

fn load(
    classifier: bool,
    uid: String,
    params: Params,
    data: Option<RecordBatch>,
) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let root = node_data::read_tree(&data)?;
    let classes = if classifier {
        extra_number(&data, "numClasses").unwrap_or(root.stats.len())
    } else {
        0
    };
    Ok(Arc::new(TreeModel {
        classifier,
        uid,
        params,
        features: extra_number(&data, "numFeatures").unwrap_or(0),
        root,
        classes,
    }))
}

struct TreeModel {
    classifier: bool,
    uid: String,
    params: Params,
    root: Node,
    features: usize,
    classes: usize,
}

/// A classification leaf's scores: its class weights, normalized, and the majority.
pub(crate) fn leaf_scores(stats: &[f64]) -> Scored {
    let total: f64 = stats.iter().sum();
    let probability: Vec<f64> = stats
        .iter()
        .map(|c| if total > 0.0 { c / total } else { 0.0 })
        .collect();
    let prediction = first_argmax(&probability);
    (stats.to_vec(), probability, prediction)
}

/// A per-row double column computed from the leaf each feature vector reaches.
pub(crate) fn leaf_column(
    name: &str,
    features: Expr,
    value: impl Fn(&Vector) -> f64 + Send + Sync + 'static,
) -> Expr {
    model_call(name, DataType::Float64, vec![features], move |arrays| {
        let out: Float64Array = ember_functions::read_vectors(arrays[0].as_ref())?
            .iter()
            .map(|v| v.as_ref().map(&value))
            .collect();
        Ok(Arc::new(out) as ArrayRef)
    })
}

impl TreeModel {
    fn debug_string(&self) -> String {
        let mut out = self.describe();
        out.push('\n');
        self.root.debug_lines(2, &mut out);
        out
    }
}

impl Model for TreeModel {
    fn class(&self) -> &'static str {
        if self.classifier {
            CLASSIFIER_MODEL
        } else {
            REGRESSOR_MODEL
        }
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
        let root = Arc::new(self.root.clone());
        let mut outputs = if self.classifier {
            let root = root.clone();
            prediction_columns(
                "decision_tree",
                params,
                column.clone(),
                Arc::new(move |x: &Vector| leaf_scores(&root.leaf(&x.to_dense()).stats)),
            )?
        } else {
            let mut outputs = Vec::new();
            let prediction = params.string("predictionCol")?;
            if !prediction.is_empty() {
                let root = root.clone();
                outputs.push((
                    prediction,
                    leaf_column("decision_tree", column.clone(), move |x| {
                        root.leaf(&x.to_dense()).prediction
                    }),
                ));
            }
            let variance = params.optional_string("varianceCol").unwrap_or_default();
            if !variance.is_empty() {
                let root = root.clone();
                outputs.push((
                    variance,
                    leaf_column("decision_tree_variance", column.clone(), move |x| {
                        root.leaf(&x.to_dense()).impurity
                    }),
                ));
            }
            outputs
        };
        let leaf = params.optional_string("leafCol").unwrap_or_default();
        if !leaf.is_empty() {
            outputs.push((
                leaf,
                leaf_column("decision_tree_leaf", column, move |x| {
                    root.leaf_index(&x.to_dense()) as f64
                }),
            ));
        }
        frame::append_columns(input, outputs)
    }

    fn attribute(&self, name: &str, args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let x = || match args.first() {
            Some(MlValue::Vector(x)) => Ok(x.to_dense()),
            _ => illegal(format!("{name} needs a vector")),
        };
        let value = match name {
            "numNodes" => MlValue::Integer(self.root.nodes() as i32),
            "depth" => MlValue::Integer(self.root.depth() as i32),
            "numFeatures" => MlValue::Integer(self.features as i32),
            "numClasses" if self.classifier => MlValue::Integer(self.classes as i32),
            "featureImportances" => {
                let mut importances = vec![0.0; self.features];
                self.root.add_importances(
                    &mut importances,
                    growth(&self.params, self.classes)?.impurity,
                );
                sparse(tree::normalize(importances))
            }
            "toDebugString" => MlValue::String(self.debug_string()),
            "predictLeaf" => MlValue::Double(self.root.leaf_index(&x()?) as f64),
            "predict" => MlValue::Double(if self.classifier {
                leaf_scores(&self.root.leaf(&x()?).stats).2
            } else {
                self.root.leaf(&x()?).prediction
            }),
            "predictRaw" if self.classifier => {
                MlValue::Vector(Vector::Dense(leaf_scores(&self.root.leaf(&x()?).stats).0))
            }
            "predictProbability" if self.classifier => {
                MlValue::Vector(Vector::Dense(leaf_scores(&self.root.leaf(&x()?).stats).1))
            }
            _ => return Ok(None),
        };
        Ok(Some(Fetched::Value(value)))
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let batch = node_data::tree_batch(&self.root)?;
        let mut extra = vec![("numFeatures", self.features.to_string())];
        if self.classifier {
            extra.push(("numClasses", self.classes.to_string()));
        }
        Ok(Some(with_extra(batch, &extra)?))
    }

    fn describe(&self) -> String {
        let short = self.class().rsplit('.').next().unwrap_or_default();
        let classes = if self.classifier {
            format!(", numClasses={}", self.classes)
        } else {
            String::new()
        };
        format!(
            "{short}: uid={}, depth={}, numNodes={}{classes}, numFeatures={}",
            self.uid,
            self.root.depth(),
            self.root.nodes(),
            self.features
        )
    }
}

/// A vector of the non-zero entries of `values`, as Spark returns importances.
pub(crate) fn sparse(values: Vec<f64>) -> MlValue {
    let size = values.len();
    let (indices, values) = values
        .into_iter()
        .enumerate()
        .filter(|(_, v)| *v != 0.0)
        .unzip();
    MlValue::Vector(Vector::Sparse {
        size,
        indices,
        values,
    })
}
