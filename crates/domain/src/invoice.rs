//! The invoice as extracted from a document: every field optional, each with a confidence.
//!
//! Extraction is evidence, not truth. A field that could not be read is `None`, never a guess
//! dressed up as a value; `confidence` says how sure the extractor is of each field it did fill.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Invoice or credit note. A credit note is booked with reversed signs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    /// A bill: we owe the supplier.
    #[default]
    Invoice,
    /// A credit: the supplier owes us, or reduces what we owe.
    CreditNote,
}

/// Where the fields came from; later issues add `ubl`, `cii`, `ocr` readers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The text layer of a PDF.
    #[default]
    Text,
    /// Optical character recognition of a scan or photo.
    Ocr,
    /// A UBL 2.1 e-invoice (Peppol BIS 3, XRechnung UBL).
    Ubl,
    /// A UN/CEFACT Cross Industry Invoice (Factur-X, ZUGFeRD, XRechnung CII).
    Cii,
    /// An Italian FatturaPA (`FatturaElettronica`), the format of the SdI exchange.
    #[serde(rename = "fatturapa")]
    FatturaPa,
}

/// The VAT category of a breakdown row (EN 16931 BT-118), a code of the UNCL5305 subset
/// EN 16931 allows.
///
/// It says why a row carries the VAT it does, which the rate alone cannot: a 0 % row may be
/// zero-rated, exempt, reverse charged or out of scope, and each is booked differently.
/// In JSON it is the code itself (`"AE"`).
///
/// A code outside that subset is kept as [`VatCategory::Other`] rather than dropped or
/// refused: the document still reads, and the booking can name the code it does not know
/// and ask for review, where `None` would have looked like an invoice that states nothing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum VatCategory {
    /// `S`: standard or reduced rate, VAT charged by the supplier.
    Standard,
    /// `Z`: zero-rated goods (a taxable supply at 0 %).
    ZeroRated,
    /// `E`: exempt from VAT.
    Exempt,
    /// `AE`: VAT reverse charge, the buyer owes the VAT.
    ReverseCharge,
    /// `K`: intra-community supply of goods and services, exempt for the supplier and
    /// self-assessed by the buyer as an acquisition.
    IntraCommunity,
    /// `G`: free export item, the goods leave the EU; VAT not charged.
    Export,
    /// `O`: services outside the scope of VAT.
    OutsideScope,
    /// `L`: Canary Islands general indirect tax (IGIC), not EU VAT.
    CanaryIslands,
    /// `M`: tax for production, services and importation in Ceuta and Melilla (IPSI), not EU
    /// VAT.
    CeutaMelilla,
    /// Any other code, upper-cased as read (`B`, the Italian split payment, for example).
    Other(String),
}

impl VatCategory {
    /// The category of a UNCL5305 code, ignoring surrounding space and case; `None` for an
    /// empty code, since an empty element states nothing.
    pub fn from_code(code: &str) -> Option<VatCategory> {
        let code = code.trim();
        (!code.is_empty()).then(|| VatCategory::from(code.to_owned()))
    }

    /// The UNCL5305 code (`"AE"`).
    pub fn code(&self) -> &str {
        match self {
            VatCategory::Standard => "S",
            VatCategory::ZeroRated => "Z",
            VatCategory::Exempt => "E",
            VatCategory::ReverseCharge => "AE",
            VatCategory::IntraCommunity => "K",
            VatCategory::Export => "G",
            VatCategory::OutsideScope => "O",
            VatCategory::CanaryIslands => "L",
            VatCategory::CeutaMelilla => "M",
            VatCategory::Other(code) => code,
        }
    }
}

impl From<String> for VatCategory {
    fn from(code: String) -> VatCategory {
        let code = code.trim().to_ascii_uppercase();
        match code.as_str() {
            "S" => VatCategory::Standard,
            "Z" => VatCategory::ZeroRated,
            "E" => VatCategory::Exempt,
            "AE" => VatCategory::ReverseCharge,
            "K" => VatCategory::IntraCommunity,
            "G" => VatCategory::Export,
            "O" => VatCategory::OutsideScope,
            "L" => VatCategory::CanaryIslands,
            "M" => VatCategory::CeutaMelilla,
            _ => VatCategory::Other(code),
        }
    }
}

impl From<VatCategory> for String {
    fn from(category: VatCategory) -> String {
        category.code().to_owned()
    }
}

impl std::fmt::Display for VatCategory {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.code())
    }
}

/// One VAT rate's share of the invoice (EN 16931 BG-23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatBreakdown {
    /// Rate in percent, e.g. `21` or `5.5`.
    pub rate: Decimal,
    /// Net amount taxed at this rate.
    pub base: Decimal,
    /// VAT charged at this rate.
    pub amount: Decimal,
    /// The VAT category code (BT-118), when the document states one (structured invoices);
    /// it tells exempt, zero-rated and reverse-charged 0 % rows apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<VatCategory>,
}

/// A document-level allowance (a discount) or charge (freight, packing), EN 16931 BG-20/BG-21.
/// Line-level ones are already inside the line amounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowanceCharge {
    /// True for a charge (adds to the net total), false for an allowance (subtracts).
    pub charge: bool,
    /// The amount, positive as stated.
    pub amount: Decimal,
    /// Why, as stated (`Sondernachlass`, `Versandkosten`).
    pub reason: Option<String>,
    /// VAT rate in percent that applies to it, if stated.
    pub vat_rate: Option<Decimal>,
}

/// One invoice line as printed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// What was bought.
    pub description: String,
    /// How many, if printed.
    pub quantity: Option<Decimal>,
    /// Price per unit, if printed.
    pub unit_price: Option<Decimal>,
    /// Line total before VAT.
    pub net_amount: Option<Decimal>,
    /// VAT rate in percent for this line, if printed.
    pub vat_rate: Option<Decimal>,
}

/// The fields of one invoice, as far as they could be read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExtractedInvoice {
    /// Invoice or credit note.
    pub document_type: DocumentType,
    /// Which reader produced the fields.
    pub source: Source,
    /// The seller's name.
    pub supplier_name: Option<String>,
    /// The seller's VAT identifier, normalised (`NL123456789B01`).
    pub supplier_vat_id: Option<String>,
    /// The buyer's name.
    pub customer_name: Option<String>,
    /// The buyer's VAT identifier, normalised like the supplier's; with it, supplier and
    /// customer in different EU member states point to an intra-community reverse charge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_vat_id: Option<String>,
    /// The supplier's invoice number, as printed.
    pub invoice_number: Option<String>,
    /// Date of issue.
    pub issue_date: Option<NaiveDate>,
    /// Payment due date.
    pub due_date: Option<NaiveDate>,
    /// ISO 4217 code such as `EUR`.
    pub currency: Option<String>,
    /// Total before VAT.
    pub net_total: Option<Decimal>,
    /// Total VAT.
    pub vat_total: Option<Decimal>,
    /// Total including VAT.
    pub gross_total: Option<Decimal>,
    /// What remains to be paid (gross minus prepayments).
    pub amount_due: Option<Decimal>,
    /// VAT per rate.
    pub vat_breakdown: Vec<VatBreakdown>,
    /// The supplier's bank account for payment.
    pub iban: Option<String>,
    /// The invoice lines, when they could be read.
    pub lines: Vec<InvoiceLine>,
    /// Document-level allowances and charges, when stated (structured invoices).
    #[serde(default)]
    pub allowances_charges: Vec<AllowanceCharge>,
    /// The payment terms as written (`Zahlbar innerhalb 30 Tagen netto ...`).
    #[serde(default)]
    pub payment_terms: Option<String>,
    /// How sure the extractor is of each field it filled, from 0 to 1, keyed by field name.
    pub confidence: BTreeMap<String, f32>,
}

impl ExtractedInvoice {
    /// A stable key for the supplier, for duplicate detection and supplier memory: the VAT id
    /// when there is one (the most reliable identity), else the IBAN, else the name folded to
    /// lower case. `None` when the invoice names no supplier at all.
    pub fn supplier_key(&self) -> Option<String> {
        let clean = |value: &str| -> String {
            value
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_uppercase()
        };
        if let Some(vat) = self
            .supplier_vat_id
            .as_deref()
            .filter(|v| !v.trim().is_empty())
        {
            return Some(format!("vat:{}", clean(vat)));
        }
        if let Some(iban) = self.iban.as_deref().filter(|v| !v.trim().is_empty()) {
            return Some(format!("iban:{}", clean(iban)));
        }
        let name = self
            .supplier_name
            .as_deref()?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        (!name.is_empty()).then(|| format!("name:{}", name.to_lowercase()))
    }

    /// The currency, or `EUR` when none was found (the booking flags that case for review).
    pub fn currency_or_default(&self) -> &str {
        self.currency.as_deref().unwrap_or("EUR")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn supplier_key_prefers_vat_id_then_iban_then_name() {
        let mut invoice = ExtractedInvoice {
            supplier_name: Some("  Acme   B.V. ".into()),
            ..Default::default()
        };
        assert_eq!(invoice.supplier_key().as_deref(), Some("name:acme b.v."));
        invoice.iban = Some("nl91 abna 0417 1643 00".into());
        assert_eq!(
            invoice.supplier_key().as_deref(),
            Some("iban:NL91ABNA0417164300")
        );
        invoice.supplier_vat_id = Some("nl123456789b01".into());
        assert_eq!(
            invoice.supplier_key().as_deref(),
            Some("vat:NL123456789B01")
        );
        assert_eq!(ExtractedInvoice::default().supplier_key(), None);
    }

    #[test]
    fn json_uses_contract_names_and_decimal_strings() {
        let invoice = ExtractedInvoice {
            document_type: DocumentType::CreditNote,
            invoice_number: Some("2026-118".into()),
            issue_date: NaiveDate::from_ymd_opt(2026, 11, 21),
            net_total: Some(dec!(100.00)),
            vat_breakdown: vec![VatBreakdown {
                rate: dec!(21),
                base: dec!(100.00),
                amount: dec!(21.00),
                category: None,
            }],
            ..Default::default()
        };
        let json = serde_json::to_value(&invoice).unwrap();
        assert_eq!(json["document_type"], "credit_note");
        assert_eq!(json["source"], "text");
        assert_eq!(json["issue_date"], "2026-11-21");
        assert_eq!(json["net_total"], "100.00");
        assert_eq!(json["vat_breakdown"][0]["amount"], "21.00");
        assert!(json["gross_total"].is_null());
        let back: ExtractedInvoice = serde_json::from_value(json).unwrap();
        assert_eq!(back, invoice);
    }

    #[test]
    fn vat_category_is_its_code_in_json_and_keeps_unknown_codes() {
        let row = VatBreakdown {
            rate: dec!(0),
            base: dec!(100.00),
            amount: dec!(0.00),
            category: Some(VatCategory::ReverseCharge),
        };
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["category"], "AE");
        assert_eq!(serde_json::from_value::<VatBreakdown>(json).unwrap(), row);

        for (code, category) in [
            ("S", VatCategory::Standard),
            ("z", VatCategory::ZeroRated),
            (" E ", VatCategory::Exempt),
            ("K", VatCategory::IntraCommunity),
            ("G", VatCategory::Export),
            ("O", VatCategory::OutsideScope),
            ("L", VatCategory::CanaryIslands),
            ("M", VatCategory::CeutaMelilla),
            ("b", VatCategory::Other("B".into())),
        ] {
            assert_eq!(VatCategory::from_code(code), Some(category), "{code:?}");
        }
        assert_eq!(VatCategory::from_code("  "), None);
        let unknown: VatCategory = serde_json::from_str("\"XY\"").unwrap();
        assert_eq!(unknown.code(), "XY");
        assert_eq!(serde_json::to_string(&unknown).unwrap(), "\"XY\"");
    }

    #[test]
    fn json_stored_before_the_vat_fields_still_reads_and_new_fields_stay_out_when_empty() {
        let old = r#"{"document_type":"invoice","source":"ubl","supplier_name":null,
            "supplier_vat_id":"NL1","customer_name":null,"invoice_number":null,
            "issue_date":null,"due_date":null,"currency":null,"net_total":null,
            "vat_total":null,"gross_total":null,"amount_due":null,
            "vat_breakdown":[{"rate":"21","base":"100","amount":"21"}],"iban":null,
            "lines":[],"confidence":{}}"#;
        let invoice: ExtractedInvoice = serde_json::from_str(old).unwrap();
        assert_eq!(invoice.customer_vat_id, None);
        assert_eq!(invoice.vat_breakdown[0].category, None);
        let json = serde_json::to_value(&invoice).unwrap();
        assert!(json.get("customer_vat_id").is_none());
        assert!(json["vat_breakdown"][0].get("category").is_none());

        let with_ids = ExtractedInvoice {
            customer_vat_id: Some("DE136695976".into()),
            ..invoice
        };
        let json = serde_json::to_value(&with_ids).unwrap();
        assert_eq!(json["customer_vat_id"], "DE136695976");
    }
}
