//! Queries: `WITH`, set operations, `VALUES`, `ORDER BY` / `LIMIT` / `OFFSET`, and the
//! `SELECT` block with its grouping, `HAVING`, `QUALIFY`, windows and `DISTINCT`.

use std::collections::HashMap;

use datafusion::sql::sqlparser::ast::{
    self, Distinct, GroupByExpr, GroupByWithModifier, LimitClause, NamedWindowExpr, OrderByKind,
    SetExpr, SetOperator, SetQuantifier,
};
use ember_spec::{
    Expr, GroupBy, GroupType, Literal, Plan, ReadSource, Relation, Select, SetOperationKind,
    SortOrder,
};

use crate::converter::Converter;
use crate::error::unsupported;
use crate::{SqlError, SqlResult};

fn boxed(plan: Plan) -> Box<Plan> {
    Box::new(plan)
}

impl Converter {
    pub(crate) fn query(&mut self, query: ast::Query) -> SqlResult<Plan> {
        if query.fetch.is_some() || !query.locks.is_empty() || query.for_clause.is_some() {
            return unsupported("FETCH, FOR UPDATE and FOR XML|JSON clauses");
        }
        let has_ctes = query.with.is_some();
        if let Some(with) = query.with {
            self.push_ctes();
            for cte in with.cte_tables {
                let name = cte.alias.name.value.clone();
                let columns: Vec<String> = cte
                    .alias
                    .columns
                    .iter()
                    .map(|c| c.name.value.clone())
                    .collect();
                let plan = if with.recursive {
                    self.recursive_cte(&name, &columns, *cte.query)?
                } else {
                    named_columns(self.query(*cte.query)?, columns)
                };
                self.define_cte(name, plan);
            }
        }
        let result = self.query_body(*query.body, query.order_by, query.limit_clause);
        if has_ctes {
            self.pop_ctes();
        }
        result
    }

    /// A CTE under `WITH RECURSIVE`: when its body is `anchor UNION [ALL] step` and the step
    /// names the CTE, the step runs over each round's new rows; otherwise a plain CTE.
    fn recursive_cte(
        &mut self,
        name: &str,
        columns: &[String],
        query: ast::Query,
    ) -> SqlResult<Plan> {
        let is_union = matches!(
            query.body.as_ref(),
            ast::SetExpr::SetOperation {
                op: ast::SetOperator::Union,
                ..
            }
        );
        if !is_union {
            return Ok(named_columns(self.query(query)?, columns.to_vec()));
        }
        let plain =
            query.order_by.is_none() && query.limit_clause.is_none() && query.with.is_none();
        let ast::SetExpr::SetOperation {
            set_quantifier,
            left,
            right,
            ..
        } = *query.body
        else {
            return unsupported("this recursive CTE");
        };
        if !plain {
            return unsupported("ORDER BY, LIMIT or WITH on a recursive CTE's body");
        }
        let distinct = match set_quantifier {
            ast::SetQuantifier::All => false,
            ast::SetQuantifier::None | ast::SetQuantifier::Distinct => true,
            other => return unsupported(format!("UNION {other} in a recursive CTE")),
        };
        let anchor = named_columns(self.query_body(*left, None, None)?, columns.to_vec());
        let before = self.recursive_references;
        self.push_ctes();
        self.define_cte(
            name.to_string(),
            Plan::new(Relation::RecursiveReference {
                name: name.to_string(),
            }),
        );
        let step = self.query_body(*right, None, None);
        self.pop_ctes();
        let step = step?;
        if self.recursive_references == before {
            // Not recursive after all: an ordinary union.
            return Ok(named_columns(
                Plan::new(Relation::SetOperation {
                    left: boxed(anchor),
                    right: boxed(step),
                    kind: ember_spec::SetOperationKind::Union,
                    is_all: !distinct,
                    by_name: false,
                    allow_missing_columns: false,
                }),
                Vec::new(),
            ));
        }
        Ok(Plan::new(Relation::RecursiveQuery {
            name: name.to_string(),
            anchor: boxed(anchor),
            step: boxed(step),
            distinct,
            max_level: self.recursion_levels.get(&name.to_lowercase()).copied(),
        }))
    }

    fn query_body(
        &mut self,
        body: SetExpr,
        order_by: Option<ast::OrderBy>,
        limit: Option<LimitClause>,
    ) -> SqlResult<Plan> {
        let order = match order_by {
            None => Vec::new(),
            Some(order_by) => match order_by.kind {
                OrderByKind::Expressions(orders) => self.sort_orders(orders)?,
                OrderByKind::All(_) => return unsupported("ORDER BY ALL"),
            },
        };
        let plan = match body {
            // A plain SELECT resolves its ORDER BY together with its other clauses.
            SetExpr::Select(select) => self.select(*select, order)?,
            other => {
                let plan = self.set_expr(other)?;
                self.order_output(plan, order)
            }
        };
        self.limit(plan, limit)
    }

    /// Sorts a relation's output; ordinals and names refer to its columns.
    fn order_output(&mut self, plan: Plan, order: Vec<SortOrder>) -> Plan {
        if order.is_empty() {
            return plan;
        }
        Plan::new(Relation::Select(Box::new(Select {
            input: Some(boxed(plan)),
            projection: vec![Expr::Star {
                target: None,
                plan_id: None,
            }],
            group_by: None,
            having: None,
            qualify: None,
            order_by: order,
        })))
    }

    fn limit(&mut self, mut plan: Plan, limit: Option<LimitClause>) -> SqlResult<Plan> {
        let (limit, offset) = match limit {
            None => return Ok(plan),
            Some(LimitClause::LimitOffset {
                limit,
                offset,
                limit_by,
            }) => {
                if !limit_by.is_empty() {
                    return unsupported("LIMIT BY");
                }
                (limit, offset.map(|o| o.value))
            }
            Some(LimitClause::OffsetCommaLimit { offset, limit }) => (Some(limit), Some(offset)),
        };
        if let Some(offset) = offset {
            let offset = self.constant_count(offset, "OFFSET")?;
            plan = Plan::new(Relation::Offset {
                input: boxed(plan),
                offset,
            });
        }
        if let Some(limit) = limit {
            // `LIMIT ALL` parses as a NULL limit.
            if !matches!(&limit, ast::Expr::Value(v) if v.value == ast::Value::Null) {
                let limit = self.constant_count(limit, "LIMIT")?;
                plan = Plan::new(Relation::Limit {
                    input: boxed(plan),
                    limit,
                });
            }
        }
        Ok(plan)
    }

    fn constant_count(&mut self, expr: ast::Expr, clause: &str) -> SqlResult<usize> {
        let text = expr.to_string();
        let value = match self.expr(expr)? {
            Expr::Literal(Literal::Integer(v)) => i64::from(v),
            Expr::Literal(Literal::Long(v)) => v,
            _ => {
                return Err(SqlError::Analysis(format!(
                    "[INVALID_LIMIT_LIKE_EXPRESSION.IS_UNFOLDABLE] The {clause} like expression \"{text}\" is invalid. The {clause} expression must evaluate to a constant value."
                )))
            }
        };
        usize::try_from(value).map_err(|_| {
            SqlError::Analysis(format!(
                "[INVALID_LIMIT_LIKE_EXPRESSION.IS_NEGATIVE] The {clause} like expression \"{text}\" is invalid. The {clause} expression must be equal to or greater than 0, but got {value}."
            ))
        })
    }

    fn set_expr(&mut self, body: SetExpr) -> SqlResult<Plan> {
        match body {
            SetExpr::Select(select) => self.select(*select, Vec::new()),
            SetExpr::Query(query) => self.query(*query),
            SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => {
                let kind = match op {
                    SetOperator::Union => SetOperationKind::Union,
                    SetOperator::Intersect => SetOperationKind::Intersect,
                    SetOperator::Except | SetOperator::Minus => SetOperationKind::Except,
                };
                let (is_all, by_name) = match set_quantifier {
                    SetQuantifier::All => (true, false),
                    SetQuantifier::Distinct | SetQuantifier::None => (false, false),
                    SetQuantifier::ByName | SetQuantifier::DistinctByName => (false, true),
                    SetQuantifier::AllByName => (true, true),
                };
                let left = self.set_expr(*left)?;
                let right = self.set_expr(*right)?;
                Ok(Plan::new(Relation::SetOperation {
                    left: boxed(left),
                    right: boxed(right),
                    kind,
                    is_all,
                    by_name,
                    allow_missing_columns: false,
                }))
            }
            SetExpr::Values(values) => {
                let mut rows = Vec::with_capacity(values.rows.len());
                for row in values.rows {
                    rows.push(
                        row.content
                            .into_iter()
                            .map(|e| self.expr(e))
                            .collect::<SqlResult<Vec<_>>>()?,
                    );
                }
                Ok(Plan::new(Relation::Values { rows }))
            }
            SetExpr::Table(table) => {
                let mut name = Vec::new();
                name.extend(table.schema_name);
                name.extend(table.table_name);
                Ok(self.table_reference(name))
            }
            other => unsupported(format!("the statement '{other}' inside a query")),
        }
    }

    /// A table name: a common table expression in scope, or a catalog table or view.
    pub(crate) fn table_reference(&mut self, name: Vec<String>) -> Plan {
        if let [single] = name.as_slice() {
            if let Some(plan) = self.cte(single) {
                if matches!(plan.relation, Relation::RecursiveReference { .. }) {
                    self.recursive_references += 1;
                }
                return Plan::new(Relation::SubqueryAlias {
                    input: boxed(plan),
                    alias: single.clone(),
                });
            }
        }
        Plan::new(Relation::Read(ReadSource::Table { name }))
    }

    fn select(&mut self, select: ast::Select, order_by: Vec<SortOrder>) -> SqlResult<Plan> {
        if select.top.is_some()
            || select.into.is_some()
            || select.prewhere.is_some()
            || !select.connect_by.is_empty()
            || select.value_table_mode.is_some()
        {
            return unsupported(format!("this SELECT form: {select}"));
        }
        let mut windows = HashMap::new();
        for definition in select.named_window {
            let spec = match definition.1 {
                NamedWindowExpr::WindowSpec(spec) => spec,
                NamedWindowExpr::NamedWindow(other) => self.named_window(&other.value)?,
            };
            windows.insert(definition.0.value.to_ascii_lowercase(), spec);
        }
        self.push_windows(windows);
        let result = self.select_clauses(
            SelectParts {
                distinct: select.distinct,
                projection: select.projection,
                from: select.from,
                lateral_views: select.lateral_views,
                selection: select.selection,
                group_by: select.group_by,
                having: select.having,
                qualify: select.qualify,
                cluster_by: select.cluster_by,
                distribute_by: select.distribute_by,
                sort_by: select.sort_by,
            },
            order_by,
        );
        self.pop_windows();
        result
    }

    fn select_clauses(&mut self, parts: SelectParts, order_by: Vec<SortOrder>) -> SqlResult<Plan> {
        let mut input = self.from(parts.from)?;
        for view in parts.lateral_views {
            input = Some(self.lateral_view(input, view)?);
        }
        if let Some(condition) = parts.selection {
            let condition = self.expr(condition)?;
            let source = input.unwrap_or_else(one_row);
            input = Some(Plan::new(Relation::Filter {
                input: boxed(source),
                condition,
            }));
        }
        let projection = parts
            .projection
            .into_iter()
            .map(|item| self.select_item(item))
            .collect::<SqlResult<Vec<_>>>()?;
        let group_by = self.group_by(parts.group_by)?;
        let having = parts.having.map(|e| self.expr(e)).transpose()?;
        let qualify = parts.qualify.map(|e| self.expr(e)).transpose()?;
        let distinct = match parts.distinct {
            None | Some(Distinct::All) => false,
            Some(Distinct::Distinct) => true,
            Some(Distinct::On(_)) => return unsupported("SELECT DISTINCT ON"),
        };
        let sort_by = self.sort_orders(parts.sort_by)?;
        let distribute_by = parts
            .distribute_by
            .into_iter()
            .map(|e| self.expr(e))
            .collect::<SqlResult<Vec<_>>>()?;
        let cluster_by = parts
            .cluster_by
            .into_iter()
            .map(|e| self.expr(e))
            .collect::<SqlResult<Vec<_>>>()?;
        // ORDER BY after DISTINCT sees only the distinct rows' columns.
        let (inner_order, outer_order) = if distinct {
            (Vec::new(), order_by)
        } else {
            (order_by, Vec::new())
        };
        let mut plan = Plan::new(Relation::Select(Box::new(Select {
            input: input.map(boxed),
            projection,
            group_by,
            having,
            qualify,
            order_by: inner_order,
        })));
        if distinct {
            plan = Plan::new(Relation::Deduplicate {
                input: boxed(plan),
                columns: None,
                within_watermark: false,
            });
        }
        plan = self.order_output(plan, outer_order);
        // DISTRIBUTE BY / CLUSTER BY place rows by hash; SORT BY and CLUSTER BY then sort
        // them (Ember sorts the whole result, which every partition's order agrees with).
        let distribute = if cluster_by.is_empty() {
            distribute_by
        } else {
            cluster_by.clone()
        };
        if !distribute.is_empty() {
            plan = Plan::new(Relation::Repartition {
                input: boxed(plan),
                num_partitions: None,
                by: distribute,
            });
        }
        let mut local_sort = sort_by;
        if local_sort.is_empty() && !cluster_by.is_empty() {
            local_sort = cluster_by
                .into_iter()
                .map(|e| SortOrder::new(e, ember_spec::SortDirection::Ascending, None))
                .collect();
        }
        Ok(self.order_output(plan, local_sort))
    }

    fn group_by(&mut self, group_by: GroupByExpr) -> SqlResult<Option<GroupBy>> {
        match group_by {
            GroupByExpr::All(modifiers) => {
                if !modifiers.is_empty() {
                    return unsupported("GROUP BY ALL with modifiers");
                }
                Ok(Some(GroupBy::All))
            }
            GroupByExpr::Expressions(expressions, modifiers) => {
                if expressions.is_empty() && modifiers.is_empty() {
                    return Ok(None);
                }
                let mut group_type = GroupType::GroupBy;
                match modifiers.as_slice() {
                    [] => {}
                    [GroupByWithModifier::Rollup] => group_type = GroupType::Rollup,
                    [GroupByWithModifier::Cube] => group_type = GroupType::Cube,
                    _ => return unsupported("this GROUP BY modifier"),
                }
                let mut plain = Vec::new();
                let mut grouping_sets = Vec::new();
                for expression in expressions {
                    match expression {
                        ast::Expr::Rollup(sets) => {
                            group_type = GroupType::Rollup;
                            plain.extend(self.flat_sets(sets)?);
                        }
                        ast::Expr::Cube(sets) => {
                            group_type = GroupType::Cube;
                            plain.extend(self.flat_sets(sets)?);
                        }
                        ast::Expr::GroupingSets(sets) => {
                            group_type = GroupType::GroupingSets;
                            for set in sets {
                                grouping_sets.push(
                                    set.into_iter()
                                        .map(|e| self.expr(e))
                                        .collect::<SqlResult<Vec<_>>>()?,
                                );
                            }
                        }
                        other => plain.push(self.expr(other)?),
                    }
                }
                if group_type == GroupType::GroupingSets && !plain.is_empty() {
                    // `GROUP BY a, GROUPING SETS ((b), ())`: `a` joins every set.
                    for set in &mut grouping_sets {
                        set.splice(0..0, plain.iter().cloned());
                    }
                }
                Ok(Some(GroupBy::Expressions {
                    group_type,
                    expressions: plain,
                    grouping_sets,
                }))
            }
        }
    }

    fn flat_sets(&mut self, sets: Vec<Vec<ast::Expr>>) -> SqlResult<Vec<Expr>> {
        let mut out = Vec::new();
        for set in sets {
            if set.len() != 1 {
                return unsupported("composite columns in ROLLUP or CUBE");
            }
            for e in set {
                out.push(self.expr(e)?);
            }
        }
        Ok(out)
    }
}

struct SelectParts {
    distinct: Option<Distinct>,
    projection: Vec<ast::SelectItem>,
    from: Vec<ast::TableWithJoins>,
    lateral_views: Vec<ast::LateralView>,
    selection: Option<ast::Expr>,
    group_by: GroupByExpr,
    having: Option<ast::Expr>,
    qualify: Option<ast::Expr>,
    cluster_by: Vec<ast::Expr>,
    distribute_by: Vec<ast::Expr>,
    sort_by: Vec<ast::OrderByExpr>,
}

/// What a SELECT without FROM reads: one row without columns.
pub(crate) fn one_row() -> Plan {
    Plan::new(Relation::Select(Box::new(Select {
        input: None,
        projection: Vec::new(),
        group_by: None,
        having: None,
        qualify: None,
        order_by: Vec::new(),
    })))
}

/// `name (a, b) AS (...)`: the CTE's columns renamed, when the list is given.
fn named_columns(plan: Plan, columns: Vec<String>) -> Plan {
    if columns.is_empty() {
        return plan;
    }
    Plan::new(Relation::ToDf {
        input: boxed(plan),
        names: columns,
    })
}
