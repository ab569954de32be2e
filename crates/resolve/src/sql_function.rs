//! SQL functions the user defines: a temporary one sits in the session's function registry
//! as a [`SqlFunctionUdf`] that is never run; the analyzer expands every call of it (or of a
//! persistent one from the catalog) into its body, with the arguments cast to the
//! parameters' types in place of the parameters.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType as ArrowType, Field};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, DataFusionError, ExprSchema, TableReference};
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlan, LogicalPlanBuilder, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use ember_spec::{self as spec, SqlFunction};

use crate::expression::Named;
use crate::{ResolveError, ResolveResult, Resolver};

/// A temporary SQL function in the registry, so it is listed and dropped like other
/// session functions; calls never reach `invoke`, since the analyzer expands them.
#[derive(Debug)]
pub struct SqlFunctionUdf {
    name: String,
    function: Arc<SqlFunction>,
    signature: Signature,
}

impl SqlFunctionUdf {
    pub fn new(function: SqlFunction) -> Self {
        let volatility = if function.deterministic {
            Volatility::Immutable
        } else {
            Volatility::Volatile
        };
        SqlFunctionUdf {
            name: function
                .name
                .last()
                .map(|n| n.to_ascii_lowercase())
                .unwrap_or_default(),
            function: Arc::new(function),
            signature: Signature::one_of(
                vec![TypeSignature::Nullary, TypeSignature::VariadicAny],
                volatility,
            ),
        }
    }

    pub fn into_scalar_udf(self) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(self))
    }

    pub fn function(&self) -> &SqlFunction {
        &self.function
    }
}

impl PartialEq for SqlFunctionUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.function.body_text == other.function.body_text
            && self.function.parameter_text() == other.function.parameter_text()
    }
}

impl Eq for SqlFunctionUdf {}

impl Hash for SqlFunctionUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.function.body_text.hash(state);
    }
}

impl ScalarUDFImpl for SqlFunctionUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[ArrowType]) -> datafusion::error::Result<ArrowType> {
        Err(DataFusionError::Internal(format!(
            "the SQL function {} is expanded where it is called",
            self.name
        )))
    }

    fn invoke_with_args(
        &self,
        _args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        Err(DataFusionError::Internal(format!(
            "the SQL function {} is expanded where it is called",
            self.name
        )))
    }
}

impl Resolver<'_> {
    /// The SQL function `name` calls and the name its calls are shown by: a temporary one
    /// of the session (as called), or a persistent one the catalog holds (`spark_catalog.db.f`).
    /// The catalog is asked only when `persistent` is set: a persistent function never
    /// shadows a built-in, so callers ask once no built-in answered.
    pub(crate) fn sql_function(
        &self,
        name: &str,
        persistent: bool,
    ) -> ResolveResult<Option<(SqlFunction, String)>> {
        let lower = name.to_ascii_lowercase();
        if let Some(udf) = self.state.scalar_functions().get(&lower) {
            if let Some(sql) = udf.inner().downcast_ref::<SqlFunctionUdf>() {
                return Ok(Some((sql.function().clone(), name.to_string())));
            }
        }
        let Some(catalog) = self.catalog.as_ref().filter(|_| persistent) else {
            return Ok(None);
        };
        let mut parts: Vec<String> = name.split('.').map(str::to_string).collect();
        if parts.len() == 1 {
            parts.insert(0, self.warehouse.current_database().to_string());
        }
        if parts.len() == 3 && parts[0].eq_ignore_ascii_case("spark_catalog") {
            parts.remove(0);
        }
        Ok(catalog
            .function(&parts)?
            .map(|function| (function, format!("spark_catalog.{}", parts.join(".")))))
    }

    /// The value of each parameter for a call with `arguments` (resolved over `schema`, cast
    /// to the parameters' types, defaults filled in), and the arguments' names.
    fn argument_values(
        &self,
        function: &SqlFunction,
        display: &str,
        arguments: &[spec::Expr],
        schema: &DFSchema,
    ) -> ResolveResult<(Vec<Expr>, Vec<String>)> {
        let bound = bind_arguments(function, display, arguments)?;
        // Named in parameter order, the arguments given (named ones too), defaults left out.
        let mut names = Vec::with_capacity(arguments.len());
        for argument in bound.iter().flatten() {
            names.push(self.resolve_expr(argument, schema)?.name);
        }
        let empty = DFSchema::empty();
        let mut values = Vec::with_capacity(bound.len());
        for (parameter, argument) in function.parameters.iter().zip(bound) {
            let (value, scope) = match argument {
                Some(value) => (value, schema),
                None => match &parameter.default {
                    Some(default) => (default.clone(), &empty),
                    None => return Err(wrong_arguments(function, display, arguments.len())),
                },
            };
            let cast = spec::Expr::Cast {
                expr: Box::new(value),
                data_type: parameter.data_type.clone(),
                is_try: false,
            };
            values.push(self.resolve_expr(&cast, scope)?.expr);
        }
        Ok((values, names))
    }

    /// `function(arguments)` as its body over the arguments, named `display(args)`.
    pub(crate) fn expand_sql_function(
        &self,
        function: &SqlFunction,
        display: &str,
        arguments: &[spec::Expr],
        schema: &DFSchema,
    ) -> ResolveResult<Named> {
        if function.table_columns.is_some() {
            // Spark looks for a scalar function of that name and finds none.
            return Err(
                ember_functions::FunctionError::UnknownFunction(display.to_string()).into(),
            );
        }
        let (values, names) = self.argument_values(function, display, arguments, schema)?;
        let name = format!("{display}({})", names.join(", "));
        if let Some(query) = &function.query {
            let expr = self.scalar_query_body(function, display, query, values, schema)?;
            return Ok(Named::new(expr, name));
        }
        let qualifier = function
            .name
            .last()
            .cloned()
            .unwrap_or_else(|| display.to_string());
        let parameter_schema = parameter_schema(function, &qualifier)?;
        let body = match &function.returns {
            Some(data_type) => spec::Expr::Cast {
                expr: Box::new(function.body.clone()),
                data_type: data_type.clone(),
                is_try: false,
            },
            None => function.body.clone(),
        };
        let body = self.resolve_expr(&body, &parameter_schema)?.expr;
        let expanded = body
            .transform_up(|expr| {
                let Expr::Column(column) = &expr else {
                    return Ok(Transformed::no(expr));
                };
                let position = function
                    .parameters
                    .iter()
                    .position(|p| p.name.eq_ignore_ascii_case(&column.name));
                let ours = column
                    .relation
                    .as_ref()
                    .is_none_or(|r| r.table().eq_ignore_ascii_case(&qualifier));
                match position {
                    Some(index) if ours => Ok(Transformed::yes(values[index].clone())),
                    _ => Ok(Transformed::no(expr)),
                }
            })?
            .data;
        Ok(Named::new(expanded, name))
    }

    /// A scalar function whose body is a query: its one value as a scalar subquery.
    fn scalar_query_body(
        &self,
        function: &SqlFunction,
        display: &str,
        query: &spec::Plan,
        values: Vec<Expr>,
        caller: &DFSchema,
    ) -> ResolveResult<Expr> {
        // The arguments come from the calling query: outer references inside the body.
        let values = values
            .into_iter()
            .map(|value| as_outer_references(value, caller))
            .collect::<ResolveResult<Vec<_>>>()?;
        let plan = self.bound_query(function, display, query, &values)?;
        if plan.schema().fields().len() != 1 {
            return Err(ResolveError::Analysis(format!(
                "[INVALID_SUBQUERY_EXPRESSION.SCALAR_SUBQUERY_RETURN_MORE_THAN_ONE_OUTPUT_COLUMN] Invalid subquery: Scalar subquery must return only one column, but got {}.",
                plan.schema().fields().len()
            )));
        }
        let outer_ref_columns = plan.all_out_ref_exprs();
        let subquery = Expr::ScalarSubquery(datafusion::logical_expr::Subquery {
            subquery: Arc::new(plan),
            outer_ref_columns,
            spans: datafusion::common::Spans::new(),
        });
        match &function.returns {
            Some(data_type) => Ok(datafusion::logical_expr::cast(
                subquery,
                crate::types::to_arrow(data_type)?,
            )),
            None => Ok(subquery),
        }
    }

    /// `FROM function(arguments)` of a table function: its query's rows, under the columns
    /// `RETURNS TABLE` declares.
    pub(crate) fn expand_sql_table_function(
        &self,
        function: &SqlFunction,
        display: &str,
        arguments: &[spec::Expr],
    ) -> ResolveResult<LogicalPlan> {
        let (Some(columns), Some(query)) = (&function.table_columns, &function.query) else {
            return Err(ResolveError::Analysis(format!(
                "[UNRESOLVABLE_TABLE_VALUED_FUNCTION] Could not resolve `{display}` to a table-valued function."
            )));
        };
        let (values, _) = self.argument_values(function, display, arguments, &DFSchema::empty())?;
        let plan = self.bound_query(function, display, query, &values)?;
        if columns.is_empty() {
            return Ok(plan);
        }
        let found = plan.schema().fields().len();
        if found != columns.len() {
            return Err(ResolveError::Analysis(format!(
                "[USER_DEFINED_FUNCTIONS.RETURN_COLUMN_COUNT_MISMATCH] User defined function is invalid: The number of columns produced by the RETURN clause (num: `{found}`) does not match the number of column names specified by the RETURNS clause (num: `{}`) of {display}.",
                columns.len()
            )));
        }
        let exprs = plan
            .schema()
            .columns()
            .into_iter()
            .zip(columns)
            .map(|(column, (name, data_type))| {
                Ok(datafusion::logical_expr::cast(
                    Expr::Column(column),
                    crate::types::to_arrow(data_type)?,
                )
                .alias(name))
            })
            .collect::<ResolveResult<Vec<_>>>()?;
        Ok(LogicalPlanBuilder::from(plan).project(exprs)?.build()?)
    }

    /// The function's query with each parameter it names replaced by `values`.
    fn bound_query(
        &self,
        function: &SqlFunction,
        display: &str,
        query: &spec::Plan,
        values: &[Expr],
    ) -> ResolveResult<LogicalPlan> {
        let qualifier = function
            .name
            .last()
            .cloned()
            .unwrap_or_else(|| display.to_string());
        let parameters = parameter_schema(function, &qualifier)?;
        let plan = self.resolve_nested_plan(query.clone(), &parameters)?;
        let parameter_value = |column: &Column| -> Option<Expr> {
            let ours = column
                .relation
                .as_ref()
                .is_none_or(|r| r.table().eq_ignore_ascii_case(&qualifier));
            let index = function
                .parameters
                .iter()
                .position(|p| p.name.eq_ignore_ascii_case(&column.name))?;
            ours.then(|| values[index].clone())
        };
        let bound = plan.transform_up_with_subqueries(|node| {
            node.map_expressions(|expr| {
                expr.transform_up(|e| match &e {
                    Expr::OuterReferenceColumn(_, column) => match parameter_value(column) {
                        Some(value) => Ok(Transformed::yes(value)),
                        None => Ok(Transformed::no(e)),
                    },
                    _ => Ok(Transformed::no(e)),
                })
            })
        })?;
        // Nodes keep the schemas computed before the parameters were bound.
        Ok(bound.data.recompute_schema()?)
    }
}

/// `value`'s columns as references to the query around a subquery.
fn as_outer_references(value: Expr, caller: &DFSchema) -> ResolveResult<Expr> {
    Ok(value
        .transform_up(|e| match e {
            Expr::Column(column) => {
                let field = caller.field_from_column(&column)?;
                Ok(Transformed::yes(Expr::OuterReferenceColumn(
                    Arc::clone(field),
                    column,
                )))
            }
            other => Ok(Transformed::no(other)),
        })?
        .data)
}

/// The argument given for each parameter, by position and then by name.
fn bind_arguments(
    function: &SqlFunction,
    display: &str,
    arguments: &[spec::Expr],
) -> ResolveResult<Vec<Option<spec::Expr>>> {
    let mut bound: Vec<Option<spec::Expr>> = vec![None; function.parameters.len()];
    if arguments.len() > function.parameters.len() {
        return Err(wrong_arguments(function, display, arguments.len()));
    }
    for (index, argument) in arguments.iter().enumerate() {
        match argument {
            spec::Expr::NamedArgument { key, value } => {
                let position = function
                    .parameters
                    .iter()
                    .position(|p| p.name.eq_ignore_ascii_case(key))
                    .ok_or_else(|| {
                        ResolveError::Analysis(format!(
                            "[UNRECOGNIZED_PARAMETER_NAME] Cannot invoke routine `{display}` because the routine call included a named argument reference for the argument named `{key}`, but this routine does not include any signature containing an argument with this name."
                        ))
                    })?;
                if bound[position].is_some() {
                    return Err(ResolveError::Analysis(format!(
                        "[DUPLICATE_ROUTINE_PARAMETER_ASSIGNMENT.BOTH_POSITIONAL_AND_NAMED] Call to routine `{display}` is invalid because it includes multiple argument assignments to the same parameter name `{key}`."
                    )));
                }
                bound[position] = Some((**value).clone());
            }
            positional => bound[index] = Some(positional.clone()),
        }
    }
    Ok(bound)
}

fn wrong_arguments(function: &SqlFunction, display: &str, actual: usize) -> ResolveError {
    let required = function
        .parameters
        .iter()
        .filter(|p| p.default.is_none())
        .count();
    let total = function.parameters.len();
    let expected = if required == total {
        total.to_string()
    } else {
        format!("[{required}, {total}]")
    };
    ResolveError::Analysis(format!(
        "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `{display}` requires {expected} parameters but the actual number is {actual}. Please, refer to 'https://spark.apache.org/docs/latest/sql-ref-functions.html' for a fix."
    ))
}

/// The parameters as columns the body is resolved against, under the function's name.
fn parameter_schema(function: &SqlFunction, qualifier: &str) -> ResolveResult<DFSchema> {
    let fields = function
        .parameters
        .iter()
        .map(|p| {
            let data_type = crate::types::to_arrow(&p.data_type)?;
            Ok((
                Some(TableReference::bare(qualifier)),
                Arc::new(Field::new(&p.name, data_type, true)),
            ))
        })
        .collect::<ResolveResult<Vec<_>>>()?;
    Ok(DFSchema::new_with_metadata(fields, Default::default())?)
}
