//! Regressors.

pub mod glm;
pub mod isotonic;
pub mod linear_regression;
pub mod summary;

use crate::model::OperatorDef;

pub fn operators() -> Vec<OperatorDef> {
    let mut all = linear_regression::operators();
    all.extend(isotonic::operators());
    all.extend(glm::operators());
    all
}
