//! Stopping a query's Python calls when the query goes away (interrupted, released, its
//! client gone). The query's planner puts a fresh [`QueryInterrupt`] in the query's
//! configuration; the Python calls planned with it watch the flag while they wait for a
//! worker and while a worker runs, and the worker is killed once the flag is set.

use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use datafusion::common::config::{ConfigEntry, ConfigExtension, ConfigOptions, ExtensionOptions};
use datafusion::common::Result;

/// A flag shared by a query and its Python calls.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn interrupt(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The configuration extension that carries a query's [`Interrupt`] to its operators.
#[derive(Debug, Clone, Default)]
pub struct QueryInterrupt(pub Interrupt);

impl ExtensionOptions for QueryInterrupt {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn cloned(&self) -> Box<dyn ExtensionOptions> {
        Box::new(self.clone())
    }

    fn set(&mut self, key: &str, _value: &str) -> Result<()> {
        datafusion::common::config_err!("{key} cannot be set: it belongs to a running query")
    }

    fn entries(&self) -> Vec<ConfigEntry> {
        Vec::new()
    }
}

impl ConfigExtension for QueryInterrupt {
    const PREFIX: &'static str = "ember_query_interrupt";
}

/// The interrupt of the query these options were planned for; a flag never set when the
/// plan was not made for a query (tests, constant folding).
pub fn query_interrupt(options: &ConfigOptions) -> Interrupt {
    options
        .extensions
        .get::<QueryInterrupt>()
        .map(|q| q.0.clone())
        .unwrap_or_default()
}

/// Gives `options` a fresh interrupt flag and returns it.
pub fn install_query_interrupt(options: &mut ConfigOptions) -> Interrupt {
    let interrupt = Interrupt::new();
    options.extensions.insert(QueryInterrupt(interrupt.clone()));
    interrupt
}

/// Runs blocking work without holding up the async runtime's other tasks: on a
/// multi-threaded runtime the thread's queued tasks move to another thread first.
pub(crate) fn off_the_runtime<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}
