//! Expression resolution against an input schema: each expression comes back with the
//! name Spark gives it.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType as ArrowType;
use datafusion::common::{Column, DFSchema, ScalarValue};
use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::expr::{AggregateFunction, WindowFunction};
use datafusion::logical_expr::{
    cast, lit, try_cast, when, Expr, ExprSchemable, SortExpr, WindowFrame, WindowFrameBound,
    WindowFrameUnits, WindowFunctionDefinition,
};
use ember_spec::{self as spec, FrameBoundary, FrameKind, NullOrdering, SortDirection};

use crate::error::{unsupported, ResolveError, ResolveResult};
use crate::naming::{cast_name, function_name, literal_name};
use crate::types::{literal_to_scalar, to_arrow};
use crate::Resolver;

/// A resolved expression and its Spark output name.
pub(crate) struct Named {
    pub expr: Expr,
    pub name: String,
}

impl Named {
    pub(crate) fn new(expr: Expr, name: impl Into<String>) -> Self {
        Named {
            expr,
            name: name.into(),
        }
    }

    /// The expression as a projection item: plain columns keep their qualifier.
    pub fn into_projection(self) -> Expr {
        match &self.expr {
            Expr::Column(column) if column.name == self.name => self.expr,
            Expr::Alias(alias) if alias.name == self.name => self.expr,
            _ => self.expr.alias(self.name),
        }
    }
}

impl Resolver<'_> {
    /// Resolves a projection item; `*` expands to many.
    pub(crate) fn resolve_items(
        &self,
        expr: &spec::Expr,
        schema: &DFSchema,
    ) -> ResolveResult<Vec<Named>> {
        match expr {
            spec::Expr::Star { target, plan_id } => {
                self.expand_star(target.as_deref(), *plan_id, schema)
            }
            spec::Expr::ColumnRegex { pattern, plan_id } => {
                self.expand_regex(pattern, *plan_id, schema)
            }
            spec::Expr::StarExcept { star, except } => {
                let mut columns = self.resolve_items(star, schema)?;
                for name in except {
                    let before = columns.len();
                    columns.retain(|c| !c.name.eq_ignore_ascii_case(name));
                    if columns.len() == before {
                        return Err(crate::ResolveError::UnresolvedColumn {
                            name: name.to_string(),
                            suggestions: columns
                                .iter()
                                .map(|c| format!("`{}`", c.name))
                                .collect::<Vec<_>>()
                                .join(", "),
                        });
                    }
                }
                Ok(columns)
            }
            // A column cast at the top keeps the column's name (`id`), as Spark names it;
            // inside other expressions it reads `CAST(id AS INT)`.
            spec::Expr::Cast { expr: inner, .. }
                if matches!(**inner, spec::Expr::Column { .. }) =>
            {
                let cast = self.resolve_expr(expr, schema)?;
                let column = self.resolve_expr(inner, schema)?;
                Ok(vec![Named::new(cast.expr, column.name)])
            }
            other => match self.resolve_generator(other, schema)? {
                Some(columns) => Ok(columns),
                None => Ok(vec![self.resolve_expr(other, schema)?]),
            },
        }
    }

    /// `colRegex`: a backquoted pattern (optionally after a qualifier, `` t.`re` ``) selects
    /// the columns whose whole name matches it, ignoring case; anything else names a column.
    fn expand_regex(
        &self,
        text: &str,
        plan_id: Option<i64>,
        schema: &DFSchema,
    ) -> ResolveResult<Vec<Named>> {
        let parsed = text
            .strip_suffix('`')
            .and_then(|quoted| match quoted.split_once('`') {
                Some(("", pattern)) => Some((None, pattern)),
                Some((qualifier, pattern)) => {
                    qualifier.strip_suffix('.').map(|q| (Some(q), pattern))
                }
                None => None,
            });
        let Some((qualifier, pattern)) = parsed else {
            return Ok(vec![self.resolve_column(
                &[text.to_string()],
                plan_id,
                schema,
            )?]);
        };
        let regex = fancy_regex::Regex::new(&format!("(?i)^(?:{pattern})$")).map_err(|e| {
            ResolveError::InvalidArgument(format!("[INVALID_REGEX] `{pattern}`: {e}"))
        })?;
        let candidates = match qualifier {
            Some(q) => self.expand_star(Some(&[q.to_string()]), None, schema)?,
            None => self.expand_star(None, plan_id, schema)?,
        };
        Ok(candidates
            .into_iter()
            .filter(|named| regex.is_match(&named.name).unwrap_or(false))
            .collect())
    }

    pub(crate) fn expand_star(
        &self,
        target: Option<&[String]>,
        plan_id: Option<i64>,
        schema: &DFSchema,
    ) -> ResolveResult<Vec<Named>> {
        let wanted = match (target, self.qualifier_of(plan_id)) {
            (Some(parts), _) => Some(parts.join(".")),
            (None, Some(qualifier))
                if schema
                    .iter()
                    .any(|(q, _)| q.map(|q| q.table()) == Some(qualifier.as_str())) =>
            {
                Some(qualifier)
            }
            _ => None,
        };
        let mut out = Vec::new();
        for (qualifier, field) in schema.iter() {
            if let Some(wanted) = &wanted {
                let matches = qualifier.is_some_and(|q| q.table().eq_ignore_ascii_case(wanted));
                if !matches {
                    continue;
                }
            }
            if crate::naming::is_internal_column(field.name()) {
                continue;
            }
            out.push(Named::new(
                Expr::Column(Column::new(qualifier.cloned(), field.name())),
                field.name().clone(),
            ));
        }
        if out.is_empty() {
            // `s.*` of a struct column `s`: its fields.
            if let Some(parts) = target {
                if let Ok(column) = self.resolve_column(parts, plan_id, schema) {
                    if let datafusion::arrow::datatypes::DataType::Struct(fields) =
                        column.expr.get_type(schema)?
                    {
                        return Ok(fields
                            .iter()
                            .map(|f| {
                                Named::new(
                                    datafusion::functions::core::expr_fn::get_field(
                                        column.expr.clone(),
                                        f.name().as_str(),
                                    ),
                                    f.name().clone(),
                                )
                            })
                            .collect());
                    }
                }
            }
            if let Some(wanted) = wanted {
                return Err(ResolveError::UnresolvedColumn {
                    name: format!("`{wanted}`.*"),
                    suggestions: String::new(),
                });
            }
        }
        Ok(out)
    }

    pub(crate) fn resolve_expr(
        &self,
        expr: &spec::Expr,
        schema: &DFSchema,
    ) -> ResolveResult<Named> {
        match expr {
            spec::Expr::Literal(literal) => Ok(Named::new(
                lit(literal_to_scalar(literal)?),
                literal_name(literal),
            )),
            spec::Expr::Column { name, plan_id } => self.resolve_column(name, *plan_id, schema),
            spec::Expr::Star { .. } | spec::Expr::StarExcept { .. } => {
                unsupported("`*` outside a projection or count(*)")
            }
            spec::Expr::Alias {
                expr,
                name,
                metadata,
            } => {
                let inner = self.resolve_expr(expr, schema)?;
                let name = name.join(".");
                let expr = match metadata {
                    Some(json) => {
                        let entries = std::collections::BTreeMap::from([(
                            crate::types::SPARK_METADATA_KEY.to_string(),
                            json.clone(),
                        )]);
                        inner.expr.alias_with_metadata(
                            name.clone(),
                            Some(datafusion::common::metadata::FieldMetadata::new(entries)),
                        )
                    }
                    None => inner.expr,
                };
                Ok(Named::new(expr, name))
            }
            spec::Expr::Cast {
                expr,
                data_type,
                is_try,
            } => {
                let inner = self.resolve_expr(expr, schema)?;
                let target = to_arrow(data_type)?;
                let name = cast_name(&inner.name, data_type, *is_try);
                let source = inner.expr.get_type(schema)?;
                let expr = match self.session_cast(&inner.expr, &source, &target, *is_try)? {
                    Some(expr) => expr,
                    None if *is_try => try_cast(inner.expr, target),
                    None => cast(inner.expr, target),
                };
                Ok(Named::new(expr, name))
            }
            spec::Expr::Function {
                name,
                arguments,
                is_distinct,
            } => self.resolve_function(name, arguments, *is_distinct, schema),
            spec::Expr::CaseWhen {
                branches,
                otherwise,
            } => {
                let mut names = Vec::new();
                let mut resolved = Vec::new();
                for (condition, value) in branches {
                    let c = self.resolve_expr(condition, schema)?;
                    let v = self.resolve_expr(value, schema)?;
                    names.push(c.name.clone());
                    names.push(v.name.clone());
                    resolved.push((c.expr, v.expr));
                }
                let mut iter = resolved.into_iter();
                let Some((c, v)) = iter.next() else {
                    return Err(ResolveError::InvalidArgument("CASE without WHEN".into()));
                };
                let mut builder = when(c, v);
                for (c, v) in iter {
                    builder = builder.when(c, v);
                }
                let expr = match otherwise {
                    Some(default) => {
                        let d = self.resolve_expr(default, schema)?;
                        names.push(d.name.clone());
                        builder.otherwise(d.expr)?
                    }
                    None => builder.end()?,
                };
                Ok(Named::new(expr, function_name("when", &names, false)))
            }
            spec::Expr::AggregateFilter {
                function,
                condition,
            } => self.aggregate_filter(function, condition, schema),
            spec::Expr::ExtractValue { child, extraction } => {
                let child = self.resolve_expr(child, schema)?;
                self.extract_value(child, extraction, schema)
            }
            spec::Expr::SortOrder(order) => self.resolve_expr(&order.child, schema),
            spec::Expr::Window {
                function,
                partition_by,
                order_by,
                frame,
            } => self.resolve_window(function, partition_by, order_by, frame.as_ref(), schema),
            spec::Expr::NamedArgument { key, value } => {
                let resolved = self.resolve_expr(value, schema)?;
                Ok(Named::new(
                    resolved.expr,
                    format!("{key} => {}", resolved.name),
                ))
            }
            spec::Expr::UpdateFields {
                struct_expr,
                field_name,
                value,
            } => self.update_fields(struct_expr, field_name, value.as_deref(), schema),
            spec::Expr::Subquery { plan_id, kind } => self.resolve_subquery(*plan_id, kind, schema),
            spec::Expr::PythonUdf(udf) => self.resolve_python_udf(udf, schema),
            spec::Expr::ColumnRegex { .. } => unsupported("colRegex outside a projection"),
            spec::Expr::LambdaVariable(name) => {
                let (name, field) = self
                    .lambda_parameter(name)
                    .unwrap_or_else(|| (name.clone(), None));
                Ok(Named::new(
                    Expr::LambdaVariable(datafusion::logical_expr::expr::LambdaVariable::new(
                        name.clone(),
                        field,
                    )),
                    name,
                ))
            }
            spec::Expr::Lambda { .. } => unsupported("a lambda function outside a function call"),
        }
    }

    pub(crate) fn resolve_sort(
        &self,
        order: &spec::SortOrder,
        schema: &DFSchema,
    ) -> ResolveResult<(SortExpr, String)> {
        let child = self.resolve_expr(&order.child, schema)?;
        let asc = order.direction == SortDirection::Ascending;
        let nulls_first = order.null_ordering == NullOrdering::NullsFirst;
        let suffix = format!(
            "{} {}",
            if asc { "ASC" } else { "DESC" },
            if nulls_first {
                "NULLS FIRST"
            } else {
                "NULLS LAST"
            }
        );
        let name = format!("{} {suffix}", child.name);
        Ok((SortExpr::new(child.expr, asc, nulls_first), name))
    }

    pub(crate) fn resolve_column(
        &self,
        parts: &[String],
        plan_id: Option<i64>,
        schema: &DFSchema,
    ) -> ResolveResult<Named> {
        let Some(first) = parts.first() else {
            return unsupported("empty column name");
        };
        if let Some((parameter, field)) = self.lambda_parameter(first) {
            let variable = Expr::LambdaVariable(
                datafusion::logical_expr::expr::LambdaVariable::new(parameter.clone(), field),
            );
            return self.nested(variable, parameter, &parts[1..]);
        }
        // A reference taken from a DataFrame (`df["k"]`) prefers that DataFrame's columns.
        if let Some(qualifier) = self.qualifier_of(plan_id) {
            for (q, field) in schema.iter() {
                if q.is_some_and(|q| q.table() == qualifier)
                    && field.name().eq_ignore_ascii_case(first)
                {
                    let column = Expr::Column(Column::new(q.cloned(), field.name()));
                    return self.nested(column, field.name().clone(), &parts[1..]);
                }
            }
        }
        let mut qualified = Vec::new();
        let mut unqualified = Vec::new();
        for (q, field) in schema.iter() {
            if field.name().eq_ignore_ascii_case(first) {
                unqualified.push((q.cloned(), field.name().clone()));
            }
            if parts.len() > 1
                && field.name().eq_ignore_ascii_case(&parts[1])
                && q.is_some_and(|q| q.table().eq_ignore_ascii_case(first))
            {
                qualified.push((q.cloned(), field.name().clone()));
            }
        }
        let (matches, rest) = if !qualified.is_empty() {
            (qualified, &parts[2..])
        } else {
            (unqualified, &parts[1..])
        };
        match matches.as_slice() {
            [] => self
                .resolve_outer_column(parts, plan_id)
                .unwrap_or_else(|| Err(self.unresolved(parts, schema))),
            [(q, name)] => self.nested(
                Expr::Column(Column::new(q.clone(), name)),
                name.clone(),
                rest,
            ),
            many => {
                // Two sides of a join both offering a column: an ambiguity unless all but one
                // are hidden helper columns.
                let candidates: Vec<String> = many
                    .iter()
                    .map(|(q, n)| match q {
                        Some(q) => format!("`{}`.`{n}`", q.table()),
                        None => format!("`{n}`"),
                    })
                    .collect();
                Err(ResolveError::AmbiguousReference {
                    name: format!("`{}`", parts.join("`.`")),
                    candidates: candidates.join(", "),
                })
            }
        }
    }

    fn nested(&self, mut expr: Expr, mut name: String, rest: &[String]) -> ResolveResult<Named> {
        for part in rest {
            expr = get_field(expr, part.as_str());
            name = part.clone();
        }
        Ok(Named::new(expr, name))
    }

    fn unresolved(&self, parts: &[String], schema: &DFSchema) -> ResolveError {
        let wanted = parts.join(".").to_ascii_lowercase();
        let mut names: Vec<(usize, String)> = schema
            .iter()
            .filter(|(_, f)| !crate::naming::is_internal_column(f.name()))
            .map(|(_, f)| {
                (
                    edit_distance(&wanted, &f.name().to_ascii_lowercase()),
                    f.name().clone(),
                )
            })
            .collect();
        names.sort();
        let suggestions: Vec<String> = names
            .into_iter()
            .take(5)
            .map(|(_, n)| format!("`{n}`"))
            .collect();
        ResolveError::UnresolvedColumn {
            name: format!("`{}`", parts.join("`.`")),
            suggestions: suggestions.join(", "),
        }
    }

    fn resolve_function(
        &self,
        name: &str,
        arguments: &[spec::Expr],
        is_distinct: bool,
        schema: &DFSchema,
    ) -> ResolveResult<Named> {
        if let Some(named) = self.resolve_higher_order(name, arguments, schema)? {
            return Ok(named);
        }
        if let Some((function, display)) = self.sql_function(name, name.contains('.'))? {
            return self.expand_sql_function(&function, &display, arguments, schema);
        }
        if let ("typeof", [argument]) = (name.to_ascii_lowercase().as_str(), arguments) {
            // The type is known now: Spark's short name of it, as a constant.
            let resolved = self.resolve_expr(argument, schema)?;
            let data_type = resolved.expr.get_type(schema)?;
            let text = crate::types::from_arrow(&data_type).simple_string();
            return Ok(Named::new(
                lit(text),
                function_name(name, &[resolved.name], false),
            ));
        }
        let mut exprs = Vec::with_capacity(arguments.len());
        let mut names = Vec::with_capacity(arguments.len());
        let mut types = Vec::with_capacity(arguments.len());
        // A struct's fields are named after columns and aliases among its arguments.
        let mut field_names: Vec<Option<String>> = Vec::with_capacity(arguments.len());
        let lower = name.to_ascii_lowercase();
        for argument in arguments {
            match argument {
                // count(*) counts rows: the star stands for a constant.
                spec::Expr::Star { target: None, .. } if lower == "count" => {
                    exprs.push(lit(1i32));
                    names.push("*".to_string());
                    types.push(ArrowType::Int32);
                    field_names.push(None);
                }
                // Elsewhere a star stands for every column (`hash(*)`, `struct(*)`).
                spec::Expr::Star { target, plan_id } => {
                    for column in self.expand_star(target.as_deref(), *plan_id, schema)? {
                        types.push(column.expr.get_type(schema).unwrap_or(ArrowType::Null));
                        field_names.push(Some(column.name.clone()));
                        exprs.push(column.expr);
                        names.push(column.name);
                    }
                }
                other => {
                    let resolved = self.resolve_expr(other, schema)?;
                    types.push(resolved.expr.get_type(schema).unwrap_or(ArrowType::Null));
                    field_names.push(match other {
                        spec::Expr::Column { name, .. } => name.last().cloned(),
                        spec::Expr::Alias { name, .. } => name.last().cloned(),
                        _ => None,
                    });
                    exprs.push(resolved.expr);
                    names.push(resolved.name);
                }
            }
        }
        if lower == "assert_true" && exprs.len() == 1 {
            // Spark's default message quotes the condition.
            let message = format!("'{}' is not true!", names[0]);
            exprs.push(lit(message.clone()));
            types.push(ArrowType::Utf8);
            names.push(message);
        }
        if name.eq_ignore_ascii_case("struct") {
            // Spark names a struct's fields after named arguments (columns, aliases) and
            // `col1`, `col2`, ... otherwise.
            let mut pairs = Vec::with_capacity(exprs.len() * 2);
            for (index, (field, expr)) in field_names.into_iter().zip(exprs).enumerate() {
                let field = field.unwrap_or_else(|| format!("col{}", index + 1));
                pairs.push(lit(field));
                pairs.push(expr);
            }
            let expr = ember_functions::named_struct(pairs);
            return Ok(Named::new(expr, function_name(name, &names, is_distinct)));
        }
        let (exprs, types) = implicit_string_arguments(name, exprs, types);
        let expr =
            match ember_functions::call_function(&self.state, name, exprs, &types, is_distinct) {
                Err(ember_functions::FunctionError::UnknownFunction(unknown)) => {
                    // Not a built-in: perhaps a persistent SQL function of the current database.
                    return match self.sql_function(name, true)? {
                        Some((function, display)) => {
                            self.expand_sql_function(&function, &display, arguments, schema)
                        }
                        None => {
                            Err(ember_functions::FunctionError::UnknownFunction(unknown).into())
                        }
                    };
                }
                other => other?,
            };
        // A registered Python function keeps the spelling it was called by.
        if let Expr::ScalarFunction(call) = &expr {
            if call.func.inner().is::<ember_udf::PythonUdf>() {
                return Ok(Named::new(expr, format!("{name}({})", names.join(", "))));
            }
        }
        Ok(Named::new(expr, function_name(name, &names, is_distinct)))
    }

    fn extract_value(
        &self,
        child: Named,
        extraction: &spec::Expr,
        schema: &DFSchema,
    ) -> ResolveResult<Named> {
        let child_type = child.expr.get_type(schema)?;
        let key = self.resolve_expr(extraction, schema)?;
        let Expr::Literal(scalar, _) = &key.expr else {
            return unsupported("non-literal extraction");
        };
        match (&child_type, scalar) {
            (ArrowType::Struct(_), ScalarValue::Utf8(Some(field))) => {
                Ok(Named::new(get_field(child.expr, field.as_str()), format!("{}.{field}", child.name)))
            }
            (ArrowType::List(_) | ArrowType::LargeList(_) | ArrowType::FixedSizeList(..), _) => {
                // Spark's `col[i]` is 0-based; DataFusion's array_element is 1-based.
                let index = key.expr.clone().cast_to(&ArrowType::Int64, schema)? + lit(1i64);
                let expr = datafusion::functions_nested::expr_fn::array_element(child.expr, index);
                Ok(Named::new(expr, format!("{}[{}]", child.name, key.name)))
            }
            (ArrowType::Map(..), _) => {
                let values = datafusion::functions_nested::expr_fn::map_extract(child.expr, key.expr);
                let first = datafusion::functions_nested::expr_fn::array_element(values, lit(1i64));
                Ok(Named::new(first, format!("{}[{}]", child.name, key.name)))
            }
            _ => Err(ResolveError::InvalidArgument(format!(
                "[INVALID_EXTRACT_BASE_FIELD_TYPE] Can't extract a value from {}. Need a complex type [STRUCT, ARRAY, MAP] but got {child_type}.",
                child.name
            ))),
        }
    }

    fn resolve_window(
        &self,
        function: &spec::Expr,
        partition_by: &[spec::Expr],
        order_by: &[spec::SortOrder],
        frame: Option<&spec::WindowFrame>,
        schema: &DFSchema,
    ) -> ResolveResult<Named> {
        let function = self.resolve_expr(function, schema)?;
        let mut partitions = Vec::new();
        let mut partition_names = Vec::new();
        for p in partition_by {
            let r = self.resolve_expr(p, schema)?;
            partition_names.push(r.name);
            partitions.push(r.expr);
        }
        let mut orders = Vec::new();
        let mut order_names = Vec::new();
        for o in order_by {
            let (sort, name) = self.resolve_sort(o, schema)?;
            orders.push(sort);
            order_names.push(name);
        }
        // The null treatment (`ignoreNulls`) of the call carries over to the window.
        let (definition, args, distinct, null_treatment) = match function.expr {
            Expr::WindowFunction(window) => {
                let WindowFunction { fun, params } = *window;
                (fun, params.args, params.distinct, params.null_treatment)
            }
            Expr::AggregateFunction(AggregateFunction { func, params }) => (
                WindowFunctionDefinition::AggregateUDF(Arc::clone(&func)),
                params.args,
                params.distinct,
                params.null_treatment,
            ),
            other => {
                return Err(ResolveError::InvalidArgument(format!(
                    "[UNSUPPORTED_EXPR_FOR_WINDOW] Expression {other} not supported within a window function."
                )))
            }
        };
        let window_frame = match frame {
            Some(frame) => convert_frame(frame)?,
            None => WindowFrame::new(if orders.is_empty() { None } else { Some(false) }),
        };
        let mut window = WindowFunction::new(definition, args);
        window.params.partition_by = partitions;
        window.params.order_by = orders;
        window.params.window_frame = window_frame;
        window.params.distinct = distinct;
        window.params.null_treatment = null_treatment;
        let mut spec_text = Vec::new();
        if !partition_names.is_empty() {
            spec_text.push(format!("PARTITION BY {}", partition_names.join(", ")));
        }
        if !order_names.is_empty() {
            spec_text.push(format!("ORDER BY {}", order_names.join(", ")));
        }
        spec_text.push(crate::naming::frame_text(frame, !order_names.is_empty()));
        let name = format!("{} OVER ({})", function.name, spec_text.join(" "));
        Ok(Named::new(Expr::WindowFunction(Box::new(window)), name))
    }
}

fn convert_frame(frame: &spec::WindowFrame) -> ResolveResult<WindowFrame> {
    let units = match frame.kind {
        FrameKind::Rows => WindowFrameUnits::Rows,
        FrameKind::Range => WindowFrameUnits::Range,
    };
    let bound = |b: &FrameBoundary| -> ResolveResult<WindowFrameBound> {
        Ok(match b {
            FrameBoundary::UnboundedPreceding => WindowFrameBound::Preceding(ScalarValue::Null),
            FrameBoundary::UnboundedFollowing => WindowFrameBound::Following(ScalarValue::Null),
            FrameBoundary::CurrentRow => WindowFrameBound::CurrentRow,
            FrameBoundary::Offset(e) | FrameBoundary::SqlOffset(e) => {
                let spec::Expr::Literal(l) = e.as_ref() else {
                    return unsupported("non-literal window frame boundary");
                };
                let value = match literal_to_scalar(l)? {
                    ScalarValue::Int32(Some(v)) => i64::from(v),
                    ScalarValue::Int64(Some(v)) => v,
                    other => {
                        return unsupported(format!("window frame boundary {other}"));
                    }
                };
                let magnitude = if frame.kind == FrameKind::Rows {
                    ScalarValue::UInt64(Some(value.unsigned_abs()))
                } else {
                    ScalarValue::Int64(Some(value.abs()))
                };
                match value.cmp(&0) {
                    std::cmp::Ordering::Less => WindowFrameBound::Preceding(magnitude),
                    std::cmp::Ordering::Equal => WindowFrameBound::CurrentRow,
                    std::cmp::Ordering::Greater => WindowFrameBound::Following(magnitude),
                }
            }
        })
    };
    Ok(WindowFrame::new_bounds(
        units,
        bound(&frame.lower)?,
        bound(&frame.upper)?,
    ))
}

/// String functions whose text arguments Spark casts implicitly (`upper(age)` works on a
/// number); (function, how many leading arguments are text, or all).
const STRING_FUNCTIONS: &[(&str, Option<usize>)] = &[
    ("upper", Some(1)),
    ("lower", Some(1)),
    ("ucase", Some(1)),
    ("lcase", Some(1)),
    ("initcap", Some(1)),
    ("trim", Some(1)),
    ("ltrim", Some(1)),
    ("rtrim", Some(1)),
    ("reverse", Some(1)),
    ("substring", Some(1)),
    ("substr", Some(1)),
    ("lpad", Some(1)),
    ("rpad", Some(1)),
    ("repeat", Some(1)),
    ("instr", Some(1)),
    ("startswith", Some(2)),
    ("endswith", Some(2)),
    ("contains", Some(2)),
    ("concat", None),
    ("concat_ws", None),
];

fn implicit_string_arguments(
    name: &str,
    exprs: Vec<Expr>,
    types: Vec<ArrowType>,
) -> (Vec<Expr>, Vec<ArrowType>) {
    let lower = name.to_ascii_lowercase();
    let Some((_, count)) = STRING_FUNCTIONS.iter().find(|(n, _)| *n == lower) else {
        return (exprs, types);
    };
    let count = count.unwrap_or(exprs.len());
    let is_text = |t: &ArrowType| {
        matches!(
            t,
            ArrowType::Utf8
                | ArrowType::LargeUtf8
                | ArrowType::Utf8View
                | ArrowType::Binary
                | ArrowType::Null
        ) || matches!(t, ArrowType::List(_))
    };
    exprs
        .into_iter()
        .zip(types)
        .enumerate()
        .map(|(i, (e, t))| {
            if i < count && !is_text(&t) {
                (cast(e, ArrowType::Utf8), ArrowType::Utf8)
            } else {
                (e, t)
            }
        })
        .unzip()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b_chars.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b_chars.len()]
}
