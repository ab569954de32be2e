//! Spark's generators in a select list (`explode`, `posexplode`, `inline`, `stack` and their
//! `_outer` forms): each becomes the catalog's `explode` placeholder over a list, and a
//! generator with several output columns (a map's `key`/`value`, `pos`, a struct's fields)
//! one item per column, each a field of the same placeholder call. `row_marks` then turns
//! the placeholder into one unnest.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::{lit, Expr, ExprSchemable};
use ember_spec as spec;

use crate::error::{ResolveError, ResolveResult};
use crate::expression::Named;
use crate::Resolver;

impl Resolver<'_> {
    /// The output columns of a generator call, aliased or not; None for anything else.
    pub(crate) fn resolve_generator(
        &self,
        expr: &spec::Expr,
        schema: &DFSchema,
    ) -> ResolveResult<Option<Vec<Named>>> {
        let (call, aliases) = match expr {
            spec::Expr::Alias { expr, name, .. } => (expr.as_ref(), Some(name.clone())),
            other => (other, None),
        };
        let spec::Expr::Function {
            name, arguments, ..
        } = call
        else {
            return Ok(None);
        };
        let lower = name.to_ascii_lowercase();
        let outer = lower.ends_with("_outer");
        let kind = lower.trim_end_matches("_outer");
        if !matches!(
            kind,
            "explode" | "posexplode" | "inline" | "stack" | "json_tuple"
        ) {
            return Ok(None);
        }
        let mut resolved = Vec::with_capacity(arguments.len());
        let mut types = Vec::with_capacity(arguments.len());
        for argument in arguments {
            let named = self.resolve_expr(argument, schema)?;
            types.push(named.expr.get_type(schema)?);
            resolved.push(named.expr);
        }
        let (source, columns) = match (kind, resolved.as_slice(), types.first()) {
            ("explode", [map], Some(DataType::Map(..))) => (
                datafusion::functions_nested::expr_fn::map_entries(map.clone()),
                Some(vec!["key".to_string(), "value".to_string()]),
            ),
            ("explode", [array], _) => (array.clone(), None),
            ("posexplode", [input], input_type) => {
                let columns = match input_type {
                    Some(DataType::Map(..)) => ["pos", "key", "value"].as_slice(),
                    _ => ["pos", "col"].as_slice(),
                };
                (
                    self.call_catalog(ember_functions::POSITIONS, vec![input.clone()], &types)?,
                    Some(columns.iter().map(|c| c.to_string()).collect()),
                )
            }
            ("inline", [array], Some(DataType::List(item) | DataType::LargeList(item))) => {
                let DataType::Struct(fields) = item.data_type() else {
                    return Err(generator_type_error(&lower, "an array of structs"));
                };
                let names = fields.iter().map(|f| f.name().clone()).collect();
                (array.clone(), Some(names))
            }
            ("stack", [count, values @ ..], _) => stack_source(count, values)?,
            ("json_tuple", [json, fields @ ..], _) if !fields.is_empty() => {
                self.json_tuple_source(json, fields)?
            }
            _ => {
                return Err(generator_type_error(
                    &lower,
                    if kind == "inline" {
                        "an array of structs"
                    } else {
                        "an array or a map"
                    },
                ))
            }
        };
        let placeholder = if outer {
            ember_functions::EXPLODE_OUTER
        } else {
            ember_functions::EXPLODE
        };
        let generated = self.call_catalog(placeholder, vec![source], &[])?;
        let Some(columns) = columns else {
            let name = aliases
                .and_then(|a| a.last().cloned())
                .unwrap_or_else(|| "col".into());
            return Ok(Some(vec![Named::new(generated, name)]));
        };
        // Aliases name the output columns one by one when there is one per column.
        let names = match aliases {
            Some(aliases) if aliases.len() == columns.len() => aliases,
            Some(aliases) if aliases.len() == 1 && columns.len() > 1 => {
                return Err(ResolveError::Analysis(format!(
                    "[UNRESOLVED_ALIAS.MULTI_ALIAS_MISMATCH] The number of aliases supplied in the AS clause does not match the number of columns output by the UDTF: expected {} aliases but got {}.",
                    columns.len(),
                    aliases.len()
                )))
            }
            _ => columns.clone(),
        };
        Ok(Some(
            columns
                .iter()
                .zip(names)
                .map(|(column, name)| {
                    Named::new(get_field(generated.clone(), column.as_str()), name)
                })
                .collect(),
        ))
    }

    /// `json_tuple(json, f1, f2, ...)`: one row of `c0`, `c1`, ... holding the fields' values
    /// as strings (NULL where absent or the text is not a JSON object).
    fn json_tuple_source(
        &self,
        json: &Expr,
        fields: &[Expr],
    ) -> ResolveResult<(Expr, Option<Vec<String>>)> {
        let names: Vec<String> = (0..fields.len()).map(|i| format!("c{i}")).collect();
        let mut pairs = Vec::with_capacity(fields.len() * 2);
        for (name, field) in names.iter().zip(fields) {
            let path = match field {
                Expr::Literal(ScalarValue::Utf8(Some(f)), _) => lit(format!("$.{f}")),
                other => datafusion::functions::expr_fn::concat(vec![lit("$."), other.clone()]),
            };
            let value = self.call_catalog(
                "get_json_object",
                vec![json.clone(), path],
                &[DataType::Utf8, DataType::Utf8],
            )?;
            pairs.push(lit(name.clone()));
            pairs.push(value);
        }
        let row = datafusion::functions::expr_fn::named_struct(pairs);
        Ok((
            datafusion::functions_nested::expr_fn::make_array(vec![row]),
            Some(names),
        ))
    }

    /// A function of the Spark catalog over resolved arguments.
    pub(crate) fn call_catalog(
        &self,
        name: &str,
        args: Vec<Expr>,
        types: &[DataType],
    ) -> ResolveResult<Expr> {
        Ok(ember_functions::call_function(
            &self.state,
            name,
            args,
            types,
            false,
        )?)
    }
}

/// `stack(n, v1, v2, ...)`: n rows of `col0`, `col1`, ... filled from the values in order,
/// the last row padded with NULLs.
fn stack_source(count: &Expr, values: &[Expr]) -> ResolveResult<(Expr, Option<Vec<String>>)> {
    let rows = match count {
        Expr::Literal(ScalarValue::Int32(Some(n)), _) => i64::from(*n),
        Expr::Literal(ScalarValue::Int64(Some(n)), _) => *n,
        _ => {
            return Err(ResolveError::Analysis(
                "[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] The number of rows of stack must be a constant integer.".into(),
            ))
        }
    };
    if rows < 1 || values.is_empty() {
        return Err(ResolveError::Analysis(format!(
            "[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] stack needs a positive number of rows and values, got {rows}."
        )));
    }
    let rows = rows as usize;
    let width = values.len().div_ceil(rows);
    let names: Vec<String> = (0..width).map(|i| format!("col{i}")).collect();
    let structs = (0..rows)
        .map(|row| {
            let pairs = names
                .iter()
                .enumerate()
                .flat_map(|(column, name)| {
                    let value = values
                        .get(row * width + column)
                        .cloned()
                        .unwrap_or(lit(ScalarValue::Null));
                    [lit(name.clone()), value]
                })
                .collect();
            datafusion::functions::expr_fn::named_struct(pairs)
        })
        .collect();
    Ok((
        datafusion::functions_nested::expr_fn::make_array(structs),
        Some(names),
    ))
}

fn generator_type_error(name: &str, expected: &str) -> ResolveError {
    ResolveError::Analysis(format!(
        "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"{name}\": the input must be {expected}."
    ))
}
