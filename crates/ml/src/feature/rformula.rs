//! `RFormula`: an R model formula (`y ~ x + s`, `y ~ . - s`, `y ~ a:b - 1`) into a feature
//! vector and a label, encoding string columns as one-hot indicators.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, ListBuilder, RecordBatch, StringArray,
    StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema};
use datafusion::common::exec_err;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::prelude::SessionContext;
use ember_functions::{Vector, VectorBuilder};
use futures::future::BoxFuture;

use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::persist::{extra_text, with_extra};
use crate::value::MlValue;

const ESTIMATOR: &str = "org.apache.spark.ml.feature.RFormula";
const MODEL: &str = "org.apache.spark.ml.feature.RFormulaModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("featuresCol", MlValue::String("features".into())),
        ("labelCol", MlValue::String("label".into())),
        ("handleInvalid", MlValue::String("error".into())),
        ("forceIndexLabel", MlValue::Boolean(false)),
        (
            "stringIndexerOrderType",
            MlValue::String("frequencyDesc".into()),
        ),
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

/// A formula resolved against the columns: the label, the terms (each one column or an
/// interaction of several), and whether it keeps the intercept.
#[derive(Debug, Clone, PartialEq)]
struct Resolved {
    label: String,
    terms: Vec<Vec<String>>,
    intercept: bool,
}

/// Parses `formula` over the columns `columns`.
fn resolve(formula: &str, columns: &[String]) -> MlResult<Resolved> {
    let Some((label, rhs)) = formula.split_once('~') else {
        return illegal(format!("Could not parse formula: {formula}"));
    };
    let label = label.trim().to_string();
    let mut intercept = true;
    let mut added: Vec<Vec<String>> = Vec::new();
    let mut removed: Vec<Vec<String>> = Vec::new();
    let mut sign = '+';
    let mut current = String::new();
    let mut flush = |sign: char, text: &str| -> MlResult<()> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        match (sign, text) {
            ('+', "0") | ('-', "1") => intercept = false,
            ('+', "1") | ('-', "0") => intercept = true,
            _ => {
                let expanded: Vec<Vec<String>> = if text == "." {
                    columns
                        .iter()
                        .filter(|c| **c != label)
                        .map(|c| vec![c.clone()])
                        .collect()
                } else {
                    vec![text.split(':').map(|p| p.trim().to_string()).collect()]
                };
                for term in &expanded {
                    if let Some(missing) = term.iter().find(|c| !columns.contains(c)) {
                        return illegal(format!(
                            "[UNRESOLVED_COLUMN] Column {missing} in formula {formula} does not exist."
                        ));
                    }
                }
                if sign == '+' {
                    added.extend(expanded);
                } else {
                    removed.extend(expanded);
                }
            }
        }
        Ok(())
    };
    for ch in rhs.chars() {
        if ch == '+' || ch == '-' {
            flush(sign, &current)?;
            current.clear();
            sign = ch;
        } else {
            current.push(ch);
        }
    }
    flush(sign, &current)?;
    let mut terms: Vec<Vec<String>> = Vec::new();
    for term in added {
        if !removed.contains(&term) && !terms.contains(&term) {
            terms.push(term);
        }
    }
    Ok(Resolved {
        label,
        terms,
        intercept,
    })
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Boolean
    )
}

/// Each string column's categories, most frequent first (ties alphabetically).
async fn categories(
    context: &SessionContext,
    data: &LogicalPlan,
    names: &[String],
) -> MlResult<BTreeMap<String, Vec<String>>> {
    let mut exprs = Vec::new();
    for name in names {
        let (column, _) = frame::column(data.schema(), name)?;
        exprs.push(datafusion::logical_expr::cast(column, DataType::Utf8));
    }
    let batches = frame::collect(context, frame::select(data.clone(), exprs)?).await?;
    let mut out = BTreeMap::new();
    for (i, name) in names.iter().enumerate() {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for value in frame::strings(&batches, i)?.into_iter().flatten() {
            *counts.entry(value).or_default() += 1;
        }
        let mut pairs: Vec<(String, usize)> = counts.into_iter().collect();
        pairs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out.insert(name.clone(), pairs.into_iter().map(|(v, _)| v).collect());
    }
    Ok(out)
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let columns: Vec<String> = data
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let formula = resolve(&params.string("formula")?, &columns)?;
        let mut text_columns: Vec<String> = Vec::new();
        for name in formula.terms.iter().flatten() {
            let (_, data_type) = frame::column(data.schema(), name)?;
            if is_text(&data_type) && !text_columns.contains(name) {
                text_columns.push(name.clone());
            }
        }
        let label_is_text = columns.contains(&formula.label)
            && is_text(&frame::column(data.schema(), &formula.label)?.1);
        if label_is_text || params.boolean("forceIndexLabel")? {
            text_columns.push(formula.label.clone());
        }
        let levels = categories(context, &data, &text_columns).await?;
        Ok(Arc::new(RFormulaModel {
            uid,
            params,
            formula,
            levels,
        }) as Arc<dyn Model>)
    })
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let lacks = |name: &str| MlError::IllegalArgument(format!("model data lacks {name}"));
    let label = data
        .column_by_name("label")
        .and_then(|c| c.as_string_opt::<i32>().map(|s| s.value(0).to_string()))
        .ok_or_else(|| lacks("label"))?;
    let terms_list = data
        .column_by_name("terms")
        .and_then(|c| c.as_list_opt::<i32>())
        .ok_or_else(|| lacks("terms"))?;
    let outer = terms_list.value(0);
    let inner = outer.as_list_opt::<i32>().ok_or_else(|| lacks("terms"))?;
    let terms = (0..inner.len())
        .map(|i| {
            inner
                .value(i)
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect()
        })
        .collect();
    let intercept = data
        .column_by_name("hasIntercept")
        .and_then(|c| c.as_boolean_opt().map(|b| b.value(0)))
        .unwrap_or(true);
    let levels = extra_text(&data, "categoryLevels")
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    Ok(Arc::new(RFormulaModel {
        uid,
        params,
        formula: Resolved {
            label,
            terms,
            intercept,
        },
        levels,
    }))
}

struct RFormulaModel {
    uid: String,
    params: Params,
    formula: Resolved,
    levels: BTreeMap<String, Vec<String>>,
}

/// How one input column enters the features.
#[derive(Clone)]
enum Input {
    Number,
    Vector,
    /// Categories; `drop_last` leaves the last one out of the indicators.
    Text(Vec<String>),
}

/// One row's encoding of `value` as `input`: `Err` names an unseen category.
fn encode(
    input: &Input,
    array: &ArrayRef,
    row: usize,
    drop_last: bool,
    keep: bool,
) -> Result<Option<Vec<f64>>, String> {
    if array.is_null(row) {
        return Ok(None);
    }
    Ok(Some(match input {
        Input::Number => vec![array.as_primitive::<Float64Type>().value(row)],
        Input::Vector => match ember_functions::read_vectors(&array.slice(row, 1)) {
            Ok(v) => v
                .into_iter()
                .next()
                .flatten()
                .map(|v| v.to_dense())
                .unwrap_or_default(),
            Err(e) => return Err(e.to_string()),
        },
        Input::Text(levels) => {
            let value = array.as_string::<i32>().value(row);
            let slots = levels.len() + usize::from(keep);
            let index = match levels.iter().position(|l| l == value) {
                Some(i) => i,
                None if keep => levels.len(),
                None => return Err(value.to_string()),
            };
            let width = if drop_last { slots - 1 } else { slots };
            let mut out = vec![0.0; width];
            if let Some(slot) = out.get_mut(index) {
                *slot = 1.0;
            }
            out
        }
    }))
}

impl RFormulaModel {
    fn describe_formula(&self) -> String {
        let terms: Vec<String> = self.formula.terms.iter().map(|t| t.join(":")).collect();
        format!(
            "ResolvedRFormula(label={}, terms=[{}], hasIntercept={})",
            self.formula.label,
            terms.join(","),
            self.formula.intercept
        )
    }
}

impl Model for RFormulaModel {
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
        let mode = params.choice("handleInvalid", &["error", "skip", "keep"])?;
        let keep = mode == "keep";
        let mut names: Vec<String> = Vec::new();
        let mut inputs: Vec<Input> = Vec::new();
        let mut args: Vec<Expr> = Vec::new();
        for name in self.formula.terms.iter().flatten() {
            if names.contains(name) {
                continue;
            }
            let (column, data_type) = frame::column(input.schema(), name)?;
            let (kind, expr) = if ember_functions::is_vector(&data_type) {
                (Input::Vector, column)
            } else if is_text(&data_type) {
                let levels = self.levels.get(name).cloned().unwrap_or_default();
                (
                    Input::Text(levels),
                    datafusion::logical_expr::cast(column, DataType::Utf8),
                )
            } else {
                frame::require_numeric(name, &data_type)?;
                (Input::Number, frame::as_double(column))
            };
            names.push(name.clone());
            inputs.push(kind);
            args.push(expr);
        }
        // Terms as positions into the inputs; without an intercept the first single
        // string term keeps all its categories.
        let mut full_first = !self.formula.intercept;
        let terms: Vec<(Vec<usize>, bool)> = self
            .formula
            .terms
            .iter()
            .map(|term| {
                let positions: Vec<usize> = term
                    .iter()
                    .filter_map(|c| names.iter().position(|n| n == c))
                    .collect();
                let text = positions.len() == 1 && matches!(inputs[positions[0]], Input::Text(_));
                let drop_last = positions.len() == 1 && !(text && full_first);
                if text {
                    full_first = false;
                }
                (positions, drop_last)
            })
            .collect();
        let skip = mode == "skip";
        let features = model_call(
            "rformula",
            ember_functions::vector_type(),
            args,
            move |arrays| {
                let rows = arrays.first().map_or(0, |a| a.len());
                let mut out = VectorBuilder::default();
                'rows: for row in 0..rows {
                    let mut values = Vec::new();
                    for (positions, drop_last) in &terms {
                        let mut product = vec![1.0];
                        for p in positions {
                            let part = match encode(&inputs[*p], &arrays[*p], row, *drop_last, keep) {
                            Ok(Some(part)) => part,
                            Ok(None) => {
                                out.append(None);
                                continue 'rows;
                            }
                            Err(_) if skip => {
                                out.append(None);
                                continue 'rows;
                            }
                            Err(value) => {
                                return exec_err!("[ILLEGAL_ARGUMENT] Unseen label: {value}. To handle unseen labels, set Param handleInvalid to keep.")
                            }
                        };
                            product = product
                                .iter()
                                .flat_map(|a| part.iter().map(move |b| a * b))
                                .collect();
                        }
                        values.extend(product);
                    }
                    out.append(Some(&Vector::Dense(values).compressed()));
                }
                out.finish()
            },
        );
        let mut outputs = vec![(params.string("featuresCol")?, features)];
        let label_col = params.string("labelCol")?;
        let has_label = input
            .schema()
            .fields()
            .iter()
            .any(|f| *f.name() == self.formula.label);
        let label_exists = input
            .schema()
            .fields()
            .iter()
            .any(|f| *f.name() == label_col);
        if has_label && !label_exists {
            let (column, _) = frame::column(input.schema(), &self.formula.label)?;
            let label = match self.levels.get(&self.formula.label) {
                Some(levels) => {
                    let levels = Arc::new(levels.clone());
                    model_call(
                        "rformula_label",
                        DataType::Float64,
                        vec![datafusion::logical_expr::cast(column, DataType::Utf8)],
                        move |arrays| {
                            let text = arrays[0].as_string::<i32>();
                            let out: Float64Array = text
                                .iter()
                                .map(|v| {
                                    v.and_then(|v| levels.iter().position(|l| l == v))
                                        .map(|i| i as f64)
                                })
                                .collect();
                            Ok(Arc::new(out) as ArrayRef)
                        },
                    )
                }
                None => frame::as_double(column),
            };
            outputs.push((label_col, label));
        }
        let plan = frame::append_columns(input, outputs)?;
        if !skip {
            return Ok(plan);
        }
        let (features, _) = frame::column(plan.schema(), &params.string("featuresCol")?)?;
        Ok(datafusion::logical_expr::LogicalPlanBuilder::from(plan)
            .filter(features.is_not_null())?
            .build()?)
    }

    fn attribute(&self, name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(match name {
            "resolvedFormula" | "resolvedFormulaString" => {
                Some(Fetched::Value(MlValue::String(self.describe_formula())))
            }
            _ => None,
        })
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let element = Arc::new(Field::new("element", DataType::Utf8, true));
        let inner_field = Arc::new(Field::new("element", DataType::List(element.clone()), true));
        let mut terms =
            ListBuilder::new(ListBuilder::new(StringBuilder::new()).with_field(element))
                .with_field(inner_field.clone());
        for term in &self.formula.terms {
            for column in term {
                terms.values().values().append_value(column);
            }
            terms.values().append(true);
        }
        terms.append(true);
        let schema = Schema::new(vec![
            Field::new("label", DataType::Utf8, true),
            Field::new("terms", DataType::List(inner_field), true),
            Field::new("hasIntercept", DataType::Boolean, false),
        ]);
        let batch = RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringArray::from(vec![self.formula.label.clone()])),
                Arc::new(terms.finish()),
                Arc::new(BooleanArray::from(vec![self.formula.intercept])),
            ],
        )?;
        let levels = serde_json::to_string(&self.levels).unwrap_or_default();
        Ok(Some(with_extra(batch, &[("categoryLevels", levels)])?))
    }

    fn describe(&self) -> String {
        format!(
            "RFormulaModel: uid={}, resolvedFormula={}",
            self.uid,
            self.describe_formula()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<String> {
        ["y", "x", "s"].iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn formulas_resolve_like_r() -> MlResult<()> {
        let r = resolve("y ~ x + s", &columns())?;
        assert_eq!(r.terms, vec![vec!["x".to_string()], vec!["s".to_string()]]);
        assert!(r.intercept);
        let r = resolve("y ~ . - s", &columns())?;
        assert_eq!(r.terms, vec![vec!["x".to_string()]]);
        let r = resolve("y ~ x:s - 1", &columns())?;
        assert_eq!(r.terms, vec![vec!["x".to_string(), "s".to_string()]]);
        assert!(!r.intercept);
        assert!(resolve("y ~ z", &columns()).is_err());
        Ok(())
    }
}
