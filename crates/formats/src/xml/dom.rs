//! A small element tree: enough of a document to find rows and read their fields.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

/// The name of the document's outermost element.
pub(crate) fn root_name(text: &str) -> Result<String, String> {
    let mut reader = Reader::from_str(text);
    loop {
        match reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.error_position()))?
        {
            Event::Start(start) | Event::Empty(start) => return Ok(local_name(&start)),
            Event::Eof => return Err("no element".into()),
            _ => {}
        }
    }
}

/// Every element named `row_tag` in the document, outermost first; rows inside rows are part
/// of the outer row.
pub(crate) fn parse_rows(text: &str, row_tag: &str) -> Result<Vec<Element>, String> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut rows = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(start) if !stack.is_empty() || local_name(&start) == row_tag => {
                stack.push(element(&start)?);
            }
            Event::Empty(start) if !stack.is_empty() || local_name(&start) == row_tag => {
                let empty = element(&start)?;
                close(&mut stack, &mut rows, empty);
            }
            Event::End(_) => {
                if let Some(done) = stack.pop() {
                    close(&mut stack, &mut rows, done);
                }
            }
            Event::Text(text) => {
                if let Some(open) = stack.last_mut() {
                    let decoded = text.decode().map_err(|e| e.to_string())?;
                    open.text.push_str(&decoded);
                }
            }
            Event::CData(data) => {
                if let Some(open) = stack.last_mut() {
                    let decoded = data.decode().map_err(|e| e.to_string())?;
                    open.text.push_str(&decoded);
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(open) = stack.last_mut() {
                    let name = reference.decode().map_err(|e| e.to_string())?;
                    if let Some(c) = reference.resolve_char_ref().map_err(|e| e.to_string())? {
                        open.text.push(c);
                    } else if let Some(value) = resolve_predefined_entity(&name) {
                        open.text.push_str(value);
                    } else {
                        return Err(format!("unknown entity &{name};"));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(format!("element <{}> is not closed", stack[0].name));
    }
    Ok(rows)
}

fn close(stack: &mut [Element], rows: &mut Vec<Element>, done: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(done),
        None => rows.push(done),
    }
}

fn local_name(start: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(start.local_name().as_ref()).into_owned()
}

fn element(start: &BytesStart<'_>) -> Result<Element, String> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| e.to_string())?;
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        // Namespace declarations are not data.
        if attribute.key.as_ref().starts_with(b"xmlns") {
            continue;
        }
        let value = attribute.unescape_value().map_err(|e| e.to_string())?;
        attributes.push((key, value.into_owned()));
    }
    Ok(Element {
        name: local_name(start),
        attributes,
        children: Vec::new(),
        text: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_rows_with_their_fields() -> Result<(), String> {
        let rows = parse_rows(
            "<ROWS><p id=\"1\"><name>A &amp; B</name><tag/></p><p><name>C</name></p></ROWS>",
            "p",
        )?;
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].attributes, [("id".to_string(), "1".to_string())]);
        assert_eq!(rows[0].children[0].text, "A & B");
        assert_eq!(rows[0].children[1].name, "tag");
        assert_eq!(rows[1].children[0].text, "C");
        Ok(())
    }

    #[test]
    fn unclosed_row_is_an_error() {
        assert!(parse_rows("<ROWS><p><a>1</a>", "p").is_err());
    }
}
