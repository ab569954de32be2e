//! Trees in Spark's saved layout: one row per node, numbered in preorder, with its
//! children's ids (-1 for leaves) and its split as `(featureIndex,
//! leftCategoriesOrThreshold, numCategories)`. Ensembles add a `treeID` and nest the node
//! under `nodeData`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, AsArray, Float64Array, Float64Builder, Int32Array, Int64Array, ListBuilder,
    RecordBatch, StructArray,
};
use datafusion::arrow::datatypes::{
    DataType, Field, Fields, Float64Type, Int32Type, Int64Type, Schema,
};

use crate::error::{MlError, MlResult};
use crate::tree::{Node, Split};

struct Row {
    id: i32,
    prediction: f64,
    impurity: f64,
    stats: Vec<f64>,
    raw_count: i64,
    gain: f64,
    left: i32,
    right: i32,
    feature: i32,
    threshold: Vec<f64>,
}

fn flatten(node: &Node, rows: &mut Vec<Row>) -> i32 {
    let id = rows.len() as i32;
    rows.push(Row {
        id,
        prediction: node.prediction,
        impurity: node.impurity,
        stats: node.stats.clone(),
        raw_count: node.raw_count,
        gain: -1.0,
        left: -1,
        right: -1,
        feature: -1,
        threshold: Vec::new(),
    });
    if let Some(split) = &node.split {
        let left = flatten(&split.left, rows);
        let right = flatten(&split.right, rows);
        let row = &mut rows[id as usize];
        row.gain = split.gain;
        row.left = left;
        row.right = right;
        row.feature = split.feature as i32;
        row.threshold = vec![split.threshold];
    }
    id
}

fn doubles_list(values: impl Iterator<Item = Vec<f64>>) -> (Field, ArrayRef) {
    let element = Arc::new(Field::new("element", DataType::Float64, false));
    let mut list = ListBuilder::new(Float64Builder::new()).with_field(element.clone());
    for v in values {
        list.values().append_slice(&v);
        list.append(true);
    }
    (
        Field::new("x", DataType::List(element), true),
        Arc::new(list.finish()),
    )
}

/// The node columns of `trees` (each with its id), as Spark's `NodeData` struct fields.
fn node_columns(trees: &[(i32, &Node)]) -> MlResult<(Vec<i32>, Fields, Vec<ArrayRef>)> {
    let mut tree_ids = Vec::new();
    let mut rows = Vec::new();
    for (tree, root) in trees {
        let mut own = Vec::new();
        flatten(root, &mut own);
        tree_ids.extend(std::iter::repeat_n(*tree, own.len()));
        rows.extend(own);
    }
    let (stats_field, stats) = doubles_list(rows.iter().map(|r| r.stats.clone()));
    let (threshold_field, thresholds) = doubles_list(rows.iter().map(|r| r.threshold.clone()));
    let split_fields = Fields::from(vec![
        Field::new("featureIndex", DataType::Int32, false),
        threshold_field.with_name("leftCategoriesOrThreshold"),
        Field::new("numCategories", DataType::Int32, false),
    ]);
    let split = StructArray::try_new(
        split_fields.clone(),
        vec![
            Arc::new(rows.iter().map(|r| r.feature).collect::<Int32Array>()),
            thresholds,
            Arc::new(Int32Array::from(vec![-1; rows.len()])),
        ],
        None,
    )?;
    let fields = Fields::from(vec![
        Field::new("id", DataType::Int32, false),
        Field::new("prediction", DataType::Float64, false),
        Field::new("impurity", DataType::Float64, false),
        stats_field.with_name("impurityStats"),
        Field::new("rawCount", DataType::Int64, false),
        Field::new("gain", DataType::Float64, false),
        Field::new("leftChild", DataType::Int32, false),
        Field::new("rightChild", DataType::Int32, false),
        Field::new("split", DataType::Struct(split_fields), true),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(rows.iter().map(|r| r.id).collect::<Int32Array>()),
        Arc::new(rows.iter().map(|r| r.prediction).collect::<Float64Array>()),
        Arc::new(rows.iter().map(|r| r.impurity).collect::<Float64Array>()),
        stats,
        Arc::new(rows.iter().map(|r| r.raw_count).collect::<Int64Array>()),
        Arc::new(rows.iter().map(|r| r.gain).collect::<Float64Array>()),
        Arc::new(rows.iter().map(|r| r.left).collect::<Int32Array>()),
        Arc::new(rows.iter().map(|r| r.right).collect::<Int32Array>()),
        Arc::new(split),
    ];
    Ok((tree_ids, fields, columns))
}

/// One tree's rows.
pub fn tree_batch(root: &Node) -> MlResult<RecordBatch> {
    let (_, fields, columns) = node_columns(&[(0, root)])?;
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// An ensemble's rows: `(treeID, nodeData)`.
pub fn ensemble_batch(trees: &[&Node]) -> MlResult<RecordBatch> {
    let numbered: Vec<(i32, &Node)> = trees
        .iter()
        .enumerate()
        .map(|(i, t)| (i as i32, *t))
        .collect();
    let (tree_ids, fields, columns) = node_columns(&numbered)?;
    let nodes = StructArray::try_new(fields.clone(), columns, None)?;
    let schema = Schema::new(vec![
        Field::new("treeID", DataType::Int32, false),
        Field::new("nodeData", DataType::Struct(fields), true),
    ]);
    Ok(RecordBatch::try_new(
        Arc::new(schema),
        vec![Arc::new(Int32Array::from(tree_ids)), Arc::new(nodes)],
    )?)
}

/// A node read from its row, with its children's ids, split feature, threshold and gain.
type NodeRow = (Node, i32, i32, usize, f64, f64);

fn lacks(name: &str) -> MlError {
    MlError::IllegalArgument(format!("tree data lacks {name}"))
}

/// Trees read back from node rows (`nodes` holds the `NodeData` fields), by tree id.
fn read_nodes(nodes: &StructArray, tree_ids: Option<&Int32Array>) -> MlResult<Vec<Node>> {
    let column = |name: &str| nodes.column_by_name(name).ok_or_else(|| lacks(name));
    let int = |name: &str| -> MlResult<Vec<i32>> {
        let c = datafusion::arrow::compute::cast(column(name)?, &DataType::Int32)?;
        Ok(c.as_primitive::<Int32Type>().values().to_vec())
    };
    let double = |name: &str| -> MlResult<Vec<f64>> {
        let c = datafusion::arrow::compute::cast(column(name)?, &DataType::Float64)?;
        Ok(c.as_primitive::<Float64Type>().values().to_vec())
    };
    let ids = int("id")?;
    let (predictions, impurities, gains) =
        (double("prediction")?, double("impurity")?, double("gain")?);
    let (lefts, rights) = (int("leftChild")?, int("rightChild")?);
    let counts = datafusion::arrow::compute::cast(column("rawCount")?, &DataType::Int64)?;
    let counts = counts.as_primitive::<Int64Type>();
    let stats = column("impurityStats")?
        .as_list_opt::<i32>()
        .ok_or_else(|| lacks("impurityStats"))?;
    let split = column("split")?
        .as_struct_opt()
        .ok_or_else(|| lacks("split"))?;
    let features = datafusion::arrow::compute::cast(
        split
            .column_by_name("featureIndex")
            .ok_or_else(|| lacks("featureIndex"))?,
        &DataType::Int32,
    )?;
    let features = features.as_primitive::<Int32Type>();
    let thresholds = split
        .column_by_name("leftCategoriesOrThreshold")
        .and_then(|c| c.as_list_opt::<i32>())
        .ok_or_else(|| lacks("leftCategoriesOrThreshold"))?;
    let list_values =
        |list: &datafusion::arrow::array::ListArray, i: usize| -> MlResult<Vec<f64>> {
            let v = datafusion::arrow::compute::cast(&list.value(i), &DataType::Float64)?;
            Ok(v.as_primitive::<Float64Type>().values().to_vec())
        };
    // Rows by (tree, id).
    let mut by_tree: BTreeMap<i32, HashMap<i32, usize>> = BTreeMap::new();
    for (row, id) in ids.iter().enumerate() {
        let tree = tree_ids.map_or(0, |t| t.value(row));
        by_tree.entry(tree).or_default().insert(*id, row);
    }
    let build = |tree: &HashMap<i32, usize>| -> MlResult<Node> {
        fn node(
            id: i32,
            tree: &HashMap<i32, usize>,
            make: &dyn Fn(usize) -> MlResult<NodeRow>,
            depth: usize,
        ) -> MlResult<Node> {
            let row = *tree.get(&id).ok_or_else(|| lacks("a child node"))?;
            let (mut n, left, right, feature, threshold, gain) = make(row)?;
            if left >= 0 && right >= 0 && depth < 64 {
                n.split = Some(Split {
                    feature,
                    threshold,
                    gain,
                    left: Box::new(node(left, tree, make, depth + 1)?),
                    right: Box::new(node(right, tree, make, depth + 1)?),
                });
            }
            Ok(n)
        }
        let make = |row: usize| -> MlResult<NodeRow> {
            let threshold = list_values(thresholds, row)?
                .first()
                .copied()
                .unwrap_or(0.0);
            Ok((
                Node {
                    prediction: predictions[row],
                    impurity: impurities[row],
                    stats: list_values(stats, row)?,
                    raw_count: counts.value(row),
                    split: None,
                },
                lefts[row],
                rights[row],
                usize::try_from(features.value(row)).unwrap_or(0),
                threshold,
                gains[row],
            ))
        };
        node(0, tree, &make, 0)
    };
    by_tree.values().map(build).collect()
}

/// The single tree of a decision tree model's data.
pub fn read_tree(batch: &RecordBatch) -> MlResult<Node> {
    let nodes = StructArray::from(batch.clone());
    read_nodes(&nodes, None)?
        .into_iter()
        .next()
        .ok_or_else(|| lacks("nodes"))
}

/// The trees of an ensemble's data, in tree id order.
pub fn read_ensemble(batch: &RecordBatch) -> MlResult<Vec<Node>> {
    let ids = batch
        .column_by_name("treeID")
        .ok_or_else(|| lacks("treeID"))?;
    let ids = datafusion::arrow::compute::cast(ids, &DataType::Int32)?;
    let nodes = batch
        .column_by_name("nodeData")
        .and_then(|c| c.as_struct_opt())
        .ok_or_else(|| lacks("nodeData"))?;
    read_nodes(nodes, Some(ids.as_primitive::<Int32Type>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(prediction: f64) -> Node {
        Node {
            prediction,
            impurity: 0.0,
            stats: vec![1.0, 0.0],
            raw_count: 1,
            split: None,
        }
    }

    #[test]
    fn trees_round_trip() -> MlResult<()> {
        let tree = Node {
            prediction: 0.0,
            impurity: 0.5,
            stats: vec![1.0, 1.0],
            raw_count: 2,
            split: Some(Split {
                feature: 0,
                threshold: 0.5,
                gain: 0.5,
                left: Box::new(leaf(0.0)),
                right: Box::new(leaf(1.0)),
            }),
        };
        assert_eq!(read_tree(&tree_batch(&tree)?)?, tree);
        let back = read_ensemble(&ensemble_batch(&[&tree, &leaf(1.0)])?)?;
        assert_eq!(back, vec![tree, leaf(1.0)]);
        Ok(())
    }
}
