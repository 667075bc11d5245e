//! Property tests: whatever the extractor hands over, the proposal is a well-formed entry.
//!
//! The invoices are deliberately hostile: missing, negative, non-reconciling and oversized
//! amounts, many rates, odd currencies and scales beyond the currency's minor unit.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use rust_decimal::Decimal;
use stapel_booking::{propose_booking, ChartOfAccounts, MAX_AMOUNT};
use stapel_domain::money::{currency_decimals, round_to_currency};
use stapel_domain::{DocumentType, ExtractedInvoice, InvoiceLine, VatBreakdown};

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

fn breakdown_row() -> impl Strategy<Value = VatBreakdown> {
    (rate(), amount(), amount()).prop_map(|(rate, base, amount)| VatBreakdown {
        rate,
        base,
        amount,
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
    (header, amounts).prop_map(
        |(
            (document_type, currency, supplier_name, invoice_number, confidence),
            (gross_total, net_total, vat_total, vat_breakdown, line_rates),
        )| ExtractedInvoice {
            document_type,
            currency: currency.map(str::to_owned),
            supplier_name,
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
    let chart = ChartOfAccounts::generic();
    let proposal = propose_booking(invoice, &chart);

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
}
