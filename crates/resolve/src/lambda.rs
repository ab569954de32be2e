//! Spark's higher-order array functions (`transform`, `filter`, `exists`, `forall`) on
//! DataFusion's lambda support; lambda parameters resolve as lambda variables in the body.

use datafusion::common::DFSchema;
use datafusion::logical_expr::Expr;
use ember_spec as spec;

use crate::error::{unsupported, ResolveError, ResolveResult};
use crate::expression::Named;
use crate::Resolver;

impl Resolver<'_> {
    /// Spark's higher-order array functions with a one-parameter lambda (`transform`,
    /// `filter`, `exists`, `forall`) on DataFusion's; None for any other call.
    pub(crate) fn resolve_higher_order(
        &self,
        name: &str,
        arguments: &[spec::Expr],
        schema: &DFSchema,
    ) -> ResolveResult<Option<Named>> {
        use datafusion::execution::FunctionRegistry;
        use datafusion::logical_expr::expr::{HigherOrderFunction, Lambda};
        let lower = name.to_ascii_lowercase();
        let target = match lower.as_str() {
            "transform" => "array_transform",
            "filter" => "array_filter",
            "exists" | "forall" => "array_any_match",
            _ => return Ok(None),
        };
        let [array, spec::Expr::Lambda { body, parameters }] = arguments else {
            return Ok(None);
        };
        if parameters.len() != 1 {
            return unsupported(format!(
                "{lower} with a {}-argument lambda",
                parameters.len()
            ));
        }
        let array = self.resolve_expr(array, schema)?;
        self.push_lambda_parameters(parameters);
        let body = self.resolve_expr(body, schema);
        self.pop_lambda_parameters(parameters.len());
        let body = body?;
        // forall(a, p) is NOT exists(a, NOT p), nulls included.
        let lambda_body = if lower == "forall" {
            datafusion::logical_expr::not(body.expr.clone())
        } else {
            body.expr.clone()
        };
        let function = self
            .state
            .higher_order_function(target)
            .map_err(|_| ResolveError::Unsupported(format!("the {lower} function")))?;
        let call = Expr::HigherOrderFunction(HigherOrderFunction::new(
            function,
            vec![
                array.expr,
                Expr::Lambda(Lambda::new(parameters.clone(), lambda_body)),
            ],
        ));
        let call = call.resolve_lambda_variables(schema)?.data;
        let expr = if lower == "forall" {
            datafusion::logical_expr::not(call)
        } else {
            call
        };
        let lambda_name = format!("lambdafunction({}, {})", body.name, parameters.join(", "));
        Ok(Some(Named::new(
            expr,
            format!("{lower}({}, {lambda_name})", array.name),
        )))
    }
}
