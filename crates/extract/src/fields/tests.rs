use super::*;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

#[test]
fn reads_a_dutch_invoice_and_reconciles_it() {
    let text = "\
Drukkerij Van der Meulen B.V.
Industrieweg 42
3542 AD Utrecht
FACTUUR
Factuur aan
Bakkerij De Gouden Korenschoof
Voorstraat 118
Factuurnummer 2026-0312
Factuurdatum 21-11-2026
Vervaldatum 05-12-2026
Omschrijving Aantal Prijs BTW Bedrag
Folders A5 1 412,50 21% 412,50
Subtotaal € 1.412,50
BTW 21% € 296,63
Totaal incl. BTW € 1.709,13
IBAN NL91 ABNA 0417 1643 00 · Btw-nr. NL812345678B01";
    let invoice = parse_invoice_text(text);
    assert_eq!(invoice.invoice_number.as_deref(), Some("2026-0312"));
    assert_eq!(invoice.issue_date, Some(ymd(2026, 11, 21)));
    assert_eq!(invoice.due_date, Some(ymd(2026, 12, 5)));
    assert_eq!(invoice.currency.as_deref(), Some("EUR"));
    assert_eq!(invoice.net_total, Some(dec!(1412.50)));
    assert_eq!(invoice.vat_total, Some(dec!(296.63)));
    assert_eq!(invoice.gross_total, Some(dec!(1709.13)));
    assert_eq!(invoice.amount_due, None);
    assert_eq!(invoice.iban.as_deref(), Some("NL91ABNA0417164300"));
    assert_eq!(invoice.supplier_vat_id.as_deref(), Some("NL812345678B01"));
    assert_eq!(
        invoice.supplier_name.as_deref(),
        Some("Drukkerij Van der Meulen B.V.")
    );
    assert_eq!(
        invoice.customer_name.as_deref(),
        Some("Bakkerij De Gouden Korenschoof")
    );
    assert_eq!(invoice.document_type, DocumentType::Invoice);
    assert_eq!(invoice.source, Source::Text);
    assert_eq!(invoice.vat_breakdown.len(), 1);
    assert_eq!(invoice.vat_breakdown[0].rate, dec!(21));
    assert!(invoice.confidence["gross_total"] > 0.9);
    for (field, value) in &invoice.confidence {
        assert!((0.0..=1.0).contains(value), "{field}");
    }
}

#[test]
fn keeps_totals_that_do_not_add_up_with_low_confidence() {
    let text = "Invoice No. 77\nSubtotal 100.00\nVAT 20% 20.00\nTotal 130.00";
    let invoice = parse_invoice_text(text);
    assert_eq!(invoice.net_total, Some(dec!(100.00)));
    assert_eq!(invoice.vat_total, Some(dec!(20.00)));
    assert_eq!(invoice.gross_total, Some(dec!(130.00)));
    assert!(invoice.confidence["gross_total"] < 0.5);
    assert!(invoice.vat_breakdown.is_empty() || invoice.vat_breakdown[0].amount == dec!(20.00));
}

#[test]
fn derives_no_missing_total() {
    let invoice =
        parse_invoice_text("Rechnungsnummer 5\nNettobetrag 100,00 €\nGesamtbetrag 119,00 €");
    assert_eq!(invoice.net_total, Some(dec!(100.00)));
    assert_eq!(invoice.gross_total, Some(dec!(119.00)));
    assert_eq!(invoice.vat_total, None);
}

#[test]
fn detects_credit_notes_in_six_languages() {
    for title in [
        "Credit note",
        "CREDITNOTA",
        "Gutschrift",
        "Kreditnota",
        "Nota di credito",
        "AVOIR",
    ] {
        let invoice = parse_invoice_text(&format!("Some Supplier Ltd\n{title}\nTotal 10,00"));
        assert_eq!(invoice.document_type, DocumentType::CreditNote, "{title}");
    }
    let invoice = parse_invoice_text(
        "Some Supplier Ltd\nINVOICE\nWe will not issue a credit note for late claims, sorry.\n",
    );
    assert_eq!(invoice.document_type, DocumentType::Invoice);
}

#[test]
fn reads_labels_in_each_language() {
    let cases = [
        (
            "Invoice number: A-17\nInvoice date: November 21, 2026\nDue date: 21 Dec 2026",
            "A-17",
        ),
        (
            "Factuurnr. 17\nFactuurdatum 21-11-2026\nVervaldatum 21-12-2026",
            "17",
        ),
        (
            "Rechnung Nr. 17\nRechnungsdatum 21. November 2026\nFällig am 21.12.2026",
            "17",
        ),
        (
            "Fakturanummer 17\nFakturadato 21.11.2026\nForfaldsdato 21.12.2026",
            "17",
        ),
        (
            "Numero fattura 17\nData fattura 21/11/2026\nScadenza 21/12/2026",
            "17",
        ),
        (
            "N° de facture 17\nDate de facture 21 novembre 2026\nÉchéance 21 décembre 2026",
            "17",
        ),
    ];
    for (text, number) in cases {
        let invoice = parse_invoice_text(text);
        assert_eq!(invoice.invoice_number.as_deref(), Some(number), "{text}");
        assert_eq!(invoice.issue_date, Some(ymd(2026, 11, 21)), "{text}");
        assert_eq!(invoice.due_date, Some(ymd(2026, 12, 21)), "{text}");
    }
}

#[test]
fn reads_swiss_and_trailing_minus_amounts() {
    let invoice = parse_invoice_text(
        "Rechnung Nr. 9\nZwischensumme CHF 1'000.00\nMwSt 8.1% CHF 81.00\nTotal CHF 1'081.00",
    );
    assert_eq!(invoice.currency.as_deref(), Some("CHF"));
    assert_eq!(invoice.gross_total, Some(dec!(1081.00)));
    assert!(invoice.confidence["gross_total"] > 0.9);
    let credit = parse_invoice_text(
        "Gutschrift\nNettobetrag 100,00-\nMwSt 19% 19,00-\nGesamtbetrag 119,00-",
    );
    assert_eq!(credit.gross_total, Some(dec!(-119.00)));
    assert_eq!(credit.vat_total, Some(dec!(-19.00)));
}

#[test]
fn survives_hostile_text() {
    let samples = [
        "",
        "\n\n\n",
        "Total",
        "Total:\n",
        "Invoice No.",
        "BTW 99999999999999999999999999999999,99",
        "Subtotal 1.1.1.1.1,,,,2",
        "IBAN NL",
        "€€€€€ ---- 12,50- -12,50- € - 1",
        "Datum 31.02.2026\nDue date 99/99/9999",
        "\u{0}\u{fffd}\u{202f}\u{a0}é\u{301}",
        "Totaal incl. BTW € 1.234,56\u{a0}\u{a0}\u{a0}",
    ];
    for text in samples {
        let _ = parse_invoice_text(text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC{0,400}") {
        let _ = parse_invoice_text(&text);
    }

    #[test]
    fn never_panics_on_invoice_shaped_noise(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("Total ".to_owned()), Just("BTW 21% ".to_owned()), Just("€ ".to_owned()),
                Just("1.234,56".to_owned()), Just("12,50-".to_owned()), Just("\n".to_owned()),
                Just("Factuurnummer ".to_owned()), Just("21.11.2026".to_owned()),
                Just("IBAN NL91 ABNA 0417 1643 00".to_owned()), Just("Bill to\n".to_owned()),
                Just("\u{a0}".to_owned()), Just("é".to_owned()), "[0-9.,' -]{0,12}",
                Just("Omschrijving Aantal Prijs Bedrag\n".to_owned()), Just("19 % ".to_owned()),
                Just("Stk ".to_owned()), Just("1 280,00 ".to_owned()), Just("-".to_owned()),
                Just("binnen 30 dagen ".to_owned()), Just("Rechnung 12 ".to_owned()),
                Just("Lastschrift ".to_owned()), Just("Name: ".to_owned()),
                "\\PC{0,8}",
            ],
            0..60,
        )
    ) {
        let invoice = parse_invoice_text(&parts.concat());
        for value in invoice.confidence.values() {
            prop_assert!((0.0..=1.0).contains(value));
        }
    }
}

#[test]
fn never_takes_the_payers_iban_as_the_payees() {
    let prenotification = "\
Rechnungsnummer 471102
Der Betrag in Höhe von EUR 529,87 wird am 20.03.2018 von Ihrem Konto per SEPA-Lastschrift
eingezogen.
Zahlungsart
Käufer-IBAN : DE21860000000086001055";
    assert_eq!(parse_invoice_text(prenotification).iban, None);
    let mandate = "Invoice No. 5\nPaid by direct debit from\nIBAN DE89 3704 0044 0532 0130 00";
    assert_eq!(parse_invoice_text(mandate).iban, None);
    let both = "\
Invoice No. 5
Please pay to IBAN NL91 ABNA 0417 1643 00
Customer IBAN: DE89 3704 0044 0532 0130 00";
    assert_eq!(
        parse_invoice_text(both).iban.as_deref(),
        Some("NL91ABNA0417164300")
    );
    let refund =
        "Creditnota nr 5\nteruggestort op uw rekening. Onze rekening: IBAN NL91 ABNA 0417 1643 00";
    assert_eq!(
        parse_invoice_text(refund).iban.as_deref(),
        Some("NL91ABNA0417164300")
    );
}

#[test]
fn computes_the_due_date_from_payment_terms_with_lower_confidence() {
    let cases = [
        "Invoice No. 7\nInvoice date 01.03.2026\nPayable within 30 days.",
        "Rechnungsnummer 7\nRechnungsdatum 01.03.2026\nZahlungsziel: 30 Tage netto",
        "Factuurnummer 7\nFactuurdatum 01-03-2026\nTe betalen binnen 30 dagen",
        "Rechnungsnummer 7\nRechnungsdatum 01.03.2026\n3% Skonto innerhalb 10 Tagen, zahlbar innerhalb 30 Tagen netto",
    ];
    for text in cases {
        let invoice = parse_invoice_text(text);
        assert_eq!(invoice.due_date, Some(ymd(2026, 3, 31)), "{text}");
        assert_eq!(invoice.confidence["due_date"], TERMS_DUE_DATE, "{text}");
    }
    let printed =
        "Rechnungsnummer 7\nRechnungsdatum 01.03.2026\nZahlbar bis 15.03.2026, innerhalb 30 Tagen";
    assert_eq!(parse_invoice_text(printed).due_date, Some(ymd(2026, 3, 15)));
    let no_issue_date = "Invoice No. 7\nPayable within 30 days.";
    assert_eq!(parse_invoice_text(no_issue_date).due_date, None);
}

#[test]
fn reads_a_bare_title_number_and_the_date_below_it() {
    let text = "Invoice 103767\nFebruary 17, 2026\nPage 1 / 1\nSubtotal 573.00\n19% VAT 108.87\nTotal € Incl. VAT 681.87";
    let invoice = parse_invoice_text(text);
    assert_eq!(invoice.invoice_number.as_deref(), Some("103767"));
    assert_eq!(invoice.confidence["invoice_number"], TITLE_NUMBER);
    assert_eq!(invoice.issue_date, Some(ymd(2026, 2, 17)));
    assert_eq!(invoice.confidence["issue_date"], TITLE_DATE);
    assert_eq!(invoice.vat_total, Some(dec!(108.87)));
    assert_eq!(invoice.gross_total, Some(dec!(681.87)));
    assert_eq!(invoice.currency.as_deref(), Some("EUR"));
    // A labelled number wins over the title.
    let labelled = parse_invoice_text("Invoice 2026\nInvoice No. INV-7");
    assert_eq!(labelled.invoice_number.as_deref(), Some("INV-7"));
    // A title with words after it is prose, not a number.
    assert_eq!(
        parse_invoice_text("Invoice 12 attached").invoice_number,
        None
    );
}

#[test]
fn a_reconciled_zero_vat_total_is_a_zero_rate_breakdown() {
    let text =
        "Rechnungsnummer 5\nRechnungssumme ohne USt. 50,00\nSteuerbetrag 0,00\nBruttosumme 50,00";
    let invoice = parse_invoice_text(text);
    assert_eq!(invoice.vat_breakdown.len(), 1);
    assert_eq!(invoice.vat_breakdown[0].rate, Decimal::ZERO);
    assert_eq!(invoice.vat_breakdown[0].base, dec!(50.00));
    // Totals that do not reconcile give no breakdown.
    let text =
        "Rechnungsnummer 5\nRechnungssumme ohne USt. 50,00\nSteuerbetrag 0,00\nBruttosumme 60,00";
    assert!(parse_invoice_text(text).vat_breakdown.is_empty());
}

#[test]
fn a_tax_representatives_vat_id_is_not_the_suppliers() {
    let text = "\
Le Fournisseur SARL
N° TVA intra : FR 11 123 456 782
Représentant Fiscal
SELLER TAX REP
N° TVA Intra : FR 05 987 654 321
Vos identifiants
N° TVA : FR 05 987 654 321";
    assert_eq!(
        parse_invoice_text(text).supplier_vat_id.as_deref(),
        Some("FR11123456782")
    );
}

#[test]
fn line_items_are_confident_only_when_they_sum_to_the_net_total() {
    let text = "\
Factuurnummer 7
Omschrijving Aantal Prijs BTW Bedrag
Koffie 2 10,00 21% 20,00
Thee 1 5,00 21% 5,00
Subtotaal € 25,00
BTW 21% € 5,25
Totaal incl. BTW € 30,25";
    let invoice = parse_invoice_text(text);
    assert_eq!(invoice.lines.len(), 2);
    assert_eq!(invoice.confidence["lines"], RECONCILED_LINES);
    let missing_row = text.replace("Thee 1 5,00 21% 5,00\n", "");
    let invoice = parse_invoice_text(&missing_row);
    assert_eq!(invoice.lines.len(), 1);
    assert_eq!(invoice.confidence["lines"], UNRECONCILED_LINES);
    assert_eq!(
        invoice.net_total,
        Some(dec!(25.00)),
        "totals stay as printed"
    );
}

#[test]
fn the_customers_labelled_vat_id_is_not_the_suppliers() {
    let text = "Gartenbau Schäfer AG\nRechnung\nRechnungsnummer R-1\nIhre USt-IdNr. DE384133579\n\
                Summe netto 100,00 €\nUmsatzsteuer 19 % 19,00 €\nGesamtbetrag 119,00 €\n\
                Gartenbau Schäfer AG · Bahnhofstraße 108, 20095 Hamburg · Umsatzsteuer-ID DE508339034\n";
    let invoice = parse_invoice_text(text);
    assert_eq!(invoice.supplier_vat_id.as_deref(), Some("DE508339034"));
    assert_eq!(invoice.customer_vat_id.as_deref(), Some("DE384133579"));
}

#[test]
fn reads_the_due_date_from_a_payment_request_but_not_from_a_validity_period() {
    let text = "Factuur\nFactuurnummer 77465\nFactuurdatum 14-02-2026\nGeldig tot 20-03-2026\n\
                Totaal 5.754,50 €\nGelieve 5.754,50 € vóór 28-02-2026 over te maken.\n";
    let invoice = parse_invoice_text(text);
    assert_eq!(invoice.due_date, Some(ymd(2026, 2, 28)));
    assert_eq!(invoice.confidence["due_date"], 0.6);
    let validity = "Rechnung\nRechnungsnummer 1\nRechnungsdatum 20.09.2018\n\
                    Gültig ab 20.09.2018 bis 21.09.2018\nGesamtbetrag 9,00 €\n";
    assert_eq!(parse_invoice_text(validity).due_date, None);
}

#[test]
fn rows_without_rates_take_theirs_from_the_one_split_that_matches_the_breakdown() {
    use rust_decimal_macros::dec;
    let nets = [dec!(530.20), dec!(121.20), dec!(270.71)];
    assert_eq!(
        super::line_items::unique_split(&nets, dec!(121.20), dec!(800.91)),
        Some(vec![false, true, false])
    );
    // Two splits add up: no guess.
    let ambiguous = [dec!(10), dec!(10), dec!(5)];
    assert_eq!(
        super::line_items::unique_split(&ambiguous, dec!(10), dec!(15)),
        None
    );
}

/// A supplier's invoice with the given customer line inserted after the invoice number, the
/// supplier's VAT id in the footer.
fn with_customer_line(customer_line: &str, supplier_footer: &str) -> ExtractedInvoice {
    parse_invoice_text(&format!(
        "Van Dijk Techniek B.V.\nInvoice\nInvoice number 2026-118\n{customer_line}\n\
         Net amount 1,000.00\nVAT 0% 0.00\nTotal 1,000.00\n{supplier_footer}\n"
    ))
}

#[test]
fn the_customers_vat_id_is_read_from_its_label_in_six_languages() {
    let cases = [
        (
            "Your VAT number: DE136695976",
            "DE136695976",
            "VAT no. NL858475622B01",
        ),
        (
            "Uw btw-nummer: NL 004495445 B01",
            "NL004495445B01",
            "Btw-nr. NL858475622B01",
        ),
        (
            "USt-IdNr. des Leistungsempfängers: DE 136 695 976",
            "DE136695976",
            "USt-IdNr. NL858475622B01",
        ),
        (
            "Vostra P.IVA: IT00743110157",
            "IT00743110157",
            "P.IVA NL858475622B01",
        ),
        (
            "Votre n° TVA : FR40303265045",
            "FR40303265045",
            "N° TVA NL858475622B01",
        ),
        (
            "Jeres CVR-nr. 13585628",
            "DK13585628",
            "Momsnr. NL858475622B01",
        ),
    ];
    for (customer_line, customer_vat_id, footer) in cases {
        let invoice = with_customer_line(customer_line, footer);
        assert_eq!(
            invoice.supplier_vat_id.as_deref(),
            Some("NL858475622B01"),
            "{customer_line}"
        );
        assert_eq!(
            invoice.customer_vat_id.as_deref(),
            Some(customer_vat_id),
            "{customer_line}"
        );
        assert!(
            invoice.confidence["customer_vat_id"] >= 0.75,
            "{customer_line}"
        );
    }
}

#[test]
fn the_customers_vat_id_is_read_from_its_address_block() {
    let text = "\
Van Dijk Techniek B.V.
Factuur
Factuur aan
Müller Maschinenbau GmbH
Industriestraße 4, 80333 München
DE136695976
Factuurnummer 2026-118
Totaal excl. btw 1.000,00
BTW 0% 0,00
Totaal 1.000,00
Btw-nr. NL858475622B01 · BTW verlegd";
    let invoice = parse_invoice_text(text);
    assert_eq!(invoice.supplier_vat_id.as_deref(), Some("NL858475622B01"));
    assert_eq!(invoice.customer_vat_id.as_deref(), Some("DE136695976"));
}

#[test]
fn no_customer_vat_id_unless_it_is_certain() {
    // One id only: it is the supplier's.
    let invoice = with_customer_line("Customer: Müller GmbH", "VAT no. NL858475622B01");
    assert_eq!(invoice.customer_vat_id, None);
    // A second id that is neither labelled nor placed as the customer's.
    let invoice = with_customer_line("Ref. DE136695976", "VAT no. NL858475622B01");
    assert_eq!(invoice.customer_vat_id, None);
    // A third id (a tax representative's) makes the page ambiguous.
    let invoice = with_customer_line(
        "Your VAT number: DE136695976",
        "VAT no. NL858475622B01\nTax representative VAT no. FR40303265045",
    );
    assert_eq!(invoice.customer_vat_id, None);
    // A failing check digit is a misprint or a misread.
    let invoice = with_customer_line("Your VAT number: DE136695975", "VAT no. NL858475622B01");
    assert_eq!(invoice.customer_vat_id, None);
    // Without the supplier's id, the other id's owner cannot be told.
    let invoice = with_customer_line("Your VAT number: DE136695976", "");
    assert_eq!(invoice.customer_vat_id, None);
    // The tax representative's block of the French test: not a customer id.
    let text = "\
Le Fournisseur SARL
N° TVA intra : FR 11 123 456 782
Représentant Fiscal
SELLER TAX REP
N° TVA Intra : FR 05 987 654 321";
    assert_eq!(parse_invoice_text(text).customer_vat_id, None);
}
