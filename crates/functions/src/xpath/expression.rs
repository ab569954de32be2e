//! XPath 1.0 expressions: location paths with the common axes, predicates, operators and
//! the core functions, parsed by recursive descent.

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Axis {
    Child,
    Descendant,
    DescendantOrSelf,
    Parent,
    Ancestor,
    AncestorOrSelf,
    SelfNode,
    Attribute,
    FollowingSibling,
    PrecedingSibling,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeTest {
    /// An element or attribute name; `*` is any.
    Name(String),
    Any,
    Text,
    Node,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    pub axis: Axis,
    pub test: NodeTest,
    pub predicates: Vec<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Number(f64),
    Literal(String),
    /// Steps from the root (`absolute`) or from the context node.
    Path {
        absolute: bool,
        steps: Vec<Step>,
    },
    /// `(expr)[predicate]/steps`.
    Filter {
        base: Box<Expr>,
        predicates: Vec<Expr>,
        steps: Vec<Step>,
    },
    Binary(Box<Expr>, String, Box<Expr>),
    Negate(Box<Expr>),
    Call(String, Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Literal(String),
    Name(String),
    Symbol(&'static str),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        if let Some(symbol) = ["//", "::", "..", "!=", "<=", ">="]
            .into_iter()
            .find(|s| *s == two)
        {
            tokens.push(Token::Symbol(symbol));
            i += 2;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let number: String = chars[start..i].iter().collect();
            tokens.push(Token::Number(
                number.parse().map_err(|_| format!("bad number {number}"))?,
            ));
            continue;
        }
        if c == '"' || c == '\'' {
            let end = chars[i + 1..]
                .iter()
                .position(|d| *d == c)
                .ok_or("unterminated string")?;
            tokens.push(Token::Literal(chars[i + 1..i + 1 + end].iter().collect()));
            i += end + 2;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-' | '.' | ':'))
            {
                // `a::b` is an axis, not a prefixed name.
                if chars[i] == ':' && chars.get(i + 1) == Some(&':') {
                    break;
                }
                i += 1;
            }
            tokens.push(Token::Name(chars[start..i].iter().collect()));
            continue;
        }
        let symbol = match c {
            '/' => "/",
            '(' => "(",
            ')' => ")",
            '[' => "[",
            ']' => "]",
            '@' => "@",
            ',' => ",",
            '|' => "|",
            '+' => "+",
            '-' => "-",
            '*' => "*",
            '=' => "=",
            '<' => "<",
            '>' => ">",
            '.' => ".",
            other => return Err(format!("unexpected character '{other}'")),
        };
        tokens.push(Token::Symbol(symbol));
        i += 1;
    }
    Ok(tokens)
}

pub(crate) fn parse(text: &str) -> Result<Expr, String> {
    let mut parser = Parser {
        tokens: tokenize(text)?,
        at: 0,
    };
    let expr = parser.or()?;
    if parser.at != parser.tokens.len() {
        return Err(format!("unexpected text after position {}", parser.at));
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek_symbol(&self, symbol: &str) -> bool {
        matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol)
    }

    /// An operator name (`and`, `div`) counts only where an operator may stand.
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Name(n)) if n == word)
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let found = self.peek_symbol(symbol);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<(), String> {
        if self.eat_symbol(symbol) {
            Ok(())
        } else {
            Err(format!("expected '{symbol}'"))
        }
    }

    fn binary_level(
        &mut self,
        operators: &[&str],
        words: &[&str],
        next: fn(&mut Self) -> Result<Expr, String>,
    ) -> Result<Expr, String> {
        let mut left = next(self)?;
        loop {
            let operator = operators
                .iter()
                .find(|o| self.peek_symbol(o))
                .or_else(|| words.iter().find(|w| self.peek_word(w)));
            let Some(operator) = operator.map(|o| o.to_string()) else {
                return Ok(left);
            };
            self.at += 1;
            let right = next(self)?;
            left = Expr::Binary(Box::new(left), operator, Box::new(right));
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        self.binary_level(&[], &["or"], Self::and)
    }

    fn and(&mut self) -> Result<Expr, String> {
        self.binary_level(&[], &["and"], Self::equality)
    }

    fn equality(&mut self) -> Result<Expr, String> {
        self.binary_level(&["=", "!="], &[], Self::relational)
    }

    fn relational(&mut self) -> Result<Expr, String> {
        self.binary_level(&["<=", ">=", "<", ">"], &[], Self::additive)
    }

    fn additive(&mut self) -> Result<Expr, String> {
        self.binary_level(&["+", "-"], &[], Self::multiplicative)
    }

    fn multiplicative(&mut self) -> Result<Expr, String> {
        self.binary_level(&["*"], &["div", "mod"], Self::unary)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat_symbol("-") {
            return Ok(Expr::Negate(Box::new(self.unary()?)));
        }
        self.binary_level(&["|"], &[], Self::path)
    }

    fn path(&mut self) -> Result<Expr, String> {
        let starts_primary = match self.peek() {
            Some(Token::Number(_) | Token::Literal(_)) => true,
            Some(Token::Symbol("(")) => true,
            Some(Token::Name(name)) => {
                matches!(self.tokens.get(self.at + 1), Some(Token::Symbol("(")))
                    && !matches!(name.as_str(), "text" | "node")
            }
            _ => false,
        };
        if !starts_primary {
            return self.location_path();
        }
        let base = self.primary()?;
        let predicates = self.predicates()?;
        let mut steps = Vec::new();
        if self.peek_symbol("/") || self.peek_symbol("//") {
            self.relative_steps(&mut steps)?;
        }
        if predicates.is_empty() && steps.is_empty() {
            return Ok(base);
        }
        Ok(Expr::Filter {
            base: Box::new(base),
            predicates,
            steps,
        })
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.peek().cloned() {
            Some(Token::Number(n)) => {
                self.at += 1;
                Ok(Expr::Number(n))
            }
            Some(Token::Literal(s)) => {
                self.at += 1;
                Ok(Expr::Literal(s))
            }
            Some(Token::Symbol("(")) => {
                self.at += 1;
                let inner = self.or()?;
                self.expect_symbol(")")?;
                Ok(inner)
            }
            Some(Token::Name(name)) => {
                self.at += 2;
                let mut arguments = Vec::new();
                if !self.eat_symbol(")") {
                    loop {
                        arguments.push(self.or()?);
                        if self.eat_symbol(")") {
                            break;
                        }
                        self.expect_symbol(",")?;
                    }
                }
                Ok(Expr::Call(name, arguments))
            }
            _ => Err("expected an expression".into()),
        }
    }

    fn location_path(&mut self) -> Result<Expr, String> {
        let mut steps = Vec::new();
        let absolute = self.peek_symbol("/") || self.peek_symbol("//");
        if absolute {
            self.relative_steps(&mut steps)?;
            return Ok(Expr::Path { absolute, steps });
        }
        steps.push(self.step()?);
        self.relative_steps(&mut steps)?;
        Ok(Expr::Path { absolute, steps })
    }

    /// `(/ step | // step)*`; a lone leading `/` selects the root.
    fn relative_steps(&mut self, steps: &mut Vec<Step>) -> Result<(), String> {
        loop {
            if self.eat_symbol("//") {
                steps.push(Step {
                    axis: Axis::DescendantOrSelf,
                    test: NodeTest::Node,
                    predicates: Vec::new(),
                });
            } else if !self.eat_symbol("/") {
                return Ok(());
            }
            if self.starts_step() {
                steps.push(self.step()?);
            } else if !steps.is_empty() || self.at < self.tokens.len() {
                return Err("expected a step after '/'".into());
            }
        }
    }

    fn starts_step(&self) -> bool {
        matches!(
            self.peek(),
            Some(Token::Name(_)) | Some(Token::Symbol("@" | "*" | "." | ".."))
        )
    }

    fn step(&mut self) -> Result<Step, String> {
        if self.eat_symbol(".") {
            return Ok(Step {
                axis: Axis::SelfNode,
                test: NodeTest::Node,
                predicates: Vec::new(),
            });
        }
        if self.eat_symbol("..") {
            return Ok(Step {
                axis: Axis::Parent,
                test: NodeTest::Node,
                predicates: Vec::new(),
            });
        }
        let mut axis = Axis::Child;
        if self.eat_symbol("@") {
            axis = Axis::Attribute;
        } else if let (Some(Token::Name(name)), Some(Token::Symbol("::"))) =
            (self.peek().cloned(), self.tokens.get(self.at + 1))
        {
            axis = match name.as_str() {
                "child" => Axis::Child,
                "descendant" => Axis::Descendant,
                "descendant-or-self" => Axis::DescendantOrSelf,
                "parent" => Axis::Parent,
                "ancestor" => Axis::Ancestor,
                "ancestor-or-self" => Axis::AncestorOrSelf,
                "self" => Axis::SelfNode,
                "attribute" => Axis::Attribute,
                "following-sibling" => Axis::FollowingSibling,
                "preceding-sibling" => Axis::PrecedingSibling,
                other => return Err(format!("unsupported axis {other}")),
            };
            self.at += 2;
        }
        let test = match self.peek().cloned() {
            Some(Token::Symbol("*")) => {
                self.at += 1;
                NodeTest::Any
            }
            Some(Token::Name(name)) => {
                self.at += 1;
                if matches!(name.as_str(), "text" | "node") && self.eat_symbol("(") {
                    self.expect_symbol(")")?;
                    if name == "text" {
                        NodeTest::Text
                    } else {
                        NodeTest::Node
                    }
                } else {
                    NodeTest::Name(name)
                }
            }
            _ => return Err("expected a node test".into()),
        };
        Ok(Step {
            axis,
            test,
            predicates: self.predicates()?,
        })
    }

    fn predicates(&mut self) -> Result<Vec<Expr>, String> {
        let mut predicates = Vec::new();
        while self.eat_symbol("[") {
            predicates.push(self.or()?);
            self.expect_symbol("]")?;
        }
        Ok(predicates)
    }
}
