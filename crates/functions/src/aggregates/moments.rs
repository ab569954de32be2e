//! `skewness` and `kurtosis` from central moments.

use super::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum MomentKind {
    Skewness,
    Kurtosis,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Moment {
    kind: MomentKind,
    signature: Signature,
}

impl Moment {
    pub(super) fn new(kind: MomentKind) -> Self {
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
pub(super) struct Moments {
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
pub(super) struct MomentAccumulator {
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
}
