//! Python UDFs. The client sends a function it pickled with its return type; Ember runs it in
//! a pool of Python worker processes (never in the server's own interpreter), sending argument
//! batches and receiving result columns over Arrow IPC. A crashing or failing UDF fails its
//! query, not the server.
//!
//! The worker needs a Python with `pyspark` and `pyarrow` (and `pandas` for pandas UDFs):
//! `EMBER_PYTHON` names it, else `python3` on the `PATH`. The embedded server sets it to the
//! interpreter it runs in.

mod error;
mod interrupt;
mod map_partitions;
mod python_aggregate;
mod python_udf;
mod worker;

pub use error::{UdfError, UdfResult};
pub use interrupt::{install_query_interrupt, query_interrupt, Interrupt, QueryInterrupt};
pub use map_partitions::{
    MapPartitions, MapPartitionsExec, GROUPED_MAP_PANDAS, KEY_PREFIX, MAP_ARROW_ITER,
    MAP_PANDAS_ITER,
};
pub use python_aggregate::{PythonAggregate, GROUPED_AGG_PANDAS};
pub use python_udf::{EvalType, PythonUdf};
pub use worker::{set_worker_limit, worker_limit};
