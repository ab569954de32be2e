//! Functions whose value comes from where a row sits, not from its values:
//! `spark_partition_id()`, `monotonically_increasing_id()` and `rand(seed)` (Spark draws per partition, in row order). The
//! resolver replaces each call with a column that its `MarkRows` plan node computes; these
//! definitions only carry the call through type checking.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::exec_err;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

pub const PARTITION_ID: &str = "spark_partition_id";
pub const SEEDED_RAND: &str = "ember_seeded_rand";
pub const SEEDED_RANDN: &str = "ember_seeded_randn";
pub const MONOTONIC_ID: &str = "monotonically_increasing_id";
pub const SEEDED_RANDSTR: &str = "ember_seeded_randstr";

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Positional {
    name: &'static str,
    signature: Signature,
    return_type: DataType,
}

impl Positional {
    pub(crate) fn partition_id() -> Self {
        Positional {
            name: PARTITION_ID,
            signature: Signature::exact(vec![], Volatility::Volatile),
            return_type: DataType::Int32,
        }
    }

    pub(crate) fn monotonic_id() -> Self {
        Positional {
            name: MONOTONIC_ID,
            signature: Signature::exact(vec![], Volatility::Volatile),
            return_type: DataType::Int64,
        }
    }

    pub(crate) fn seeded_rand() -> Self {
        Positional {
            name: SEEDED_RAND,
            signature: Signature::exact(vec![DataType::Int64], Volatility::Volatile),
            return_type: DataType::Float64,
        }
    }

    /// `randstr(length, seed)`: arguments are the length and the seed.
    pub(crate) fn seeded_randstr() -> Self {
        Positional {
            name: SEEDED_RANDSTR,
            signature: Signature::exact(
                vec![DataType::Int32, DataType::Int64],
                Volatility::Volatile,
            ),
            return_type: DataType::Utf8,
        }
    }

    pub(crate) fn seeded_randn() -> Self {
        Positional {
            name: SEEDED_RANDN,
            signature: Signature::exact(vec![DataType::Int64], Volatility::Volatile),
            return_type: DataType::Float64,
        }
    }
}

impl ScalarUDFImpl for Positional {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.return_type.clone())
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        exec_err!(
            "[UNSUPPORTED_FEATURE] The feature is not supported: {}() here; use it in a select or withColumn.",
            self.name
        )
    }
}

/// `explode(array)` / `explode_outer(array)`: one output row per element. The resolver turns
/// a call into an unnest of the array; this definition only types it (the element type).
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Generator {
    name: &'static str,
    signature: Signature,
}

pub const EXPLODE: &str = "explode";
pub const EXPLODE_OUTER: &str = "explode_outer";

impl Generator {
    pub(crate) fn new(name: &'static str) -> Self {
        Generator {
            name,
            signature: Signature::any(1, Volatility::Volatile),
        }
    }
}

impl ScalarUDFImpl for Generator {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(DataType::List(item) | DataType::LargeList(item))
            | Some(DataType::FixedSizeList(item, _)) => Ok(item.data_type().clone()),
            Some(other) => datafusion::common::plan_err!(
                "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] {} needs an array, not {other}",
                self.name
            ),
            None => datafusion::common::plan_err!("{} takes one argument", self.name),
        }
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        exec_err!(
            "[UNSUPPORTED_GENERATOR.OUTSIDE_SELECT] The generator is not supported: {} outside a select.",
            self.name
        )
    }
}
