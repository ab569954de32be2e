//! Spark's higher-order functions: the value arguments resolve first, the function tells the
//! fields its lambdas' parameters take, and each lambda body resolves with those parameters in
//! scope as typed lambda variables, so functions inside the body see their argument types.

use datafusion::common::DFSchema;
use datafusion::logical_expr::{Expr, ExprSchemable, LambdaParametersProgress, ValueOrLambda};
use ember_spec as spec;

use crate::error::{unsupported, ResolveError, ResolveResult};
use crate::expression::Named;
use crate::Resolver;

/// A Spark higher-order function and the registered function that implements it.
fn registered_name(spark_name: &str) -> Option<&'static str> {
    Some(match spark_name {
        "transform" => "transform",
        "filter" => "filter",
        "exists" | "forall" => "array_any_match",
        "aggregate" | "reduce" => "aggregate",
        "zip_with" => "zip_with",
        "map_filter" => "map_filter",
        "transform_keys" => "transform_keys",
        "transform_values" => "transform_values",
        "map_zip_with" => "map_zip_with",
        "array_sort" => "array_sort",
        _ => return None,
    })
}

impl Resolver<'_> {
    /// A call of a Spark higher-order function with lambda arguments; None for any other call.
    pub(crate) fn resolve_higher_order(
        &self,
        name: &str,
        arguments: &[spec::Expr],
        schema: &DFSchema,
    ) -> ResolveResult<Option<Named>> {
        use datafusion::execution::FunctionRegistry;
        use datafusion::logical_expr::expr::{HigherOrderFunction, Lambda};
        let lower = name.to_ascii_lowercase();
        let Some(target) = registered_name(&lower) else {
            return Ok(None);
        };
        if !arguments
            .iter()
            .any(|a| matches!(a, spec::Expr::Lambda { .. }))
        {
            // array_sort without a comparator is an ordinary function.
            if lower == "array_sort" {
                return Ok(None);
            }
            return Err(ResolveError::Analysis(format!(
                "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"{lower}\": it needs a lambda function argument."
            )));
        }
        let function = self
            .state
            .higher_order_function(target)
            .map_err(|_| ResolveError::Unsupported(format!("the {lower} function")))?;
        // Value arguments first: their fields decide the lambdas' parameter fields.
        let mut values = Vec::with_capacity(arguments.len());
        let mut fields = Vec::with_capacity(arguments.len());
        for argument in arguments {
            if let spec::Expr::Lambda { .. } = argument {
                values.push(None);
                fields.push(ValueOrLambda::Lambda(None));
            } else {
                let value = self.resolve_expr(argument, schema)?;
                fields.push(ValueOrLambda::Value(value.expr.to_field(schema)?.1));
                values.push(Some(value));
            }
        }
        let parameter_fields = match function.inner().lambda_parameters(0, &fields)? {
            LambdaParametersProgress::Complete(params) => params,
            LambdaParametersProgress::Partial(_) => {
                return unsupported(format!(
                    "{lower} whose lambda parameters depend on a lambda"
                ))
            }
        };
        let mut lambda_fields = parameter_fields.iter();
        let mut exprs = Vec::with_capacity(arguments.len());
        let mut names = Vec::with_capacity(arguments.len());
        for (argument, value) in arguments.iter().zip(values) {
            match (argument, value) {
                (_, Some(value)) => {
                    exprs.push(value.expr);
                    names.push(value.name);
                }
                (spec::Expr::Lambda { body, parameters }, None) => {
                    let offered = lambda_fields.next().map(Vec::as_slice);
                    if offered.is_some_and(|offered| parameters.len() > offered.len()) {
                        return Err(ResolveError::Analysis(format!(
                            "[INVALID_LAMBDA_FUNCTION_CALL.NUM_ARGS_MISMATCH] Invalid lambda function call. A higher order function expects {} arguments, but got {}.",
                            offered.map_or(0, <[_]>::len),
                            parameters.len()
                        )));
                    }
                    self.push_lambda_parameters(parameters, offered);
                    let body = self.resolve_expr(body, schema);
                    self.pop_lambda_parameters(parameters.len());
                    let body = body?;
                    // forall(a, p) is NOT exists(a, NOT p), nulls included.
                    let lambda_body = if lower == "forall" {
                        datafusion::logical_expr::not(body.expr)
                    } else {
                        body.expr
                    };
                    exprs.push(Expr::Lambda(Lambda::new(parameters.clone(), lambda_body)));
                    names.push(format!(
                        "lambdafunction({}, {})",
                        body.name,
                        parameters.join(", ")
                    ));
                }
                (_, None) => return unsupported("a lambda argument without a lambda"),
            }
        }
        let call = Expr::HigherOrderFunction(HigherOrderFunction::new(function, exprs));
        let call = call.resolve_lambda_variables(schema)?.data;
        let expr = if lower == "forall" {
            datafusion::logical_expr::not(call)
        } else {
            call
        };
        Ok(Some(Named::new(
            expr,
            format!("{lower}({})", names.join(", ")),
        )))
    }
}
