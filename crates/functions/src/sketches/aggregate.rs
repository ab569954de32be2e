//! The sketch aggregates: `hll_sketch_agg`, `hll_union_agg`, `theta_sketch_agg`,
//! `theta_union_agg`, `theta_intersection_agg` and `kll_sketch_agg_{bigint,float,double}`.
//! Each returns the sketch's binary form; partial states are sketches too.

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{exec_err, plan_err, ScalarValue};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use datafusion::physical_expr::PhysicalExpr;
use datasketches::hash::value::{canonical_float, raw_bytes};
use datasketches::hll::{HllSketch, HllType, HllUnion};
use datasketches::kll::{KllFloat, KllSketch};
use datasketches::theta::{
    CompactThetaSketch, ThetaIntersection, ThetaSketch, ThetaSketchBuilder, ThetaUnion,
    ThetaUnionBuilder,
};

use super::{
    f32_values, f64_values, for_each_hashed, i64_values, invalid_sketch, sketch_bytes, HashedValue,
    KllKind,
};

/// Spark's defaults: `lgConfigK` 12 for HLL, `lgNomEntries` 12 for Theta, `k` 200 for KLL.
const DEFAULT_LG_K: u8 = 12;
const DEFAULT_KLL_K: u16 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum AggregateKind {
    HllBuild,
    HllUnion,
    ThetaBuild,
    ThetaUnion,
    ThetaIntersection,
    KllBuild(KllKind),
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct SketchAggregate {
    kind: AggregateKind,
    name: String,
    signature: Signature,
}

impl SketchAggregate {
    pub(crate) fn all() -> Vec<Self> {
        let mut kinds = vec![
            (AggregateKind::HllBuild, "hll_sketch_agg".to_string()),
            (AggregateKind::HllUnion, "hll_union_agg".to_string()),
            (AggregateKind::ThetaBuild, "theta_sketch_agg".to_string()),
            (AggregateKind::ThetaUnion, "theta_union_agg".to_string()),
            (
                AggregateKind::ThetaIntersection,
                "theta_intersection_agg".to_string(),
            ),
        ];
        for kind in KllKind::ALL {
            kinds.push((
                AggregateKind::KllBuild(kind),
                format!("kll_sketch_agg_{}", kind.suffix()),
            ));
        }
        kinds
            .into_iter()
            .map(|(kind, name)| Self {
                kind,
                name,
                signature: Signature::variadic_any(Volatility::Immutable),
            })
            .collect()
    }
}

/// The value of a constant argument (`lgConfigK`, `k`), evaluated once.
fn constant(expr: Option<&Arc<dyn PhysicalExpr>>) -> Result<Option<ScalarValue>> {
    let Some(expr) = expr else {
        return Ok(None);
    };
    let value = crate::aggregates::constant_argument(expr)?;
    Ok(Some(ScalarValue::try_from_array(&value, 0)?))
}

fn small_integer(value: Option<ScalarValue>, default: i64, what: &str) -> Result<i64> {
    match value {
        None => Ok(default),
        Some(value) if value.is_null() => Ok(default),
        Some(value) => match value.cast_to(&DataType::Int64)? {
            ScalarValue::Int64(Some(v)) => Ok(v),
            _ => plan_err!("{what} must be an integer constant"),
        },
    }
}

fn lg_k(value: Option<ScalarValue>, function: &str) -> Result<u8> {
    let lg = small_integer(value, i64::from(DEFAULT_LG_K), "lgConfigK")?;
    u8::try_from(lg)
        .ok()
        .filter(|lg| (4..=21).contains(lg))
        .ok_or_else(|| {
            DataFusionError::Execution(format!(
                "[{}_INVALID_LG_K] Invalid call to {function}; the `lgConfigK` value must be between 4 and 21, inclusive: {lg}.",
                if function.starts_with("theta") { "THETA" } else { "HLL" }
            ))
        })
}

impl AggregateUDFImpl for SketchAggregate {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Binary)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let parameter = constant(args.exprs.get(1))?;
        let name = self.name.as_str();
        let state = match self.kind {
            AggregateKind::HllBuild => SketchState::Hll {
                sketch: HllSketch::new(lg_k(parameter, name)?, HllType::Hll8).map_err(external)?,
                union: None,
            },
            AggregateKind::HllUnion => SketchState::Hll {
                sketch: HllSketch::new(DEFAULT_LG_K, HllType::Hll8).map_err(external)?,
                union: Some(HllUnion::new(21).map_err(external)?),
            },
            AggregateKind::ThetaBuild | AggregateKind::ThetaUnion => {
                let lg = lg_k(parameter, name)?;
                SketchState::Theta {
                    sketch: ThetaSketchBuilder::default()
                        .lg_k(lg)
                        .build()
                        .map_err(external)?,
                    union: ThetaUnionBuilder::default()
                        .lg_k(lg)
                        .build()
                        .map_err(external)?,
                }
            }
            AggregateKind::ThetaIntersection => SketchState::Intersection(None),
            AggregateKind::KllBuild(kind) => {
                let k = small_integer(parameter, i64::from(DEFAULT_KLL_K), "k")?;
                let k = u16::try_from(k)
                    .ok()
                    .filter(|k| *k >= 8)
                    .ok_or_else(|| {
                        DataFusionError::Execution(format!(
                            "[KLL_SKETCH_INVALID_K] Invalid call to {name}; the `k` value must be between 8 and 65535, inclusive: {k}."
                        ))
                    })?;
                match kind {
                    KllKind::Bigint => SketchState::KllLong(KllSketch::new(k).map_err(external)?),
                    KllKind::Float => SketchState::KllFloat(KllSketch::new(k).map_err(external)?),
                    KllKind::Double => SketchState::KllDouble(KllSketch::new(k).map_err(external)?),
                }
            }
        };
        Ok(Box::new(SketchAccumulator {
            name: self.name.clone(),
            takes_sketches: matches!(
                self.kind,
                AggregateKind::HllUnion
                    | AggregateKind::ThetaUnion
                    | AggregateKind::ThetaIntersection
            ),
            state,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[sketch]", args.name),
            DataType::Binary,
            true,
        ))])
    }
}

fn external(error: datasketches::error::Error) -> DataFusionError {
    DataFusionError::Execution(error.to_string())
}

#[derive(Debug)]
enum SketchState {
    /// Raw values go into the sketch, which keeps its more accurate estimator while no
    /// other sketch is merged in; merged sketches go into the union.
    Hll {
        sketch: HllSketch,
        union: Option<HllUnion>,
    },
    /// Raw values go into the sketch; partial sketches into the union.
    Theta {
        sketch: ThetaSketch,
        union: ThetaUnion,
    },
    /// None until the first sketch: the intersection of no sketches is undefined.
    Intersection(Option<ThetaIntersection>),
    KllLong(KllSketch<i64>),
    KllFloat(KllSketch<KllFloat<f32>>),
    KllDouble(KllSketch<KllFloat<f64>>),
}

#[derive(Debug)]
struct SketchAccumulator {
    name: String,
    /// The input is sketches (unions, intersections) rather than values.
    takes_sketches: bool,
    state: SketchState,
}

impl SketchAccumulator {
    fn add_values(&mut self, values: &ArrayRef) -> Result<()> {
        match &mut self.state {
            SketchState::Hll { sketch, .. } => for_each_hashed(values, |value| match value {
                HashedValue::Integer(v) => sketch.update(v),
                HashedValue::Float(v) => sketch.update(canonical_float::from_f64(v)),
                HashedValue::Bytes(v) => sketch.update(raw_bytes::from_slice(v)),
            }),
            SketchState::Theta { sketch, .. } => for_each_hashed(values, |value| match value {
                HashedValue::Integer(v) => sketch.update(v),
                HashedValue::Float(v) => sketch.update(canonical_float::from_f64(v)),
                HashedValue::Bytes(v) => sketch.update(raw_bytes::from_slice(v)),
            }),
            SketchState::Intersection(_) => exec_err!("{} takes sketches", self.name),
            SketchState::KllLong(sketch) => {
                i64_values(values)?
                    .into_iter()
                    .flatten()
                    .for_each(|v| sketch.update(v));
                Ok(())
            }
            SketchState::KllFloat(sketch) => {
                for value in f32_values(values)?.into_iter().flatten() {
                    // NaN has no rank; the Java sketch ignores it too.
                    if let Ok(value) = KllFloat::<f32>::new(value) {
                        sketch.update(value);
                    }
                }
                Ok(())
            }
            SketchState::KllDouble(sketch) => {
                for value in f64_values(values)?.into_iter().flatten() {
                    if let Ok(value) = KllFloat::<f64>::new(value) {
                        sketch.update(value);
                    }
                }
                Ok(())
            }
        }
    }

    fn add_sketches(&mut self, sketches: &ArrayRef) -> Result<()> {
        let name = self.name.clone();
        for bytes in sketch_bytes(sketches)?.into_iter().flatten() {
            match &mut self.state {
                SketchState::Hll { union, .. } => {
                    let other =
                        HllSketch::deserialize(&bytes).map_err(|_| invalid_sketch(&name, "HLL"))?;
                    match union {
                        Some(union) => union.update(&other),
                        None => {
                            let mut created = HllUnion::new(21).map_err(external)?;
                            created.update(&other);
                            *union = Some(created);
                        }
                    }
                }
                SketchState::Theta { union, .. } => {
                    let sketch = CompactThetaSketch::deserialize(&bytes)
                        .map_err(|_| invalid_sketch(&name, "THETA"))?;
                    union.update(&sketch).map_err(external)?;
                }
                SketchState::Intersection(intersection) => {
                    let sketch = CompactThetaSketch::deserialize(&bytes)
                        .map_err(|_| invalid_sketch(&name, "THETA"))?;
                    let intersection = match intersection {
                        Some(existing) => existing,
                        None => intersection.insert(ThetaIntersection::default()),
                    };
                    intersection.update(&sketch).map_err(external)?;
                }
                SketchState::KllLong(sketch) => {
                    let other = KllSketch::<i64>::deserialize(&bytes)
                        .map_err(|_| invalid_sketch(&name, "KLL"))?;
                    sketch.merge(&other).map_err(external)?;
                }
                SketchState::KllFloat(sketch) => {
                    let other = KllSketch::<KllFloat<f32>>::deserialize(&bytes)
                        .map_err(|_| invalid_sketch(&name, "KLL"))?;
                    sketch.merge(&other).map_err(external)?;
                }
                SketchState::KllDouble(sketch) => {
                    let other = KllSketch::<KllFloat<f64>>::deserialize(&bytes)
                        .map_err(|_| invalid_sketch(&name, "KLL"))?;
                    sketch.merge(&other).map_err(external)?;
                }
            }
        }
        Ok(())
    }

    /// The sketch so far, in its binary form; None for an intersection of nothing.
    fn sketch(&self) -> Result<Option<Vec<u8>>> {
        Ok(match &self.state {
            SketchState::Hll { sketch, union } => Some(match union {
                None => sketch.serialize(),
                Some(union) => {
                    let mut union = union.clone();
                    if !sketch.is_empty() {
                        union.update(sketch);
                    }
                    union.to_sketch(HllType::Hll8).serialize()
                }
            }),
            SketchState::Theta { sketch, union } => {
                let mut merged = ThetaUnionBuilder::default()
                    .lg_k(sketch.lg_k())
                    .build()
                    .map_err(external)?;
                merged.update(sketch).map_err(external)?;
                merged.update(&union.to_sketch(true)).map_err(external)?;
                Some(merged.to_sketch(true).serialize_compressed())
            }
            SketchState::Intersection(intersection) => intersection
                .as_ref()
                .and_then(|i| i.to_sketch(true))
                .map(|s| s.serialize_compressed()),
            SketchState::KllLong(sketch) => Some(sketch.serialize()),
            SketchState::KllFloat(sketch) => Some(sketch.serialize()),
            SketchState::KllDouble(sketch) => Some(sketch.serialize()),
        })
    }
}

impl Accumulator for SketchAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(values) = values.first() else {
            return Ok(());
        };
        if self.takes_sketches {
            self.add_sketches(values)
        } else {
            self.add_values(values)
        }
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        match states.first() {
            Some(sketches) => self.add_sketches(sketches),
            None => Ok(()),
        }
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Binary(self.sketch()?)])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Binary(self.sketch()?))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + match &self.state {
                SketchState::Hll { sketch, union } => {
                    sketch.estimated_size() + union.as_ref().map_or(0, |u| u.estimated_size())
                }
                SketchState::Theta { sketch, union } => {
                    sketch.estimated_size() + union.estimated_size()
                }
                SketchState::Intersection(i) => i.as_ref().map_or(0, |i| i.estimated_size()),
                SketchState::KllLong(s) => s.num_retained() * 8,
                SketchState::KllFloat(s) => s.num_retained() * 4,
                SketchState::KllDouble(s) => s.num_retained() * 8,
            }
    }
}
