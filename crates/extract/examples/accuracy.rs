//! Field-extraction accuracy on hybrid PDFs (Factur-X / ZUGFeRD) whose ground truth is the CII
//! XML embedded in them.
//!
//! ```sh
//! cargo run -p stapel-extract --example accuracy -- ../shared/data/facturx
//! ```
//!
//! Every `*.pdf` under the given folders (recursively) is read through the text layer only
//! (`extract_pdf_text` + `parse_pdf_text`); the embedded XML is used as the answer key,
//! never as input. The ground truth is the CII XML beside the PDF when a sibling `CII/` folder
//! holds `<name>.cii.xml`, else the XML embedded in the PDF. PDFs without a CII invoice are
//! listed as skipped. Prints per-field exact-match accuracy and every miss (found vs expected).
//!
//! A folder that does not exist is reported and skipped, so the command (and the project) does
//! not depend on the shared data being present. Exit code 0 unless no folder could be read.

use rust_decimal::Decimal;
use stapel_domain::{DocumentType, ExtractedInvoice};
use stapel_extract::{extract_pdf_text, parse_pdf_text, PdfLimits};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The fields compared, in print order.
const FIELDS: [&str; 17] = [
    "document_type",
    "invoice_number",
    "issue_date",
    "due_date",
    "currency",
    "supplier_name",
    "supplier_vat_id",
    "customer_name",
    "net_total",
    "vat_total",
    "gross_total",
    "amount_due",
    "vat_breakdown",
    "iban",
    "lines_count",
    "lines_net",
    "lines_exact",
];

/// The fields the issue holds to ≥ 95 % exact; the rest to ≥ 90 %.
const CORE_FIELDS: [&str; 7] = [
    "invoice_number",
    "issue_date",
    "currency",
    "net_total",
    "vat_total",
    "gross_total",
    "supplier_vat_id",
];

/// One field's ground truth and what the extractor found, both as comparable text.
struct FieldResult {
    expected: String,
    found: String,
    /// The expected value appears nowhere in the text layer (some corpus PDFs show an older
    /// visualisation than their XML: a different date, a placeholder IBAN). Such a miss is not
    /// reachable from the text and is marked, not hidden.
    not_printed: bool,
    /// The XML has no BT-9, but its payment-terms text (BT-20) prints the found due date
    /// ("Zahlbar innerhalb 30 Tagen netto bis 04.04.2018"): the date is on the document, so it
    /// counts as right, and the table says how often that happened.
    from_payment_terms: bool,
    /// The extractor's confidence in what it found: a wrong value with high confidence is the
    /// worst kind of miss.
    confidence: Option<f32>,
}

impl FieldResult {
    fn is_right(&self) -> bool {
        self.expected == self.found
    }
}

fn main() {
    let folders: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if folders.is_empty() {
        eprintln!("usage: accuracy <folder>...  (e.g. ../shared/data/facturx)");
        std::process::exit(1);
    }
    let mut pdfs = Vec::new();
    let mut readable_folders = 0;
    for folder in &folders {
        if !folder.is_dir() {
            println!(
                "skipped: {} is not a folder (absent here?)",
                folder.display()
            );
            continue;
        }
        readable_folders += 1;
        collect_pdfs(folder, &mut pdfs);
    }
    if readable_folders == 0 {
        println!("no corpus folder present; nothing measured");
        return;
    }
    pdfs.sort();
    pdfs.dedup();

    let mut results: Vec<(String, BTreeMap<&'static str, FieldResult>)> = Vec::new();
    for pdf in &pdfs {
        let name = pdf.display().to_string();
        let Some(truth) = ground_truth(pdf) else {
            println!("skipped: {name} (no CII invoice embedded or beside it)");
            continue;
        };
        let mut page_text = String::new();
        let invoice = match std::fs::read(pdf)
            .map_err(|error| error.to_string())
            .and_then(|bytes| {
                extract_pdf_text(&bytes, &PdfLimits::default()).map_err(|error| error.to_string())
            }) {
            Ok(text) => {
                page_text = format!("{}\n{}", text.full_text(), text.full_layout_text());
                parse_pdf_text(&text)
            }
            Err(error) => {
                println!("text layer unreadable: {name}: {error}");
                ExtractedInvoice::default()
            }
        };
        let (invoice, truth) = if truth.document_type == Some(DocumentType::CreditNote) {
            (unsigned_found(invoice), unsigned_truth(truth))
        } else {
            (invoice, truth)
        };
        let mut compared = compare(&invoice, &truth);
        mark_unprinted(&mut compared, &page_text);
        for (field, result) in compared.iter_mut() {
            let key = if field.starts_with("lines") {
                "lines"
            } else {
                field
            };
            result.confidence = invoice.confidence.get(key).copied();
        }
        results.push((name, compared));
    }
    if results.is_empty() {
        println!("no PDF with ground truth found");
        return;
    }

    println!();
    println!("per-field exact-match accuracy on {} PDFs:", results.len());
    println!(
        "  {:<16} {:>7} {:>8} {:>7}",
        "field", "right", "missing", "wrong"
    );
    for field in FIELDS {
        let right = results.iter().filter(|(_, r)| r[field].is_right()).count();
        let missing = results
            .iter()
            .filter(|(_, r)| !r[field].is_right() && r[field].found == "null")
            .count();
        let wrong = results.len() - right - missing;
        println!(
            "  {field:<16} {:>3}/{:<3} {missing:>8} {wrong:>7}",
            right,
            results.len()
        );
    }
    let share = |fields: &[&str]| {
        let right: usize = fields
            .iter()
            .map(|field| results.iter().filter(|(_, r)| r[*field].is_right()).count())
            .sum();
        let total = fields.len() * results.len();
        format!(
            "{right}/{total} = {:.1}%",
            100.0 * right as f64 / total as f64
        )
    };
    let rest: Vec<&str> = FIELDS
        .iter()
        .copied()
        .filter(|field| !CORE_FIELDS.contains(field))
        .collect();
    println!(
        "  core fields ({}): {}",
        CORE_FIELDS.join(", "),
        share(&CORE_FIELDS)
    );
    println!("  other fields: {}", share(&rest));
    let from_terms = results
        .iter()
        .filter(|(_, r)| r["due_date"].from_payment_terms)
        .count();
    println!(
        "  (due_date: {from_terms} counted right because the XML has no BT-9 but its payment-terms text BT-20 prints the found date)"
    );
    println!();
    println!("misses (\"wrong\" = a value that is not the truth, worse than null):");
    for (name, fields) in &results {
        let short = Path::new(name)
            .file_name()
            .map_or(name.clone(), |n| n.to_string_lossy().into_owned());
        for field in FIELDS {
            let result = &fields[field];
            if !result.is_right() {
                let kind = match (result.found == "null", result.not_printed) {
                    (true, false) => "missing",
                    (true, true) => "missing, truth not in text",
                    (false, false) => "WRONG",
                    (false, true) => "WRONG, truth not in text",
                };
                let confidence = result
                    .confidence
                    .map_or(String::new(), |value| format!(" (confidence {value:.2})"));
                println!(
                    "  {short} {field} [{kind}]: found {}{confidence} expected {}",
                    result.found, result.expected
                );
            }
        }
    }
}

/// Mark the misses whose expected value is not in the text at all. Only identifiers, names
/// and dates are checked; amounts and lists are printed in too many forms to tell.
fn mark_unprinted(results: &mut BTreeMap<&'static str, FieldResult>, text: &str) {
    let squeeze = |value: &str| -> String {
        value
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect()
    };
    let page = squeeze(text);
    for (field, result) in results.iter_mut() {
        if result.is_right() || result.expected == "null" {
            continue;
        }
        let forms: Vec<String> = match *field {
            "issue_date" | "due_date" => {
                let Ok(date) = chrono::NaiveDate::parse_from_str(&result.expected, "%Y-%m-%d")
                else {
                    continue;
                };
                [
                    "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%B%e,%Y", "%d.%m.%y",
                ]
                .iter()
                .map(|format| squeeze(&date.format(format).to_string()))
                .collect()
            }
            "invoice_number" | "supplier_name" | "customer_name" | "supplier_vat_id" | "iban" => {
                vec![squeeze(&result.expected)]
            }
            _ => continue,
        };
        result.not_printed = !forms.iter().any(|form| page.contains(form.as_str()));
    }
}

fn collect_pdfs(folder: &Path, pdfs: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_pdfs(&path, pdfs);
        } else if path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("pdf"))
        {
            pdfs.push(path);
        }
    }
}

/// The answer key for `pdf`: `<stem>.expected.json` beside it (stapel's own samples and the
/// synthetic generator in `bench/synth/`), else `../CII/<stem>.cii.xml`, else the embedded CII.
fn ground_truth(pdf: &Path) -> Option<Invoice> {
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

/// One line item: quantity, unit price, net amount, VAT rate.
type LineTruth = (
    Option<Decimal>,
    Option<Decimal>,
    Option<Decimal>,
    Option<Decimal>,
);

/// Ground truth, in the extractor's vocabulary.
#[derive(Default)]
struct Invoice {
    document_type: Option<DocumentType>,
    invoice_number: Option<String>,
    issue_date: Option<String>,
    due_date: Option<String>,
    currency: Option<String>,
    supplier_name: Option<String>,
    supplier_vat_id: Option<String>,
    customer_name: Option<String>,
    net_total: Option<Decimal>,
    vat_total: Option<Decimal>,
    gross_total: Option<Decimal>,
    amount_due: Option<Decimal>,
    /// The key says "amount to pay", so an extractor that found no separate amount due is
    /// compared by its gross total.
    amount_due_defaults_to_gross: bool,
    /// (rate, base, amount) per rate.
    vat_breakdown: Vec<(Decimal, Decimal, Decimal)>,
    iban: Option<String>,
    /// BT-20, the payment terms as text.
    payment_terms: String,
    lines: Vec<LineTruth>,
}

/// Ground truth in the `*.expected.json` shape (the public `ExtractedInvoice` field names).
fn read_expected_json(json: &str) -> Option<Invoice> {
    let value: serde_json::Value = match serde_json::from_str(json) {
        Ok(value) => value,
        Err(error) => {
            println!("unreadable ground truth: {error}");
            return None;
        }
    };
    let text = |key: &str| value.get(key)?.as_str().map(str::to_owned);
    let decimal =
        |value: &serde_json::Value, key: &str| Decimal::from_str(value.get(key)?.as_str()?).ok();
    let document_type = match text("document_type").as_deref() {
        Some("credit_note") => DocumentType::CreditNote,
        _ => DocumentType::Invoice,
    };
    let gross_total = decimal(&value, "gross_total");
    let list = |key: &str| {
        value
            .get(key)
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default()
    };
    Some(Invoice {
        document_type: Some(document_type),
        invoice_number: text("invoice_number"),
        issue_date: text("issue_date"),
        due_date: text("due_date"),
        currency: text("currency"),
        supplier_name: text("supplier_name"),
        supplier_vat_id: text("supplier_vat_id"),
        customer_name: text("customer_name"),
        net_total: decimal(&value, "net_total"),
        vat_total: decimal(&value, "vat_total"),
        gross_total,
        // No separate amount due printed: the amount to pay is the gross total.
        amount_due: decimal(&value, "amount_due").or(gross_total),
        amount_due_defaults_to_gross: true,
        vat_breakdown: list("vat_breakdown")
            .iter()
            .filter_map(|entry| {
                Some((
                    decimal(entry, "rate")?,
                    decimal(entry, "base")?,
                    decimal(entry, "amount")?,
                ))
            })
            .collect(),
        iban: text("iban"),
        payment_terms: String::new(),
        lines: list("lines")
            .iter()
            .map(|line| {
                (
                    decimal(line, "quantity"),
                    decimal(line, "unit_price"),
                    decimal(line, "net_amount"),
                    decimal(line, "vat_rate"),
                )
            })
            .collect(),
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

fn read_cii(xml: &str) -> Option<Invoice> {
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

fn show<T: ToString>(value: Option<T>) -> String {
    value.map_or("null".to_owned(), |value| value.to_string())
}

/// Names compare with whitespace collapsed and case folded: a PDF prints "MUSTERLIEFERANT GMBH"
/// where the XML says "Musterlieferant GmbH" often enough that case is not an extraction error.
fn name(value: Option<&str>) -> String {
    show(value.map(|value| {
        value
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase()
    }))
}

fn compact(value: Option<&str>) -> String {
    show(value.map(|value| value.replace(' ', "").to_uppercase()))
}

fn amount(value: Option<Decimal>) -> String {
    show(value.map(|value| value.normalize()))
}

/// A credit note may print its amounts negative or positive, and stapel books both the same way
/// (see `stapel_booking`), so credit notes are compared by magnitude.
fn unsigned_found(mut invoice: ExtractedInvoice) -> ExtractedInvoice {
    for amount in [
        &mut invoice.net_total,
        &mut invoice.vat_total,
        &mut invoice.gross_total,
        &mut invoice.amount_due,
    ] {
        *amount = amount.map(|value| value.abs());
    }
    for entry in &mut invoice.vat_breakdown {
        entry.base = entry.base.abs();
        entry.amount = entry.amount.abs();
    }
    for line in &mut invoice.lines {
        line.quantity = line.quantity.map(|value| value.abs());
        line.unit_price = line.unit_price.map(|value| value.abs());
        line.net_amount = line.net_amount.map(|value| value.abs());
    }
    invoice
}

fn unsigned_truth(mut truth: Invoice) -> Invoice {
    for amount in [
        &mut truth.net_total,
        &mut truth.vat_total,
        &mut truth.gross_total,
        &mut truth.amount_due,
    ] {
        *amount = amount.map(|value| value.abs());
    }
    for (_, base, amount) in &mut truth.vat_breakdown {
        *base = base.abs();
        *amount = amount.abs();
    }
    for (quantity, price, net, _) in &mut truth.lines {
        *quantity = quantity.map(|value| value.abs());
        *price = price.map(|value| value.abs());
        *net = net.map(|value| value.abs());
    }
    truth
}

fn compare(found: &ExtractedInvoice, truth: &Invoice) -> BTreeMap<&'static str, FieldResult> {
    let mut results = BTreeMap::new();
    let mut add = |field: &'static str, expected: String, found: String| {
        results.insert(
            field,
            FieldResult {
                expected,
                found,
                not_printed: false,
                from_payment_terms: false,
                confidence: None,
            },
        );
    };
    let document_type = |value: DocumentType| format!("{value:?}");
    add(
        "document_type",
        show(truth.document_type.map(document_type)),
        document_type(found.document_type),
    );
    add(
        "invoice_number",
        show(truth.invoice_number.clone()),
        show(found.invoice_number.clone()),
    );
    add(
        "issue_date",
        show(truth.issue_date.clone()),
        show(found.issue_date),
    );
    add(
        "currency",
        show(truth.currency.clone()),
        show(found.currency.clone()),
    );
    add(
        "supplier_name",
        name(truth.supplier_name.as_deref()),
        name(found.supplier_name.as_deref()),
    );
    add(
        "supplier_vat_id",
        compact(truth.supplier_vat_id.as_deref()),
        compact(found.supplier_vat_id.as_deref()),
    );
    add(
        "customer_name",
        name(truth.customer_name.as_deref()),
        name(found.customer_name.as_deref()),
    );
    add(
        "net_total",
        amount(truth.net_total),
        amount(found.net_total),
    );
    add(
        "vat_total",
        amount(truth.vat_total),
        amount(found.vat_total),
    );
    add(
        "gross_total",
        amount(truth.gross_total),
        amount(found.gross_total),
    );
    let found_due = if truth.amount_due_defaults_to_gross {
        found.amount_due.or(found.gross_total)
    } else {
        found.amount_due
    };
    add("amount_due", amount(truth.amount_due), amount(found_due));
    let breakdown = |entries: Vec<(Decimal, Decimal, Decimal)>| {
        let mut entries: Vec<String> = entries
            .into_iter()
            .map(|(rate, base, amount)| {
                format!(
                    "{}%:{}:{}",
                    rate.normalize(),
                    base.normalize(),
                    amount.normalize()
                )
            })
            .collect();
        entries.sort();
        if entries.is_empty() {
            "null".to_owned()
        } else {
            format!("[{}]", entries.join(" "))
        }
    };
    add(
        "vat_breakdown",
        breakdown(truth.vat_breakdown.clone()),
        breakdown(
            found
                .vat_breakdown
                .iter()
                .map(|entry| (entry.rate, entry.base, entry.amount))
                .collect(),
        ),
    );
    add(
        "iban",
        compact(truth.iban.as_deref()),
        compact(found.iban.as_deref()),
    );
    let null_if_empty =
        |count: usize, text: String| if count == 0 { "null".to_owned() } else { text };
    add(
        "lines_count",
        null_if_empty(truth.lines.len(), truth.lines.len().to_string()),
        null_if_empty(found.lines.len(), found.lines.len().to_string()),
    );
    let nets = |nets: Vec<Option<Decimal>>| {
        let shown: Vec<String> = nets.into_iter().map(amount).collect();
        null_if_empty(shown.len(), format!("[{}]", shown.join(" ")))
    };
    add(
        "lines_net",
        nets(truth.lines.iter().map(|line| line.2).collect()),
        nets(found.lines.iter().map(|line| line.net_amount).collect()),
    );
    let exact = |lines: Vec<LineTruth>| {
        let shown: Vec<String> = lines
            .into_iter()
            .map(|(quantity, price, net, rate)| {
                format!(
                    "{}x{}={}@{}",
                    amount(quantity),
                    amount(price),
                    amount(net),
                    amount(rate)
                )
            })
            .collect();
        null_if_empty(shown.len(), format!("[{}]", shown.join(" ")))
    };
    add(
        "lines_exact",
        exact(truth.lines.clone()),
        exact(
            found
                .lines
                .iter()
                .map(|line| {
                    (
                        line.quantity,
                        line.unit_price,
                        line.net_amount,
                        line.vat_rate,
                    )
                })
                .collect(),
        ),
    );
    let due_in_terms = truth.due_date.is_none()
        && found.due_date.is_some_and(|date| {
            truth
                .payment_terms
                .contains(&date.format("%d.%m.%Y").to_string())
                || truth.payment_terms.contains(&date.to_string())
        });
    if due_in_terms {
        let date = show(found.due_date);
        results.insert(
            "due_date",
            FieldResult {
                expected: date.clone(),
                found: date,
                not_printed: false,
                from_payment_terms: true,
                confidence: None,
            },
        );
    } else {
        results.insert(
            "due_date",
            FieldResult {
                expected: show(truth.due_date.clone()),
                found: show(found.due_date),
                not_printed: false,
                from_payment_terms: false,
                confidence: None,
            },
        );
    }
    results
}
