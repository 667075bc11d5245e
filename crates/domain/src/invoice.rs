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

/// One VAT rate's share of the invoice (EN 16931 BG-23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatBreakdown {
    /// Rate in percent, e.g. `21` or `5.5`.
    pub rate: Decimal,
    /// Net amount taxed at this rate.
    pub base: Decimal,
    /// VAT charged at this rate.
    pub amount: Decimal,
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
}
