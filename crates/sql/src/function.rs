//! Function calls, with their `OVER` windows (inline, named, with ROWS/RANGE frames).

use datafusion::sql::sqlparser::ast::{
    self, DuplicateTreatment, FunctionArg, FunctionArgExpr, FunctionArguments, WindowFrameBound,
    WindowFrameUnits, WindowType,
};
use ember_spec::{
    Expr, FrameBoundary, FrameKind, NullOrdering, SortDirection, SortOrder, WindowFrame,
};

use crate::converter::Converter;
use crate::error::unsupported;
use crate::expression::object_name;
use crate::literal::negate_literal;
use crate::SqlResult;

/// `from_json(s, 'a INT')` and its CSV twin take their schema as text; it becomes a NULL of
/// that type, so the analyzer sees the result type as an argument type. A schema inferred
/// from a constant sample (`schema_of_csv('1,abc')`) is folded first by `infer`, which
/// returns the inferred DDL text (None when it cannot).
pub fn schema_argument_as_type<E>(
    name: &str,
    arguments: &mut [Expr],
    parse: impl Fn(&str) -> Result<ember_spec::DataType, E>,
    infer: impl Fn(&str, &str) -> Option<String>,
) -> Result<(), E> {
    let position = match name.to_ascii_lowercase().as_str() {
        "from_json" | "from_csv" | "from_xml" => 1,
        "variant_get" | "try_variant_get" => 2,
        _ => return Ok(()),
    };
    if let Some(schema) = arguments.get_mut(position) {
        let text = match schema {
            Expr::Literal(ember_spec::Literal::String(text)) => Some(text.clone()),
            Expr::Function {
                name: inferrer,
                arguments: sample,
                ..
            } => match sample.as_slice() {
                [Expr::Literal(ember_spec::Literal::String(sample))] => infer(inferrer, sample),
                _ => None,
            },
            _ => None,
        };
        if let Some(text) = text {
            let data_type = parse(&text)?;
            *schema = Expr::Literal(ember_spec::Literal::Null(data_type));
        }
    }
    Ok(())
}

impl Converter {
    pub(crate) fn function(&mut self, function: ast::Function) -> SqlResult<Expr> {
        let name = object_name(&function.name).join(".");
        let filter = function.filter.map(|f| self.expr(*f)).transpose()?;
        let within_group = self.sort_orders(function.within_group)?;
        let mut is_distinct = false;
        let mut arguments = Vec::new();
        match function.args {
            FunctionArguments::None => {}
            FunctionArguments::Subquery(_) => return unsupported("a subquery as an argument"),
            FunctionArguments::List(list) => {
                is_distinct =
                    matches!(list.duplicate_treatment, Some(DuplicateTreatment::Distinct));
                for argument in list.args {
                    arguments.push(self.function_argument(argument)?);
                }
            }
        }
        if name.eq_ignore_ascii_case("identifier") && function.over.is_none() {
            if let [Expr::Literal(ember_spec::Literal::String(text))] = arguments.as_slice() {
                return Ok(Expr::Column {
                    name: crate::expression::identifier_parts(text)?,
                    plan_id: None,
                });
            }
        }
        // SQL text leaves a `schema_of_*` schema to the analyzer.
        schema_argument_as_type(
            &name,
            &mut arguments,
            crate::data_type::parse_data_type,
            |_, _| None,
        )?;
        let (name, arguments) = match within_group.as_slice() {
            [] => (name, arguments),
            [order] => within_group_call(name, arguments, order)?,
            _ => return unsupported(format!("WITHIN GROUP with several orderings on {name}")),
        };
        let mut call = Expr::Function {
            name,
            arguments,
            is_distinct,
        };
        if let Some(condition) = filter {
            call = Expr::AggregateFilter {
                function: Box::new(call),
                condition: Box::new(condition),
            };
        }
        match function.over {
            None => Ok(call),
            Some(WindowType::NamedWindow(name)) => {
                let spec = self.named_window(&name.value)?;
                self.window(call, spec)
            }
            Some(WindowType::WindowSpec(spec)) => self.window(call, spec),
        }
    }

    fn function_argument(&mut self, argument: FunctionArg) -> SqlResult<Expr> {
        Ok(match argument {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => self.expr(e)?,
            FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => Expr::Star {
                target: None,
                plan_id: None,
            },
            FunctionArg::Unnamed(FunctionArgExpr::QualifiedWildcard(n)) => Expr::Star {
                target: Some(object_name(&n)),
                plan_id: None,
            },
            FunctionArg::Named {
                name,
                arg: FunctionArgExpr::Expr(e),
                ..
            } => Expr::NamedArgument {
                key: name.value,
                value: Box::new(self.expr(e)?),
            },
            other => return unsupported(format!("the argument {other}")),
        })
    }

    /// A window spec; one that names another (`OVER (w ORDER BY x)`) extends it.
    fn window(&mut self, function: Expr, spec: ast::WindowSpec) -> SqlResult<Expr> {
        let spec = match &spec.window_name {
            Some(base) => {
                let mut merged = self.named_window(&base.value)?;
                if !spec.partition_by.is_empty() {
                    merged.partition_by = spec.partition_by;
                }
                if !spec.order_by.is_empty() {
                    merged.order_by = spec.order_by;
                }
                if spec.window_frame.is_some() {
                    merged.window_frame = spec.window_frame;
                }
                merged
            }
            None => spec,
        };
        let partition_by = spec
            .partition_by
            .into_iter()
            .map(|e| self.expr(e))
            .collect::<SqlResult<_>>()?;
        let order_by = self.sort_orders(spec.order_by)?;
        let frame = spec
            .window_frame
            .map(|frame| self.window_frame(frame))
            .transpose()?;
        Ok(Expr::Window {
            function: Box::new(function),
            partition_by,
            order_by,
            frame,
        })
    }

    pub(crate) fn sort_orders(
        &mut self,
        orders: Vec<ast::OrderByExpr>,
    ) -> SqlResult<Vec<SortOrder>> {
        let mut out = Vec::with_capacity(orders.len());
        for order in orders {
            let direction = if order.options.asc == Some(false) {
                SortDirection::Descending
            } else {
                SortDirection::Ascending
            };
            let nulls = order.options.nulls_first.map(|first| {
                if first {
                    NullOrdering::NullsFirst
                } else {
                    NullOrdering::NullsLast
                }
            });
            out.push(SortOrder::new(self.expr(order.expr)?, direction, nulls));
        }
        Ok(out)
    }

    fn window_frame(&mut self, frame: ast::WindowFrame) -> SqlResult<WindowFrame> {
        let kind = match frame.units {
            WindowFrameUnits::Rows => FrameKind::Rows,
            WindowFrameUnits::Range => FrameKind::Range,
            WindowFrameUnits::Groups => return unsupported("GROUPS window frames"),
        };
        let lower = self.frame_boundary(frame.start_bound, true)?;
        let upper = match frame.end_bound {
            Some(bound) => self.frame_boundary(bound, false)?,
            None => FrameBoundary::CurrentRow,
        };
        Ok(WindowFrame { kind, lower, upper })
    }

    fn frame_boundary(&mut self, bound: WindowFrameBound, lower: bool) -> SqlResult<FrameBoundary> {
        Ok(match bound {
            WindowFrameBound::CurrentRow => FrameBoundary::CurrentRow,
            WindowFrameBound::Preceding(None) if lower => FrameBoundary::UnboundedPreceding,
            WindowFrameBound::Following(None) if !lower => FrameBoundary::UnboundedFollowing,
            WindowFrameBound::Preceding(None) | WindowFrameBound::Following(None) => {
                return unsupported("this UNBOUNDED window frame boundary")
            }
            WindowFrameBound::Preceding(Some(offset)) => {
                let offset = match self.expr(*offset)? {
                    Expr::Literal(literal) => Expr::Literal(negate_literal(literal)),
                    other => crate::expression::call("-", vec![other]),
                };
                FrameBoundary::SqlOffset(Box::new(offset))
            }
            WindowFrameBound::Following(Some(offset)) => {
                FrameBoundary::SqlOffset(Box::new(self.expr(*offset)?))
            }
        })
    }
}

/// `percentile_cont(p) WITHIN GROUP (ORDER BY x [DESC])`: Spark's `percentile(x, p)`; a
/// descending order reads the percentage from the other end.
fn within_group_call(
    name: String,
    arguments: Vec<Expr>,
    order: &ember_spec::SortOrder,
) -> SqlResult<(String, Vec<Expr>)> {
    let descending = order.direction == ember_spec::SortDirection::Descending;
    match (name.to_ascii_lowercase().as_str(), arguments.as_slice()) {
        ("percentile_cont", [percentage]) => {
            let percentage = if descending {
                crate::expression::call(
                    "-",
                    vec![
                        Expr::Literal(ember_spec::Literal::Integer(1)),
                        percentage.clone(),
                    ],
                )
            } else {
                percentage.clone()
            };
            Ok((
                "percentile".to_string(),
                vec![order.child.clone(), percentage],
            ))
        }
        _ => unsupported(format!("WITHIN GROUP on {name}")),
    }
}
