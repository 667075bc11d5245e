//! Ground truth for a PDF: `<stem>.expected.json` beside it, else the CII XML beside or
//! embedded in it (Factur-X / ZUGFeRD), read here independently of `stapel-einvoice`.

use super::{read_expected_json, Invoice};
use rust_decimal::Decimal;
use stapel_domain::DocumentType;
use std::path::Path;
use std::str::FromStr;

/// The answer key for `pdf`: `<stem>.expected.json` beside it (stapel's own samples and the
/// synthetic generator in `bench/synth/`), else `../CII/<stem>.cii.xml`, else the embedded CII.
pub fn ground_truth(pdf: &Path) -> Option<Invoice> {
    let stem = pdf.file_stem()?.to_string_lossy().into_owned();
    let expected = pdf.with_file_name(format!("{stem}.expected.json"));
    if expected.is_file() {
        return read_expected_json(&std::fs::read_to_string(expected).ok()?);
    }
    let sidecar = pdf
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("CII").join(format!("{stem}.cii.xml")));
    let xml = match sidecar.filter(|path| path.is_file()) {
        Some(path) => std::fs::read_to_string(path).ok()?,
        None => embedded_cii(&std::fs::read(pdf).ok()?)?,
    };
    read_cii(&xml)
}

/// The first stream in the PDF that parses as a CII invoice (the embedded `factur-x.xml`).
fn embedded_cii(pdf: &[u8]) -> Option<String> {
    let document = match lopdf::Document::load_mem(pdf) {
        Ok(document) => document,
        Err(error) => {
            println!("cannot read the PDF structure: {error}");
            return None;
        }
    };
    document.objects.values().find_map(|object| {
        let lopdf::Object::Stream(stream) = object else {
            return None;
        };
        let content = stream
            .decompressed_content()
            .unwrap_or_else(|_| stream.content.clone());
        let text = String::from_utf8(content).ok()?;
        // The XMP metadata names the Factur-X namespace too; only a parsable invoice counts.
        read_cii(&text).is_some().then_some(text)
    })
}

fn local<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &str,
) -> Option<roxmltree::Node<'a, 'input>> {
    node.children()
        .find(|child| child.is_element() && child.tag_name().name() == name)
}

fn descendant<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &str,
) -> Option<roxmltree::Node<'a, 'input>> {
    node.descendants()
        .find(|child| child.is_element() && child.tag_name().name() == name)
}

fn path<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    names: &[&str],
) -> Option<roxmltree::Node<'a, 'input>> {
    names.iter().try_fold(node, |node, name| local(node, name))
}

fn text(node: Option<roxmltree::Node>) -> Option<String> {
    let text = node?.text()?.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn decimal(node: Option<roxmltree::Node>) -> Option<Decimal> {
    text(node).and_then(|text| Decimal::from_str(&text).ok())
}

/// Format 102 (`20241115`) to ISO (`2024-11-15`).
fn date(node: Option<roxmltree::Node>) -> Option<String> {
    let text = text(node.and_then(|node| descendant(node, "DateTimeString")))?;
    (text.len() == 8).then(|| format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..8]))
}

pub fn read_cii(xml: &str) -> Option<Invoice> {
    let document = roxmltree::Document::parse(xml).ok()?;
    let root = document.root_element();
    let header = local(root, "ExchangedDocument")?;
    let transaction = local(root, "SupplyChainTradeTransaction")?;
    let agreement = local(transaction, "ApplicableHeaderTradeAgreement")?;
    let settlement = local(transaction, "ApplicableHeaderTradeSettlement")?;
    let seller = local(agreement, "SellerTradeParty");
    let buyer = local(agreement, "BuyerTradeParty");
    let currency = text(local(settlement, "InvoiceCurrencyCode"));
    let summation = local(
        settlement,
        "SpecifiedTradeSettlementHeaderMonetarySummation",
    );
    let amount = |name: &str| summation.and_then(|node| decimal(local(node, name)));
    // Two TaxTotalAmounts when the VAT currency differs; the invoice currency's is the total.
    let vat_total = summation.and_then(|node| {
        node.children()
            .filter(|child| child.tag_name().name() == "TaxTotalAmount")
            .find(|child| {
                child
                    .attribute("currencyID")
                    .is_none_or(|id| Some(id) == currency.as_deref())
            })
            .and_then(|child| decimal(Some(child)))
    });
    let seller_vat = seller.and_then(|seller| {
        seller
            .children()
            .filter(|child| child.tag_name().name() == "SpecifiedTaxRegistration")
            .filter_map(|registration| local(registration, "ID"))
            .find(|id| id.attribute("schemeID") == Some("VA"))
            .and_then(|id| text(Some(id)))
    });
    let vat_breakdown = settlement
        .children()
        .filter(|child| child.tag_name().name() == "ApplicableTradeTax")
        .filter_map(|tax| {
            Some((
                decimal(local(tax, "RateApplicablePercent")).unwrap_or_default(),
                decimal(local(tax, "BasisAmount"))?,
                decimal(local(tax, "CalculatedAmount"))?,
            ))
        })
        .collect();
    let iban = settlement
        .children()
        .filter(|child| child.tag_name().name() == "SpecifiedTradeSettlementPaymentMeans")
        .find_map(|means| {
            text(path(
                means,
                &["PayeePartyCreditorFinancialAccount", "IBANID"],
            ))
        });
    let lines = transaction
        .children()
        .filter(|child| child.tag_name().name() == "IncludedSupplyChainTradeLineItem")
        .map(|line| {
            let agreement = local(line, "SpecifiedLineTradeAgreement");
            let delivery = local(line, "SpecifiedLineTradeDelivery");
            let settlement = local(line, "SpecifiedLineTradeSettlement");
            (
                delivery.and_then(|node| decimal(local(node, "BilledQuantity"))),
                agreement.and_then(|node| {
                    decimal(path(node, &["NetPriceProductTradePrice", "ChargeAmount"]))
                }),
                settlement.and_then(|node| {
                    decimal(path(
                        node,
                        &[
                            "SpecifiedTradeSettlementLineMonetarySummation",
                            "LineTotalAmount",
                        ],
                    ))
                }),
                settlement.and_then(|node| {
                    decimal(path(node, &["ApplicableTradeTax", "RateApplicablePercent"]))
                }),
            )
        })
        .collect();
    Some(Invoice {
        document_type: text(local(header, "TypeCode")).map(|code| {
            if code == "381" {
                DocumentType::CreditNote
            } else {
                DocumentType::Invoice
            }
        }),
        invoice_number: text(local(header, "ID")),
        issue_date: date(local(header, "IssueDateTime")),
        due_date: local(settlement, "SpecifiedTradePaymentTerms")
            .and_then(|terms| date(local(terms, "DueDateDateTime"))),
        currency,
        supplier_name: seller.and_then(|node| text(local(node, "Name"))),
        supplier_vat_id: seller_vat,
        customer_name: buyer.and_then(|node| text(local(node, "Name"))),
        net_total: amount("TaxBasisTotalAmount"),
        vat_total,
        gross_total: amount("GrandTotalAmount"),
        amount_due: amount("DuePayableAmount"),
        amount_due_defaults_to_gross: false,
        vat_breakdown,
        iban,
        payment_terms: settlement
            .children()
            .filter(|child| child.tag_name().name() == "SpecifiedTradePaymentTerms")
            .filter_map(|terms| text(local(terms, "Description")))
            .collect::<Vec<_>>()
            .join("\n"),
        lines,
    })
}
