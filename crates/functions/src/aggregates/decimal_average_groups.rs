//! The decimal average per group: one exact sum and count per group in plain vectors, so a
//! GROUP BY over many keys (TPC-H q1, q17) does not keep an accumulator object per group.

use datafusion::arrow::array::{BooleanArray, Decimal128Array, Decimal256Array};
use datafusion::arrow::datatypes::{i256, Decimal128Type, Decimal256Type};
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};

use super::decimal_average::MeanParams;
use super::prelude::*;

pub(super) struct DecimalAverageGroups {
    mean: MeanParams,
    sums: Vec<i256>,
    counts: Vec<i64>,
}

impl DecimalAverageGroups {
    pub(super) fn new(mean: MeanParams) -> Self {
        DecimalAverageGroups {
            mean,
            sums: Vec::new(),
            counts: Vec::new(),
        }
    }

    fn grow(&mut self, total_num_groups: usize) {
        self.sums.resize(total_num_groups, i256::ZERO);
        self.counts.resize(total_num_groups, 0);
    }

    /// The sums and counts of the groups `emit_to` names, taken out of the accumulator.
    fn take(&mut self, emit_to: EmitTo) -> (Vec<i256>, Vec<i64>) {
        (
            emit_to.take_needed(&mut self.sums),
            emit_to.take_needed(&mut self.counts),
        )
    }
}

fn selected(filter: Option<&BooleanArray>, row: usize) -> bool {
    filter.is_none_or(|f| f.is_valid(row) && f.value(row))
}

impl GroupsAccumulator for DecimalAverageGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let Some(values) = values.first() else {
            return exec_err!("the decimal average takes one column");
        };
        let values = values.as_primitive::<Decimal128Type>();
        for (row, &group) in group_indices.iter().enumerate() {
            if values.is_valid(row) && selected(opt_filter, row) {
                self.sums[group] =
                    self.sums[group].wrapping_add(i256::from_i128(values.value(row)));
                self.counts[group] += 1;
            }
        }
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let [sums, counts] = values else {
            return exec_err!("the decimal average merges two state columns");
        };
        let sums = sums.as_primitive::<Decimal256Type>();
        let counts = counts.as_primitive::<Int64Type>();
        for (row, &group) in group_indices.iter().enumerate() {
            if sums.is_valid(row) {
                self.sums[group] = self.sums[group].wrapping_add(sums.value(row));
            }
            self.counts[group] += counts.value(row);
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let (sums, counts) = self.take(emit_to);
        let means = sums
            .into_iter()
            .zip(counts)
            .map(|(sum, count)| self.mean.mean(sum, count))
            .collect::<Result<Decimal128Array>>()?;
        Ok(Arc::new(means.with_precision_and_scale(
            self.mean.mean_precision,
            self.mean.mean_scale,
        )?))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let (sums, counts) = self.take(emit_to);
        let sums = Decimal256Array::from(sums).with_precision_and_scale(76, self.mean.scale)?;
        Ok(vec![Arc::new(sums), Arc::new(Int64Array::from(counts))])
    }

    /// Each row as a group of its own: its value as the sum, a count of one (none when the
    /// value is NULL or filtered out).
    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let Some(values) = values.first() else {
            return exec_err!("the decimal average takes one column");
        };
        let values = values.as_primitive::<Decimal128Type>();
        let rows = 0..values.len();
        let kept = |row: usize| values.is_valid(row) && selected(opt_filter, row);
        let sums = rows
            .clone()
            .map(|row| kept(row).then(|| i256::from_i128(values.value(row))))
            .collect::<Decimal256Array>()
            .with_precision_and_scale(76, self.mean.scale)?;
        let counts: Int64Array = rows.map(|row| i64::from(kept(row))).collect();
        Ok(vec![Arc::new(sums), Arc::new(counts)])
    }

    fn size(&self) -> usize {
        self.sums.capacity() * std::mem::size_of::<i256>()
            + self.counts.capacity() * std::mem::size_of::<i64>()
    }
}
