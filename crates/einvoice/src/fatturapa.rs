//! Italian FatturaPA (`FatturaElettronica`, the XML exchanged through the SdI since 2019).
//!
//! FatturaPA is not EN 16931 syntax: it states no document-level net or VAT total, only a
//! summary per rate (`DatiRiepilogo`) and an optional grand total (`ImportoTotaleDocumento`).
//! The net and VAT totals are therefore the sums of that summary, which is exactly how the SdI
//! defines them. One file may carry a batch ("lotto") of several invoices; we read the first and
//! report the rest, so the document goes to review instead of silently losing invoices.

use crate::check::RuleViolation;
use crate::xml::{child, children, decimal, decimal_at, iso_date, path, text, text_at};
use crate::Reading;
use roxmltree::Node;
use rust_decimal::Decimal;
use stapel_domain::{
    AllowanceCharge, DocumentType, InvoiceLine, Source, VatBreakdown, VatCategory,
};

/// `TipoDocumento` codes that are credit notes: TD04 (nota di credito). TD08 (nota di credito
/// semplificata) too.
const CREDIT_NOTE_TYPES: &[&str] = &["TD04", "TD08"];

/// Map a document whose root is `FatturaElettronica`.
pub(crate) fn read(root: Node<'_, '_>) -> Reading {
    let mut reading = Reading::new(Source::FatturaPa);
    let header = child(root, "FatturaElettronicaHeader");
    let bodies: Vec<Node> = children(root, "FatturaElettronicaBody").collect();
    let invoice = &mut reading.invoice;

    if let Some(header) = header {
        if let Some(supplier) = path(header, &["CedentePrestatore", "DatiAnagrafici"]) {
            invoice.supplier_name = party_name(supplier);
            invoice.supplier_vat_id = vat_id(supplier);
        }
        if let Some(customer) = path(header, &["CessionarioCommittente", "DatiAnagrafici"]) {
            invoice.customer_name = party_name(customer);
            invoice.customer_vat_id = vat_id(customer);
        }
    }

    let Some(body) = bodies.first().copied() else {
        reading.finish();
        return reading;
    };
    if let Some(general) = path(body, &["DatiGenerali", "DatiGeneraliDocumento"]) {
        invoice.document_type = match text_at(general, &["TipoDocumento"]) {
            Some(code) if CREDIT_NOTE_TYPES.contains(&code.as_str()) => DocumentType::CreditNote,
            _ => DocumentType::Invoice,
        };
        invoice.invoice_number = text_at(general, &["Numero"]);
        invoice.issue_date = child(general, "Data").and_then(iso_date);
        invoice.currency = text_at(general, &["Divisa"]);
        invoice.gross_total = decimal_at(general, &["ImportoTotaleDocumento"]);
        // Document-level discounts (SC, sconto) and surcharges (MG, maggiorazione) with an
        // amount; a percentage alone names no figure to book.
        invoice.allowances_charges = children(general, "ScontoMaggiorazione")
            .filter_map(|entry| {
                Some(AllowanceCharge {
                    charge: text_at(entry, &["Tipo"])? == "MG",
                    amount: decimal_at(entry, &["Importo"])?,
                    reason: None,
                    vat_rate: None,
                })
            })
            .collect();
    }

    if let Some(goods) = child(body, "DatiBeniServizi") {
        invoice.lines = children(goods, "DettaglioLinee")
            .map(|line| InvoiceLine {
                description: text_at(line, &["Descrizione"]).unwrap_or_default(),
                quantity: decimal_at(line, &["Quantita"]),
                unit_price: decimal_at(line, &["PrezzoUnitario"]),
                net_amount: decimal_at(line, &["PrezzoTotale"]),
                vat_rate: decimal_at(line, &["AliquotaIVA"]),
            })
            .collect();
        invoice.vat_breakdown = children(goods, "DatiRiepilogo")
            .filter_map(|summary| {
                Some(VatBreakdown {
                    rate: decimal_at(summary, &["AliquotaIVA"])?,
                    base: decimal_at(summary, &["ImponibileImporto"])?,
                    amount: decimal_at(summary, &["Imposta"])?,
                    category: category(summary),
                })
            })
            .collect();
        let sum = |pick: fn(&VatBreakdown) -> Decimal| {
            invoice
                .vat_breakdown
                .iter()
                .try_fold(Decimal::ZERO, |total, entry| total.checked_add(pick(entry)))
        };
        if !invoice.vat_breakdown.is_empty() {
            invoice.net_total = sum(|entry| entry.base);
            invoice.vat_total = sum(|entry| entry.amount);
        }
    }

    // TP01 instalments, TP02 full payment, TP03 advance (the codes of the SdI specification).
    invoice.payment_terms = children(body, "DatiPagamento")
        .find_map(|payment| text_at(payment, &["CondizioniPagamento"]))
        .map(|code| match code.as_str() {
            "TP01" => "TP01: pagamento a rate (payment in instalments)".to_owned(),
            "TP02" => "TP02: pagamento completo (payment in full)".to_owned(),
            "TP03" => "TP03: anticipo (advance payment)".to_owned(),
            _ => code,
        });
    // Payment: the earliest due date, the sum of the instalments, the first payee IBAN.
    let instalments: Vec<Node> = children(body, "DatiPagamento")
        .flat_map(|payment| children(payment, "DettaglioPagamento"))
        .collect();
    invoice.due_date = instalments
        .iter()
        .filter_map(|instalment| child(*instalment, "DataScadenzaPagamento").and_then(iso_date))
        .min();
    let amounts: Vec<Decimal> = instalments
        .iter()
        .filter_map(|instalment| child(*instalment, "ImportoPagamento").and_then(decimal))
        .collect();
    if !amounts.is_empty() {
        invoice.amount_due = amounts
            .iter()
            .try_fold(Decimal::ZERO, |total, amount| total.checked_add(*amount));
    }
    invoice.iban = instalments
        .iter()
        .find_map(|instalment| text_at(*instalment, &["IBAN"]))
        .map(|iban| crate::normalise_identifier(&iban));

    reading.finish();
    if bodies.len() > 1 {
        let fields = vec!["invoice_number", "net_total", "vat_total", "gross_total"];
        for field in &fields {
            reading
                .invoice
                .confidence
                .insert((*field).to_owned(), crate::check::VIOLATION_CONFIDENCE);
        }
        reading.violations.push(RuleViolation {
            rule: "FPA-LOTTO",
            message: format!(
                "the file holds {} invoices (a FatturaPA batch); only the first was read",
                bodies.len()
            ),
            fields,
        });
    }
    reading
}

/// `Denominazione` for a company, else `Nome Cognome` for a person.
fn party_name(data: Node<'_, '_>) -> Option<String> {
    let registry = child(data, "Anagrafica")?;
    text_at(registry, &["Denominazione"]).or_else(|| {
        let parts: Vec<String> = ["Nome", "Cognome"]
            .iter()
            .filter_map(|name| child(registry, name).and_then(text))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    })
}

/// The EN 16931 category of a summary row: `S` for a row with VAT, else the one its `Natura`
/// code maps to unambiguously (the mapping of the Italian CIUS); `None` for the natures that
/// have no single UNCL5305 counterpart (N1 excluded, N3.x other than exports and
/// intra-community supplies, N5 margin scheme, N7 distance sales), so nothing is guessed.
fn category(summary: Node<'_, '_>) -> Option<VatCategory> {
    let Some(nature) = text_at(summary, &["Natura"]) else {
        let charged = decimal_at(summary, &["AliquotaIVA"]).is_some_and(|rate| !rate.is_zero());
        return charged.then_some(VatCategory::Standard);
    };
    let nature = nature.trim().to_ascii_uppercase();
    match nature.as_str() {
        "N2" | "N2.1" | "N2.2" => Some(VatCategory::OutsideScope),
        "N3.1" => Some(VatCategory::Export),
        "N3.2" => Some(VatCategory::IntraCommunity),
        "N4" => Some(VatCategory::Exempt),
        _ if nature == "N6" || nature.starts_with("N6.") => Some(VatCategory::ReverseCharge),
        _ => None,
    }
}

/// `IdFiscaleIVA`: country and code, as one VAT id (`IT01234567890`).
fn vat_id(data: Node<'_, '_>) -> Option<String> {
    let id = child(data, "IdFiscaleIVA")?;
    let country = text_at(id, &["IdPaese"])?;
    let code = text_at(id, &["IdCodice"])?;
    Some(crate::normalise_identifier(&format!("{country}{code}")))
}
