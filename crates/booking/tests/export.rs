//! The export formatters against their documented formats: CSV and JSON byte for byte, and the
//! DATEV Buchungsstapel against DATEV's format description (header fields, column names, one
//! record per booking, Windows-1252, CRLF).

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use stapel_booking::export::{
    to_csv, to_datev, to_json, DatevSettings, ExportEntry, ExportError, CSV_COLUMNS,
};
use stapel_booking::{propose_booking, propose_booking_with_text, ChartOfAccounts};
use stapel_domain::{DocumentId, DocumentType, ExtractedInvoice, ProposalLine, VatBreakdown};

fn id(last: u8) -> DocumentId {
    format!("01900000-0000-7000-8000-0000000000{last:02}")
        .parse()
        .unwrap()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

fn invoice(
    supplier: &str,
    vat_id: &str,
    number: &str,
    day: u32,
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
        invoice_number: Some(number.into()),
        issue_date: Some(date(day)),
        currency: Some("EUR".into()),
        net_total: Some(net),
        vat_total: Some(vat),
        gross_total: Some(net + vat),
        vat_breakdown,
        ..Default::default()
    }
}

fn entry(
    document_id: DocumentId,
    invoice: &ExtractedInvoice,
    lines: Vec<ProposalLine>,
) -> ExportEntry {
    ExportEntry {
        document_id,
        invoice_number: invoice.invoice_number.clone(),
        issue_date: invoice.issue_date,
        supplier_name: invoice.supplier_name.clone(),
        currency: "EUR".into(),
        creditor_account: None,
        lines,
        cost_centre: None,
        due_date: None,
    }
}

/// Three accepted SKR03 entries: a 19 % + 7 % invoice, a credit note of the same day with a
/// smaller document id, and a reverse-charge invoice from the Netherlands earlier in the month.
fn skr03_entries() -> Vec<ExportEntry> {
    let chart = ChartOfAccounts::builtin("de-skr03").unwrap();
    let two_rates = invoice(
        "Müller Bürobedarf GmbH",
        "DE136695976",
        "RE 2026/118",
        21,
        &[
            (dec!(19), dec!(200.00), dec!(38.00)),
            (dec!(7), dec!(100.00), dec!(7.00)),
        ],
    );
    let mut credit_note = invoice(
        "Müller Bürobedarf GmbH",
        "DE136695976",
        "GS-2026-7",
        21,
        &[(dec!(19), dec!(100.00), dec!(19.00))],
    );
    credit_note.document_type = DocumentType::CreditNote;
    let reverse_charge = invoice(
        "Van Dijk Techniek B.V.",
        "NL858475622B01",
        "2026-77",
        3,
        &[(dec!(0), dec!(1000.00), dec!(0.00))],
    );
    vec![
        entry(id(2), &two_rates, propose_booking(&two_rates, &chart).lines),
        entry(
            id(1),
            &credit_note,
            propose_booking(&credit_note, &chart).lines,
        ),
        entry(
            id(3),
            &reverse_charge,
            propose_booking_with_text(&reverse_charge, &chart, "BTW verlegd").lines,
        ),
    ]
}

fn settings() -> DatevSettings {
    DatevSettings {
        consultant_number: 29098,
        client_number: 55003,
        fiscal_year_start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        account_length: 4,
        period_start: date(1),
        period_end: date(30),
        description: "Rechnungen November".into(),
        created_at: NaiveDateTime::parse_from_str("2026-12-01 09:30:00", "%Y-%m-%d %H:%M:%S")
            .unwrap(),
        chart_code: Some("03".into()),
        currency: "EUR".into(),
    }
}

const CRLF: &str = "\r\n";

#[test]
fn csv_has_one_row_per_line_in_date_then_document_order() {
    let csv = to_csv(&skr03_entries()).unwrap();
    let rows: Vec<&str> = csv.split_terminator(CRLF).collect();
    assert_eq!(rows[0], CSV_COLUMNS.join(","));
    assert_eq!(rows.len(), 1 + 4 + 3 + 5);
    assert!(csv.ends_with(CRLF) && !csv.replace(CRLF, "").contains('\n'));
    // The reverse charge of 3 November first; of the two on the 21st, document 1 first.
    assert_eq!(
        rows[1],
        "01900000-0000-7000-8000-000000000003,2026-77,2026-11-03,Van Dijk Techniek B.V.,EUR,1,\
         4900,Sonstige betriebliche Aufwendungen reverse charge 19% — Van Dijk Techniek B.V. \
         2026-77,1000.00,0.00,DE-RC-19,,"
    );
    assert_eq!(
        rows[7],
        "01900000-0000-7000-8000-000000000001,GS-2026-7,2026-11-21,Müller Bürobedarf GmbH,EUR,3,\
         1600,Verbindlichkeiten aus Lieferungen und Leistungen — Müller Bürobedarf GmbH \
         GS-2026-7 (credit note),119.00,0.00,,,"
    );
    assert_eq!(
        rows[11],
        "01900000-0000-7000-8000-000000000002,RE 2026/118,2026-11-21,Müller Bürobedarf GmbH,EUR,\
         4,1576,Abziehbare Vorsteuer 19 % — Müller Bürobedarf GmbH RE 2026/118,38.00,0.00,DE-19,,"
    );
}

#[test]
fn csv_quotes_what_rfc_4180_says_to_quote() {
    let entry = ExportEntry {
        document_id: id(9),
        invoice_number: None,
        issue_date: None,
        supplier_name: Some("Smith, Jones & \"Partners\"".into()),
        currency: "JPY".into(),
        creditor_account: None,
        cost_centre: None,
        due_date: None,
        lines: vec![ProposalLine {
            account: "4000".into(),
            description: "two\nlines".into(),
            debit: dec!(11000),
            credit: Decimal::ZERO,
            vat_code: None,
        }],
    };
    assert_eq!(
        to_csv(&[entry]).unwrap(),
        format!(
            "{}\r\n01900000-0000-7000-8000-000000000009,,,\"Smith, Jones & \"\"Partners\"\"\",\
             JPY,1,4000,\"two\nlines\",11000,0,,,\r\n",
            CSV_COLUMNS.join(",")
        )
    );
}

#[test]
fn json_has_a_stable_shape() {
    let json = to_json(&skr03_entries()).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["format"], "stapel.entries");
    assert_eq!(value["version"], 1);
    let entries = value["entries"].as_array().unwrap();
    let ids: Vec<&str> = entries
        .iter()
        .map(|entry| entry["document_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "01900000-0000-7000-8000-000000000003",
            "01900000-0000-7000-8000-000000000001",
            "01900000-0000-7000-8000-000000000002",
        ]
    );
    // Field order is part of the contract, so the text is compared, not just the values.
    let expected_start = r#"{
  "format": "stapel.entries",
  "version": 1,
  "entries": [
    {
      "document_id": "01900000-0000-7000-8000-000000000003",
      "invoice_number": "2026-77",
      "issue_date": "2026-11-03",
      "supplier_name": "Van Dijk Techniek B.V.",
      "currency": "EUR",
      "lines": [
        {
          "account": "4900",
          "description": "Sonstige betriebliche Aufwendungen reverse charge 19% — Van Dijk Techniek B.V. 2026-77",
          "debit": "1000.00",
          "credit": "0.00",
          "vat_code": "DE-RC-19"
        },"#;
    assert!(json.starts_with(expected_start), "{json}");
    assert!(json.ends_with("}\n"));
    assert_eq!(entries[1]["lines"][0]["vat_code"], serde_json::Value::Null);
}

/// The DATEV file as text, after checking it is Windows-1252 with CRLF record ends.
fn datev_text(bytes: &[u8]) -> String {
    let (text, _, malformed) = encoding_rs::WINDOWS_1252.decode(bytes);
    assert!(!malformed);
    assert!(text.ends_with(CRLF));
    assert!(
        !text.replace(CRLF, "").contains(['\r', '\n']),
        "a bare CR or LF: {text:?}"
    );
    text.into_owned()
}

/// The first 14 fields of a DATEV record, after checking it has all 125 and that the other
/// 111 are empty (an entry without cost centre or due date).
fn key_fields(record: &str) -> String {
    let fields: Vec<&str> = record.split(';').collect();
    assert_eq!(fields.len(), 125, "{record}");
    assert!(
        fields[14..].iter().all(|field| field.is_empty()),
        "{record}"
    );
    fields[..14].join(";")
}

#[test]
fn datev_records_carry_cost_centre_and_due_date_in_their_columns() {
    let chart = ChartOfAccounts::builtin("de-skr03").unwrap();
    let mut entries = skr03_entries();
    for entry in &mut entries {
        if entry.document_id == id(2) {
            entry.cost_centre = Some("KST-100".into());
            entry.due_date = NaiveDate::from_ymd_opt(2026, 12, 5);
        }
    }
    let text = datev_text(&to_datev(&entries, &chart, &settings()).unwrap());
    let records: Vec<Vec<&str>> = text
        .split_terminator(CRLF)
        .skip(2)
        .map(|record| record.split(';').collect())
        .collect();
    // Document 2, the 7 % + 19 % invoice, is the last four records.
    for fields in &records[3..] {
        assert_eq!(fields.len(), 125);
        assert_eq!(fields[10], "\"RE-2026/118\""); // 11 Belegfeld 1
        assert_eq!(fields[36], "\"KST-100\""); // 37 KOST1 - Kostenstelle
        assert_eq!(fields[116], "05122026"); // 117 Fälligkeit, TTMMJJJJ
        let filled: Vec<usize> = (14..125)
            .filter(|&index| !fields[index].is_empty())
            .collect();
        assert_eq!(filled, [36, 116]);
    }
    for fields in &records[..3] {
        assert_eq!((fields[36], fields[116]), ("", ""));
    }
}

#[test]
fn datev_header_has_the_31_fields_of_format_version_700() {
    let chart = ChartOfAccounts::builtin("de-skr03").unwrap();
    let bytes = to_datev(&skr03_entries(), &chart, &settings()).unwrap();
    let text = datev_text(&bytes);
    let header = text.split(CRLF).next().unwrap();
    assert_eq!(
        header,
        "\"EXTF\";700;21;\"Buchungsstapel\";13;20261201093000000;;\"\";\"\";\"\";29098;55003;\
         20260101;4;20261101;20261130;\"Rechnungen November\";\"\";1;0;0;\"EUR\";;\"\";;;\"03\";;;\
         \"\";\"\""
    );
    let fields: Vec<&str> = header.split(';').collect();
    assert_eq!(fields.len(), 31);
    // By position, as DATEV's format description numbers them.
    assert_eq!(fields[0], "\"EXTF\""); // 1 DATEV-Format-KZ: data from an external program
    assert_eq!(fields[1], "700"); // 2 Versionsnummer
    assert_eq!(fields[2], "21"); // 3 Formatkategorie: Buchungsstapel
    assert_eq!(fields[3], "\"Buchungsstapel\""); // 4 Formatname
    assert_eq!(fields[4], "13"); // 5 Formatversion
    assert_eq!(fields[5].len(), 17); // 6 Erzeugt am: YYYYMMDDHHMMSSFFF
    assert_eq!(fields[10], "29098"); // 11 Beraternummer
    assert_eq!(fields[11], "55003"); // 12 Mandantennummer
    assert_eq!(fields[12], "20260101"); // 13 WJ-Beginn
    assert_eq!(fields[13], "4"); // 14 Sachkontenlänge
    assert_eq!(fields[14], "20261101"); // 15 Datum vom
    assert_eq!(fields[15], "20261130"); // 16 Datum bis
    assert_eq!(fields[16], "\"Rechnungen November\""); // 17 Bezeichnung
    assert_eq!(fields[18], "1"); // 19 Buchungstyp: Finanzbuchführung
    assert_eq!(fields[20], "0"); // 21 Festschreibung: not locked
    assert_eq!(fields[21], "\"EUR\""); // 22 WKZ
    assert_eq!(fields[26], "\"03\""); // 27 Sachkontenrahmen: SKR03

    let columns: Vec<&str> = text.split(CRLF).nth(1).unwrap().split(';').collect();
    // Format version 13 has 125 columns, named in the format description's order.
    assert_eq!(columns.len(), 125);
    assert_eq!(
        columns[..14].join(";"),
        "Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;Basis-Umsatz;\
         WKZ Basis-Umsatz;Konto;Gegenkonto (ohne BU-Schlüssel);BU-Schlüssel;Belegdatum;\
         Belegfeld 1;Belegfeld 2;Skonto;Buchungstext"
    );
    // By position (1-based in the description).
    assert_eq!(columns[14], "Postensperre"); // 15
    assert_eq!(columns[19], "Beleglink"); // 20
    assert_eq!(columns[36], "KOST1 - Kostenstelle"); // 37
    assert_eq!(columns[37], "KOST2 - Kostenstelle"); // 38
    assert_eq!(columns[47], "Zusatzinformation - Art 1"); // 48
    assert_eq!(columns[86], "Zusatzinformation- Inhalt 20"); // 87
    assert_eq!(columns[87], "Stück"); // 88
    assert_eq!(columns[113], "Festschreibung"); // 114
    assert_eq!(columns[114], "Leistungsdatum"); // 115
    assert_eq!(columns[115], "Datum Zuord. Steuerperiode"); // 116
    assert_eq!(columns[116], "Fälligkeit"); // 117
    assert_eq!(columns[124], "Abw. Skontokonto"); // 125
    assert_eq!(columns, stapel_booking::export::DATEV_COLUMNS);
    // "ü" is one byte in Windows-1252, 0xFC.
    assert!(bytes.windows(9).any(|window| window == b"Schl\xfcssel"));
}

#[test]
fn datev_records_book_each_line_against_the_creditor() {
    let chart = ChartOfAccounts::builtin("de-skr03").unwrap();
    let text = datev_text(&to_datev(&skr03_entries(), &chart, &settings()).unwrap());
    let records: Vec<String> = text
        .split_terminator(CRLF)
        .skip(2)
        .map(key_fields)
        .collect();
    assert_eq!(
        records,
        [
            // The reverse charge: one base record with tax key 94; DATEV books 1577 and 1787.
            "1000,00;\"S\";\"EUR\";;;\"\";4900;1600;\"94\";0311;\"2026-77\";\"\";;\
             \"Van Dijk Techniek B.V. 2026-77\"",
            // The credit note: expense and input VAT on the credit side.
            "100,00;\"H\";\"EUR\";;;\"\";4900;1600;\"\";2111;\"GS-2026-7\";\"\";;\
             \"Müller Bürobedarf GmbH GS-2026-7 (credit note)\"",
            "19,00;\"H\";\"EUR\";;;\"\";1576;1600;\"\";2111;\"GS-2026-7\";\"\";;\
             \"Müller Bürobedarf GmbH GS-2026-7 (credit note)\"",
            // The invoice at 7 % and 19 %: the input VAT as charged, on its own records.
            "100,00;\"S\";\"EUR\";;;\"\";4900;1600;\"\";2111;\"RE-2026/118\";\"\";;\
             \"Müller Bürobedarf GmbH RE 2026/118\"",
            "200,00;\"S\";\"EUR\";;;\"\";4900;1600;\"\";2111;\"RE-2026/118\";\"\";;\
             \"Müller Bürobedarf GmbH RE 2026/118\"",
            "7,00;\"S\";\"EUR\";;;\"\";1571;1600;\"\";2111;\"RE-2026/118\";\"\";;\
             \"Müller Bürobedarf GmbH RE 2026/118\"",
            "38,00;\"S\";\"EUR\";;;\"\";1576;1600;\"\";2111;\"RE-2026/118\";\"\";;\
             \"Müller Bürobedarf GmbH RE 2026/118\"",
        ]
    );
}

#[test]
fn datev_record_formats_follow_the_field_rules() {
    let chart = ChartOfAccounts::builtin("de-skr04").unwrap();
    let long_number = "INV.2026 Ä-0001/über-lang-und-noch-länger-als-36-zeichen";
    let entry = ExportEntry {
        document_id: id(5),
        invoice_number: Some(long_number.into()),
        issue_date: Some(date(5)),
        supplier_name: Some("Große \"Quote\" GmbH".into()),
        currency: "EUR".into(),
        creditor_account: Some("70001".into()),
        cost_centre: None,
        due_date: None,
        lines: vec![
            ProposalLine {
                account: "6300".into(),
                description: "Sonstige — Große \"Quote\" GmbH Rechnung mit einem sehr langen \
                              Buchungstext, der abgeschnitten wird"
                    .into(),
                debit: dec!(1234567.8),
                credit: Decimal::ZERO,
                vat_code: None,
            },
            ProposalLine {
                account: "3300".into(),
                description: "Verbindlichkeiten".into(),
                debit: Decimal::ZERO,
                credit: dec!(1234567.8),
                vat_code: None,
            },
        ],
    };
    let text = datev_text(&to_datev(&[entry], &chart, &settings()).unwrap());
    let record = text.split(CRLF).nth(2).unwrap();
    let fields: Vec<&str> = record.split(';').collect();
    // Umsatz: decimal comma, two decimals, no thousands separator.
    assert_eq!(fields[0], "1234567,80");
    // Gegenkonto: the creditor, not the accounts payable account.
    assert_eq!(fields[7], "70001");
    // Belegdatum: DDMM.
    assert_eq!(fields[9], "0511");
    // Belegfeld 1: 36 characters of A-Z a-z 0-9 _ $ % - /.
    assert_eq!(fields[10], "\"INV-2026---0001/-ber-lang-und-noch-l\"");
    // Buchungstext: 60 characters, quotes doubled (the ";" inside quotes is no separator here).
    assert_eq!(
        fields[13],
        "\"Große \"\"Quote\"\" GmbH Rechnung mit einem sehr langen Buchungste\""
    );
}

#[test]
fn datev_export_is_deterministic() {
    let chart = ChartOfAccounts::builtin("de-skr03").unwrap();
    let entries = skr03_entries();
    let mut reversed = entries.clone();
    reversed.reverse();
    let first = to_datev(&entries, &chart, &settings()).unwrap();
    assert_eq!(first, to_datev(&entries, &chart, &settings()).unwrap());
    assert_eq!(first, to_datev(&reversed, &chart, &settings()).unwrap());
    assert_eq!(to_csv(&entries).unwrap(), to_csv(&reversed).unwrap());
    assert_eq!(to_json(&entries).unwrap(), to_json(&reversed).unwrap());
}

#[test]
fn datev_exports_a_corrected_reverse_charge_line_by_line() {
    let chart = ChartOfAccounts::builtin("de-skr03").unwrap();
    let mut entries = skr03_entries();
    // A reviewer booked 7 % instead: DATEV's key 94 would compute 19 %, so no key is used.
    let reverse_charge = entries
        .iter_mut()
        .find(|entry| entry.document_id == id(3))
        .unwrap();
    reverse_charge.lines[1].debit = dec!(70.00);
    reverse_charge.lines[2].credit = dec!(70.00);
    let text = datev_text(&to_datev(&entries, &chart, &settings()).unwrap());
    let records: Vec<String> = text
        .split_terminator(CRLF)
        .skip(2)
        .take(3)
        .map(key_fields)
        .collect();
    assert_eq!(
        records,
        [
            "1000,00;\"S\";\"EUR\";;;\"\";4900;1600;\"\";0311;\"2026-77\";\"\";;\
             \"Van Dijk Techniek B.V. 2026-77\"",
            "70,00;\"S\";\"EUR\";;;\"\";1577;1600;\"\";0311;\"2026-77\";\"\";;\
             \"Van Dijk Techniek B.V. 2026-77\"",
            "70,00;\"H\";\"EUR\";;;\"\";1787;1600;\"\";0311;\"2026-77\";\"\";;\
             \"Van Dijk Techniek B.V. 2026-77\"",
        ]
    );
}

#[test]
fn datev_refuses_what_it_cannot_import() {
    let chart = ChartOfAccounts::builtin("de-skr03").unwrap();
    let entries = skr03_entries();

    let mut november_first_half = settings();
    november_first_half.period_end = date(15);
    assert_eq!(
        to_datev(&entries, &chart, &november_first_half),
        Err(ExportError::DateOutsidePeriod {
            document_id: id(1),
            date: date(21),
            start: date(1),
            end: date(15),
        })
    );

    let mut in_dollars = entries.clone();
    in_dollars[0].currency = "USD".into();
    assert!(matches!(
        to_datev(&in_dollars, &chart, &settings()),
        Err(ExportError::ForeignCurrency { .. })
    ));

    let mut undated = entries.clone();
    undated[0].issue_date = None;
    assert_eq!(
        to_datev(&undated, &chart, &settings()),
        Err(ExportError::MissingIssueDate { document_id: id(2) })
    );

    // RGS codes are not DATEV account numbers.
    let dutch = ChartOfAccounts::builtin("nl-rgs").unwrap();
    let invoice = invoice(
        "Bakkerij Jansen B.V.",
        "NL123456789B01",
        "F-1",
        10,
        &[(dec!(21), dec!(100.00), dec!(21.00))],
    );
    let rgs = entry(id(7), &invoice, propose_booking(&invoice, &dutch).lines);
    assert_eq!(
        to_datev(&[rgs], &dutch, &settings()),
        Err(ExportError::InvalidAccount {
            document_id: id(7),
            account: "BSchCreHac".into()
        })
    );

    for (broken, setting) in [
        (
            DatevSettings {
                consultant_number: 1000,
                ..settings()
            },
            "Beraternummer",
        ),
        (
            DatevSettings {
                client_number: 100_000,
                ..settings()
            },
            "Mandantennummer",
        ),
        (
            DatevSettings {
                account_length: 9,
                ..settings()
            },
            "Sachkontenlänge",
        ),
        (
            DatevSettings {
                period_end: NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
                ..settings()
            },
            "Datum vom",
        ),
        (
            DatevSettings {
                description: "Rechnungen; November".into(),
                ..settings()
            },
            "Bezeichnung",
        ),
        (
            DatevSettings {
                chart_code: Some("3".into()),
                ..settings()
            },
            "Sachkontenrahmen",
        ),
    ] {
        match to_datev(&entries, &chart, &broken) {
            Err(ExportError::InvalidSetting { setting: named, .. }) => {
                assert_eq!(named, setting)
            }
            other => panic!("{setting}: {other:?}"),
        }
    }
}
