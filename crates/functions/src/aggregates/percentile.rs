//! `percentile` (exact, interpolated) and `percentile_approx` (a value of the column).

use super::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum PercentileKind {
    /// `percentile(col, p [, frequency])`: interpolates between neighbours, gives doubles.
    Exact,
    /// `percentile_approx(col, p [, accuracy])`: an actual value of the column, its type.
    Approximate,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Percentile {
    kind: PercentileKind,
    signature: Signature,
}

impl Percentile {
    pub(super) fn new(kind: PercentileKind) -> Self {
        Self {
            kind,
            signature: Signature::one_of(
                vec![TypeSignature::Any(2), TypeSignature::Any(3)],
                Volatility::Immutable,
            ),
        }
    }
}

/// The percentages a call asks for, from its constant second argument.
fn percentages(expr: &Arc<dyn PhysicalExpr>) -> Result<(Vec<f64>, bool)> {
    let value = constant_argument(expr)?;
    let (values, many) = match value.data_type() {
        DataType::List(_) => (value.as_list::<i32>().value(0), true),
        _ => (value, false),
    };
    let values = as_f64(&values)?;
    let mut out = Vec::with_capacity(values.len());
    for p in values.iter() {
        match p {
            Some(p) if (0.0..=1.0).contains(&p) => out.push(p),
            _ => {
                return plan_err!(
                    "[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] The percentage must be between 0.0 and 1.0, but got {p:?}."
                )
            }
        }
    }
    Ok((out, many))
}

impl AggregateUDFImpl for Percentile {
    fn name(&self) -> &str {
        match self.kind {
            PercentileKind::Exact => "percentile",
            PercentileKind::Approximate => "percentile_approx",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let [value, percentage, ..] = arg_types else {
            return plan_err!("{} expects a column and a percentage", self.name());
        };
        let single = match self.kind {
            PercentileKind::Exact => DataType::Float64,
            PercentileKind::Approximate => value.clone(),
        };
        Ok(match percentage {
            DataType::List(_) => DataType::new_list(single, true),
            _ => single,
        })
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let Some(percentage) = args.exprs.get(1) else {
            return plan_err!("{} expects a percentage", self.name());
        };
        let (percentages, many) = percentages(percentage)?;
        let Some(value_field) = args.expr_fields.first() else {
            return plan_err!("{} expects a column", self.name());
        };
        Ok(Box::new(PercentileAccumulator {
            kind: self.kind,
            data_type: value_field.data_type().clone(),
            percentages,
            many,
            values: Vec::new(),
            frequencies: Vec::new(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let value_type = args
            .input_fields
            .first()
            .map(|f| f.data_type().clone())
            .unwrap_or(DataType::Null);
        Ok(vec![
            state_field(&args, "values", DataType::new_list(value_type, true)),
            state_field(
                &args,
                "frequencies",
                DataType::new_list(DataType::Int64, true),
            ),
        ])
    }
}

#[derive(Debug)]
pub(super) struct PercentileAccumulator {
    kind: PercentileKind,
    data_type: DataType,
    percentages: Vec<f64>,
    /// Whether the call asked with an array of percentages (the result is then an array).
    many: bool,
    /// Chunks of non-null values and their frequencies (how many rows each stands for).
    values: Vec<ArrayRef>,
    frequencies: Vec<Int64Array>,
}

impl PercentileAccumulator {
    fn keep(&mut self, values: &ArrayRef, frequencies: Int64Array) -> Result<()> {
        let mut valid: Vec<bool> = (0..values.len()).map(|i| values.is_valid(i)).collect();
        for (row, keep) in valid.iter_mut().enumerate() {
            if frequencies.is_null(row) || frequencies.value(row) <= 0 {
                if frequencies.is_valid(row) && frequencies.value(row) < 0 {
                    return exec_err!(
                        "[DATATYPE_MISMATCH] Negative values found in the frequency expression: {}",
                        frequencies.value(row)
                    );
                }
                *keep = false;
            }
        }
        let mask = datafusion::arrow::array::BooleanArray::from(valid);
        self.values.push(filter(values.as_ref(), &mask)?);
        self.frequencies.push(
            filter(&frequencies, &mask)?
                .as_primitive::<Int64Type>()
                .clone(),
        );
        Ok(())
    }

    /// The kept values in ascending order with their cumulative frequencies.
    fn sorted(&self) -> Result<(ArrayRef, Vec<i64>)> {
        if self.values.is_empty() {
            return Ok((new_empty_array(&self.data_type), Vec::new()));
        }
        let values = concat(&self.values.iter().map(|v| v.as_ref()).collect::<Vec<_>>())?;
        let frequencies: Vec<i64> = self
            .frequencies
            .iter()
            .flat_map(|f| f.values().iter().copied())
            .collect();
        let order = sort_to_indices(&values, None, None)?;
        let mut cumulative = Vec::with_capacity(order.len());
        let mut total = 0i64;
        for i in order.values() {
            total += frequencies[*i as usize];
            cumulative.push(total);
        }
        Ok((take(values.as_ref(), &order, None)?, cumulative))
    }

    /// The index of the value holding the 0-based `position` among all counted rows.
    fn index_of(cumulative: &[i64], position: i64) -> usize {
        cumulative.partition_point(|c| *c <= position)
    }

    fn one(&self, sorted: &ArrayRef, cumulative: &[i64], p: f64) -> Result<ScalarValue> {
        let Some(&total) = cumulative.last() else {
            return ScalarValue::try_from(self.single_type());
        };
        match self.kind {
            PercentileKind::Approximate => {
                let position = ((p * total as f64).ceil() as i64 - 1).clamp(0, total - 1);
                ScalarValue::try_from_array(sorted, Self::index_of(cumulative, position))
            }
            PercentileKind::Exact => {
                let position = p * (total - 1) as f64;
                let (lower, upper) = (position.floor() as i64, position.ceil() as i64);
                let values = as_f64(sorted)?;
                let low = values.value(Self::index_of(cumulative, lower));
                let high = values.value(Self::index_of(cumulative, upper));
                let result = if lower == upper {
                    low
                } else {
                    (upper as f64 - position) * low + (position - lower as f64) * high
                };
                Ok(ScalarValue::Float64(Some(result)))
            }
        }
    }

    fn single_type(&self) -> &DataType {
        match self.kind {
            PercentileKind::Exact => &DataType::Float64,
            PercentileKind::Approximate => &self.data_type,
        }
    }
}

impl Accumulator for PercentileAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(column) = values.first() else {
            return Ok(());
        };
        // Only `percentile` takes a frequency; `percentile_approx`'s third is its accuracy.
        let frequencies = match (self.kind, values.get(2)) {
            (PercentileKind::Exact, Some(f)) => cast(f, &DataType::Int64)?
                .as_primitive::<Int64Type>()
                .clone(),
            _ => Int64Array::from(vec![1; column.len()]),
        };
        self.keep(column, frequencies)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [values, frequencies] = states else {
            return exec_err!("percentile expects two state columns");
        };
        let (values, frequencies) = (values.as_list::<i32>(), frequencies.as_list::<i32>());
        for row in 0..values.len() {
            if values.is_valid(row) {
                let f = frequencies.value(row);
                self.keep(&values.value(row), f.as_primitive::<Int64Type>().clone())?;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (values, frequencies) = if self.values.is_empty() {
            (
                new_empty_array(&self.data_type),
                Arc::new(Int64Array::from(Vec::<i64>::new())) as ArrayRef,
            )
        } else {
            let values = concat(&self.values.iter().map(|v| v.as_ref()).collect::<Vec<_>>())?;
            let frequencies = concat(
                &self
                    .frequencies
                    .iter()
                    .map(|f| f as &dyn Array)
                    .collect::<Vec<_>>(),
            )?;
            (values, frequencies)
        };
        Ok(vec![
            SingleRowListArrayBuilder::new(values).build_list_scalar(),
            SingleRowListArrayBuilder::new(frequencies).build_list_scalar(),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let (sorted, cumulative) = self.sorted()?;
        if !self.many {
            let p = self.percentages.first().copied().unwrap_or(0.5);
            return self.one(&sorted, &cumulative, p);
        }
        if cumulative.is_empty() {
            return ScalarValue::try_from(&DataType::new_list(self.single_type().clone(), true));
        }
        let results = self
            .percentages
            .iter()
            .map(|p| self.one(&sorted, &cumulative, *p))
            .collect::<Result<Vec<_>>>()?;
        let array = if results.is_empty() {
            new_empty_array(self.single_type())
        } else {
            ScalarValue::iter_to_array(results)?
        };
        Ok(SingleRowListArrayBuilder::new(array).build_list_scalar())
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .values
                .iter()
                .map(|v| v.get_array_memory_size())
                .sum::<usize>()
            + self
                .frequencies
                .iter()
                .map(|f| f.get_array_memory_size())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn positions_map_to_values_through_frequencies() {
        let cumulative = [2, 3, 6];
        assert_eq!(PercentileAccumulator::index_of(&cumulative, 0), 0);
        assert_eq!(PercentileAccumulator::index_of(&cumulative, 1), 0);
        assert_eq!(PercentileAccumulator::index_of(&cumulative, 2), 1);
        assert_eq!(PercentileAccumulator::index_of(&cumulative, 5), 2);
    }
}
