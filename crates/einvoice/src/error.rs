//! The one error type of this crate, with stable dotted codes for the document's `error`.

/// Why a document could not be read as an e-invoice.
///
/// Every variant is a property of the bytes: the same input fails the same way, so callers
/// treat these as permanent failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EInvoiceError {
    /// The input is larger than the configured limit; checked before any parsing.
    #[error("the XML is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The limit it exceeded.
        limit: usize,
    },
    /// The XML declares a document type; DTDs are never processed, so entity expansion
    /// ("billion laughs") and external entities cannot happen.
    #[error(
        "the XML contains a DOCTYPE declaration; DTDs and entities are not processed in e-invoices"
    )]
    DtdForbidden,
    /// The XML nests elements deeper than the limit (real e-invoices stay below 20 levels).
    #[error("the XML nests elements {depth} levels deep, more than the limit of {limit}")]
    TooDeep {
        /// The depth reached when parsing stopped.
        depth: usize,
        /// The limit it exceeded.
        limit: usize,
    },
    /// The XML has more nodes than the limit, which bounds the parser's memory.
    #[error("the XML has more than {limit} nodes")]
    TooManyNodes {
        /// The limit it exceeded.
        limit: u32,
    },
    /// The bytes are not well-formed XML (or not UTF-8).
    #[error("the XML is not well-formed: {detail}")]
    MalformedXml {
        /// The parser's description, with line and column.
        detail: String,
    },
    /// Well-formed XML, but not a UBL 2.1 Invoice/CreditNote, a CII CrossIndustryInvoice or a
    /// ZUGFeRD 1.0 CrossIndustryDocument.
    #[error("the XML root element {root} is not an e-invoice format this version reads")]
    UnsupportedDocument {
        /// The root element as `{namespace}local-name`.
        root: String,
    },
    /// The PDF looked like a PDF/A-3 with attachments but could not be walked safely.
    #[error("the PDF's embedded files could not be read: {detail}")]
    PdfAttachment {
        /// What went wrong.
        detail: String,
    },
}

impl EInvoiceError {
    /// The stable code for this failure, e.g. `einvoice.malformed_xml`. Codes are added, never
    /// renamed: clients match on them.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "einvoice.too_large",
            Self::DtdForbidden => "einvoice.dtd_forbidden",
            Self::TooDeep { .. } => "einvoice.too_deep",
            Self::TooManyNodes { .. } => "einvoice.too_many_nodes",
            Self::MalformedXml { .. } => "einvoice.malformed_xml",
            Self::UnsupportedDocument { .. } => "einvoice.unsupported_document",
            Self::PdfAttachment { .. } => "einvoice.pdf_attachment",
        }
    }
}
