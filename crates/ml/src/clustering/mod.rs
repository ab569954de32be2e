//! Clustering: `KMeans`.

pub mod kmeans;
pub mod summary;

use crate::model::OperatorDef;

pub fn operators() -> Vec<OperatorDef> {
    kmeans::operators()
}
