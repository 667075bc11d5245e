//! Label tables: how each field is announced, per language.
//!
//! Every entry is a case-insensitive regex. Where labels overlap in a line ("Totaal incl. BTW"
//! contains "BTW"), the longest match wins, so specific labels need no special ordering.
//! Generic labels ("Total", "Datum") are `Weak`: they only count at the start of a line, and they
//! lose to any specific label for the same field.

use std::sync::LazyLock;

/// What a label announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum LabelKind {
    InvoiceNumber,
    IssueDate,
    DueDate,
    NetTotal,
    VatTotal,
    GrossTotal,
    AmountDue,
    Currency,
    /// "VAT number", "USt-IdNr.": announces an identifier, and keeps "VAT" from reading as a
    /// VAT amount label.
    VatId,
    /// "Bill to", "Rechnungsempfänger": the buyer's block follows.
    Customer,
    /// "Seller", "Verkäufer": the supplier's block follows.
    Supplier,
    /// A title that makes the document a credit note.
    CreditNote,
}

/// How much a label alone says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Strength {
    /// A generic word that often announces the field but also appears elsewhere.
    Weak,
    /// A label that names the field unambiguously.
    Strong,
}

struct LabelSpec {
    kind: LabelKind,
    /// ISO 639-1 language, for documentation and tests.
    #[cfg_attr(not(test), allow(dead_code))]
    language: &'static str,
    pattern: &'static str,
    strength: Strength,
}

const fn strong(kind: LabelKind, language: &'static str, pattern: &'static str) -> LabelSpec {
    LabelSpec {
        kind,
        language,
        pattern,
        strength: Strength::Strong,
    }
}

const fn weak(kind: LabelKind, language: &'static str, pattern: &'static str) -> LabelSpec {
    LabelSpec {
        kind,
        language,
        pattern,
        strength: Strength::Weak,
    }
}

use LabelKind::*;

/// `VAT|BTW|...`: the words for value added tax.
macro_rules! vat {
    () => {
        r"(?:VAT|BTW|MwSt|MWST|USt|Umsatzsteuer|Mehrwertsteuer|moms|IVA|TVA)\.?"
    };
}

const LABELS: &[LabelSpec] = &[
    // Invoice number.
    strong(
        InvoiceNumber,
        "en",
        r"\binvoice\s*(?:no\.?|number|nr\.?|#|num\.?)",
    ),
    strong(
        InvoiceNumber,
        "en",
        r"\bcredit\s*note\s*(?:no\.?|number|nr\.?|#)",
    ),
    strong(InvoiceNumber, "nl", r"\bfactuur\s*(?:nummer|nr\.?|no\.?)"),
    strong(
        InvoiceNumber,
        "nl",
        r"\bcreditnota\s*(?:nummer|nr\.?|no\.?)|\bcreditfactuur\s*(?:nummer|nr\.?)",
    ),
    strong(
        InvoiceNumber,
        "de",
        r"\brechnungs?\s*-?\s*(?:nummer|nr\.?)|\bre\.-?\s*nr\.?",
    ),
    strong(
        InvoiceNumber,
        "de",
        r"\bgutschrifts?\s*-?\s*(?:nummer|nr\.?)",
    ),
    // "Handelsrechnung (380) 05.03.2018 Nr. 471102", "Rechnung des Versicherers (575)
    // 06.12.2018 Nr. 01.234.567.8-2018-1": a title (any compound ending in -rechnung, as in
    // Schluss-, Miet-, Teilrechnung), then a number label.
    strong(
        InvoiceNumber,
        "de",
        r"\b\p{L}*(?:rechnung|rechnungskorrektur|gutschrift)\b[^:\n]{0,50}?\bnr\.?",
    ),
    strong(
        InvoiceNumber,
        "da",
        r"\bfaktura\s*(?:nummer|nr\.?)|\bkreditnota\s*(?:nummer|nr\.?)",
    ),
    strong(
        InvoiceNumber,
        "it",
        r"\bnumero\s+(?:della\s+)?fattura|\bfattura\s*(?:n\.?|nr\.?|n°|num\.?|numero)(?:\s|$|:)|\bn\.?\s*fattura|\bnota\s+di\s+credito\s*(?:n\.?|nr\.?|n°)",
    ),
    strong(
        InvoiceNumber,
        "fr",
        r"\bn[°o]\.?\s*(?:de\s+)?(?:la\s+)?facture|\bfacture\s*n[°o]\.?|\bnum[ée]ro\s+de\s+facture|\bavoir\s*n[°o]\.?|\bn[°o]\s*d['’]avoir",
    ),
    // A bare "Nummer" / "Numéro" / "No." opening a line: weak, used only when no line names the
    // invoice number outright (compounds such as "Klantnummer" do not match).
    weak(
        InvoiceNumber,
        "all",
        r"^(?:number|nummer|numero|num[ée]ro|nr\.|no\.|n°|n\.)(?:\s*:)?(?:\s|$)",
    ),
    // Issue date.
    strong(
        IssueDate,
        "en",
        r"\b(?:invoice|issue|credit\s*note)\s*date|\bdate\s+of\s+(?:issue|invoice)|\bdated",
    ),
    strong(
        IssueDate,
        "nl",
        r"\bfactuurdatum|\bcreditnotadatum|\bdatum\s+factuur",
    ),
    strong(
        IssueDate,
        "de",
        r"\brechnungsdatum|\bgutschriftsdatum|\bbelegdatum|\bausstellungsdatum",
    ),
    strong(IssueDate, "da", r"\bfakturadato|\bfaktura\s*dato"),
    strong(
        IssueDate,
        "it",
        r"\bdata\s+(?:della\s+)?fattura|\bdata\s+documento|\bdata\s+emissione",
    ),
    strong(
        IssueDate,
        "fr",
        r"\bdate\s+(?:de\s+(?:la\s+)?)?facture|\bdate\s+d['’][ée]mission|\bdate\s+de\s+l['’]avoir",
    ),
    weak(IssueDate, "en/fr", r"^date\b"),
    weak(IssueDate, "nl/de", r"^datum\b"),
    weak(IssueDate, "da", r"^dato\b"),
    weak(IssueDate, "it", r"^data\b"),
    // Due date.
    strong(
        DueDate,
        "en",
        r"\b(?:due|payment\s+due)\s*date|\bpayment\s+due|\bpayable\s+(?:by|before|until)|\bdue\s+(?:by|on)",
    ),
    strong(
        DueDate,
        "nl",
        r"\bvervaldatum|\buiterste\s+betaaldatum|\bte\s+betalen\s+(?:v[óo][óo]r|uiterlijk)",
    ),
    strong(
        DueDate,
        "de",
        r"\bf[äa]llig(?:keitsdatum|\s+am|\s+bis|\s+zum)?|\bzahlbar\s+bis|\bzahlungsziel|\bzahlbar\b[^\n]{0,40}?\bbis\b",
    ),
    strong(
        DueDate,
        "da",
        r"\bforfaldsdato|\bforfald|\bbetales\s+senest|\bsidste\s+rettidige\s+betalingsdag",
    ),
    strong(
        DueDate,
        "it",
        r"\b(?:data\s+(?:di\s+)?)?scadenza(?:\s+pagamento)?",
    ),
    strong(
        DueDate,
        "fr",
        r"\bdate\s+d['’][ée]ch[ée]ance|\b[ée]ch[ée]ance|\bdate\s+limite\s+de\s+(?:paiement|r[èe]glement)|\b[àa]\s+payer\s+avant\s+le",
    ),
    weak(DueDate, "en", r"^due\b"),
    // Net total.
    strong(
        NetTotal,
        "en",
        r"\bsub-?\s*total\b|\bnet\s+(?:amount|total)|\btotal\s+(?:net|excl(?:uding|\.)?\s*(?:of\s+)?vat|ex\.?\s*vat|before\s+vat)|\btaxable\s+amount",
    ),
    strong(
        NetTotal,
        "nl",
        r"\bsubtotaal|\btotaal\s+(?:excl(?:usief|\.)?\s*btw|netto)|\bnetto\s*(?:bedrag|totaal)?\b|\bbedrag\s+excl\.?\s*btw",
    ),
    strong(
        NetTotal,
        "de",
        r"\bnettobetrag|\bnettosumme|\bsumme\s+netto|\bgesamtbetrag\s+netto|\bgesamt\s+netto|\bzwischensumme|\b(?:rechnungs)?summe\s+ohne\s+(?:ust|mwst)\.?|\bwarenwert\s+netto|\bnetto\s*betrag",
    ),
    strong(
        NetTotal,
        "da",
        r"\bbel[øo]b\s+ekskl\.?\s*moms|\btotal\s+ekskl\.?\s*moms|\bnettobel[øo]b|\bmomspligtigt\s+bel[øo]b",
    ),
    strong(
        NetTotal,
        "it",
        r"\b(?:totale\s+)?imponibile|\btotale\s+netto|\btotale\s+merce",
    ),
    strong(
        NetTotal,
        "fr",
        r"\b(?:total|montant)\s+(?:hors\s+taxes?|h\.?t\.?)(?:\s|$)|\bsous-?\s*total",
    ),
    // VAT total.
    strong(
        VatTotal,
        "en",
        r"\b(?:total\s+)?vat(?:\s+amount|\s+total)?\b|\btotal\s+tax\b|\btax\s+amount",
    ),
    strong(
        VatTotal,
        "nl",
        r"\b(?:totaal\s+)?btw(?:\s*-?\s*bedrag|\s+totaal)?\b",
    ),
    strong(
        VatTotal,
        "de",
        r"\b(?:zzgl\.?\s+)?(?:gesamt\s*)?(?:MwSt|MWST|USt|Umsatzsteuer|Mehrwertsteuer)\b\.?(?:-?betrag)?|\bsteuerbetrag|\bsumme\s+(?:mwst|ust)\.?",
    ),
    strong(
        VatTotal,
        "da",
        r"\b(?:moms|momsbel[øo]b)\b|\bmoms\s+i\s+alt",
    ),
    strong(VatTotal, "it", r"\b(?:totale\s+)?iva\b|\bimposta\b"),
    strong(
        VatTotal,
        "fr",
        r"\b(?:total\s+|montant\s+(?:de\s+la\s+)?)?tva\b",
    ),
    // Gross total.
    strong(
        GrossTotal,
        "en",
        r"\btotal\s+(?:(?:[€£$]|EUR|GBP|USD)\s+)?(?:incl(?:uding|\.)?\s*(?:of\s+)?vat|amount|gross|invoice\s+amount)\b|\binvoice\s+total|\bgrand\s+total|\bgross\s+(?:amount|total)",
    ),
    strong(
        GrossTotal,
        "nl",
        r"\btotaal\s+(?:incl(?:usief|\.)?\s*btw|bedrag|factuur)|\bfactuurbedrag|\beindtotaal",
    ),
    strong(
        GrossTotal,
        "de",
        r"\bgesamtbetrag(?:\s+brutto)?|\brechnungsbetrag|\bbruttobetrag|\bbruttosumme|\bendbetrag|\bgesamtsumme|\brechnungssumme(?:\s+brutto)?|\bsumme\s+brutto|\bgutschriftsbetrag",
    ),
    strong(
        GrossTotal,
        "da",
        r"\bi\s+alt\b|\btotal\s+inkl\.?\s*moms|\bbel[øo]b\s+inkl\.?\s*moms|\bfakturabel[øo]b",
    ),
    strong(
        GrossTotal,
        "it",
        r"\btotale\s+(?:fattura|documento|ivato|generale|complessivo)|\btotale\s+iva\s+inclusa",
    ),
    strong(
        GrossTotal,
        "fr",
        r"\b(?:total|montant)\s+t\.?t\.?c\.?(?:\s|$)|\btotal\s+toutes\s+taxes",
    ),
    weak(GrossTotal, "en/fr/da", r"^total\b"),
    weak(GrossTotal, "nl", r"^totaal\b"),
    weak(GrossTotal, "it", r"^totale\b"),
    weak(GrossTotal, "de", r"^summe\b|^gesamt\b"),
    // Amount due.
    strong(
        AmountDue,
        "en",
        r"\b(?:amount|balance|total)\s+(?:due|payable|to\s+pay)\b",
    ),
    strong(
        AmountDue,
        "nl",
        r"\bte\s+betalen(?:\s+bedrag)?|\bopenstaand\s+bedrag|\bnog\s+te\s+betalen",
    ),
    strong(
        AmountDue,
        "de",
        r"\bzahlbetrag|\bzu\s+zahlen(?:der\s+betrag)?|\bzahlungsbetrag|\boffener\s+betrag",
    ),
    strong(
        AmountDue,
        "da",
        r"\b(?:bel[øo]b\s+)?at\s+betale|\btil\s+betaling",
    ),
    strong(
        AmountDue,
        "it",
        r"\bnetto\s+a\s+pagare|\btotale\s+da\s+pagare|\bimporto\s+da\s+pagare",
    ),
    strong(
        AmountDue,
        "fr",
        r"\bnet\s+[àa]\s+payer|\bmontant\s+d[ûu]|\breste\s+[àa]\s+payer|\bsolde\s+d[ûu]|\bmontant\s+[àa]\s+payer",
    ),
    // Currency.
    strong(Currency, "en", r"\bcurrency\b"),
    strong(Currency, "nl/da/it", r"\bvaluta\b"),
    strong(Currency, "de", r"\bw[äa]hrung\b"),
    strong(Currency, "fr", r"\bdevise\b"),
    // VAT identifier labels (longer than the bare VAT words, so they win overlaps).
    strong(
        VatId,
        "en",
        concat!(
            r"\b",
            vat!(),
            r"\s*(?:reg(?:istration)?\.?\s*)?(?:no\.?|number|nr\.?|id|#)"
        ),
    ),
    strong(
        VatId,
        "nl",
        r"\bbtw\s*-?\s*(?:nr\.?|nummer|id|identificatienummer)|\bbtw\s+be\b|\bbtw\s+nl\b|\bondernemingsnummer(?:\s+btw)?",
    ),
    strong(
        VatId,
        "de",
        r"\b(?:ust|mwst)\.?\s*-?\s*id\.?\s*-?\s*(?:nr\.?|nummer)?|\bumsatzsteuer-?\s*(?:id|identifikationsnummer)|\bsteuer(?:nummer|nr\.?)|\bst\.?-?\s*nr\.?",
    ),
    strong(VatId, "da", r"\b(?:cvr|se|moms)\s*-?\s*nr\.?"),
    strong(VatId, "it", r"\bp(?:artita)?\.?\s*iva\b|\bcodice\s+fiscale"),
    strong(
        VatId,
        "fr",
        r"\bn[°o]\s*(?:de\s+)?tva(?:\s+intra(?:communautaire)?)?|\btva\s+intra(?:communautaire)?",
    ),
    // Customer block.
    strong(
        Customer,
        "en",
        r"^(?:bill(?:ed)?\s+to|invoice\s+to|sold\s+to|customer|client|buyer)\b:?",
    ),
    strong(
        Customer,
        "nl",
        r"^(?:factuur\s*adres|factuur\s+aan|klant|afnemer|aan)\b:?",
    ),
    strong(
        Customer,
        "de",
        r"^(?:rechnungsempf[äa]nger|rechnungsadresse|kunde|k[äa]ufer(?:/leistungsempf[äa]nger)?|leistungsempf[äa]nger|empf[äa]nger)\b:?",
    ),
    strong(
        Customer,
        "da",
        r"^(?:faktura\s+til|kunde|køber|modtager)\b:?",
    ),
    strong(
        Customer,
        "it",
        r"^(?:destinatario|cliente|spett\.?(?:le)?|intestatario)\b:?",
    ),
    strong(
        Customer,
        "fr",
        r"^(?:client|factur[ée]\s+[àa]|destinataire|adresse\s+de\s+facturation)\b:?",
    ),
    // Supplier block.
    strong(Supplier, "en", r"^(?:seller|supplier|vendor|from)\b:?"),
    strong(Supplier, "nl", r"^(?:leverancier|verkoper)\b:?"),
    strong(
        Supplier,
        "de",
        r"^(?:verk[äa]ufer|lieferant|rechnungssteller)\b:?",
    ),
    strong(Supplier, "da", r"^(?:s[æa]lger|leverand[øo]r)\b:?"),
    strong(
        Supplier,
        "it",
        r"^(?:fornitore|cedente(?:/prestatore)?|venditore)\b:?",
    ),
    strong(Supplier, "fr", r"^(?:fournisseur|vendeur|[ée]metteur)\b:?"),
    // Credit note titles: a line that starts with one of these.
    strong(CreditNote, "en", r"^credit\s*note\b"),
    strong(CreditNote, "nl", r"^credit\s*nota\b|^creditfactuur\b"),
    strong(
        CreditNote,
        "de",
        r"^gutschrift\b|^rechnungskorrektur\s+gutschrift\b",
    ),
    strong(CreditNote, "da", r"^kreditnota\b"),
    strong(CreditNote, "it", r"^nota\s+di\s+credito\b"),
    strong(CreditNote, "fr", r"^avoir\b|^facture\s+d['’]avoir\b"),
];

struct CompiledLabel {
    kind: LabelKind,
    strength: Strength,
    regex: regex::Regex,
}

static COMPILED: LazyLock<Vec<CompiledLabel>> = LazyLock::new(|| {
    LABELS
        .iter()
        .map(|spec| CompiledLabel {
            kind: spec.kind,
            strength: spec.strength,
            regex: regex::Regex::new(&format!("(?i){}", spec.pattern)).expect("valid label regex"),
        })
        .collect()
});

/// One label found in a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LabelMatch {
    pub(crate) kind: LabelKind,
    pub(crate) strength: Strength,
    /// Byte range in the (trimmed) line.
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Words that turn an invoice-number or invoice-date label into a reference to another
/// document: "N° de facture associée", "Original invoice number", "ursprüngliche Rechnung". The
/// value after such a label is real, but it is not this document's, so the label must not count.
static REFERENCE_BEFORE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)(?:\b(?:original|related|referenced|previous|preceding|corrected|ursprüngliche[nr]?|vorherige[nr]?|bezogene[nr]?|korrigierte[nr]?|oorspronkelijke|originele|gerelateerde|oprindelige|originale|precedente|di\s+riferimento|d['’]origine|rif\.?|riferimento|r[ée]f\.?|r[ée]f[ée]rence|reference|ref\.?|referentie|betreft|bezug|zu|zur|sur|su|vedr\.?|vedr[øo]rende|for|op|voor|against)\s*)$",
    )
    .expect("valid regex")
});
static REFERENCE_AFTER: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)^\s*(?:associ[ée]e|d['’]origine|initiale|originale|pr[ée]c[ée]dente|rectifi[ée]e|r[ée]f[ée]renc[ée]e|de\s+r[ée]f[ée]rence|di\s+riferimento|originale|of\s+(?:the\s+)?original|being\s+corrected)\b",
    )
    .expect("valid regex")
});

/// Words that, inside a "Rechnung … Nr." label, show the number is another one: "Rechnung
/// unter Angabe der Kunden Nr.", "Rechnung zum Auftrag Nr.".
static OTHER_NUMBER_INSIDE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)kunde|auftrag|bestell|liefer|vertrag|konto|mandat|steuer|referenz|order|customer|angabe",
    )
    .expect("valid regex")
});

/// The labels in a trimmed line, without overlaps (longest wins), ordered by position.
pub(crate) fn find_labels(line: &str) -> Vec<LabelMatch> {
    let mut candidates = Vec::new();
    // Spans of labels that name another document; shorter labels inside them ("Date" in "Date
    // de facture associée") must not count either.
    let mut reference_spans: Vec<(usize, usize)> = Vec::new();
    for label in COMPILED.iter() {
        for found in label.regex.find_iter(line) {
            if found.is_empty() {
                continue;
            }
            let names_another_document =
                matches!(label.kind, LabelKind::InvoiceNumber | LabelKind::IssueDate)
                    && (REFERENCE_BEFORE.is_match(&line[..found.start()])
                        || REFERENCE_AFTER.is_match(&line[found.end()..])
                        || OTHER_NUMBER_INSIDE.is_match(found.as_str()));
            if names_another_document {
                reference_spans.push((found.start(), found.end()));
                continue;
            }
            candidates.push(LabelMatch {
                kind: label.kind,
                strength: label.strength,
                start: found.start(),
                end: found.end(),
            });
        }
    }
    candidates.retain(|candidate| {
        reference_spans
            .iter()
            .all(|(start, end)| candidate.end <= *start || *end <= candidate.start)
    });
    // Longest first; among equals, strong before weak, then earlier.
    candidates.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(b.strength.cmp(&a.strength))
            .then(a.start.cmp(&b.start))
    });
    let mut accepted: Vec<LabelMatch> = Vec::new();
    for candidate in candidates {
        if accepted
            .iter()
            .all(|other| candidate.end <= other.start || other.end <= candidate.start)
        {
            accepted.push(candidate);
        }
    }
    accepted.sort_by_key(|label| label.start);
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(line: &str) -> Vec<LabelKind> {
        find_labels(line)
            .into_iter()
            .map(|label| label.kind)
            .collect()
    }

    #[test]
    fn specific_labels_win_over_the_words_inside_them() {
        assert_eq!(kinds("Totaal incl. BTW € 497,72"), [GrossTotal]);
        assert_eq!(kinds("Totaal excl. BTW € 442,60"), [NetTotal]);
        assert_eq!(kinds("Totaal BTW € 55,12"), [VatTotal]);
        assert_eq!(kinds("Total HT 1 655,00 €"), [NetTotal]);
        assert_eq!(kinds("Total TTC 1 986,00 €"), [GrossTotal]);
        assert_eq!(kinds("Date d'échéance 21 décembre 2026"), [DueDate]);
        assert_eq!(kinds("VAT Reg. No. GB 123 4567 89"), [VatId]);
        assert_eq!(kinds("USt-IdNr.: DE293847561"), [VatId]);
        assert_eq!(kinds("zzgl. 19% MwSt. 551,60 €"), [VatTotal]);
        assert_eq!(kinds("Subtotal £ 3,536.40"), [NetTotal]);
        assert_eq!(kinds("Invoice date 21 November 2026"), [IssueDate]);
        assert_eq!(kinds("Invoice No. INV-2026-0147"), [InvoiceNumber]);
        assert_eq!(kinds("Fattura n. FT 2026/0457"), [InvoiceNumber]);
        assert_eq!(kinds("Facture n° F-2026-1109"), [InvoiceNumber]);
        assert_eq!(kinds("I alt 3.581,25 kr."), [GrossTotal]);
        assert_eq!(kinds("Net à payer 1 986,00 €"), [AmountDue]);
        assert_eq!(kinds("Total € Incl. VAT 681.87"), [GrossTotal]);
    }

    #[test]
    fn labels_of_a_referenced_document_do_not_count() {
        assert!(kinds("N° DE FACTURE ASSOCIÉE : F20180003").is_empty());
        assert!(kinds("DATE DE FACTURE ASSOCIÉE : 30/11/2018").is_empty());
        assert!(kinds("Original invoice number: INV-17").is_empty());
        assert!(kinds("Ursprüngliche Rechnungsnummer 4711").is_empty());
        assert_eq!(kinds("N° de facture : F20180027"), [InvoiceNumber]);
    }

    #[test]
    fn a_title_before_another_number_is_not_a_number_label() {
        assert!(
            !kinds("Bitte bei Zahlung der Rechnung die Kunden Nr. 4711 angeben")
                .contains(&InvoiceNumber)
        );
        assert!(!kinds("Rechnung zum Auftrag Nr. 2018-51112").contains(&InvoiceNumber));
    }

    #[test]
    fn compound_titles_announce_the_number() {
        for line in [
            "Schlussrechnung Bau (877) 25.04.2018 Nr. 181301674 vom",
            "Mietrechnung (387) 01.10.2018 Nr. 9314110911/00/M/00/N vom",
            "Rechnung des Versicherers (575) 06.12.2018 Nr. 01.234.567.8-2018-1 vom",
        ] {
            assert_eq!(kinds(line), [InvoiceNumber], "{line}");
        }
    }

    #[test]
    fn every_language_has_labels_for_the_core_fields() {
        for kind in [
            InvoiceNumber,
            IssueDate,
            DueDate,
            NetTotal,
            VatTotal,
            GrossTotal,
        ] {
            for language in ["en", "nl", "de", "da", "it", "fr"] {
                assert!(
                    LABELS
                        .iter()
                        .any(|spec| spec.kind == kind && spec.language.contains(language)),
                    "{kind:?} {language}"
                );
            }
        }
    }
}
