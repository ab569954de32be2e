//! Casts that read or print an instant in the session time zone: TIMESTAMP to and from
//! STRING, DATE and TIMESTAMP_NTZ go through the session-time functions of the catalog.

use datafusion::logical_expr::{cast, Expr};

use crate::error::ResolveResult;
use crate::Resolver;

impl Resolver<'_> {
    /// Casts between instants and wall clocks or text, which read or show the instant in the
    /// session time zone; None for every other cast.
    pub(crate) fn session_cast(
        &self,
        expr: &Expr,
        source: &datafusion::arrow::datatypes::DataType,
        target: &datafusion::arrow::datatypes::DataType,
        is_try: bool,
    ) -> ResolveResult<Option<Expr>> {
        use datafusion::arrow::datatypes::{DataType as T, TimeUnit};
        let call = |name: &str, args: Vec<Expr>, types: &[T]| self.call_catalog(name, args, types);
        let ntz = T::Timestamp(TimeUnit::Microsecond, None);
        let local = |e: &Expr| {
            call(
                ember_functions::LOCAL_TIME,
                vec![e.clone()],
                std::slice::from_ref(source),
            )
        };
        Ok(Some(match (source, target) {
            (T::Timestamp(_, Some(_)), T::Utf8 | T::LargeUtf8) => call(
                ember_functions::FORMAT_DATETIME,
                vec![expr.clone()],
                std::slice::from_ref(source),
            )?,
            (T::Timestamp(_, Some(_)), T::Date32) => cast(local(expr)?, T::Date32),
            (T::Timestamp(_, Some(_)), T::Timestamp(_, None)) => local(expr)?,
            (T::Utf8 | T::LargeUtf8, T::Timestamp(_, Some(_))) => {
                let parser = if is_try {
                    "ember_try_parse_timestamp"
                } else {
                    "ember_parse_timestamp"
                };
                call(parser, vec![expr.clone()], &[T::Utf8])?
            }
            (T::Date32 | T::Timestamp(_, None), T::Timestamp(_, Some(_))) => call(
                ember_functions::ZONED_TIME,
                vec![cast(expr.clone(), ntz.clone())],
                &[ntz],
            )?,
            (variant, T::Utf8 | T::LargeUtf8) if ember_functions::is_variant(variant) => call(
                ember_functions::VARIANT_TO_JSON,
                vec![expr.clone()],
                std::slice::from_ref(source),
            )?,
            (variant, target) if ember_functions::is_variant(variant) => {
                let function = if is_try {
                    "try_variant_get"
                } else {
                    "variant_get"
                };
                let null_of_target = datafusion::common::ScalarValue::try_from(target)?;
                call(
                    function,
                    vec![
                        expr.clone(),
                        datafusion::logical_expr::lit("$"),
                        datafusion::logical_expr::lit(null_of_target),
                    ],
                    &[source.clone(), T::Utf8, target.clone()],
                )?
            }
            (T::Time64(_), T::Utf8 | T::LargeUtf8) => call(
                ember_functions::TIME_TEXT,
                vec![expr.clone()],
                std::slice::from_ref(source),
            )?,
            (T::Utf8 | T::LargeUtf8, T::Time64(_)) => {
                let parser = if is_try {
                    ember_functions::TRY_TIME_FROM_TEXT
                } else {
                    ember_functions::TIME_FROM_TEXT
                };
                call(parser, vec![expr.clone()], &[T::Utf8])?
            }
            _ => return Ok(None),
        }))
    }
}
