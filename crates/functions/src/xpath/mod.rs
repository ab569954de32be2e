//! `xpath`, `xpath_string`, `xpath_boolean` and the numeric `xpath_*` functions: an XPath 1.0
//! expression (a constant) over the XML text in each row, converted as Spark's
//! `javax.xml.xpath` calls convert it. A NULL or empty document gives NULL.

mod document;
mod evaluate;
mod expression;

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, AsArray, BooleanBuilder, Float32Builder, Float64Builder, Int16Builder, Int32Builder,
    Int64Builder, ListBuilder, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{exec_err, plan_err, ScalarValue};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use document::Document;
use evaluate::{evaluate, Value};
use expression::Expr;

/// What a function makes of the XPath result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Output {
    /// The values of the selected nodes (NULL for elements, as a DOM's `nodeValue`).
    NodeValues,
    Text,
    Boolean,
    Double,
    Float,
    Int,
    Long,
    Short,
}

impl Output {
    fn data_type(self) -> DataType {
        match self {
            Output::NodeValues => {
                DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
            }
            Output::Text => DataType::Utf8,
            Output::Boolean => DataType::Boolean,
            Output::Double => DataType::Float64,
            Output::Float => DataType::Float32,
            Output::Int => DataType::Int32,
            Output::Long => DataType::Int64,
            Output::Short => DataType::Int16,
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct XPathFunction {
    name: &'static str,
    output: Output,
    signature: Signature,
}

impl XPathFunction {
    pub(crate) fn all() -> Vec<Self> {
        [
            ("xpath", Output::NodeValues),
            ("xpath_string", Output::Text),
            ("xpath_boolean", Output::Boolean),
            ("xpath_double", Output::Double),
            ("xpath_number", Output::Double),
            ("xpath_float", Output::Float),
            ("xpath_int", Output::Int),
            ("xpath_long", Output::Long),
            ("xpath_short", Output::Short),
        ]
        .into_iter()
        .map(|(name, output)| XPathFunction {
            name,
            output,
            signature: Signature::exact(
                vec![DataType::Utf8, DataType::Utf8],
                Volatility::Immutable,
            ),
        })
        .collect()
    }

    fn path(&self, argument: Option<&ColumnarValue>) -> Result<Expr> {
        let text = match argument {
            Some(ColumnarValue::Scalar(ScalarValue::Utf8(Some(text)))) => text.clone(),
            _ => {
                return plan_err!(
                "[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] The path of {} must be a constant string.",
                self.name
            )
            }
        };
        expression::parse(&text).map_err(|why| {
            DataFusionError::Execution(format!("[INVALID_XPATH] Invalid XPath '{text}': {why}."))
        })
    }
}

impl ScalarUDFImpl for XPathFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.output.data_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let path = self.path(args.args.get(1))?;
        let Some(xml) = args.args.first() else {
            return exec_err!("{} takes a document and a path", self.name);
        };
        let xml = xml.to_array(args.number_rows)?;
        let mut results = Vec::with_capacity(xml.len());
        for text in xml.as_string::<i32>().iter() {
            results.push(match text.filter(|t| !t.is_empty()) {
                None => None,
                Some(text) => {
                    let document = Document::parse(text).map_err(|why| {
                        DataFusionError::Execution(format!(
                            "[INVALID_XML] Invalid XML document '{text}': {why}."
                        ))
                    })?;
                    let value = evaluate(&document, &path).map_err(|why| {
                        DataFusionError::Execution(format!("[INVALID_XPATH] {why}."))
                    })?;
                    Some((document, value))
                }
            });
        }
        Ok(ColumnarValue::Array(self.build(&results)?))
    }
}

impl XPathFunction {
    fn build(&self, results: &[Option<(Document, Value)>]) -> Result<ArrayRef> {
        macro_rules! numbers {
            ($builder:ty, $convert:expr) => {{
                let mut out = <$builder>::with_capacity(results.len());
                for result in results {
                    out.append_option(result.as_ref().map(|(d, v)| $convert(v.as_number(d))));
                }
                Arc::new(out.finish()) as ArrayRef
            }};
        }
        Ok(match self.output {
            Output::NodeValues => {
                let mut out = ListBuilder::new(StringBuilder::new());
                for result in results {
                    match result {
                        Some((document, Value::Nodes(nodes))) => {
                            for node in nodes {
                                out.values().append_option(document.node_value(*node));
                            }
                            out.append(true);
                        }
                        Some(_) => {
                            return exec_err!(
                                "[INVALID_XPATH] xpath needs a path that selects nodes."
                            )
                        }
                        None => out.append(false),
                    }
                }
                Arc::new(out.finish())
            }
            Output::Text => {
                let mut out = StringBuilder::new();
                for result in results {
                    out.append_option(result.as_ref().map(|(d, v)| v.as_string(d)));
                }
                Arc::new(out.finish())
            }
            Output::Boolean => {
                let mut out = BooleanBuilder::with_capacity(results.len());
                for result in results {
                    out.append_option(result.as_ref().map(|(d, v)| v.as_boolean(d)));
                }
                Arc::new(out.finish())
            }
            Output::Double => numbers!(Float64Builder, |n: f64| n),
            Output::Float => numbers!(Float32Builder, |n: f64| n as f32),
            // Java's Double.intValue and friends: truncation, NaN to 0, saturating.
            Output::Int => numbers!(Int32Builder, |n: f64| n as i32),
            Output::Long => numbers!(Int64Builder, |n: f64| n as i64),
            Output::Short => numbers!(Int16Builder, |n: f64| n as i32 as i16),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(xml: &str, path: &str) -> std::result::Result<(Document, Value), String> {
        let document = Document::parse(xml)?;
        let value = evaluate(&document, &expression::parse(path)?)?;
        Ok((document, value))
    }

    fn strings(xml: &str, path: &str) -> std::result::Result<Vec<Option<String>>, String> {
        let (document, value) = run(xml, path)?;
        match value {
            Value::Nodes(nodes) => Ok(nodes.iter().map(|n| document.node_value(*n)).collect()),
            other => Err(format!("not nodes: {other:?}")),
        }
    }

    #[test]
    fn paths_select_nodes_in_document_order() -> std::result::Result<(), String> {
        let xml = "<a><b>b1</b><b>b2</b><b>b3</b><c>c1</c><c>c2</c></a>";
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            strings(xml, "a/b/text()")?,
            vec![some("b1"), some("b2"), some("b3")]
        );
        assert_eq!(strings(xml, "a/b")?, vec![None, None, None]);
        assert_eq!(strings(xml, "//c/text()")?, vec![some("c1"), some("c2")]);
        assert_eq!(strings(xml, "a/b[2]/text()")?, vec![some("b2")]);
        assert_eq!(strings(xml, "a/*[last()]/text()")?, vec![some("c2")]);
        assert_eq!(
            strings("<a x='1'><b x='2'/></a>", "//@x")?,
            vec![some("1"), some("2")]
        );
        assert_eq!(strings(xml, "a/b[. = 'b3']/text()")?, vec![some("b3")]);
        Ok(())
    }

    #[test]
    fn values_convert_as_xpath_does() -> std::result::Result<(), String> {
        let (d, v) = run("<a><b>1</b><b>2</b></a>", "sum(a/b)")?;
        assert_eq!(v.as_number(&d), 3.0);
        let (d, v) = run("<a><b>1</b><b>2</b></a>", "count(a/b) * 2 + 1")?;
        assert_eq!(v.as_number(&d), 5.0);
        let (d, v) = run("<a><b>b</b><c>cc</c></a>", "a/c")?;
        assert_eq!(v.as_string(&d), "cc");
        let (d, v) = run("<a><b>1</b></a>", "a/b")?;
        assert!(v.as_boolean(&d));
        let (d, v) = run("<a><b>1</b></a>", "a/c")?;
        assert!(!v.as_boolean(&d));
        let (d, v) = run("<a><b>x</b></a>", "a/b")?;
        assert!(v.as_number(&d).is_nan());
        let (d, v) = run("<a>1 &amp; 2</a>", "string(/a)")?;
        assert_eq!(v.as_string(&d), "1 & 2");
        let (d, v) = run("<a><b>5</b></a>", "a/b > 4 and not(a/c)")?;
        assert!(v.as_boolean(&d));
        Ok(())
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(Document::parse("<a><b></a>").is_err());
        assert!(expression::parse("a/").is_err());
        assert!(expression::parse("a[").is_err());
    }
}
