//! `df.explain(mode)` in Spark's layout: the physical plan as a tree with Spark's `+-`
//! connectors, the logical plans for `extended` and `cost` (which adds each operator's
//! estimated size and rows), Spark's own words for `codegen` (Ember generates no code), and
//! for `formatted` the numbered operators followed by each one's output columns, arguments
//! and, when the same DataFrame has run in this session, the metrics of its last run.

use std::collections::VecDeque;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{displayable, ExecutionPlan};
use ember_spec::Plan;

/// Spark's explain modes, numbered as the client sends them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainMode {
    Simple,
    Extended,
    Codegen,
    Cost,
    Formatted,
}

impl ExplainMode {
    pub fn from_spark(code: i32) -> Self {
        match code {
            2 => ExplainMode::Extended,
            3 => ExplainMode::Codegen,
            4 => ExplainMode::Cost,
            5 => ExplainMode::Formatted,
            _ => ExplainMode::Simple,
        }
    }
}

/// How many recent runs a session remembers for `explain("formatted")`.
const RUNS_KEPT: usize = 8;

/// The formatted plans, with metrics, of a session's recent queries, by the DataFrame plan
/// that ran (text, so no operator and its data outlives its query).
#[derive(Default)]
pub(crate) struct LastRuns(Mutex<VecDeque<(Plan, String)>>);

impl LastRuns {
    pub(crate) fn record(&self, plan: Plan, formatted: String) {
        let mut runs = self.0.lock().unwrap_or_else(|e| e.into_inner());
        runs.retain(|(known, _)| known != &plan);
        runs.push_back((plan, formatted));
        while runs.len() > RUNS_KEPT {
            runs.pop_front();
        }
    }

    pub(crate) fn of(&self, plan: &Plan) -> Option<String> {
        let runs = self.0.lock().unwrap_or_else(|e| e.into_inner());
        runs.iter()
            .rev()
            .find(|(known, _)| known == plan)
            .map(|(_, formatted)| formatted.clone())
    }
}

/// The plans one explanation shows.
pub(crate) struct Explained<'a> {
    pub analyzed: &'a LogicalPlan,
    pub optimized: &'a LogicalPlan,
    pub physical: &'a Arc<dyn ExecutionPlan>,
    /// `formatted` of the same plan as it last ran, with its metrics.
    pub last_run: Option<String>,
}

pub(crate) fn explain(plans: &Explained<'_>, mode: ExplainMode) -> String {
    match mode {
        ExplainMode::Simple => format!("== Physical Plan ==\n{}\n", tree(plans.physical, false)),
        ExplainMode::Extended => format!(
            "== Parsed Logical Plan ==\n{}\n\n== Analyzed Logical Plan ==\n{}\n\n== Optimized Logical Plan ==\n{}\n\n== Physical Plan ==\n{}\n",
            plans.analyzed.display_indent(),
            plans.analyzed.display_indent_schema(),
            plans.optimized.display_indent(),
            tree(plans.physical, false)
        ),
        // Spark's words when no operator is compiled to code, which is always so here.
        ExplainMode::Codegen => "Found 0 WholeStageCodegen subtrees.\n".to_string(),
        ExplainMode::Cost => format!(
            "== Optimized Logical Plan ==\n{}\n\n== Physical Plan ==\n{}\n",
            plans.optimized.display_indent(),
            tree(plans.physical, true)
        ),
        ExplainMode::Formatted => plans
            .last_run
            .clone()
            .unwrap_or_else(|| formatted(plans.physical)),
    }
}

/// Operators Ember adds to count tasks for progress reports: not part of the user's plan.
fn visible_children(plan: &Arc<dyn ExecutionPlan>) -> Vec<Arc<dyn ExecutionPlan>> {
    plan.children()
        .into_iter()
        .flat_map(|child| {
            if child.name() == "TaskCounterExec" {
                visible_children(child)
            } else {
                vec![Arc::clone(child)]
            }
        })
        .collect()
}

fn visible(plan: &Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
    if plan.name() == "TaskCounterExec" {
        if let Some(child) = plan.children().first() {
            return visible(child);
        }
    }
    Arc::clone(plan)
}

fn one_line(plan: &Arc<dyn ExecutionPlan>) -> String {
    displayable(plan.as_ref())
        .one_line()
        .to_string()
        .trim_end()
        .to_string()
}

/// `[n]: [name:type, ...]`, as Spark lists an operator's columns.
fn columns(schema: &datafusion::arrow::datatypes::Schema) -> String {
    let listed: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("{}:{}", f.name(), f.data_type()))
        .collect();
    format!("[{}]: [{}]", listed.len(), listed.join(", "))
}

/// The operator's one-line description without its name, which the section heading gives.
fn arguments(plan: &Arc<dyn ExecutionPlan>) -> String {
    let line = one_line(plan);
    match line.strip_prefix(plan.name()) {
        Some(rest) => rest.trim_start_matches(':').trim().to_string(),
        None => line,
    }
}

fn statistics(plan: &Arc<dyn ExecutionPlan>) -> String {
    use datafusion::physical_plan::{StatisticsArgs, StatisticsContext};
    match StatisticsContext::new().compute(plan.as_ref(), &StatisticsArgs::new()) {
        Ok(stats) => {
            let size = stats
                .total_byte_size
                .get_value()
                .map_or_else(|| "unknown".to_string(), |b| crate::human_size(*b));
            let rows = stats
                .num_rows
                .get_value()
                .map_or_else(String::new, |r| format!(", rowCount={r}"));
            format!(", Statistics(sizeInBytes={size}{rows})")
        }
        Err(_) => String::new(),
    }
}

/// The operator tree with Spark's connectors: `+- ` before the last child, `:- ` before the
/// others, `:  ` continuing a line that has siblings below; `label` writes each operator.
fn draw(
    plan: &Arc<dyn ExecutionPlan>,
    lead: &str,
    rest: &str,
    label: &dyn Fn(&Arc<dyn ExecutionPlan>) -> String,
    out: &mut String,
) {
    let _ = writeln!(out, "{lead}{}", label(plan));
    let children = visible_children(plan);
    for (index, child) in children.iter().enumerate() {
        let (connector, continuation) = if index + 1 == children.len() {
            ("+- ", "   ")
        } else {
            (":- ", ":  ")
        };
        draw(
            child,
            &format!("{rest}{connector}"),
            &format!("{rest}{continuation}"),
            label,
            out,
        );
    }
}

fn tree(plan: &Arc<dyn ExecutionPlan>, with_statistics: bool) -> String {
    let mut out = String::new();
    let label = |node: &Arc<dyn ExecutionPlan>| {
        if with_statistics {
            format!("{}{}", one_line(node), statistics(node))
        } else {
            one_line(node)
        }
    };
    draw(&visible(plan), "", "", &label, &mut out);
    out
}

/// Operators numbered children first, as Spark numbers them.
fn numbered(plan: &Arc<dyn ExecutionPlan>, out: &mut Vec<Arc<dyn ExecutionPlan>>) {
    for child in visible_children(plan) {
        numbered(&child, out);
    }
    out.push(Arc::clone(plan));
}

pub(crate) fn formatted(plan: &Arc<dyn ExecutionPlan>) -> String {
    let root = visible(plan);
    let mut order = Vec::new();
    numbered(&root, &mut order);
    let number_of = |node: &Arc<dyn ExecutionPlan>| {
        order
            .iter()
            .position(|known| Arc::ptr_eq(known, node))
            .map_or(0, |i| i + 1)
    };
    let mut out = String::from("== Physical Plan ==\n");
    let label = |node: &Arc<dyn ExecutionPlan>| format!("{} ({})", node.name(), number_of(node));
    draw(&root, "", "", &label, &mut out);
    out.push('\n');
    for (index, node) in order.iter().enumerate() {
        let _ = write!(
            out,
            "\n({}) {}\nOutput {}\n",
            index + 1,
            node.name(),
            columns(&node.schema())
        );
        // Spark lists what an operator reads too, when it reads another operator.
        if let Some(input) = visible_children(node).first() {
            let _ = writeln!(out, "Input {}", columns(&input.schema()));
        }
        let _ = writeln!(out, "Arguments: {}", arguments(node));
        if let Some(metrics) = node.metrics() {
            let shown: Vec<String> = metrics
                .aggregate_by_name()
                .sorted_for_display()
                .timestamps_removed()
                .iter()
                .map(|m| format!("{}={}", m.value().name(), m.value()))
                .collect();
            if !shown.is_empty() {
                let _ = writeln!(out, "Metrics: {}", shown.join(", "));
            }
        }
    }
    out
}
