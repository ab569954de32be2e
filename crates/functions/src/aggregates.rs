//! Spark aggregates DataFusion lacks: `product`, `skewness`, `kurtosis`, `mode`, the exact
//! `percentile` and `percentile_approx` (`approx_percentile`), and `corr` with Spark's own
//! update formulas, whose rounding differs from DataFusion's.
//!
//! `percentile_approx` keeps every value, so its answer is exact, which is within any
//! accuracy Spark's sketch promises; the values are kept in Arrow arrays, not per-row objects.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    new_empty_array, Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch,
    RecordBatchOptions,
};
use datafusion::arrow::compute::{cast, concat, filter, sort_to_indices, take};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type, Schema};
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{exec_err, plan_err, ScalarValue};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion::physical_expr::PhysicalExpr;

/// Every aggregate of this module, to register in a session.
pub(crate) fn aggregate_functions() -> Vec<AggregateUDF> {
    vec![
        AggregateUDF::new_from_impl(Product::new()),
        AggregateUDF::new_from_impl(Moment::new(MomentKind::Skewness)),
        AggregateUDF::new_from_impl(Moment::new(MomentKind::Kurtosis)),
        AggregateUDF::new_from_impl(Mode::new()),
        AggregateUDF::new_from_impl(Correlation::new()),
        AggregateUDF::new_from_impl(Percentile::new(PercentileKind::Exact)),
        AggregateUDF::new_from_impl(Percentile::new(PercentileKind::Approximate))
            .with_aliases(["approx_percentile"]),
    ]
}

fn as_f64(array: &ArrayRef) -> Result<Float64Array> {
    Ok(cast(array, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .clone())
}

fn state_field(args: &StateFieldsArgs, part: &str, data_type: DataType) -> FieldRef {
    Arc::new(Field::new(
        format!("{}[{part}]", args.name),
        data_type,
        true,
    ))
}

// ---------------------------------------------------------------------------------------------
// product

#[derive(Debug, PartialEq, Eq, Hash)]
struct Product {
    signature: Signature,
}

impl Product {
    fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for Product {
    fn name(&self) -> &str {
        "product"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(ProductAccumulator { product: None }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![state_field(&args, "product", DataType::Float64)])
    }
}

#[derive(Debug)]
struct ProductAccumulator {
    /// None until a non-null value arrives: the product of no values is null.
    product: Option<f64>,
}

impl Accumulator for ProductAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(values) = values.first() else {
            return Ok(());
        };
        for value in as_f64(values)?.iter().flatten() {
            self.product = Some(self.product.unwrap_or(1.0) * value);
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.update_batch(states)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Float64(self.product)])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(self.product))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

// ---------------------------------------------------------------------------------------------
// skewness and kurtosis

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum MomentKind {
    Skewness,
    Kurtosis,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Moment {
    kind: MomentKind,
    signature: Signature,
}

impl Moment {
    fn new(kind: MomentKind) -> Self {
        Self {
            kind,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

const MOMENT_PARTS: [&str; 5] = ["n", "mean", "m2", "m3", "m4"];

impl AggregateUDFImpl for Moment {
    fn name(&self) -> &str {
        match self.kind {
            MomentKind::Skewness => "skewness",
            MomentKind::Kurtosis => "kurtosis",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(MomentAccumulator {
            kind: self.kind,
            moments: Moments::default(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(MOMENT_PARTS
            .iter()
            .map(|part| state_field(&args, part, DataType::Float64))
            .collect())
    }
}

/// Count, mean and central moment sums, updated and merged with the pairwise formulas
/// (Terriberry's extension of Welford's), which stay accurate far from zero.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
    m3: f64,
    m4: f64,
}

impl Moments {
    fn push(&mut self, x: f64) {
        self.merge(Moments {
            n: 1.0,
            mean: x,
            ..Moments::default()
        });
    }

    fn merge(&mut self, other: Moments) {
        if other.n == 0.0 {
            return;
        }
        if self.n == 0.0 {
            *self = other;
            return;
        }
        let (na, nb) = (self.n, other.n);
        let n = na + nb;
        let delta = other.mean - self.mean;
        let (d2, d3, d4) = (delta * delta, delta.powi(3), delta.powi(4));
        let m2 = self.m2 + other.m2 + d2 * na * nb / n;
        let m3 = self.m3
            + other.m3
            + d3 * na * nb * (na - nb) / (n * n)
            + 3.0 * delta * (na * other.m2 - nb * self.m2) / n;
        let m4 = self.m4
            + other.m4
            + d4 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n)
            + 6.0 * d2 * (na * na * other.m2 + nb * nb * self.m2) / (n * n)
            + 4.0 * delta * (na * other.m3 - nb * self.m3) / n;
        *self = Moments {
            n,
            mean: self.mean + delta * nb / n,
            m2,
            m3,
            m4,
        };
    }

    /// Spark's results: null without rows or when every value is equal.
    fn result(&self, kind: MomentKind) -> Option<f64> {
        if self.n == 0.0 || self.m2 == 0.0 {
            return None;
        }
        Some(match kind {
            MomentKind::Skewness => self.n.sqrt() * self.m3 / self.m2.powf(1.5),
            MomentKind::Kurtosis => self.n * self.m4 / (self.m2 * self.m2) - 3.0,
        })
    }
}

#[derive(Debug)]
struct MomentAccumulator {
    kind: MomentKind,
    moments: Moments,
}

impl Accumulator for MomentAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        if let Some(values) = values.first() {
            for x in as_f64(values)?.iter().flatten() {
                self.moments.push(x);
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let columns = states.iter().map(as_f64).collect::<Result<Vec<_>>>()?;
        let [n, mean, m2, m3, m4] = columns.as_slice() else {
            return exec_err!("{:?} expects five state columns", self.kind);
        };
        for row in 0..n.len() {
            if n.is_valid(row) {
                self.moments.merge(Moments {
                    n: n.value(row),
                    mean: mean.value(row),
                    m2: m2.value(row),
                    m3: m3.value(row),
                    m4: m4.value(row),
                });
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let m = self.moments;
        Ok([m.n, m.mean, m.m2, m.m3, m.m4]
            .into_iter()
            .map(|v| ScalarValue::Float64(Some(v)))
            .collect())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(self.moments.result(self.kind)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

// ---------------------------------------------------------------------------------------------
// corr

#[derive(Debug, PartialEq, Eq, Hash)]
struct Correlation {
    signature: Signature,
}

impl Correlation {
    fn new() -> Self {
        Self {
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

const CORRELATION_PARTS: [&str; 6] = ["n", "x_avg", "y_avg", "ck", "x_mk", "y_mk"];

impl AggregateUDFImpl for Correlation {
    fn name(&self) -> &str {
        "corr"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(CorrelationAccumulator::default()))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(CORRELATION_PARTS
            .iter()
            .map(|part| state_field(&args, part, DataType::Float64))
            .collect())
    }
}

/// Spark's `PearsonCorrelation` state: count, means and co-moment sums.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct CorrelationAccumulator {
    n: f64,
    x_avg: f64,
    y_avg: f64,
    ck: f64,
    x_mk: f64,
    y_mk: f64,
}

impl CorrelationAccumulator {
    fn push(&mut self, x: f64, y: f64) {
        let n = self.n + 1.0;
        let dx = x - self.x_avg;
        let dy = y - self.y_avg;
        let x_avg = self.x_avg + dx / n;
        let y_avg = self.y_avg + dy / n;
        self.ck += dx * (y - y_avg);
        self.x_mk += dx * (x - x_avg);
        self.y_mk += dy * (y - y_avg);
        (self.n, self.x_avg, self.y_avg) = (n, x_avg, y_avg);
    }

    fn merge(&mut self, other: CorrelationAccumulator) {
        let n = self.n + other.n;
        if n == 0.0 {
            return;
        }
        let dx = other.x_avg - self.x_avg;
        let dy = other.y_avg - self.y_avg;
        let (dx_n, dy_n) = (dx / n, dy / n);
        let both = self.n * other.n;
        *self = CorrelationAccumulator {
            n,
            x_avg: self.x_avg + dx_n * other.n,
            y_avg: self.y_avg + dy_n * other.n,
            ck: self.ck + other.ck + dx * dy_n * both,
            x_mk: self.x_mk + other.x_mk + dx * dx_n * both,
            y_mk: self.y_mk + other.y_mk + dy * dy_n * both,
        };
    }
}

impl Accumulator for CorrelationAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let [x, y] = values else {
            return exec_err!("corr takes two columns");
        };
        let (x, y) = (as_f64(x)?, as_f64(y)?);
        for row in 0..x.len() {
            if x.is_valid(row) && y.is_valid(row) {
                self.push(x.value(row), y.value(row));
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let columns = states.iter().map(as_f64).collect::<Result<Vec<_>>>()?;
        let [n, x_avg, y_avg, ck, x_mk, y_mk] = columns.as_slice() else {
            return exec_err!("corr expects six state columns");
        };
        for row in 0..n.len() {
            if n.is_valid(row) {
                self.merge(CorrelationAccumulator {
                    n: n.value(row),
                    x_avg: x_avg.value(row),
                    y_avg: y_avg.value(row),
                    ck: ck.value(row),
                    x_mk: x_mk.value(row),
                    y_mk: y_mk.value(row),
                });
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok([
            self.n, self.x_avg, self.y_avg, self.ck, self.x_mk, self.y_mk,
        ]
        .into_iter()
        .map(|v| ScalarValue::Float64(Some(v)))
        .collect())
    }

    /// NULL for fewer than two rows, as Spark 4 gives.
    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.n < 2.0 {
            return Ok(ScalarValue::Float64(None));
        }
        Ok(ScalarValue::Float64(Some(
            self.ck / (self.x_mk * self.y_mk).sqrt(),
        )))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

// ---------------------------------------------------------------------------------------------
// mode

#[derive(Debug, PartialEq, Eq, Hash)]
struct Mode {
    signature: Signature,
}

impl Mode {
    fn new() -> Self {
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
struct ModeAccumulator {
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

// ---------------------------------------------------------------------------------------------
// percentile and percentile_approx

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PercentileKind {
    /// `percentile(col, p [, frequency])`: interpolates between neighbours, gives doubles.
    Exact,
    /// `percentile_approx(col, p [, accuracy])`: an actual value of the column, its type.
    Approximate,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Percentile {
    kind: PercentileKind,
    signature: Signature,
}

impl Percentile {
    fn new(kind: PercentileKind) -> Self {
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
    let batch = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )?;
    let value = expr.evaluate(&batch)?.into_array(1)?;
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
struct PercentileAccumulator {
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

    fn moments(values: &[f64]) -> Moments {
        let mut m = Moments::default();
        for v in values {
            m.push(*v);
        }
        m
    }

    #[test]
    fn merged_moments_equal_sequential_ones() {
        let all = [1.0, 2.0, 4.0, 7.0, 11.0, 16.0];
        let mut left = moments(&all[..2]);
        left.merge(moments(&all[2..]));
        let whole = moments(&all);
        for (a, b) in [
            (left.m2, whole.m2),
            (left.m3, whole.m3),
            (left.m4, whole.m4),
        ] {
            assert!((a - b).abs() < 1e-9, "{a} != {b}");
        }
    }

    #[test]
    fn skewness_and_kurtosis_follow_spark() {
        // Spark's documented answers for the column (1, 1, 2).
        let m = moments(&[1.0, 1.0, 2.0]);
        let skew = m.result(MomentKind::Skewness).unwrap_or_default();
        let kurt = m.result(MomentKind::Kurtosis).unwrap_or_default();
        assert!((skew - 0.707_106_781_186_547_5).abs() < 1e-9, "{skew}");
        assert!((kurt - -1.5).abs() < 1e-9, "{kurt}");
        assert_eq!(moments(&[3.0, 3.0]).result(MomentKind::Skewness), None);
    }

    #[test]
    fn correlation_of_a_line_is_exactly_one() {
        let mut whole = CorrelationAccumulator::default();
        let (mut left, mut right) = (whole, whole);
        for i in 0..20 {
            let (x, y) = (f64::from(i), f64::from(2 * i));
            whole.push(x, y);
            if i < 7 {
                left.push(x, y);
            } else {
                right.push(x, y);
            }
        }
        assert_eq!(whole.evaluate().ok(), Some(ScalarValue::Float64(Some(1.0))));
        left.merge(right);
        assert_eq!(left.evaluate().ok(), Some(ScalarValue::Float64(Some(1.0))));
    }

    #[test]
    fn positions_map_to_values_through_frequencies() {
        let cumulative = [2, 3, 6];
        assert_eq!(PercentileAccumulator::index_of(&cumulative, 0), 0);
        assert_eq!(PercentileAccumulator::index_of(&cumulative, 1), 0);
        assert_eq!(PercentileAccumulator::index_of(&cumulative, 2), 1);
        assert_eq!(PercentileAccumulator::index_of(&cumulative, 5), 2);
    }
}
