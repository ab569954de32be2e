//! Clustering: `KMeans`, `PowerIterationClustering`.

pub mod kmeans;
pub mod pic;
pub mod summary;

use crate::model::OperatorDef;

pub fn operators() -> Vec<OperatorDef> {
    let mut all = kmeans::operators();
    all.extend(pic::operators());
    all
}
