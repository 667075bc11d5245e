//! Exports of accepted entries: CSV, JSON and DATEV's EXTF "Buchungsstapel".
//!
//! Every formatter is a pure function from a list of [`ExportEntry`] to bytes. Exports are
//! deterministic, so they can be diffed and re-imported safely: entries are sorted by issue
//! date (entries without one first), then by document id, and lines keep the order of the
//! accepted proposal; nothing depends on the clock unless the caller passes a time in (the
//! DATEV header's "Erzeugt am").
//!
//! Amounts are written with the currency's minor units (`121.00`, `11000` for JPY), never
//! rounded: an amount with more decimals than its currency is written as it is.
//!
//! # CSV ([`to_csv`])
//!
//! RFC 4180: comma-separated, CRLF line ends, fields quoted when they need it, UTF-8. One
//! header row, then one row per journal line:
//!
//! | column | content |
//! |---|---|
//! | `document_id` | stapel's document id (UUID) |
//! | `invoice_number` | the supplier's invoice number, empty if unknown |
//! | `issue_date` | `YYYY-MM-DD`, empty if unknown |
//! | `supplier_name` | empty if unknown |
//! | `currency` | ISO 4217 code of the amounts |
//! | `line` | 1-based position of the line in its entry |
//! | `account` | account number |
//! | `description` | the line's description |
//! | `debit` | debit amount, `0.00` on a credit line |
//! | `credit` | credit amount, `0.00` on a debit line |
//! | `vat_code` | VAT code (`NL-21`), empty when the line has none |
//! | `cost_centre` | the entry's cost centre, empty when it has none |
//! | `due_date` | the entry's due date, `YYYY-MM-DD`, empty when unknown |
//!
//! # JSON ([`to_json`])
//!
//! `{"format": "stapel.entries", "version": 1, "entries": [...]}`, each entry with
//! `document_id`, `invoice_number`, `issue_date`, `supplier_name`, `currency`, `lines`
//! (`account`, `description`, `debit`, `credit`, `vat_code`), `cost_centre` and `due_date`,
//! in that order. Amounts are
//! decimal strings, as everywhere in stapel's JSON; unknown values are `null`.
//!
//! # DATEV ([`to_datev`])
//!
//! The DATEV format ("DATEV-Format", EXTF), header version 700, data category 21
//! "Buchungsstapel", format version 13, as DATEV's format description on developer.datev.de
//! specifies it: Windows-1252, fields separated by `;`, text fields in double quotes (quotes
//! doubled), CRLF after every record. Characters Windows-1252 cannot hold become `?`.
//!
//! Line 1 is the header, 31 fields: `"EXTF"`, `700`, `21`, `"Buchungsstapel"`, `13`, Erzeugt
//! am (from [`DatevSettings::created_at`], `YYYYMMDDHHMMSSFFF`), Importiert (empty), Herkunft
//! (`""`), Exportiert von (`""`), Importiert von (`""`), Beraternummer, Mandantennummer,
//! WJ-Beginn, Sachkontenlänge, Datum vom, Datum bis (dates `YYYYMMDD`), Bezeichnung,
//! Diktatkürzel (`""`), Buchungstyp `1` (Finanzbuchführung), Rechnungslegungszweck `0`,
//! Festschreibung `0` (the firm reviews before it locks), WKZ, reserved, Derivatskennzeichen
//! (`""`), reserved, reserved, Sachkontenrahmen (`"03"`, `"04"` or `""`), Branchenlösung
//! (empty), reserved, reserved (`""`), Anwendungsinformation (`""`).
//!
//! Line 2 names all 125 columns of format version 13, in the format description's order
//! ([`DATEV_COLUMNS`]), and from line 3 every record has all 125 fields: the columns stapel
//! has nothing for are empty (no quotes), so positions never shift and DATEV, which reads by
//! position, finds every field where the description puts it. One record per booking:
//!
//! | column | content |
//! |---|---|
//! | 1 Umsatz (ohne Soll/Haben-Kz) | the line's amount, positive, decimal comma, two decimals, no thousands separator (`1234,56`) |
//! | 2 Soll/Haben-Kennzeichen | `"S"` when the line debits Konto, `"H"` when it credits it |
//! | 3 WKZ Umsatz | the entry's currency, which must be the header's WKZ |
//! | 4–5 Kurs, Basis-Umsatz | empty (no foreign currency) |
//! | 6 WKZ Basis-Umsatz | `""` |
//! | 7 Konto | the line's account |
//! | 8 Gegenkonto (ohne BU-Schlüssel) | the entry's creditor account if it has one, else the chart's accounts payable |
//! | 9 BU-Schlüssel | the DATEV tax key of a reverse-charge base (`"94"` for `DE-RC-19`, `"91"` for `DE-RC-7`), else `""` |
//! | 10 Belegdatum | issue date as `DDMM` (DATEV's TTMM; the year comes from the header) |
//! | 11 Belegfeld 1 | the invoice number, at most 36 characters of `A-Z a-z 0-9 _ $ % - /` (others become `-`) |
//! | 12 Belegfeld 2 | `""` |
//! | 13 Skonto | empty |
//! | 14 Buchungstext | the part of the line's description after its ` — ` (the supplier and the invoice number; DATEV shows the account's name itself), else the whole description; at most 60 characters |
//! | 15–36 Postensperre … Beleginfo - Inhalt 8 | empty |
//! | 37 KOST1 - Kostenstelle | the entry's cost centre (learned from reviews), at most 36 characters, quoted; empty without one |
//! | 38–116 KOST2 … Datum Zuord. Steuerperiode | empty |
//! | 117 Fälligkeit | the entry's due date as `TTMMJJJJ`; empty when unknown |
//! | 118–125 Generalumkehr (GU) … Abw. Skontokonto | empty |
//!
//! Which lines become records: every line of an entry except those on the accounts payable
//! account, which are the counter side (Gegenkonto) of the others. Input VAT the supplier
//! charged is a record of its own on the input VAT account, without a tax key, exactly as
//! proposed, so DATEV's tax automation does not compute it a second time. A reverse charge is
//! exported the DATEV way instead: the base record carries the tax key (94: 19 % Vorsteuer and
//! 19 % Umsatzsteuer under § 13b UStG), DATEV books both tax amounts from it and fills the
//! VAT return's base boxes, and the two self-assessed VAT lines on the chart's reverse-charge
//! accounts are left out. When those lines are not exactly what DATEV computes from the key
//! (base × rate, rounded half away from zero; after a manual correction, say), the entry is
//! exported line by line without the key, so the amounts stay the accepted ones.
//!
//! Do not map expenses to DATEV automatic accounts (AV, such as SKR03 3400 "Wareneingang 19 %
//! Vorsteuer"): DATEV would take VAT out of the net amount again.

use crate::chart::ChartOfAccounts;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::Serialize;
use stapel_domain::money::{currency_decimals, round_to_currency};
use stapel_domain::{DocumentId, ProposalLine};

/// One accepted entry to export: the journal lines and what identifies their document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportEntry {
    /// The document the entry was proposed for; ties between equal dates sort by it.
    pub document_id: DocumentId,
    /// The supplier's invoice number (DATEV's Belegfeld 1).
    pub invoice_number: Option<String>,
    /// The invoice's date (DATEV's Belegdatum); exports sort by it.
    pub issue_date: Option<NaiveDate>,
    /// The supplier, for the reader of a CSV or JSON export.
    pub supplier_name: Option<String>,
    /// ISO 4217 code of the amounts, which sets how many decimals they are written with.
    pub currency: String,
    /// The DATEV creditor (Kreditor) account of the supplier, used as the counter account
    /// instead of the chart's accounts payable when the firm keeps personal accounts.
    pub creditor_account: Option<String>,
    /// The accepted journal lines, balanced.
    pub lines: Vec<ProposalLine>,
    /// The cost centre of the entry (DATEV's KOST1), if the proposal has one.
    pub cost_centre: Option<String>,
    /// When the invoice is due (DATEV's Fälligkeit), if known.
    pub due_date: Option<NaiveDate>,
}

/// The DATEV header's parameters: who the data is for, and which period it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatevSettings {
    /// Beraternummer, the tax advisor's DATEV number (1001 to 9999999).
    pub consultant_number: u32,
    /// Mandantennummer, the client's number at the advisor (1 to 99999).
    pub client_number: u32,
    /// WJ-Beginn, the first day of the fiscal year the period lies in.
    pub fiscal_year_start: NaiveDate,
    /// Sachkontenlänge, the number of digits of the general ledger accounts (4 to 8).
    pub account_length: u8,
    /// Datum vom: the first day of the exported period; every Belegdatum must fall in it.
    pub period_start: NaiveDate,
    /// Datum bis: the last day of the exported period.
    pub period_end: NaiveDate,
    /// Bezeichnung, the batch's label in DATEV (at most 30 of `A-Z a-z 0-9 _ . - /` and space).
    pub description: String,
    /// Erzeugt am, passed in so the same input always gives the same bytes.
    pub created_at: NaiveDateTime,
    /// Sachkontenrahmen: `"03"` for SKR03, `"04"` for SKR04, or `None` to leave it to DATEV.
    pub chart_code: Option<String>,
    /// WKZ, the currency of the batch; every entry must be in it (DATEV needs an exchange
    /// rate for anything else, which stapel does not have).
    pub currency: String,
}

/// Why an export could not be written. Nothing is written partially.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportError {
    /// A DATEV header parameter is outside what the format allows.
    #[error("DATEV setting {setting} is not valid: {problem}")]
    InvalidSetting {
        /// The header field (`Beraternummer`, `Datum vom`, ...).
        setting: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// DATEV needs a Belegdatum for every record.
    #[error("document {document_id} has no issue date, which DATEV needs as Belegdatum")]
    MissingIssueDate {
        /// The entry's document.
        document_id: DocumentId,
    },
    /// The entry's date lies outside the header's period; DATEV would reject the batch.
    #[error(
        "document {document_id} is dated {date}, outside the exported period {start} to {end}"
    )]
    DateOutsidePeriod {
        /// The entry's document.
        document_id: DocumentId,
        /// Its issue date.
        date: NaiveDate,
        /// Datum vom.
        start: NaiveDate,
        /// Datum bis.
        end: NaiveDate,
    },
    /// The entry is in another currency than the batch.
    #[error("document {document_id} is in {currency}, but the DATEV batch is in {batch}")]
    ForeignCurrency {
        /// The entry's document.
        document_id: DocumentId,
        /// The entry's currency.
        currency: String,
        /// The batch's currency.
        batch: String,
    },
    /// DATEV accounts are numbers of one to nine digits.
    #[error(
        "document {document_id} books on account {account:?}, which is not a DATEV account number"
    )]
    InvalidAccount {
        /// The entry's document.
        document_id: DocumentId,
        /// The account as booked.
        account: String,
    },
    /// An amount DATEV's Umsatz field cannot hold: more than ten integer digits, or more than
    /// two decimals.
    #[error("document {document_id} has the amount {amount}, which DATEV cannot hold")]
    UnsupportedAmount {
        /// The entry's document.
        document_id: DocumentId,
        /// The amount.
        amount: Decimal,
    },
    /// DATEV takes at most 99,999 records per batch.
    #[error("the export has {records} DATEV records; a batch holds at most 99999")]
    TooManyRecords {
        /// How many records the entries make.
        records: usize,
    },
    /// The CSV writer failed (it writes to memory, so this is not expected).
    #[error("CSV export failed: {message}")]
    Csv {
        /// The writer's explanation.
        message: String,
    },
}

/// The column names of [`to_csv`], in order.
pub const CSV_COLUMNS: [&str; 13] = [
    "document_id",
    "invoice_number",
    "issue_date",
    "supplier_name",
    "currency",
    "line",
    "account",
    "description",
    "debit",
    "credit",
    "vat_code",
    "cost_centre",
    "due_date",
];

/// The 125 column names of DATEV's Buchungsstapel, format version 13, in order, as its format
/// description spells them (including its "Zusatzinformation- Inhalt" without a space).
pub const DATEV_COLUMNS: [&str; 125] = [
    // 1–14: the booking itself.
    "Umsatz (ohne Soll/Haben-Kz)",
    "Soll/Haben-Kennzeichen",
    "WKZ Umsatz",
    "Kurs",
    "Basis-Umsatz",
    "WKZ Basis-Umsatz",
    "Konto",
    "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel",
    "Belegdatum",
    "Belegfeld 1",
    "Belegfeld 2",
    "Skonto",
    "Buchungstext",
    // 15–36.
    "Postensperre",
    "Diverse Adressnummer",
    "Geschäftspartnerbank",
    "Sachverhalt",
    "Zinssperre",
    "Beleglink",
    "Beleginfo - Art 1",
    "Beleginfo - Inhalt 1",
    "Beleginfo - Art 2",
    "Beleginfo - Inhalt 2",
    "Beleginfo - Art 3",
    "Beleginfo - Inhalt 3",
    "Beleginfo - Art 4",
    "Beleginfo - Inhalt 4",
    "Beleginfo - Art 5",
    "Beleginfo - Inhalt 5",
    "Beleginfo - Art 6",
    "Beleginfo - Inhalt 6",
    "Beleginfo - Art 7",
    "Beleginfo - Inhalt 7",
    "Beleginfo - Art 8",
    "Beleginfo - Inhalt 8",
    // 37–47: cost accounting and EU details.
    "KOST1 - Kostenstelle",
    "KOST2 - Kostenstelle",
    "Kost-Menge",
    "EU-Land u. UStID (Bestimmung)",
    "EU-Steuersatz (Bestimmung)",
    "Abw. Versteuerungsart",
    "Sachverhalt L+L",
    "Funktionsergänzung L+L",
    "BU 49 Hauptfunktionstyp",
    "BU 49 Hauptfunktionsnummer",
    "BU 49 Funktionsergänzung",
    // 48–87: twenty pairs of additional information.
    "Zusatzinformation - Art 1",
    "Zusatzinformation- Inhalt 1",
    "Zusatzinformation - Art 2",
    "Zusatzinformation- Inhalt 2",
    "Zusatzinformation - Art 3",
    "Zusatzinformation- Inhalt 3",
    "Zusatzinformation - Art 4",
    "Zusatzinformation- Inhalt 4",
    "Zusatzinformation - Art 5",
    "Zusatzinformation- Inhalt 5",
    "Zusatzinformation - Art 6",
    "Zusatzinformation- Inhalt 6",
    "Zusatzinformation - Art 7",
    "Zusatzinformation- Inhalt 7",
    "Zusatzinformation - Art 8",
    "Zusatzinformation- Inhalt 8",
    "Zusatzinformation - Art 9",
    "Zusatzinformation- Inhalt 9",
    "Zusatzinformation - Art 10",
    "Zusatzinformation- Inhalt 10",
    "Zusatzinformation - Art 11",
    "Zusatzinformation- Inhalt 11",
    "Zusatzinformation - Art 12",
    "Zusatzinformation- Inhalt 12",
    "Zusatzinformation - Art 13",
    "Zusatzinformation- Inhalt 13",
    "Zusatzinformation - Art 14",
    "Zusatzinformation- Inhalt 14",
    "Zusatzinformation - Art 15",
    "Zusatzinformation- Inhalt 15",
    "Zusatzinformation - Art 16",
    "Zusatzinformation- Inhalt 16",
    "Zusatzinformation - Art 17",
    "Zusatzinformation- Inhalt 17",
    "Zusatzinformation - Art 18",
    "Zusatzinformation- Inhalt 18",
    "Zusatzinformation - Art 19",
    "Zusatzinformation- Inhalt 19",
    "Zusatzinformation - Art 20",
    "Zusatzinformation- Inhalt 20",
    // 88–125.
    "Stück",
    "Gewicht",
    "Zahlweise",
    "Forderungsart",
    "Veranlagungsjahr",
    "Zugeordnete Fälligkeit",
    "Skontotyp",
    "Auftragsnummer",
    "Buchungstyp",
    "USt-Schlüssel (Anzahlungen)",
    "EU-Land (Anzahlungen)",
    "Sachverhalt L+L (Anzahlungen)",
    "EU-Steuersatz (Anzahlungen)",
    "Erlöskonto (Anzahlungen)",
    "Herkunft-Kz",
    "Buchungs GUID",
    "KOST-Datum",
    "SEPA-Mandatsreferenz",
    "Skontosperre",
    "Gesellschaftername",
    "Beteiligtennummer",
    "Identifikationsnummer",
    "Zeichnernummer",
    "Postensperre bis",
    "Bezeichnung SoBil-Sachverhalt",
    "Kennzeichen SoBil-Buchung",
    "Festschreibung",
    "Leistungsdatum",
    "Datum Zuord. Steuerperiode",
    "Fälligkeit",
    "Generalumkehr (GU)",
    "Steuersatz",
    "Land",
    "Abrechnungsreferenz",
    "BVV-Position",
    "EU-Land u. UStID (Ursprung)",
    "EU-Steuersatz (Ursprung)",
    "Abw. Skontokonto",
];

/// 0-based positions of the columns stapel fills beyond the first 14.
const DATEV_KOST1: usize = 36;
const DATEV_DUE_DATE: usize = 116;

/// DATEV tax keys (Steuerschlüssel) of the VAT codes that are exported as a base with a key:
/// self-assessed VAT, which DATEV books on both sides from the key. Source: DATEV's list of
/// tax keys for SKR03/SKR04 (Dok.-Nr. 0907054), 94 = "19 % Vorsteuer und 19 % Umsatzsteuer,
/// § 13b UStG", 91 = the same at 7 %.
/// Each entry: the VAT code, the key, and the rate in percent DATEV computes the tax with.
const DATEV_TAX_KEYS: &[(&str, &str, u32)] = &[("DE-RC-19", "94", 19), ("DE-RC-7", "91", 7)];

/// The largest Umsatz DATEV takes: ten integer digits.
const DATEV_MAX_AMOUNT: Decimal = Decimal::from_parts(0x540B_E3FF, 0x2, 0, false, 0);

/// The most records one DATEV batch holds.
const DATEV_MAX_RECORDS: usize = 99_999;

/// The entries in export order: by issue date (undated first), then by document id.
fn sorted(entries: &[ExportEntry]) -> Vec<&ExportEntry> {
    let mut sorted: Vec<&ExportEntry> = entries.iter().collect();
    sorted.sort_by_key(|entry| (entry.issue_date, entry.document_id));
    sorted
}

/// An amount with the currency's minor units, padded but never rounded (`121` → `121.00`).
fn fixed(amount: Decimal, currency: &str) -> String {
    let decimals = currency_decimals(currency);
    let mut amount = amount;
    if amount.scale() < decimals {
        amount.rescale(decimals);
    }
    amount.to_string()
}

/// Write the entries as CSV (see the module documentation for the columns).
pub fn to_csv(entries: &[ExportEntry]) -> Result<String, ExportError> {
    let csv_error = |error: csv::Error| ExportError::Csv {
        message: error.to_string(),
    };
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(CSV_COLUMNS).map_err(csv_error)?;
    for entry in sorted(entries) {
        let document_id = entry.document_id.to_string();
        let issue_date = entry
            .issue_date
            .map(|date| date.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let due_date = entry
            .due_date
            .map(|date| date.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        for (index, line) in entry.lines.iter().enumerate() {
            let position = (index + 1).to_string();
            let debit = fixed(line.debit, &entry.currency);
            let credit = fixed(line.credit, &entry.currency);
            writer
                .write_record([
                    document_id.as_str(),
                    entry.invoice_number.as_deref().unwrap_or_default(),
                    issue_date.as_str(),
                    entry.supplier_name.as_deref().unwrap_or_default(),
                    entry.currency.as_str(),
                    position.as_str(),
                    line.account.as_str(),
                    line.description.as_str(),
                    debit.as_str(),
                    credit.as_str(),
                    line.vat_code.as_deref().unwrap_or_default(),
                    entry.cost_centre.as_deref().unwrap_or_default(),
                    due_date.as_str(),
                ])
                .map_err(csv_error)?;
        }
    }
    let bytes = writer.into_inner().map_err(|error| ExportError::Csv {
        message: error.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|error| ExportError::Csv {
        message: error.to_string(),
    })
}

/// The JSON document of [`to_json`]; a wire type, so its field order is the contract.
#[derive(Serialize)]
struct JsonExport<'a> {
    format: &'static str,
    version: u32,
    entries: Vec<JsonEntry<'a>>,
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    document_id: String,
    invoice_number: Option<&'a str>,
    issue_date: Option<String>,
    supplier_name: Option<&'a str>,
    currency: &'a str,
    lines: Vec<JsonLine<'a>>,
    cost_centre: Option<&'a str>,
    due_date: Option<String>,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    account: &'a str,
    description: &'a str,
    debit: String,
    credit: String,
    vat_code: Option<&'a str>,
}

/// Write the entries as JSON (see the module documentation for the shape), pretty-printed,
/// with a final newline.
pub fn to_json(entries: &[ExportEntry]) -> Result<String, ExportError> {
    let export = JsonExport {
        format: "stapel.entries",
        version: 1,
        entries: sorted(entries)
            .into_iter()
            .map(|entry| JsonEntry {
                document_id: entry.document_id.to_string(),
                invoice_number: entry.invoice_number.as_deref(),
                issue_date: entry
                    .issue_date
                    .map(|date| date.format("%Y-%m-%d").to_string()),
                supplier_name: entry.supplier_name.as_deref(),
                currency: &entry.currency,
                lines: entry
                    .lines
                    .iter()
                    .map(|line| JsonLine {
                        account: &line.account,
                        description: &line.description,
                        debit: fixed(line.debit, &entry.currency),
                        credit: fixed(line.credit, &entry.currency),
                        vat_code: line.vat_code.as_deref(),
                    })
                    .collect(),
                cost_centre: entry.cost_centre.as_deref(),
                due_date: entry
                    .due_date
                    .map(|date| date.format("%Y-%m-%d").to_string()),
            })
            .collect(),
    };
    // Serializing plain structs of strings cannot fail; the error is mapped rather than
    // unwrapped all the same.
    let mut text = serde_json::to_string_pretty(&export).map_err(|error| ExportError::Csv {
        message: error.to_string(),
    })?;
    text.push('\n');
    Ok(text)
}

/// One DATEV record before formatting.
struct DatevRecord<'a> {
    amount: Decimal,
    debit: bool,
    account: &'a str,
    counter_account: &'a str,
    tax_key: &'static str,
    date: NaiveDate,
    invoice_number: &'a str,
    text: &'a str,
    cost_centre: Option<&'a str>,
    due_date: Option<NaiveDate>,
}

/// Write the entries as a DATEV EXTF Buchungsstapel (see the module documentation), in
/// Windows-1252.
///
/// `chart` names the accounts payable (the counter account) and the reverse-charge accounts
/// whose lines DATEV books itself from a tax key.
pub fn to_datev(
    entries: &[ExportEntry],
    chart: &ChartOfAccounts,
    settings: &DatevSettings,
) -> Result<Vec<u8>, ExportError> {
    check_settings(settings)?;
    let payable = chart.accounts_payable().number();
    let mut records = Vec::new();
    for entry in sorted(entries) {
        datev_records(entry, chart, payable, settings, &mut records)?;
    }
    if records.len() > DATEV_MAX_RECORDS {
        return Err(ExportError::TooManyRecords {
            records: records.len(),
        });
    }

    let mut text = String::new();
    text.push_str(&datev_header(settings));
    text.push_str("\r\n");
    text.push_str(&DATEV_COLUMNS.join(";"));
    text.push_str("\r\n");
    for record in &records {
        let mut fields = vec![String::new(); DATEV_COLUMNS.len()];
        fields[0] = datev_amount(record.amount);
        fields[1] = quoted(if record.debit { "S" } else { "H" });
        fields[2] = quoted(&settings.currency);
        fields[5] = quoted("");
        fields[6] = record.account.to_owned();
        fields[7] = record.counter_account.to_owned();
        fields[8] = quoted(record.tax_key);
        fields[9] = format!("{:02}{:02}", record.date.day(), record.date.month());
        fields[10] = quoted(&belegfeld(record.invoice_number));
        fields[11] = quoted("");
        fields[13] = quoted(&truncated(booking_text(record.text), 60));
        if let Some(cost_centre) = record.cost_centre {
            fields[DATEV_KOST1] = quoted(&truncated(cost_centre.trim(), 36));
        }
        if let Some(due_date) = record.due_date {
            fields[DATEV_DUE_DATE] = due_date.format("%d%m%Y").to_string();
        }
        text.push_str(&fields.join(";"));
        text.push_str("\r\n");
    }
    Ok(windows_1252(&text))
}

fn check_settings(settings: &DatevSettings) -> Result<(), ExportError> {
    let invalid = |setting: &'static str, problem: String| {
        Err(ExportError::InvalidSetting { setting, problem })
    };
    if !(1001..=9_999_999).contains(&settings.consultant_number) {
        return invalid(
            "Beraternummer",
            format!(
                "{} is not between 1001 and 9999999",
                settings.consultant_number
            ),
        );
    }
    if !(1..=99_999).contains(&settings.client_number) {
        return invalid(
            "Mandantennummer",
            format!("{} is not between 1 and 99999", settings.client_number),
        );
    }
    if !(4..=8).contains(&settings.account_length) {
        return invalid(
            "Sachkontenlänge",
            format!("{} is not between 4 and 8", settings.account_length),
        );
    }
    if settings.period_start > settings.period_end {
        return invalid(
            "Datum vom",
            format!(
                "{} is after Datum bis {}",
                settings.period_start, settings.period_end
            ),
        );
    }
    let fiscal_year_end = settings
        .fiscal_year_start
        .checked_add_months(chrono::Months::new(12))
        .and_then(|next| next.pred_opt());
    let in_fiscal_year = |date: NaiveDate| {
        date >= settings.fiscal_year_start && fiscal_year_end.is_some_and(|end| date <= end)
    };
    if !in_fiscal_year(settings.period_start) || !in_fiscal_year(settings.period_end) {
        return invalid(
            "Datum vom",
            format!(
                "the period {} to {} is not within the fiscal year starting {}",
                settings.period_start, settings.period_end, settings.fiscal_year_start
            ),
        );
    }
    let description_ok = settings.description.chars().count() <= 30
        && settings
            .description
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "_.-/ ".contains(character));
    if !description_ok {
        return invalid(
            "Bezeichnung",
            format!(
                "{:?} is longer than 30 characters or has characters other than A-Z, a-z, \
                 0-9, _ . - / and space",
                settings.description
            ),
        );
    }
    if let Some(code) = &settings.chart_code {
        if code.len() != 2 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
            return invalid("Sachkontenrahmen", format!("{code:?} is not two digits"));
        }
    }
    let currency_ok =
        settings.currency.len() == 3 && settings.currency.bytes().all(|b| b.is_ascii_uppercase());
    if !currency_ok {
        return invalid(
            "WKZ",
            format!("{:?} is not an ISO 4217 code", settings.currency),
        );
    }
    Ok(())
}

/// The header line's 31 fields.
fn datev_header(settings: &DatevSettings) -> String {
    let date = |date: NaiveDate| date.format("%Y%m%d").to_string();
    let fields: [String; 31] = [
        quoted("EXTF"),
        "700".into(),
        "21".into(),
        quoted("Buchungsstapel"),
        "13".into(),
        settings.created_at.format("%Y%m%d%H%M%S%3f").to_string(),
        String::new(),
        quoted(""),
        quoted(""),
        quoted(""),
        settings.consultant_number.to_string(),
        settings.client_number.to_string(),
        date(settings.fiscal_year_start),
        settings.account_length.to_string(),
        date(settings.period_start),
        date(settings.period_end),
        quoted(&settings.description),
        quoted(""),
        "1".into(),
        "0".into(),
        "0".into(),
        quoted(&settings.currency),
        String::new(),
        quoted(""),
        String::new(),
        String::new(),
        quoted(settings.chart_code.as_deref().unwrap_or_default()),
        String::new(),
        String::new(),
        quoted(""),
        quoted(""),
    ];
    fields.join(";")
}

/// The records of one entry, appended to `records`.
fn datev_records<'a>(
    entry: &'a ExportEntry,
    chart: &ChartOfAccounts,
    payable: &'a str,
    settings: &DatevSettings,
    records: &mut Vec<DatevRecord<'a>>,
) -> Result<(), ExportError> {
    let document_id = entry.document_id;
    // An entry without lines (an empty proposal accepted as such) has nothing to export.
    if entry.lines.is_empty() {
        return Ok(());
    }
    let date = entry
        .issue_date
        .ok_or(ExportError::MissingIssueDate { document_id })?;
    if date < settings.period_start || date > settings.period_end {
        return Err(ExportError::DateOutsidePeriod {
            document_id,
            date,
            start: settings.period_start,
            end: settings.period_end,
        });
    }
    if entry.currency != settings.currency {
        return Err(ExportError::ForeignCurrency {
            document_id,
            currency: entry.currency.clone(),
            batch: settings.currency.clone(),
        });
    }
    let counter_account = entry.creditor_account.as_deref().unwrap_or(payable);
    check_account(document_id, counter_account)?;

    let tax_key = |line: &ProposalLine| datev_tax_key(line).map(|(key, _)| key);
    let reverse_charge_accounts: Vec<&str> = chart
        .reverse_charge()
        .map(|pair| vec![pair.input_vat().number(), pair.output_vat().number()])
        .unwrap_or_default();
    let is_datev_tax_line = |line: &ProposalLine| {
        tax_key(line).is_some() && reverse_charge_accounts.contains(&line.account.as_str())
    };
    let use_tax_keys = tax_lines_match_keys(entry, &is_datev_tax_line);

    let invoice_number = entry.invoice_number.as_deref().unwrap_or_default();
    for line in &entry.lines {
        if line.account == payable {
            continue;
        }
        if use_tax_keys && is_datev_tax_line(line) {
            continue;
        }
        check_account(document_id, &line.account)?;
        let debit = !line.debit.is_zero();
        let amount = if debit { line.debit } else { line.credit };
        let representable = amount.normalize().scale() <= 2;
        if amount.is_zero() || amount > DATEV_MAX_AMOUNT || !representable {
            return Err(ExportError::UnsupportedAmount {
                document_id,
                amount,
            });
        }
        records.push(DatevRecord {
            amount,
            debit,
            account: &line.account,
            counter_account,
            tax_key: if use_tax_keys {
                tax_key(line).unwrap_or_default()
            } else {
                ""
            },
            date,
            invoice_number,
            text: &line.description,
            cost_centre: entry
                .cost_centre
                .as_deref()
                .filter(|kost| !kost.trim().is_empty()),
            due_date: entry.due_date,
        });
    }
    Ok(())
}

/// The DATEV tax key of a line's VAT code, and the rate DATEV computes with, if the code is
/// one that is exported as a keyed base.
fn datev_tax_key(line: &ProposalLine) -> Option<(&'static str, u32)> {
    let code = line.vat_code.as_deref()?;
    DATEV_TAX_KEYS
        .iter()
        .find(|(keyed, _, _)| *keyed == code)
        .map(|(_, key, rate)| (*key, *rate))
}

/// Whether the self-assessed VAT lines of an entry are exactly what DATEV books from the tax
/// keys of its bases, so they can be left to DATEV. True when there are none.
fn tax_lines_match_keys(
    entry: &ExportEntry,
    is_datev_tax_line: &dyn Fn(&ProposalLine) -> bool,
) -> bool {
    let mut codes: Vec<(&str, u32)> = entry
        .lines
        .iter()
        .filter_map(|line| Some((line.vat_code.as_deref()?, datev_tax_key(line)?.1)))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes.into_iter().all(|(code, rate)| {
        let of_code = |line: &&ProposalLine| line.vat_code.as_deref() == Some(code);
        // The tax DATEV computes from each keyed base: base × rate, rounded half away from
        // zero, booked as input VAT and as output VAT.
        let expected: Decimal = entry
            .lines
            .iter()
            .filter(of_code)
            .filter(|line| !is_datev_tax_line(line))
            .map(|line| {
                let base = line.debit - line.credit;
                round_to_currency(
                    base * Decimal::from(rate) / Decimal::ONE_HUNDRED,
                    &entry.currency,
                )
                .abs()
            })
            .sum();
        let (debits, credits) = entry
            .lines
            .iter()
            .filter(of_code)
            .filter(|line| is_datev_tax_line(line))
            .fold((Decimal::ZERO, Decimal::ZERO), |(debits, credits), line| {
                (debits + line.debit, credits + line.credit)
            });
        debits == credits && debits == expected
    })
}

fn check_account(document_id: DocumentId, account: &str) -> Result<(), ExportError> {
    let ok = (1..=9).contains(&account.len())
        && account.bytes().all(|byte| byte.is_ascii_digit())
        && account.bytes().any(|byte| byte != b'0');
    if ok {
        Ok(())
    } else {
        Err(ExportError::InvalidAccount {
            document_id,
            account: account.to_owned(),
        })
    }
}

/// `1234,56`: two decimals, decimal comma, no thousands separator.
fn datev_amount(amount: Decimal) -> String {
    let mut amount = amount.normalize();
    amount.rescale(2);
    amount.to_string().replace('.', ",")
}

/// A text field: in double quotes, quotes doubled, line breaks as spaces.
fn quoted(text: &str) -> String {
    let mut field = String::with_capacity(text.len() + 2);
    field.push('"');
    for character in text.chars() {
        match character {
            '"' => field.push_str("\"\""),
            '\r' | '\n' | '\t' => field.push(' '),
            other => field.push(other),
        }
    }
    field.push('"');
    field
}

/// Buchungstext: what follows the account name in a proposal line's description
/// (`"Abziehbare Vorsteuer 19 % — Müller GmbH RE-1"` gives `"Müller GmbH RE-1"`).
fn booking_text(description: &str) -> &str {
    description
        .split_once(" — ")
        .map_or(description, |(_, rest)| rest)
}

/// At most `limit` characters of `text`.
fn truncated(text: &str, limit: usize) -> String {
    text.chars().take(limit).collect()
}

/// Belegfeld 1: the characters DATEV allows (`A-Z a-z 0-9 _ $ % - /`), others as `-`, at most
/// 36 of them.
fn belegfeld(invoice_number: &str) -> String {
    let mut field = String::new();
    for character in invoice_number.trim().chars().take(36) {
        let allowed = character.is_ascii_alphanumeric() || "_$%-/".contains(character);
        field.push(if allowed { character } else { '-' });
    }
    field
}

/// `text` in Windows-1252, with `?` for what the code page cannot hold.
fn windows_1252(text: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut buffer = [0u8; 4];
    for character in text.chars() {
        if character.is_ascii() {
            bytes.push(character as u8);
            continue;
        }
        let (encoded, _, unmappable) =
            encoding_rs::WINDOWS_1252.encode(character.encode_utf8(&mut buffer));
        if unmappable {
            bytes.push(b'?');
        } else {
            bytes.extend_from_slice(&encoded);
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn windows_1252_keeps_what_it_can_and_marks_the_rest() {
        assert_eq!(windows_1252("Grüße — 5 €"), b"Gr\xfc\xdfe \x97 5 \x80");
        assert_eq!(windows_1252("✓ ok"), b"? ok");
    }

    #[test]
    fn datev_amounts_have_two_decimals_and_a_comma() {
        assert_eq!(datev_amount(dec!(1234567.8)), "1234567,80");
        assert_eq!(datev_amount(dec!(11000)), "11000,00");
        assert_eq!(datev_amount(dec!(0.500)), "0,50");
        assert_eq!(DATEV_MAX_AMOUNT, dec!(9999999999));
    }

    #[test]
    fn booking_text_drops_the_account_name() {
        assert_eq!(
            booking_text("Abziehbare Vorsteuer 19 % — Müller GmbH RE-1"),
            "Müller GmbH RE-1"
        );
        assert_eq!(booking_text("Expenses"), "Expenses");
    }

    #[test]
    fn fixed_pads_to_the_currency_but_never_rounds() {
        assert_eq!(fixed(dec!(121), "EUR"), "121.00");
        assert_eq!(fixed(dec!(11000), "JPY"), "11000");
        assert_eq!(fixed(dec!(1.5), "KWD"), "1.500");
        assert_eq!(fixed(dec!(1.005), "EUR"), "1.005");
    }
}
