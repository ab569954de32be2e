//! A Python UDF as a DataFusion scalar function.

use std::sync::Arc;

use datafusion::arrow::array::{new_null_array, RecordBatch, RecordBatchOptions};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::DataFusionError;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

use crate::worker;

/// How the function takes its arguments (Spark's `PythonEvalType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvalType {
    /// `udf`: called once per row with Python values.
    Batched,
    /// `udf(useArrow=True)`: also once per row.
    ArrowBatched,
    /// `pandas_udf` returning a Series: called once per batch with Series.
    ScalarPandas,
    /// `udf` on `pyarrow.Array` arguments: called once per batch with Arrow arrays.
    ScalarArrow,
}

impl EvalType {
    /// The scalar kinds; None for the others (aggregate, map and table functions).
    pub fn from_spark(code: i32) -> Option<Self> {
        match code {
            100 => Some(EvalType::Batched),
            101 => Some(EvalType::ArrowBatched),
            200 => Some(EvalType::ScalarPandas),
            250 => Some(EvalType::ScalarArrow),
            _ => None,
        }
    }

    fn code(self) -> u32 {
        match self {
            EvalType::Batched => 100,
            EvalType::ArrowBatched => 101,
            EvalType::ScalarPandas => 200,
            EvalType::ScalarArrow => 250,
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PythonUdf {
    name: String,
    command: Vec<u8>,
    eval_type: EvalType,
    return_type: DataType,
    /// The keyword each argument is passed under (`f(b=..., a=...)`); None for positional.
    keywords: Vec<Option<String>>,
    signature: Signature,
}

/// Arguments reach the worker as columns named `a0`, `a1`, ... or, when passed by keyword,
/// with this prefix before the keyword.
const KEYWORD_PREFIX: &str = "kw:";

impl PythonUdf {
    pub fn new(
        name: &str,
        command: Vec<u8>,
        eval_type: EvalType,
        return_type: DataType,
        deterministic: bool,
    ) -> Self {
        let volatility = if deterministic {
            Volatility::Immutable
        } else {
            Volatility::Volatile
        };
        PythonUdf {
            name: name.to_string(),
            command,
            eval_type,
            return_type,
            keywords: Vec::new(),
            signature: Signature::one_of(
                vec![TypeSignature::Nullary, TypeSignature::VariadicAny],
                volatility,
            ),
        }
    }

    /// Passes the arguments with a keyword by that keyword.
    pub fn with_keywords(mut self, keywords: Vec<Option<String>>) -> Self {
        self.keywords = keywords;
        self
    }

    pub fn into_scalar_udf(self) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(self))
    }
}

impl ScalarUDFImpl for PythonUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.return_type.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        if rows == 0 {
            return Ok(ColumnarValue::Array(new_null_array(&self.return_type, 0)));
        }
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut fields: Vec<Field> = arrays
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let name = match self.keywords.get(i) {
                    Some(Some(keyword)) => format!("{KEYWORD_PREFIX}{keyword}"),
                    _ => format!("a{i}"),
                };
                Field::new(name, a.data_type().clone(), true)
            })
            .collect();
        let mut columns = arrays;
        if columns.is_empty() {
            // The worker learns the row count from a placeholder column.
            fields.push(Field::new("__rows", DataType::Null, true));
            columns.push(new_null_array(&DataType::Null, rows));
        }
        let batch = RecordBatch::try_new_with_options(
            Arc::new(Schema::new(fields)),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )?;
        let output = Field::new(&self.name, self.return_type.clone(), true);
        let interrupt = crate::query_interrupt(&args.config_options);
        let result = worker::evaluate(
            &interrupt,
            self.eval_type.code(),
            &self.command,
            &batch,
            &output,
        )
        .map_err(|e| DataFusionError::External(Box::new(e)))?;
        Ok(ColumnarValue::Array(result))
    }
}
