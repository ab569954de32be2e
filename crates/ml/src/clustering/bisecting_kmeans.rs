//! `BisectingKMeans`: divisive clustering. Level by level the largest divisible leaves are split in
//! two by a few k-means passes started from two points beside their center; a point is predicted
//! by descending the tree to the closer child at every node.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int32Array, Int64Array, ListArray, RecordBatch,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int32Type, Int64Type, Schema};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_functions::{JavaRandom, Vector, VectorBuilder};
use futures::future::BoxFuture;

use crate::clustering::kmeans::{self, Distance};
use crate::clustering::summary::{self, ClusteringSummary};
use crate::dataset::Labeled;
use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const ESTIMATOR: &str = "org.apache.spark.ml.clustering.BisectingKMeans";
const MODEL: &str = "org.apache.spark.ml.clustering.BisectingKMeansModel";
const ROOT: u64 = 1;
/// Raw node ids double per level, so the tree stops growing before they overflow.
const LEVEL_LIMIT: u32 = 63;

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("k", MlValue::Integer(4)),
        ("maxIter", MlValue::Integer(20)),
        ("minDivisibleClusterSize", MlValue::Double(1.0)),
        ("distanceMeasure", MlValue::String("euclidean".into())),
        ("featuresCol", MlValue::String("features".into())),
        ("predictionCol", MlValue::String("prediction".into())),
        // The hash of the estimator's class name, as Spark seeds it by default.
        ("seed", MlValue::Long(566_573_821)),
    ]
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

/// Running sums over a cluster's points.
struct Sums {
    count: i64,
    weight: f64,
    sum: Vec<f64>,
    squares: f64,
}

impl Sums {
    fn new(dims: usize) -> Sums {
        Sums {
            count: 0,
            weight: 0.0,
            sum: vec![0.0; dims],
            squares: 0.0,
        }
    }

    /// Adds a point; under the cosine measure its direction only.
    fn add(&mut self, x: &[f64], w: f64, distance: Distance) {
        self.count += 1;
        self.weight += w;
        let scale = match distance {
            Distance::Euclidean => {
                self.squares += w * dot(x, x);
                w
            }
            Distance::Cosine => w / kmeans::norm(x),
        };
        for (s, v) in self.sum.iter_mut().zip(x) {
            *s += scale * v;
        }
    }

    /// The cluster's center and its cost: the weighted squared distances to the center, or the
    /// weighted cosine distances.
    fn summary(&self, distance: Distance) -> Summary {
        let center = distance.center(&self.sum, self.weight.max(f64::MIN_POSITIVE));
        let cost = match distance {
            Distance::Euclidean => self.squares - self.weight * dot(&center, &center),
            Distance::Cosine => {
                self.weight - dot(&center, &self.sum) / kmeans::norm(&center).max(f64::MIN_POSITIVE)
            }
        };
        Summary {
            count: self.count,
            center,
            cost: cost.max(0.0),
        }
    }
}

struct Summary {
    count: i64,
    center: Vec<f64>,
    cost: f64,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The summaries of the clusters points are assigned to, keeping only points whose cluster's
/// parent is in `parents` when given.
fn summarize(
    data: &Labeled,
    assignment: &[u64],
    parents: Option<&BTreeSet<u64>>,
    distance: Distance,
) -> BTreeMap<u64, Summary> {
    let mut sums: BTreeMap<u64, Sums> = BTreeMap::new();
    for (i, cluster) in assignment.iter().enumerate() {
        if parents.is_some_and(|p| !p.contains(&(cluster / 2))) {
            continue;
        }
        sums.entry(*cluster)
            .or_insert_with(|| Sums::new(data.dims))
            .add(data.row(i), data.weights[i], distance);
    }
    sums.into_iter()
        .map(|(id, s)| (id, s.summary(distance)))
        .collect()
}

/// Points of a cluster being split move to the closer of its two children.
fn reassign(
    data: &Labeled,
    assignment: &[u64],
    splitting: &BTreeSet<u64>,
    centers: &BTreeMap<u64, Vec<f64>>,
    distance: Distance,
) -> Vec<u64> {
    assignment
        .iter()
        .enumerate()
        .map(|(i, cluster)| {
            if !splitting.contains(cluster) {
                return *cluster;
            }
            let mut best = (*cluster, f64::INFINITY);
            for child in [2 * cluster, 2 * cluster + 1] {
                if let Some(center) = centers.get(&child) {
                    let cost = distance.cost(data.row(i), center);
                    if cost < best.1 || best.0 == *cluster {
                        best = (child, cost);
                    }
                }
            }
            best.0
        })
        .collect()
}

/// Two starting centers a small random step either side of `center`.
fn split_center(center: &[f64], random: &mut JavaRandom, distance: Distance) -> [Vec<f64>; 2] {
    let level = 1e-4 * kmeans::norm(center);
    let noise: Vec<f64> = center.iter().map(|_| random.next_double()).collect();
    let step = |sign: f64| -> Vec<f64> {
        let moved: Vec<f64> = center
            .iter()
            .zip(&noise)
            .map(|(c, n)| c + sign * level * n)
            .collect();
        distance.center(&moved, 1.0)
    };
    [step(-1.0), step(1.0)]
}

struct Settings {
    k: usize,
    max_iter: usize,
    min_divisible: f64,
    distance: Distance,
    seed: i64,
}

/// Every cluster the divisive passes made, by raw id (children of `i` are `2i` and `2i + 1`).
fn grow(data: &Labeled, settings: &Settings) -> BTreeMap<u64, Summary> {
    let distance = settings.distance;
    let mut assignment = vec![ROOT; data.rows()];
    let mut active = summarize(data, &assignment, None, distance);
    let mut done: BTreeMap<u64, Summary> = BTreeMap::new();
    let points = active.get(&ROOT).map_or(0, |s| s.count);
    let min_size = if settings.min_divisible >= 1.0 {
        settings.min_divisible.ceil() as i64
    } else {
        (settings.min_divisible * points as f64).ceil() as i64
    };
    let mut random = JavaRandom::new(settings.seed as u64);
    let mut needed = settings.k.saturating_sub(1);
    let mut level = 1;
    while !active.is_empty() && needed > 0 && level < LEVEL_LIMIT {
        let mut divisible: Vec<(u64, i64)> = active
            .iter()
            .filter(|(_, s)| s.count >= min_size && s.cost > f64::EPSILON * s.count as f64)
            .map(|(id, s)| (*id, s.count))
            .collect();
        if divisible.len() > needed {
            divisible.sort_by_key(|(_, count)| -count);
            divisible.truncate(needed);
        }
        if divisible.is_empty() {
            done.append(&mut active);
            break;
        }
        let splitting: BTreeSet<u64> = divisible.iter().map(|(id, _)| *id).collect();
        let mut centers: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
        for id in &splitting {
            let [left, right] = split_center(&active[id].center, &mut random, distance);
            centers.insert(2 * id, left);
            centers.insert(2 * id + 1, right);
        }
        let mut children = BTreeMap::new();
        for _ in 0..settings.max_iter {
            let trial = reassign(data, &assignment, &splitting, &centers, distance);
            children = summarize(data, &trial, Some(&splitting), distance);
            centers = children
                .iter()
                .map(|(id, s)| (*id, s.center.clone()))
                .collect();
        }
        assignment = reassign(data, &assignment, &splitting, &centers, distance);
        // A split that left one side empty is undone: the cluster stays a leaf.
        for id in &splitting {
            if !(children.contains_key(&(2 * id)) && children.contains_key(&(2 * id + 1))) {
                children.remove(&(2 * id));
                children.remove(&(2 * id + 1));
                for a in assignment.iter_mut().filter(|a| **a / 2 == *id) {
                    *a = *id;
                }
            }
        }
        needed = needed.saturating_sub(splitting.len());
        done.append(&mut active);
        active = children;
        level += 1;
    }
    done.append(&mut active);
    done
}

/// A node of the fitted tree: leaves are numbered from 0 left to right, inner nodes from -1.
#[derive(Clone, Debug, PartialEq)]
struct Node {
    index: i32,
    size: i64,
    center: Vec<f64>,
    cost: f64,
    height: f64,
    children: Vec<usize>,
}

/// The tree in preorder, the root first.
fn build_tree(clusters: &BTreeMap<u64, Summary>, distance: Distance) -> Vec<Node> {
    fn visit(
        id: u64,
        clusters: &BTreeMap<u64, Summary>,
        distance: Distance,
        counters: &mut (i32, i32),
        nodes: &mut Vec<Node>,
    ) -> usize {
        let cluster = &clusters[&id];
        let position = nodes.len();
        let inner = clusters.contains_key(&(2 * id)) && clusters.contains_key(&(2 * id + 1));
        let (index, height) = if inner {
            counters.1 -= 1;
            let height = [2 * id, 2 * id + 1]
                .iter()
                .map(|c| distance.cost(&cluster.center, &clusters[c].center))
                .fold(0.0, f64::max);
            let height = match distance {
                Distance::Euclidean => height.sqrt(),
                Distance::Cosine => height,
            };
            (counters.1, height)
        } else {
            counters.0 += 1;
            (counters.0 - 1, 0.0)
        };
        nodes.push(Node {
            index,
            size: cluster.count,
            center: cluster.center.clone(),
            cost: cluster.cost,
            height,
            children: Vec::new(),
        });
        if inner {
            let left = visit(2 * id, clusters, distance, counters, nodes);
            let right = visit(2 * id + 1, clusters, distance, counters, nodes);
            nodes[position].children = vec![left, right];
        }
        position
    }
    let mut nodes = Vec::new();
    if clusters.contains_key(&ROOT) {
        visit(ROOT, clusters, distance, &mut (0, 0), &mut nodes);
    }
    nodes
}

/// The leaf `x` descends to and its cost there.
fn predict(nodes: &[Node], x: &[f64], distance: Distance) -> (i32, f64) {
    let Some(mut node) = nodes.first() else {
        return (0, 0.0);
    };
    let mut cost = distance.cost(x, &node.center);
    while !node.children.is_empty() {
        let mut best = (node.children[0], f64::INFINITY);
        for child in &node.children {
            let c = distance.cost(x, &nodes[*child].center);
            if c < best.1 {
                best = (*child, c);
            }
        }
        node = &nodes[best.0];
        cost = best.1;
    }
    (node.index, cost)
}

fn leaves(nodes: &[Node]) -> Vec<&Node> {
    let mut out: Vec<&Node> = nodes.iter().filter(|n| n.children.is_empty()).collect();
    out.sort_by_key(|n| n.index);
    out
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let k = params.int("k")?;
        if k < 2 {
            return illegal(format!("{uid} parameter k given invalid value {k}."));
        }
        let min_divisible = params.double("minDivisibleClusterSize")?;
        if min_divisible <= 0.0 || min_divisible.is_nan() {
            return illegal(format!(
                "BisectingKMeans minDivisibleClusterSize must be > 0, got {min_divisible}"
            ));
        }
        let settings = Settings {
            k: usize::try_from(k).unwrap_or(usize::MAX),
            max_iter: usize::try_from(params.int("maxIter")?).unwrap_or(0),
            min_divisible,
            distance: Distance::from_params(&params)?,
            seed: params.get("seed").and_then(MlValue::as_i64).unwrap_or(0),
        };
        let training = data.clone();
        let points = Labeled::collect(context, data, &params, false).await?;
        if points.rows() == 0 {
            return illegal("requirement failed: BisectingKMeans needs at least one point to fit.");
        }
        if settings.distance == Distance::Cosine
            && (0..points.rows()).any(|i| kmeans::norm(points.row(i)) == 0.0)
        {
            return illegal(
                "requirement failed: Cosine distance is not defined for zero-length vectors.",
            );
        }
        let nodes = build_tree(&grow(&points, &settings), settings.distance);
        // Spark counts over k clusters even when fewer could be split off.
        let mut sizes = vec![0i64; settings.k.max(leaves(&nodes).len())];
        for i in 0..points.rows() {
            let (leaf, _) = predict(&nodes, points.row(i), settings.distance);
            if let Some(size) = usize::try_from(leaf).ok().and_then(|l| sizes.get_mut(l)) {
                *size += 1;
            }
        }
        Ok(Arc::new(BisectingKMeansModel {
            uid,
            params,
            nodes,
            training: Some((training, sizes)),
        }) as Arc<dyn Model>)
    })
}

struct BisectingKMeansModel {
    uid: String,
    params: Params,
    nodes: Vec<Node>,
    /// The training data and how many of its points each leaf got.
    training: Option<(LogicalPlan, Vec<i64>)>,
}

impl BisectingKMeansModel {
    fn distance(&self) -> MlResult<Distance> {
        Distance::from_params(&self.params)
    }

    fn num_features(&self) -> usize {
        self.nodes.first().map_or(0, |n| n.center.len())
    }
}

impl Model for BisectingKMeansModel {
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
        let source = params.string("featuresCol")?;
        let (column, data_type) = frame::column(input.schema(), &source)?;
        frame::require_vector(&source, &data_type)?;
        let distance = Distance::from_params(params)?;
        let nodes = Arc::new(self.nodes.clone());
        let call = model_call(
            "bisecting_kmeans",
            DataType::Int32,
            vec![column],
            move |arrays| {
                let predictions: Int32Array = ember_functions::read_vectors(arrays[0].as_ref())?
                    .iter()
                    .map(|v| {
                        v.as_ref()
                            .map(|v| predict(&nodes, &v.to_dense(), distance).0)
                    })
                    .collect();
                Ok(Arc::new(predictions) as ArrayRef)
            },
        );
        frame::append_columns(input, vec![(params.string("predictionCol")?, call)])
    }

    fn attribute(&self, name: &str, args: &[MlValue]) -> MlResult<Option<Fetched>> {
        let value = match name {
            "clusterCenterMatrix" => {
                let centers: Vec<Vec<f64>> = leaves(&self.nodes)
                    .iter()
                    .map(|n| n.center.clone())
                    .collect();
                MlValue::Matrix(kmeans::center_matrix(&centers))
            }
            "numFeatures" => {
                MlValue::Integer(i32::try_from(self.num_features()).unwrap_or(i32::MAX))
            }
            "predict" => {
                let Some(MlValue::Vector(x)) = args.first() else {
                    return illegal("predict needs a vector");
                };
                MlValue::Integer(predict(&self.nodes, &x.to_dense(), self.distance()?).0)
            }
            "hasSummary" => MlValue::Boolean(self.training.is_some()),
            "summary" => {
                let Some((training, sizes)) = &self.training else {
                    return illegal("No training summary available for the BisectingKMeansModel");
                };
                let cost = leaves(&self.nodes).iter().map(|n| n.cost).sum();
                return Ok(Some(summary::object(ClusteringSummary {
                    predictions: self.transform(training.clone(), &self.params)?,
                    params: self.params.clone(),
                    k: sizes.len(),
                    sizes: sizes.clone(),
                    iterations: usize::try_from(self.params.int("maxIter")?).unwrap_or(0),
                    extra: Some(("trainingCost", cost)),
                    probability_col: None,
                })));
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
        _args: &'a [MlValue],
    ) -> BoxFuture<'a, MlResult<Option<Fetched>>> {
        Box::pin(async move {
            if name != "computeCost" {
                return Ok(None);
            }
            // The cost of each point at its leaf, unweighted as Spark computes it.
            let unweighted = self.params.with(&BTreeMap::from([(
                "weightCol".to_string(),
                MlValue::String(String::new()),
            )]));
            let points = Labeled::collect(context, data, &unweighted, false).await?;
            let distance = self.distance()?;
            let cost: f64 = (0..points.rows())
                .map(|i| predict(&self.nodes, points.row(i), distance).1)
                .sum();
            Ok(Some(Fetched::Value(MlValue::Double(cost))))
        })
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let mut centers = VectorBuilder::default();
        for node in &self.nodes {
            centers.append(Some(&Vector::Dense(node.center.clone())));
        }
        let children: Vec<i32> = self
            .nodes
            .iter()
            .flat_map(|n| n.children.iter().map(|c| self.nodes[*c].index))
            .collect();
        let children = ListArray::new(
            Arc::new(Field::new("element", DataType::Int32, false)),
            OffsetBuffer::from_lengths(self.nodes.iter().map(|n| n.children.len())),
            Arc::new(Int32Array::from(children)),
            None,
        );
        let doubles = |f: fn(&Node) -> f64| -> ArrayRef {
            Arc::new(self.nodes.iter().map(f).collect::<Float64Array>())
        };
        let schema = Schema::new(vec![
            Field::new("index", DataType::Int32, false),
            Field::new("size", DataType::Int64, false),
            Field::new("center", ember_functions::vector_type(), true),
            Field::new("norm", DataType::Float64, false),
            Field::new("cost", DataType::Float64, false),
            Field::new("height", DataType::Float64, false),
            Field::new("children", children.data_type().clone(), false),
        ]);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.nodes.iter().map(|n| n.index).collect::<Int32Array>()),
            Arc::new(self.nodes.iter().map(|n| n.size).collect::<Int64Array>()),
            centers.finish()?,
            doubles(|n| kmeans::norm(&n.center)),
            doubles(|n| n.cost),
            doubles(|n| n.height),
            Arc::new(children),
        ];
        Ok(Some(RecordBatch::try_new(Arc::new(schema), columns)?))
    }

    fn describe(&self) -> String {
        format!(
            "BisectingKMeansModel: uid={}, k={}, distanceMeasure={}, numFeatures={}",
            self.uid,
            leaves(&self.nodes).len(),
            self.params.string("distanceMeasure").unwrap_or_default(),
            self.num_features()
        )
    }
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let column = |name: &str| {
        data.column_by_name(name)
            .cloned()
            .ok_or_else(|| MlError::IllegalArgument(format!("model data lacks {name}")))
    };
    let indices = datafusion::arrow::compute::cast(&column("index")?, &DataType::Int32)?;
    let indices = indices.as_primitive::<Int32Type>();
    let sizes = datafusion::arrow::compute::cast(&column("size")?, &DataType::Int64)?;
    let costs = column("cost")?;
    let heights = column("height")?;
    let children = column("children")?;
    let children = children.as_list::<i32>();
    let centers = ember_functions::read_vectors(column("center")?.as_ref())?;
    let position: BTreeMap<i32, usize> = indices
        .values()
        .iter()
        .enumerate()
        .map(|(p, i)| (*i, p))
        .collect();
    let mut nodes = Vec::with_capacity(data.num_rows());
    for (row, center) in centers.iter().enumerate() {
        let kids = children.value(row);
        let kids = kids.as_primitive::<Int32Type>();
        nodes.push(Node {
            index: indices.value(row),
            size: sizes.as_primitive::<Int64Type>().value(row),
            center: center.as_ref().map(Vector::to_dense).unwrap_or_default(),
            cost: costs.as_primitive::<Float64Type>().value(row),
            height: heights.as_primitive::<Float64Type>().value(row),
            children: kids
                .values()
                .iter()
                .map(|k| {
                    position.get(k).copied().ok_or_else(|| {
                        MlError::IllegalArgument(format!("model data lacks node {k}"))
                    })
                })
                .collect::<MlResult<Vec<usize>>>()?,
        });
    }
    // The root is the one node nobody points to; it goes first.
    let pointed: BTreeSet<usize> = nodes.iter().flat_map(|n| n.children.clone()).collect();
    if let Some(root) = (0..nodes.len()).find(|p| !pointed.contains(p)) {
        if root != 0 {
            return illegal("model data must list the root node first");
        }
    }
    Ok(Arc::new(BisectingKMeansModel {
        uid,
        params,
        nodes,
        training: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(rows: &[[f64; 2]]) -> Labeled {
        Labeled {
            features: rows.iter().flatten().copied().collect(),
            labels: vec![0.0; rows.len()],
            weights: vec![1.0; rows.len()],
            dims: 2,
        }
    }

    fn settings(k: usize) -> Settings {
        Settings {
            k,
            max_iter: 20,
            min_divisible: 1.0,
            distance: Distance::Euclidean,
            seed: 1,
        }
    }

    #[test]
    fn splits_into_the_clear_groups_and_numbers_leaves_left_to_right() {
        let data = points(&[[0.0, 0.0], [1.0, 1.0], [9.0, 8.0], [8.0, 9.0]]);
        let nodes = build_tree(&grow(&data, &settings(2)), Distance::Euclidean);
        assert_eq!(nodes.len(), 3);
        assert_eq!(nodes[0].index, -1);
        let leaf_centers: Vec<Vec<f64>> = leaves(&nodes).iter().map(|n| n.center.clone()).collect();
        assert!(leaf_centers.contains(&vec![0.5, 0.5]));
        assert!(leaf_centers.contains(&vec![8.5, 8.5]));
        let (a, cost) = predict(&nodes, &[0.0, 0.0], Distance::Euclidean);
        let (b, _) = predict(&nodes, &[1.0, 1.0], Distance::Euclidean);
        assert_eq!(a, b);
        assert!((cost - 0.5).abs() < 1e-12);
    }

    #[test]
    fn stops_when_no_cluster_can_be_divided() {
        let data = points(&[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]);
        let nodes = build_tree(&grow(&data, &settings(4)), Distance::Euclidean);
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].index, 0);
    }
}
