//! One test per VAT regime, with the expected journal written out in full: account, debit,
//! credit and VAT code of every line, and the reasons a bookkeeper would read.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use stapel_booking::{
    detect_reverse_charge, propose_booking, propose_booking_with_text, ChartOfAccounts,
};
use stapel_domain::{
    BookingProposal, DocumentType, ExtractedInvoice, InvoiceLine, VatBreakdown, VatCategory,
};

/// A complete invoice from `supplier`, whose VAT id is `vat_id`, with the given breakdown;
/// the totals are the breakdown's sums.
fn purchase(
    supplier: &str,
    vat_id: &str,
    breakdown: &[(Decimal, Decimal, Decimal)],
) -> ExtractedInvoice {
    let vat_breakdown: Vec<VatBreakdown> = breakdown
        .iter()
        .map(|&(rate, base, amount)| VatBreakdown {
            rate,
            base,
            amount,
            category: None,
        })
        .collect();
    let net: Decimal = vat_breakdown.iter().map(|row| row.base).sum();
    let vat: Decimal = vat_breakdown.iter().map(|row| row.amount).sum();
    ExtractedInvoice {
        supplier_name: Some(supplier.into()),
        supplier_vat_id: Some(vat_id.into()),
        invoice_number: Some("2026-118".into()),
        issue_date: NaiveDate::from_ymd_opt(2026, 11, 21),
        currency: Some("EUR".into()),
        net_total: Some(net),
        vat_total: Some(vat),
        gross_total: Some(net + vat),
        vat_breakdown,
        ..Default::default()
    }
}

/// A journal line as (account, debit, credit, VAT code), the columns a bookkeeper checks.
type Row = (&'static str, Decimal, Decimal, Option<&'static str>);

fn rows(proposal: &BookingProposal) -> Vec<(String, Decimal, Decimal, Option<String>)> {
    proposal
        .lines
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

fn expect(proposal: &BookingProposal, expected: &[Row]) {
    let expected: Vec<(String, Decimal, Decimal, Option<String>)> = expected
        .iter()
        .map(|&(account, debit, credit, code)| {
            (account.into(), debit, credit, code.map(Into::into))
        })
        .collect();
    assert_eq!(rows(proposal), expected, "{proposal:#?}");
    assert!(proposal.is_balanced(), "{proposal:#?}");
    assert_eq!(proposal.needs_review, !proposal.reasons.is_empty());
}

fn chart(name: &str) -> ChartOfAccounts {
    ChartOfAccounts::builtin(name).unwrap()
}

const ZERO: Decimal = Decimal::ZERO;

#[test]
fn netherlands_standard_rate() {
    let invoice = purchase(
        "Bakkerij Jansen B.V.",
        "NL123456789B01",
        &[(dec!(21), dec!(100.00), dec!(21.00))],
    );
    let proposal = propose_booking(&invoice, &chart("nl-rgs"));
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(100.00), ZERO, None),
            ("BSchBepBtwVoo", dec!(21.00), ZERO, Some("NL-21")),
            ("BSchCreHac", ZERO, dec!(121.00), None),
        ],
    );
    assert_eq!(
        proposal.lines[1].description,
        "Voorbelasting 21% — Bakkerij Jansen B.V. 2026-118"
    );
    assert!(!proposal.needs_review, "{:?}", proposal.reasons);
}

#[test]
fn germany_19_and_7_percent_on_skr03() {
    let invoice = purchase(
        "Müller Bürobedarf GmbH",
        "DE136695976",
        &[
            (dec!(19), dec!(200.00), dec!(38.00)),
            (dec!(7), dec!(100.00), dec!(7.00)),
        ],
    );
    let proposal = propose_booking(&invoice, &chart("de-skr03"));
    // Rates run from the lowest up; each rate's VAT goes to its own Vorsteuer account.
    expect(
        &proposal,
        &[
            ("4900", dec!(100.00), ZERO, None),
            ("4900", dec!(200.00), ZERO, None),
            ("1571", dec!(7.00), ZERO, Some("DE-7")),
            ("1576", dec!(38.00), ZERO, Some("DE-19")),
            ("1600", ZERO, dec!(345.00), None),
        ],
    );
    let descriptions: Vec<&str> = proposal
        .lines
        .iter()
        .map(|line| line.description.as_str())
        .collect();
    assert_eq!(
        descriptions,
        [
            "Sonstige betriebliche Aufwendungen 7% — Müller Bürobedarf GmbH 2026-118",
            "Sonstige betriebliche Aufwendungen 19% — Müller Bürobedarf GmbH 2026-118",
            "Abziehbare Vorsteuer 7 % — Müller Bürobedarf GmbH 2026-118",
            "Abziehbare Vorsteuer 19 % — Müller Bürobedarf GmbH 2026-118",
            "Verbindlichkeiten aus Lieferungen und Leistungen — Müller Bürobedarf GmbH 2026-118",
        ]
    );
    assert!(!proposal.needs_review, "{:?}", proposal.reasons);

    // The same invoice on SKR04.
    let proposal = propose_booking(&invoice, &chart("de-skr04"));
    expect(
        &proposal,
        &[
            ("6300", dec!(100.00), ZERO, None),
            ("6300", dec!(200.00), ZERO, None),
            ("1401", dec!(7.00), ZERO, Some("DE-7")),
            ("1406", dec!(38.00), ZERO, Some("DE-19")),
            ("3300", ZERO, dec!(345.00), None),
        ],
    );
}

#[test]
fn italy_22_10_and_4_percent() {
    let invoice = purchase(
        "Rossi Forniture S.r.l.",
        "IT12345670017",
        &[
            (dec!(22), dec!(100.00), dec!(22.00)),
            (dec!(10), dec!(200.00), dec!(20.00)),
            (dec!(4), dec!(50.00), dec!(2.00)),
        ],
    );
    let proposal = propose_booking(&invoice, &chart("it"));
    expect(
        &proposal,
        &[
            ("4903", dec!(50.00), ZERO, None),
            ("4903", dec!(200.00), ZERO, None),
            ("4903", dec!(100.00), ZERO, None),
            ("1601", dec!(2.00), ZERO, Some("IT-4")),
            ("1601", dec!(20.00), ZERO, Some("IT-10")),
            ("1601", dec!(22.00), ZERO, Some("IT-22")),
            ("2501", ZERO, dec!(394.00), None),
        ],
    );
    assert!(!proposal.needs_review, "{:?}", proposal.reasons);
}

/// A French chart from TOML, as a firm would load its own: the Plan comptable général, with
/// the 5.5 % rate on an account of its own.
fn french_chart() -> ChartOfAccounts {
    ChartOfAccounts::from_toml(
        r#"
        name = "Plan comptable général"
        country = "FR"
        currency = "EUR"

        [expense]
        number = "6068"
        name = "Autres matières et fournitures"

        [input_vat]
        number = "44566"
        name = "TVA déductible sur autres biens et services"

        [input_vat.second_reduced]
        number = "445662"
        name = "TVA déductible 5,5 %"

        [accounts_payable]
        number = "401"
        name = "Fournisseurs"

        [reverse_charge.input_vat]
        number = "445662"
        name = "TVA déductible autoliquidée"

        [reverse_charge.output_vat]
        number = "4452"
        name = "TVA due intracommunautaire"
        "#,
    )
    .unwrap()
}

#[test]
fn france_20_and_5_5_percent() {
    let invoice = purchase(
        "Boulangerie Dupont SARL",
        "FR40303265045",
        &[
            (dec!(20), dec!(100.00), dec!(20.00)),
            (dec!(5.50), dec!(200.00), dec!(11.00)),
        ],
    );
    let proposal = propose_booking(&invoice, &french_chart());
    expect(
        &proposal,
        &[
            ("6068", dec!(200.00), ZERO, None),
            ("6068", dec!(100.00), ZERO, None),
            ("445662", dec!(11.00), ZERO, Some("FR-5.5")),
            ("44566", dec!(20.00), ZERO, Some("FR-20")),
            ("401", ZERO, dec!(331.00), None),
        ],
    );
    assert!(!proposal.needs_review, "{:?}", proposal.reasons);
}

#[test]
fn denmark_25_percent() {
    let mut invoice = purchase(
        "Hansen & Søn ApS",
        "DK13585628",
        &[(dec!(25), dec!(1000.00), dec!(250.00))],
    );
    invoice.currency = Some("DKK".into());
    let proposal = propose_booking(&invoice, &chart("dk"));
    expect(
        &proposal,
        &[
            ("2810", dec!(1000.00), ZERO, None),
            ("7740", dec!(250.00), ZERO, Some("DK-25")),
            ("7440", ZERO, dec!(1250.00), None),
        ],
    );
    assert!(!proposal.needs_review, "{:?}", proposal.reasons);
}

#[test]
fn zero_rated_line_carries_the_zero_code_on_its_expense_line() {
    let invoice = purchase(
        "Bakkerij Jansen B.V.",
        "NL123456789B01",
        &[
            (dec!(21), dec!(100.00), dec!(21.00)),
            (dec!(0), dec!(50.00), dec!(0.00)),
        ],
    );
    let proposal = propose_booking(&invoice, &chart("nl-rgs"));
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(50.00), ZERO, Some("NL-0")),
            ("WBedAlkOal", dec!(100.00), ZERO, None),
            ("BSchBepBtwVoo", dec!(21.00), ZERO, Some("NL-21")),
            ("BSchCreHac", ZERO, dec!(171.00), None),
        ],
    );
    assert!(!proposal.needs_review, "{:?}", proposal.reasons);

    // A wholly exempt invoice: no VAT line at all.
    let exempt = purchase(
        "Verzekeraar N.V.",
        "NL123456789B01",
        &[(dec!(0), dec!(80.00), dec!(0.00))],
    );
    let proposal = propose_booking(&exempt, &chart("nl-rgs"));
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(80.00), ZERO, Some("NL-0")),
            ("BSchCreHac", ZERO, dec!(80.00), None),
        ],
    );
}

const NL_INVOICE_TEXT: &str = "Van Dijk Techniek B.V.\nFactuur 2026-118\nOmschrijving: \
    onderhoud persen\nTotaal excl. btw 1.000,00\nBTW 0% 0,00\nBTW verlegd / \
    Reverse charge, article 196 Directive 2006/112/EC\nTotaal 1.000,00";

#[test]
fn eu_reverse_charge_dutch_supplier_german_buyer_on_skr03() {
    let invoice = purchase(
        "Van Dijk Techniek B.V.",
        "NL858475622B01",
        &[(dec!(0), dec!(1000.00), dec!(0.00))],
    );
    let proposal = propose_booking_with_text(&invoice, &chart("de-skr03"), NL_INVOICE_TEXT);
    // Expense at the net, 19 % self-assessed on both sides, the supplier owed the net.
    expect(
        &proposal,
        &[
            ("4900", dec!(1000.00), ZERO, Some("DE-RC-19")),
            ("1577", dec!(190.00), ZERO, Some("DE-RC-19")),
            ("1787", ZERO, dec!(190.00), Some("DE-RC-19")),
            ("1600", ZERO, dec!(1000.00), None),
        ],
    );
    let descriptions: Vec<&str> = proposal
        .lines
        .iter()
        .map(|line| line.description.as_str())
        .collect();
    assert_eq!(
        descriptions,
        [
            "Sonstige betriebliche Aufwendungen reverse charge 19% — Van Dijk Techniek B.V. \
             2026-118",
            "Abziehbare Vorsteuer nach § 13b UStG 19 % — Van Dijk Techniek B.V. 2026-118",
            "Umsatzsteuer nach § 13b UStG 19 % — Van Dijk Techniek B.V. 2026-118",
            "Verbindlichkeiten aus Lieferungen und Leistungen — Van Dijk Techniek B.V. 2026-118",
        ]
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "Reverse charge: the supplier's VAT ID is from NL, another EU member state, the \
             document says \"reverse charge\", and no VAT was charged, so the buyer owes the \
             VAT. It was self-assessed at the German standard rate of 19% on the net 1000.00: \
             190.00 as input VAT and 190.00 as output VAT, and the supplier is owed the net \
             only. It was booked as a service under § 13b UStG; goods from another EU country \
             are an intra-community acquisition (§ 1a UStG) with their own accounts and tax \
             key. If a reduced rate applies to what was bought, change both VAT lines."
        ]
    );
}

#[test]
fn eu_reverse_charge_is_detected_from_vat_ids_alone_and_flags_a_missing_notice() {
    let invoice = purchase(
        "Van Dijk Techniek B.V.",
        "NL858475622B01",
        &[(dec!(0), dec!(1000.00), dec!(0.00))],
    );
    // Without the document's text the VAT ids decide.
    let proposal = propose_booking(&invoice, &chart("de-skr04"));
    expect(
        &proposal,
        &[
            ("6300", dec!(1000.00), ZERO, Some("DE-RC-19")),
            ("1407", dec!(190.00), ZERO, Some("DE-RC-19")),
            ("3837", ZERO, dec!(190.00), Some("DE-RC-19")),
            ("3300", ZERO, dec!(1000.00), None),
        ],
    );
    // With a text that lacks the notice, the reason says so.
    let proposal = propose_booking_with_text(&invoice, &chart("de-skr04"), "Rechnung 2026-118");
    assert!(
        proposal.reasons[0].contains("The document prints no reverse-charge notice"),
        "{:?}",
        proposal.reasons
    );
}

#[test]
fn reverse_charge_on_the_dutch_danish_and_italian_charts() {
    let from_germany = purchase(
        "Müller Maschinenbau GmbH",
        "DE136695976",
        &[(dec!(0), dec!(200.00), dec!(0.00))],
    );
    let text = "Steuerschuldnerschaft des Leistungsempfängers";
    expect(
        &propose_booking_with_text(&from_germany, &chart("nl-rgs"), text),
        &[
            ("WBedAlkOal", dec!(200.00), ZERO, Some("NL-RC-21")),
            ("BSchBepBtwVoo", dec!(42.00), ZERO, Some("NL-RC-21")),
            ("BSchBepBtwOlu", ZERO, dec!(42.00), Some("NL-RC-21")),
            ("BSchCreHac", ZERO, dec!(200.00), None),
        ],
    );
    let mut in_kroner = from_germany.clone();
    in_kroner.currency = Some("DKK".into());
    expect(
        &propose_booking_with_text(&in_kroner, &chart("dk"), text),
        &[
            ("2810", dec!(200.00), ZERO, Some("DK-RC-25")),
            ("7740", dec!(50.00), ZERO, Some("DK-RC-25")),
            ("7720", ZERO, dec!(50.00), Some("DK-RC-25")),
            ("7440", ZERO, dec!(200.00), None),
        ],
    );
    expect(
        &propose_booking_with_text(&from_germany, &chart("it"), text),
        &[
            ("4903", dec!(200.00), ZERO, Some("IT-RC-22")),
            ("1601", dec!(44.00), ZERO, Some("IT-RC-22")),
            ("2601", ZERO, dec!(44.00), Some("IT-RC-22")),
            ("2501", ZERO, dec!(200.00), None),
        ],
    );
}

#[test]
fn domestic_reverse_charge_from_the_notice() {
    // A Dutch subcontractor invoicing "btw verlegd": the supplier is Dutch too.
    let invoice = purchase(
        "Bouwbedrijf De Vries",
        "NL001234567B02",
        &[(dec!(0), dec!(5000.00), dec!(0.00))],
    );
    let proposal = propose_booking_with_text(&invoice, &chart("nl-rgs"), "BTW-verlegd");
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(5000.00), ZERO, Some("NL-RC-21")),
            ("BSchBepBtwVoo", dec!(1050.00), ZERO, Some("NL-RC-21")),
            ("BSchBepBtwOlu", ZERO, dec!(1050.00), Some("NL-RC-21")),
            ("BSchCreHac", ZERO, dec!(5000.00), None),
        ],
    );
    assert!(proposal.reasons[0].contains("a domestic reverse charge"));
    assert!(proposal.reasons[0].contains("check it against the Dutch VAT return"));
}

#[test]
fn non_eu_import_from_a_swiss_supplier() {
    let invoice = ExtractedInvoice {
        vat_breakdown: Vec::new(),
        ..purchase(
            "Alpen Präzision AG",
            "CHE-116.281.710 MWST",
            &[(dec!(0), dec!(500.00), dec!(0.00))],
        )
    };
    let proposal = propose_booking(&invoice, &chart("de-skr03"));
    // No input VAT on the invoice; the expense line has no code, as no box takes it.
    expect(
        &proposal,
        &[
            ("4900", dec!(500.00), ZERO, None),
            ("1600", ZERO, dec!(500.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "The supplier's VAT ID is from CH, outside the EU, and no VAT was charged, so there \
             is no input VAT to deduct on this invoice. In DE, import VAT on goods \
             (Einfuhrumsatzsteuer) is paid to customs and deducted from the customs notice; \
             services from outside the EU fall under § 13b UStG."
        ]
    );

    // On the Dutch chart the reason points to box 4a and the article 23 licence.
    let proposal = propose_booking(&invoice, &chart("nl-rgs"));
    assert!(
        proposal.reasons[0].contains("article 23 licence"),
        "{:?}",
        proposal.reasons
    );
}

#[test]
fn credit_note_books_the_invoice_with_sides_swapped() {
    let mut credit_note = purchase(
        "Müller Bürobedarf GmbH",
        "DE136695976",
        &[(dec!(19), dec!(100.00), dec!(19.00))],
    );
    credit_note.document_type = DocumentType::CreditNote;
    let proposal = propose_booking(&credit_note, &chart("de-skr03"));
    expect(
        &proposal,
        &[
            ("4900", ZERO, dec!(100.00), None),
            ("1576", ZERO, dec!(19.00), Some("DE-19")),
            ("1600", dec!(119.00), ZERO, None),
        ],
    );
    assert!(proposal.lines[0].description.ends_with("(credit note)"));
    assert!(!proposal.needs_review, "{:?}", proposal.reasons);

    // A reverse-charge credit note reverses the self-assessment too.
    let mut credit_note = purchase(
        "Van Dijk Techniek B.V.",
        "NL858475622B01",
        &[(dec!(0), dec!(-1000.00), dec!(0.00))],
    );
    credit_note.document_type = DocumentType::CreditNote;
    expect(
        &propose_booking(&credit_note, &chart("de-skr03")),
        &[
            ("4900", ZERO, dec!(1000.00), Some("DE-RC-19")),
            ("1577", ZERO, dec!(190.00), Some("DE-RC-19")),
            ("1787", dec!(190.00), ZERO, Some("DE-RC-19")),
            ("1600", dec!(1000.00), ZERO, None),
        ],
    );
}

#[test]
fn foreign_vat_is_booked_as_charged_without_a_code() {
    // A German hotel charging German VAT to a Dutch administration.
    let invoice = purchase(
        "Hotel Adler GmbH",
        "DE136695976",
        &[(dec!(7), dec!(100.00), dec!(7.00))],
    );
    let proposal = propose_booking(&invoice, &chart("nl-rgs"));
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(100.00), ZERO, None),
            ("BSchBepBtwVoo", dec!(7.00), ZERO, None),
            ("BSchCreHac", ZERO, dec!(107.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "The supplier's VAT ID is from DE, but this administration files Dutch VAT returns: \
             the 7.00 VAT charged cannot be deducted there, so its VAT line has no VAT code. \
             Reclaim it in DE through the EU VAT refund procedure (Directive 2008/9/EC), or \
             book it as a cost."
        ]
    );
}

#[test]
fn a_notice_on_an_invoice_that_charges_vat_is_ambiguous() {
    let invoice = purchase(
        "Van Dijk Techniek B.V.",
        "NL858475622B01",
        &[(dec!(21), dec!(100.00), dec!(21.00))],
    );
    let proposal = propose_booking_with_text(&invoice, &chart("nl-rgs"), "btw verlegd");
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(100.00), ZERO, None),
            ("BSchBepBtwVoo", dec!(21.00), ZERO, Some("NL-21")),
            ("BSchCreHac", ZERO, dec!(121.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "The document says \"BTW verlegd\" (the buyer owes the VAT), but it charges 21.00 \
             VAT; the VAT was booked as charged. Check whether the supplier should have charged \
             it."
        ]
    );
}

#[test]
fn a_rate_the_country_does_not_have_gets_no_code() {
    let invoice = purchase(
        "Bakkerij Jansen B.V.",
        "NL123456789B01",
        &[(dec!(19), dec!(100.00), dec!(19.00))],
    );
    let proposal = propose_booking(&invoice, &chart("nl-rgs"));
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(100.00), ZERO, None),
            ("BSchBepBtwVoo", dec!(19.00), ZERO, None),
            ("BSchCreHac", ZERO, dec!(119.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "The VAT rate 19% is not a Dutch rate (21%, 9%, 0%), so its line has no VAT code \
             and is booked on the general input VAT account."
        ]
    );

    // On SKR03 an unknown rate lands on 1570, the general Vorsteuer account.
    let superseded = purchase(
        "Müller Bürobedarf GmbH",
        "DE136695976",
        &[(dec!(16), dec!(100.00), dec!(16.00))],
    );
    let proposal = propose_booking(&superseded, &chart("de-skr03"));
    assert_eq!(proposal.lines[1].account, "1570");
    assert_eq!(proposal.lines[1].vat_code, None);
}

#[test]
fn without_a_country_nothing_is_self_assessed() {
    let invoice = purchase(
        "Van Dijk Techniek B.V.",
        "NL858475622B01",
        &[(dec!(0), dec!(1000.00), dec!(0.00))],
    );
    let proposal =
        propose_booking_with_text(&invoice, &ChartOfAccounts::generic(), "Reverse charge");
    expect(
        &proposal,
        &[
            ("4000", dec!(1000.00), ZERO, Some("VAT-0")),
            ("1600", ZERO, dec!(1000.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "The document says \"reverse charge\" and charges no VAT, but the chart names no \
             country whose rate could be self-assessed, so no reverse-charge VAT was booked."
        ]
    );
    // Without a notice, the generic chart books as before and asks nothing.
    assert!(!propose_booking(&invoice, &ChartOfAccounts::generic()).needs_review);
}

#[test]
fn a_country_without_a_rate_table_is_coded_but_flagged() {
    let austrian = ChartOfAccounts::from_toml(
        r#"
        name = "Österreich"
        country = "AT"
        [expense]
        number = "7300"
        name = "Sonstiger Aufwand"
        [input_vat]
        number = "2500"
        name = "Vorsteuer"
        [accounts_payable]
        number = "3300"
        name = "Lieferverbindlichkeiten"
        "#,
    )
    .unwrap();
    let invoice = purchase(
        "Huber GmbH",
        "ATU13585627",
        &[(dec!(20), dec!(100.00), dec!(20.00))],
    );
    let proposal = propose_booking(&invoice, &austrian);
    expect(
        &proposal,
        &[
            ("7300", dec!(100.00), ZERO, None),
            ("2500", dec!(20.00), ZERO, Some("AT-20")),
            ("3300", ZERO, dec!(120.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "No VAT rates are on file for AT, so the VAT codes were built from the printed \
             rates without a check."
        ]
    );
}

#[test]
fn another_currency_than_the_charts_is_flagged() {
    let mut invoice = purchase(
        "Harbour & Finch Ltd",
        "GB123456789",
        &[(dec!(0), dec!(300.00), dec!(0.00))],
    );
    invoice.currency = Some("GBP".into());
    let proposal = propose_booking(&invoice, &chart("de-skr03"));
    assert_eq!(
        proposal.reasons[0],
        "The invoice is in GBP, but the administration books in EUR; the amounts are in GBP \
         and need converting."
    );
    assert!(proposal.reasons[1].starts_with("The supplier's VAT ID is from GB, outside the EU"));
}

#[test]
fn notices_are_found_in_every_language_and_spelling() {
    let cases = [
        ("Reverse-charge", "reverse charge"),
        ("VAT reverse\ncharge applies", "reverse charge"),
        ("BTW verlegd", "BTW verlegd"),
        ("Btw-verlegd", "BTW verlegd"),
        ("Omzetbelasting verlegd", "omzetbelasting verlegd"),
        (
            "Steuerschuldnerschaft des\nLeistungsempfängers",
            "Steuerschuldnerschaft des Leistungsempfängers",
        ),
        (
            "STEUERSCHULDNERSCHAFT DES LEISTUNGSEMPFANGERS",
            "Steuerschuldnerschaft des Leistungsempfängers",
        ),
        ("gemäß §13b UStG", "§ 13b UStG"),
        ("Autoliquidation", "autoliquidation"),
        ("auto-liquidation", "autoliquidation"),
        ("Operazione in inversione contabile", "inversione contabile"),
        ("Omvendt betalingspligt", "omvendt betalingspligt"),
        (
            "Steuerfreie innergemeinschaftliche Lieferung",
            "innergemeinschaftliche Lieferung",
        ),
        (
            "Livraison intracommunautaire exonérée",
            "livraison intracommunautaire",
        ),
    ];
    let plain = ExtractedInvoice::default();
    for (text, legend) in cases {
        let evidence = detect_reverse_charge(&plain, Some(text));
        assert_eq!(evidence.legend, Some(legend), "{text}");
        assert!(evidence.searched_document_text);
    }
    // A French invoice prints "N° TVA intracommunautaire" as a matter of course; that is not
    // a notice.
    assert_eq!(
        detect_reverse_charge(&plain, Some("N° TVA intracommunautaire : FR40303265045")).legend,
        None
    );

    // Without document text, the lines and payment terms are searched.
    let invoice = ExtractedInvoice {
        supplier_vat_id: Some("el094014201".into()),
        lines: vec![InvoiceLine {
            description: "Consulting — reverse charge".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let evidence = detect_reverse_charge(&invoice, None);
    assert_eq!(evidence.legend, Some("reverse charge"));
    assert_eq!(evidence.supplier_country.as_deref(), Some("GR"));
    assert!(!evidence.searched_document_text);
    assert_eq!(
        detect_reverse_charge(
            &ExtractedInvoice {
                supplier_vat_id: Some("123456789".into()),
                ..Default::default()
            },
            None
        )
        .supplier_country,
        None
    );
}

/// [`purchase`] with a customer VAT id and a category per breakdown row, as an e-invoice
/// states them.
fn categorised(
    supplier: &str,
    vat_id: Option<&str>,
    customer_vat_id: Option<&str>,
    breakdown: &[(Decimal, Decimal, Decimal, &str)],
) -> ExtractedInvoice {
    let rows: Vec<(Decimal, Decimal, Decimal)> = breakdown
        .iter()
        .map(|&(rate, base, amount, _)| (rate, base, amount))
        .collect();
    let mut invoice = purchase(supplier, vat_id.unwrap_or_default(), &rows);
    invoice.supplier_vat_id = vat_id.map(Into::into);
    invoice.customer_vat_id = customer_vat_id.map(Into::into);
    for (row, &(_, _, _, code)) in invoice.vat_breakdown.iter_mut().zip(breakdown) {
        row.category = VatCategory::from_code(code);
    }
    invoice
}

#[test]
fn category_ae_with_both_vat_ids_is_an_intra_community_reverse_charge() {
    // A Dutch supplier's e-invoice to a German buyer: category AE, no VAT, no notice in text.
    let invoice = categorised(
        "Van Dijk Techniek B.V.",
        Some("NL858475622B01"),
        Some("DE136695976"),
        &[(dec!(0), dec!(1000.00), dec!(0.00), "AE")],
    );
    let proposal = propose_booking(&invoice, &chart("de-skr03"));
    expect(
        &proposal,
        &[
            ("4900", dec!(1000.00), ZERO, Some("DE-RC-19")),
            ("1577", dec!(190.00), ZERO, Some("DE-RC-19")),
            ("1787", ZERO, dec!(190.00), Some("DE-RC-19")),
            ("1600", ZERO, dec!(1000.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "Reverse charge: the supplier's VAT ID is from NL and the customer's from DE, \
             different member states, the VAT breakdown has category AE (reverse charge), and \
             no VAT was charged, so the buyer owes the VAT. It was self-assessed at the German \
             standard rate of 19% on the net 1000.00: 190.00 as input VAT and 190.00 as output \
             VAT, and the supplier is owed the net only. It was booked as a service under § 13b \
             UStG; goods from another EU country are an intra-community acquisition (§ 1a \
             UStG) with their own accounts and tax key. If a reduced rate applies to what was \
             bought, change both VAT lines."
        ]
    );
}

#[test]
fn category_ae_alone_reverse_charges_a_domestic_supplier() {
    // A Dutch subcontractor's e-invoice with category AE and no notice: domestic reverse charge.
    let invoice = categorised(
        "Bouwbedrijf De Vries",
        Some("NL001234567B02"),
        Some("NL859726371B01"),
        &[(dec!(0), dec!(5000.00), dec!(0.00), "AE")],
    );
    let proposal = propose_booking(&invoice, &chart("nl-rgs"));
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(5000.00), ZERO, Some("NL-RC-21")),
            ("BSchBepBtwVoo", dec!(1050.00), ZERO, Some("NL-RC-21")),
            ("BSchBepBtwOlu", ZERO, dec!(1050.00), Some("NL-RC-21")),
            ("BSchCreHac", ZERO, dec!(5000.00), None),
        ],
    );
    assert!(
        proposal.reasons[0].starts_with(
            "Reverse charge: the VAT breakdown has category AE (reverse charge) and no VAT was \
             charged, though the supplier is from NL too (a domestic reverse charge), so the \
             buyer owes the VAT."
        ),
        "{:?}",
        proposal.reasons
    );
    assert_eq!(proposal.reasons.len(), 1, "{:?}", proposal.reasons);
}

#[test]
fn category_k_is_an_intra_community_acquisition_for_the_buyer() {
    let invoice = categorised(
        "Müller Maschinenbau GmbH",
        Some("DE136695976"),
        None,
        &[(dec!(0), dec!(200.00), dec!(0.00), "K")],
    );
    let proposal = propose_booking(&invoice, &chart("nl-rgs"));
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(200.00), ZERO, Some("NL-RC-21")),
            ("BSchBepBtwVoo", dec!(42.00), ZERO, Some("NL-RC-21")),
            ("BSchBepBtwOlu", ZERO, dec!(42.00), Some("NL-RC-21")),
            ("BSchCreHac", ZERO, dec!(200.00), None),
        ],
    );
    assert!(
        proposal.reasons[0].starts_with(
            "Reverse charge: the supplier's VAT ID is from DE, another EU member state, the VAT \
             breakdown has category K (intra-community supply), and no VAT was charged"
        ),
        "{:?}",
        proposal.reasons
    );
}

#[test]
fn vat_charged_under_category_ae_is_booked_as_charged_and_flagged() {
    let invoice = categorised(
        "Bakkerij Jansen B.V.",
        Some("NL123456789B01"),
        None,
        &[(dec!(21), dec!(100.00), dec!(21.00), "AE")],
    );
    let proposal = propose_booking(&invoice, &chart("nl-rgs"));
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(100.00), ZERO, None),
            ("BSchBepBtwVoo", dec!(21.00), ZERO, Some("NL-21")),
            ("BSchCreHac", ZERO, dec!(121.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "The VAT breakdown has category AE (reverse charge), which puts the VAT on the \
             buyer, but the invoice charges 21.00 VAT; the VAT was booked as charged. Check \
             whether the supplier should have charged it."
        ]
    );
}

#[test]
fn vat_charged_between_member_states_is_flagged() {
    // A French supplier charging French VAT to a German buyer who gave its VAT id.
    let invoice = categorised(
        "Boulangerie Dupont SARL",
        Some("FR40303265045"),
        Some("DE136695976"),
        &[(dec!(20), dec!(100.00), dec!(20.00), "S")],
    );
    let proposal = propose_booking(&invoice, &chart("de-skr03"));
    // Foreign VAT: the general input VAT account, no code.
    expect(
        &proposal,
        &[
            ("4900", dec!(100.00), ZERO, None),
            ("1570", dec!(20.00), ZERO, None),
            ("1600", ZERO, dec!(120.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "The supplier's VAT ID is from FR and the customer's from DE, different member \
             states, yet 20.00 VAT is charged; a supply between them is usually reverse \
             charged. The VAT was booked as charged; check whether the supplier should have \
             charged it.",
            "The supplier's VAT ID is from FR, but this administration files German VAT \
             returns: the 20.00 VAT charged cannot be deducted there, so its VAT line has no \
             VAT code. Reclaim it in FR through the EU VAT refund procedure (Directive \
             2008/9/EC), or book it as a cost.",
        ]
    );
}

#[test]
fn exempt_and_zero_rated_rows_get_their_own_codes_and_no_input_vat() {
    // The CII fixture of stapel-einvoice: S 21 %, Z and E rows from a Dutch supplier.
    let invoice = categorised(
        "Kantoorhuis B.V.",
        Some("NL859726371B01"),
        Some("NL001234567B02"),
        &[
            (dec!(21), dec!(100.00), dec!(21.00), "S"),
            (dec!(0), dec!(50.00), dec!(0.00), "Z"),
            (dec!(0), dec!(30.00), dec!(0.00), "E"),
        ],
    );
    let proposal = propose_booking(&invoice, &chart("nl-rgs"));
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(50.00), ZERO, Some("NL-0")),
            ("WBedAlkOal", dec!(30.00), ZERO, Some("NL-E")),
            ("WBedAlkOal", dec!(100.00), ZERO, None),
            ("BSchBepBtwVoo", dec!(21.00), ZERO, Some("NL-21")),
            ("BSchCreHac", ZERO, dec!(201.00), None),
        ],
    );
    let descriptions: Vec<&str> = proposal
        .lines
        .iter()
        .take(3)
        .map(|line| line.description.as_str())
        .collect();
    assert_eq!(
        descriptions,
        [
            "Algemene kosten 0% zero-rated — Kantoorhuis B.V. 2026-118",
            "Algemene kosten 0% exempt — Kantoorhuis B.V. 2026-118",
            "Algemene kosten 21% — Kantoorhuis B.V. 2026-118",
        ]
    );
    assert!(!proposal.needs_review, "{:?}", proposal.reasons);

    // A wholly exempt invoice on SKR04 and on the generic chart.
    let exempt = categorised(
        "Versicherung AG",
        Some("DE136695976"),
        None,
        &[(dec!(0), dec!(80.00), dec!(0.00), "E")],
    );
    expect(
        &propose_booking(&exempt, &chart("de-skr04")),
        &[
            ("6300", dec!(80.00), ZERO, Some("DE-E")),
            ("3300", ZERO, dec!(80.00), None),
        ],
    );
    expect(
        &propose_booking(&exempt, &ChartOfAccounts::generic()),
        &[
            ("4000", dec!(80.00), ZERO, Some("VAT-E")),
            ("1600", ZERO, dec!(80.00), None),
        ],
    );
}

#[test]
fn exempt_category_from_another_member_state_is_booked_as_stated_and_flagged() {
    // A German insurer's exempt premium to a Dutch administration: the VAT ids alone would
    // point to a reverse charge, the category says exempt.
    let invoice = categorised(
        "Versicherung AG",
        Some("DE136695976"),
        Some("NL859726371B01"),
        &[(dec!(0), dec!(80.00), dec!(0.00), "E")],
    );
    let proposal = propose_booking(&invoice, &chart("nl-rgs"));
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(80.00), ZERO, Some("NL-E")),
            ("BSchCreHac", ZERO, dec!(80.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "The VAT breakdown has category E (exempt), so it was booked without VAT as \
             stated, but the supplier's VAT ID is from DE and the customer's from NL, different \
             member states, which points to a reverse charge; check which applies."
        ]
    );
}

#[test]
fn vat_charged_on_an_exempt_row_is_flagged() {
    let invoice = categorised(
        "Bakkerij Jansen B.V.",
        Some("NL123456789B01"),
        None,
        &[(dec!(9), dec!(100.00), dec!(9.00), "E")],
    );
    let proposal = propose_booking(&invoice, &chart("nl-rgs"));
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(100.00), ZERO, None),
            ("BSchBepBtwVoo", dec!(9.00), ZERO, Some("NL-9")),
            ("BSchCreHac", ZERO, dec!(109.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "The VAT breakdown row at 9% has category E (exempt) but charges 9.00 VAT on \
             100.00; the VAT was booked as charged. Check the category or the VAT."
        ]
    );
}

#[test]
fn outside_scope_from_outside_the_eu_is_an_import_and_at_home_is_flagged() {
    // A Swiss supplier's services outside the scope of EU VAT: the import treatment as before.
    let swiss = categorised(
        "Alpen Präzision AG",
        Some("CHE-116.281.710 MWST"),
        None,
        &[(dec!(0), dec!(500.00), dec!(0.00), "O")],
    );
    let proposal = propose_booking(&swiss, &chart("de-skr03"));
    expect(
        &proposal,
        &[
            ("4900", dec!(500.00), ZERO, None),
            ("1600", ZERO, dec!(500.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "The supplier's VAT ID is from CH, outside the EU, and no VAT was charged, so there \
             is no input VAT to deduct on this invoice. In DE, import VAT on goods \
             (Einfuhrumsatzsteuer) is paid to customs and deducted from the customs notice; \
             services from outside the EU fall under § 13b UStG."
        ]
    );
    // An export-outside-the-EU row from a Swiss supplier is read the same way.
    let mut export = swiss.clone();
    export.vat_breakdown[0].category = Some(VatCategory::Export);
    assert_eq!(
        rows(&propose_booking(&export, &chart("de-skr03"))),
        rows(&proposal)
    );

    // The same category from a domestic supplier: no code, and a reason.
    let domestic = categorised(
        "Gemeinde Musterstadt",
        Some("DE136695976"),
        None,
        &[(dec!(0), dec!(120.00), dec!(0.00), "O")],
    );
    let proposal = propose_booking(&domestic, &chart("de-skr03"));
    expect(
        &proposal,
        &[
            ("4900", dec!(120.00), ZERO, None),
            ("1600", ZERO, dec!(120.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "The VAT breakdown has category O (outside the scope of VAT) for a base of 120.00, \
             which no box of the VAT return takes; it was booked without a VAT code. Check the \
             treatment."
        ]
    );
}

#[test]
fn a_customer_vat_id_of_another_country_and_unknown_categories_are_flagged() {
    let invoice = categorised(
        "Bakkerij Jansen B.V.",
        Some("NL123456789B01"),
        Some("BE0000000196"),
        &[(dec!(21), dec!(100.00), dec!(21.00), "B")],
    );
    let proposal = propose_booking(&invoice, &chart("nl-rgs"));
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(100.00), ZERO, None),
            ("BSchBepBtwVoo", dec!(21.00), ZERO, Some("NL-21")),
            ("BSchCreHac", ZERO, dec!(121.00), None),
        ],
    );
    assert_eq!(
        proposal.reasons,
        vec![
            "The customer's VAT ID is from BE, but this administration files Dutch VAT \
             returns; check that the invoice is addressed to this administration. It was \
             booked as a Dutch purchase.",
            "The supplier's VAT ID is from NL and the customer's from BE, different member \
             states, yet 21.00 VAT is charged; a supply between them is usually reverse \
             charged. The VAT was booked as charged; check whether the supplier should have \
             charged it.",
            "The VAT breakdown has category B, which is not one of the EN 16931 codes stapel \
             books by (S, Z, E, AE, K, G, O, L, M); the row was booked by its rate (21%). \
             Check the VAT treatment.",
        ]
    );
}

#[test]
fn canary_islands_tax_is_not_input_vat() {
    let invoice = categorised(
        "Tenerife Tours S.L.",
        Some("ESB76543214"),
        None,
        &[(dec!(7), dec!(100.00), dec!(7.00), "L")],
    );
    let proposal = propose_booking(&invoice, &chart("nl-rgs"));
    // Booked like foreign VAT: no code on any line.
    expect(
        &proposal,
        &[
            ("WBedAlkOal", dec!(100.00), ZERO, None),
            ("BSchBepBtwVoo", dec!(7.00), ZERO, None),
            ("BSchCreHac", ZERO, dec!(107.00), None),
        ],
    );
    assert!(
        proposal.reasons.iter().any(|reason| reason.starts_with(
            "The VAT breakdown has category L (Canary Islands IGIC) for a base of 100.00: a \
             local tax outside the EU VAT area"
        )),
        "{:?}",
        proposal.reasons
    );
}

#[test]
fn evidence_names_the_customer_country_and_the_category() {
    let invoice = categorised(
        "Van Dijk Techniek B.V.",
        Some("NL858475622B01"),
        Some("el094014201"),
        &[
            (dec!(21), dec!(10.00), dec!(2.10), "S"),
            (dec!(0), dec!(1000.00), dec!(0.00), "K"),
        ],
    );
    let evidence = detect_reverse_charge(&invoice, None);
    assert_eq!(evidence.supplier_country.as_deref(), Some("NL"));
    assert_eq!(evidence.customer_country.as_deref(), Some("GR"));
    assert_eq!(evidence.category, Some(VatCategory::IntraCommunity));
    assert_eq!(
        detect_reverse_charge(&purchase("A", "NL1", &[]), None).category,
        None
    );
}
