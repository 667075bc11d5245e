//! Structured e-invoices read exactly into stapel's [`ExtractedInvoice`].
//!
//! When an invoice carries structured data, reading its text layer or running OCR is the wrong
//! tool: the data says what the invoice is, to the cent. This crate reads
//!
//! - UBL 2.1 `Invoice` and `CreditNote` (Peppol BIS Billing 3.0, XRechnung UBL),
//! - UN/CEFACT CII D16B `CrossIndustryInvoice` (Factur-X / ZUGFeRD 2.x in every profile,
//!   XRechnung CII),
//! - ZUGFeRD 1.0 `CrossIndustryDocument`,
//! - Italian FatturaPA `FatturaElettronica` (SdI, versions 1.x),
//! - and hybrid PDF/A-3 files that embed one of those (`factur-x.xml`, `zugferd-invoice.xml`,
//!   `xrechnung.xml`).
//!
//! The format is decided by the root element's namespace, never by a file name.
//! [`read_einvoice_xml`] is the entry point for XML, [`read_hybrid_pdf`] for PDFs.
//!
//! Credit notes: a UBL `CreditNote`, and a CII document with a credit-note type code (381 and
//! the other UNTDID 1001 credit codes), state positive amounts. They are kept positive and marked
//! `document_type = credit_note`; the booking reverses the sides. A corrected invoice (384) or an
//! invoice with negative lines keeps `invoice` and its negative amounts, as stated.
//!
//! **Invariant:** untrusted input never makes us resolve an entity, read a DTD, follow a URL or
//! use unbounded memory; see [`XmlLimits`] and [`HybridPdfLimits`].
//! **Invariant:** figures are kept as the document states them (scale and sign included); the
//! consistency rules of EN 16931 are reported as [`RuleViolation`]s, never "fixed".
//! **Invariant:** no panics on any input (a property test feeds random bytes).

#![deny(missing_docs)]

mod check;
mod cii;
mod error;
mod fatturapa;
mod money;
mod pdf;
mod ubl;
mod xml;

pub use check::{RuleViolation, VIOLATION_CONFIDENCE};
pub use error::EInvoiceError;
pub use pdf::{
    find_embedded_xml, might_have_attachments, read_attachments, read_hybrid_pdf, EmbeddedXml,
    HybridPdfLimits,
};
pub use xml::XmlLimits;

use check::DeclaredTotals;
use stapel_domain::{DocumentType, ExtractedInvoice, Source};

const UBL_INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const UBL_CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const CII_NS: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const ZUGFERD_1_NS: &str = "urn:ferd:CrossIndustryDocument:invoice:1p0";
/// FatturaPA's namespaces share this prefix across versions (`.../fatture/v1.2`, `v1.1`, ...).
const FATTURAPA_NS_PREFIX: &str = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/";

/// The syntaxes this crate recognises, as told by the root element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EInvoiceFormat {
    /// UBL 2.1 `Invoice`.
    UblInvoice,
    /// UBL 2.1 `CreditNote`.
    UblCreditNote,
    /// UN/CEFACT CII D16B `CrossIndustryInvoice` (Factur-X, ZUGFeRD 2.x, XRechnung CII).
    Cii,
    /// ZUGFeRD 1.0 `CrossIndustryDocument`.
    Zugferd1,
    /// Italian FatturaPA `FatturaElettronica`.
    FatturaPa,
}

/// One e-invoice, read.
#[derive(Debug, Clone, PartialEq)]
pub struct EInvoice {
    /// Which syntax the document was in.
    pub format: EInvoiceFormat,
    /// The fields, with confidence 1.0 for every field read, lowered for totals that break a
    /// calculation rule.
    pub invoice: ExtractedInvoice,
    /// The EN 16931 calculation rules the document breaks; empty for a consistent document.
    /// `ExtractedInvoice` has no place for them, so callers log them.
    pub violations: Vec<RuleViolation>,
    /// For a hybrid PDF, the name of the attachment the invoice was read from.
    pub attachment: Option<String>,
}

/// True when the bytes look like XML (after an optional BOM and whitespace, they start with
/// `<`). A cheap sniff for routing; [`read_einvoice_xml`] decides what the XML is.
pub fn looks_like_xml(bytes: &[u8]) -> bool {
    xml::trim_start(bytes).first() == Some(&b'<')
}

/// Read an e-invoice from XML bytes.
///
/// Fails for input that is too large, has a DOCTYPE, is nested too deep, is not well-formed
/// UTF-8 XML, or is XML of another kind; each with its own [`EInvoiceError::code`].
pub fn read_einvoice_xml(bytes: &[u8], limits: &XmlLimits) -> Result<EInvoice, EInvoiceError> {
    let text = xml::as_text(bytes, limits)?;
    let document = xml::parse(text, limits)?;
    let root = document.root_element();
    let namespace = root.tag_name().namespace().unwrap_or("");
    let (format, reading) = match (root.tag_name().name(), namespace) {
        ("Invoice", UBL_INVOICE_NS) => (EInvoiceFormat::UblInvoice, ubl::read(root, false)),
        ("CreditNote", UBL_CREDIT_NOTE_NS) => {
            (EInvoiceFormat::UblCreditNote, ubl::read(root, true))
        }
        ("CrossIndustryInvoice", CII_NS) => (EInvoiceFormat::Cii, cii::read(root, &cii::D16B)),
        ("CrossIndustryDocument", ZUGFERD_1_NS) => {
            (EInvoiceFormat::Zugferd1, cii::read(root, &cii::ZUGFERD_1))
        }
        ("FatturaElettronica", namespace) if namespace.starts_with(FATTURAPA_NS_PREFIX) => {
            (EInvoiceFormat::FatturaPa, fatturapa::read(root))
        }
        (name, namespace) => {
            return Err(EInvoiceError::UnsupportedDocument {
                root: format!("{{{namespace}}}{name}"),
            })
        }
    };
    Ok(EInvoice {
        format,
        invoice: reading.invoice,
        violations: reading.violations,
        attachment: None,
    })
}

/// What a format reader produces: the contract fields plus the totals the rules need.
pub(crate) struct Reading {
    pub invoice: ExtractedInvoice,
    pub declared: DeclaredTotals,
    pub violations: Vec<RuleViolation>,
}

impl Reading {
    fn new(source: Source) -> Self {
        Self {
            invoice: ExtractedInvoice {
                source,
                ..ExtractedInvoice::default()
            },
            declared: DeclaredTotals::default(),
            violations: Vec::new(),
        }
    }

    /// Write figures in one canonical form (see `money`), give every field that was read
    /// confidence 1.0 (it is the document's own data), then run
    /// the calculation rules and lower what they implicate.
    fn finish(&mut self) {
        money::canonicalise(&mut self.invoice);
        let invoice = &self.invoice;
        let filled = [
            ("document_type", true),
            ("supplier_name", invoice.supplier_name.is_some()),
            ("supplier_vat_id", invoice.supplier_vat_id.is_some()),
            ("customer_name", invoice.customer_name.is_some()),
            ("customer_vat_id", invoice.customer_vat_id.is_some()),
            ("invoice_number", invoice.invoice_number.is_some()),
            ("issue_date", invoice.issue_date.is_some()),
            ("due_date", invoice.due_date.is_some()),
            ("currency", invoice.currency.is_some()),
            ("net_total", invoice.net_total.is_some()),
            ("vat_total", invoice.vat_total.is_some()),
            ("gross_total", invoice.gross_total.is_some()),
            ("amount_due", invoice.amount_due.is_some()),
            ("vat_breakdown", !invoice.vat_breakdown.is_empty()),
            ("iban", invoice.iban.is_some()),
            ("lines", !invoice.lines.is_empty()),
            ("allowances_charges", !invoice.allowances_charges.is_empty()),
            ("payment_terms", invoice.payment_terms.is_some()),
        ];
        let confidence = filled
            .into_iter()
            .filter(|(_, is_filled)| *is_filled)
            .map(|(field, _)| (field.to_owned(), 1.0))
            .collect();
        self.invoice.confidence = confidence;
        self.violations = check::check_totals(&self.invoice, &self.declared);
        check::apply_to_confidence(&mut self.invoice, &self.violations);
    }
}

/// UNTDID 1001 document type codes that mean "credit note" (BT-3). Everything else that EN 16931
/// allows (380 commercial invoice, 384 corrected invoice, 389 self-billed, 751 invoice
/// information, 326 partial, 386 prepayment, ...) is booked as an invoice, with the signs as
/// stated.
const CREDIT_NOTE_CODES: &[&str] = &[
    "81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532",
];

pub(crate) fn document_type_from_code(code: Option<&str>) -> DocumentType {
    match code {
        Some(code) if CREDIT_NOTE_CODES.contains(&code.trim()) => DocumentType::CreditNote,
        _ => DocumentType::Invoice,
    }
}

/// Identifiers (VAT ids, IBANs) as letters and digits only, upper case: the form the rest of
/// stapel compares (`supplier_key`). Separators (`NL8200.98.395.B.01`, IBANs printed in groups of
/// four) are presentation; neither a VAT id nor an IBAN contains anything but letters and digits.
pub(crate) fn normalise_identifier(raw: &str) -> String {
    raw.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase()
}
