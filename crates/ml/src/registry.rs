//! Every operator class Ember knows, by its Spark name.

use std::sync::OnceLock;

use crate::model::OperatorDef;

fn all() -> &'static Vec<OperatorDef> {
    static ALL: OnceLock<Vec<OperatorDef>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = Vec::new();
        all.extend(crate::feature::operators());
        all.extend(crate::classification::operators());
        all.extend(crate::regression::operators());
        all.extend(crate::clustering::operators());
        all.extend(crate::tree::operators());
        all.extend(crate::fpm::operators());
        all.extend(crate::evaluation::operators());
        all
    })
}

/// The operator with Spark class `name`.
pub fn find(name: &str) -> Option<OperatorDef> {
    all().iter().find(|d| d.class == name).copied()
}
