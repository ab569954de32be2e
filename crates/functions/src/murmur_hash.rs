//! `hash(...)`: Spark's 32-bit Murmur3 over the arguments in order, seeded with 42, each
//! value's hash seeding the next; NULL values leave the running hash unchanged. Strings and
//! binaries hash their bytes with Spark's own tail handling (one byte at a time), so the
//! numbers match Spark's and data partitioned by them lands in the same buckets.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int32Builder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Int8Type, TimeUnit, TimestampMicrosecondType,
};
use datafusion::common::exec_err;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

const SEED: u32 = 42;

fn mix_k1(k1: u32) -> u32 {
    k1.wrapping_mul(0xcc9e_2d51)
        .rotate_left(15)
        .wrapping_mul(0x1b87_3593)
}

fn mix_h1(h1: u32, k1: u32) -> u32 {
    (h1 ^ k1)
        .rotate_left(13)
        .wrapping_mul(5)
        .wrapping_add(0xe654_6b64)
}

fn finish(h1: u32, length: u32) -> u32 {
    let mut h = h1 ^ length;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

pub fn hash_int(value: i32, seed: u32) -> u32 {
    finish(mix_h1(seed, mix_k1(value as u32)), 4)
}

pub fn hash_long(value: i64, seed: u32) -> u32 {
    let low = value as u32;
    let high = ((value as u64) >> 32) as u32;
    let h1 = mix_h1(mix_h1(seed, mix_k1(low)), mix_k1(high));
    finish(h1, 8)
}

pub fn hash_bytes(bytes: &[u8], seed: u32) -> u32 {
    let aligned = bytes.len() - bytes.len() % 4;
    let mut h1 = seed;
    for chunk in bytes[..aligned].chunks_exact(4) {
        let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        h1 = mix_h1(h1, mix_k1(word));
    }
    for byte in &bytes[aligned..] {
        // Spark widens each tail byte as a signed value.
        h1 = mix_h1(h1, mix_k1(i32::from(*byte as i8) as u32));
    }
    finish(h1, bytes.len() as u32)
}

/// Standard MurmurHash3 of `bytes` (the tail mixed as one word), as Spark's
/// `hashUnsafeBytes2` computes it for ML feature hashing.
pub fn hash_bytes_standard(bytes: &[u8], seed: u32) -> u32 {
    let aligned = bytes.len() - bytes.len() % 4;
    let mut h1 = seed;
    for chunk in bytes[..aligned].chunks_exact(4) {
        let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        h1 = mix_h1(h1, mix_k1(word));
    }
    let tail = bytes[aligned..]
        .iter()
        .enumerate()
        .fold(0u32, |k1, (i, byte)| k1 ^ (u32::from(*byte) << (8 * i)));
    if aligned < bytes.len() {
        h1 ^= mix_k1(tail);
    }
    finish(h1, bytes.len() as u32)
}

/// The running hash after `array[row]`.
fn hash_value(array: &ArrayRef, row: usize, seed: u32) -> Result<u32> {
    if array.is_null(row) {
        return Ok(seed);
    }
    Ok(match array.data_type() {
        DataType::Boolean => hash_int(i32::from(array.as_boolean().value(row)), seed),
        DataType::Int8 => hash_int(i32::from(array.as_primitive::<Int8Type>().value(row)), seed),
        DataType::Int16 => hash_int(
            i32::from(array.as_primitive::<Int16Type>().value(row)),
            seed,
        ),
        DataType::Int32 => hash_int(array.as_primitive::<Int32Type>().value(row), seed),
        DataType::Date32 => hash_int(array.as_primitive::<Date32Type>().value(row), seed),
        DataType::Int64 => hash_long(array.as_primitive::<Int64Type>().value(row), seed),
        DataType::Float32 => {
            let v = array.as_primitive::<Float32Type>().value(row);
            let v = if v == 0.0 { 0.0f32 } else { v };
            hash_int(v.to_bits() as i32, seed)
        }
        DataType::Float64 => {
            let v = array.as_primitive::<Float64Type>().value(row);
            let v = if v == 0.0 { 0.0f64 } else { v };
            hash_long(v.to_bits() as i64, seed)
        }
        DataType::Timestamp(..) => {
            let micros = cast(
                &array.slice(row, 1),
                &DataType::Timestamp(TimeUnit::Microsecond, None),
            )?;
            hash_long(
                micros.as_primitive::<TimestampMicrosecondType>().value(0),
                seed,
            )
        }
        DataType::Decimal128(precision, _) if *precision <= 18 => hash_long(
            array.as_primitive::<Decimal128Type>().value(row) as i64,
            seed,
        ),
        DataType::Decimal128(..) => {
            let unscaled = array.as_primitive::<Decimal128Type>().value(row);
            hash_bytes(&minimal_big_endian(unscaled), seed)
        }
        DataType::Utf8 => hash_bytes(array.as_string::<i32>().value(row).as_bytes(), seed),
        DataType::LargeUtf8 => hash_bytes(array.as_string::<i64>().value(row).as_bytes(), seed),
        DataType::Utf8View => hash_bytes(array.as_string_view().value(row).as_bytes(), seed),
        DataType::Binary => hash_bytes(array.as_binary::<i32>().value(row), seed),
        DataType::LargeBinary => hash_bytes(array.as_binary::<i64>().value(row), seed),
        DataType::List(_) => {
            let items = array.as_list::<i32>().value(row);
            (0..items.len()).try_fold(seed, |h, i| hash_value(&items, i, h))?
        }
        DataType::LargeList(_) => {
            let items = array.as_list::<i64>().value(row);
            (0..items.len()).try_fold(seed, |h, i| hash_value(&items, i, h))?
        }
        DataType::Struct(_) => {
            let fields = array.as_struct();
            fields
                .columns()
                .iter()
                .try_fold(seed, |h, column| hash_value(column, row, h))?
        }
        DataType::Map(..) => {
            let entries = array.as_map().value(row);
            let (keys, values) = (entries.column(0), entries.column(1));
            (0..entries.len())
                .try_fold(seed, |h, i| hash_value(values, i, hash_value(keys, i, h)?))?
        }
        other => return exec_err!("hash does not support {other}"),
    })
}

/// Java's `BigInteger.toByteArray` of an unscaled decimal: big-endian, fewest bytes.
fn minimal_big_endian(value: i128) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let mut start = 0;
    while start < bytes.len() - 1 {
        let (current, next) = (bytes[start], bytes[start + 1]);
        let redundant =
            (current == 0x00 && next & 0x80 == 0) || (current == 0xff && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    bytes[start..].to_vec()
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Murmur3Hash {
    signature: Signature,
}

impl Murmur3Hash {
    pub fn new() -> Self {
        Self {
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Murmur3Hash {
    fn name(&self) -> &str {
        "hash"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut out = Int32Builder::with_capacity(rows);
        for row in 0..rows {
            let hash = arrays
                .iter()
                .try_fold(SEED, |h, array| hash_value(array, row, h))?;
            out.append_value(hash as i32);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_spark_hash_values() {
        // Spark: hash(1) = -559580957, hash('ABC') = -757602832, hash('ABC', 'DEF') = 599895104.
        assert_eq!(hash_int(1, SEED) as i32, -559_580_957);
        assert_eq!(hash_bytes(b"ABC", SEED) as i32, -757_602_832);
        let chained = hash_bytes(b"DEF", hash_bytes(b"ABC", SEED));
        assert_eq!(chained as i32, 599_895_104);
    }
}
