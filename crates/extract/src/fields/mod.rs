//! A template-free field parser for European invoices: text in, [`ExtractedInvoice`] out.
//!
//! The parser reads the text line by line. [`labels`] finds what each line announces (in
//! English, Dutch, German, Danish, Italian and French); the value is read after the label on the
//! same line, or on the next line when the label stands alone. Amounts are parsed by
//! [`numbers`], dates by [`dates`], VAT numbers and IBANs by [`ids`]. The totals are then decided
//! together by [`totals`]: `net + vat = gross` is evidence, and raises confidence. Line items
//! come from [`line_items`], where `quantity × unit price = net` is the evidence per row and
//! "lines sum to the net total" sets the confidence of the whole list.
//!
//! A wrong value is worse than a missing one, so several rules exist only to refuse: labels that
//! name another document ("N° de facture associée") do not count, an IBAN in a direct-debit
//! context or labelled as the buyer's is not the payee's, and a VAT number in a tax
//! representative's block is not the supplier's. Values that are only inferred (a due date
//! computed from "payable within 30 days", a number from a bare "Invoice 103767" title) get a
//! lower confidence than printed, labelled ones.
//!
//! **Invariant:** never panics, on any input (see the property test).
//! **Invariant:** never invents a value: a field it cannot read stays `None`.

mod dates;
mod ids;
mod labels;
mod line_items;
mod numbers;
mod parties;
mod readings;
mod totals;

pub use readings::{merge_readings, parse_pdf_text};

use chrono::NaiveDate;
use labels::{find_labels, LabelKind, LabelMatch, Strength};
use numbers::{find_amounts, parse_number, NumberStyle};
use rust_decimal::Decimal;
use stapel_domain::{DocumentType, ExtractedInvoice, Source};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use totals::{AmountCandidate, BreakdownCandidate};

/// Parse invoice fields from the text layer of one document.
pub fn parse_invoice_text(text: &str) -> ExtractedInvoice {
    let document = Document::new(text);
    let mut invoice = ExtractedInvoice {
        source: Source::Text,
        ..ExtractedInvoice::default()
    };
    let mut confidence = BTreeMap::new();
    let mut set_confidence = |field: &str, value: f32| {
        confidence.insert(field.to_owned(), value.clamp(0.0, 1.0));
    };

    invoice.document_type = document.document_type();

    let title_number = document.title_number();
    if let Some((number, score)) = document.invoice_number().or_else(|| {
        title_number
            .as_ref()
            .map(|(number, _)| (number.clone(), TITLE_NUMBER))
    }) {
        invoice.invoice_number = Some(number);
        set_confidence("invoice_number", score);
    }
    let issue = document
        .date_for(LabelKind::IssueDate)
        .or_else(|| document.date_on_number_line())
        .or_else(|| document.date_below_title(title_number.as_ref()?.1));
    if let Some(found) = issue {
        invoice.issue_date = Some(found.date);
        set_confidence("issue_date", found.confidence);
    }
    if let Some(found) = document.date_for(LabelKind::DueDate) {
        let before_issue = invoice.issue_date.is_some_and(|issue| found.date < issue);
        invoice.due_date = Some(found.date);
        set_confidence(
            "due_date",
            if before_issue { 0.3 } else { found.confidence },
        );
    } else if let Some(found) = document.pay_by_date(invoice.issue_date) {
        invoice.due_date = Some(found.date);
        set_confidence("due_date", found.confidence);
    } else if let Some(issue) = invoice.issue_date {
        // "Payable within 30 days": a computed date, so less sure than a printed one.
        if let Some(days) = document.payment_days() {
            invoice.due_date = issue.checked_add_days(chrono::Days::new(days));
            set_confidence("due_date", TERMS_DUE_DATE);
        }
    }

    let (candidates, breakdown_lines, single_rate) = document.amount_candidates();
    let totals = totals::decide_totals(&candidates, &breakdown_lines);
    let amount_fields = [
        ("net_total", totals.net, &mut invoice.net_total),
        ("vat_total", totals.vat, &mut invoice.vat_total),
        ("gross_total", totals.gross, &mut invoice.gross_total),
        ("amount_due", totals.amount_due, &mut invoice.amount_due),
    ];
    for (name, chosen, slot) in amount_fields {
        if let Some(chosen) = chosen {
            *slot = Some(chosen.value);
            set_confidence(name, chosen.confidence);
        }
    }
    invoice.vat_breakdown = totals.breakdown.clone();
    if invoice.vat_breakdown.is_empty() {
        // Without a printed rate, a reconciled VAT total of zero still says the one rate is
        // 0 % (exempt or reverse charge: "Umsatzsteuerbefreit nach §4 Nr. 10a UStG").
        let rate = single_rate.or_else(|| {
            let zero_vat = totals.vat.is_some_and(|vat| vat.value.is_zero());
            (totals.reconciled && zero_vat).then_some(Decimal::ZERO)
        });
        if let Some(entry) = rate.and_then(|rate| totals::single_rate_breakdown(rate, &totals)) {
            invoice.vat_breakdown.push(entry);
        }
    }

    invoice.lines = line_items::find_line_items(&document.lines, &document.labels, document.style);
    // A rate a row shows must be one of the document's VAT rates ("Loyalty discount 3%" is not a
    // VAT rate); with one rate on the whole document, every row is at that rate.
    let document_rates: Vec<Decimal> = invoice
        .vat_breakdown
        .iter()
        .map(|entry| entry.rate)
        .collect();
    for line in &mut invoice.lines {
        match (line.vat_rate, document_rates.as_slice()) {
            (Some(rate), rates) if !rates.is_empty() && !rates.contains(&rate) => {
                line.vat_rate = (rates.len() == 1).then(|| rates[0]);
            }
            (None, [only]) => line.vat_rate = Some(*only),
            _ => {}
        }
    }
    // Two rates and rows that do not print theirs: the breakdown's bases say which rows are at
    // which rate when exactly one split of the rows adds up to them.
    if let [first, second] = invoice.vat_breakdown.as_slice() {
        if invoice.lines.iter().all(|line| line.vat_rate.is_none()) {
            let nets: Option<Vec<Decimal>> =
                invoice.lines.iter().map(|line| line.net_amount).collect();
            if let Some(at_first) =
                nets.and_then(|nets| line_items::unique_split(&nets, first.base, second.base))
            {
                for (line, is_first) in invoice.lines.iter_mut().zip(at_first) {
                    line.vat_rate = Some(if is_first { first.rate } else { second.rate });
                }
            }
        }
    }
    if !invoice.lines.is_empty() {
        set_confidence("lines", lines_confidence(&invoice.lines, invoice.net_total));
    }

    // VAT lines that print a rate and its amount but no base ("Btw 21%  390,00 €"): the base of
    // each rate is the sum of the line items at that rate, accepted only when every rate's
    // amount matches its base and the bases and amounts add up to the totals.
    if invoice.vat_breakdown.len() < 2 {
        if let Some(derived) = totals::breakdown_from_lines(
            &document.rate_amounts(),
            &invoice.lines,
            invoice.net_total,
            invoice.vat_total,
        ) {
            invoice.vat_breakdown = derived;
        }
    }

    let line_refs: Vec<&str> = document.lines.iter().map(String::as_str).collect();
    let customer = parties::find_customer(&line_refs);
    let customer_block = customer.as_ref().map(|(_, line)| *line);
    if let Some((name, _)) = &customer {
        invoice.customer_name = Some(name.clone());
        set_confidence("customer_name", parties::LABELLED_NAME);
    }
    if let Some((name, score)) = parties::find_supplier(&line_refs, customer_block) {
        invoice.supplier_name = Some(name);
        set_confidence("supplier_name", score);
    }
    if invoice.customer_name.is_none() {
        let supplier = invoice.supplier_name.as_deref();
        if let Some(name) = parties::find_unlabelled_customer(&line_refs, supplier) {
            invoice.customer_name = Some(name);
            set_confidence("customer_name", parties::ADDRESS_BLOCK_NAME);
        }
    }
    if let Some((vat_id, score)) = document.supplier_vat_id(customer_block) {
        invoice.supplier_vat_id = Some(vat_id);
        set_confidence("supplier_vat_id", score);
    }
    if let Some((iban, score)) = document.iban(customer_block) {
        invoice.iban = Some(iban);
        set_confidence("iban", score);
    }
    if let Some((vat_id, score)) =
        document.customer_vat_id(customer_block, invoice.supplier_vat_id.as_deref())
    {
        invoice.customer_vat_id = Some(vat_id);
        set_confidence("customer_vat_id", score);
    }
    let country_hint = invoice
        .supplier_vat_id
        .as_deref()
        .or(invoice.iban.as_deref())
        .and_then(|id| id.get(..2))
        .map(str::to_owned);
    if invoice.supplier_vat_id.is_none() {
        if let Some(vat_id) = document.bare_supplier_vat_id(customer_block, country_hint.as_deref())
        {
            invoice.supplier_vat_id = Some(vat_id);
            set_confidence("supplier_vat_id", BARE_VAT_ID);
        }
    }
    if let Some((currency, score)) = document.currency(country_hint.as_deref()) {
        invoice.currency = Some(currency);
        set_confidence("currency", score);
    }

    invoice.confidence = confidence;
    invoice
}

/// Confidence in the line items: high when their net amounts add up to the net total, and no
/// more than even when they do not or there is no total to check. A sum that misses may mean a
/// row was missed or misread, but also a document-level allowance or charge ("Abschläge") that
/// the rows rightly leave out, so it does not go below [`UNRECONCILED_LINES`]: the booking is
/// made from the totals, and line items that merely fail to add up should not hold it up.
fn lines_confidence(lines: &[stapel_domain::InvoiceLine], net_total: Option<Decimal>) -> f32 {
    let sum = lines
        .iter()
        .try_fold(Decimal::ZERO, |sum, line| sum.checked_add(line.net_amount?));
    match (sum, net_total) {
        (Some(sum), Some(net)) if sum == net => RECONCILED_LINES,
        _ => UNRECONCILED_LINES,
    }
}

/// Confidence of line items whose net amounts add up to the net total.
const RECONCILED_LINES: f32 = 0.9;
/// Confidence of line items that do not add up to the net total, or have none to check.
const UNRECONCILED_LINES: f32 = 0.5;

/// A date chosen for a field.
struct FoundDate {
    date: NaiveDate,
    confidence: f32,
}

/// The text, split into trimmed lines with their labels, and the document's number style.
struct Document {
    /// Non-empty lines, whitespace collapsed to single spaces.
    lines: Vec<String>,
    /// The labels of each line.
    labels: Vec<Vec<LabelMatch>>,
    /// Each line with dates, IBANs and VAT numbers blanked out, so their digits are not read as
    /// amounts. Same byte offsets as `lines`.
    masked: Vec<String>,
    style: NumberStyle,
}

/// Spaces that PDF text uses inside numbers and between words, and page breaks.
fn normalise_spaces(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}' | '\t' => ' ',
            '\u{c}' | '\r' => '\n',
            other => other,
        })
        .collect()
}

fn mask(line: &str, spans: &[(usize, usize)]) -> String {
    let mut bytes = line.as_bytes().to_vec();
    for (start, end) in spans {
        for byte in bytes.iter_mut().take(*end).skip(*start) {
            *byte = b' ';
        }
    }
    // Spans come from matches on char boundaries of `line`, so this is still UTF-8; if that ever
    // broke, losing the line beats panicking.
    String::from_utf8(bytes).unwrap_or_default()
}

/// Words between a label and its amount: at most one ("BTW 9% over € 315,20 € 28,37"); more
/// means the amount belongs to something else ("Gesamtbetrag der Zuschläge 0,00").
fn filler_words(text: &str) -> usize {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|word| word.chars().count() >= 2)
        .filter(|word| {
            !matches!(
                word.to_uppercase().as_str(),
                "EUR" | "GBP" | "USD" | "CHF" | "DKK" | "SEK" | "NOK" | "KR" | "PLN" | "CZK"
            )
        })
        .count()
}

const MAX_FILLER_WORDS: usize = 1;

static CREDIT_NOTE_NUMBER_LABEL: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?i)credit|gutschrift|kredit|avoir|nota\s+di\s+credito")
        .expect("valid regex")
});
/// Confidence of an invoice number read from a bare title ("Invoice 103767") with no label.
const TITLE_NUMBER: f32 = 0.6;
/// Confidence of an issue date read from a line that holds only a date, right below the title.
const TITLE_DATE: f32 = 0.5;
/// How many lines below a title a bare date is read as the issue date.
const TITLE_DATE_LINES: usize = 2;

/// A title and a number, nothing else: "Invoice 103767", "Rechnung 2026-118", "Facture F-12".
static TITLE_WITH_NUMBER: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)^(?:tax\s+)?(?:invoice|factuur|rechnung|faktura|fattura|facture|credit\s*note|creditnota|gutschrift|kreditnota|avoir)\s+#?\s*([A-Z0-9][A-Z0-9./_-]*[0-9][A-Z0-9./_-]*)$",
    )
    .expect("valid regex")
});

/// Confidence of a due date computed from "payable within N days" and the issue date.
const TERMS_DUE_DATE: f32 = 0.5;

/// "zahlbar innerhalb 30 Tagen", "payable within 30 days", "Zahlungsziel: 14 Tage", "net 30",
/// "binnen 30 dagen", "à 30 jours", "entro 30 giorni", "netto 8 dage".
static PAYMENT_DAYS: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)(?:\b(?:innerhalb(?:\s+von)?|within|binnen|entro|sous|[àa]|dans\s+les|inden(?:\s+for)?|netto|net|zahlungsziel\s*:?|payment\s+terms\s*:?|betalingstermijn\s*:?|betalingsbetingelser\s*:?|termini\s+di\s+pagamento\s*:?)\s+(\d{1,3})\s*(?:tagen|tage|days|dagen|giorni|gg\.?|jours|dage)\b|\bnet\s+(\d{1,3})\b)",
    )
    .expect("valid regex")
});
/// Confidence of a due date read from a payment request sentence.
const PAY_BY_DATE: f32 = 0.6;

/// The words right before the date in a payment request, in the six languages.
static PAY_BY: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)(?:\b(?:by|before|no\s+later\s+than|avant\s+le|au\s+plus\s+tard\s+le|jusqu['’]au|bis\s+(?:zum|spätestens(?:\s+zum)?)?|spätestens(?:\s+am)?|v[óo]{1,2}r|uiterlijk(?:\s+op)?|entro\s+il|entro|senest(?:\s+den)?|inden|betales\s+(?:den|senest))\s*:?\s*)$",
    )
    .expect("valid regex")
});

/// A sentence asking for payment ("please pay", "bitte überweisen", "gelieve … over te maken",
/// "règlement", "da pagare", "betales"), so that "gültig bis" or "delivered by" do not count.
static PAYMENT_REQUEST: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\b(?:pay|payment|payable|remit|zahl|überweis|ueberweis|begleich|betaal|betalen|betaling|voldoen|over\s+te\s+maken|overmaken|overføre|overfør|indbetal|betal|règlement|reglement|régler|payer|paiement|virement|pag|versare|bonifico)",
    )
    .expect("valid regex")
});

/// Cash-discount terms ("3% Skonto innerhalb 10 Tagen") name a shorter period that is not the
/// due date.
static CASH_DISCOUNT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?i)skonto|discount|korting|escompte|sconto|rabat").expect("valid regex")
});

/// Headings of blocks that name a party other than the supplier: the seller's tax
/// representative (EN 16931 BG-11) and the buyer's identifiers.
static OTHER_PARTY: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)repr[ée]sentant\s+fiscal|tax\s+representative|fiskalvertreter|steuerlicher\s+vertreter|fiscaal\s+vertegenwoordiger|rappresentante\s+fiscale|skatterepr[æa]sentant|vos\s+identifiants|your\s+identifiers|ihre\s+angaben",
    )
    .expect("valid regex")
});

/// Currency symbols and codes that name a totals line's currency wherever they stand on it.
static TOTALS_LINE_CURRENCY: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"€|£|\b(?:EUR|GBP|USD|CHF|DKK|SEK|NOK|PLN|CZK|HUF)\b").expect("valid regex")
});

/// How many lines before an IBAN are read for a direct-debit context.
const DEBIT_CONTEXT_LINES: usize = 2;

/// Words that say an account will be debited: the IBAN near them is the payer's.
static DIRECT_DEBIT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)lastschrift|abbuchung|abgebucht|eingezogen|direct\s+debit|debit\s+mandate|\bincasso\b|automatische\s+(?:af|in)schrijving|pr[ée]l[èe]vement|addebito|\bRID\b|\bSDD\b|betalingsservice|trukket\s+fra",
    )
    .expect("valid regex")
});
/// A label before an IBAN that names the buyer's account ("Käufer-IBAN", "Customer IBAN",
/// "Ihre Bankverbindung").
static BUYER_ACCOUNT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)k[äa]ufer|\bkunden?|\bbuyer|\bcustomer|\bdebtor|schuldner|zahlungspflichtige|\bihre?\s+(?:konto|bankverbindung|iban)|\byour\s+(?:account|iban)|\buw\s+(?:rekening|iban)|\bvotre\s+(?:compte|iban)|\bd[ée]biteur|\bklant",
    )
    .expect("valid regex")
});
/// Confidence of a VAT number whose check digit is wrong: kept as printed, but reviewed.
const BAD_CHECK_DIGIT: f32 = 0.45;
/// Confidence of a VAT number printed without its country prefix, prefixed by its check digit.
const BARE_VAT_ID: f32 = 0.6;

/// Words in a VAT number's label that make it the customer's: "Customer VAT no.", "Ihre
/// USt-IdNr.", "Btw-nr. klant", "Vs. P.IVA", "N° TVA client", "Kundens CVR".
static CUSTOMER_ID_LABEL: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\bcustomer|\bbuyer|\bclient|\bklant|\bkunden?s?\b|\bk[äa]ufer|\bihre?\b|\byour\b|\buw\b|\bvotre\b|\bvs\.|\bvostr[ao]\b|\bjeres\b|\bcliente|\bcommittente|\bacquirente|\bk[øo]ber|\bdestinataire|\bpreneur|\bafnemer|\bleistungsempf",
    )
    .expect("valid regex")
});

/// The label of a value at byte `start` of `line`: the text before it back to the previous
/// separator ("·", "|", ";"), or the end of the previous line when the value opens its line.
fn label_clause<'a>(line: &'a str, start: usize, previous: Option<&'a str>) -> &'a str {
    let before = line[..start]
        .rsplit(['·', '|', ';'])
        .next()
        .unwrap_or_default();
    if before.trim().is_empty() {
        let previous = previous.unwrap_or_default();
        return previous.rsplit(['·', '|', ';']).next().unwrap_or_default();
    }
    // The last few words only: in layout text a whole row shares the line.
    let words: Vec<&str> = before.split_whitespace().collect();
    let keep = words.len().saturating_sub(4);
    let offset = words
        .get(keep)
        .and_then(|word| before.rfind(word))
        .unwrap_or(0);
    &before[offset..]
}

/// A row that opens with a VAT rate: "9%", "21 %", "5,5 %".
static RATE_FIRST_ROW: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^\s*(\d{1,2}(?:[.,]\d{1,2})?)\s?%").expect("valid regex"));

static ISO_CURRENCY: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"\b(EUR|GBP|USD|CHF|DKK|SEK|NOK|PLN|CZK|HUF|RON|BGN|ISK)\b")
        .expect("valid regex")
});

impl Document {
    fn new(text: &str) -> Document {
        let lines: Vec<String> = normalise_spaces(text)
            .lines()
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|line| !line.is_empty())
            .collect();
        let labels = lines.iter().map(|line| find_labels(line)).collect();
        let masked: Vec<String> = lines
            .iter()
            .map(|line| {
                let mut spans: Vec<(usize, usize)> = dates::find_dates(line)
                    .iter()
                    .map(|m| (m.start, m.end))
                    .collect();
                spans.extend(ids::find_ibans(line).iter().map(|m| (m.start, m.end)));
                spans.extend(ids::find_vat_ids(line).iter().map(|m| (m.start, m.end)));
                mask(line, &spans)
            })
            .collect();
        let style = NumberStyle::detect(&masked.join("\n"));
        Document {
            lines,
            labels,
            masked,
            style,
        }
    }

    /// Each label of a kind with the byte range of its value region: from the label's end to the
    /// next label on the line, or the line's end.
    fn regions(&self, kind: LabelKind) -> Vec<(usize, LabelMatch, usize)> {
        let mut found = Vec::new();
        for (index, labels) in self.labels.iter().enumerate() {
            for (position, label) in labels.iter().enumerate() {
                if label.kind != kind {
                    continue;
                }
                let region_end = labels
                    .get(position + 1)
                    .map_or(self.lines[index].len(), |next| next.start);
                found.push((index, *label, region_end));
            }
        }
        found
    }

    /// A line that carries no labels: a value printed under its label.
    fn unlabelled_next_line(&self, index: usize) -> Option<usize> {
        let next = index + 1;
        (next < self.lines.len() && self.labels[next].is_empty()).then_some(next)
    }

    fn document_type(&self) -> DocumentType {
        for (index, labels) in self.labels.iter().enumerate() {
            for label in labels {
                let is_title = label.kind == LabelKind::CreditNote
                    && self.lines[index].split_whitespace().count() <= 6;
                let is_number_label = label.kind == LabelKind::InvoiceNumber
                    && CREDIT_NOTE_NUMBER_LABEL
                        .is_match(&self.lines[index][label.start..label.end]);
                if is_title || is_number_label {
                    return DocumentType::CreditNote;
                }
            }
        }
        DocumentType::Invoice
    }

    fn invoice_number(&self) -> Option<(String, f32)> {
        let mut found: Vec<(String, f32)> = Vec::new();
        let regions = self.regions(LabelKind::InvoiceNumber);
        let any_strong = regions
            .iter()
            .any(|(_, label, _)| label.strength == Strength::Strong);
        for (index, label, region_end) in regions {
            if any_strong && label.strength == Strength::Weak {
                continue;
            }
            let line = &self.lines[index];
            let region = line[label.end..region_end].trim();
            let value = if region.is_empty() {
                self.unlabelled_next_line(index)
                    .and_then(|next| number_token(&self.lines[next]))
            } else {
                number_token(region)
            };
            if let Some(value) = value {
                let confidence = match (label.strength, label.start == 0) {
                    (Strength::Weak, _) => 0.7,
                    (Strength::Strong, true) => 0.85,
                    (Strength::Strong, false) => 0.7,
                };
                found.push((value, confidence));
            }
        }
        let (first, confidence) = found.first()?.clone();
        let disagreeing = found.iter().any(|(value, _)| *value != first);
        Some((
            first,
            if disagreeing {
                confidence - 0.2
            } else {
                confidence
            },
        ))
    }

    /// The first date after a label of `kind`; specific labels beat generic ones.
    fn date_for(&self, kind: LabelKind) -> Option<FoundDate> {
        let mut best: Option<(Strength, FoundDate)> = None;
        for (index, label, region_end) in self.regions(kind) {
            let in_region = dates::find_dates(&self.lines[index])
                .into_iter()
                .find(|date| date.start >= label.end && date.end <= region_end);
            let date = in_region.or_else(|| {
                let region = self.lines[index][label.end..region_end].trim();
                if !region.trim_matches(':').trim().is_empty() {
                    return None;
                }
                let next = self.unlabelled_next_line(index)?;
                dates::find_dates(&self.lines[next])
                    .into_iter()
                    .find(|date| date.start == 0)
            });
            let Some(date) = date else { continue };
            // A generic "Date" label followed by words before its date announces some other
            // date ("DATE DE DEBUT DE PRESTATION : 01/12/2018", "Datum Lieferung").
            if label.strength == Strength::Weak
                && date.start >= label.end
                && filler_words(&self.lines[index][label.end..date.start]) > 0
            {
                continue;
            }
            let mut confidence = match label.strength {
                Strength::Strong => 0.85,
                Strength::Weak => 0.6,
            };
            if date.two_digit_year {
                confidence -= 0.2;
            }
            if best
                .as_ref()
                .is_none_or(|(strength, _)| label.strength > *strength)
            {
                best = Some((
                    label.strength,
                    FoundDate {
                        date: date.date,
                        confidence,
                    },
                ));
            }
        }
        best.map(|(_, found)| found)
    }

    /// Without any number label, a line that is only a title and a number-like token
    /// ("Invoice 103767") names the invoice; returns the number and the title's line.
    fn title_number(&self) -> Option<(String, usize)> {
        self.lines.iter().enumerate().find_map(|(index, line)| {
            let captures = TITLE_WITH_NUMBER.captures(line)?;
            let number = captures.get(1)?.as_str();
            dates::find_dates(number)
                .is_empty()
                .then(|| (number.to_owned(), index))
        })
    }

    /// A line right below the title that holds a date and nothing else ("February 17, 2026"):
    /// the issue date, when no label names one.
    fn date_below_title(&self, title_line: usize) -> Option<FoundDate> {
        self.lines
            .iter()
            .skip(title_line + 1)
            .take(TITLE_DATE_LINES)
            .find_map(|line| {
                let found = dates::find_dates(line);
                let only = found.first().filter(|date| {
                    found.len() == 1 && date.start == 0 && line[date.end..].trim().is_empty()
                })?;
                Some(FoundDate {
                    date: only.date,
                    confidence: TITLE_DATE,
                })
            })
    }

    /// The payment period in days from terms like "payable within 30 days", skipping
    /// cash-discount clauses; the longest period printed wins, since discount periods are the
    /// shorter ones.
    /// The date in a payment request ("Please pay … by 17/10/2025", "Bitte überweisen Sie … bis
    /// zum 11.05.2025", "Règlement … avant le 18/09/2026"): the due date when no label gives
    /// one. Cash-discount clauses name an earlier date and are skipped.
    fn pay_by_date(&self, issue: Option<NaiveDate>) -> Option<FoundDate> {
        self.lines.iter().find_map(|line| {
            if CASH_DISCOUNT.is_match(line) {
                return None;
            }
            dates::find_dates(line).into_iter().find_map(|date| {
                let before = &line[..date.start];
                let after_issue = issue.is_none_or(|issue| date.date >= issue);
                let payment = PAYMENT_REQUEST.is_match(line);
                (payment && PAY_BY.is_match(before) && after_issue).then_some(FoundDate {
                    date: date.date,
                    confidence: PAY_BY_DATE,
                })
            })
        })
    }

    fn payment_days(&self) -> Option<u64> {
        self.lines
            .iter()
            .flat_map(|line| line.split([',', ';']))
            .filter(|clause| !CASH_DISCOUNT.is_match(clause))
            .flat_map(|clause| PAYMENT_DAYS.captures_iter(clause))
            .filter_map(|captures| {
                captures
                    .get(1)
                    .or_else(|| captures.get(2))
                    .and_then(|days| days.as_str().parse::<u64>().ok())
            })
            .filter(|days| (1..=180).contains(days))
            .max()
    }

    /// Without an issue-date label, a date on the invoice-number line ("Rechnung 05.03.2018
    /// Nr. 471102") is the issue date more often than not.
    fn date_on_number_line(&self) -> Option<FoundDate> {
        let (index, ..) = self.regions(LabelKind::InvoiceNumber).into_iter().next()?;
        let date = dates::find_dates(&self.lines[index]).into_iter().next()?;
        Some(FoundDate {
            date: date.date,
            confidence: 0.5,
        })
    }

    /// Every amount announced by a totals label, every VAT rate line, and the single VAT rate
    /// when exactly one is printed.
    fn amount_candidates(
        &self,
    ) -> (
        Vec<AmountCandidate>,
        Vec<BreakdownCandidate>,
        Option<Decimal>,
    ) {
        let mut candidates = Vec::new();
        let mut breakdown = Vec::new();
        let mut rates: Vec<Decimal> = Vec::new();
        for kind in [
            LabelKind::NetTotal,
            LabelKind::VatTotal,
            LabelKind::GrossTotal,
            LabelKind::AmountDue,
        ] {
            for (index, label, region_end) in self.regions(kind) {
                let masked = &self.masked[index];
                let (amounts, percents) = find_amounts(masked, self.style);
                let in_region: Vec<_> = amounts
                    .iter()
                    .filter(|amount| amount.start >= label.end && amount.end <= region_end)
                    .filter(|amount| amount.has_decimals || amount.currency.is_some())
                    .collect();
                let value = match in_region.last() {
                    Some(last) => {
                        if filler_words(&masked[label.end..last.start]) > MAX_FILLER_WORDS {
                            continue;
                        }
                        last.value
                    }
                    None => {
                        if !masked[label.end..region_end]
                            .trim_matches([' ', ':'])
                            .is_empty()
                        {
                            continue;
                        }
                        let Some(next) = self.unlabelled_next_line(index) else {
                            continue;
                        };
                        let (next_amounts, _) = find_amounts(&self.masked[next], self.style);
                        match next_amounts.first() {
                            Some(first) if first.start <= 2 && first.has_decimals => first.value,
                            _ => continue,
                        }
                    }
                };
                candidates.push(AmountCandidate {
                    kind,
                    value,
                    line: index,
                    strength: label.strength,
                });
                if kind != LabelKind::VatTotal {
                    continue;
                }
                let rate = percents.first().map(|percent| percent.value);
                if let Some(rate) = rate {
                    if !rates.contains(&rate) {
                        rates.push(rate);
                    }
                }
                // "BTW 9% over € 315,20 € 28,37", "Umsatzsteuer S 275,00 7 19,25".
                if in_region.len() >= 2 {
                    let base = in_region[in_region.len() - 2].value;
                    let rate = rate.or_else(|| {
                        amounts
                            .iter()
                            .filter(|number| number.start >= label.end && !number.has_decimals)
                            .map(|number| number.value)
                            .find(|rate| {
                                *rate > Decimal::ZERO
                                    && *rate < Decimal::ONE_HUNDRED
                                    && totals::rate_matches(base, *rate, value)
                            })
                    });
                    if let Some(rate) = rate.filter(|rate| totals::rate_matches(base, *rate, value))
                    {
                        if !rates.contains(&rate) {
                            rates.push(rate);
                        }
                        breakdown.push(BreakdownCandidate {
                            rate,
                            base,
                            amount: value,
                        });
                    }
                }
            }
        }
        // A VAT summary table without a label per row: "21 %   632,29   132,78".
        for (index, masked) in self.masked.iter().enumerate() {
            let Some(row) = RATE_FIRST_ROW.captures(masked) else {
                continue;
            };
            let Some(rate) = parse_number(&row[1], self.style)
                .or_else(|| parse_number(&row[1], NumberStyle::DecimalPoint))
            else {
                continue;
            };
            let start = row.get(0).map_or(0, |whole| whole.end());
            let (amounts, _) = find_amounts(&masked[start..], self.style);
            let [base, amount, ..] = amounts.as_slice() else {
                continue;
            };
            if rate < Decimal::ONE_HUNDRED
                && base.has_decimals
                && amount.has_decimals
                && totals::rate_matches(base.value, rate, amount.value)
                && !breakdown
                    .iter()
                    .any(|known: &BreakdownCandidate| known.rate == rate)
            {
                tracing::trace!(index, %rate, "VAT summary row");
                breakdown.push(BreakdownCandidate {
                    rate,
                    base: base.value,
                    amount: amount.value,
                });
            }
        }
        let single_rate = (rates.len() == 1).then(|| rates[0]);
        (candidates, breakdown, single_rate)
    }

    /// (rate, amount) of every VAT line that prints a rate and one amount after its label.
    fn rate_amounts(&self) -> Vec<(Decimal, Decimal)> {
        let mut found: Vec<(Decimal, Decimal)> = Vec::new();
        for (index, label, region_end) in self.regions(LabelKind::VatTotal) {
            let (amounts, percents) = find_amounts(&self.masked[index], self.style);
            let in_region: Vec<_> = amounts
                .iter()
                .filter(|amount| amount.start >= label.end && amount.end <= region_end)
                .filter(|amount| amount.has_decimals)
                .collect();
            if let ([amount], [percent]) = (in_region.as_slice(), percents.as_slice()) {
                if !found.iter().any(|(rate, _)| *rate == percent.value) {
                    found.push((percent.value, amount.value));
                }
            }
        }
        found
    }

    /// The supplier's VAT number: labelled ids count more, ids in the customer's block or in
    /// another party's block (a tax representative, "your identifiers") count against.
    fn supplier_vat_id(&self, customer_block: Option<usize>) -> Option<(String, f32)> {
        let other_party_blocks: Vec<usize> = self
            .lines
            .iter()
            .enumerate()
            .filter(|(_, line)| OTHER_PARTY.is_match(line))
            .map(|(index, _)| index)
            .collect();
        let mut scores: Vec<(String, i32, usize)> = Vec::new();
        for (index, line) in self.lines.iter().enumerate() {
            let labelled = self.labels[index]
                .iter()
                .any(|label| label.kind == LabelKind::VatId);
            let in_customer_block = customer_block
                .into_iter()
                .chain(other_party_blocks.iter().copied())
                .any(|block| index >= block && index <= block + 5);
            let mut found_ids = ids::find_vat_ids(line);
            found_ids.extend(ids::find_danish_cvr(line));
            found_ids.extend(ids::find_swiss_uids(line));
            for found in found_ids {
                // "Ihre USt-IdNr.", "Customer VAT no.", "Btw-nr. klant", "Vs. P.IVA": the
                // label in front of the number says whose it is.
                let clause = label_clause(
                    line,
                    found.start,
                    index.checked_sub(1).map(|i| self.lines[i].as_str()),
                );
                let customers = CUSTOMER_ID_LABEL.is_match(clause);
                // A valid check digit is evidence; a failing one is a misprint or a misread,
                // kept as printed but with low confidence (below).
                let checksum = i32::from(ids::vat_checksum(&found.value) == Some(true));
                let score = 1 + i32::from(labelled) * 2 + checksum
                    - i32::from(in_customer_block) * 4
                    - i32::from(customers) * 6;
                match scores.iter_mut().find(|(value, ..)| *value == found.value) {
                    Some(entry) => entry.1 += score,
                    None => scores.push((found.value, score, index)),
                }
            }
        }
        let distinct = scores.len();
        let best = scores
            .into_iter()
            .max_by_key(|(_, score, first_line)| (*score, std::cmp::Reverse(*first_line)))?;
        if best.1 <= 0 {
            return None;
        }
        let confidence = match (ids::vat_checksum(&best.0), distinct) {
            (Some(false), _) => BAD_CHECK_DIGIT,
            (Some(true), 1) => 0.9,
            (_, 1) => 0.85,
            (Some(true), _) => 0.7,
            (None, _) => 0.6,
        };
        Some((best.0, confidence))
    }

    /// The customer's VAT number, only where it cannot be mistaken: the page prints exactly
    /// two distinct VAT ids, one of them the supplier's, and the other is labelled as the
    /// customer's ("Your VAT number", "Uw btw-nummer", "USt-IdNr. des Leistungsempfängers",
    /// "Vostra P.IVA", "Votre n° TVA", "Jeres CVR-nr.") or stands in the customer's address
    /// block. A wrong customer VAT id could turn a domestic purchase into a reverse charge, so
    /// a third id (a tax representative's), a failing check digit or an unplaced id gives none.
    fn customer_vat_id(
        &self,
        customer_block: Option<usize>,
        supplier_vat_id: Option<&str>,
    ) -> Option<(String, f32)> {
        let supplier_vat_id = supplier_vat_id?;
        let other_party_blocks: Vec<usize> = self
            .lines
            .iter()
            .enumerate()
            .filter(|(_, line)| OTHER_PARTY.is_match(line))
            .map(|(index, _)| index)
            .collect();
        let near = |blocks: &[usize], index: usize| {
            blocks
                .iter()
                .any(|block| index >= *block && index <= block + 5)
        };
        let customer_blocks: Vec<usize> = customer_block.into_iter().collect();
        // Every distinct id, and whether any of its occurrences is labelled or placed as the
        // customer's, or placed in another party's block.
        let mut found: Vec<(String, bool, bool)> = Vec::new();
        for (index, line) in self.lines.iter().enumerate() {
            let mut ids_on_line = ids::find_vat_ids(line);
            ids_on_line.extend(ids::find_danish_cvr(line));
            for id in ids_on_line {
                let clause = label_clause(
                    line,
                    id.start,
                    index.checked_sub(1).map(|i| self.lines[i].as_str()),
                );
                let customers = CUSTOMER_ID_LABEL.is_match(clause) || near(&customer_blocks, index);
                let other_party = near(&other_party_blocks, index);
                match found.iter_mut().find(|(value, ..)| *value == id.value) {
                    Some(entry) => {
                        entry.1 |= customers;
                        entry.2 |= other_party;
                    }
                    None => found.push((id.value, customers, other_party)),
                }
            }
        }
        let [first, second] = found.as_slice() else {
            return None;
        };
        let (value, customers, other_party) = if first.0 == supplier_vat_id {
            second
        } else if second.0 == supplier_vat_id {
            first
        } else {
            return None;
        };
        if !customers || *other_party {
            return None;
        }
        match ids::vat_checksum(value) {
            Some(false) => None,
            Some(true) => Some((value.clone(), 0.9)),
            None => Some((value.clone(), 0.75)),
        }
    }

    /// A supplier VAT number printed without its country prefix after a VAT label ("P.IVA
    /// 01234567897", "VAT No. 123 4567 89"), outside the customer's block and not labelled as
    /// the customer's. Only when no prefixed number was found at all.
    fn bare_supplier_vat_id(
        &self,
        customer_block: Option<usize>,
        country_hint: Option<&str>,
    ) -> Option<String> {
        self.lines.iter().enumerate().find_map(|(index, line)| {
            if customer_block.is_some_and(|block| index >= block && index <= block + 5) {
                return None;
            }
            self.labels[index]
                .iter()
                .filter(|label| label.kind == LabelKind::VatId)
                .find_map(|label| {
                    let clause = label_clause(line, label.end, None);
                    if CUSTOMER_ID_LABEL.is_match(clause) {
                        return None;
                    }
                    ids::bare_vat_id(&line[label.end..], country_hint)
                })
        })
    }

    /// The supplier's (payee's) IBAN. An IBAN in the customer's block, labelled as the buyer's,
    /// or printed in a direct-debit context is the account the money comes *from*, so it is
    /// never returned as the payee's: a wrong account is worse than none.
    fn iban(&self, customer_block: Option<usize>) -> Option<(String, f32)> {
        let mut scores: Vec<(String, i32, usize)> = Vec::new();
        for (index, line) in self.lines.iter().enumerate() {
            let in_customer_block =
                customer_block.is_some_and(|block| index >= block && index <= block + 5);
            for found in ids::find_ibans(line) {
                let window_start = index.saturating_sub(DEBIT_CONTEXT_LINES);
                // Only the clause that holds the IBAN labels it: "op uw rekening. Onze
                // rekening: IBAN …" is the supplier's.
                let label = line[..found.start]
                    .rsplit([';', '·', '|'])
                    .next()
                    .and_then(|clause| clause.rsplit(". ").next())
                    .unwrap_or_default();
                let debit_context = BUYER_ACCOUNT.is_match(label)
                    || self.lines[window_start..index]
                        .iter()
                        .chain(std::iter::once(line))
                        .any(|context| DIRECT_DEBIT.is_match(context));
                let score = 1 - i32::from(in_customer_block) * 2 - i32::from(debit_context) * 4;
                match scores.iter_mut().find(|(value, ..)| *value == found.value) {
                    Some(entry) => entry.1 += score,
                    None => scores.push((found.value, score, index)),
                }
            }
        }
        let distinct = scores.len();
        let best = scores
            .into_iter()
            .max_by_key(|(_, score, first_line)| (*score, std::cmp::Reverse(*first_line)))?;
        if best.1 < 0 {
            return None;
        }
        Some((best.0, if distinct == 1 { 0.9 } else { 0.7 }))
    }

    /// The currency: a "Currency: EUR" label wins; otherwise the symbols and codes printed next
    /// to amounts are counted. `kr` is resolved by the supplier's country.
    fn currency(&self, country: Option<&str>) -> Option<(String, f32)> {
        for (index, label, region_end) in self.regions(LabelKind::Currency) {
            let region = &self.lines[index][label.end..region_end];
            if let Some(code) = ISO_CURRENCY.find(region) {
                return Some((code.as_str().to_owned(), 0.95));
            }
        }
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for (index, masked) in self.masked.iter().enumerate() {
            let amounts = find_amounts(masked, self.style).0;
            let mut found_on_line = false;
            for amount in &amounts {
                if let Some(code) = amount.currency {
                    *counts.entry(code).or_default() += 1;
                    found_on_line = true;
                }
            }
            // "Total € Incl. VAT 681.87": on a totals line, a symbol apart from the amount
            // still names the amount's currency.
            let totals_line = self.labels[index].iter().any(|label| {
                matches!(
                    label.kind,
                    LabelKind::NetTotal | LabelKind::GrossTotal | LabelKind::AmountDue
                )
            });
            if totals_line && !found_on_line && !amounts.is_empty() {
                if let Some(code) = TOTALS_LINE_CURRENCY
                    .find(masked)
                    .and_then(|symbol| numbers::currency_code(symbol.as_str()))
                {
                    *counts.entry(code).or_default() += 1;
                }
            }
        }
        let distinct = counts.len();
        let (symbol, _) = counts.into_iter().max_by_key(|(_, count)| *count)?;
        let mut confidence: f32 = if distinct == 1 { 0.9 } else { 0.6 };
        let code = match symbol {
            "kr" => match country {
                Some("SE") => "SEK",
                Some("NO") => "NOK",
                Some("DK") => "DKK",
                _ => {
                    confidence = 0.4;
                    "DKK"
                }
            },
            "USD" => {
                // "$" is also the Canadian, Australian, ... dollar.
                confidence = confidence.min(0.6);
                "USD"
            }
            other => other,
        };
        Some((code.to_owned(), confidence))
    }
}

/// The invoice number at the start of `text`: the first token with a digit, with a short
/// uppercase prefix kept ("FT 2026/0457").
fn number_token(text: &str) -> Option<String> {
    let text = text.trim_start_matches([':', '#', '.', ' ', '-']);
    let tokens: Vec<&str> = text.split_whitespace().take(3).collect();
    let position = tokens
        .iter()
        .position(|token| token.chars().any(|c| c.is_ascii_digit()))?;
    let token = tokens[position].trim_end_matches(['.', ',', ';', ':', ')']);
    let token = token.trim_start_matches(['(', ':', '#']);
    if token.is_empty()
        || token.chars().count() > 30
        || !dates::find_dates(token).is_empty()
        || token.contains('@')
    {
        return None;
    }
    if position > 0 {
        let prefix = tokens[position - 1];
        let short_code =
            (1..=3).contains(&prefix.len()) && prefix.chars().all(|c| c.is_ascii_uppercase());
        if short_code && position == 1 {
            return Some(format!("{prefix} {token}"));
        }
    }
    Some(token.to_owned())
}

#[cfg(test)]
mod tests;
