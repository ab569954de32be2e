//! The Config RPC: get, set, unset, get_all, is_modifiable.

use ember_exec::{Session, SessionConfigValues};
use ember_proto::spark::connect::config_request::operation::OpType;
use ember_proto::spark::connect::{ConfigRequest, KeyValue};

use crate::convert::required;
use crate::error::{ConnectError, ConnectResult};

fn pair(key: &str, value: Option<&str>) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: value.map(str::to_string),
    }
}

/// Returns the pairs to answer with and any warnings.
pub fn run_config(
    session: &Session,
    request: &ConfigRequest,
) -> ConnectResult<(Vec<KeyValue>, Vec<String>)> {
    let operation = required(request.operation.as_ref(), "config.operation")?;
    let op = required(operation.op_type.as_ref(), "config.operation.op_type")?;
    session.with_config(|config| {
        let mut pairs = Vec::new();
        match op {
            OpType::Set(set) => {
                for kv in &set.pairs {
                    match &kv.value {
                        Some(value) => config.set(&kv.key, value),
                        None => config.unset(&kv.key),
                    }
                }
            }
            OpType::Get(get) => {
                for key in &get.keys {
                    let value = config.get(key).ok_or_else(|| {
                        ConnectError::from(ember_exec::ExecError::ConfigNotFound(key.clone()))
                    })?;
                    pairs.push(pair(key, Some(value)));
                }
            }
            OpType::GetWithDefault(get) => {
                for kv in &get.pairs {
                    let value = config.get(&kv.key).map(str::to_string).or(kv.value.clone());
                    pairs.push(pair(&kv.key, value.as_deref()));
                }
            }
            OpType::GetOption(get) => {
                for key in &get.keys {
                    pairs.push(pair(key, config.get(key)));
                }
            }
            OpType::GetAll(all) => {
                let prefix = all.prefix.clone().unwrap_or_default();
                for (key, value) in config.all() {
                    if key.starts_with(&prefix) {
                        pairs.push(pair(key, Some(value)));
                    }
                }
            }
            OpType::Unset(unset) => {
                for key in &unset.keys {
                    config.unset(key);
                }
                // Unsetting restores the default, as Spark does.
                let defaults = SessionConfigValues::default();
                for key in &unset.keys {
                    if let Some(value) = defaults.get(key) {
                        config.set(key, value);
                    }
                }
            }
            OpType::IsModifiable(modifiable) => {
                for key in &modifiable.keys {
                    let answer = if SessionConfigValues::is_modifiable(key) {
                        "true"
                    } else {
                        "false"
                    };
                    pairs.push(pair(key, Some(answer)));
                }
            }
        }
        Ok((pairs, Vec::new()))
    })
}
