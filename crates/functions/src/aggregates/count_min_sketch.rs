//! `count_min_sketch(col, eps, confidence, seed)`: Spark's count-min sketch of integers,
//! strings or bytes, in the binary form Spark's `CountMinSketch.writeTo` gives (version,
//! total count, depth, width, the row hash seeds, then the counters), so the bytes match.

use super::prelude::*;
use crate::java_random::JavaRandom;
use crate::murmur_hash::hash_bytes;

/// The Mersenne prime 2^31 - 1 the integer hashes are taken modulo.
const PRIME_MODULUS: i64 = (1 << 31) - 1;

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct CountMinSketch {
    signature: Signature,
}

impl CountMinSketch {
    pub(super) fn new() -> Self {
        Self {
            signature: Signature::any(4, Volatility::Immutable),
        }
    }
}

fn constant_f64(expr: &Arc<dyn PhysicalExpr>) -> Result<f64> {
    let value = cast(&constant_argument(expr)?, &DataType::Float64)?;
    let value = value.as_primitive::<Float64Type>();
    if value.is_null(0) {
        return plan_err!("count_min_sketch takes constant eps, confidence and seed");
    }
    Ok(value.value(0))
}

impl AggregateUDFImpl for CountMinSketch {
    fn name(&self) -> &str {
        "count_min_sketch"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(
                DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Utf8View
                | DataType::Binary
                | DataType::Null,
            ) => Ok(DataType::Binary),
            other => plan_err!(
                "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] count_min_sketch counts integers, strings or binary values, not {other:?}."
            ),
        }
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let [_, eps, confidence, seed] = args.exprs else {
            return plan_err!("count_min_sketch takes a column, eps, confidence and a seed");
        };
        let (eps, confidence) = (constant_f64(eps)?, constant_f64(confidence)?);
        let seed = cast(&constant_argument(seed)?, &DataType::Int64)?;
        let seed = seed.as_primitive::<Int64Type>().value(0);
        if eps <= 0.0 || !(0.0..1.0).contains(&confidence) || confidence <= 0.0 {
            return plan_err!(
                "[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] count_min_sketch needs a positive eps and a confidence between 0 and 1, got {eps} and {confidence}."
            );
        }
        let width = (2.0 / eps).ceil() as i32;
        let depth = (-(1.0 - confidence).ln() / 2f64.ln()).ceil() as i32;
        // Spark's sketch takes an int seed: a long one is cut to its low 32 bits.
        let mut random = JavaRandom::new(i64::from(seed as i32) as u64);
        let hashes = (0..depth)
            .map(|_| i64::from(random.next_int(i32::MAX)))
            .collect();
        Ok(Box::new(SketchAccumulator {
            width,
            hashes,
            table: vec![0; (depth * width).max(0) as usize],
            total: 0,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![state_field(&args, "sketch", DataType::Binary)])
    }
}

#[derive(Debug)]
struct SketchAccumulator {
    width: i32,
    /// One multiplier per row of counters.
    hashes: Vec<i64>,
    /// `depth` rows of `width` counters.
    table: Vec<i64>,
    total: i64,
}

impl SketchAccumulator {
    fn add_long(&mut self, item: i64) {
        for (row, multiplier) in self.hashes.iter().enumerate() {
            let mut hash = multiplier.wrapping_mul(item);
            hash = hash.wrapping_add(hash >> 32);
            hash &= PRIME_MODULUS;
            let column = (hash as i32) % self.width;
            self.table[row * self.width as usize + column as usize] += 1;
        }
        self.total += 1;
    }

    fn add_bytes(&mut self, bytes: &[u8]) {
        let first = hash_bytes(bytes, 0) as i32;
        let second = hash_bytes(bytes, first as u32) as i32;
        for row in 0..self.hashes.len() {
            let combined = first.wrapping_add((row as i32).wrapping_mul(second));
            let column = (combined % self.width).abs();
            self.table[row * self.width as usize + column as usize] += 1;
        }
        self.total += 1;
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20 + 8 * (self.hashes.len() + self.table.len()));
        out.extend_from_slice(&1i32.to_be_bytes());
        out.extend_from_slice(&self.total.to_be_bytes());
        out.extend_from_slice(&(self.hashes.len() as i32).to_be_bytes());
        out.extend_from_slice(&self.width.to_be_bytes());
        for value in self.hashes.iter().chain(&self.table) {
            out.extend_from_slice(&value.to_be_bytes());
        }
        out
    }

    /// Adds a partial sketch written by `to_bytes` with the same shape.
    fn merge_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        let counters = 20 + 8 * self.hashes.len();
        let expected = counters + 8 * self.table.len();
        if bytes.len() != expected {
            return exec_err!("count_min_sketch: a partial sketch of another shape");
        }
        let long_at = |at: usize| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[at..at + 8]);
            i64::from_be_bytes(word)
        };
        self.total += long_at(4);
        for (i, counter) in self.table.iter_mut().enumerate() {
            *counter += long_at(counters + 8 * i);
        }
        Ok(())
    }
}

impl Accumulator for SketchAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(values) = values.first() else {
            return Ok(());
        };
        match values.data_type() {
            DataType::Null => {}
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Binary => {
                let bytes = cast(values, &DataType::Binary)?;
                for value in bytes.as_binary::<i32>().iter().flatten() {
                    self.add_bytes(value);
                }
            }
            _ => {
                let longs = cast(values, &DataType::Int64)?;
                for value in longs.as_primitive::<Int64Type>().iter().flatten() {
                    self.add_long(value);
                }
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        if let Some(states) = states.first() {
            for state in states.as_binary::<i32>().iter().flatten() {
                self.merge_bytes(state)?;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Binary(Some(self.to_bytes()))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Binary(Some(self.to_bytes())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + 8 * (self.hashes.len() + self.table.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(width: i32, depth: i32, seed: u64) -> SketchAccumulator {
        let mut random = JavaRandom::new(seed);
        SketchAccumulator {
            width,
            hashes: (0..depth)
                .map(|_| i64::from(random.next_int(i32::MAX)))
                .collect(),
            table: vec![0; (width * depth) as usize],
            total: 0,
        }
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }

    #[test]
    fn sketches_serialize_as_sparks() {
        // spark.range(100) with eps 1.0 (width 2), confidence 0.3 (depth 1), seed 2.
        let mut counts = sketch(2, 1, 2);
        for id in 0..100 {
            counts.add_long(id);
        }
        assert_eq!(
            hex(&counts.to_bytes()),
            "0000000100000000000000640000000100000002000000005D96391C00000000000000320000000000000032"
        );
    }
}
