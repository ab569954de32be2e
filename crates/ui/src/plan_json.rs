//! A physical plan as the UI draws it: operators numbered in pre-order, each with its
//! one-line description and its metrics as DataFusion reports them now (summed over
//! partitions), and edges from each child to its parent, as Spark's SQL API gives them.

use std::sync::Arc;

use datafusion::physical_plan::{displayable, ExecutionPlan};
use serde_json::{json, Value};

pub(crate) fn plan_json(plan: &Arc<dyn ExecutionPlan>) -> (Vec<Value>, Vec<Value>) {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    walk(plan, None, &mut nodes, &mut edges);
    (nodes, edges)
}

fn walk(
    plan: &Arc<dyn ExecutionPlan>,
    parent: Option<usize>,
    nodes: &mut Vec<Value>,
    edges: &mut Vec<Value>,
) {
    // Ember's task counters (progress reporting) pass rows through: not the user's plan.
    if plan.name() == "TaskCounterExec" {
        for child in plan.children() {
            walk(child, parent, nodes, edges);
        }
        return;
    }
    let id = nodes.len();
    nodes.push(json!({
        "nodeId": id,
        "nodeName": plan.name(),
        "description": displayable(plan.as_ref()).one_line().to_string().trim_end(),
        "metrics": metrics(plan),
    }));
    if let Some(parent) = parent {
        edges.push(json!({ "fromId": id, "toId": parent }));
    }
    for child in plan.children() {
        walk(child, Some(id), nodes, edges);
    }
}

fn metrics(plan: &Arc<dyn ExecutionPlan>) -> Vec<Value> {
    let Some(set) = plan.metrics() else {
        return Vec::new();
    };
    set.aggregate_by_name()
        .sorted_for_display()
        .timestamps_removed()
        .iter()
        .map(|metric| {
            let value = metric.value();
            json!({
                "name": value.name(),
                "value": value.to_string(),
                "raw": value.as_usize(),
            })
        })
        .collect()
}

/// The plan as indented text, as `explain` shows it.
pub(crate) fn plan_text(plan: &Arc<dyn ExecutionPlan>) -> String {
    displayable(plan.as_ref()).indent(true).to_string()
}
