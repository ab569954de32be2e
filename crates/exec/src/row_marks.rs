//! The operator behind `ember_resolve::MarkRows`.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::{internal_err, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use ember_resolve::RowMark;
use futures::StreamExt;

/// Spark's `XORShiftRandom`: the generator behind `rand(seed)` and sampling, so a seed gives
/// Spark's draws when the partitioning matches.
struct XorShiftRandom {
    state: i64,
}

impl XorShiftRandom {
    fn new(seed: i64) -> Self {
        XorShiftRandom {
            state: hash_seed(seed),
        }
    }

    fn next_bits(&mut self, bits: u32) -> i64 {
        let mut next = self.state ^ (self.state << 21);
        next ^= ((next as u64) >> 35) as i64;
        next ^= next << 4;
        self.state = next;
        next & ((1i64 << bits) - 1)
    }

    /// `java.util.Random.nextGaussian` (the polar method, every second value cached).
    fn next_gaussian(&mut self, cached: &mut Option<f64>) -> f64 {
        if let Some(value) = cached.take() {
            return value;
        }
        loop {
            let v1 = 2.0 * self.next_double() - 1.0;
            let v2 = 2.0 * self.next_double() - 1.0;
            let s = v1 * v1 + v2 * v2;
            if s < 1.0 && s != 0.0 {
                let multiplier = (-2.0 * s.ln() / s).sqrt();
                *cached = Some(v2 * multiplier);
                return v1 * multiplier;
            }
        }
    }

    /// Spark's `randstr`: each character from `abs(nextInt() % 62)` over 0-9, a-z, A-Z.
    fn next_string(&mut self, length: i32) -> String {
        (0..length)
            .map(|_| {
                let value = (self.next_bits(32) as i32 % 62).unsigned_abs() as u8;
                char::from(match value {
                    0..=9 => b'0' + value,
                    10..=35 => b'a' + (value - 10),
                    _ => b'A' + (value - 36),
                })
            })
            .collect()
    }

    /// `java.util.Random.nextDouble` over this generator's bits.
    fn next_double(&mut self) -> f64 {
        let high = self.next_bits(26);
        let low = self.next_bits(27);
        ((high << 27) + low) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Spreads a seed over 64 bits with two rounds of MurmurHash3 over its big-endian bytes.
fn hash_seed(seed: i64) -> i64 {
    const ARRAY_SEED: u32 = 0x3c07_4a61;
    let bytes = seed.to_be_bytes();
    let low = murmur3_bytes(&bytes, ARRAY_SEED);
    let high = murmur3_bytes(&bytes, low);
    ((high as i64) << 32) | (low as i64 & 0xFFFF_FFFF)
}

fn murmur3_bytes(data: &[u8], seed: u32) -> u32 {
    fn mix_last(hash: u32, data: u32) -> u32 {
        let k = data
            .wrapping_mul(0xcc9e_2d51)
            .rotate_left(15)
            .wrapping_mul(0x1b87_3593);
        hash ^ k
    }
    let mut hash = seed;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        hash = mix_last(hash, k)
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, byte) in tail.iter().enumerate() {
            k ^= (*byte as u32) << (8 * i);
        }
        hash = mix_last(hash, k);
    }
    let mut h = hash ^ data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

#[derive(Debug)]
pub struct MarkRowsExec {
    input: Arc<dyn ExecutionPlan>,
    mark: RowMark,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl MarkRowsExec {
    pub(crate) fn new(input: Arc<dyn ExecutionPlan>, mark: RowMark, schema: SchemaRef) -> Self {
        let input_properties = input.properties();
        // The input's columns keep their positions, so its ordering still holds.
        let equivalences = match input_properties.output_ordering() {
            Some(ordering) => {
                EquivalenceProperties::new_with_orderings(Arc::clone(&schema), [ordering.clone()])
            }
            None => EquivalenceProperties::new(Arc::clone(&schema)),
        };
        let properties = PlanProperties::new(
            equivalences,
            input_properties.output_partitioning().clone(),
            input_properties.emission_type,
            input_properties.boundedness,
        );
        MarkRowsExec {
            input,
            mark,
            schema,
            properties: Arc::new(properties),
        }
    }
}

impl DisplayAs for MarkRowsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "MarkRowsExec: {:?}", self.mark)
    }
}

impl ExecutionPlan for MarkRowsExec {
    fn name(&self) -> &str {
        "MarkRowsExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _visit: &mut dyn FnMut(
            &Arc<dyn datafusion::physical_expr::PhysicalExpr>,
        ) -> Result<datafusion::common::tree_node::TreeNodeRecursion>,
    ) -> Result<datafusion::common::tree_node::TreeNodeRecursion> {
        // The appended column comes from row positions, not from expressions.
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match children.into_iter().next() {
            Some(input) => Ok(Arc::new(MarkRowsExec::new(
                input,
                self.mark,
                Arc::clone(&self.schema),
            ))),
            None => internal_err!("MarkRowsExec takes one input"),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let schema = Arc::clone(&self.schema);
        let mark = self.mark;
        let mut random = match mark {
            RowMark::Draw { seed }
            | RowMark::Gaussian { seed }
            | RowMark::RandomString { seed, .. } => {
                Some(XorShiftRandom::new(seed.wrapping_add(partition as i64)))
            }
            RowMark::PartitionId | RowMark::MonotonicId => None,
        };
        let mut position: i64 = 0;
        let mut cached_gaussian = None;
        let out_schema = Arc::clone(&schema);
        let stream = input.map(move |batch| {
            let batch = batch?;
            let rows = batch.num_rows();
            let column: ArrayRef = match (&mut random, mark) {
                (Some(random), RowMark::RandomString { length, .. }) => Arc::new(
                    (0..rows)
                        .map(|_| Some(random.next_string(length)))
                        .collect::<StringArray>(),
                ),
                (Some(random), RowMark::Gaussian { .. }) => Arc::new(
                    (0..rows)
                        .map(|_| random.next_gaussian(&mut cached_gaussian))
                        .collect::<Float64Array>(),
                ),
                (Some(random), _) => Arc::new(
                    (0..rows)
                        .map(|_| random.next_double())
                        .collect::<Float64Array>(),
                ),
                (None, RowMark::MonotonicId) => {
                    let first = ((partition as i64) << 33) + position;
                    position += rows as i64;
                    Arc::new((first..first + rows as i64).collect::<Int64Array>())
                }
                (None, _) => Arc::new(Int32Array::from(vec![partition as i32; rows])),
            };
            let mut columns = batch.columns().to_vec();
            columns.push(column);
            Ok(RecordBatch::try_new(Arc::clone(&out_schema), columns)?)
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_matches_the_reference_vectors() {
        // Published MurmurHash3 x86_32 results.
        assert_eq!(murmur3_bytes(b"", 0), 0);
        assert_eq!(murmur3_bytes(b"", 1), 0x514e_28b7);
        assert_eq!(murmur3_bytes(&[0xff, 0xff, 0xff, 0xff], 0), 0x7629_3b50);
        assert_eq!(murmur3_bytes(&[0x21, 0x43, 0x65, 0x87], 0), 0xf55b_516b);
    }

    #[test]
    fn draws_are_in_unit_interval_and_repeat_for_a_seed() {
        let mut a = XorShiftRandom::new(42);
        let mut b = XorShiftRandom::new(42);
        for _ in 0..1000 {
            let x = a.next_double();
            assert!((0.0..1.0).contains(&x));
            assert_eq!(x, b.next_double());
        }
    }
}
