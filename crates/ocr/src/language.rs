//! Invoice languages and a cheap detector for them.
//!
//! Tesseract reads a language best when that language comes *first* in its language string:
//! English alone reads the German sample's "Bürodrehstuhl", "München" and "Gießereistraße" as
//! "Burodrehstuhl", "Munchen" and "GieBereistrake", and on real scans `eng+deu` was seen to read
//! "Burobedarf" where `deu+eng` reads "Bürobedarf". So the engine reads the first page with a
//! default set, guesses the language from what it read, and reads the page again with the
//! guessed language first when that differs.
//!
//! The guess counts invoice labels (Rechnung, Factuur, Faktura, Fattura, Facture, Invoice, the VAT
//! words) and common stop words per language. Words are compared without accents, because a
//! first pass with the wrong language drops them ("für" is read as "fur").

/// A language invoices come in, with Tesseract traineddata installed for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Language {
    /// English (`eng`).
    English,
    /// Dutch (`nld`).
    Dutch,
    /// German (`deu`).
    German,
    /// Danish (`dan`).
    Danish,
    /// Italian (`ita`).
    Italian,
    /// French (`fra`).
    French,
}

impl Language {
    /// Every language, in the order ties are broken.
    pub const ALL: [Language; 6] = [
        Language::English,
        Language::German,
        Language::Dutch,
        Language::French,
        Language::Italian,
        Language::Danish,
    ];

    /// Tesseract's name for the language (its traineddata file name).
    pub fn tesseract_code(self) -> &'static str {
        match self {
            Language::English => "eng",
            Language::Dutch => "nld",
            Language::German => "deu",
            Language::Danish => "dan",
            Language::Italian => "ita",
            Language::French => "fra",
        }
    }

    /// ISO 639-1 code, as the rest of stapel names languages.
    pub fn iso_639_1(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Dutch => "nl",
            Language::German => "de",
            Language::Danish => "da",
            Language::Italian => "it",
            Language::French => "fr",
        }
    }

    /// Strong signals: a word that starts with one of these is an invoice label of this
    /// language (compounds included: "Rechnungsnummer", "factuurdatum", "fakturadato").
    fn label_prefixes(self) -> &'static [&'static str] {
        match self {
            Language::English => &["invoice", "subtotal"],
            Language::German => &["rechnung", "mwst", "umsatzsteuer", "zzgl", "gesamtbetrag"],
            Language::Dutch => &[
                "factuur",
                "btw",
                "omschrijving",
                "vervaldatum",
                "totaalbedrag",
            ],
            Language::Danish => &[
                "faktura",
                "moms",
                "forfald",
                "betalingsbetingelse",
                "beskrivelse",
            ],
            Language::Italian => &["fattura", "imponibile", "scadenza", "descrizione", "iva"],
            Language::French => &["facture", "tva", "echeance", "montant", "designation"],
        }
    }

    /// Weak signals: whole words common in this language's invoices and prose. Single letters
    /// ("i", "e", "a") are left out: OCR noise produces them in every language.
    fn common_words(self) -> &'static [&'static str] {
        match self {
            Language::English => &[
                "the",
                "and",
                "of",
                "to",
                "for",
                "with",
                "total",
                "amount",
                "due",
                "date",
                "payment",
                "please",
                "number",
                "price",
                "quantity",
                "qty",
                "description",
                "tax",
                "vat",
                "bill",
                "terms",
                "thank",
                "you",
                "your",
                "our",
                "days",
                "within",
                "from",
            ],
            Language::German => &[
                "der",
                "die",
                "das",
                "und",
                "fur",
                "mit",
                "von",
                "zu",
                "bis",
                "zahlbar",
                "betrag",
                "gesamt",
                "netto",
                "brutto",
                "ust",
                "inkl",
                "datum",
                "menge",
                "einzelpreis",
                "bezeichnung",
                "bankverbindung",
                "tagen",
                "ohne",
                "abzug",
                "summe",
                "bitte",
                "ihre",
                "wir",
                "auf",
                "dem",
                "den",
                "nicht",
                "ist",
                "sie",
                "lieferdatum",
                "kundennummer",
                "steuernummer",
                "gmbh",
                "innerhalb",
            ],
            Language::Dutch => &[
                "de",
                "het",
                "een",
                "en",
                "van",
                "voor",
                "met",
                "op",
                "te",
                "totaal",
                "bedrag",
                "excl",
                "incl",
                "aantal",
                "prijs",
                "betaling",
                "betalen",
                "binnen",
                "dagen",
                "graag",
                "uw",
                "wij",
                "onder",
                "vermelding",
                "kvk",
                "klantnummer",
                "bv",
                "per",
                "naar",
                "datum",
            ],
            Language::Danish => &[
                "og", "af", "til", "med", "pa", "den", "det", "er", "belob", "alt", "ialt",
                "betaling", "dato", "antal", "pris", "stk", "kr", "cvr", "dage", "netto", "bedes",
                "venligst", "senest", "aps", "momsnr",
            ],
            Language::Italian => &[
                "il",
                "la",
                "di",
                "per",
                "con",
                "del",
                "della",
                "dei",
                "che",
                "totale",
                "importo",
                "data",
                "pagamento",
                "quantita",
                "prezzo",
                "partita",
                "codice",
                "fiscale",
                "giorni",
                "srl",
                "spa",
                "bonifico",
                "numero",
                "al",
                "da",
            ],
            Language::French => &[
                "le",
                "la",
                "les",
                "des",
                "du",
                "de",
                "et",
                "pour",
                "avec",
                "en",
                "total",
                "ttc",
                "ht",
                "date",
                "paiement",
                "quantite",
                "prix",
                "reglement",
                "siret",
                "siren",
                "net",
                "payer",
                "jours",
                "sarl",
                "numero",
                "au",
                "par",
            ],
        }
    }
}

/// Weight of a label prefix match against a common word.
const LABEL_WEIGHT: u32 = 3;

/// The winner needs at least this score...
const MIN_SCORE: u32 = 6;

/// ...and must beat the runner-up by this factor (in tenths: 13 is 1.3 times).
const MIN_MARGIN_TENTHS: u32 = 13;

/// Guess the language of recognised invoice text; `None` when there is too little text or no
/// clear winner.
pub fn detect_language(text: &str) -> Option<Language> {
    let scores = language_scores(text);
    let mut ranked = scores;
    ranked.sort_by_key(|(_, score)| std::cmp::Reverse(*score));
    let (best, best_score) = ranked[0];
    let runner_up = ranked[1].1;
    let clear = best_score >= MIN_SCORE && best_score * 10 >= runner_up * MIN_MARGIN_TENTHS;
    clear.then_some(best)
}

/// The score of each language, in [`Language::ALL`] order.
fn language_scores(text: &str) -> [(Language, u32); 6] {
    let mut scores = Language::ALL.map(|language| (language, 0u32));
    let mut word = String::new();
    let mut score_word = |word: &str| {
        if word.is_empty() {
            return;
        }
        for (language, score) in scores.iter_mut() {
            if language
                .label_prefixes()
                .iter()
                .any(|prefix| word.starts_with(prefix))
            {
                *score += LABEL_WEIGHT;
            } else if language.common_words().contains(&word) {
                *score += 1;
            }
        }
    };
    for character in text.chars() {
        if character.is_alphabetic() {
            for lower in character.to_lowercase() {
                word.push(fold_accent(lower));
            }
        } else {
            score_word(&word);
            word.clear();
        }
    }
    score_word(&word);
    scores
}

/// Strip the accents of the letters these six languages use, so a first pass in the wrong
/// language ("fur", "belob", "quantita") scores like the right one.
fn fold_accent(letter: char) -> char {
    match letter {
        'ä' | 'à' | 'á' | 'â' | 'å' | 'æ' => 'a',
        'ö' | 'ò' | 'ó' | 'ô' | 'ø' => 'o',
        'ü' | 'ù' | 'ú' | 'û' => 'u',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'ï' | 'ì' | 'í' | 'î' => 'i',
        'ç' => 'c',
        'ß' => 's',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_language_from_a_typical_invoice_header() {
        let cases = [
            (
                "INVOICE\nInvoice number INV-2026-0042\nInvoice date 21 November 2026\nPayment \
                 due within 30 days\nSubtotal 1,234.00\nVAT 20% 246.80\nTotal amount due",
                Language::English,
            ),
            (
                "RECHNUNG\nRechnungsnummer RE-2026-11873\nRechnungsdatum 21.11.2026\nZahlbar bis \
                 21.12.2026\nNettobetrag 2.974,00 €\nzzgl. 19% MwSt. 565,06 €\nGesamtbetrag",
                Language::German,
            ),
            (
                "FACTUUR\nFactuurnummer F2026-118\nFactuurdatum 21-11-2026\nVervaldatum \
                 21-12-2026\nTotaal excl. btw 1.000,00\nBTW 21% 210,00\nTe betalen binnen 30 dagen",
                Language::Dutch,
            ),
            (
                "FAKTURA\nFakturanummer 2026-7781\nFakturadato 21.11.2026\nForfaldsdato \
                 21.12.2026\nBeløb i alt DKK\nMoms 25% 250,00\nBetalingsbetingelser: netto 30 dage",
                Language::Danish,
            ),
            (
                "FATTURA\nFattura n. 118/2026\nData 21/11/2026\nScadenza 21/12/2026\nImponibile \
                 1.000,00\nIVA 22% 220,00\nTotale documento\nPagamento con bonifico",
                Language::Italian,
            ),
            (
                "FACTURE\nFacture n° F-2026-118\nDate de facture 21/11/2026\nÉchéance \
                 21/12/2026\nTotal HT 1 000,00\nTVA 20 % 200,00\nMontant TTC à payer",
                Language::French,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(detect_language(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn reads_german_through_a_first_pass_that_lost_the_umlauts() {
        let english_pass = "Burodrehstuhl Ergo Plus 4 389,00 Rechnungsnummer RE-2026-11873 \
                            Lieferung und Montage fur Kunden zzgl. MwSt.";
        assert_eq!(detect_language(english_pass), Some(Language::German));
    }

    #[test]
    fn too_little_text_is_no_guess() {
        assert_eq!(detect_language(""), None);
        assert_eq!(detect_language("12.00 34.50 2026-11-21"), None);
        assert_eq!(detect_language("Total"), None);
    }

    #[test]
    fn codes_match_the_traineddata_files() {
        let codes: Vec<&str> = Language::ALL.iter().map(|l| l.tesseract_code()).collect();
        assert_eq!(codes, ["eng", "deu", "nld", "fra", "ita", "dan"]);
        assert_eq!(Language::Danish.iso_639_1(), "da");
    }
}
