//! `histogram_numeric(x, nb)`: Spark's streaming histogram of at most `nb` bins. Each value
//! joins the bin at its exact value or starts a new one; past `nb` bins, the two closest
//! neighbours merge into one at their weighted mean. Bins come back as
//! `array<struct<x, y>>`, `x` in the input's type and `y` the bin's count as a double.

use super::prelude::*;
use crate::java_random::JavaRandom;
use datafusion::arrow::array::{Float64Builder, ListArray, StructArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::Fields;

/// The seed Spark's histogram starts its tie-breaking sequence from.
const HISTOGRAM_SEED: u64 = 31183;

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct HistogramNumeric {
    signature: Signature,
}

impl HistogramNumeric {
    pub(super) fn new() -> Self {
        Self {
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

fn bin_fields(value_type: &DataType) -> Fields {
    Fields::from(vec![
        Field::new("x", value_type.clone(), true),
        Field::new("y", DataType::Float64, true),
    ])
}

impl AggregateUDFImpl for HistogramNumeric {
    fn name(&self) -> &str {
        "histogram_numeric"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let value_type = arg_types.first().cloned().unwrap_or(DataType::Float64);
        Ok(DataType::new_list(
            DataType::Struct(bin_fields(&value_type)),
            true,
        ))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let Some(bins) = args.exprs.get(1) else {
            return plan_err!("histogram_numeric takes a column and a number of bins");
        };
        let bins = constant_argument(bins)?;
        let bins = cast(&bins, &DataType::Int64)?;
        let bins = bins.as_primitive::<Int64Type>();
        let count = if bins.is_null(0) { 0 } else { bins.value(0) };
        if count < 2 {
            return plan_err!(
                "[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] The number of histogram bins must be at least 2, but got {count}."
            );
        }
        let value_type = args
            .expr_fields
            .first()
            .map(|f| f.data_type().clone())
            .unwrap_or(DataType::Float64);
        Ok(Box::new(HistogramAccumulator {
            limit: count as usize,
            value_type,
            bins: Vec::new(),
            random: JavaRandom::new(HISTOGRAM_SEED),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            state_field(&args, "x", DataType::new_list(DataType::Float64, true)),
            state_field(&args, "y", DataType::new_list(DataType::Float64, true)),
        ])
    }
}

#[derive(Debug)]
struct HistogramAccumulator {
    limit: usize,
    value_type: DataType,
    /// `(x, y)`, sorted by `x`.
    bins: Vec<(f64, f64)>,
    random: JavaRandom,
}

impl HistogramAccumulator {
    fn add(&mut self, x: f64, y: f64) {
        match self.bins.binary_search_by(|(bx, _)| bx.total_cmp(&x)) {
            Ok(index) => self.bins[index].1 += y,
            Err(index) => {
                self.bins.insert(index, (x, y));
                self.trim();
            }
        }
    }

    /// Merges the closest neighbours until at most `limit` bins are left. Equal gaps are
    /// chosen between at random, from the same seeded sequence as Spark's, so the bins match.
    fn trim(&mut self) {
        while self.bins.len() > self.limit {
            let mut closest = 0;
            let mut smallest = self.bins[1].0 - self.bins[0].0;
            let mut ties = 1u32;
            for index in 1..self.bins.len() - 1 {
                let gap = self.bins[index + 1].0 - self.bins[index].0;
                if gap < smallest {
                    smallest = gap;
                    closest = index;
                    ties = 1;
                } else if gap == smallest {
                    ties += 1;
                    if self.random.next_double() <= 1.0 / f64::from(ties) {
                        closest = index;
                    }
                }
            }
            let (x1, y1) = self.bins[closest];
            let (x2, y2) = self.bins[closest + 1];
            let y = y1 + y2;
            // In Spark's order of operations: its rounding decides later ties.
            let mut x = x1 * (y1 / y);
            x += x2 / y * y2;
            self.bins[closest] = (x, y);
            self.bins.remove(closest + 1);
        }
    }

    fn list(values: impl Iterator<Item = f64>) -> ScalarValue {
        let mut builder = Float64Builder::new();
        values.for_each(|v| builder.append_value(v));
        ScalarValue::List(Arc::new(
            SingleRowListArrayBuilder::new(Arc::new(builder.finish())).build_list_array(),
        ))
    }
}

impl Accumulator for HistogramAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(values) = values.first() else {
            return Ok(());
        };
        for value in as_f64(values)?.iter().flatten() {
            self.add(value, 1.0);
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (Some(xs), Some(ys)) = (states.first(), states.get(1)) else {
            return Ok(());
        };
        let (xs, ys) = (xs.as_list::<i32>(), ys.as_list::<i32>());
        for row in 0..xs.len() {
            if xs.is_null(row) || ys.is_null(row) {
                continue;
            }
            let (x, y) = (as_f64(&xs.value(row))?, as_f64(&ys.value(row))?);
            // Spark merges by pooling both sets of bins, sorting and trimming.
            let incoming: Vec<(f64, f64)> = x
                .iter()
                .zip(y.iter())
                .filter_map(|(x, y)| Some((x?, y?)))
                .collect();
            if incoming.is_empty() {
                continue;
            }
            self.bins.extend(incoming);
            self.bins.sort_by(|a, b| a.0.total_cmp(&b.0));
            self.trim();
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            Self::list(self.bins.iter().map(|(x, _)| *x)),
            Self::list(self.bins.iter().map(|(_, y)| *y)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let fields = bin_fields(&self.value_type);
        let xs: ArrayRef = Arc::new(Float64Array::from_iter_values(
            self.bins.iter().map(|(x, _)| *x),
        ));
        // Spark casts each bin's centre back to the input type (truncating for integers).
        let xs = cast(&xs, &self.value_type)?;
        let ys: ArrayRef = Arc::new(Float64Array::from_iter_values(
            self.bins.iter().map(|(_, y)| *y),
        ));
        let bins = StructArray::try_new(fields.clone(), vec![xs, ys], None)?;
        let list = ListArray::try_new(
            Arc::new(Field::new_list_field(DataType::Struct(fields), true)),
            OffsetBuffer::from_lengths([self.bins.len()]),
            Arc::new(bins),
            None,
        )?;
        Ok(ScalarValue::List(Arc::new(list)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.bins.capacity() * 16
    }
}
