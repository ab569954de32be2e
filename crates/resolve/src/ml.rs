//! `pyspark.ml` relations: the resolver hands them to the session's ML runtime, which owns
//! the models and knows each operator.

use datafusion::logical_expr::LogicalPlan;
use ember_spec::MlRelation;
use futures::future::BoxFuture;

use crate::{ResolveError, ResolveResult, Resolver};

/// What a session's ML runtime does for the resolver.
pub trait MlPlanner: Send + Sync {
    /// The plan of an ML relation; `resolver` resolves the datasets inside it.
    fn plan<'a>(
        &'a self,
        resolver: &'a Resolver<'a>,
        relation: MlRelation,
    ) -> BoxFuture<'a, ResolveResult<LogicalPlan>>;
}

impl Resolver<'_> {
    pub(crate) async fn resolve_ml(&self, relation: MlRelation) -> ResolveResult<LogicalPlan> {
        let Some(ml) = self.ml.clone() else {
            return Err(ResolveError::Unsupported(
                "ML relations outside a session".into(),
            ));
        };
        ml.plan(self, relation).await
    }
}
