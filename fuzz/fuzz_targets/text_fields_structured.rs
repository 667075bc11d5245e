//! The text field extractor on invoice-shaped text: lines built from labels, amounts, dates,
//! identifiers and words of the six languages the parser knows, so the fuzzer spends its time
//! in the parser's decisions (which label, which amount, which reading) rather than in
//! rejecting noise.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use stapel_extract::{parse_pdf_text, PdfText};

#[rustfmt::skip]
const LABELS: &[&str] = &[
    "Invoice No.", "Invoice number", "Invoice date", "Due date", "Subtotal", "Total excl. VAT",
    "VAT", "VAT 20%", "Total incl. VAT", "Amount due", "Bill to", "Seller", "VAT number",
    "Credit note", "Currency", "Factuurnummer", "Factuurdatum", "Vervaldatum", "Totaal excl. BTW",
    "BTW 21%", "Totaal incl. BTW", "Te betalen", "Factuur aan", "Creditnota", "BTW-nummer",
    "Rechnungsnummer", "Rechnungsdatum", "Zahlbar bis", "Nettobetrag", "zzgl. 19% MwSt.",
    "Gesamtbetrag", "Zahlbetrag", "USt-IdNr.", "Gutschrift", "Rechnungsempfänger", "Verkäufer",
    "Fakturanummer", "Fakturadato", "Forfaldsdato", "Beløb ekskl. moms", "Moms 25%", "I alt",
    "At betale", "CVR-nr.", "Kreditnota", "Fattura n.", "Data fattura", "Scadenza", "Imponibile",
    "IVA 22%", "Totale documento", "Netto a pagare", "P. IVA", "Nota di credito",
    "Facture n°", "Date de facture", "Date d'échéance", "Total HT", "TVA 20 %", "Total TTC",
    "Net à payer", "N° TVA", "Avoir n°", "Total", "Totaal", "Summe", "Datum", "Date", "Nummer",
    "No.", "IBAN", "BIC", "Qty", "Quantity", "Unit price", "Amount", "Aantal", "Prijs", "Bedrag",
    "Menge", "Einzelpreis", "Betrag", "Antal", "Pris", "Quantità", "Prezzo", "Importo",
    "Quantité", "Prix unitaire", "Montant", "payable within 30 days", "reverse charge",
    "Steuerschuldnerschaft des Leistungsempfängers", "BTW verlegd", "autoliquidation",
];
#[rustfmt::skip]
const CURRENCIES: &[&str] = &["€", "EUR", "£", "GBP", "kr.", "DKK", "$", "USD", "CHF", "HUF", ""];
#[rustfmt::skip]
const MONTHS: &[&str] = &[
    "November", "novembre", "November", "Dezember", "december", "dicembre", "März", "mars",
    "maj", "mei", "Jan", "févr.",
];
#[rustfmt::skip]
const VAT_IDS: &[&str] = &[
    "GB 123 4567 89", "NL123456789B01", "DE293847561", "DK12345678", "IT01234567890",
    "FR12345678901", "BE 0123.456.749", "ATU12345678", "XX1",
];
#[rustfmt::skip]
const IBANS: &[&str] = &[
    "NL91 ABNA 0417 1643 00", "DE89 3704 0044 0532 0130 00", "GB29 NWBK 6016 1331 9268 19",
    "DK50 0040 0440 1162 43", "IT60 X054 2811 1010 0000 0123 456", "FR14 2004 1010 0505 0001 3M02 606",
];

/// One piece of a line.
#[derive(Debug, Arbitrary)]
enum Token {
    Label(u8),
    /// An amount: integer part, cents, grouping/decimal style, currency, sign.
    Amount {
        units: u32,
        cents: u8,
        style: u8,
        currency: u8,
        negative: bool,
    },
    /// A date: day, month, year and a style.
    Date {
        day: u8,
        month: u8,
        year: u16,
        style: u8,
    },
    Percent(u8),
    VatId(u8),
    Iban(u8),
    Word(String),
    Colon,
    Spaces(u8),
    Tab,
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// The content-stream reading: pages of lines of tokens.
    stream: Vec<Vec<Vec<Token>>>,
    /// The layout reading; empty means none.
    layout: Vec<Vec<Vec<Token>>>,
}

fn pick<'a>(table: &[&'a str], index: impl Into<usize>) -> &'a str {
    table[index.into() % table.len()]
}

fn amount(units: u32, cents: u8, style: u8, currency: u8, negative: bool) -> String {
    let digits = units.to_string();
    let (group, decimal) = match style % 5 {
        0 => (",", "."),
        1 => (".", ","),
        2 => ("\u{a0}", ","),
        3 => (" ", ","),
        _ => ("'", "."),
    };
    let mut grouped = String::new();
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position) % 3 == 0 && style & 0x10 == 0 {
            grouped.push_str(group);
        }
        grouped.push(digit);
    }
    let number = if style & 0x20 == 0 {
        format!("{grouped}{decimal}{:02}", cents % 100)
    } else {
        grouped
    };
    let sign = if negative { "-" } else { "" };
    let currency = pick(CURRENCIES, currency);
    if style & 0x40 == 0 {
        format!("{currency} {sign}{number}")
    } else {
        format!("{sign}{number} {currency}")
    }
}

fn date(day: u8, month: u8, year: u16, style: u8) -> String {
    let year = 1990 + u32::from(year % 60);
    match style % 6 {
        0 => format!("{day:02}.{month:02}.{year}"),
        1 => format!("{day:02}-{month:02}-{year}"),
        2 => format!("{day:02}/{month:02}/{year}"),
        3 => format!("{year}-{month:02}-{day:02}"),
        4 => format!("{day}. {} {year}", pick(MONTHS, month)),
        _ => format!("{day} {} {year}", pick(MONTHS, month)),
    }
}

fn render(pages: &[Vec<Vec<Token>>]) -> Vec<String> {
    pages
        .iter()
        .map(|lines| {
            let mut page = String::new();
            for line in lines {
                for token in line {
                    match token {
                        Token::Label(index) => page.push_str(pick(LABELS, *index)),
                        Token::Amount {
                            units,
                            cents,
                            style,
                            currency,
                            negative,
                        } => page.push_str(&amount(*units, *cents, *style, *currency, *negative)),
                        Token::Date {
                            day,
                            month,
                            year,
                            style,
                        } => page.push_str(&date(*day % 33, *month % 14, *year, *style)),
                        Token::Percent(rate) => page.push_str(&format!("{}%", rate % 30)),
                        Token::VatId(index) => page.push_str(pick(VAT_IDS, *index)),
                        Token::Iban(index) => page.push_str(pick(IBANS, *index)),
                        Token::Word(word) => page.push_str(word),
                        Token::Colon => page.push(':'),
                        Token::Spaces(count) => {
                            page.push_str(&" ".repeat(usize::from(*count % 40)))
                        }
                        Token::Tab => page.push('\t'),
                    }
                    page.push(' ');
                }
                page.push('\n');
            }
            page
        })
        .collect()
}

fuzz_target!(|input: Input| {
    let text = PdfText {
        pages: render(&input.stream),
        layout_pages: render(&input.layout),
    };
    let invoice = parse_pdf_text(&text);
    stapel_fuzz::check_invoice(&invoice);
});
