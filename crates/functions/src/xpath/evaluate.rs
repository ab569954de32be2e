//! Evaluates an XPath expression over a document, with XPath 1.0's four value types and
//! conversions.

use super::document::{Document, NodeKind};
use super::expression::{Axis, Expr, NodeTest, Step};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Nodes(Vec<usize>),
    Number(f64),
    Text(String),
    Boolean(bool),
}

/// The node a (sub)expression is evaluated at, with its position in the current node list.
#[derive(Debug, Clone, Copy)]
struct Context {
    node: usize,
    position: usize,
    size: usize,
}

pub(crate) fn evaluate(document: &Document, expr: &Expr) -> Result<Value, String> {
    let root = Context {
        node: 0,
        position: 1,
        size: 1,
    };
    Evaluator { document }.eval(expr, root)
}

struct Evaluator<'a> {
    document: &'a Document,
}

impl Evaluator<'_> {
    fn eval(&self, expr: &Expr, context: Context) -> Result<Value, String> {
        Ok(match expr {
            Expr::Number(n) => Value::Number(*n),
            Expr::Literal(s) => Value::Text(s.clone()),
            Expr::Path { absolute, steps } => {
                let start = if *absolute { 0 } else { context.node };
                Value::Nodes(self.steps(vec![start], steps)?)
            }
            Expr::Filter {
                base,
                predicates,
                steps,
            } => {
                let Value::Nodes(mut nodes) = self.eval(base, context)? else {
                    return Err("a predicate or path applies only to a node-set".into());
                };
                for predicate in predicates {
                    nodes = self.filter(nodes, predicate)?;
                }
                Value::Nodes(self.steps(nodes, steps)?)
            }
            Expr::Negate(inner) => Value::Number(-self.number(&self.eval(inner, context)?)),
            Expr::Binary(left, operator, right) => self.binary(left, operator, right, context)?,
            Expr::Call(name, arguments) => self.call(name, arguments, context)?,
        })
    }

    fn steps(&self, mut nodes: Vec<usize>, steps: &[Step]) -> Result<Vec<usize>, String> {
        for step in steps {
            let mut next = Vec::new();
            for node in &nodes {
                let mut selected: Vec<usize> = self
                    .axis(*node, &step.axis)
                    .into_iter()
                    .filter(|n| self.matches(*n, &step.test, &step.axis))
                    .collect();
                for predicate in &step.predicates {
                    selected = self.filter(selected, predicate)?;
                }
                next.extend(selected);
            }
            // Document order, each node once.
            next.sort_unstable();
            next.dedup();
            nodes = next;
        }
        Ok(nodes)
    }

    /// Keeps the nodes a predicate holds for; a number predicate is a position.
    fn filter(&self, nodes: Vec<usize>, predicate: &Expr) -> Result<Vec<usize>, String> {
        let size = nodes.len();
        let mut kept = Vec::new();
        for (index, node) in nodes.into_iter().enumerate() {
            let context = Context {
                node,
                position: index + 1,
                size,
            };
            let keep = match self.eval(predicate, context)? {
                Value::Number(n) => n == (index + 1) as f64,
                other => self.boolean(&other),
            };
            if keep {
                kept.push(node);
            }
        }
        Ok(kept)
    }

    fn axis(&self, node: usize, axis: &Axis) -> Vec<usize> {
        let nodes = &self.document.nodes;
        match axis {
            Axis::Child => nodes[node].children.clone(),
            Axis::Attribute => nodes[node].attributes.clone(),
            Axis::SelfNode => vec![node],
            Axis::Parent => nodes[node].parent.into_iter().collect(),
            Axis::Descendant | Axis::DescendantOrSelf => {
                let mut out = Vec::new();
                if *axis == Axis::DescendantOrSelf {
                    out.push(node);
                }
                self.document.descendants(node, &mut out);
                out
            }
            Axis::Ancestor | Axis::AncestorOrSelf => {
                let mut out = Vec::new();
                if *axis == Axis::AncestorOrSelf {
                    out.push(node);
                }
                let mut at = nodes[node].parent;
                while let Some(parent) = at {
                    out.push(parent);
                    at = nodes[parent].parent;
                }
                out
            }
            Axis::FollowingSibling | Axis::PrecedingSibling => {
                let Some(parent) = nodes[node].parent else {
                    return Vec::new();
                };
                let siblings = &nodes[parent].children;
                let Some(at) = siblings.iter().position(|s| *s == node) else {
                    return Vec::new();
                };
                if *axis == Axis::FollowingSibling {
                    siblings[at + 1..].to_vec()
                } else {
                    siblings[..at].to_vec()
                }
            }
        }
    }

    fn matches(&self, node: usize, test: &NodeTest, axis: &Axis) -> bool {
        let kind = &self.document.nodes[node].kind;
        // The principal node type of the attribute axis is the attribute.
        let principal = if *axis == Axis::Attribute {
            matches!(kind, NodeKind::Attribute { .. })
        } else {
            matches!(kind, NodeKind::Element { .. })
        };
        match test {
            NodeTest::Node => true,
            NodeTest::Text => matches!(kind, NodeKind::Text(_)),
            NodeTest::Any => principal,
            NodeTest::Name(name) => principal && self.document.name(node) == Some(name.as_str()),
        }
    }

    fn binary(
        &self,
        left: &Expr,
        operator: &str,
        right: &Expr,
        context: Context,
    ) -> Result<Value, String> {
        match operator {
            "or" => {
                let left = self.boolean(&self.eval(left, context)?);
                return Ok(Value::Boolean(
                    left || self.boolean(&self.eval(right, context)?),
                ));
            }
            "and" => {
                let left = self.boolean(&self.eval(left, context)?);
                return Ok(Value::Boolean(
                    left && self.boolean(&self.eval(right, context)?),
                ));
            }
            _ => {}
        }
        let (left, right) = (self.eval(left, context)?, self.eval(right, context)?);
        Ok(match operator {
            "|" => match (left, right) {
                (Value::Nodes(mut a), Value::Nodes(b)) => {
                    a.extend(b);
                    a.sort_unstable();
                    a.dedup();
                    Value::Nodes(a)
                }
                _ => return Err("'|' joins node-sets only".into()),
            },
            "=" | "!=" | "<" | "<=" | ">" | ">=" => {
                Value::Boolean(self.compare(&left, operator, &right))
            }
            _ => {
                let (a, b) = (self.number(&left), self.number(&right));
                Value::Number(match operator {
                    "+" => a + b,
                    "-" => a - b,
                    "*" => a * b,
                    "div" => a / b,
                    "mod" => a % b,
                    other => return Err(format!("unknown operator {other}")),
                })
            }
        })
    }

    /// XPath comparison: over node-sets, true when some member compares true.
    fn compare(&self, left: &Value, operator: &str, right: &Value) -> bool {
        let atoms = |value: &Value| -> Vec<Value> {
            match value {
                Value::Nodes(nodes) => nodes
                    .iter()
                    .map(|n| Value::Text(self.document.string_value(*n)))
                    .collect(),
                other => vec![other.clone()],
            }
        };
        let (lefts, rights) = (atoms(left), atoms(right));
        let boolean_side = matches!(left, Value::Boolean(_)) || matches!(right, Value::Boolean(_));
        lefts.iter().any(|l| {
            rights.iter().any(|r| {
                if matches!(operator, "=" | "!=") {
                    let equal = if boolean_side {
                        self.boolean(l) == self.boolean(r)
                    } else if matches!(l, Value::Number(_)) || matches!(r, Value::Number(_)) {
                        self.number(l) == self.number(r)
                    } else {
                        self.string(l) == self.string(r)
                    };
                    (operator == "=") == equal
                } else {
                    let (a, b) = (self.number(l), self.number(r));
                    match operator {
                        "<" => a < b,
                        "<=" => a <= b,
                        ">" => a > b,
                        _ => a >= b,
                    }
                }
            })
        })
    }

    fn call(&self, name: &str, arguments: &[Expr], context: Context) -> Result<Value, String> {
        let values = arguments
            .iter()
            .map(|a| self.eval(a, context))
            .collect::<Result<Vec<_>, _>>()?;
        let argument = |i: usize| -> Result<&Value, String> {
            values
                .get(i)
                .ok_or_else(|| format!("{name}() needs more arguments"))
        };
        let text_at = |i: usize| -> Result<String, String> { Ok(self.string(argument(i)?)) };
        let context_text = || self.document.string_value(context.node);
        Ok(match name {
            "last" => Value::Number(context.size as f64),
            "position" => Value::Number(context.position as f64),
            "count" => match argument(0)? {
                Value::Nodes(nodes) => Value::Number(nodes.len() as f64),
                _ => return Err("count() takes a node-set".into()),
            },
            "sum" => match argument(0)? {
                Value::Nodes(nodes) => Value::Number(
                    nodes
                        .iter()
                        .map(|n| text_number(&self.document.string_value(*n)))
                        .sum(),
                ),
                _ => return Err("sum() takes a node-set".into()),
            },
            "name" | "local-name" => {
                let node = match values.first() {
                    Some(Value::Nodes(nodes)) => nodes.first().copied(),
                    Some(_) => return Err(format!("{name}() takes a node-set")),
                    None => Some(context.node),
                };
                let full = node.and_then(|n| self.document.name(n)).unwrap_or_default();
                let shown = if name == "local-name" {
                    full.rsplit(':').next().unwrap_or(full)
                } else {
                    full
                };
                Value::Text(shown.to_string())
            }
            "string" => Value::Text(match values.first() {
                Some(value) => self.string(value),
                None => context_text(),
            }),
            "number" => Value::Number(match values.first() {
                Some(value) => self.number(value),
                None => text_number(&context_text()),
            }),
            "boolean" => Value::Boolean(self.boolean(argument(0)?)),
            "not" => Value::Boolean(!self.boolean(argument(0)?)),
            "true" => Value::Boolean(true),
            "false" => Value::Boolean(false),
            "concat" => Value::Text(values.iter().map(|v| self.string(v)).collect()),
            "contains" => Value::Boolean(text_at(0)?.contains(&text_at(1)?)),
            "starts-with" => Value::Boolean(text_at(0)?.starts_with(&text_at(1)?)),
            "string-length" => Value::Number(match values.first() {
                Some(value) => self.string(value).chars().count() as f64,
                None => context_text().chars().count() as f64,
            }),
            "normalize-space" => {
                let text = match values.first() {
                    Some(value) => self.string(value),
                    None => context_text(),
                };
                Value::Text(text.split_whitespace().collect::<Vec<_>>().join(" "))
            }
            "substring-before" => {
                let (text, marker) = (text_at(0)?, text_at(1)?);
                Value::Text(
                    text.split_once(&marker)
                        .map(|(a, _)| a.to_string())
                        .unwrap_or_default(),
                )
            }
            "substring-after" => {
                let (text, marker) = (text_at(0)?, text_at(1)?);
                Value::Text(
                    text.split_once(&marker)
                        .map(|(_, b)| b.to_string())
                        .unwrap_or_default(),
                )
            }
            "substring" => {
                let text: Vec<char> = text_at(0)?.chars().collect();
                let start = round_half_up(self.number(argument(1)?));
                let end = match values.get(2) {
                    Some(length) => start + round_half_up(self.number(length)),
                    None => f64::INFINITY,
                };
                Value::Text(
                    text.iter()
                        .enumerate()
                        .filter(|(i, _)| {
                            let position = (*i + 1) as f64;
                            position >= start && position < end
                        })
                        .map(|(_, c)| *c)
                        .collect(),
                )
            }
            "translate" => {
                let (text, from, to) = (text_at(0)?, text_at(1)?, text_at(2)?);
                let (from, to): (Vec<char>, Vec<char>) =
                    (from.chars().collect(), to.chars().collect());
                Value::Text(
                    text.chars()
                        .filter_map(|c| match from.iter().position(|f| *f == c) {
                            Some(i) => to.get(i).copied(),
                            None => Some(c),
                        })
                        .collect(),
                )
            }
            "floor" => Value::Number(self.number(argument(0)?).floor()),
            "ceiling" => Value::Number(self.number(argument(0)?).ceil()),
            "round" => Value::Number(round_half_up(self.number(argument(0)?))),
            other => return Err(format!("unknown function {other}()")),
        })
    }

    pub(crate) fn string(&self, value: &Value) -> String {
        match value {
            Value::Nodes(nodes) => nodes
                .first()
                .map(|n| self.document.string_value(*n))
                .unwrap_or_default(),
            Value::Text(text) => text.clone(),
            Value::Boolean(b) => b.to_string(),
            Value::Number(n) => number_text(*n),
        }
    }

    pub(crate) fn number(&self, value: &Value) -> f64 {
        match value {
            Value::Number(n) => *n,
            Value::Boolean(b) => f64::from(u8::from(*b)),
            other => text_number(&self.string(other)),
        }
    }

    pub(crate) fn boolean(&self, value: &Value) -> bool {
        match value {
            Value::Nodes(nodes) => !nodes.is_empty(),
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Text(text) => !text.is_empty(),
            Value::Boolean(b) => *b,
        }
    }
}

/// XPath's `number()` of text: optional minus, digits and a point; anything else is NaN.
fn text_number(text: &str) -> f64 {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    let valid = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && digits != ".";
    if valid {
        text.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

/// XPath's `string()` of a number: integers without a point, NaN and Infinity spelled out.
fn number_text(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if n == n.trunc() && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn round_half_up(n: f64) -> f64 {
    (n + 0.5).floor()
}

/// The view the Spark functions take of a result.
impl Value {
    pub(crate) fn as_string(&self, document: &Document) -> String {
        Evaluator { document }.string(self)
    }

    pub(crate) fn as_number(&self, document: &Document) -> f64 {
        Evaluator { document }.number(self)
    }

    pub(crate) fn as_boolean(&self, document: &Document) -> bool {
        Evaluator { document }.boolean(self)
    }
}
