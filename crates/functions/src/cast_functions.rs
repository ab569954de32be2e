//! Spark's cast functions: `int(x)`, `string(x)`, `date(x)`, ... are `CAST(x AS type)`.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::exec_err;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
struct CastFunction {
    name: &'static str,
    target: DataType,
    signature: Signature,
}

impl ScalarUDFImpl for CastFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.target.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match args.args.as_slice() {
            [value] => value.cast_to(&self.target, None),
            other => exec_err!("{} takes one argument, got {}", self.name, other.len()),
        }
    }
}

/// One function per Spark type name that works as a cast.
pub fn cast_functions() -> Vec<Arc<ScalarUDF>> {
    let targets: [(&'static str, DataType); 12] = [
        ("boolean", DataType::Boolean),
        ("tinyint", DataType::Int8),
        ("smallint", DataType::Int16),
        ("int", DataType::Int32),
        ("bigint", DataType::Int64),
        ("float", DataType::Float32),
        ("double", DataType::Float64),
        ("string", DataType::Utf8),
        ("binary", DataType::Binary),
        ("date", DataType::Date32),
        (
            "timestamp",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        ),
        ("decimal", DataType::Decimal128(10, 0)),
    ];
    targets
        .into_iter()
        .map(|(name, target)| {
            Arc::new(ScalarUDF::from(CastFunction {
                name,
                target,
                signature: Signature::any(1, Volatility::Immutable),
            }))
        })
        .collect()
}
