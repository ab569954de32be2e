//! Clustering: `KMeans`, `BisectingKMeans`, `GaussianMixture`, `PowerIterationClustering`.

pub mod bisecting_kmeans;
pub mod gaussian_mixture;
pub mod kmeans;
pub mod pic;
pub mod summary;

use crate::model::OperatorDef;

pub fn operators() -> Vec<OperatorDef> {
    let mut all = kmeans::operators();
    all.extend(bisecting_kmeans::operators());
    all.extend(gaussian_mixture::operators());
    all.extend(pic::operators());
    all
}
