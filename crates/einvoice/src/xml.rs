//! Hostile-input-safe XML parsing and small lookup helpers over `roxmltree`.
//!
//! `roxmltree` never fetches external entities; on top of that we refuse any DOCTYPE before
//! parsing, so no entity is ever expanded, and we bound input size, node count and nesting depth.
//! The helpers look elements up by local name: the root element's namespace has already told us
//! the format, and inside one format the local names are unambiguous.

use crate::EInvoiceError;
use chrono::NaiveDate;
use roxmltree::{Document, Node, ParsingOptions};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Bounds on the XML we accept, so a hostile file costs bounded time and memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// Largest input in bytes. Real e-invoices are kilobytes; ones with embedded attachments
    /// (base64 PDFs) reach a few megabytes.
    pub max_bytes: usize,
    /// Deepest element nesting. EN 16931 documents stay below 20 levels.
    pub max_depth: usize,
    /// Most nodes (elements, text, attributes' owners) the parser may create; this bounds memory
    /// independently of how the bytes are spent.
    pub max_nodes: u32,
}

impl Default for XmlLimits {
    fn default() -> Self {
        Self {
            max_bytes: 20 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 1_000_000,
        }
    }
}

/// Skip a UTF-8 byte order mark and leading whitespace.
pub(crate) fn trim_start(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// True when the prolog (before the root element) holds a `<!DOCTYPE`. Only the prolog may hold
/// one, so scanning past processing instructions and comments is exact, and a DOCTYPE-like text
/// inside the document body is not mistaken for one.
fn prolog_has_doctype(text: &str) -> bool {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<?") {
            match after.find("?>") {
                Some(end) => rest = &after[end + 2..],
                None => return false,
            }
        } else if let Some(after) = rest.strip_prefix("<!--") {
            match after.find("-->") {
                Some(end) => rest = &after[end + 3..],
                None => return false,
            }
        } else {
            let head = rest.get(..9).unwrap_or(rest);
            return head.eq_ignore_ascii_case("<!DOCTYPE");
        }
    }
}

/// Parse untrusted bytes into a tree, enforcing every limit. The document borrows `text`.
pub(crate) fn parse<'input>(
    text: &'input str,
    limits: &XmlLimits,
) -> Result<Document<'input>, EInvoiceError> {
    if text.len() > limits.max_bytes {
        return Err(EInvoiceError::TooLarge {
            size: text.len(),
            limit: limits.max_bytes,
        });
    }
    if prolog_has_doctype(text) {
        return Err(EInvoiceError::DtdForbidden);
    }
    // `roxmltree` recurses per nesting level, so a deeply nested file would overflow the stack
    // inside the parser; the depth is therefore bounded by a scan before parsing.
    let depth = max_nesting_depth(text.as_bytes(), limits.max_depth);
    if depth > limits.max_depth {
        return Err(EInvoiceError::TooDeep {
            depth,
            limit: limits.max_depth,
        });
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_nodes,
    };
    let document = Document::parse_with_options(text, options).map_err(|error| match error {
        roxmltree::Error::DtdDetected => EInvoiceError::DtdForbidden,
        roxmltree::Error::NodesLimitReached => EInvoiceError::TooManyNodes {
            limit: limits.max_nodes,
        },
        other => EInvoiceError::MalformedXml {
            detail: other.to_string(),
        },
    })?;
    // The tree is stored flat, so walking it is iterative; we still refuse deep nesting because
    // nothing legitimate needs it and downstream code should never meet it.
    Ok(document)
}

/// The deepest element nesting in `bytes`, scanning markup only (comments, CDATA, processing
/// instructions and quoted attribute values are skipped), stopping as soon as `stop_above` is
/// exceeded. Exact for well-formed XML; for malformed XML it is an estimate, which is enough
/// because the parser rejects that anyway and only needs to be kept off deep recursion.
fn max_nesting_depth(bytes: &[u8], stop_above: usize) -> usize {
    let find = |from: usize, needle: &[u8]| -> usize {
        bytes
            .get(from..)
            .and_then(|rest| {
                rest.windows(needle.len())
                    .position(|window| window == needle)
            })
            .map_or(bytes.len(), |at| from + at + needle.len())
    };
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0usize);
    while at < bytes.len() {
        if bytes[at] != b'<' {
            at += 1;
            continue;
        }
        let rest = &bytes[at..];
        if rest.starts_with(b"<!--") {
            at = find(at + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            at = find(at + 9, b"]]>");
        } else if rest.starts_with(b"<?") {
            at = find(at + 2, b"?>");
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            at = find(at + 2, b">");
        } else {
            // A start tag: find its end outside quoted attribute values.
            let mut quote = None;
            let mut end = at + 1;
            while end < bytes.len() {
                match (quote, bytes[end]) {
                    (None, b'"' | b'\'') => quote = Some(bytes[end]),
                    (Some(open), byte) if byte == open => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                end += 1;
            }
            let self_closing = end > at + 1 && bytes.get(end - 1) == Some(&b'/');
            if !self_closing {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > stop_above {
                    return deepest;
                }
            }
            at = end + 1;
        }
    }
    deepest
}

/// Decode bytes as UTF-8 after checking the size, without copying.
pub(crate) fn as_text<'a>(bytes: &'a [u8], limits: &XmlLimits) -> Result<&'a str, EInvoiceError> {
    if bytes.len() > limits.max_bytes {
        return Err(EInvoiceError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|error| EInvoiceError::MalformedXml {
        detail: format!("not UTF-8 ({error}); e-invoices must be UTF-8"),
    })
}

/// The first child element with this local name.
pub(crate) fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children()
        .find(|child| child.is_element() && child.tag_name().name() == name)
}

/// All child elements with this local name, in document order.
pub(crate) fn children<'a, 'input>(
    node: Node<'a, 'input>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children()
        .filter(move |child| child.is_element() && child.tag_name().name() == name)
}

/// Follow a path of local names, taking the first match at each step.
pub(crate) fn path<'a, 'input>(node: Node<'a, 'input>, names: &[&str]) -> Option<Node<'a, 'input>> {
    names.iter().try_fold(node, |node, name| child(node, name))
}

/// The element's text, trimmed; `None` when empty. Text split by comments is joined.
pub(crate) fn text(node: Node<'_, '_>) -> Option<String> {
    let joined: String = node
        .children()
        .filter(|child| child.is_text())
        .filter_map(|child| child.text())
        .collect();
    let trimmed = joined.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The text at a path below `node`.
pub(crate) fn text_at(node: Node<'_, '_>, names: &[&str]) -> Option<String> {
    path(node, names).and_then(text)
}

/// An `xs:decimal` as written, scale preserved (so HUF's `1000` stays `1000`, EUR's `10.50`
/// stays `10.50`). `None` for text that is not a decimal or does not fit.
pub(crate) fn decimal(node: Node<'_, '_>) -> Option<Decimal> {
    let raw = text(node)?;
    let raw = raw.strip_prefix('+').unwrap_or(&raw);
    if raw.is_empty()
        || !raw
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return None;
    }
    Decimal::from_str(raw).ok()
}

/// A decimal at a path below `node`.
pub(crate) fn decimal_at(node: Node<'_, '_>, names: &[&str]) -> Option<Decimal> {
    path(node, names).and_then(decimal)
}

/// An `xs:date` (`2026-11-21`, optionally with a time zone suffix, which we drop: the calendar
/// day as written is what the invoice says).
pub(crate) fn iso_date(node: Node<'_, '_>) -> Option<NaiveDate> {
    let raw = text(node)?;
    NaiveDate::parse_from_str(raw.get(..10)?, "%Y-%m-%d").ok()
}

/// A UN/CEFACT `DateTimeString`: format 102 is `YYYYMMDD`; other formats (610 month, 616 week)
/// do not name a day, so they give `None` rather than a guessed day.
pub(crate) fn cefact_date(date_time: Node<'_, '_>) -> Option<NaiveDate> {
    let string = child(date_time, "DateTimeString")?;
    match string.attribute("format") {
        None | Some("102") => {
            let raw = text(string)?;
            if raw.len() != 8 {
                return None;
            }
            NaiveDate::parse_from_str(&raw, "%Y%m%d").ok()
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctype_in_prolog_is_found_past_declarations_and_comments() {
        assert!(prolog_has_doctype(
            "<?xml version='1.0'?>\n<!-- x --><!DOCTYPE a><a/>"
        ));
        assert!(prolog_has_doctype("\u{feff} <!doctype a>"));
        assert!(!prolog_has_doctype(
            "<?xml version='1.0'?><a><!-- <!DOCTYPE --></a>"
        ));
    }

    #[test]
    fn nesting_depth_counts_elements_not_markup_lookalikes() {
        let depth = |xml: &str| max_nesting_depth(xml.as_bytes(), usize::MAX);
        assert_eq!(depth("<a><b/><c><d>x</d></c></a>"), 3);
        assert_eq!(
            depth("<a x='>' y=\"/>\"><!-- <b> --><![CDATA[<c>]]><?p <d>?></a>"),
            1
        );
        assert_eq!(depth(&"<a>".repeat(1_000)), 1_000);
        assert_eq!(max_nesting_depth("<a>".repeat(1_000).as_bytes(), 10), 11);
    }

    #[test]
    fn decimals_keep_their_scale_and_reject_junk() {
        let document = Document::parse("<r><a>10.50</a><b>1,5</b><c>+3</c><d>1e3</d></r>").unwrap();
        let root = document.root_element();
        assert_eq!(
            decimal_at(root, &["a"]).map(|d| d.to_string()).as_deref(),
            Some("10.50")
        );
        assert_eq!(decimal_at(root, &["b"]), None);
        assert_eq!(
            decimal_at(root, &["c"]).map(|d| d.to_string()).as_deref(),
            Some("3")
        );
        assert_eq!(decimal_at(root, &["d"]), None);
    }
}
