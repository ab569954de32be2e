//! `SQLTransformer`: a SQL statement over the input, which it names `__THIS__`.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::logical_expr::LogicalPlan;
use ember_resolve::Resolver;
use futures::future::BoxFuture;

use crate::error::{illegal, MlResult};
use crate::model::{Fetched, Model, OperatorDef, Role};
use crate::params::Params;
use crate::value::MlValue;

const CLASS: &str = "org.apache.spark.ml.feature.SQLTransformer";
/// The table name the statement reads its input by.
const THIS: &str = "__THIS__";

pub fn operators() -> Vec<OperatorDef> {
    vec![OperatorDef {
        class: CLASS,
        defaults: Vec::new,
        role: Role::Transformer(|uid, params, _| Ok(Arc::new(SqlTransformer { uid, params }))),
    }]
}

struct SqlTransformer {
    uid: String,
    params: Params,
}

impl Model for SqlTransformer {
    fn class(&self) -> &'static str {
        CLASS
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn params(&self) -> &Params {
        &self.params
    }

    fn transform(&self, _input: LogicalPlan, _params: &Params) -> MlResult<LogicalPlan> {
        illegal("SQLTransformer needs the session's SQL analyzer")
    }

    fn transform_in<'a>(
        &'a self,
        resolver: &'a Resolver<'a>,
        input: LogicalPlan,
        params: &'a Params,
    ) -> BoxFuture<'a, MlResult<LogicalPlan>> {
        Box::pin(async move {
            let statement = params.string("statement")?;
            let query = ember_sql::parse_query(&statement, ember_sql::Parameters::default())?;
            Ok(resolver.resolve_with_table(query, THIS, input).await?)
        })
    }

    fn attribute(&self, _name: &str, _args: &[MlValue]) -> MlResult<Option<Fetched>> {
        Ok(None)
    }
    fn data(&self) -> MlResult<Option<RecordBatch>> {
        Ok(None)
    }
}
