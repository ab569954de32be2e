//! What the ML runtime works with: fitted models (and transformers, which are models that
//! need no fitting), other objects a method returns (summaries), and the operator catalog.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use ember_resolve::Resolver;
use futures::future::BoxFuture;

use crate::error::MlResult;
use crate::params::Params;
use crate::value::MlValue;

/// A method's argument: a value or a dataset.
pub enum Argument {
    Value(MlValue),
    Dataset(LogicalPlan),
}

/// What a method returns.
pub enum Fetched {
    Value(MlValue),
    /// An object the client keeps calling methods on (`model.summary`).
    Object(Arc<dyn MlObject>),
    Model(Arc<dyn Model>),
    /// Models the client refers to by id afterwards (an ensemble's `trees`).
    Models(Vec<Arc<dyn Model>>),
    Plan(LogicalPlan),
    /// A small DataFrame the model holds (`surrogateDF`).
    Batch(RecordBatch),
}

/// Something whose methods the client calls by name.
pub trait MlObject: Send + Sync {
    fn call<'a>(
        &'a self,
        context: &'a SessionContext,
        method: &'a str,
        args: Vec<Argument>,
    ) -> BoxFuture<'a, MlResult<Fetched>>;
}

/// A fitted model, or a transformer built from its params.
pub trait Model: Send + Sync {
    /// Spark's class, `org.apache.spark.ml.feature.StringIndexerModel`.
    fn class(&self) -> &'static str;
    fn uid(&self) -> &str;
    fn params(&self) -> &Params;
    /// `input` with the model's output columns added; `params` are the model's params with
    /// the ones the transform call set.
    fn transform(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan>;
    /// `transform` with the session's analyzer at hand, for models that plan SQL text.
    fn transform_in<'a>(
        &'a self,
        resolver: &'a Resolver<'a>,
        input: LogicalPlan,
        params: &'a Params,
    ) -> BoxFuture<'a, MlResult<LogicalPlan>> {
        let _ = resolver;
        Box::pin(std::future::ready(self.transform(input, params)))
    }
    /// A model attribute or method (`labels`, `coefficients`); `None` if there is none.
    fn attribute(&self, name: &str, args: &[MlValue]) -> MlResult<Option<Fetched>>;
    /// A method that reads a dataset (`evaluateEachIteration`); `None` if there is none.
    fn call_on_data<'a>(
        &'a self,
        context: &'a SessionContext,
        name: &'a str,
        data: LogicalPlan,
        args: &'a [MlValue],
    ) -> BoxFuture<'a, MlResult<Option<Fetched>>> {
        let _ = (context, name, data, args);
        Box::pin(std::future::ready(Ok(None)))
    }
    /// The model's data as Spark saves it under `data/`; `None` for param-only operators.
    fn data(&self) -> MlResult<Option<RecordBatch>>;
    /// Spark's `toString`, which the client shows as the model's `repr`.
    fn describe(&self) -> String {
        let short = self.class().rsplit('.').next().unwrap_or_default();
        format!("{short}: uid={}", self.uid())
    }
    /// Roughly how many bytes the model holds.
    fn size_bytes(&self) -> usize {
        0
    }
}

pub type FitFn = for<'a> fn(
    &'a SessionContext,
    LogicalPlan,
    Params,
    String,
) -> BoxFuture<'a, MlResult<Arc<dyn Model>>>;
pub type BuildFn = fn(String, Params, Option<RecordBatch>) -> MlResult<Arc<dyn Model>>;
pub type EvaluateFn =
    for<'a> fn(&'a SessionContext, LogicalPlan, Params) -> BoxFuture<'a, MlResult<f64>>;

/// A transformer that needs no fitting: `input` with its columns added, from `params`
/// and the operator's `uid`.
pub type ApplyFn = fn(&str, LogicalPlan, &Params) -> MlResult<LogicalPlan>;

/// An operator's param defaults.
pub type DefaultsFn = fn() -> Vec<(&'static str, MlValue)>;

/// What an operator class does.
#[derive(Clone, Copy)]
pub enum Role {
    Estimator(FitFn),
    /// A transformer or a model: built from params (and saved data, for models).
    Transformer(BuildFn),
    /// A transformer that is a function of its params alone.
    Stateless(ApplyFn),
    /// An evaluator (the client knows itself whether larger metric values are better).
    Evaluator(EvaluateFn),
}

/// One operator class the runtime knows.
#[derive(Clone, Copy)]
pub struct OperatorDef {
    pub class: &'static str,
    pub defaults: DefaultsFn,
    pub role: Role,
}

impl OperatorDef {
    pub fn params(&self, set: std::collections::BTreeMap<String, MlValue>) -> Params {
        Params::new(set, &(self.defaults)())
    }

    /// The transformer this operator builds from `params` (and saved `data`), if it is one.
    pub fn build(
        &self,
        uid: String,
        params: Params,
        data: Option<RecordBatch>,
    ) -> Option<MlResult<Arc<dyn Model>>> {
        match self.role {
            Role::Transformer(build) => Some(build(uid, params, data)),
            Role::Stateless(apply) => Some(Ok(Arc::new(Stateless {
                class: self.class,
                uid,
                params,
                apply,
            }))),
            Role::Estimator(_) | Role::Evaluator(_) => None,
        }
    }
}

/// A stateless transformer as a model the runtime can call.
struct Stateless {
    class: &'static str,
    uid: String,
    params: Params,
    apply: ApplyFn,
}

impl Model for Stateless {
    fn class(&self) -> &'static str {
        self.class
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn transform(&self, input: LogicalPlan, params: &Params) -> MlResult<LogicalPlan> {
        (self.apply)(&self.uid, input, params)
    }
    fn attribute(&self, _name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(None)
    }
    fn data(&self) -> MlResult<Option<RecordBatch>> {
        Ok(None)
    }
}
