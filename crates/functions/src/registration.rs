//! Puts Ember's Spark functions into a session: `datafusion-spark`'s, then Ember's own over
//! them where Spark's behaviour needs them.

use std::sync::Arc;

use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::ScalarUDF;

use crate::FunctionResult;

/// Registers `datafusion-spark`'s functions over DataFusion's own, so names shared by both
/// get Spark's semantics (`ceil` returning BIGINT, `concat` with NULL, ...).
pub fn register_spark_functions(registry: &mut dyn FunctionRegistry) -> FunctionResult<()> {
    use crate::{
        aggregates, ansi_divide, cast_functions, contains_null, csv_functions, datetime_functions,
        datetime_parse, format_number, generators, higher_order, interval_functions,
        json_functions, murmur_hash, number_format, number_functions, positional, raise_error,
        regex_functions, session_time, split, strict_math, string_functions, timestamp_units,
        xml_functions, xpath,
    };
    datafusion_spark::register_all(registry)?;
    for function in cast_functions::cast_functions() {
        registry.register_udf(function)?;
    }
    let mut scalar = |function: ScalarUDF| registry.register_udf(Arc::new(function)).map(|_| ());
    scalar(ScalarUDF::new_from_impl(raise_error::RaiseError::new()))?;
    scalar(ScalarUDF::new_from_impl(
        crate::spark_struct::NamedStruct::new(),
    ))?;
    scalar(ScalarUDF::new_from_impl(ansi_divide::TryDivide::new()))?;
    scalar(ScalarUDF::new_from_impl(format_number::FormatNumber::new()))?;
    scalar(ScalarUDF::new_from_impl(split::Split::new()))?;
    scalar(ScalarUDF::new_from_impl(string_functions::Mask::new()))?;
    scalar(ScalarUDF::new_from_impl(string_functions::Sentences::new()))?;
    scalar(ScalarUDF::new_from_impl(
        datetime_functions::MonthsBetween::new(),
    ))?;
    scalar(ScalarUDF::new_from_impl(generators::Positions::new()))?;
    scalar(ScalarUDF::new_from_impl(murmur_hash::Murmur3Hash::new()))?;
    scalar(ScalarUDF::new_from_impl(number_functions::Bround::new()))?;
    scalar(ScalarUDF::new_from_impl(
        interval_functions::MakeYmInterval::new(),
    ))?;
    scalar(ScalarUDF::new_from_impl(number_functions::Conv::new()))?;
    scalar(ScalarUDF::new_from_impl(contains_null::ContainsNull::new()))?;
    scalar(ScalarUDF::new_from_impl(contains_null::ArraysOverlap::new()))?;
    for regexp in regex_functions::RegexpFunction::all() {
        scalar(ScalarUDF::new_from_impl(regexp))?;
    }
    for function in strict_math::StrictMath::all() {
        scalar(ScalarUDF::new_from_impl(function))?;
    }
    for function in crate::aes_functions::AesFunction::all() {
        scalar(ScalarUDF::new_from_impl(function))?;
    }
    for function in crate::interval_scale::IntervalScale::all() {
        scalar(ScalarUDF::new_from_impl(function))?;
    }
    for function in xml_functions::XmlFunction::all() {
        scalar(ScalarUDF::new_from_impl(function))?;
    }
    for function in xpath::XPathFunction::all() {
        scalar(ScalarUDF::new_from_impl(function))?;
    }
    for function in number_format::NumberFormatFunction::all() {
        scalar(ScalarUDF::new_from_impl(function))?;
    }
    for csv in csv_functions::CsvFunction::all() {
        scalar(ScalarUDF::new_from_impl(csv))?;
    }
    for json in json_functions::JsonFunction::all() {
        scalar(ScalarUDF::new_from_impl(json))?;
    }
    for function in session_time::SessionTime::all() {
        scalar(ScalarUDF::new_from_impl(function))?;
    }
    for function in timestamp_units::TimestampUnits::all() {
        scalar(ScalarUDF::new_from_impl(function))?;
    }
    for function in crate::time_functions::TimeFunction::all() {
        scalar(ScalarUDF::new_from_impl(function))?;
    }
    for parser in datetime_parse::ParseDatetime::all() {
        scalar(ScalarUDF::new_from_impl(parser))?;
    }
    for function in [
        positional::Positional::partition_id(),
        positional::Positional::monotonic_id(),
        positional::Positional::seeded_rand(),
        positional::Positional::seeded_randn(),
        positional::Positional::seeded_randstr(),
    ] {
        scalar(ScalarUDF::new_from_impl(function))?;
    }
    for generator in [crate::EXPLODE, crate::EXPLODE_OUTER] {
        scalar(ScalarUDF::new_from_impl(positional::Generator::new(
            generator,
        )))?;
    }
    for function in aggregates::aggregate_functions() {
        registry.register_udaf(Arc::new(function))?;
    }
    for function in crate::sketches::SketchAggregate::all() {
        registry.register_udaf(Arc::new(
            datafusion::logical_expr::AggregateUDF::new_from_impl(function),
        ))?;
    }
    registry.register_udaf(Arc::new(
        datafusion::logical_expr::AggregateUDF::new_from_impl(
            crate::variant::SchemaOfVariantAgg::new(),
        ),
    ))?;
    for function in crate::variant::VariantFunction::all() {
        registry.register_udf(Arc::new(ScalarUDF::new_from_impl(function)))?;
    }
    for function in crate::variant::VariantGet::all() {
        registry.register_udf(Arc::new(ScalarUDF::new_from_impl(function)))?;
    }
    for function in crate::sketches::SketchScalar::all() {
        registry.register_udf(Arc::new(ScalarUDF::new_from_impl(function)))?;
    }
    for function in higher_order::higher_order_functions() {
        registry.register_higher_order_function(Arc::new(function))?;
    }
    Ok(())
}
