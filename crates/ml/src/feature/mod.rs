//! Feature transformers and their estimators.

pub mod count_vectorizer;
pub mod elementwise;
pub mod idf;
pub mod imputer;
pub mod one_hot;
pub mod pca;
pub mod quantile_discretizer;
pub mod rformula;
pub mod scalers;
pub mod selectors;
pub mod sql_transformer;
pub mod string_indexer;
pub mod tokenizers;
pub mod vector_assembler;
pub mod vector_indexer;
pub mod vector_ops;
pub mod words;

use crate::model::OperatorDef;

pub fn operators() -> Vec<OperatorDef> {
    let mut all = string_indexer::operators();
    all.extend(vector_assembler::operators());
    all.extend(scalers::operators());
    all.extend(elementwise::operators());
    all.extend(one_hot::operators());
    all.extend(imputer::operators());
    all.extend(idf::operators());
    all.extend(tokenizers::operators());
    all.extend(words::operators());
    all.extend(sql_transformer::operators());
    all.extend(vector_ops::operators());
    all.extend(count_vectorizer::operators());
    all.extend(selectors::operators());
    all.extend(vector_indexer::operators());
    all.extend(rformula::operators());
    all.extend(pca::operators());
    all.extend(quantile_discretizer::operators());
    all
}
