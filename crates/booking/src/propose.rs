//! From an extracted invoice to a balanced journal entry.
//!
//! The rules are listed in the crate documentation; this module is their one implementation.

use crate::chart::ChartOfAccounts;
use rust_decimal::Decimal;
use stapel_domain::money::{currency_decimals, round_to_currency};
use stapel_domain::{BookingProposal, DocumentType, ExtractedInvoice, ProposalLine};
use std::collections::BTreeMap;

/// A field whose confidence is below this is named in the proposal's reasons.
///
/// Half is where the extractor is more likely wrong than right about a field.
pub const LOW_CONFIDENCE: f32 = 0.5;

/// The largest amount, in currency units, that is booked at all: one quadrillion (10^15).
///
/// No real invoice comes close; a larger figure is a misread, and refusing it keeps every sum
/// far away from `Decimal`'s overflow, so the proposal is balanced without a checked operation.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// Propose the journal entry for a purchase invoice or credit note.
///
/// The entry debits expenses (one line per VAT rate when the breakdown allows it) and input VAT
/// (one line per rate, with a VAT code), and credits accounts payable with the gross amount.
/// A credit note books the same lines on the opposite sides.
///
/// The result is always balanced, and has no line with a zero amount. Missing, inconsistent or
/// uncertain figures are never corrected silently: the proposal still books what the rules in
/// the crate documentation say, sets `needs_review`, and says why in `reasons`.
/// `needs_review` is true exactly when there is at least one reason.
pub fn propose_booking(invoice: &ExtractedInvoice, chart: &ChartOfAccounts) -> BookingProposal {
    let mut reasons = Vec::new();
    let lines = book_amounts(invoice, chart, &mut reasons);
    note_missing_fields(invoice, &mut reasons);
    note_low_confidence(invoice, &mut reasons);
    BookingProposal {
        lines,
        needs_review: !reasons.is_empty(),
        reasons,
    }
}

/// One VAT rate's share after rounding, merged across breakdown rows with the same rate.
struct RateShare {
    rate: Decimal,
    base: Decimal,
    amount: Decimal,
}

/// Which side a positive amount on the expense and VAT lines is booked on.
#[derive(Clone, Copy)]
enum Direction {
    /// An invoice: expenses and VAT are debits, accounts payable is a credit.
    Invoice,
    /// A credit note: everything the other way round.
    CreditNote,
}

fn book_amounts(
    invoice: &ExtractedInvoice,
    chart: &ChartOfAccounts,
    reasons: &mut Vec<String>,
) -> Vec<ProposalLine> {
    let currency = booking_currency(invoice, reasons);

    if let Some((field, amount)) = implausible_amount(invoice) {
        reasons.push(format!(
            "The {field} reads {amount}, which is beyond {MAX_AMOUNT} and cannot be a real \
             amount; nothing was booked."
        ));
        return Vec::new();
    }

    // Round every figure once, up front, so all arithmetic below is exact in minor units and
    // the entry balances by construction.
    let mut rounded = Vec::new();
    let mut round = |label: String, amount: Decimal| {
        let result = round_to_currency(amount, currency);
        if result != amount {
            rounded.push(format!("{label} {amount} to {result}"));
        }
        result
    };
    let mut gross = invoice
        .gross_total
        .map(|amount| round("gross total".into(), amount));
    let mut net = invoice
        .net_total
        .map(|amount| round("net total".into(), amount));
    let mut vat = invoice
        .vat_total
        .map(|amount| round("VAT total".into(), amount));
    let mut shares: BTreeMap<Decimal, RateShare> = BTreeMap::new();
    for row in &invoice.vat_breakdown {
        let rate = row.rate.normalize();
        let base = round(format!("breakdown base at {rate}%"), row.base);
        let amount = round(format!("breakdown VAT at {rate}%"), row.amount);
        let share = shares.entry(rate).or_insert(RateShare {
            rate,
            base: Decimal::ZERO,
            amount: Decimal::ZERO,
        });
        share.base += base;
        share.amount += amount;
    }
    let shares: Vec<RateShare> = shares.into_values().collect();
    if !rounded.is_empty() {
        reasons.push(format!(
            "Amounts had more decimals than {currency} allows ({}) and were rounded half away \
             from zero: {}.",
            currency_decimals(currency),
            rounded.join(", ")
        ));
    }

    let Some(lead) = gross.or(net) else {
        reasons.push(
            "No amounts found: neither a gross nor a net total was read, so the proposal has \
             no lines."
                .to_owned(),
        );
        return Vec::new();
    };

    // Amounts are worked with as positive for what the document charges. A credit note may
    // print its amounts negative; that sign only repeats what the document type says, so it is
    // taken off here and put back when numbers are quoted in reasons.
    let direction = match invoice.document_type {
        DocumentType::Invoice => Direction::Invoice,
        DocumentType::CreditNote => Direction::CreditNote,
    };
    let printed_sign = match direction {
        Direction::CreditNote if lead.is_sign_negative() && !lead.is_zero() => {
            for amount in [&mut gross, &mut net, &mut vat].into_iter().flatten() {
                *amount = -*amount;
            }
            Decimal::NEGATIVE_ONE
        }
        _ => Decimal::ONE,
    };
    let shares: Vec<RateShare> = shares
        .into_iter()
        .map(|share| RateShare {
            rate: share.rate,
            base: share.base * printed_sign,
            amount: share.amount * printed_sign,
        })
        .collect();
    let shown = |amount: Decimal| amount * printed_sign;

    if matches!(direction, Direction::Invoice) && lead.is_sign_negative() && !lead.is_zero() {
        let field = if gross.is_some() { "gross" } else { "net" };
        reasons.push(format!(
            "The invoice's {field} total is negative ({lead}); it may be a credit note. It was \
             booked as read, which puts expenses on the credit side."
        ));
    }

    let breakdown_base: Decimal = shares.iter().map(|share| share.base).sum();
    let breakdown_vat: Decimal = shares.iter().map(|share| share.amount).sum();

    let vat = match vat {
        Some(vat) => vat,
        None if shares.is_empty() => {
            reasons.push("No VAT total was found; the invoice was booked without VAT.".to_owned());
            Decimal::ZERO
        }
        None => {
            reasons.push(format!(
                "No VAT total was found; the VAT breakdown's sum, {}, was booked as VAT.",
                shown(breakdown_vat)
            ));
            breakdown_vat
        }
    };

    let low = |field: &str| is_low_confidence(invoice, field);
    // `expense + vat == payable` holds in every arm; that is what keeps the entry balanced.
    let (expense, payable) = match (gross, net) {
        (Some(gross), Some(net)) => {
            if net + vat != gross {
                reasons.push(format!(
                    "The totals do not reconcile: net {} + VAT {} = {}, but the gross total is \
                     {} (difference {}). Accounts payable was booked at the gross total, \
                     expenses at gross minus VAT ({}).",
                    shown(net),
                    shown(vat),
                    shown(net + vat),
                    shown(gross),
                    shown(gross - net - vat),
                    shown(gross - vat),
                ));
            }
            (gross - vat, gross)
        }
        (Some(gross), None) => {
            if low("gross_total") || low("vat_total") {
                reasons.push(format!(
                    "No net total was found; it was derived as gross minus VAT = {} from \
                     figures read with low confidence.",
                    shown(gross - vat)
                ));
            }
            (gross - vat, gross)
        }
        (None, Some(net)) => {
            if low("net_total") || low("vat_total") {
                reasons.push(format!(
                    "No gross total was found; it was derived as net plus VAT = {} from figures \
                     read with low confidence.",
                    shown(net + vat)
                ));
            }
            (net, net + vat)
        }
        (None, None) => unreachable!("`lead` is the gross or the net total"),
    };

    if !shares.is_empty() {
        let (net_label, net_compared) = match net {
            Some(net) => ("the net total", net),
            None => ("gross minus VAT", expense),
        };
        if breakdown_base != net_compared {
            reasons.push(format!(
                "The VAT breakdown's bases add up to {}, but {net_label} is {} (difference {}).",
                shown(breakdown_base),
                shown(net_compared),
                shown(net_compared - breakdown_base),
            ));
        }
        if breakdown_vat != vat {
            reasons.push(format!(
                "The VAT breakdown's VAT adds up to {}, but the VAT total is {} (difference {}).",
                shown(breakdown_vat),
                shown(vat),
                shown(vat - breakdown_vat),
            ));
        }
    }

    // When the breakdown cannot be used line by line, one line per account is booked, labelled
    // with the rate if the document shows only one.
    let single_rate = match shares.as_slice() {
        [share] => Some(share.rate),
        [] => single_line_rate(invoice),
        _ => None,
    };
    let suffix = description_suffix(invoice);
    let mut lines = Vec::new();

    let expense_account = chart.expense();
    if !shares.is_empty() && breakdown_base == expense {
        for share in &shares {
            push_line(
                &mut lines,
                expense_account.number(),
                format!("{} {}%{suffix}", expense_account.name(), share.rate),
                share.base,
                None,
                direction,
            );
        }
    } else {
        push_line(
            &mut lines,
            expense_account.number(),
            labelled(expense_account.name(), single_rate, &suffix),
            expense,
            None,
            direction,
        );
    }

    let vat_account = chart.input_vat();
    if !shares.is_empty() && breakdown_vat == vat {
        for share in &shares {
            push_line(
                &mut lines,
                vat_account.number(),
                format!("{} {}%{suffix}", vat_account.name(), share.rate),
                share.amount,
                Some(chart.vat_code(share.rate)),
                direction,
            );
        }
    } else {
        if single_rate.is_none() && !vat.is_zero() {
            reasons.push(format!(
                "The VAT rate of the {} VAT could not be determined, so the VAT line has no VAT \
                 code.",
                shown(vat)
            ));
        }
        push_line(
            &mut lines,
            vat_account.number(),
            labelled(vat_account.name(), single_rate, &suffix),
            vat,
            single_rate.map(|rate| chart.vat_code(rate)),
            direction,
        );
    }

    let payable_account = chart.accounts_payable();
    push_line(
        &mut lines,
        payable_account.number(),
        format!("{}{suffix}", payable_account.name()),
        -payable,
        None,
        direction,
    );

    if lines.is_empty() {
        reasons.push("All amounts are zero, so the proposal has no lines.".to_owned());
    }
    lines
}

/// The currency amounts are rounded in, noting a missing or malformed code.
fn booking_currency<'a>(invoice: &'a ExtractedInvoice, reasons: &mut Vec<String>) -> &'a str {
    match invoice.currency.as_deref().map(str::trim) {
        None | Some("") => {
            reasons.push("No currency was found; amounts were booked as EUR.".to_owned());
            "EUR"
        }
        Some(currency) => {
            let is_iso_code =
                currency.len() == 3 && currency.bytes().all(|byte| byte.is_ascii_uppercase());
            if !is_iso_code {
                reasons.push(format!(
                    "The currency {currency:?} is not an ISO 4217 code such as EUR; amounts \
                     were rounded to {} decimals.",
                    currency_decimals(currency)
                ));
            }
            currency
        }
    }
}

/// The first amount, if any, too large to be read correctly (see [`MAX_AMOUNT`]).
fn implausible_amount(invoice: &ExtractedInvoice) -> Option<(String, Decimal)> {
    let totals = [
        ("gross total", invoice.gross_total),
        ("net total", invoice.net_total),
        ("VAT total", invoice.vat_total),
    ]
    .into_iter()
    .filter_map(|(field, amount)| Some((field.to_owned(), amount?)));
    let breakdown = invoice.vat_breakdown.iter().flat_map(|row| {
        let rate = row.rate.normalize();
        [
            (format!("breakdown base at {rate}%"), row.base),
            (format!("breakdown VAT at {rate}%"), row.amount),
        ]
    });
    totals
        .chain(breakdown)
        .find(|(_, amount)| amount.abs() > MAX_AMOUNT)
}

/// Push a line for a signed amount: positive amounts are debits on an invoice, credits on a
/// credit note. A zero amount pushes nothing, so no proposal carries an empty line.
fn push_line(
    lines: &mut Vec<ProposalLine>,
    account: &str,
    description: String,
    amount: Decimal,
    vat_code: Option<String>,
    direction: Direction,
) {
    if amount.is_zero() {
        return;
    }
    let debit_amount = match direction {
        Direction::Invoice => amount,
        Direction::CreditNote => -amount,
    };
    let (debit, credit) = if debit_amount.is_sign_positive() {
        (debit_amount, Decimal::ZERO)
    } else {
        (Decimal::ZERO, -debit_amount)
    };
    lines.push(ProposalLine {
        account: account.to_owned(),
        description,
        debit,
        credit,
        vat_code,
    });
}

/// The VAT rate every invoice line shares, when there is no breakdown to take it from.
///
/// Used only to label and code the single VAT line; amounts still come from the totals.
fn single_line_rate(invoice: &ExtractedInvoice) -> Option<Decimal> {
    let mut rates = invoice.lines.iter().map(|line| line.vat_rate);
    let first = rates.next()??.normalize();
    rates
        .all(|rate| rate.is_some_and(|rate| rate == first))
        .then_some(first)
}

/// `"<account name> 21% — <suffix>"`, or without the rate when it is unknown.
fn labelled(account_name: &str, rate: Option<Decimal>, suffix: &str) -> String {
    match rate {
        Some(rate) => format!("{account_name} {rate}%{suffix}"),
        None => format!("{account_name}{suffix}"),
    }
}

/// `" — <supplier> <invoice number>"`, so each line says which invoice it came from.
fn description_suffix(invoice: &ExtractedInvoice) -> String {
    let parts: Vec<&str> = [&invoice.supplier_name, &invoice.invoice_number]
        .into_iter()
        .filter_map(|part| part.as_deref().map(str::trim))
        .filter(|part| !part.is_empty())
        .collect();
    let mut suffix = if parts.is_empty() {
        String::new()
    } else {
        format!(" — {}", parts.join(" "))
    };
    if invoice.document_type == DocumentType::CreditNote {
        suffix.push_str(" (credit note)");
    }
    suffix
}

fn note_missing_fields(invoice: &ExtractedInvoice, reasons: &mut Vec<String>) {
    let is_missing = |field: &Option<String>| field.as_deref().is_none_or(|s| s.trim().is_empty());
    if is_missing(&invoice.supplier_name) {
        reasons.push("No supplier name was found.".to_owned());
    }
    if is_missing(&invoice.invoice_number) {
        reasons.push("No invoice number was found.".to_owned());
    }
    if invoice.issue_date.is_none() {
        reasons.push("No issue date was found.".to_owned());
    }
}

fn note_low_confidence(invoice: &ExtractedInvoice, reasons: &mut Vec<String>) {
    for (field, confidence) in &invoice.confidence {
        if is_low_confidence(invoice, field) {
            reasons.push(format!(
                "The {} was read with low confidence ({confidence:.2}).",
                field_label(field)
            ));
        }
    }
}

/// True when the extractor reported a confidence below [`LOW_CONFIDENCE`], or a nonsensical
/// one (NaN), for the field. A field without a confidence is not low: there is no evidence.
fn is_low_confidence(invoice: &ExtractedInvoice, field: &str) -> bool {
    invoice
        .confidence
        .get(field)
        .is_some_and(|confidence| confidence.is_nan() || *confidence < LOW_CONFIDENCE)
}

/// A confidence key (`supplier_vat_id`) as words for a sentence (`supplier VAT ID`).
fn field_label(field: &str) -> String {
    field
        .split('_')
        .map(|word| match word {
            "vat" => "VAT",
            "id" => "ID",
            "iban" => "IBAN",
            word => word,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;
    use stapel_domain::{InvoiceLine, VatBreakdown};

    /// A complete, consistent invoice, so each test changes only what it is about.
    fn invoice(net: Decimal, vat: Decimal, gross: Decimal) -> ExtractedInvoice {
        ExtractedInvoice {
            supplier_name: Some("Acme B.V.".into()),
            invoice_number: Some("2026-118".into()),
            issue_date: NaiveDate::from_ymd_opt(2026, 11, 21),
            currency: Some("EUR".into()),
            net_total: Some(net),
            vat_total: Some(vat),
            gross_total: Some(gross),
            ..Default::default()
        }
    }

    fn share(rate: Decimal, base: Decimal, amount: Decimal) -> VatBreakdown {
        VatBreakdown { rate, base, amount }
    }

    fn line(
        account: &str,
        description: &str,
        debit: Decimal,
        credit: Decimal,
        vat_code: Option<&str>,
    ) -> ProposalLine {
        ProposalLine {
            account: account.into(),
            description: description.into(),
            debit,
            credit,
            vat_code: vat_code.map(Into::into),
        }
    }

    fn propose(invoice: &ExtractedInvoice) -> BookingProposal {
        let proposal = propose_booking(invoice, &ChartOfAccounts::generic());
        assert!(proposal.is_balanced(), "{proposal:#?}");
        assert_eq!(proposal.needs_review, !proposal.reasons.is_empty());
        proposal
    }

    fn dutch_chart() -> ChartOfAccounts {
        ChartOfAccounts::from_toml(
            r#"
            name = "Dutch SME"
            country = "NL"
            [expense]
            number = "4000"
            name = "Expenses"
            [input_vat]
            number = "1510"
            name = "Input VAT"
            [accounts_payable]
            number = "1600"
            name = "Creditors"
            "#,
        )
        .unwrap()
    }

    #[test]
    fn max_amount_is_one_quadrillion() {
        assert_eq!(MAX_AMOUNT, Decimal::new(1_000_000_000_000_000, 0));
    }

    #[test]
    fn simple_invoice_at_21_percent() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(121.00));
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        let proposal = propose(&invoice);
        assert_eq!(
            proposal.lines,
            vec![
                line(
                    "4000",
                    "Expenses 21% — Acme B.V. 2026-118",
                    dec!(100.00),
                    dec!(0),
                    None
                ),
                line(
                    "1500",
                    "Input VAT 21% — Acme B.V. 2026-118",
                    dec!(21.00),
                    dec!(0),
                    Some("VAT-21")
                ),
                line(
                    "1600",
                    "Accounts payable — Acme B.V. 2026-118",
                    dec!(0),
                    dec!(121.00),
                    None
                ),
            ]
        );
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);
    }

    #[test]
    fn multi_rate_dutch_invoice_books_one_line_per_rate() {
        let mut invoice = invoice(dec!(300.00), dec!(30.00), dec!(330.00));
        invoice.vat_breakdown = vec![
            share(dec!(21.00), dec!(100.00), dec!(21.00)),
            share(dec!(9.00), dec!(100.00), dec!(9.00)),
            share(dec!(9), dec!(100.00), dec!(0.00)),
        ];
        let proposal = propose_booking(&invoice, &dutch_chart());
        assert!(proposal.is_balanced());
        // Same rate printed twice is one rate; lines run from the lowest rate up.
        assert_eq!(
            proposal.lines,
            vec![
                line(
                    "4000",
                    "Expenses 9% — Acme B.V. 2026-118",
                    dec!(200.00),
                    dec!(0),
                    None
                ),
                line(
                    "4000",
                    "Expenses 21% — Acme B.V. 2026-118",
                    dec!(100.00),
                    dec!(0),
                    None
                ),
                line(
                    "1510",
                    "Input VAT 9% — Acme B.V. 2026-118",
                    dec!(9.00),
                    dec!(0),
                    Some("NL-9")
                ),
                line(
                    "1510",
                    "Input VAT 21% — Acme B.V. 2026-118",
                    dec!(21.00),
                    dec!(0),
                    Some("NL-21")
                ),
                line(
                    "1600",
                    "Creditors — Acme B.V. 2026-118",
                    dec!(0),
                    dec!(330.00),
                    None
                ),
            ]
        );
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);
    }

    #[test]
    fn credit_note_books_reversed_sides() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(121.00));
        invoice.document_type = DocumentType::CreditNote;
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        let proposal = propose(&invoice);
        let suffix = "— Acme B.V. 2026-118 (credit note)";
        assert_eq!(
            proposal.lines,
            vec![
                line(
                    "4000",
                    &format!("Expenses 21% {suffix}"),
                    dec!(0),
                    dec!(100.00),
                    None
                ),
                line(
                    "1500",
                    &format!("Input VAT 21% {suffix}"),
                    dec!(0),
                    dec!(21.00),
                    Some("VAT-21")
                ),
                line(
                    "1600",
                    &format!("Accounts payable {suffix}"),
                    dec!(121.00),
                    dec!(0),
                    None
                ),
            ]
        );
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);
    }

    #[test]
    fn credit_note_printed_negative_books_like_one_printed_positive() {
        let mut positive = invoice(dec!(100.00), dec!(21.00), dec!(121.00));
        positive.document_type = DocumentType::CreditNote;
        positive.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        let mut negative = invoice(dec!(-100.00), dec!(-21.00), dec!(-121.00));
        negative.document_type = DocumentType::CreditNote;
        negative.vat_breakdown = vec![share(dec!(21), dec!(-100.00), dec!(-21.00))];
        assert_eq!(propose(&negative), propose(&positive));
    }

    #[test]
    fn negative_credit_note_quotes_printed_numbers_in_reasons() {
        let mut invoice = invoice(dec!(-100.00), dec!(-21.00), dec!(-120.00));
        invoice.document_type = DocumentType::CreditNote;
        let proposal = propose(&invoice);
        assert!(
            proposal.reasons[0].contains("net -100.00 + VAT -21.00 = -121.00"),
            "{:?}",
            proposal.reasons
        );
        assert!(proposal.reasons[0].contains("gross total is -120.00 (difference 1.00)"));
        assert_eq!(proposal.total_debit(), dec!(120.00));
        assert_eq!(proposal.lines[2].debit, dec!(120.00));
    }

    #[test]
    fn non_reconciling_totals_book_what_is_owed_and_say_why() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(125.00));
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        let proposal = propose(&invoice);
        assert_eq!(
            proposal.lines,
            vec![
                line(
                    "4000",
                    "Expenses 21% — Acme B.V. 2026-118",
                    dec!(104.00),
                    dec!(0),
                    None
                ),
                line(
                    "1500",
                    "Input VAT 21% — Acme B.V. 2026-118",
                    dec!(21.00),
                    dec!(0),
                    Some("VAT-21")
                ),
                line(
                    "1600",
                    "Accounts payable — Acme B.V. 2026-118",
                    dec!(0),
                    dec!(125.00),
                    None
                ),
            ]
        );
        assert!(proposal.needs_review);
        assert_eq!(
            proposal.reasons,
            vec![
                "The totals do not reconcile: net 100.00 + VAT 21.00 = 121.00, but the gross \
                 total is 125.00 (difference 4.00). Accounts payable was booked at the gross \
                 total, expenses at gross minus VAT (104.00)."
            ]
        );
    }

    #[test]
    fn gross_is_derived_silently_when_net_and_vat_are_confident() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(0));
        invoice.gross_total = None;
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        let proposal = propose(&invoice);
        assert_eq!(proposal.total_credit(), dec!(121.00));
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);

        invoice.confidence.insert("net_total".into(), 0.3);
        let proposal = propose(&invoice);
        assert_eq!(proposal.total_credit(), dec!(121.00));
        assert_eq!(
            proposal.reasons,
            vec![
                "No gross total was found; it was derived as net plus VAT = 121.00 from \
                 figures read with low confidence.",
                "The net total was read with low confidence (0.30).",
            ]
        );
    }

    #[test]
    fn net_is_derived_as_gross_minus_vat() {
        let mut invoice = invoice(dec!(0), dec!(21.00), dec!(121.00));
        invoice.net_total = None;
        let proposal = propose(&invoice);
        assert_eq!(proposal.lines[0].debit, dec!(100.00));
        assert_eq!(proposal.lines[1].debit, dec!(21.00));
        assert_eq!(proposal.lines[2].credit, dec!(121.00));
        // Without a breakdown the VAT line lacks a code, which the bookkeeper must supply.
        assert_eq!(proposal.lines[1].vat_code, None);
        assert_eq!(
            proposal.reasons,
            vec![
                "The VAT rate of the 21.00 VAT could not be determined, so the VAT line has no \
                 VAT code."
            ]
        );

        invoice.confidence.insert("gross_total".into(), 0.2);
        let proposal = propose(&invoice);
        assert!(proposal.reasons[0].starts_with("No net total was found; it was derived"));
    }

    #[test]
    fn rate_printed_on_every_invoice_line_codes_the_vat_line() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(121.00));
        let printed = |rate| InvoiceLine {
            vat_rate: rate,
            ..Default::default()
        };
        invoice.lines = vec![printed(Some(dec!(21))), printed(Some(dec!(21.00)))];
        let proposal = propose(&invoice);
        assert_eq!(proposal.lines[1].vat_code.as_deref(), Some("VAT-21"));
        assert_eq!(
            proposal.lines[0].description,
            "Expenses 21% — Acme B.V. 2026-118"
        );
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);

        invoice.lines.push(printed(None));
        let proposal = propose(&invoice);
        assert_eq!(proposal.lines[1].vat_code, None);
        assert!(proposal.needs_review);
    }

    #[test]
    fn missing_vat_is_booked_as_zero_and_flagged() {
        let mut invoice = invoice(dec!(100.00), dec!(0), dec!(100.00));
        invoice.vat_total = None;
        let proposal = propose(&invoice);
        assert_eq!(proposal.lines.len(), 2);
        assert_eq!(proposal.lines[0].debit, dec!(100.00));
        assert_eq!(proposal.lines[1].credit, dec!(100.00));
        assert_eq!(
            proposal.reasons,
            vec!["No VAT total was found; the invoice was booked without VAT."]
        );
    }

    #[test]
    fn missing_vat_total_is_taken_from_the_breakdown() {
        let mut invoice = invoice(dec!(100.00), dec!(0), dec!(121.00));
        invoice.vat_total = None;
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        let proposal = propose(&invoice);
        assert_eq!(proposal.lines[1].debit, dec!(21.00));
        assert_eq!(proposal.lines[1].vat_code.as_deref(), Some("VAT-21"));
        assert_eq!(
            proposal.reasons,
            vec!["No VAT total was found; the VAT breakdown's sum, 21.00, was booked as VAT."]
        );
    }

    #[test]
    fn breakdown_not_adding_up_falls_back_to_single_lines() {
        let mut invoice = invoice(dec!(300.00), dec!(30.00), dec!(330.00));
        invoice.vat_breakdown = vec![
            share(dec!(21), dec!(100.00), dec!(21.00)),
            share(dec!(9), dec!(150.00), dec!(13.50)),
        ];
        let proposal = propose(&invoice);
        assert_eq!(
            proposal.lines,
            vec![
                line(
                    "4000",
                    "Expenses — Acme B.V. 2026-118",
                    dec!(300.00),
                    dec!(0),
                    None
                ),
                line(
                    "1500",
                    "Input VAT — Acme B.V. 2026-118",
                    dec!(30.00),
                    dec!(0),
                    None
                ),
                line(
                    "1600",
                    "Accounts payable — Acme B.V. 2026-118",
                    dec!(0),
                    dec!(330.00),
                    None
                ),
            ]
        );
        assert_eq!(
            proposal.reasons,
            vec![
                "The VAT breakdown's bases add up to 250.00, but the net total is 300.00 \
                 (difference 50.00).",
                "The VAT breakdown's VAT adds up to 34.50, but the VAT total is 30.00 \
                 (difference -4.50).",
                "The VAT rate of the 30.00 VAT could not be determined, so the VAT line has no \
                 VAT code.",
            ]
        );
    }

    #[test]
    fn amounts_with_three_decimals_are_rounded_half_away_from_zero() {
        let mut invoice = invoice(dec!(100.005), dec!(21.001), dec!(121.006));
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.005), dec!(21.001))];
        let proposal = propose(&invoice);
        assert_eq!(proposal.lines[0].debit, dec!(100.01));
        assert_eq!(proposal.lines[1].debit, dec!(21.00));
        assert_eq!(proposal.lines[2].credit, dec!(121.01));
        for line in &proposal.lines {
            assert!(
                line.debit.scale() <= 2 && line.credit.scale() <= 2,
                "{line:?}"
            );
        }
        assert_eq!(
            proposal.reasons,
            vec![
                "Amounts had more decimals than EUR allows (2) and were rounded half away from \
                 zero: gross total 121.006 to 121.01, net total 100.005 to 100.01, VAT total \
                 21.001 to 21.00, breakdown base at 21% 100.005 to 100.01, breakdown VAT at 21% \
                 21.001 to 21.00."
            ]
        );
    }

    #[test]
    fn rounding_that_breaks_reconciliation_still_balances() {
        // Unrounded, 100.005 + 20.005 = 120.010; rounded, 100.01 + 20.01 = 120.02 vs 120.01.
        let invoice = invoice(dec!(100.005), dec!(20.005), dec!(120.010));
        let proposal = propose(&invoice);
        assert_eq!(proposal.total_credit(), dec!(120.01));
        assert_eq!(proposal.lines[0].debit, dec!(100.00));
        assert!(proposal
            .reasons
            .iter()
            .any(|reason| reason.contains("difference -0.01")));
    }

    #[test]
    fn zero_rated_invoice_has_no_vat_line() {
        let mut invoice = invoice(dec!(250.00), dec!(0.00), dec!(250.00));
        invoice.vat_breakdown = vec![share(dec!(0), dec!(250.00), dec!(0.00))];
        let proposal = propose(&invoice);
        assert_eq!(
            proposal.lines,
            vec![
                line(
                    "4000",
                    "Expenses 0% — Acme B.V. 2026-118",
                    dec!(250.00),
                    dec!(0),
                    None
                ),
                line(
                    "1600",
                    "Accounts payable — Acme B.V. 2026-118",
                    dec!(0),
                    dec!(250.00),
                    None
                ),
            ]
        );
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);
    }

    #[test]
    fn yen_are_booked_without_decimals() {
        let mut invoice = invoice(dec!(10000), dec!(1000), dec!(11000));
        invoice.currency = Some("JPY".into());
        invoice.vat_breakdown = vec![share(dec!(10), dec!(10000), dec!(1000))];
        let proposal = propose(&invoice);
        assert_eq!(proposal.total_debit(), dec!(11000));
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);

        let mut invoice = invoice.clone();
        invoice.net_total = Some(dec!(10000.4));
        invoice.vat_total = Some(dec!(1000.5));
        invoice.gross_total = Some(dec!(11000.9));
        invoice.vat_breakdown.clear();
        let proposal = propose(&invoice);
        let amounts: Vec<Decimal> = proposal
            .lines
            .iter()
            .map(|line| line.debit + line.credit)
            .collect();
        assert_eq!(amounts, vec![dec!(10000), dec!(1001), dec!(11001)]);
        for amount in amounts {
            assert_eq!(amount.scale(), 0);
        }
    }

    #[test]
    fn no_amounts_gives_an_empty_entry_for_review() {
        let mut invoice = invoice(dec!(0), dec!(21.00), dec!(0));
        invoice.net_total = None;
        invoice.gross_total = None;
        let proposal = propose(&invoice);
        assert!(proposal.lines.is_empty());
        assert_eq!(
            proposal.reasons,
            vec![
                "No amounts found: neither a gross nor a net total was read, so the proposal \
                 has no lines."
            ]
        );
    }

    #[test]
    fn all_zero_amounts_give_an_empty_entry_for_review() {
        let proposal = propose(&invoice(dec!(0), dec!(0), dec!(0)));
        assert!(proposal.lines.is_empty());
        assert_eq!(
            proposal.reasons,
            vec!["All amounts are zero, so the proposal has no lines."]
        );
    }

    #[test]
    fn negative_invoice_is_booked_as_read_and_flagged() {
        let proposal = propose(&invoice(dec!(-100.00), dec!(-21.00), dec!(-121.00)));
        assert_eq!(proposal.lines[0].credit, dec!(100.00));
        assert_eq!(proposal.lines[1].credit, dec!(21.00));
        assert_eq!(proposal.lines[2].debit, dec!(121.00));
        assert_eq!(
            proposal.reasons,
            vec![
                "The invoice's gross total is negative (-121.00); it may be a credit note. It \
                 was booked as read, which puts expenses on the credit side.",
                "The VAT rate of the -21.00 VAT could not be determined, so the VAT line has no \
                 VAT code.",
            ]
        );
    }

    #[test]
    fn implausible_amounts_are_not_booked() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(121.00));
        invoice.vat_breakdown = vec![share(dec!(21), Decimal::MAX, dec!(21.00))];
        let proposal = propose(&invoice);
        assert!(proposal.lines.is_empty());
        assert_eq!(proposal.reasons.len(), 1);
        assert!(proposal.reasons[0].starts_with("The breakdown base at 21% reads 7922"));
    }

    #[test]
    fn missing_header_fields_and_low_confidence_are_named() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(121.00));
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        invoice.supplier_name = Some("  ".into());
        invoice.invoice_number = None;
        invoice.issue_date = None;
        invoice.currency = None;
        invoice.confidence.insert("supplier_vat_id".into(), 0.25);
        invoice.confidence.insert("gross_total".into(), 0.9);
        invoice.confidence.insert("iban".into(), f32::NAN);
        let proposal = propose(&invoice);
        assert_eq!(
            proposal.reasons,
            vec![
                "No currency was found; amounts were booked as EUR.",
                "No supplier name was found.",
                "No invoice number was found.",
                "No issue date was found.",
                "The IBAN was read with low confidence (NaN).",
                "The supplier VAT ID was read with low confidence (0.25).",
            ]
        );
        assert_eq!(proposal.lines[0].description, "Expenses 21%");
    }

    #[test]
    fn malformed_currency_is_flagged() {
        let mut invoice = invoice(dec!(100), dec!(21), dec!(121));
        invoice.currency = Some("jpy".into());
        let proposal = propose(&invoice);
        assert!(proposal.reasons[0].starts_with("The currency \"jpy\" is not an ISO 4217 code"));
    }
}
