//! Params: the values the user set, over each operator's Spark defaults.

use std::collections::BTreeMap;

use crate::error::{illegal, MlResult};
use crate::value::MlValue;

/// An operator's params: what the user set, and Spark's defaults for the rest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    set: BTreeMap<String, MlValue>,
    defaults: BTreeMap<String, MlValue>,
}

impl Params {
    pub fn new(set: BTreeMap<String, MlValue>, defaults: &[(&str, MlValue)]) -> Self {
        Params {
            set,
            defaults: defaults
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }

    pub fn from_spec(params: &ember_spec::MlParams) -> BTreeMap<String, MlValue> {
        params
            .iter()
            .map(|(k, v)| (k.clone(), MlValue::from_literal(v)))
            .collect()
    }

    /// These params with `overrides` set over them (a transform's params over the model's).
    pub fn with(&self, overrides: &BTreeMap<String, MlValue>) -> Params {
        let mut out = self.clone();
        for (k, v) in overrides {
            out.set.insert(k.clone(), v.clone());
        }
        out
    }

    pub fn set_values(&self) -> &BTreeMap<String, MlValue> {
        &self.set
    }

    pub fn default_values(&self) -> &BTreeMap<String, MlValue> {
        &self.defaults
    }

    pub fn get(&self, name: &str) -> Option<&MlValue> {
        self.set
            .get(name)
            .or_else(|| self.defaults.get(name))
            .filter(|v| !matches!(v, MlValue::Null))
    }

    pub fn string(&self, name: &str) -> MlResult<String> {
        match self.get(name) {
            Some(MlValue::String(s)) => Ok(s.clone()),
            Some(other) => illegal(format!("param {name} must be a string, got {other:?}")),
            None => illegal(format!("Failed to find a default value for {name}")),
        }
    }

    /// `outputCol`, or Spark's default for it, `<uid>__output`.
    pub fn output_column(&self, uid: &str) -> String {
        self.optional_string("outputCol")
            .unwrap_or_else(|| format!("{uid}__output"))
    }

    pub fn optional_string(&self, name: &str) -> Option<String> {
        self.get(name).and_then(MlValue::as_str).map(str::to_string)
    }

    pub fn double(&self, name: &str) -> MlResult<f64> {
        match self.get(name).map(MlValue::as_f64) {
            Some(Some(v)) => Ok(v),
            Some(None) => illegal(format!("param {name} must be a number")),
            None => illegal(format!("Failed to find a default value for {name}")),
        }
    }

    pub fn int(&self, name: &str) -> MlResult<i64> {
        match self.get(name).map(MlValue::as_i64) {
            Some(Some(v)) => Ok(v),
            Some(None) => illegal(format!("param {name} must be an integer")),
            None => illegal(format!("Failed to find a default value for {name}")),
        }
    }

    pub fn boolean(&self, name: &str) -> MlResult<bool> {
        match self.get(name) {
            Some(MlValue::Boolean(v)) => Ok(*v),
            Some(_) => illegal(format!("param {name} must be a boolean")),
            None => illegal(format!("Failed to find a default value for {name}")),
        }
    }

    pub fn strings(&self, name: &str) -> MlResult<Option<Vec<String>>> {
        match self.get(name) {
            None => Ok(None),
            Some(MlValue::Array(values)) => values
                .iter()
                .map(|v| match v {
                    MlValue::String(s) => Ok(s.clone()),
                    _ => illegal(format!("param {name} must be an array of strings")),
                })
                .collect::<MlResult<Vec<_>>>()
                .map(Some),
            Some(_) => illegal(format!("param {name} must be an array of strings")),
        }
    }

    pub fn doubles(&self, name: &str) -> MlResult<Option<Vec<f64>>> {
        match self.get(name) {
            None => Ok(None),
            Some(MlValue::Array(values)) => values
                .iter()
                .map(|v| {
                    v.as_f64().map(Ok).unwrap_or_else(|| {
                        illegal(format!("param {name} must be an array of numbers"))
                    })
                })
                .collect::<MlResult<Vec<_>>>()
                .map(Some),
            Some(_) => illegal(format!("param {name} must be an array of numbers")),
        }
    }

    /// A string param that must be one of `allowed` (Spark's `ParamValidators.inArray`).
    pub fn choice(&self, name: &str, allowed: &[&str]) -> MlResult<String> {
        let value = self.string(name)?;
        if allowed.contains(&value.as_str()) {
            Ok(value)
        } else {
            illegal(format!(
                "{name} given invalid value {value}. Supported options: {}",
                allowed.join(", ")
            ))
        }
    }
}
