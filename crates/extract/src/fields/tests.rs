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
