//! A parsed XML document for XPath: elements, attributes and text in document order.

use quick_xml::events::Event;
use quick_xml::Reader;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    Root,
    Element { name: String },
    Attribute { name: String, value: String },
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub parent: Option<usize>,
    /// Child elements and text, in order.
    pub children: Vec<usize>,
    pub attributes: Vec<usize>,
}

/// Nodes by id in document order; id 0 is the root above the document element.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    pub nodes: Vec<Node>,
}

impl Document {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut nodes = vec![Node {
            kind: NodeKind::Root,
            parent: None,
            children: Vec::new(),
            attributes: Vec::new(),
        }];
        let mut open = vec![0usize];
        let mut reader = Reader::from_str(text);
        let mut saw_element = false;
        loop {
            let event = reader.read_event().map_err(|e| e.to_string())?;
            let parent = *open.last().ok_or("unbalanced XML")?;
            let empty = matches!(event, Event::Empty(_));
            match event {
                Event::Start(start) | Event::Empty(start) => {
                    saw_element = true;
                    let name = String::from_utf8_lossy(start.name().as_ref()).to_string();
                    let id = nodes.len();
                    nodes.push(Node {
                        kind: NodeKind::Element { name },
                        parent: Some(parent),
                        children: Vec::new(),
                        attributes: Vec::new(),
                    });
                    nodes[parent].children.push(id);
                    for attribute in start.attributes() {
                        let attribute = attribute.map_err(|e| e.to_string())?;
                        let name = String::from_utf8_lossy(attribute.key.as_ref()).to_string();
                        let value = attribute
                            .unescape_value()
                            .map_err(|e| e.to_string())?
                            .to_string();
                        let attribute_id = nodes.len();
                        nodes.push(Node {
                            kind: NodeKind::Attribute { name, value },
                            parent: Some(id),
                            children: Vec::new(),
                            attributes: Vec::new(),
                        });
                        nodes[id].attributes.push(attribute_id);
                    }
                    if !empty {
                        open.push(id);
                    }
                }
                Event::End(_) => {
                    if open.len() <= 1 {
                        return Err("unbalanced XML".into());
                    }
                    open.pop();
                }
                Event::Text(text) => {
                    // Entities come as their own events, so the text is literal.
                    let text = text.decode().map_err(|e| e.to_string())?.to_string();
                    push_text(&mut nodes, parent, text);
                }
                Event::CData(data) => {
                    let text = data.decode().map_err(|e| e.to_string())?.to_string();
                    push_text(&mut nodes, parent, text);
                }
                Event::GeneralRef(reference) => {
                    let name = reference.decode().map_err(|e| e.to_string())?;
                    let text = match name.as_ref() {
                        "lt" => "<".to_string(),
                        "gt" => ">".to_string(),
                        "amp" => "&".to_string(),
                        "apos" => "'".to_string(),
                        "quot" => "\"".to_string(),
                        other => character_reference(other).ok_or("unknown entity")?,
                    };
                    push_text(&mut nodes, parent, text);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if open.len() != 1 || !saw_element {
            return Err("the document is not well-formed".into());
        }
        Ok(Document { nodes })
    }

    /// XPath's string-value: an element's text content, an attribute's value, a text node.
    pub(crate) fn string_value(&self, id: usize) -> String {
        match &self.nodes[id].kind {
            NodeKind::Text(text) => text.clone(),
            NodeKind::Attribute { value, .. } => value.clone(),
            NodeKind::Root | NodeKind::Element { .. } => {
                let mut out = String::new();
                self.collect_text(id, &mut out);
                out
            }
        }
    }

    fn collect_text(&self, id: usize, out: &mut String) {
        for child in &self.nodes[id].children {
            match &self.nodes[*child].kind {
                NodeKind::Text(text) => out.push_str(text),
                _ => self.collect_text(*child, out),
            }
        }
    }

    /// DOM's nodeValue: text and attribute values; elements have none.
    pub(crate) fn node_value(&self, id: usize) -> Option<String> {
        match &self.nodes[id].kind {
            NodeKind::Text(text) => Some(text.clone()),
            NodeKind::Attribute { value, .. } => Some(value.clone()),
            _ => None,
        }
    }

    pub(crate) fn name(&self, id: usize) -> Option<&str> {
        match &self.nodes[id].kind {
            NodeKind::Element { name } | NodeKind::Attribute { name, .. } => Some(name),
            _ => None,
        }
    }

    /// Every node below `id` (elements and text), in document order.
    pub(crate) fn descendants(&self, id: usize, out: &mut Vec<usize>) {
        for child in &self.nodes[id].children {
            out.push(*child);
            self.descendants(*child, out);
        }
    }
}

/// Adjacent text merges into one node, as a DOM parser normalizes it.
fn push_text(nodes: &mut Vec<Node>, parent: usize, text: String) {
    if let Some(last) = nodes[parent].children.last().copied() {
        if let NodeKind::Text(existing) = &mut nodes[last].kind {
            existing.push_str(&text);
            return;
        }
    }
    let id = nodes.len();
    nodes.push(Node {
        kind: NodeKind::Text(text),
        parent: Some(parent),
        children: Vec::new(),
        attributes: Vec::new(),
    });
    nodes[parent].children.push(id);
}

/// `#65` or `#x41`.
fn character_reference(name: &str) -> Option<String> {
    let number = name.strip_prefix('#')?;
    let code = match number.strip_prefix('x') {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => number.parse().ok()?,
    };
    char::from_u32(code).map(String::from)
}
