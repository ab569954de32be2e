//! Spark's bitmap aggregates over fixed 32768-bit bitmaps (4096 bytes, bit `p` is bit `p % 8`
//! of byte `p / 8`): `bitmap_construct_agg` sets the bits at the given positions,
//! `bitmap_or_agg` and `bitmap_and_agg` combine bitmaps; shorter inputs count as zero beyond
//! their end.

use super::prelude::*;

const BITMAP_BYTES: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum BitmapKind {
    Construct,
    Or,
    And,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct BitmapAggregate {
    kind: BitmapKind,
    signature: Signature,
}

impl BitmapAggregate {
    pub(super) fn new(kind: BitmapKind) -> Self {
        Self {
            kind,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for BitmapAggregate {
    fn name(&self) -> &str {
        match self.kind {
            BitmapKind::Construct => "bitmap_construct_agg",
            BitmapKind::Or => "bitmap_or_agg",
            BitmapKind::And => "bitmap_and_agg",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Binary)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let fill = if self.kind == BitmapKind::And {
            0xFF
        } else {
            0
        };
        Ok(Box::new(BitmapAccumulator {
            kind: self.kind,
            bits: vec![fill; BITMAP_BYTES],
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![state_field(&args, "bitmap", DataType::Binary)])
    }
}

#[derive(Debug)]
struct BitmapAccumulator {
    kind: BitmapKind,
    bits: Vec<u8>,
}

impl BitmapAccumulator {
    fn combine(&mut self, bitmaps: &ArrayRef, and: bool) -> Result<()> {
        let bitmaps = cast(bitmaps, &DataType::Binary)?;
        for bitmap in bitmaps.as_binary::<i32>().iter().flatten() {
            for (index, byte) in self.bits.iter_mut().enumerate() {
                let other = bitmap.get(index).copied().unwrap_or(0);
                *byte = if and { *byte & other } else { *byte | other };
            }
        }
        Ok(())
    }
}

impl Accumulator for BitmapAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(values) = values.first() else {
            return Ok(());
        };
        match self.kind {
            BitmapKind::Construct => {
                let positions = cast(values, &DataType::Int64)?;
                for position in positions.as_primitive::<Int64Type>().iter().flatten() {
                    let bit = usize::try_from(position)
                        .ok()
                        .filter(|p| *p < BITMAP_BYTES * 8);
                    let Some(bit) = bit else {
                        return exec_err!(
                            "[INVALID_BITMAP_POSITION] The 0-indexed bitmap position {position} is out of bounds. The bitmap has {} bits ({BITMAP_BYTES} bytes).",
                            BITMAP_BYTES * 8
                        );
                    };
                    self.bits[bit / 8] |= 1 << (bit % 8);
                }
                Ok(())
            }
            BitmapKind::Or => self.combine(values, false),
            BitmapKind::And => self.combine(values, true),
        }
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        match states.first() {
            Some(bitmaps) => self.combine(bitmaps, self.kind == BitmapKind::And),
            None => Ok(()),
        }
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Binary(Some(self.bits.clone()))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Binary(Some(self.bits.clone())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.bits.capacity()
    }
}
