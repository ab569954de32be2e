//! The state one statement's conversion carries: subquery plans (named by plan ids that
//! `WithRelations` hands to the analyzer), common table expressions in scope, named windows,
//! and the values of `:name` / `?` parameters.

use std::collections::HashMap;

use datafusion::sql::sqlparser::ast::WindowSpec;
use ember_spec::{Expr, Plan, Relation};

use crate::{SqlError, SqlResult};

/// Values for a query's parameter markers, as `spark.sql(query, args=...)` passes them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parameters {
    pub named: HashMap<String, Expr>,
    pub positional: Vec<Expr>,
}

#[derive(Default)]
pub(crate) struct Converter {
    parameters: Parameters,
    next_positional: usize,
    /// Subquery expressions' plans; their ids count down from -1 so they never meet the
    /// client's (non-negative) plan ids.
    references: Vec<Plan>,
    /// Innermost scope last; a name resolves to the nearest definition.
    ctes: Vec<Vec<(String, Plan)>>,
    windows: Vec<HashMap<String, WindowSpec>>,
    /// How many times a recursive CTE's step has named the CTE itself.
    pub(crate) recursive_references: usize,
    /// The names of `LATERAL VIEW gen(...) name AS col` views (lower case): `name.col`
    /// means the generated column `col`.
    pub(crate) lateral_views: std::collections::HashSet<String>,
    /// `MAX RECURSION LEVEL` of recursive CTEs, by name (lower case).
    pub(crate) recursion_levels: HashMap<String, i64>,
}

impl Converter {
    pub(crate) fn new(parameters: Parameters) -> Self {
        Converter {
            parameters,
            ..Converter::default()
        }
    }

    /// Keeps a subquery's plan and returns the id its expression refers to.
    pub(crate) fn add_reference(&mut self, mut plan: Plan) -> i64 {
        let id = -1 - i64::try_from(self.references.len()).unwrap_or(i64::MAX - 1);
        plan.plan_id = Some(id);
        self.references.push(plan);
        id
    }

    /// The root plan, wrapped so the analyzer knows the subqueries it refers to.
    pub(crate) fn finish(&mut self, root: Plan) -> Plan {
        if self.references.is_empty() {
            return root;
        }
        Plan::new(Relation::WithRelations {
            root: Box::new(root),
            references: std::mem::take(&mut self.references),
        })
    }

    pub(crate) fn push_ctes(&mut self) {
        self.ctes.push(Vec::new());
    }

    pub(crate) fn define_cte(&mut self, name: String, plan: Plan) {
        if let Some(scope) = self.ctes.last_mut() {
            scope.push((name, plan));
        }
    }

    pub(crate) fn pop_ctes(&mut self) {
        self.ctes.pop();
    }

    pub(crate) fn cte(&self, name: &str) -> Option<Plan> {
        self.ctes.iter().rev().find_map(|scope| {
            scope
                .iter()
                .rev()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, plan)| plan.clone())
        })
    }

    pub(crate) fn push_windows(&mut self, windows: HashMap<String, WindowSpec>) {
        self.windows.push(windows);
    }

    pub(crate) fn pop_windows(&mut self) {
        self.windows.pop();
    }

    pub(crate) fn named_window(&self, name: &str) -> SqlResult<WindowSpec> {
        self.windows
            .iter()
            .rev()
            .find_map(|scope| scope.get(&name.to_ascii_lowercase()).cloned())
            .ok_or_else(|| {
                SqlError::Analysis(format!(
                    "[MISSING_WINDOW_SPECIFICATION] Window specification `{name}` is not defined in the WINDOW clause."
                ))
            })
    }

    /// The value of a `:name` or `?` marker. `?` markers come numbered by their place in
    /// the text (`?1`, `?2`, ... see `number_positional_markers`), since clauses are not
    /// converted in the order they are written.
    pub(crate) fn parameter(&mut self, marker: &str) -> SqlResult<Expr> {
        if let Some(number) = marker.strip_prefix('?') {
            let index = match number.parse::<usize>() {
                Ok(n) => n.saturating_sub(1),
                Err(_) => {
                    let next = self.next_positional;
                    self.next_positional += 1;
                    next
                }
            };
            return self
                .parameters
                .positional
                .get(index)
                .cloned()
                .ok_or_else(|| {
                    SqlError::Analysis(format!(
                        "[UNBOUND_SQL_PARAMETER] Found the unbound parameter: _{}. Please, fix `args` and provide a mapping of the parameter to either a SQL literal or collection constructor functions such as `map()`, `array()`, `struct()`.",
                        index + 1
                    ))
                });
        }
        let name = marker.trim_start_matches([':', '$', '@']);
        self.parameters.named.get(name).cloned().ok_or_else(|| {
            SqlError::Analysis(format!(
                "[UNBOUND_SQL_PARAMETER] Found the unbound parameter: {name}. Please, fix `args` and provide a mapping of the parameter to either a SQL literal or collection constructor functions such as `map()`, `array()`, `struct()`."
            ))
        })
    }
}

impl Converter {
    /// Expression strings have no place for a subquery's plan.
    pub(crate) fn expect_no_references(&self, what: &str) -> SqlResult<()> {
        if self.references.is_empty() {
            Ok(())
        } else {
            Err(SqlError::Unsupported(what.into()))
        }
    }
}

/// Numbers each `?` outside quotes and comments (`?1`, `?2`, ...) by its place in the text.
pub(crate) fn number_positional_markers(text: &str) -> String {
    if !text.contains('?') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut quote: Option<char> = None;
    let mut count = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' | '`' => {
                    quote = Some(c);
                    out.push(c);
                }
                '-' if chars.peek() == Some(&'-') => {
                    // A line comment runs to the end of its line.
                    out.push(c);
                    for rest in chars.by_ref() {
                        out.push(rest);
                        if rest == '\n' {
                            break;
                        }
                    }
                }
                '?' => {
                    count += 1;
                    out.push('?');
                    out.push_str(&count.to_string());
                }
                other => out.push(other),
            },
        }
    }
    out
}
