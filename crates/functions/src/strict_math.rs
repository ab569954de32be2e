//! The math functions Spark computes with `java.lang.StrictMath` (fdlibm) where the `libm`
//! crate, which carries the same algorithms, gives Spark's last digits and the platform's
//! routines do not (`exp(1)` is 2.7182818284590455 in Spark): `exp`, `expm1`, the
//! logarithms, `pow`, `sinh`, `cosh` and the inverse trigonometric functions. `tanh`,
//! `cbrt` and `hypot` match Spark through the platform's routines and stay there.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::exec_err;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

type Unary = fn(f64) -> f64;
type Binary = fn(f64, f64) -> f64;

#[derive(Debug, Clone, Copy)]
enum Kernel {
    Unary(Unary),
    Binary(Binary),
}

fn log2(x: f64) -> f64 {
    // Spark divides by log(2) rather than calling a base-2 logarithm.
    libm::log(x) / libm::log(2.0)
}

/// The functions, by the name Ember registers (`ember_strict_<spark name>`).
const FUNCTIONS: &[(&str, Kernel)] = &[
    ("exp", Kernel::Unary(libm::exp)),
    ("expm1", Kernel::Unary(libm::expm1)),
    ("ln", Kernel::Unary(libm::log)),
    ("log10", Kernel::Unary(libm::log10)),
    ("log2", Kernel::Unary(log2)),
    ("log1p", Kernel::Unary(libm::log1p)),
    ("sinh", Kernel::Unary(libm::sinh)),
    ("cosh", Kernel::Unary(libm::cosh)),
    ("asin", Kernel::Unary(libm::asin)),
    ("acos", Kernel::Unary(libm::acos)),
    ("atan", Kernel::Unary(libm::atan)),
    ("pow", Kernel::Binary(libm::pow)),
    ("atan2", Kernel::Binary(libm::atan2)),
];

/// The registered name for Spark function `name`, when it is one of these.
pub(crate) fn strict_name(name: &str) -> Option<String> {
    FUNCTIONS
        .iter()
        .any(|(n, _)| *n == name)
        .then(|| format!("ember_strict_{name}"))
}

#[derive(Debug)]
pub(crate) struct StrictMath {
    name: String,
    kernel: Kernel,
    signature: Signature,
}

impl PartialEq for StrictMath {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for StrictMath {}

impl std::hash::Hash for StrictMath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl StrictMath {
    pub(crate) fn all() -> Vec<Self> {
        FUNCTIONS
            .iter()
            .map(|(name, kernel)| {
                let arity = match kernel {
                    Kernel::Unary(_) => 1,
                    Kernel::Binary(_) => 2,
                };
                StrictMath {
                    name: format!("ember_strict_{name}"),
                    kernel: *kernel,
                    signature: Signature::exact(
                        vec![DataType::Float64; arity],
                        Volatility::Immutable,
                    ),
                }
            })
            .collect()
    }
}

impl ScalarUDFImpl for StrictMath {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let out: Float64Array = match (self.kernel, arrays.as_slice()) {
            (Kernel::Unary(f), [x]) => x.as_primitive::<Float64Type>().unary(f),
            (Kernel::Binary(f), [x, y]) => datafusion::arrow::compute::binary(
                x.as_primitive::<Float64Type>(),
                y.as_primitive::<Float64Type>(),
                f,
            )?,
            _ => return exec_err!("{}: wrong number of arguments", self.name),
        };
        Ok(ColumnarValue::Array(Arc::new(out) as ArrayRef))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_fdlibm_s() {
        // Values Spark 4.1.1 returns.
        assert_eq!(libm::exp(1.0), 2.718_281_828_459_045_5);
        assert_eq!(log2(3.0), 1.584_962_500_721_156);
        assert_eq!(log2(9.0), 3.169_925_001_442_312_6);
        assert_eq!(strict_name("cosh").as_deref(), Some("ember_strict_cosh"));
        assert_eq!(strict_name("sin"), None);
    }
}
