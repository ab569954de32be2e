//! One session's ML runtime: the model cache and the protocol's commands.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::logical_expr::LogicalPlan;
use ember_resolve::{MlPlanner, ResolveError, ResolveResult, Resolver};
use ember_spec::{MlArgument, MlCommand, MlMethod, MlOperator, MlRelation, MlTransformer};
use futures::future::BoxFuture;

use crate::error::{MlError, MlResult};
use crate::model::{Argument, Fetched, MlObject, Model, Role};
use crate::params::Params;
use crate::value::MlValue;

/// The id the client uses for the server's helper functions.
pub const HELPER_ID: &str = "______ML_CONNECT_HELPER______";

/// What a command answers.
#[derive(Debug, Clone, PartialEq)]
pub enum MlOutput {
    Value(MlValue),
    /// The id of a cached object that is not a model (a summary).
    Summary(String),
    Operator(OperatorInfo),
}

/// A cached model or an operator read from disk.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OperatorInfo {
    pub object_id: Option<String>,
    pub name: Option<String>,
    pub uid: Option<String>,
    pub params: Vec<(String, MlValue)>,
    pub warning: Option<String>,
}

#[derive(Clone)]
enum Cached {
    Model(Arc<dyn Model>),
    Object(Arc<dyn MlObject>),
}

/// A session's ML state.
#[derive(Default)]
pub struct MlSession {
    cache: Mutex<HashMap<String, Cached>>,
}

impl MlSession {
    fn insert(&self, value: Cached) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), value);
        id
    }

    fn get(&self, id: &str) -> MlResult<Cached> {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
            .ok_or_else(|| MlError::ObjectNotFound(id.to_string()))
    }

    fn model(&self, id: &str) -> MlResult<Arc<dyn Model>> {
        match self.get(id)? {
            Cached::Model(model) => Ok(model),
            Cached::Object(_) => Err(MlError::IllegalArgument(format!("{id} is not a model"))),
        }
    }

    /// How many objects the cache holds.
    pub fn cached(&self) -> usize {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Runs one command; `resolver` resolves its datasets.
    pub async fn run(&self, resolver: &Resolver<'_>, command: MlCommand) -> MlResult<MlOutput> {
        let context = resolver.context();
        match command {
            MlCommand::Fit {
                estimator,
                params,
                dataset,
            } => {
                let def = crate::registry::find(&estimator.name)
                    .ok_or_else(|| unknown("estimator", &estimator.name))?;
                let Role::Estimator(fit) = def.role else {
                    return Err(unknown("estimator", &estimator.name));
                };
                let data = resolver.resolve(dataset).await?;
                let params = def.params(Params::from_spec(&params));
                let model = fit(context, data, params, estimator.uid.clone()).await?;
                let info = model_info(&*model);
                let id = self.insert(Cached::Model(model));
                Ok(MlOutput::Operator(OperatorInfo {
                    object_id: Some(id),
                    ..info
                }))
            }
            MlCommand::Fetch { object, methods } => {
                match self.fetch(resolver, &object, methods).await? {
                    Fetched::Value(value) => Ok(MlOutput::Value(value)),
                    Fetched::Model(model) => {
                        let info = model_info(&*model);
                        let id = self.insert(Cached::Model(model));
                        Ok(MlOutput::Operator(OperatorInfo {
                            object_id: Some(id),
                            ..info
                        }))
                    }
                    Fetched::Object(object) => {
                        Ok(MlOutput::Summary(self.insert(Cached::Object(object))))
                    }
                    Fetched::Models(models) => {
                        // The client splits the ids at commas.
                        let ids: Vec<String> = models
                            .into_iter()
                            .map(|m| self.insert(Cached::Model(m)))
                            .collect();
                        Ok(MlOutput::Operator(OperatorInfo {
                            object_id: Some(ids.join(",")),
                            ..Default::default()
                        }))
                    }
                    Fetched::Plan(_) | Fetched::Batch(_) => Err(MlError::Unsupported(
                        "a DataFrame result outside a relation".into(),
                    )),
                }
            }
            MlCommand::Delete { objects, .. } => {
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                let deleted: Vec<String> = objects
                    .into_iter()
                    .filter(|id| cache.remove(id).is_some())
                    .collect();
                Ok(MlOutput::Operator(OperatorInfo {
                    object_id: Some(deleted.join(",")),
                    ..Default::default()
                }))
            }
            MlCommand::CleanCache => {
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                let count = cache.len();
                cache.clear();
                Ok(MlOutput::Value(MlValue::Integer(
                    i32::try_from(count).unwrap_or(i32::MAX),
                )))
            }
            MlCommand::GetCacheInfo => {
                let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                let mut entries: Vec<String> = cache
                    .iter()
                    .map(|(id, cached)| match cached {
                        Cached::Model(m) => {
                            format!("{{\"id\": \"{id}\", \"class\": \"{}\"}}", m.class())
                        }
                        Cached::Object(_) => format!("{{\"id\": \"{id}\"}}"),
                    })
                    .collect();
                entries.sort();
                Ok(MlOutput::Value(MlValue::strings(entries)))
            }
            MlCommand::GetModelSize { model } => {
                let model = self.model(&model)?;
                Ok(MlOutput::Value(MlValue::Long(
                    i64::try_from(model.size_bytes()).unwrap_or(i64::MAX),
                )))
            }
            MlCommand::CreateSummary { model, .. } => {
                // Summaries live with their models; one that exists needs no restoring.
                self.model(&model)?;
                Ok(MlOutput::Value(MlValue::Boolean(true)))
            }
            MlCommand::Evaluate {
                evaluator,
                params,
                dataset,
            } => {
                let def = crate::registry::find(&evaluator.name)
                    .ok_or_else(|| unknown("evaluator", &evaluator.name))?;
                let Role::Evaluator(evaluate) = def.role else {
                    return Err(unknown("evaluator", &evaluator.name));
                };
                let data = resolver.resolve(dataset).await?;
                let metric =
                    evaluate(context, data, def.params(Params::from_spec(&params))).await?;
                Ok(MlOutput::Value(MlValue::Double(metric)))
            }
            MlCommand::Write {
                target,
                params,
                path,
                overwrite,
            } => {
                let set = Params::from_spec(&params);
                match target {
                    MlTransformer::Model(id) => {
                        let model = self.model(&id)?;
                        let params = model.params().with(&set);
                        crate::persist::save(
                            &path,
                            overwrite,
                            model.class(),
                            model.uid(),
                            &params,
                            model.data()?,
                        )?;
                    }
                    MlTransformer::Operator(operator) => {
                        let def = crate::registry::find(&operator.name)
                            .ok_or_else(|| unknown("operator", &operator.name))?;
                        let params = def.params(set);
                        crate::persist::save(
                            &path,
                            overwrite,
                            def.class,
                            &operator.uid,
                            &params,
                            None,
                        )?;
                    }
                }
                Ok(MlOutput::Value(MlValue::Null))
            }
            MlCommand::Read { operator, path } => self.read(&operator, &path),
        }
    }

    fn read(&self, operator: &MlOperator, path: &str) -> MlResult<MlOutput> {
        let saved = crate::persist::load(path)?;
        // The saved class decides; the client's class only names what it expects.
        let def = crate::registry::find(&saved.class)
            .or_else(|| crate::registry::find(&operator.name))
            .ok_or_else(|| unknown("operator", &saved.class))?;
        let params = def.params(saved.params);
        let set: Vec<(String, MlValue)> = params
            .set_values()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        match def.role {
            Role::Transformer(build) if operator.kind == ember_spec::MlOperatorKind::Model => {
                let model = build(saved.uid.clone(), params, saved.data)?;
                let id = self.insert(Cached::Model(model));
                Ok(MlOutput::Operator(OperatorInfo {
                    object_id: Some(id),
                    uid: Some(saved.uid),
                    params: set,
                    ..Default::default()
                }))
            }
            _ => Ok(MlOutput::Operator(OperatorInfo {
                name: Some(def.class.to_string()),
                uid: Some(saved.uid),
                params: set,
                ..Default::default()
            })),
        }
    }

    /// Calls `methods` in turn, starting on the cached object `object`.
    async fn fetch(
        &self,
        resolver: &Resolver<'_>,
        object: &str,
        methods: Vec<MlMethod>,
    ) -> MlResult<Fetched> {
        let context = resolver.context();
        let mut current: Option<Fetched> = None;
        for method in methods {
            let mut args = Vec::with_capacity(method.args.len());
            for arg in method.args {
                args.push(match arg {
                    MlArgument::Value(v) => Argument::Value(MlValue::from_literal(&v)),
                    MlArgument::Dataset(plan) => Argument::Dataset(resolver.resolve(plan).await?),
                });
            }
            let result = match current.take() {
                None if object == HELPER_ID => {
                    crate::helper::call(context, &method.name, args).await?
                }
                None => match self.get(object)? {
                    Cached::Model(model) => call_model(context, &model, &method.name, args).await?,
                    Cached::Object(o) => o.call(context, &method.name, args).await?,
                },
                Some(Fetched::Model(model)) => {
                    call_model(context, &model, &method.name, args).await?
                }
                Some(Fetched::Object(o)) => o.call(context, &method.name, args).await?,
                Some(_) => {
                    return Err(MlError::IllegalArgument(format!(
                        "cannot call {} on a value",
                        method.name
                    )))
                }
            };
            current = Some(result);
        }
        current.ok_or_else(|| MlError::IllegalArgument("a fetch without methods".into()))
    }

    async fn transform(
        &self,
        resolver: &Resolver<'_>,
        transformer: MlTransformer,
        params: &ember_spec::MlParams,
        input: LogicalPlan,
    ) -> MlResult<LogicalPlan> {
        let set = Params::from_spec(params);
        let model = match transformer {
            MlTransformer::Model(id) => self.model(&id)?,
            MlTransformer::Operator(operator) => {
                let def = crate::registry::find(&operator.name)
                    .ok_or_else(|| unknown("transformer", &operator.name))?;
                def.build(operator.uid.clone(), def.params(set.clone()), None)
                    .ok_or_else(|| unknown("transformer", &operator.name))??
            }
        };
        let params = model.params().with(&set);
        model.transform_in(resolver, input, &params).await
    }
}

async fn call_model(
    context: &datafusion::prelude::SessionContext,
    model: &Arc<dyn Model>,
    method: &str,
    args: Vec<Argument>,
) -> MlResult<Fetched> {
    let values: Vec<MlValue> = args
        .iter()
        .filter_map(|a| match a {
            Argument::Value(v) => Some(v.clone()),
            Argument::Dataset(_) => None,
        })
        .collect();
    if let Some(found) = model.attribute(method, &values)? {
        return Ok(found);
    }
    let dataset = args.iter().find_map(|a| match a {
        Argument::Dataset(plan) => Some(plan.clone()),
        Argument::Value(_) => None,
    });
    if let Some(data) = dataset {
        if let Some(found) = model.call_on_data(context, method, data, &values).await? {
            return Ok(found);
        }
    }
    match method {
        "toString" => Ok(Fetched::Value(MlValue::String(model.describe()))),
        "uid" => Ok(Fetched::Value(MlValue::String(model.uid().to_string()))),
        "transform" => {
            let Some(Argument::Dataset(data)) = args.into_iter().next() else {
                return Err(MlError::IllegalArgument("transform needs a dataset".into()));
            };
            Ok(Fetched::Plan(model.transform(data, model.params())?))
        }
        _ => {
            let _ = context;
            Err(MlError::Unsupported(format!(
                "{} has no method {method}",
                model.class()
            )))
        }
    }
}

fn model_info(model: &dyn Model) -> OperatorInfo {
    OperatorInfo {
        uid: Some(model.uid().to_string()),
        ..Default::default()
    }
}

fn unknown(kind: &'static str, name: &str) -> MlError {
    MlError::UnknownOperator {
        kind,
        name: name.to_string(),
    }
}

impl MlPlanner for MlSession {
    fn plan<'a>(
        &'a self,
        resolver: &'a Resolver<'a>,
        relation: MlRelation,
    ) -> BoxFuture<'a, ResolveResult<LogicalPlan>> {
        Box::pin(async move {
            let result = match relation {
                MlRelation::Transform {
                    input,
                    transformer,
                    params,
                } => {
                    let input = resolver.resolve(input).await?;
                    self.transform(resolver, transformer, &params, input).await
                }
                MlRelation::Fetch {
                    object, methods, ..
                } => match self.fetch(resolver, &object, methods).await {
                    Ok(Fetched::Plan(plan)) => Ok(plan),
                    Ok(Fetched::Batch(batch)) => resolver
                        .context()
                        .read_batch(batch)
                        .map(|frame| frame.into_unoptimized_plan())
                        .map_err(MlError::from),
                    Ok(_) => Err(MlError::IllegalArgument(
                        "the method does not return a DataFrame".into(),
                    )),
                    Err(e) => Err(e),
                },
            };
            result.map_err(|e| match e {
                MlError::Resolve(e) => e,
                other => ResolveError::Analysis(other.to_string()),
            })
        })
    }
}
