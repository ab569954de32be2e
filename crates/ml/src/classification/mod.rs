//! Classifiers.

pub mod logistic_regression;

use crate::model::OperatorDef;

pub fn operators() -> Vec<OperatorDef> {
    logistic_regression::operators()
}
