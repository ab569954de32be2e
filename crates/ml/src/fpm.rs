//! `FPGrowth`: frequent itemsets of transactions, the association rules among them, and
//! predictions of the items a transaction's rules add.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, ListBuilder, RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::exec_err;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::prelude::SessionContext;
use futures::future::BoxFuture;

use crate::error::{illegal, MlError, MlResult};
use crate::frame::{self, model_call};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const ESTIMATOR: &str = "org.apache.spark.ml.fpm.FPGrowth";
const MODEL: &str = "org.apache.spark.ml.fpm.FPGrowthModel";

fn defaults() -> Vec<(&'static str, MlValue)> {
    vec![
        ("itemsCol", MlValue::String("items".into())),
        ("minSupport", MlValue::Double(0.3)),
        ("minConfidence", MlValue::Double(0.8)),
        ("predictionCol", MlValue::String("prediction".into())),
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

type Itemset = BTreeSet<String>;

/// The items column as `array<string>`, with the element type to give results back in.
fn items_column(plan: &LogicalPlan, params: &Params) -> MlResult<(Expr, DataType)> {
    let name = params.string("itemsCol")?;
    let (column, data_type) = frame::column(plan.schema(), &name)?;
    let (DataType::List(element) | DataType::LargeList(element)) = &data_type else {
        return illegal(format!(
            "requirement failed: The input column must be array, but got {}.",
            ember_resolve::from_arrow(&data_type).simple_string()
        ));
    };
    let strings = DataType::List(Arc::new(Field::new("element", DataType::Utf8, true)));
    Ok((
        datafusion::logical_expr::cast(column, strings),
        element.data_type().clone(),
    ))
}

/// Every itemset in at least `min_count` transactions, with its count (level by level:
/// an itemset can only be frequent if its subsets one item smaller are).
fn frequent_itemsets(transactions: &[Itemset], min_count: f64) -> Vec<(Itemset, i64)> {
    let mut found: Vec<(Itemset, i64)> = Vec::new();
    let mut singles: HashMap<String, i64> = HashMap::new();
    for t in transactions {
        for item in t {
            *singles.entry(item.clone()).or_default() += 1;
        }
    }
    let mut level: Vec<Itemset> = singles
        .into_iter()
        .filter(|(_, c)| *c as f64 >= min_count)
        .map(|(item, c)| {
            found.push((BTreeSet::from([item.clone()]), c));
            BTreeSet::from([item])
        })
        .collect();
    while !level.is_empty() {
        let previous: BTreeSet<Itemset> = level.iter().cloned().collect();
        let mut candidates: BTreeSet<Itemset> = BTreeSet::new();
        for (i, a) in level.iter().enumerate() {
            for b in &level[i + 1..] {
                let union: Itemset = a.union(b).cloned().collect();
                if union.len() == a.len() + 1
                    && union.iter().all(|drop| {
                        let mut subset = union.clone();
                        subset.remove(drop);
                        previous.contains(&subset)
                    })
                {
                    candidates.insert(union);
                }
            }
        }
        let mut counts: BTreeMap<Itemset, i64> = BTreeMap::new();
        for t in transactions {
            for c in &candidates {
                if c.is_subset(t) {
                    *counts.entry(c.clone()).or_default() += 1;
                }
            }
        }
        level = Vec::new();
        for (set, count) in counts {
            if count as f64 >= min_count {
                found.push((set.clone(), count));
                level.push(set);
            }
        }
    }
    found
}

/// A rule `antecedent => consequent` with its confidence, lift and support.
#[derive(Clone, Debug)]
struct Rule {
    antecedent: Itemset,
    consequent: String,
    confidence: f64,
    lift: f64,
    support: f64,
}

fn rules(itemsets: &[(Itemset, i64)], transactions: usize, min_confidence: f64) -> Vec<Rule> {
    let counts: HashMap<&Itemset, i64> = itemsets.iter().map(|(s, c)| (s, *c)).collect();
    let n = transactions as f64;
    let mut out = Vec::new();
    for (set, count) in itemsets.iter().filter(|(s, _)| s.len() > 1) {
        for item in set {
            let mut antecedent = set.clone();
            antecedent.remove(item);
            let (Some(base), Some(single)) = (
                counts.get(&antecedent),
                counts.get(&BTreeSet::from([item.clone()])),
            ) else {
                continue;
            };
            let confidence = *count as f64 / *base as f64;
            if confidence >= min_confidence {
                out.push(Rule {
                    antecedent,
                    consequent: item.clone(),
                    confidence,
                    lift: confidence / (*single as f64 / n),
                    support: *count as f64 / n,
                });
            }
        }
    }
    out
}

fn fit(
    context: &SessionContext,
    data: LogicalPlan,
    params: Params,
    uid: String,
) -> BoxFuture<'_, MlResult<Arc<dyn Model>>> {
    Box::pin(async move {
        let support = params.double("minSupport")?;
        if !(0.0..=1.0).contains(&support) {
            return illegal(format!("minSupport must be in [0, 1], got {support}"));
        }
        let (column, element) = items_column(&data, &params)?;
        let batches = frame::collect(context, frame::select(data, vec![column])?).await?;
        let mut transactions = Vec::new();
        for batch in &batches {
            for row in batch.column(0).as_list::<i32>().iter().flatten() {
                let items: Vec<Option<&str>> = row.as_string::<i32>().iter().collect();
                let set: Itemset = items.iter().flatten().map(|s| s.to_string()).collect();
                if set.len() != items.len() {
                    return illegal(format!(
                        "Items in a transaction must be unique but got {items:?}."
                    ));
                }
                transactions.push(set);
            }
        }
        let min_count = (support * transactions.len() as f64).ceil();
        let itemsets = frequent_itemsets(&transactions, min_count);
        Ok(Arc::new(FpGrowthModel {
            uid,
            params,
            itemsets,
            transactions: transactions.len(),
            element,
        }) as Arc<dyn Model>)
    })
}

fn load(uid: String, params: Params, data: Option<RecordBatch>) -> MlResult<Arc<dyn Model>> {
    let data = data.ok_or_else(|| MlError::IllegalArgument("model data is missing".into()))?;
    let lacks = |name: &str| MlError::IllegalArgument(format!("model data lacks {name}"));
    let items = data
        .column_by_name("items")
        .and_then(|c| c.as_list_opt::<i32>())
        .ok_or_else(|| lacks("items"))?;
    let element = match items.data_type() {
        DataType::List(f) => f.data_type().clone(),
        _ => DataType::Utf8,
    };
    let text = datafusion::arrow::compute::cast(
        items,
        &DataType::List(Arc::new(Field::new("element", DataType::Utf8, true))),
    )?;
    let freq = datafusion::arrow::compute::cast(
        data.column_by_name("freq").ok_or_else(|| lacks("freq"))?,
        &DataType::Int64,
    )?;
    let freq = freq.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
    let itemsets = text
        .as_list::<i32>()
        .iter()
        .zip(freq.iter())
        .filter_map(|(set, count)| {
            let set = set?;
            Some((
                set.as_string::<i32>()
                    .iter()
                    .flatten()
                    .map(str::to_string)
                    .collect(),
                count?,
            ))
        })
        .collect();
    let transactions = crate::persist::extra_number(&data, "numTrainingRecords").unwrap_or(0);
    Ok(Arc::new(FpGrowthModel {
        uid,
        params,
        itemsets,
        transactions,
        element,
    }))
}

struct FpGrowthModel {
    uid: String,
    params: Params,
    itemsets: Vec<(Itemset, i64)>,
    transactions: usize,
    element: DataType,
}

fn string_lists<'a>(sets: impl Iterator<Item = Vec<&'a String>>) -> ArrayRef {
    let mut list = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
        "element",
        DataType::Utf8,
        true,
    )));
    for set in sets {
        for item in set {
            list.values().append_value(item);
        }
        list.append(true);
    }
    Arc::new(list.finish())
}

impl FpGrowthModel {
    fn typed(&self, list: ArrayRef) -> MlResult<(ArrayRef, DataType)> {
        let data_type = DataType::List(Arc::new(Field::new("element", self.element.clone(), true)));
        Ok((
            datafusion::arrow::compute::cast(&list, &data_type)?,
            data_type,
        ))
    }

    fn rules(&self) -> MlResult<Vec<Rule>> {
        Ok(rules(
            &self.itemsets,
            self.transactions,
            self.params.double("minConfidence")?,
        ))
    }

    fn itemsets_batch(&self) -> MlResult<RecordBatch> {
        let (items, items_type) = self.typed(string_lists(
            self.itemsets.iter().map(|(s, _)| s.iter().collect()),
        ))?;
        let freq = Int64Array::from(self.itemsets.iter().map(|(_, c)| *c).collect::<Vec<_>>());
        let schema = Schema::new(vec![
            Field::new("items", items_type, false),
            Field::new("freq", DataType::Int64, false),
        ]);
        Ok(RecordBatch::try_new(
            Arc::new(schema),
            vec![items, Arc::new(freq)],
        )?)
    }

    fn rules_batch(&self) -> MlResult<RecordBatch> {
        let rules = self.rules()?;
        let (antecedent, list_type) = self.typed(string_lists(
            rules.iter().map(|r| r.antecedent.iter().collect()),
        ))?;
        let (consequent, _) =
            self.typed(string_lists(rules.iter().map(|r| vec![&r.consequent])))?;
        let number = |f: fn(&Rule) -> f64| -> ArrayRef {
            Arc::new(Float64Array::from(rules.iter().map(f).collect::<Vec<_>>()))
        };
        let schema = Schema::new(vec![
            Field::new("antecedent", list_type.clone(), false),
            Field::new("consequent", list_type, false),
            Field::new("confidence", DataType::Float64, false),
            Field::new("lift", DataType::Float64, true),
            Field::new("support", DataType::Float64, false),
        ]);
        Ok(RecordBatch::try_new(
            Arc::new(schema),
            vec![
                antecedent,
                consequent,
                number(|r| r.confidence),
                number(|r| r.lift),
                number(|r| r.support),
            ],
        )?)
    }
}

impl Model for FpGrowthModel {
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
        let (column, _) = items_column(&input, params)?;
        let rules = Arc::new(rules(
            &self.itemsets,
            self.transactions,
            params.double("minConfidence")?,
        ));
        let output = DataType::List(Arc::new(Field::new("element", self.element.clone(), true)));
        let element = self.element.clone();
        let call =
            model_call("fpgrowth", output.clone(), vec![column], move |arrays| {
                let Some(lists) = arrays[0].as_list_opt::<i32>() else {
                    return exec_err!("FPGrowth input is not an array");
                };
                let mut out = ListBuilder::new(StringBuilder::new())
                    .with_field(Arc::new(Field::new("element", DataType::Utf8, true)));
                for row in lists.iter() {
                    match row {
                        None => out.append(false),
                        Some(items) => {
                            let items: Itemset = items
                                .as_string::<i32>()
                                .iter()
                                .flatten()
                                .map(str::to_string)
                                .collect();
                            // Consequents of the rules the transaction satisfies, in rule order.
                            let mut added: Vec<&String> = Vec::new();
                            for rule in rules.iter() {
                                if rule.antecedent.is_subset(&items)
                                    && !items.contains(&rule.consequent)
                                    && !added.contains(&&rule.consequent)
                                {
                                    added.push(&rule.consequent);
                                }
                            }
                            for item in added {
                                out.values().append_value(item);
                            }
                            out.append(true);
                        }
                    }
                }
                let strings: ArrayRef = Arc::new(out.finish());
                let typed = DataType::List(Arc::new(Field::new("element", element.clone(), true)));
                datafusion::arrow::compute::cast(&strings, &typed).map_err(Into::into)
            });
        frame::append_columns(input, vec![(params.string("predictionCol")?, call)])
    }

    fn attribute(&self, name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(match name {
            "freqItemsets" => Some(Fetched::Batch(self.itemsets_batch()?)),
            "associationRules" => Some(Fetched::Batch(self.rules_batch()?)),
            _ => None,
        })
    }

    fn data(&self) -> MlResult<Option<RecordBatch>> {
        let batch = self.itemsets_batch()?;
        Ok(Some(crate::persist::with_extra(
            batch,
            &[("numTrainingRecords", self.transactions.to_string())],
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> Itemset {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn itemsets_and_rules_of_a_small_basket() {
        let transactions = vec![
            set(&["1", "2", "5"]),
            set(&["1", "2", "3", "5"]),
            set(&["1", "2"]),
        ];
        let found = frequent_itemsets(&transactions, 2.0);
        let lookup: HashMap<Itemset, i64> = found.iter().cloned().collect();
        assert_eq!(lookup[&set(&["1", "2", "5"])], 2);
        assert_eq!(lookup[&set(&["1"])], 3);
        assert!(!lookup.contains_key(&set(&["3"])));
        let rules = rules(&found, 3, 0.8);
        let rule = rules
            .iter()
            .find(|r| r.antecedent == set(&["5"]) && r.consequent == "1")
            .map(|r| (r.confidence, r.lift, r.support));
        assert_eq!(rule, Some((1.0, 1.0, 2.0 / 3.0)));
    }
}
