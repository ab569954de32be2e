//! Calls of Python functions in expressions: scalar UDFs and grouped-aggregate pandas UDFs.

use datafusion::common::DFSchema;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::Expr;
use ember_spec as spec;

use crate::error::{ResolveError, ResolveResult};
use crate::expression::Named;
use crate::naming::function_name;
use crate::types::to_arrow;
use crate::Resolver;

impl Resolver<'_> {
    pub(crate) fn resolve_python_udf(
        &self,
        udf: &spec::PythonUdf,
        schema: &DFSchema,
    ) -> ResolveResult<Named> {
        let mut args = Vec::with_capacity(udf.arguments.len());
        let mut names = Vec::with_capacity(udf.arguments.len());
        let mut keywords = Vec::with_capacity(udf.arguments.len());
        for argument in &udf.arguments {
            keywords.push(match argument {
                spec::Expr::NamedArgument { key, .. } => Some(key.clone()),
                _ => None,
            });
            let resolved = self.resolve_expr(argument, schema)?;
            args.push(resolved.expr);
            names.push(resolved.name);
        }
        if udf.eval_type == ember_udf::GROUPED_AGG_PANDAS {
            let function = ember_udf::PythonAggregate::new(
                &udf.name,
                udf.command.clone(),
                to_arrow(&udf.output_type)?,
            )
            .into_aggregate_udf();
            let expr = Expr::AggregateFunction(AggregateFunction::new_udf(
                function,
                args,
                false,
                None,
                vec![],
                None,
            ));
            return Ok(Named::new(expr, function_name(&udf.name, &names, false)));
        }
        let eval_type = ember_udf::EvalType::from_spark(udf.eval_type).ok_or_else(|| {
            ResolveError::Unsupported(format!(
                "Python functions of eval type {} in an expression",
                udf.eval_type
            ))
        })?;
        let function = ember_udf::PythonUdf::new(
            &udf.name,
            udf.command.clone(),
            eval_type,
            to_arrow(&udf.output_type)?,
            udf.deterministic,
        )
        .with_keywords(keywords)
        .into_scalar_udf();
        let expr = Expr::ScalarFunction(datafusion::logical_expr::expr::ScalarFunction::new_udf(
            function, args,
        ));
        Ok(Named::new(expr, function_name(&udf.name, &names, false)))
    }
}
