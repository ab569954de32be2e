//! `corr` with Spark's update and merge formulas.

use super::prelude::*;

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Correlation {
    signature: Signature,
}

impl Correlation {
    pub(super) fn new() -> Self {
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
pub(super) struct CorrelationAccumulator {
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

#[cfg(test)]
mod tests {
    use super::*;
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
}
