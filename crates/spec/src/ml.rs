//! `pyspark.ml` requests: operators named by their Spark class, the params the user set, and
//! the datasets they run on.

use crate::{Literal, Plan};

/// What kind of ML operator a class is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MlOperatorKind {
    Estimator,
    Transformer,
    Evaluator,
    Model,
    Unspecified,
}

/// An operator by its Spark class (`org.apache.spark.ml.feature.StringIndexer`).
#[derive(Debug, Clone, PartialEq)]
pub struct MlOperator {
    pub name: String,
    pub uid: String,
    pub kind: MlOperatorKind,
}

/// Params as the client sends them: only the ones the user set.
pub type MlParams = Vec<(String, Literal)>;

/// What a transform runs: a cached model or a transformer built from its class.
#[derive(Debug, Clone, PartialEq)]
pub enum MlTransformer {
    Model(String),
    Operator(MlOperator),
}

/// One call in a chain of method calls on a cached object (`model.summary.accuracy`).
#[derive(Debug, Clone, PartialEq)]
pub struct MlMethod {
    pub name: String,
    pub args: Vec<MlArgument>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MlArgument {
    Value(Literal),
    Dataset(Plan),
}

/// A relation that ML computes.
#[derive(Debug, Clone, PartialEq)]
pub enum MlRelation {
    Transform {
        input: Plan,
        transformer: MlTransformer,
        params: MlParams,
    },
    /// A method whose result is a DataFrame (`model.summary.roc`); `dataset` is the one the
    /// summary was computed on.
    Fetch {
        object: String,
        methods: Vec<MlMethod>,
        dataset: Option<Plan>,
    },
}

/// A command of the ML protocol.
#[derive(Debug, Clone, PartialEq)]
pub enum MlCommand {
    Fit {
        estimator: MlOperator,
        params: MlParams,
        dataset: Plan,
    },
    Fetch {
        object: String,
        methods: Vec<MlMethod>,
    },
    Delete {
        objects: Vec<String>,
        evict_only: bool,
    },
    Write {
        target: MlTransformer,
        params: MlParams,
        path: String,
        overwrite: bool,
    },
    Read {
        operator: MlOperator,
        path: String,
    },
    Evaluate {
        evaluator: MlOperator,
        params: MlParams,
        dataset: Plan,
    },
    CleanCache,
    GetCacheInfo,
    CreateSummary {
        model: String,
        dataset: Plan,
    },
    GetModelSize {
        model: String,
    },
}
