//! `avg` / `try_avg` of decimals, as Spark computes them: the sum kept as DECIMAL(p + 10, s),
//! the mean as DECIMAL(p + 4, s + 4) rounded half up (both at most 38 digits). A sum or mean
//! that does not fit is an error, or NULL for `try_avg`.

use datafusion::arrow::datatypes::i256;

use super::prelude::*;

const MAX_PRECISION: u8 = 38;

/// The registered names of the failing and the NULL-giving forms.
pub(crate) const DECIMAL_AVG: &str = "ember_decimal_avg";
pub(crate) const TRY_DECIMAL_AVG: &str = "ember_try_decimal_avg";

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct DecimalAverage {
    name: &'static str,
    lenient: bool,
    signature: Signature,
}

impl DecimalAverage {
    pub(super) fn new(lenient: bool) -> Self {
        Self {
            name: if lenient {
                TRY_DECIMAL_AVG
            } else {
                DECIMAL_AVG
            },
            lenient,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

fn input_type(arg_types: &[DataType]) -> Result<(u8, i8)> {
    match arg_types.first() {
        Some(DataType::Decimal128(p, s)) => Ok((*p, *s)),
        other => plan_err!("the decimal average takes a DECIMAL, got {other:?}"),
    }
}

/// Spark's DECIMAL(p + 4, s + 4), bounded.
fn mean_type(precision: u8, scale: i8) -> DataType {
    DataType::Decimal128(
        (precision + 4).min(MAX_PRECISION),
        (scale + 4).min(MAX_PRECISION as i8),
    )
}

impl DecimalAverage {
    fn mean_params(&self, args: &AccumulatorArgs) -> Result<MeanParams> {
        let (precision, scale) = input_type(&[args.exprs[0].data_type(args.schema)?])?;
        let DataType::Decimal128(mean_precision, mean_scale) = mean_type(precision, scale) else {
            return exec_err!("the decimal average returns a decimal");
        };
        let sum_precision = (precision + 10).min(MAX_PRECISION);
        Ok(MeanParams {
            lenient: self.lenient,
            scale,
            sum_limit: ten_to(u32::from(sum_precision)),
            mean_precision,
            mean_scale,
        })
    }
}

/// How a sum and count become Spark's mean, shared by the plain and grouped accumulators.
#[derive(Debug, Clone, Copy)]
pub(super) struct MeanParams {
    lenient: bool,
    pub(super) scale: i8,
    /// A sum at or beyond this (in units of the input scale) overflows Spark's sum type.
    sum_limit: i256,
    pub(super) mean_precision: u8,
    pub(super) mean_scale: i8,
}

impl MeanParams {
    fn overflowed(&self) -> Result<Option<i128>> {
        if self.lenient {
            return Ok(None);
        }
        exec_err!(
            "[NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION] The average does not fit DECIMAL({}, {}). If necessary set \"spark.sql.ansi.enabled\" to \"false\" to bypass this error, and use `try_avg` to tolerate it.",
            self.mean_precision,
            self.mean_scale
        )
    }

    /// The mean of `count` values summing to `sum`: NULL when there are none, an error
    /// (NULL when lenient) when the sum or the mean does not fit.
    pub(super) fn mean(&self, sum: i256, count: i64) -> Result<Option<i128>> {
        if count == 0 {
            return Ok(None);
        }
        // A sum beyond Spark's DECIMAL(p + 10, s) overflows.
        if sum.wrapping_abs() >= self.sum_limit {
            return self.overflowed();
        }
        // sum / count at the mean's scale, rounded half away from zero.
        let shift = u32::try_from(self.mean_scale - self.scale).unwrap_or(0);
        let scaled = sum.wrapping_mul(ten_to(shift + 1));
        let quotient = scaled.wrapping_div(i256::from_i128(i128::from(count)));
        let rounded = (quotient.wrapping_add(if quotient.is_negative() {
            i256::from_i128(-5)
        } else {
            i256::from_i128(5)
        }))
        .wrapping_div(i256::from_i128(10));
        if rounded.wrapping_abs() >= ten_to(u32::from(self.mean_precision)) {
            return self.overflowed();
        }
        match rounded.to_i128() {
            Some(mean) => Ok(Some(mean)),
            None => self.overflowed(),
        }
    }
}

fn ten_to(power: u32) -> i256 {
    i256::from_i128(10).wrapping_pow(power)
}

impl AggregateUDFImpl for DecimalAverage {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let (precision, scale) = input_type(arg_types)?;
        Ok(mean_type(precision, scale))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(DecimalAverageAccumulator {
            mean: self.mean_params(&args)?,
            sum: i256::ZERO,
            count: 0,
        }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn datafusion::logical_expr::GroupsAccumulator>> {
        Ok(Box::new(
            super::decimal_average_groups::DecimalAverageGroups::new(self.mean_params(&args)?),
        ))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let (_, scale) = input_type(
            &args
                .input_fields
                .iter()
                .map(|f| f.data_type().clone())
                .collect::<Vec<_>>(),
        )?;
        Ok(vec![
            state_field(&args, "sum", DataType::Decimal256(76, scale)),
            state_field(&args, "count", DataType::Int64),
        ])
    }
}

#[derive(Debug)]
struct DecimalAverageAccumulator {
    mean: MeanParams,
    /// Exact: 76 digits hold any sum of 38-digit values an aggregate meets.
    sum: i256,
    count: i64,
}

fn decimals(values: &[ArrayRef]) -> Option<&datafusion::arrow::array::Decimal128Array> {
    values
        .first()
        .map(|v| v.as_primitive::<datafusion::arrow::datatypes::Decimal128Type>())
}

impl Accumulator for DecimalAverageAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for value in decimals(values)
            .into_iter()
            .flat_map(|v| v.iter().flatten())
        {
            self.sum = self.sum.wrapping_add(i256::from_i128(value));
            self.count += 1;
        }
        Ok(())
    }

    /// Sliding window frames take rows back out.
    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for value in decimals(values)
            .into_iter()
            .flat_map(|v| v.iter().flatten())
        {
            self.sum = self.sum.wrapping_sub(i256::from_i128(value));
            self.count -= 1;
        }
        Ok(())
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [sums, counts] = states else {
            return exec_err!("the decimal average merges two state columns");
        };
        let sums = sums.as_primitive::<datafusion::arrow::datatypes::Decimal256Type>();
        let counts = counts.as_primitive::<Int64Type>();
        for row in 0..sums.len() {
            if sums.is_valid(row) {
                self.sum = self.sum.wrapping_add(sums.value(row));
            }
            self.count += counts.value(row);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::Decimal256(Some(self.sum), 76, self.mean.scale),
            ScalarValue::Int64(Some(self.count)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Decimal128(
            self.mean.mean(self.sum, self.count)?,
            self.mean.mean_precision,
            self.mean.mean_scale,
        ))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}
