//! Spark's evaluation metrics over (score or prediction, label, weight) rows.

use std::collections::BTreeMap;

/// Points of the ROC and PR curves and their areas, as Spark's binary metrics compute them:
/// one point per distinct score (or per bin of scores when there are many).
pub struct BinaryCurves {
    /// (false positive rate, true positive rate), from (0,0) to (1,1).
    pub roc: Vec<(f64, f64)>,
    /// (recall, precision), starting at recall 0.
    pub pr: Vec<(f64, f64)>,
    /// Per threshold: (threshold, precision, recall, F1).
    pub thresholds: Vec<(f64, f64, f64, f64)>,
}

pub fn binary_curves(rows: &[(f64, f64, f64)], num_bins: usize) -> BinaryCurves {
    // Weighted positives and negatives per distinct score, highest score first.
    let mut by_score: Vec<(f64, f64, f64)> = Vec::new();
    let mut sorted: Vec<&(f64, f64, f64)> = rows.iter().collect();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (score, label, weight) in sorted {
        let (pos, neg) = if *label > 0.5 {
            (*weight, 0.0)
        } else {
            (0.0, *weight)
        };
        match by_score.last_mut() {
            Some(last) if last.0 == *score => {
                last.1 += pos;
                last.2 += neg;
            }
            _ => by_score.push((*score, pos, neg)),
        }
    }
    if let Some(grouping) = by_score.len().checked_div(num_bins) {
        if grouping >= 2 {
            by_score = by_score
                .chunks(grouping)
                .map(|chunk| {
                    let pos = chunk.iter().map(|c| c.1).sum();
                    let neg = chunk.iter().map(|c| c.2).sum();
                    (chunk.last().map(|c| c.0).unwrap_or(0.0), pos, neg)
                })
                .collect();
        }
    }
    let total_pos: f64 = by_score.iter().map(|c| c.1).sum();
    let total_neg: f64 = by_score.iter().map(|c| c.2).sum();
    let mut roc = vec![(0.0, 0.0)];
    let mut pr = Vec::new();
    let mut thresholds = Vec::new();
    let (mut tp, mut fp) = (0.0, 0.0);
    for (score, pos, neg) in &by_score {
        tp += pos;
        fp += neg;
        let tpr = if total_pos == 0.0 {
            0.0
        } else {
            tp / total_pos
        };
        let fpr = if total_neg == 0.0 {
            0.0
        } else {
            fp / total_neg
        };
        let precision = if tp + fp == 0.0 { 1.0 } else { tp / (tp + fp) };
        roc.push((fpr, tpr));
        pr.push((tpr, precision));
        let f1 = if precision + tpr == 0.0 {
            0.0
        } else {
            2.0 * precision * tpr / (precision + tpr)
        };
        thresholds.push((*score, precision, tpr, f1));
    }
    roc.push((1.0, 1.0));
    let first_precision = pr.first().map(|p| p.1).unwrap_or(1.0);
    pr.insert(0, (0.0, first_precision));
    BinaryCurves {
        roc,
        pr,
        thresholds,
    }
}

/// The area under a curve of (x, y) points by the trapezoid rule.
pub fn area(points: &[(f64, f64)]) -> f64 {
    points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
        .sum()
}

/// Confusion counts by (label, prediction), weighted.
pub struct Confusion {
    pub counts: BTreeMap<(i64, i64), f64>,
    pub total: f64,
    pub labels: Vec<f64>,
}

impl Confusion {
    pub fn new(rows: &[(f64, f64, f64)]) -> Confusion {
        let mut counts = BTreeMap::new();
        let mut total = 0.0;
        let mut labels = std::collections::BTreeSet::new();
        for (prediction, label, weight) in rows {
            *counts
                .entry((label.to_bits() as i64, prediction.to_bits() as i64))
                .or_insert(0.0) += weight;
            total += weight;
            labels.insert(label.to_bits());
        }
        let mut labels: Vec<f64> = labels.into_iter().map(f64::from_bits).collect();
        labels.sort_by(f64::total_cmp);
        Confusion {
            counts,
            total,
            labels,
        }
    }

    fn count(&self, label: Option<f64>, prediction: Option<f64>) -> f64 {
        self.counts
            .iter()
            .filter(|((l, p), _)| {
                label.is_none_or(|x| *l == x.to_bits() as i64)
                    && prediction.is_none_or(|x| *p == x.to_bits() as i64)
            })
            .map(|(_, c)| c)
            .sum()
    }

    pub fn accuracy(&self) -> f64 {
        let correct: f64 = self
            .counts
            .iter()
            .filter(|((l, p), _)| l == p)
            .map(|(_, c)| c)
            .sum();
        correct / self.total
    }

    pub fn true_positive_rate(&self, label: f64) -> f64 {
        let actual = self.count(Some(label), None);
        if actual == 0.0 {
            0.0
        } else {
            self.count(Some(label), Some(label)) / actual
        }
    }

    pub fn false_positive_rate(&self, label: f64) -> f64 {
        let negatives = self.total - self.count(Some(label), None);
        if negatives == 0.0 {
            0.0
        } else {
            (self.count(None, Some(label)) - self.count(Some(label), Some(label))) / negatives
        }
    }

    pub fn precision(&self, label: f64) -> f64 {
        let predicted = self.count(None, Some(label));
        if predicted == 0.0 {
            0.0
        } else {
            self.count(Some(label), Some(label)) / predicted
        }
    }

    pub fn f_measure(&self, label: f64, beta: f64) -> f64 {
        let p = self.precision(label);
        let r = self.true_positive_rate(label);
        let b2 = beta * beta;
        if p + r == 0.0 {
            0.0
        } else {
            (1.0 + b2) * p * r / (b2 * p + r)
        }
    }

    /// Σ over labels of (label frequency × metric).
    pub fn weighted(&self, metric: impl Fn(f64) -> f64) -> f64 {
        self.labels
            .iter()
            .map(|l| self.count(Some(*l), None) / self.total * metric(*l))
            .sum()
    }
}
