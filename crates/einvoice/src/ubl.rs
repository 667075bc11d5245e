//! UBL 2.1 `Invoice` and `CreditNote` (Peppol BIS Billing 3.0, XRechnung UBL, OIOUBL-style).

use crate::check::DeclaredTotals;
use crate::xml::{child, children, decimal, decimal_at, iso_date, path, text, text_at};
use crate::Reading;
use roxmltree::Node;
use rust_decimal::Decimal;
use stapel_domain::{
    AllowanceCharge, DocumentType, InvoiceLine, Source, VatBreakdown, VatCategory,
};

/// Map a UBL document whose root is `Invoice` or `CreditNote`.
pub(crate) fn read(root: Node<'_, '_>, is_credit_note: bool) -> Reading {
    let mut reading = Reading::new(Source::Ubl);
    let invoice = &mut reading.invoice;

    let type_code = if is_credit_note {
        text_at(root, &["CreditNoteTypeCode"])
    } else {
        text_at(root, &["InvoiceTypeCode"])
    };
    // The root decides first: a `CreditNote` is a credit note whatever its code. An `Invoice`
    // root carrying a credit-note code (381 and friends) is one too, as in CII.
    invoice.document_type = if is_credit_note {
        DocumentType::CreditNote
    } else {
        crate::document_type_from_code(type_code.as_deref())
    };

    invoice.invoice_number = text_at(root, &["ID"]);
    invoice.issue_date = child(root, "IssueDate").and_then(iso_date);
    // BT-9 sits at the root of an Invoice, but a CreditNote has no root DueDate in UBL 2.1;
    // Peppol puts it in the payment means there.
    invoice.due_date = child(root, "DueDate").and_then(iso_date).or_else(|| {
        children(root, "PaymentMeans")
            .find_map(|means| child(means, "PaymentDueDate").and_then(iso_date))
    });
    invoice.currency = text_at(root, &["DocumentCurrencyCode"]);

    if let Some(party) = path(root, &["AccountingSupplierParty", "Party"]) {
        invoice.supplier_name = party_name(party);
        invoice.supplier_vat_id = vat_id(party);
    }
    if let Some(party) = path(root, &["AccountingCustomerParty", "Party"]) {
        invoice.customer_name = party_name(party);
        invoice.customer_vat_id = vat_id(party);
    }

    let currency = invoice.currency.clone();
    if let Some(totals) = child(root, "LegalMonetaryTotal") {
        invoice.net_total = decimal_at(totals, &["TaxExclusiveAmount"]);
        invoice.gross_total = decimal_at(totals, &["TaxInclusiveAmount"]);
        invoice.amount_due = decimal_at(totals, &["PayableAmount"]);
        reading.declared = DeclaredTotals {
            line_total: decimal_at(totals, &["LineExtensionAmount"]),
            allowance_total: decimal_at(totals, &["AllowanceTotalAmount"]),
            charge_total: decimal_at(totals, &["ChargeTotalAmount"]),
            prepaid: decimal_at(totals, &["PrepaidAmount"]),
            rounding: decimal_at(totals, &["PayableRoundingAmount"]),
        };
    }
    let invoice = &mut reading.invoice;

    // A document may carry two TaxTotals: one in the invoice currency (with the breakdown) and
    // one in the accounting currency (BT-111, amount only). BT-110 is the first.
    let tax_totals: Vec<Node> = children(root, "TaxTotal").collect();
    let in_currency = |tax_total: &Node| {
        child(*tax_total, "TaxAmount").is_some_and(|amount| {
            currency.is_none() || amount.attribute("currencyID") == currency.as_deref()
        })
    };
    let main_total = tax_totals
        .iter()
        .find(|tax_total| in_currency(tax_total))
        .or_else(|| tax_totals.first());
    if let Some(tax_total) = main_total {
        invoice.vat_total = decimal_at(*tax_total, &["TaxAmount"]);
        invoice.vat_breakdown = children(*tax_total, "TaxSubtotal")
            .filter_map(|subtotal| {
                Some(VatBreakdown {
                    // Categories without a rate (E, O, AE, K, G) carry none: they tax at zero.
                    rate: decimal_at(subtotal, &["TaxCategory", "Percent"])
                        .unwrap_or(Decimal::ZERO),
                    base: decimal_at(subtotal, &["TaxableAmount"])?,
                    amount: decimal_at(subtotal, &["TaxAmount"])?,
                    // BT-118.
                    category: text_at(subtotal, &["TaxCategory", "ID"])
                        .and_then(|code| VatCategory::from_code(&code)),
                })
            })
            .collect();
    }

    // BT-84: the first payment means with a payee account. Credit transfers carry an IBAN here;
    // a direct-debit mandate's account (BT-91) is the buyer's, so it is deliberately not read.
    invoice.iban = children(root, "PaymentMeans")
        .find_map(|means| text_at(means, &["PayeeFinancialAccount", "ID"]))
        .map(|id| crate::normalise_identifier(&id));

    // BG-20/BG-21 at document level; line-level ones sit inside the lines.
    invoice.allowances_charges = children(root, "AllowanceCharge")
        .filter_map(|entry| {
            Some(AllowanceCharge {
                charge: text_at(entry, &["ChargeIndicator"])?.eq_ignore_ascii_case("true"),
                amount: decimal_at(entry, &["Amount"])?,
                reason: text_at(entry, &["AllowanceChargeReason"]),
                vat_rate: decimal_at(entry, &["TaxCategory", "Percent"]),
            })
        })
        .collect();
    // BT-20.
    invoice.payment_terms =
        children(root, "PaymentTerms").find_map(|terms| text_at(terms, &["Note"]));

    let line_name = if is_credit_note {
        "CreditNoteLine"
    } else {
        "InvoiceLine"
    };
    let quantity_name = if is_credit_note {
        "CreditedQuantity"
    } else {
        "InvoicedQuantity"
    };
    invoice.lines = children(root, line_name)
        .map(|line| InvoiceLine {
            description: path(line, &["Item", "Name"])
                .and_then(text)
                .or_else(|| text_at(line, &["Item", "Description"]))
                .unwrap_or_default(),
            quantity: child(line, quantity_name).and_then(decimal),
            // BT-146 as printed: the net price per BT-149 base quantity (usually 1).
            unit_price: decimal_at(line, &["Price", "PriceAmount"]),
            net_amount: decimal_at(line, &["LineExtensionAmount"]),
            vat_rate: decimal_at(line, &["Item", "ClassifiedTaxCategory", "Percent"]),
        })
        .collect();

    reading.finish();
    reading
}

/// BT-31/BT-48: the party's VAT identifier, from the `PartyTaxScheme` whose scheme is VAT (a
/// second one may carry a tax number of another scheme).
fn vat_id(party: Node<'_, '_>) -> Option<String> {
    children(party, "PartyTaxScheme")
        .find(|scheme| {
            text_at(*scheme, &["TaxScheme", "ID"]).is_some_and(|id| id.eq_ignore_ascii_case("VAT"))
        })
        .and_then(|scheme| text_at(scheme, &["CompanyID"]))
        .map(|id| crate::normalise_identifier(&id))
}

/// BT-27/BT-44: the legal registration name, else the trading name (BT-28/BT-45).
fn party_name(party: Node<'_, '_>) -> Option<String> {
    text_at(party, &["PartyLegalEntity", "RegistrationName"])
        .or_else(|| text_at(party, &["PartyName", "Name"]))
}
