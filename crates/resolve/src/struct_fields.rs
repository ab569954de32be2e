//! `withField` / `dropFields`: a struct rebuilt with one (possibly nested) field replaced,
//! added or dropped.

use datafusion::arrow::datatypes::DataType as ArrowType;
use datafusion::common::DFSchema;
use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::{lit, Expr, ExprSchemable};
use ember_spec as spec;

use crate::error::{unsupported, ResolveError, ResolveResult};
use crate::expression::Named;
use crate::Resolver;

impl Resolver<'_> {
    pub(crate) fn update_fields(
        &self,
        struct_expr: &spec::Expr,
        field_name: &str,
        value: Option<&spec::Expr>,
        schema: &DFSchema,
    ) -> ResolveResult<Named> {
        let base = self.resolve_expr(struct_expr, schema)?;
        let base_type = base.expr.get_type(schema)?;
        let replacement = value.map(|v| self.resolve_expr(v, schema)).transpose()?;
        let path: Vec<&str> = field_name.split('.').collect();
        let expr = rebuild_struct(
            base.expr,
            &base_type,
            &path,
            replacement.map(|r| r.expr),
            &base.name,
        )?;
        Ok(Named::new(expr, base.name))
    }
}

/// `base` (of struct type `base_type`) with the field at `path` replaced by `value`, or dropped
/// when `value` is None; a missing last field is added. Nested paths (`a.b.c`) rebuild each
/// struct on the way down.
fn rebuild_struct(
    base: Expr,
    base_type: &ArrowType,
    path: &[&str],
    value: Option<Expr>,
    display: &str,
) -> ResolveResult<Expr> {
    let ArrowType::Struct(fields) = base_type else {
        return Err(ResolveError::InvalidArgument(format!(
            "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] {display} is not a struct"
        )));
    };
    let Some((head, rest)) = path.split_first() else {
        return Ok(base);
    };
    let mut args = Vec::new();
    let mut value = value;
    let mut found = false;
    for field in fields.iter() {
        let current = get_field(base.clone(), field.name().as_str());
        if !field.name().eq_ignore_ascii_case(head) {
            args.push(lit(field.name().clone()));
            args.push(current);
            continue;
        }
        found = true;
        if rest.is_empty() {
            if let Some(new_value) = value.take() {
                args.push(lit(field.name().clone()));
                args.push(new_value);
            }
        } else {
            let inner = rebuild_struct(current, field.data_type(), rest, value.take(), head)?;
            args.push(lit(field.name().clone()));
            args.push(inner);
        }
    }
    if !found {
        match (value, rest.is_empty()) {
            (Some(new_value), true) => {
                args.push(lit(head.to_string()));
                args.push(new_value);
            }
            (None, _) => {}
            (Some(_), false) => {
                return Err(ResolveError::InvalidArgument(format!(
                    "[FIELD_NOT_FOUND] No such struct field `{head}` in {display}"
                )))
            }
        }
    }
    if args.is_empty() {
        return unsupported("a struct without fields");
    }
    Ok(ember_functions::named_struct(args))
}
