//! UN/CEFACT Cross Industry Invoice: D16B `CrossIndustryInvoice` (Factur-X / ZUGFeRD 2.x, all
//! profiles, XRechnung CII) and its predecessor ZUGFeRD 1.0 `CrossIndustryDocument`.
//!
//! The two share their building blocks and differ in the names of the containers, so one reader
//! takes a table of those names.

use crate::check::DeclaredTotals;
use crate::xml::{cefact_date, child, children, decimal, decimal_at, path, text, text_at};
use crate::Reading;
use roxmltree::Node;
use rust_decimal::Decimal;
use stapel_domain::{AllowanceCharge, InvoiceLine, Source, VatBreakdown, VatCategory};

/// The element names that differ between CII D16B and ZUGFeRD 1.0.
pub(crate) struct Dialect {
    header: &'static str,
    transaction: &'static str,
    agreement: &'static str,
    settlement: &'static str,
    summation: &'static str,
    rate: &'static str,
    line_agreement: &'static str,
    line_delivery: &'static str,
    line_settlement: &'static str,
    line_summation: &'static str,
}

/// CII D16B, the syntax of Factur-X, ZUGFeRD 2.x and XRechnung CII.
pub(crate) const D16B: Dialect = Dialect {
    header: "ExchangedDocument",
    transaction: "SupplyChainTradeTransaction",
    agreement: "ApplicableHeaderTradeAgreement",
    settlement: "ApplicableHeaderTradeSettlement",
    summation: "SpecifiedTradeSettlementHeaderMonetarySummation",
    rate: "RateApplicablePercent",
    line_agreement: "SpecifiedLineTradeAgreement",
    line_delivery: "SpecifiedLineTradeDelivery",
    line_settlement: "SpecifiedLineTradeSettlement",
    line_summation: "SpecifiedTradeSettlementLineMonetarySummation",
};

/// ZUGFeRD 1.0 (`urn:ferd:CrossIndustryDocument:invoice:1p0`), still found in German archives.
pub(crate) const ZUGFERD_1: Dialect = Dialect {
    header: "HeaderExchangedDocument",
    transaction: "SpecifiedSupplyChainTradeTransaction",
    agreement: "ApplicableSupplyChainTradeAgreement",
    settlement: "ApplicableSupplyChainTradeSettlement",
    summation: "SpecifiedTradeSettlementMonetarySummation",
    rate: "ApplicablePercent",
    line_agreement: "SpecifiedSupplyChainTradeAgreement",
    line_delivery: "SpecifiedSupplyChainTradeDelivery",
    line_settlement: "SpecifiedSupplyChainTradeSettlement",
    line_summation: "SpecifiedTradeSettlementMonetarySummation",
};

/// Map a CII document in the given dialect.
pub(crate) fn read(root: Node<'_, '_>, dialect: &Dialect) -> Reading {
    let mut reading = Reading::new(Source::Cii);
    let invoice = &mut reading.invoice;

    if let Some(header) = child(root, dialect.header) {
        invoice.invoice_number = text_at(header, &["ID"]);
        invoice.document_type =
            crate::document_type_from_code(text_at(header, &["TypeCode"]).as_deref());
        invoice.issue_date = child(header, "IssueDateTime").and_then(cefact_date);
    }
    let transaction = child(root, dialect.transaction);
    let agreement = transaction.and_then(|t| child(t, dialect.agreement));
    if let Some(agreement) = agreement {
        if let Some(seller) = child(agreement, "SellerTradeParty") {
            invoice.supplier_name = text_at(seller, &["Name"]);
            invoice.supplier_vat_id = vat_id(seller);
        }
        if let Some(buyer) = child(agreement, "BuyerTradeParty") {
            invoice.customer_name = text_at(buyer, &["Name"]);
            invoice.customer_vat_id = vat_id(buyer);
        }
    }

    let Some(settlement) = transaction.and_then(|t| child(t, dialect.settlement)) else {
        reading.finish();
        return reading;
    };
    invoice.currency = text_at(settlement, &["InvoiceCurrencyCode"]);
    invoice.due_date = children(settlement, "SpecifiedTradePaymentTerms")
        .find_map(|terms| child(terms, "DueDateDateTime").and_then(cefact_date));
    // BT-84: an IBAN, else a proprietary account id, from the first payment means with one.
    invoice.iban = children(settlement, "SpecifiedTradeSettlementPaymentMeans")
        .filter_map(|means| child(means, "PayeePartyCreditorFinancialAccount"))
        .find_map(|account| {
            text_at(account, &["IBANID"]).or_else(|| text_at(account, &["ProprietaryID"]))
        })
        .map(|id| crate::normalise_identifier(&id));
    invoice.vat_breakdown = children(settlement, "ApplicableTradeTax")
        .filter_map(|tax| {
            Some(VatBreakdown {
                // Exempt and out-of-scope categories may omit the rate: they tax at zero.
                rate: decimal_at(tax, &[dialect.rate]).unwrap_or(Decimal::ZERO),
                base: decimal_at(tax, &["BasisAmount"])?,
                amount: decimal_at(tax, &["CalculatedAmount"])?,
                // BT-118.
                category: text_at(tax, &["CategoryCode"])
                    .and_then(|code| VatCategory::from_code(&code)),
            })
        })
        .collect();

    // BG-20/BG-21 at document level; line-level ones sit inside the lines.
    invoice.allowances_charges = children(settlement, "SpecifiedTradeAllowanceCharge")
        .filter_map(|entry| {
            Some(AllowanceCharge {
                charge: text_at(entry, &["ChargeIndicator", "Indicator"])?
                    .eq_ignore_ascii_case("true"),
                amount: decimal_at(entry, &["ActualAmount"])?,
                reason: text_at(entry, &["Reason"]),
                vat_rate: decimal_at(entry, &["CategoryTradeTax", dialect.rate]),
            })
        })
        .collect();
    // BT-20.
    invoice.payment_terms = children(settlement, "SpecifiedTradePaymentTerms")
        .find_map(|terms| text_at(terms, &["Description"]));

    let currency = invoice.currency.clone();
    if let Some(summation) = child(settlement, dialect.summation) {
        invoice.net_total = decimal_at(summation, &["TaxBasisTotalAmount"]);
        // Up to two TaxTotalAmounts: in the invoice currency (BT-110) and in the accounting
        // currency (BT-111). Take the one in the invoice currency, or the unmarked one.
        let tax_totals: Vec<Node> = children(summation, "TaxTotalAmount").collect();
        invoice.vat_total = tax_totals
            .iter()
            .find(|amount| match amount.attribute("currencyID") {
                None => true,
                Some(id) => currency.as_deref().is_none_or(|currency| currency == id),
            })
            .or_else(|| tax_totals.first())
            .and_then(|amount| decimal(*amount));
        invoice.gross_total = decimal_at(summation, &["GrandTotalAmount"]);
        invoice.amount_due = decimal_at(summation, &["DuePayableAmount"]);
        reading.declared = DeclaredTotals {
            line_total: decimal_at(summation, &["LineTotalAmount"]),
            allowance_total: decimal_at(summation, &["AllowanceTotalAmount"]),
            charge_total: decimal_at(summation, &["ChargeTotalAmount"]),
            prepaid: decimal_at(summation, &["TotalPrepaidAmount"]),
            rounding: decimal_at(summation, &["RoundingAmount"]),
        };
    }

    if let Some(transaction) = transaction {
        reading.invoice.lines = children(transaction, "IncludedSupplyChainTradeLineItem")
            // EXTENDED profile sub-lines (with a parent line) are details of a group line whose
            // amount already counts them; reading them too would count twice.
            .filter(|line| {
                path(
                    line.to_owned(),
                    &["AssociatedDocumentLineDocument", "ParentLineID"],
                )
                .is_none()
            })
            .map(|line| line_item(line, dialect))
            .collect();
    }
    reading.finish();
    reading
}

/// BT-31/BT-48: the party's VAT identifier, the tax registration with scheme `VA` (`FC` is a
/// national tax number, not a VAT id).
fn vat_id(party: Node<'_, '_>) -> Option<String> {
    children(party, "SpecifiedTaxRegistration")
        .filter_map(|registration| child(registration, "ID"))
        .find(|id| id.attribute("schemeID") == Some("VA"))
        .and_then(text)
        .map(|id| crate::normalise_identifier(&id))
}

fn line_item(line: Node<'_, '_>, dialect: &Dialect) -> InvoiceLine {
    let settlement = child(line, dialect.line_settlement);
    InvoiceLine {
        description: text_at(line, &["SpecifiedTradeProduct", "Name"])
            .or_else(|| text_at(line, &["SpecifiedTradeProduct", "Description"]))
            .unwrap_or_default(),
        quantity: decimal_at(line, &[dialect.line_delivery, "BilledQuantity"]),
        // BT-146 as printed: the net price per BT-149 basis quantity (usually 1).
        unit_price: decimal_at(
            line,
            &[
                dialect.line_agreement,
                "NetPriceProductTradePrice",
                "ChargeAmount",
            ],
        ),
        net_amount: settlement
            .and_then(|s| decimal_at(s, &[dialect.line_summation, "LineTotalAmount"])),
        vat_rate: settlement.and_then(|s| decimal_at(s, &["ApplicableTradeTax", dialect.rate])),
    }
}
