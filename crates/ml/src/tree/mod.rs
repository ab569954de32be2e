//! Decision trees as Spark grows them: continuous features split at midpoints between
//! binned values, the split of largest impurity gain at each node, leaves when the depth
//! is reached or no split gains.

pub mod decision_tree;
pub mod ensemble;
pub mod node_data;

use rand::{Rng, SeedableRng};

use crate::model::OperatorDef;

use crate::dataset::Labeled;

pub fn operators() -> Vec<OperatorDef> {
    let mut all = decision_tree::operators();
    all.extend(ensemble::operators());
    all
}

/// How a node's label statistics measure impurity.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Impurity {
    Gini,
    Entropy,
    Variance,
}

impl Impurity {
    pub fn parse(name: &str) -> Option<Impurity> {
        match name.to_ascii_lowercase().as_str() {
            "gini" => Some(Impurity::Gini),
            "entropy" => Some(Impurity::Entropy),
            "variance" => Some(Impurity::Variance),
            _ => None,
        }
    }

    /// Statistics of no instances: class weights, or (weight, sum, sum of squares).
    fn empty(self, classes: usize) -> Vec<f64> {
        match self {
            Impurity::Variance => vec![0.0; 3],
            _ => vec![0.0; classes],
        }
    }

    fn add(self, stats: &mut [f64], label: f64, weight: f64) {
        match self {
            Impurity::Variance => {
                stats[0] += weight;
                stats[1] += weight * label;
                stats[2] += weight * label * label;
            }
            _ => {
                if let Some(slot) = stats.get_mut(label as usize) {
                    *slot += weight;
                }
            }
        }
    }

    pub fn count(self, stats: &[f64]) -> f64 {
        match self {
            Impurity::Variance => stats[0],
            _ => stats.iter().sum(),
        }
    }

    pub fn impurity(self, stats: &[f64]) -> f64 {
        let total = self.count(stats);
        if total <= 0.0 {
            return 0.0;
        }
        match self {
            Impurity::Gini => 1.0 - stats.iter().map(|c| (c / total).powi(2)).sum::<f64>(),
            Impurity::Entropy => -stats
                .iter()
                .filter(|c| **c > 0.0)
                .map(|c| (c / total) * (c / total).log2())
                .sum::<f64>(),
            Impurity::Variance => {
                let mean = stats[1] / total;
                stats[2] / total - mean * mean
            }
        }
    }

    /// The majority class (the first on ties), or the mean label.
    pub fn predict(self, stats: &[f64]) -> f64 {
        match self {
            Impurity::Variance => {
                if stats[0] > 0.0 {
                    stats[1] / stats[0]
                } else {
                    0.0
                }
            }
            _ => {
                let mut best = 0;
                for (i, c) in stats.iter().enumerate() {
                    if *c > stats[best] {
                        best = i;
                    }
                }
                best as f64
            }
        }
    }
}

/// A tree node with the statistics of the training instances that reached it.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub prediction: f64,
    pub impurity: f64,
    pub stats: Vec<f64>,
    pub raw_count: i64,
    pub split: Option<Split>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub feature: usize,
    /// Instances with `feature <= threshold` go left.
    pub threshold: f64,
    pub gain: f64,
    pub left: Box<Node>,
    pub right: Box<Node>,
}

impl Node {
    /// The leaf `x` reaches.
    pub fn leaf(&self, x: &[f64]) -> &Node {
        let mut node = self;
        while let Some(split) = &node.split {
            let value = x.get(split.feature).copied().unwrap_or(0.0);
            node = if value <= split.threshold {
                &split.left
            } else {
                &split.right
            };
        }
        node
    }

    /// The index of the leaf `x` reaches, counting leaves left to right.
    pub fn leaf_index(&self, x: &[f64]) -> usize {
        let mut node = self;
        let mut index = 0;
        while let Some(split) = &node.split {
            let value = x.get(split.feature).copied().unwrap_or(0.0);
            if value <= split.threshold {
                node = &split.left;
            } else {
                index += split.left.leaves();
                node = &split.right;
            }
        }
        index
    }

    pub fn leaves(&self) -> usize {
        match &self.split {
            Some(s) => s.left.leaves() + s.right.leaves(),
            None => 1,
        }
    }

    pub fn nodes(&self) -> usize {
        match &self.split {
            Some(s) => 1 + s.left.nodes() + s.right.nodes(),
            None => 1,
        }
    }

    pub fn depth(&self) -> usize {
        match &self.split {
            Some(s) => 1 + s.left.depth().max(s.right.depth()),
            None => 0,
        }
    }

    /// Adds each split's gain, weighted by the instances it split, to its feature.
    pub fn add_importances(&self, importances: &mut [f64], impurity: Impurity) {
        if let Some(split) = &self.split {
            if let Some(slot) = importances.get_mut(split.feature) {
                *slot += split.gain * impurity.count(&self.stats);
            }
            split.left.add_importances(importances, impurity);
            split.right.add_importances(importances, impurity);
        }
    }

    /// Spark's `toDebugString` lines of this subtree at `indent` spaces.
    pub fn debug_lines(&self, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match &self.split {
            Some(s) => {
                out.push_str(&format!(
                    "{pad}If (feature {} <= {})\n",
                    s.feature,
                    java_double(s.threshold)
                ));
                s.left.debug_lines(indent + 1, out);
                out.push_str(&format!(
                    "{pad}Else (feature {} > {})\n",
                    s.feature,
                    java_double(s.threshold)
                ));
                s.right.debug_lines(indent + 1, out);
            }
            None => out.push_str(&format!("{pad}Predict: {}\n", java_double(self.prediction))),
        }
    }
}

/// A double as Java prints it (`1.0`, `0.5`).
pub fn java_double(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e7 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

/// Feature importances normalized to sum to one, as a sparse vector's entries.
pub fn normalize(mut importances: Vec<f64>) -> Vec<f64> {
    let total: f64 = importances.iter().sum();
    if total > 0.0 {
        importances.iter_mut().for_each(|v| *v /= total);
    }
    importances
}

/// What limits growth.
#[derive(Clone, Debug)]
pub struct Growth {
    pub impurity: Impurity,
    pub classes: usize,
    pub max_depth: usize,
    pub max_bins: usize,
    pub min_instances: f64,
    pub min_weight_fraction: f64,
    pub min_info_gain: f64,
    /// How many features each node may consider (all when `None`), and the seed.
    pub features_per_node: Option<(usize, u64)>,
}

/// Candidate thresholds of each feature: midpoints between consecutive distinct values,
/// thinned to at most `max_bins - 1` by equal counts when there are more.
pub fn thresholds(data: &Labeled, max_bins: usize) -> Vec<Vec<f64>> {
    let splits = max_bins.saturating_sub(1).max(1);
    (0..data.dims)
        .map(|j| {
            let mut values: Vec<f64> = (0..data.rows())
                .filter(|i| data.weights[*i] > 0.0)
                .map(|i| data.row(i)[j])
                .collect();
            values.sort_by(f64::total_cmp);
            let mut counts: Vec<(f64, usize)> = Vec::new();
            for v in values {
                match counts.last_mut() {
                    Some(last) if last.0 == v => last.1 += 1,
                    _ => counts.push((v, 1)),
                }
            }
            if counts.len() <= 1 {
                return Vec::new();
            }
            if counts.len() - 1 <= splits {
                return counts.windows(2).map(|w| (w[0].0 + w[1].0) / 2.0).collect();
            }
            // Equal-count quantiles: cut where the running count passes each stride.
            let total: usize = counts.iter().map(|c| c.1).sum();
            let stride = total as f64 / (splits + 1) as f64;
            let mut cuts = Vec::new();
            let mut seen = counts[0].1;
            let mut target = stride;
            for w in counts.windows(2) {
                let next = seen + w[1].1;
                // Cut before the next value if that lands closer to the target.
                if (seen as f64 - target).abs() < (next as f64 - target).abs() {
                    cuts.push((w[0].0 + w[1].0) / 2.0);
                    target += stride;
                }
                seen = next;
            }
            cuts
        })
        .collect()
}

/// Grows a tree on `data` (labels are class indices for classification).
pub fn grow(data: &Labeled, thresholds: &[Vec<f64>], growth: &Growth) -> Node {
    let rows: Vec<usize> = (0..data.rows())
        .filter(|i| data.weights[*i] > 0.0)
        .collect();
    let total_weight: f64 = rows.iter().map(|i| data.weights[*i]).sum();
    let mut rng = rand::rngs::StdRng::seed_from_u64(growth.features_per_node.map_or(0, |f| f.1));
    let min_weight = growth.min_weight_fraction * total_weight;
    grow_node(data, thresholds, growth, &rows, 0, min_weight, &mut rng)
}

fn node_stats(data: &Labeled, rows: &[usize], growth: &Growth) -> Vec<f64> {
    let mut stats = growth.impurity.empty(growth.classes);
    for i in rows {
        growth
            .impurity
            .add(&mut stats, data.labels[*i], data.weights[*i]);
    }
    stats
}

fn grow_node(
    data: &Labeled,
    thresholds: &[Vec<f64>],
    growth: &Growth,
    rows: &[usize],
    depth: usize,
    min_weight: f64,
    rng: &mut rand::rngs::StdRng,
) -> Node {
    let impurity = growth.impurity;
    let stats = node_stats(data, rows, growth);
    let mut node = Node {
        prediction: impurity.predict(&stats),
        impurity: impurity.impurity(&stats),
        stats,
        raw_count: rows.len() as i64,
        split: None,
    };
    if depth >= growth.max_depth || node.impurity <= 0.0 {
        return node;
    }
    let mut features: Vec<usize> = (0..data.dims).collect();
    if let Some((count, _)) = growth.features_per_node {
        // A random subset per node, as random forests draw them.
        for i in 0..count.min(features.len()) {
            let j = rng.random_range(i..features.len());
            features.swap(i, j);
        }
        features.truncate(count.max(1));
        features.sort_unstable();
    }
    let total = impurity.count(&node.stats);
    // (gain, feature, threshold) of the best split; the first wins ties.
    let mut best: Option<(f64, usize, f64)> = None;
    for feature in features {
        let cuts = &thresholds[feature];
        if cuts.is_empty() {
            continue;
        }
        // Statistics per bin: bin b holds values in (cuts[b-1], cuts[b]].
        let mut bins = vec![impurity.empty(growth.classes); cuts.len() + 1];
        let mut bin_rows = vec![0usize; cuts.len() + 1];
        for i in rows {
            let value = data.row(*i)[feature];
            let bin = cuts.partition_point(|c| *c < value);
            impurity.add(&mut bins[bin], data.labels[*i], data.weights[*i]);
            bin_rows[bin] += 1;
        }
        let mut left = impurity.empty(growth.classes);
        let mut left_rows = 0usize;
        for (b, cut) in cuts.iter().enumerate() {
            for (l, v) in left.iter_mut().zip(&bins[b]) {
                *l += v;
            }
            left_rows += bin_rows[b];
            let right: Vec<f64> = node.stats.iter().zip(&left).map(|(t, l)| t - l).collect();
            let right_rows = rows.len() - left_rows;
            let (wl, wr) = (impurity.count(&left), impurity.count(&right));
            if (left_rows as f64) < growth.min_instances
                || (right_rows as f64) < growth.min_instances
                || wl < min_weight
                || wr < min_weight
                || wl <= 0.0
                || wr <= 0.0
            {
                continue;
            }
            let gain = node.impurity
                - wl / total * impurity.impurity(&left)
                - wr / total * impurity.impurity(&right);
            if gain < growth.min_info_gain || gain <= 0.0 {
                continue;
            }
            if best.is_none_or(|b| gain > b.0) {
                best = Some((gain, feature, *cut));
            }
        }
    }
    let Some((gain, feature, threshold)) = best else {
        return node;
    };
    let (left_rows, right_rows): (Vec<usize>, Vec<usize>) = rows
        .iter()
        .partition(|i| data.row(**i)[feature] <= threshold);
    node.split = Some(Split {
        feature,
        threshold,
        gain,
        left: Box::new(grow_node(
            data,
            thresholds,
            growth,
            &left_rows,
            depth + 1,
            min_weight,
            rng,
        )),
        right: Box::new(grow_node(
            data,
            thresholds,
            growth,
            &right_rows,
            depth + 1,
            min_weight,
            rng,
        )),
    });
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rows: &[(f64, f64)]) -> Labeled {
        Labeled {
            features: rows.iter().map(|r| r.0).collect(),
            labels: rows.iter().map(|r| r.1).collect(),
            weights: vec![1.0; rows.len()],
            dims: 1,
        }
    }

    #[test]
    fn one_split_separates_two_classes() {
        let d = data(&[(0.0, 0.0), (1.0, 1.0), (2.0, 1.0)]);
        let cuts = thresholds(&d, 32);
        assert_eq!(cuts[0], vec![0.5, 1.5]);
        let growth = Growth {
            impurity: Impurity::Gini,
            classes: 2,
            max_depth: 5,
            max_bins: 32,
            min_instances: 1.0,
            min_weight_fraction: 0.0,
            min_info_gain: 0.0,
            features_per_node: None,
        };
        let tree = grow(&d, &cuts, &growth);
        assert_eq!(tree.nodes(), 3);
        assert_eq!(tree.depth(), 1);
        assert_eq!(tree.split.as_ref().map(|s| s.threshold), Some(0.5));
        assert_eq!(tree.leaf(&[3.0]).prediction, 1.0);
        assert_eq!(tree.leaf_index(&[3.0]), 1);
    }

    #[test]
    fn variance_is_the_mean_square_deviation() {
        let mut stats = Impurity::Variance.empty(0);
        for y in [1.0, 3.0] {
            Impurity::Variance.add(&mut stats, y, 1.0);
        }
        assert_eq!(Impurity::Variance.impurity(&stats), 1.0);
        assert_eq!(Impurity::Variance.predict(&stats), 2.0);
    }
}
