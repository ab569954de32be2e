//! `PowerIterationClustering`: a few power iterations of the row-normalized affinity
//! matrix give each vertex one number, and k-means clusters those numbers.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int32Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use datafusion::logical_expr::{lit, LogicalPlan};
use datafusion::prelude::SessionContext;
use rand::{Rng, SeedableRng};

use crate::clustering::kmeans::{cluster_numbers, Distance};
use crate::dataset::Labeled;
use crate::error::{illegal, MlResult};
use crate::frame;
use crate::model::{Argument, Fetched, OperatorDef, Role};
use crate::value::MlValue;

const CLASS: &str = "org.apache.spark.ml.clustering.PowerIterationClustering";
/// The name the client gives the operator when it saves or loads it.
const WRAPPER: &str = "org.apache.spark.ml.clustering.PowerIterationClusteringWrapper";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("k", MlValue::Integer(2)),
        ("maxIter", MlValue::Integer(20)),
        ("initMode", MlValue::String("random".into())),
        ("srcCol", MlValue::String("src".into())),
        ("dstCol", MlValue::String("dst".into())),
    ]
}

pub fn operators() -> Vec<OperatorDef> {
    [CLASS, WRAPPER]
        .into_iter()
        .map(|class| OperatorDef {
            class,
            defaults,
            // Only `assignClusters` runs it, through the client's helper.
            role: Role::Stateless(|_, input, _| Ok(input)),
        })
        .collect()
}

/// The symmetric affinity lists of each vertex, from `(src, dst, weight)` edges.
fn affinities(edges: &[(i64, i64, f64)]) -> BTreeMap<i64, Vec<(i64, f64)>> {
    let mut graph: BTreeMap<i64, Vec<(i64, f64)>> = BTreeMap::new();
    for (src, dst, weight) in edges {
        graph.entry(*src).or_default().push((*dst, *weight));
        graph.entry(*dst).or_default().push((*src, *weight));
    }
    graph
}

/// Each vertex's value after power iterations of `D^-1 A` from `start`, stopping when the
/// change between steps stops changing.
fn power_iterations(
    graph: &BTreeMap<i64, Vec<(i64, f64)>>,
    start: Vec<f64>,
    max_iter: usize,
) -> Vec<f64> {
    let ids: Vec<i64> = graph.keys().copied().collect();
    let position: BTreeMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let degrees: Vec<f64> = graph
        .values()
        .map(|n| n.iter().map(|e| e.1).sum())
        .collect();
    let tolerance = 1e-5 / ids.len().max(1) as f64;
    let mut v = start;
    let mut previous_delta = f64::MAX;
    for _ in 0..max_iter {
        let mut next: Vec<f64> = graph
            .values()
            .enumerate()
            .map(|(i, neighbours)| {
                let sum: f64 = neighbours.iter().map(|(j, w)| w * v[position[j]]).sum();
                if degrees[i] > 0.0 {
                    sum / degrees[i]
                } else {
                    0.0
                }
            })
            .collect();
        let norm: f64 = next
            .iter()
            .map(|x| x.abs())
            .sum::<f64>()
            .max(f64::MIN_POSITIVE);
        next.iter_mut().for_each(|x| *x /= norm);
        let delta: f64 = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
        v = next;
        if (delta - previous_delta).abs() <= tolerance {
            break;
        }
        previous_delta = delta;
    }
    v
}

/// The client's `assignClusters`: `(id, cluster)` rows of the graph `data` holds.
pub async fn assign_clusters(context: &SessionContext, args: Vec<Argument>) -> MlResult<Fetched> {
    let mut data: Option<LogicalPlan> = None;
    let mut values = Vec::new();
    for arg in args {
        match arg {
            Argument::Dataset(plan) => data = Some(plan),
            Argument::Value(v) => values.push(v),
        }
    }
    let Some(data) = data else {
        return illegal("assignClusters needs a dataset");
    };
    let int = |i: usize| values.get(i).and_then(MlValue::as_i64).unwrap_or(0);
    let text = |i: usize| {
        values
            .get(i)
            .and_then(MlValue::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (k, max_iter, init) = (int(0), int(1), text(2));
    if k < 2 {
        return illegal(format!("PowerIterationClustering k must be > 1, got {k}"));
    }
    let (src, dst, weight) = (text(3), text(4), text(5));
    let src = frame::column(data.schema(), &src)?.0;
    let dst = frame::column(data.schema(), &dst)?.0;
    let weight = if weight.is_empty() {
        lit(1.0)
    } else {
        frame::as_double(frame::column(data.schema(), &weight)?.0)
    };
    let cast = |e| datafusion::logical_expr::cast(e, DataType::Int64);
    let plan = frame::select(data, vec![cast(src), cast(dst), weight])?;
    let batches = frame::collect(context, plan).await?;
    let mut edges = Vec::new();
    for batch in &batches {
        let s = batch.column(0).as_primitive::<Int64Type>();
        let d = batch.column(1).as_primitive::<Int64Type>();
        let w = batch.column(2).as_primitive::<Float64Type>();
        for i in 0..batch.num_rows() {
            if s.is_valid(i) && d.is_valid(i) && w.is_valid(i) {
                if w.value(i) < 0.0 {
                    return illegal(format!(
                        "Similarity must be nonnegative but found s({}, {}) = {}.",
                        s.value(i),
                        d.value(i),
                        w.value(i)
                    ));
                }
                if s.value(i) != d.value(i) {
                    edges.push((s.value(i), d.value(i), w.value(i)));
                }
            }
        }
    }
    let graph = affinities(&edges);
    let start: Vec<f64> = if init == "degree" {
        let degrees: Vec<f64> = graph
            .values()
            .map(|n| n.iter().map(|e| e.1).sum())
            .collect();
        let total: f64 = degrees.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        degrees.iter().map(|d| d / total).collect()
    } else {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let raw: Vec<f64> = graph.keys().map(|_| rng.random::<f64>()).collect();
        let total: f64 = raw.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        raw.iter().map(|r| r / total).collect()
    };
    let embedding = power_iterations(&graph, start, usize::try_from(max_iter).unwrap_or(0));
    let points = Labeled {
        features: embedding.clone(),
        labels: vec![0.0; embedding.len()],
        weights: vec![1.0; embedding.len()],
        dims: 1,
    };
    let clusters = cluster_numbers(&points, k as usize, Distance::Euclidean, 0, 20);
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("cluster", DataType::Int32, false),
    ]);
    Ok(Fetched::Batch(RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(Int64Array::from(graph.keys().copied().collect::<Vec<_>>())),
            Arc::new(Int32Array::from(clusters)),
        ],
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_component_settles_on_one_value() {
        // Two separate triangles: iterations average within each, never across.
        let edges = [
            (0, 1, 1.0),
            (1, 2, 1.0),
            (0, 2, 1.0),
            (3, 4, 1.0),
            (4, 5, 1.0),
            (3, 5, 1.0),
        ];
        let graph = affinities(&edges);
        let v = power_iterations(&graph, vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 60);
        assert!((v[0] - v[2]).abs() < 1e-3 && (v[3] - v[5]).abs() < 1e-3);
        assert!((v[0] - v[3]).abs() > 0.05);
    }
}
