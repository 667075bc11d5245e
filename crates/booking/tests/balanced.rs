//! Property tests: whatever the extractor hands over, the proposal is a well-formed entry, on
//! every shipped chart; a credit note is the exact negation of the same invoice; and when the
//! breakdown reconciles, the per-rate lines add up to the totals.
//!
//! The invoices are deliberately hostile: missing, negative, non-reconciling and oversized
//! amounts, many rates, odd currencies and scales beyond the currency's minor unit, supplier
//! and customer VAT ids from inside and outside the EU, every VAT category, and reverse-charge
//! notices in document texts.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use rust_decimal::Decimal;
use stapel_booking::{propose_booking, propose_booking_with_text, ChartOfAccounts, MAX_AMOUNT};
use stapel_domain::money::{currency_decimals, round_to_currency};
use stapel_domain::{
    BookingProposal, DocumentType, ExtractedInvoice, InvoiceLine, ProposalLine, VatBreakdown,
    VatCategory,
};

/// Amounts as invoices print them, around the plausibility bound, and far beyond it.
fn amount() -> impl Strategy<Value = Decimal> {
    let decimal = |(units, scale)| Decimal::new(units, scale);
    let edges = [
        Decimal::ZERO,
        Decimal::MAX,
        Decimal::MIN,
        MAX_AMOUNT,
        -MAX_AMOUNT,
    ];
    prop_oneof![
        4 => (-100_000_000i64..100_000_000, 0u32..=4).prop_map(decimal),
        2 => (-100_000i64..100_000).prop_map(|cents| Decimal::new(cents, 2)),
        // MAX_AMOUNT written with 0 to 3 decimals, and its neighbours one minor unit away.
        1 => (0u32..=3, -1i64..=1).prop_map(|(scale, step)| {
            Decimal::new(1_000_000_000_000_000 * 10i64.pow(scale) + step, scale)
        }),
        1 => (any::<i64>(), 0u32..=6).prop_map(decimal),
        1 => prop::sample::select(edges.to_vec()),
    ]
}

fn optional_amount() -> impl Strategy<Value = Option<Decimal>> {
    prop_oneof![1 => Just(None), 3 => amount().prop_map(Some)]
}

fn rate() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        3 => prop::sample::select(vec![0i64, 550, 600, 900, 1000, 1900, 2100, 2100])
            .prop_map(|hundredths| Decimal::new(hundredths, 2)),
        1 => (-100i64..10_000, 0u32..=3).prop_map(|(units, scale)| Decimal::new(units, scale)),
    ]
}

/// Every EN 16931 category, an unknown code, and none.
fn category() -> impl Strategy<Value = Option<VatCategory>> {
    prop::option::of(
        prop::sample::select(vec!["S", "Z", "E", "AE", "K", "G", "O", "L", "M", "B"])
            .prop_map(|code| VatCategory::from(code.to_owned())),
    )
}

fn breakdown_row() -> impl Strategy<Value = VatBreakdown> {
    (rate(), amount(), amount(), category()).prop_map(|(rate, base, amount, category)| {
        VatBreakdown {
            rate,
            base,
            amount,
            category,
        }
    })
}

fn invoice() -> impl Strategy<Value = ExtractedInvoice> {
    let header = (
        prop_oneof![Just(DocumentType::Invoice), Just(DocumentType::CreditNote)],
        prop::option::of(prop::sample::select(vec![
            "EUR", "JPY", "KWD", "USD", "jpy", "", " ",
        ])),
        prop::option::of("[A-Za-z .]{0,12}"),
        prop::option::of("[0-9-]{0,8}"),
        btree_map(
            prop::sample::select(vec![
                "gross_total",
                "net_total",
                "vat_total",
                "supplier_name",
                "iban",
            ]),
            prop_oneof![Just(f32::NAN), 0.0f32..=1.0],
            0..4,
        ),
    );
    let amounts = (
        optional_amount(),
        optional_amount(),
        optional_amount(),
        vec(breakdown_row(), 0..8),
        vec(prop::option::of(rate()), 0..4),
    );
    (header, amounts, supplier_vat_id(), supplier_vat_id()).prop_map(
        |(
            (document_type, currency, supplier_name, invoice_number, confidence),
            (gross_total, net_total, vat_total, vat_breakdown, line_rates),
            supplier_vat_id,
            customer_vat_id,
        )| ExtractedInvoice {
            document_type,
            currency: currency.map(str::to_owned),
            supplier_name,
            supplier_vat_id,
            customer_vat_id,
            invoice_number,
            confidence: confidence
                .into_iter()
                .map(|(field, value)| (field.to_owned(), value))
                .collect(),
            gross_total,
            net_total,
            vat_total,
            vat_breakdown,
            lines: line_rates
                .into_iter()
                .map(|vat_rate| InvoiceLine {
                    vat_rate,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        },
    )
}

/// Some invoices that reconcile exactly, so the happy path is exercised as often as the rest.
fn consistent_invoice() -> impl Strategy<Value = ExtractedInvoice> {
    (
        invoice(),
        vec(
            (
                rate(),
                -100_000_000i64..100_000_000,
                -20_000_000i64..20_000_000,
            ),
            1..6,
        ),
    )
        .prop_map(|(mut invoice, rows)| {
            invoice.vat_breakdown = rows
                .into_iter()
                .map(|(rate, base, amount)| VatBreakdown {
                    rate,
                    base: Decimal::new(base, 2),
                    amount: Decimal::new(amount, 2),
                    category: None,
                })
                .collect();
            let net: Decimal = invoice.vat_breakdown.iter().map(|row| row.base).sum();
            let vat: Decimal = invoice.vat_breakdown.iter().map(|row| row.amount).sum();
            invoice.currency = Some("EUR".into());
            invoice.net_total = Some(net);
            invoice.vat_total = Some(vat);
            invoice.gross_total = Some(net + vat);
            invoice
        })
}

fn check(invoice: &ExtractedInvoice) -> Result<(), TestCaseError> {
    check_proposal(
        invoice,
        &ChartOfAccounts::generic(),
        &propose_booking(invoice, &ChartOfAccounts::generic()),
    )
}

fn check_proposal(
    invoice: &ExtractedInvoice,
    chart: &ChartOfAccounts,
    proposal: &BookingProposal,
) -> Result<(), TestCaseError> {
    prop_assert!(proposal.is_balanced(), "{proposal:#?}");
    prop_assert_eq!(proposal.needs_review, !proposal.reasons.is_empty());
    for reason in &proposal.reasons {
        prop_assert!(reason.ends_with('.'), "not a sentence: {reason}");
    }

    let currency = match invoice.currency.as_deref().map(str::trim) {
        None | Some("") => "EUR",
        Some(currency) => currency,
    };
    let decimals = currency_decimals(currency);
    for line in &proposal.lines {
        prop_assert!(
            line.debit.is_zero() != line.credit.is_zero(),
            "not exactly one non-zero side: {line:?}"
        );
        prop_assert!(
            !line.debit.is_sign_negative() || line.debit.is_zero(),
            "{line:?}"
        );
        prop_assert!(
            !line.credit.is_sign_negative() || line.credit.is_zero(),
            "{line:?}"
        );
        prop_assert!(line.debit.scale() <= decimals, "{line:?}");
        prop_assert!(line.credit.scale() <= decimals, "{line:?}");
        // Codes belong to the chart's country (or read VAT-<rate> on the generic chart).
        if let Some(code) = &line.vat_code {
            let prefix = format!("{}-", chart.country().unwrap_or("VAT"));
            prop_assert!(code.starts_with(&prefix), "{line:?}");
        }
    }

    // Accounts payable is always what the document says is owed, whatever else is wrong.
    let in_bounds = [invoice.gross_total, invoice.net_total, invoice.vat_total]
        .into_iter()
        .flatten()
        .chain(
            invoice
                .vat_breakdown
                .iter()
                .flat_map(|row| [row.base, row.amount]),
        )
        .all(|amount| amount.abs() <= MAX_AMOUNT);
    if let (Some(gross), true) = (invoice.gross_total, in_bounds) {
        let payable: Decimal = proposal
            .lines
            .iter()
            .filter(|line| line.account == chart.accounts_payable().number())
            .map(|line| line.debit + line.credit)
            .sum();
        prop_assert_eq!(payable, round_to_currency(gross, currency).abs());
    }
    if !in_bounds {
        prop_assert!(proposal.lines.is_empty());
        prop_assert!(proposal.needs_review);
    }
    Ok(())
}

/// Supplier VAT ids from every side of the border: the shipped charts' countries, other EU
/// states (Greece as `EL`), outside the EU, and ids without a country prefix.
/// A supplier's (or customer's) VAT id, from inside and outside the EU, or a malformed one.
fn supplier_vat_id() -> impl Strategy<Value = Option<String>> {
    let prefixes = vec![
        "NL", "DE", "DK", "IT", "FR", "BE", "EL", "AT", "CHE-", "GB", "XI", "US", "nl", "1", "",
    ];
    prop::option::of(
        (prop::sample::select(prefixes), "[0-9]{2,11}")
            .prop_map(|(prefix, digits)| format!("{prefix}{digits}")),
    )
}

/// Document texts with and without reverse-charge notices, and arbitrary ones.
fn document_text() -> impl Strategy<Value = Option<String>> {
    let notices = vec![
        "Reverse charge",
        "BTW verlegd",
        "Steuerschuldnerschaft des Leistungsempfängers",
        "autoliquidation",
        "inversione contabile",
        "omvendt betalingspligt",
        "Rechnung",
        "",
    ];
    prop::option::of(prop_oneof![
        prop::sample::select(notices).prop_map(str::to_owned),
        ".{0,40}",
    ])
}

fn any_chart() -> impl Strategy<Value = ChartOfAccounts> {
    prop::sample::select(ChartOfAccounts::builtin_names())
        .prop_map(|name| ChartOfAccounts::builtin(name).unwrap())
}

fn propose(
    invoice: &ExtractedInvoice,
    chart: &ChartOfAccounts,
    text: &Option<String>,
) -> BookingProposal {
    match text {
        Some(text) => propose_booking_with_text(invoice, chart, text),
        None => propose_booking(invoice, chart),
    }
}

/// A line as the bookkeeper compares it: account, debit, credit, VAT code. Descriptions are
/// left out, as a credit note's say "(credit note)".
fn figures(lines: &[ProposalLine]) -> Vec<(String, Decimal, Decimal, Option<String>)> {
    lines
        .iter()
        .map(|line| {
            (
                line.account.clone(),
                line.debit,
                line.credit,
                line.vat_code.clone(),
            )
        })
        .collect()
}

fn swapped(lines: &[ProposalLine]) -> Vec<(String, Decimal, Decimal, Option<String>)> {
    figures(lines)
        .into_iter()
        .map(|(account, debit, credit, code)| (account, credit, debit, code))
        .collect()
}

/// The same document with every amount's sign flipped.
fn negated(invoice: &ExtractedInvoice) -> ExtractedInvoice {
    let mut negated = invoice.clone();
    for amount in [
        &mut negated.gross_total,
        &mut negated.net_total,
        &mut negated.vat_total,
    ]
    .into_iter()
    .flatten()
    {
        *amount = -*amount;
    }
    for row in &mut negated.vat_breakdown {
        row.base = -row.base;
        row.amount = -row.amount;
    }
    negated
}

/// Invoices whose breakdown reconciles, at rates the chart's country has, from a supplier of
/// unknown country (so the VAT is the administration's own).
fn tabled_invoice() -> impl Strategy<Value = (ExtractedInvoice, ChartOfAccounts)> {
    let chart = prop::sample::select(vec!["nl-rgs", "de-skr03", "de-skr04", "dk", "it"])
        .prop_map(|name| ChartOfAccounts::builtin(name).unwrap());
    (chart, consistent_invoice(), vec(0usize..8, 1..6)).prop_map(|(chart, mut invoice, picks)| {
        let country = chart.country().unwrap().to_owned();
        let rates: Vec<Decimal> = stapel_booking::vat::rates_of(&country)
            .map(|rate| rate.percent())
            .collect();
        for (row, pick) in invoice.vat_breakdown.iter_mut().zip(picks.iter().cycle()) {
            row.rate = rates[pick % rates.len()];
            if row.rate.is_zero() {
                row.amount = Decimal::ZERO;
            }
        }
        let vat: Decimal = invoice.vat_breakdown.iter().map(|row| row.amount).sum();
        let net: Decimal = invoice.vat_breakdown.iter().map(|row| row.base).sum();
        invoice.document_type = DocumentType::Invoice;
        invoice.supplier_vat_id = None;
        invoice.customer_vat_id = None;
        invoice.currency = chart.currency().map(str::to_owned);
        invoice.vat_total = Some(vat);
        invoice.net_total = Some(net);
        invoice.gross_total = Some(net + vat);
        (invoice, chart)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn every_proposal_is_balanced_and_well_formed(invoice in invoice()) {
        check(&invoice)?;
    }

    #[test]
    fn consistent_invoices_are_booked_per_rate(invoice in consistent_invoice()) {
        check(&invoice)?;
        let chart = ChartOfAccounts::generic();
        let proposal = propose_booking(&invoice, &chart);
        let amounts_reason = proposal.reasons.iter().any(|reason| {
            ["reconcile", "breakdown", "No amounts"]
                .iter()
                .any(|topic| reason.contains(topic))
        });
        prop_assert!(!amounts_reason, "{:?}", proposal.reasons);
        for line in &proposal.lines {
            if line.account == chart.input_vat().number() {
                prop_assert!(line.vat_code.is_some(), "{line:?}");
            }
            if line.account == chart.expense().number() {
                prop_assert!(line.description.contains('%'), "{line:?}");
            }
        }
    }

    #[test]
    fn every_chart_and_regime_gives_a_balanced_well_formed_proposal(
        invoice in invoice(),
        chart in any_chart(),
        text in document_text(),
    ) {
        let proposal = propose(&invoice, &chart, &text);
        check_proposal(&invoice, &chart, &proposal)?;
    }

    #[test]
    fn a_credit_note_is_the_exact_negation_of_the_same_invoice(
        invoice in invoice(),
        chart in any_chart(),
        text in document_text(),
    ) {
        let as_invoice = ExtractedInvoice {
            document_type: DocumentType::Invoice,
            ..invoice.clone()
        };
        let as_credit_note = ExtractedInvoice {
            document_type: DocumentType::CreditNote,
            ..invoice.clone()
        };
        let credit_note = propose(&as_credit_note, &chart, &text);
        let currency = match invoice.currency.as_deref().map(str::trim) {
            None | Some("") => "EUR",
            Some(currency) => currency,
        };
        let lead = invoice
            .gross_total
            .or(invoice.net_total)
            .filter(|lead| lead.abs() <= MAX_AMOUNT)
            .map(|lead| round_to_currency(lead, currency));
        // A credit note printed with negative amounts reads like one printed positive, so it
        // negates the invoice with positive amounts.
        let invoice_figures = if lead.is_some_and(|lead| lead.is_sign_negative() && !lead.is_zero()) {
            propose(&negated(&as_invoice), &chart, &text)
        } else {
            propose(&as_invoice, &chart, &text)
        };
        prop_assert_eq!(
            figures(&credit_note.lines),
            swapped(&invoice_figures.lines),
            "{:#?}\n{:#?}",
            credit_note,
            invoice_figures
        );
    }

    #[test]
    fn multi_rate_splits_sum_to_the_totals((invoice, chart) in tabled_invoice()) {
        let proposal = propose_booking(&invoice, &chart);
        check_proposal(&invoice, &chart, &proposal)?;
        let signed = |account: &str| -> Decimal {
            proposal
                .lines
                .iter()
                .filter(|line| line.account == account)
                .map(|line| line.debit - line.credit)
                .sum()
        };
        let vat_accounts: Vec<&str> = proposal
            .lines
            .iter()
            .map(|line| line.account.as_str())
            .filter(|account| {
                *account != chart.expense().number()
                    && *account != chart.accounts_payable().number()
            })
            .collect();
        let vat_lines: Decimal = proposal
            .lines
            .iter()
            .filter(|line| vat_accounts.contains(&line.account.as_str()))
            .map(|line| line.debit - line.credit)
            .sum();
        prop_assert_eq!(signed(chart.expense().number()), invoice.net_total.unwrap());
        prop_assert_eq!(vat_lines, invoice.vat_total.unwrap());
        prop_assert_eq!(signed(chart.accounts_payable().number()), -invoice.gross_total.unwrap());
        // One expense line per rate with a base, one VAT line per rate with VAT, each VAT line
        // coded with its country's code for its rate.
        let rates_with_base = invoice
            .vat_breakdown
            .iter()
            .filter(|row| !row.base.is_zero())
            .map(|row| row.rate.normalize())
            .collect::<std::collections::BTreeSet<_>>();
        let mut by_rate: std::collections::BTreeMap<Decimal, Decimal> = Default::default();
        for row in &invoice.vat_breakdown {
            *by_rate.entry(row.rate.normalize()).or_default() += row.base;
        }
        let expense_lines = proposal
            .lines
            .iter()
            .filter(|line| line.account == chart.expense().number())
            .count();
        let nonzero_bases = by_rate.values().filter(|base| !base.is_zero()).count();
        prop_assert_eq!(expense_lines, nonzero_bases, "{:?}", rates_with_base);
        for line in &proposal.lines {
            if vat_accounts.contains(&line.account.as_str()) {
                prop_assert!(line.vat_code.is_some(), "{line:?}");
            }
        }
        let vat_reason = proposal.reasons.iter().any(|reason| {
            ["reconcile", "breakdown", "VAT code", "VAT ID", "Reverse charge", "currency"]
                .iter()
                .any(|topic| reason.contains(topic))
        });
        prop_assert!(!vat_reason, "{:?}", proposal.reasons);
    }
}
