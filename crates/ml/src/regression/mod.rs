//! Regressors.

pub mod linear_regression;
pub mod summary;

use crate::model::OperatorDef;

pub fn operators() -> Vec<OperatorDef> {
    linear_regression::operators()
}
