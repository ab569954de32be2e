//! `FROM`: tables, CTE names, derived tables, joins, table-valued functions and
//! `LATERAL VIEW`.

use datafusion::sql::sqlparser::ast::{
    self, FunctionArg, FunctionArgExpr, JoinConstraint, JoinOperator, TableFactor,
};
use ember_spec::{Expr, JoinType, Literal, Plan, Relation, Select};

use crate::converter::Converter;
use crate::error::unsupported;
use crate::expression::object_name;
use crate::{SqlError, SqlResult};

impl Converter {
    /// The FROM list; commas are cross joins, as in Spark.
    pub(crate) fn from(&mut self, from: Vec<ast::TableWithJoins>) -> SqlResult<Option<Plan>> {
        let mut plan: Option<Plan> = None;
        for item in from {
            let next = self.table_with_joins(item)?;
            plan = Some(match plan {
                None => next,
                Some(left) => join(left, next, JoinType::Cross, None, Vec::new(), false),
            });
        }
        Ok(plan)
    }

    fn table_with_joins(&mut self, item: ast::TableWithJoins) -> SqlResult<Plan> {
        let mut plan = self.table_factor(item.relation)?;
        for joined in item.joins {
            let right = self.table_factor(joined.relation)?;
            let (join_type, constraint) = match joined.join_operator {
                JoinOperator::Join(c) | JoinOperator::Inner(c) => (JoinType::Inner, c),
                JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (JoinType::LeftOuter, c),
                JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (JoinType::RightOuter, c),
                JoinOperator::FullOuter(c) => (JoinType::FullOuter, c),
                JoinOperator::CrossJoin(c) => (JoinType::Cross, c),
                JoinOperator::Semi(c) | JoinOperator::LeftSemi(c) => (JoinType::LeftSemi, c),
                JoinOperator::Anti(c) | JoinOperator::LeftAnti(c) => (JoinType::LeftAnti, c),
                other => return unsupported(format!("the join {other:?}")),
            };
            let natural = matches!(constraint, JoinConstraint::Natural);
            let (condition, using) = match constraint {
                JoinConstraint::On(condition) => (Some(self.expr(condition)?), Vec::new()),
                JoinConstraint::Using(names) => (
                    None,
                    names
                        .iter()
                        .map(|n| object_name(n).join("."))
                        .collect::<Vec<_>>(),
                ),
                JoinConstraint::None | JoinConstraint::Natural => (None, Vec::new()),
            };
            let join_type = match (join_type, &condition, using.is_empty(), natural) {
                (JoinType::Inner, None, true, false) => JoinType::Cross,
                (other, _, _, _) => other,
            };
            plan = join(plan, right, join_type, condition, using, natural);
        }
        Ok(plan)
    }

    fn table_factor(&mut self, factor: TableFactor) -> SqlResult<Plan> {
        match factor {
            TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                version,
                partitions,
                sample,
                ..
            } => {
                if version.is_some() || !partitions.is_empty() || !with_hints.is_empty() {
                    return unsupported(format!("time travel, partitions or hints on {name}"));
                }
                let name = object_name(&name);
                let mut plan = match args {
                    Some(args) => self.table_function(&name, args.args)?,
                    None => self.table_reference(name),
                };
                if let Some(sample) = sample {
                    plan = crate::sample::sampled(plan, sample)?;
                }
                self.aliased(plan, alias)
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                sample,
            } => {
                let mut plan = self.query(*subquery)?;
                if let Some(sample) = sample {
                    plan = crate::sample::sampled(plan, sample)?;
                }
                // Spark names an unaliased subquery's columns as they are.
                let plan = self.aliased(plan, alias)?;
                Ok(if lateral {
                    Plan::new(Relation::Lateral {
                        input: Box::new(plan),
                    })
                } else {
                    plan
                })
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                let plan = self.table_with_joins(*table_with_joins)?;
                self.aliased(plan, alias)
            }
            TableFactor::Function {
                lateral: false,
                name,
                args,
                alias,
                ..
            } => {
                let plan = self.table_function(&object_name(&name), args)?;
                self.aliased(plan, alias)
            }
            TableFactor::Pivot {
                table,
                aggregate_functions,
                value_column,
                value_source,
                default_on_null,
                alias,
            } => {
                if default_on_null.is_some() {
                    return unsupported("PIVOT with DEFAULT ON NULL");
                }
                let input = self.table_factor(*table)?;
                let plan = self.pivot(input, aggregate_functions, value_column, value_source)?;
                self.aliased(plan, alias)
            }
            TableFactor::Unpivot {
                table,
                value,
                name,
                columns,
                null_inclusion,
                alias,
            } => {
                let input = self.table_factor(*table)?;
                let include_nulls =
                    matches!(null_inclusion, Some(ast::NullInclusion::IncludeNulls));
                let plan = self.unpivot(input, value, name, columns, include_nulls)?;
                self.aliased(plan, alias)
            }
            other => unsupported(format!("the FROM item {other}")),
        }
    }

    /// `UNPIVOT [INCLUDE|EXCLUDE NULLS] (value FOR name IN (a, b AS x))`: the columns not
    /// listed stay as ids; without INCLUDE NULLS, rows whose value is NULL go.
    fn unpivot(
        &mut self,
        input: Plan,
        value: ast::Expr,
        name: ast::Ident,
        columns: Vec<ast::ExprWithAlias>,
        include_nulls: bool,
    ) -> SqlResult<Plan> {
        let ast::Expr::Identifier(value) = value else {
            return unsupported("UNPIVOT into more than one value column");
        };
        let mut listed = Vec::new();
        let mut values = Vec::new();
        for column in columns {
            let expr = self.expr(column.expr)?;
            match &expr {
                Expr::Column { name, .. } => listed.extend(name.last().cloned()),
                _ => return unsupported("UNPIVOT over expressions other than columns"),
            }
            values.push(match column.alias {
                Some(alias) => Expr::Alias {
                    expr: Box::new(expr),
                    name: vec![alias.value],
                    metadata: None,
                },
                None => expr,
            });
        }
        let plan = Plan::new(Relation::Unpivot {
            input: Box::new(input),
            ids: vec![Expr::StarExcept {
                star: Box::new(Expr::Star {
                    target: None,
                    plan_id: None,
                }),
                except: listed,
            }],
            values: Some(values),
            variable_column_name: name.value,
            value_column_name: value.value.clone(),
        });
        if include_nulls {
            return Ok(plan);
        }
        Ok(Plan::new(Relation::Filter {
            input: Box::new(plan),
            condition: crate::expression::call(
                "isnotnull",
                vec![Expr::Column {
                    name: vec![value.value],
                    plan_id: None,
                }],
            ),
        }))
    }

    fn aliased(&mut self, mut plan: Plan, alias: Option<ast::TableAlias>) -> SqlResult<Plan> {
        let Some(alias) = alias else {
            return Ok(plan);
        };
        if !alias.columns.is_empty() {
            plan = Plan::new(Relation::ToDf {
                input: Box::new(plan),
                names: alias.columns.iter().map(|c| c.name.value.clone()).collect(),
            });
        }
        Ok(Plan::new(Relation::SubqueryAlias {
            input: Box::new(plan),
            alias: alias.name.value,
        }))
    }

    /// `range(...)` and the generators (`explode`, `inline`, `stack`, ...) in FROM.
    fn table_function(&mut self, name: &[String], args: Vec<FunctionArg>) -> SqlResult<Plan> {
        let mut arguments = Vec::with_capacity(args.len());
        for arg in args {
            match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => arguments.push(self.expr(e)?),
                other => return unsupported(format!("the table function argument {other}")),
            }
        }
        // `FROM IDENTIFIER('db.t')` names a table.
        if let ([single], [Expr::Literal(ember_spec::Literal::String(text))]) =
            (name, arguments.as_slice())
        {
            if single.eq_ignore_ascii_case("identifier") {
                let parts = crate::expression::identifier_parts(text)?;
                return Ok(self.table_reference(parts));
            }
        }
        Ok(Plan::new(Relation::TableFunction {
            name: name.join("."),
            arguments,
        }))
    }

    /// `LATERAL VIEW [OUTER] generator(...) name AS columns`: the input's columns next to
    /// each generated row.
    pub(crate) fn lateral_view(
        &mut self,
        input: Option<Plan>,
        view: ast::LateralView,
    ) -> SqlResult<Plan> {
        let input = input.ok_or_else(|| {
            SqlError::syntax("'LATERAL'", "LATERAL VIEW needs a FROM clause before it")
        })?;
        let generator = match self.expr(view.lateral_view)? {
            Expr::Function {
                name,
                arguments,
                is_distinct,
            } => {
                let name = if view.outer && !name.to_ascii_lowercase().ends_with("_outer") {
                    format!("{name}_outer")
                } else {
                    name
                };
                Expr::Function {
                    name,
                    arguments,
                    is_distinct,
                }
            }
            other => {
                return Err(SqlError::Analysis(format!(
                    "[UNSUPPORTED_GENERATOR.NOT_GENERATOR] {other:?} is expected to be a generator."
                )))
            }
        };
        if let Some(view_name) = view.lateral_view_name.0.last() {
            let view_name = match view_name {
                ast::ObjectNamePart::Identifier(ident) => ident.value.to_lowercase(),
                ast::ObjectNamePart::Function(function) => function.name.value.to_lowercase(),
            };
            self.lateral_views.insert(view_name);
        }
        let generated = match view.lateral_col_alias.as_slice() {
            [] => generator,
            names => Expr::Alias {
                expr: Box::new(generator),
                name: names.iter().map(|n| n.value.clone()).collect(),
                metadata: None,
            },
        };
        Ok(Plan::new(Relation::Select(Box::new(Select {
            input: Some(Box::new(input)),
            projection: vec![
                Expr::Star {
                    target: None,
                    plan_id: None,
                },
                generated,
            ],
            group_by: None,
            having: None,
            qualify: None,
            order_by: Vec::new(),
        }))))
    }
}

fn join(
    left: Plan,
    right: Plan,
    join_type: JoinType,
    condition: Option<Expr>,
    using_columns: Vec<String>,
    natural: bool,
) -> Plan {
    Plan::new(Relation::Join {
        left: Box::new(left),
        right: Box::new(right),
        join_type,
        condition,
        using_columns,
        natural,
    })
}

impl Converter {
    fn pivot_literal(&mut self, expr: ast::Expr) -> SqlResult<Literal> {
        match self.expr(expr)? {
            Expr::Literal(literal) => Ok(literal),
            other => Err(SqlError::Analysis(format!(
                "[NON_LITERAL_PIVOT_VALUES] Literal expressions required for pivot values, found {other:?}."
            ))),
        }
    }

    /// `PIVOT (agg [AS name], ... FOR column IN (value [AS name], ...))`; several columns
    /// (`FOR (a, b) IN ((1, 'x') AS one, ...)`) pivot on their struct.
    fn pivot(
        &mut self,
        input: Plan,
        aggregates: Vec<ast::ExprWithAlias>,
        value_column: Vec<ast::Expr>,
        source: ast::PivotValueSource,
    ) -> SqlResult<Plan> {
        let ast::PivotValueSource::List(values) = source else {
            return unsupported("PIVOT values from ANY or a subquery");
        };
        let mut columns = value_column
            .into_iter()
            .map(|c| self.expr(c))
            .collect::<SqlResult<Vec<_>>>()?;
        let several = columns.len() > 1;
        let mut literals = Vec::new();
        let mut labels = Vec::new();
        for value in values {
            let literal = match (several, value.expr) {
                // `FOR (a, b) IN ((1, 'x'), ...)`: each value a struct of one per column.
                (true, ast::Expr::Tuple(items)) if items.len() == columns.len() => {
                    let fields = items
                        .into_iter()
                        .enumerate()
                        .map(|(i, item)| Ok((format!("col{}", i + 1), self.pivot_literal(item)?)))
                        .collect::<SqlResult<Vec<_>>>()?;
                    Literal::Struct { fields }
                }
                (true, other) => {
                    return Err(SqlError::Analysis(format!(
                        "[PIVOT_VALUE_DATA_TYPE_MISMATCH] Invalid pivot value '{other}': a value for each of the {} pivot columns is required.",
                        columns.len()
                    )))
                }
                (false, expr) => self.pivot_literal(expr)?,
            };
            literals.push(literal);
            labels.push(value.alias.map(|a| a.value));
        }
        let column = match columns.len() {
            1 => columns.remove(0),
            _ => Expr::Function {
                name: "struct".into(),
                arguments: columns,
                is_distinct: false,
            },
        };
        let aggregates = aggregates
            .into_iter()
            .map(|a| {
                let expr = self.expr(a.expr)?;
                Ok(match a.alias {
                    Some(alias) => Expr::Alias {
                        expr: Box::new(expr),
                        name: vec![alias.value],
                        metadata: None,
                    },
                    None => expr,
                })
            })
            .collect::<SqlResult<Vec<_>>>()?;
        Ok(Plan::new(Relation::Aggregate {
            input: Box::new(input),
            group_type: ember_spec::GroupType::Pivot,
            grouping: Vec::new(),
            aggregates,
            pivot: Some(ember_spec::Pivot {
                column,
                values: literals,
                labels,
                group_by_other_columns: true,
            }),
            grouping_sets: Vec::new(),
        }))
    }
}
