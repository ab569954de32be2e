//! Requests may nest as deep as Spark Connect allows (its `marshallerRecursionLimit`, 1024
//! levels): an iterative job's plan grows a few levels per step, past prost's fixed limit of
//! 100. Prost is built without its limit, so this codec measures a request's nesting first,
//! without recursion, and refuses deeper ones before decoding them.

use std::marker::PhantomData;

use prost::bytes::Buf;
use prost::Message;
use tonic::codec::{Codec, DecodeBuf, Decoder};
use tonic::Status;
use tonic_prost::{ProstDecoder, ProstEncoder};

/// Spark Connect's default `spark.connect.grpc.marshallerRecursionLimit`.
pub const NESTING_LIMIT: usize = 1024;

/// Prost's codec, with the nesting of every request checked before it is decoded.
#[derive(Debug, Clone)]
pub struct NestingCheckedCodec<T, U> {
    _types: PhantomData<(T, U)>,
}

impl<T, U> Default for NestingCheckedCodec<T, U> {
    fn default() -> Self {
        NestingCheckedCodec {
            _types: PhantomData,
        }
    }
}

impl<T, U> Codec for NestingCheckedCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = NestingCheckedDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::default()
    }

    fn decoder(&mut self) -> Self::Decoder {
        NestingCheckedDecoder {
            inner: ProstDecoder::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NestingCheckedDecoder<U> {
    inner: ProstDecoder<U>,
}

impl<U: Message + Default> Decoder for NestingCheckedDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        // A request arrives whole in one contiguous buffer.
        let bytes = buf.chunk();
        if bytes.len() == buf.remaining() {
            let depth = nesting_depth(bytes);
            if depth > NESTING_LIMIT {
                return Err(Status::invalid_argument(format!(
                    "The request nests {depth} levels deep, more than the limit of {NESTING_LIMIT} \
                     (spark.connect.grpc.marshallerRecursionLimit); cache or checkpoint an \
                     intermediate DataFrame to shorten its plan."
                )));
            }
        }
        self.inner.decode(buf)
    }

    fn buffer_settings(&self) -> tonic::codec::BufferSettings {
        self.inner.buffer_settings()
    }
}

/// How deep messages nest in protobuf wire data. The schema is not consulted: every
/// length-delimited field that reads as a well-formed message counts as one, so a string
/// can only add its own apparent depth, never hide a real one.
pub fn nesting_depth(data: &[u8]) -> usize {
    /// A length-delimited field being read as a message: where it ends, and the deepest
    /// nesting found inside it so far.
    struct Frame {
        end: usize,
        deepest_inside: usize,
    }
    let mut frames = vec![Frame {
        end: data.len(),
        deepest_inside: 0,
    }];
    let mut at = 0;
    while let Some(frame) = frames.last() {
        let end = frame.end;
        if at == end {
            let done = frames.pop();
            match (frames.last_mut(), done) {
                (Some(parent), Some(done)) => {
                    parent.deepest_inside = parent.deepest_inside.max(done.deepest_inside + 1);
                }
                (None, Some(done)) => return done.deepest_inside,
                _ => return 0,
            }
            continue;
        }
        match field_at(data, at, end) {
            Some(Field::Scalar { next }) => at = next,
            Some(Field::Delimited { start, end: inner }) => {
                at = start;
                frames.push(Frame {
                    end: inner,
                    deepest_inside: 0,
                });
            }
            None => {
                // Not a message after all: bytes or a string. Its apparent depth is dropped.
                if frames.len() == 1 {
                    return 0;
                }
                frames.pop();
                at = end;
            }
        }
    }
    0
}

enum Field {
    Scalar { next: usize },
    Delimited { start: usize, end: usize },
}

/// The field starting at `at`, which must end by `end`.
fn field_at(data: &[u8], at: usize, end: usize) -> Option<Field> {
    let (key, at) = varint(data, at, end)?;
    if key >> 3 == 0 {
        return None;
    }
    match key & 7 {
        0 => varint(data, at, end).map(|(_, next)| Field::Scalar { next }),
        1 => (at + 8 <= end).then_some(Field::Scalar { next: at + 8 }),
        5 => (at + 4 <= end).then_some(Field::Scalar { next: at + 4 }),
        2 => {
            let (length, start) = varint(data, at, end)?;
            let length = usize::try_from(length).ok()?;
            let stop = start.checked_add(length).filter(|&stop| stop <= end)?;
            Some(Field::Delimited { start, end: stop })
        }
        _ => None,
    }
}

fn varint(data: &[u8], mut at: usize, end: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        if at >= end {
            return None;
        }
        let byte = data[at];
        at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some((value, at));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spark::connect::{relation::RelType, Filter, Limit, Relation};

    /// `depth` relations, each the input of the next.
    fn chain(depth: usize) -> Relation {
        let mut relation = Relation::default();
        for i in 0..depth {
            let rel_type = if i % 2 == 0 {
                RelType::Limit(Box::new(Limit {
                    input: Some(Box::new(relation)),
                    limit: 5,
                }))
            } else {
                RelType::Filter(Box::new(Filter {
                    input: Some(Box::new(relation)),
                    condition: None,
                }))
            };
            relation = Relation {
                common: None,
                rel_type: Some(rel_type),
            };
        }
        relation
    }

    #[test]
    fn counts_nested_messages() {
        // Each step is two levels below the outermost Relation: its Limit or Filter, and
        // that one's input Relation.
        assert_eq!(nesting_depth(&chain(1).encode_to_vec()), 2);
        assert_eq!(nesting_depth(&chain(3).encode_to_vec()), 6);
        assert_eq!(nesting_depth(&chain(600).encode_to_vec()), 1200);
        assert_eq!(nesting_depth(&[]), 0);
    }

    #[test]
    fn deep_chains_decode_without_prosts_fixed_limit() {
        let bytes = chain(150).encode_to_vec();
        assert_eq!(nesting_depth(&bytes), 300);
        assert!(Relation::decode(bytes.as_slice()).is_ok());
    }

    #[test]
    fn strings_and_garbage_do_not_count() {
        let text = crate::spark::connect::Sql {
            query: "SELECT 1 -- a comment that is not wire data".into(),
            ..Default::default()
        };
        assert_eq!(nesting_depth(&text.encode_to_vec()), 0);
        assert_eq!(nesting_depth(&[0xff, 0xff, 0xff]), 0);
        // A length running past the end of the data is not a message.
        assert_eq!(nesting_depth(&[0x0a, 0x7f, 0x08, 0x01]), 0);
    }
}
