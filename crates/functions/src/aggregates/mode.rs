//! `mode`: the most frequent value.

use super::prelude::*;

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Mode {
    signature: Signature,
}

impl Mode {
    pub(super) fn new() -> Self {
        Self {
            signature: Signature::one_of(
                vec![TypeSignature::Any(1), TypeSignature::Any(2)],
                Volatility::Immutable,
            ),
        }
    }
}

impl AggregateUDFImpl for Mode {
    fn name(&self) -> &str {
        "mode"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(t) => Ok(t.clone()),
            None => plan_err!("mode expects a column"),
        }
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(ModeAccumulator {
            data_type: args.return_field.data_type().clone(),
            counts: HashMap::new(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            state_field(
                &args,
                "values",
                DataType::new_list(args.return_type().clone(), true),
            ),
            state_field(&args, "counts", DataType::new_list(DataType::Int64, true)),
        ])
    }
}

#[derive(Debug)]
pub(super) struct ModeAccumulator {
    data_type: DataType,
    counts: HashMap<ScalarValue, i64>,
}

impl ModeAccumulator {
    fn add(&mut self, values: &ArrayRef, counts: Option<&Int64Array>) -> Result<()> {
        for row in 0..values.len() {
            if values.is_valid(row) {
                let by = counts.map_or(1, |c| c.value(row));
                *self
                    .counts
                    .entry(ScalarValue::try_from_array(values, row)?)
                    .or_insert(0) += by;
            }
        }
        Ok(())
    }
}

impl Accumulator for ModeAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        match values.first() {
            Some(values) => self.add(values, None),
            None => Ok(()),
        }
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [values, counts] = states else {
            return exec_err!("mode expects two state columns");
        };
        let (values, counts) = (values.as_list::<i32>(), counts.as_list::<i32>());
        for row in 0..values.len() {
            if values.is_valid(row) {
                let row_counts = counts.value(row);
                self.add(
                    &values.value(row),
                    Some(row_counts.as_primitive::<Int64Type>()),
                )?;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let values: Vec<ScalarValue> = self.counts.keys().cloned().collect();
        let counts: Int64Array = self.counts.values().copied().collect();
        let values = if values.is_empty() {
            new_empty_array(&self.data_type)
        } else {
            ScalarValue::iter_to_array(values)?
        };
        Ok(vec![
            SingleRowListArrayBuilder::new(values).build_list_scalar(),
            SingleRowListArrayBuilder::new(Arc::new(counts)).build_list_scalar(),
        ])
    }

    /// The most frequent value; among equally frequent ones the lowest, so the answer does
    /// not depend on the order rows arrive in.
    fn evaluate(&mut self) -> Result<ScalarValue> {
        let best = self
            .counts
            .iter()
            .fold(None, |best, (value, count)| match best {
                None => Some((value, *count)),
                Some((b, c)) => {
                    let lower = value.partial_cmp(b) == Some(std::cmp::Ordering::Less);
                    if *count > c || (*count == c && lower) {
                        Some((value, *count))
                    } else {
                        Some((b, c))
                    }
                }
            });
        match best {
            Some((value, _)) => Ok(value.clone()),
            None => ScalarValue::try_from(&self.data_type),
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .counts
                .keys()
                .map(|k| k.size() + std::mem::size_of::<i64>())
                .sum::<usize>()
    }
}
