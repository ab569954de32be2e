//! Feature transformers and their estimators.

pub mod string_indexer;
pub mod vector_assembler;

use crate::model::OperatorDef;

pub fn operators() -> Vec<OperatorDef> {
    let mut all = string_indexer::operators();
    all.extend(vector_assembler::operators());
    all
}
