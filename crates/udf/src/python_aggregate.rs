//! Grouped-aggregate pandas UDFs (`pandas_udf` from Series to a scalar, used in `agg`): the
//! accumulator keeps a group's argument values and the worker computes the result once.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, RecordBatchOptions};
use datafusion::arrow::compute::concat;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema};
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, TypeSignature, Volatility,
};

use crate::worker;

/// Spark's eval type of grouped-aggregate pandas UDFs.
pub const GROUPED_AGG_PANDAS: i32 = 202;

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PythonAggregate {
    name: String,
    command: Arc<Vec<u8>>,
    return_type: DataType,
    signature: Signature,
}

impl PythonAggregate {
    pub fn new(name: &str, command: Vec<u8>, return_type: DataType) -> Self {
        PythonAggregate {
            name: name.to_string(),
            command: Arc::new(command),
            return_type,
            signature: Signature::one_of(
                vec![TypeSignature::Nullary, TypeSignature::VariadicAny],
                Volatility::Immutable,
            ),
        }
    }

    pub fn into_aggregate_udf(self) -> Arc<AggregateUDF> {
        Arc::new(AggregateUDF::new_from_impl(self))
    }
}

impl AggregateUDFImpl for PythonAggregate {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.return_type.clone())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(PythonAccumulator {
            command: Arc::clone(&self.command),
            output: Field::new(&self.name, self.return_type.clone(), true),
            types: args
                .expr_fields
                .iter()
                .map(|f| f.data_type().clone())
                .collect(),
            values: Vec::new(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        // Partial aggregates hand on the values themselves, one list per argument.
        Ok(args
            .input_fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                Arc::new(Field::new(
                    format!("{}[values_{i}]", args.name),
                    DataType::new_list(f.data_type().clone(), true),
                    true,
                ))
            })
            .collect())
    }
}

#[derive(Debug)]
struct PythonAccumulator {
    command: Arc<Vec<u8>>,
    output: Field,
    types: Vec<DataType>,
    /// Per argument, the chunks of values seen so far.
    values: Vec<Vec<ArrayRef>>,
}

impl PythonAccumulator {
    fn columns(&self) -> Result<Vec<ArrayRef>> {
        self.types
            .iter()
            .enumerate()
            .map(|(i, t)| match self.values.get(i) {
                Some(chunks) if !chunks.is_empty() => {
                    let refs: Vec<&dyn Array> = chunks.iter().map(|c| c.as_ref()).collect();
                    Ok(concat(&refs)?)
                }
                _ => Ok(datafusion::arrow::array::new_empty_array(t)),
            })
            .collect()
    }

    fn keep(&mut self, index: usize, values: ArrayRef) {
        if self.values.len() <= index {
            self.values.resize_with(index + 1, Vec::new);
        }
        self.values[index].push(values);
    }
}

impl Accumulator for PythonAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for (index, column) in values.iter().enumerate() {
            self.keep(index, Arc::clone(column));
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for (index, state) in states.iter().enumerate() {
            let lists = state.as_list::<i32>();
            for row in 0..lists.len() {
                if lists.is_valid(row) {
                    self.keep(index, lists.value(row));
                }
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(self
            .columns()?
            .into_iter()
            .map(|c| {
                datafusion::common::utils::SingleRowListArrayBuilder::new(c).build_list_scalar()
            })
            .collect())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let columns = self.columns()?;
        let rows = columns.first().map(|c| c.len()).unwrap_or(0);
        let fields: Vec<Field> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| Field::new(format!("a{i}"), c.data_type().clone(), true))
            .collect();
        let batch = RecordBatch::try_new_with_options(
            Arc::new(Schema::new(fields)),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )?;
        // Accumulators are not told their query's configuration, so an interrupt reaches
        // them only between groups (when the query's tasks are dropped).
        let result = worker::evaluate(
            &crate::Interrupt::new(),
            u32::try_from(GROUPED_AGG_PANDAS).unwrap_or_default(),
            &self.command,
            &batch,
            &self.output,
        )
        .map_err(|e| DataFusionError::External(Box::new(e)))?;
        if result.len() != 1 {
            return Err(DataFusionError::Execution(format!(
                "a grouped-aggregate UDF returned {} values for one group",
                result.len()
            )));
        }
        ScalarValue::try_from_array(&result, 0)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .values
                .iter()
                .flatten()
                .map(|c| c.get_array_memory_size())
                .sum::<usize>()
    }
}
