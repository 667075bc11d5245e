//! Scoring an extraction against ground truth, shared by the accuracy harnesses: the
//! text-layer one (`crates/extract/examples/accuracy.rs`) and the OCR one
//! (`crates/pipeline/examples/ocr_accuracy.rs`, which includes this file by path), so both
//! count "right" by the same rules.
//!
//! Values compare exactly after normalising (names by case and spacing, identifiers without
//! spaces); a credit note compares by magnitude (some print it negative, some positive);
//! a truth without a separate amount due compares the found amount due, else gross total.

// Each harness uses its own part of this module.
#![allow(dead_code)]

pub mod truth;

use rust_decimal::Decimal;
use stapel_domain::{DocumentType, ExtractedInvoice};
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

/// Compare one extraction with its truth: credit notes by magnitude, misses whose truth is
/// nowhere in `text` marked, and the extractor's confidence attached to each field.
pub fn score(
    invoice: ExtractedInvoice,
    truth: Invoice,
    text: &str,
) -> BTreeMap<&'static str, FieldResult> {
    let (invoice, truth) = if truth.document_type == Some(DocumentType::CreditNote) {
        (unsigned_found(invoice), unsigned_truth(truth))
    } else {
        (invoice, truth)
    };
    let mut fields = compare(&invoice, &truth);
    mark_unprinted(&mut fields, text);
    for (field, result) in fields.iter_mut() {
        let key = if field.starts_with("lines") {
            "lines"
        } else {
            field
        };
        result.confidence = invoice.confidence.get(key).copied();
    }
    fields
}

/// `right/total = share%` of `fields` over `results`.
pub fn share(fields: &[&str], results: &[&BTreeMap<&'static str, FieldResult>]) -> String {
    let right: usize = fields
        .iter()
        .map(|field| {
            results
                .iter()
                .filter(|result| result[*field].is_right())
                .count()
        })
        .sum();
    let total = fields.len() * results.len();
    format!(
        "{right}/{total} = {:.1}%",
        100.0 * right as f64 / total.max(1) as f64
    )
}

/// The fields outside [`CORE_FIELDS`].
pub fn other_fields() -> Vec<&'static str> {
    FIELDS
        .iter()
        .copied()
        .filter(|field| !CORE_FIELDS.contains(field))
        .collect()
}

/// The per-field table (right / missing / wrong / truth not in the text) and the core and
/// other shares.
pub fn print_field_table(results: &[&BTreeMap<&'static str, FieldResult>]) {
    let total = results.len();
    println!(
        "  {:<16} {:>7} {:>8} {:>7} {:>13}",
        "field", "right", "missing", "wrong", "not in text"
    );
    for field in FIELDS {
        let right = results.iter().filter(|r| r[field].is_right()).count();
        let missing = results
            .iter()
            .filter(|r| !r[field].is_right() && r[field].found == "null")
            .count();
        let not_in_text = results.iter().filter(|r| r[field].not_printed).count();
        let wrong = total - right - missing;
        println!("  {field:<16} {right:>3}/{total:<3} {missing:>8} {wrong:>7} {not_in_text:>13}");
    }
    println!(
        "  core fields ({}): {}",
        CORE_FIELDS.join(", "),
        share(&CORE_FIELDS, results)
    );
    println!("  other fields: {}", share(&other_fields(), results));
    println!(
        "  (\"not in text\": the expected identifier, name or date appears nowhere in the text read)"
    );
}

/// Every miss of every document, with what was found, what was expected and the confidence.
pub fn print_misses(results: &[(String, BTreeMap<&'static str, FieldResult>)]) {
    println!("misses (\"wrong\" = a value that is not the truth, worse than null):");
    for (name, fields) in results {
        let short = Path::new(name)
            .file_name()
            .map_or(name.clone(), |n| n.to_string_lossy().into_owned());
        for field in FIELDS {
            let result = &fields[field];
            if result.is_right() {
                continue;
            }
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

/// The fields compared, in print order.
pub const FIELDS: [&str; 17] = [
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
pub const CORE_FIELDS: [&str; 7] = [
    "invoice_number",
    "issue_date",
    "currency",
    "net_total",
    "vat_total",
    "gross_total",
    "supplier_vat_id",
];

/// One field's ground truth and what the extractor found, both as comparable text.
#[derive(Clone)]
pub struct FieldResult {
    pub expected: String,
    pub found: String,
    /// The expected value appears nowhere in the text layer (some corpus PDFs show an older
    /// visualisation than their XML: a different date, a placeholder IBAN). Such a miss is not
    /// reachable from the text and is marked, not hidden.
    pub not_printed: bool,
    /// The XML has no BT-9, but its payment-terms text (BT-20) prints the found due date
    /// ("Zahlbar innerhalb 30 Tagen netto bis 04.04.2018"): the date is on the document, so it
    /// counts as right, and the table says how often that happened.
    pub from_payment_terms: bool,
    /// The extractor's confidence in what it found: a wrong value with high confidence is the
    /// worst kind of miss.
    pub confidence: Option<f32>,
}

impl FieldResult {
    pub fn is_right(&self) -> bool {
        self.expected == self.found
    }
}

/// Mark the misses whose expected value is not in the text at all. Only identifiers, names
/// and dates are checked; amounts and lists are printed in too many forms to tell.
pub fn mark_unprinted(results: &mut BTreeMap<&'static str, FieldResult>, text: &str) {
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
                let mut forms: Vec<String> = [
                    "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%B%e,%Y", "%d.%m.%y",
                ]
                .iter()
                .map(|format| squeeze(&date.format(format).to_string()))
                .collect();
                forms.extend(
                    dates_with_month_names(date)
                        .iter()
                        .map(|form| squeeze(form)),
                );
                forms
            }
            "invoice_number" | "supplier_name" | "customer_name" | "supplier_vat_id" | "iban" => {
                vec![squeeze(&result.expected)]
            }
            _ => continue,
        };
        result.not_printed = !forms.iter().any(|form| page.contains(form.as_str()));
    }
}

/// Month names of the synthetic corpus's six languages, January first: English (full and
/// short), German, Dutch, French, Italian, Danish.
pub const MONTH_NAMES: [[&str; 12]; 7] = [
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
    [
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ],
];

/// `date` written with a month name, in every language and the day forms the corpus prints
/// (`5 November 2026`, `5. November 2026`, `1er décembre 2026`, `November 5, 2026`).
pub fn dates_with_month_names(date: chrono::NaiveDate) -> Vec<String> {
    use chrono::Datelike;
    let (day, year) = (date.day(), date.year());
    let month_index = date.month0() as usize;
    let mut forms = Vec::new();
    for names in MONTH_NAMES {
        let month = names[month_index];
        forms.push(format!("{day} {month} {year}"));
        forms.push(format!("{day:02} {month} {year}"));
        forms.push(format!("{day}. {month} {year}"));
        forms.push(format!("{month} {day}, {year}"));
        if day == 1 {
            forms.push(format!("1er {month} {year}"));
        }
    }
    forms
}

/// One line item: quantity, unit price, net amount, VAT rate.
pub type LineTruth = (
    Option<Decimal>,
    Option<Decimal>,
    Option<Decimal>,
    Option<Decimal>,
);

/// Ground truth, in the extractor's vocabulary.
#[derive(Default)]
pub struct Invoice {
    pub document_type: Option<DocumentType>,
    pub invoice_number: Option<String>,
    pub issue_date: Option<String>,
    pub due_date: Option<String>,
    pub currency: Option<String>,
    pub supplier_name: Option<String>,
    pub supplier_vat_id: Option<String>,
    pub customer_name: Option<String>,
    pub net_total: Option<Decimal>,
    pub vat_total: Option<Decimal>,
    pub gross_total: Option<Decimal>,
    pub amount_due: Option<Decimal>,
    /// The key says "amount to pay", so an extractor that found no separate amount due is
    /// compared by its gross total.
    pub amount_due_defaults_to_gross: bool,
    /// (rate, base, amount) per rate.
    pub vat_breakdown: Vec<(Decimal, Decimal, Decimal)>,
    pub iban: Option<String>,
    /// BT-20, the payment terms as text.
    pub payment_terms: String,
    pub lines: Vec<LineTruth>,
}

/// Ground truth in the `*.expected.json` shape (the public `ExtractedInvoice` field names).
pub fn read_expected_json(json: &str) -> Option<Invoice> {
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

pub fn show<T: ToString>(value: Option<T>) -> String {
    value.map_or("null".to_owned(), |value| value.to_string())
}

/// Names compare with whitespace collapsed and case folded: a PDF prints "MUSTERLIEFERANT GMBH"
/// where the XML says "Musterlieferant GmbH" often enough that case is not an extraction error.
pub fn name(value: Option<&str>) -> String {
    show(value.map(|value| {
        value
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase()
    }))
}

pub fn compact(value: Option<&str>) -> String {
    show(value.map(|value| value.replace(' ', "").to_uppercase()))
}

pub fn amount(value: Option<Decimal>) -> String {
    show(value.map(|value| value.normalize()))
}

/// A credit note may print its amounts negative or positive, and stapel books both the same way
/// (see `stapel_booking`), so credit notes are compared by magnitude.
pub fn unsigned_found(mut invoice: ExtractedInvoice) -> ExtractedInvoice {
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

pub fn unsigned_truth(mut truth: Invoice) -> Invoice {
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

pub fn compare(found: &ExtractedInvoice, truth: &Invoice) -> BTreeMap<&'static str, FieldResult> {
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
