//! Functions whose value comes from where a row sits, not from its values:
//! `spark_partition_id()` and `rand(seed)` (Spark draws per partition, in row order). The
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

    pub(crate) fn seeded_rand() -> Self {
        Positional {
            name: SEEDED_RAND,
            signature: Signature::exact(vec![DataType::Int64], Volatility::Volatile),
            return_type: DataType::Float64,
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
