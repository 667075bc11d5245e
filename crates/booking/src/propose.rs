//! From an extracted invoice to a balanced journal entry.
//!
//! The rules are listed in the crate documentation; this module is their one implementation.

use crate::chart::{Account, ChartOfAccounts, ReverseChargeAccounts};
use crate::vat::{self, VatRate};
use rust_decimal::Decimal;
use stapel_domain::money::{currency_decimals, round_to_currency};
use stapel_domain::{BookingProposal, DocumentType, ExtractedInvoice, ProposalLine, VatCategory};
use std::collections::BTreeMap;

/// A field whose confidence is below this is named in the proposal's reasons.
///
/// Half is where the extractor is more likely wrong than right about a field.
pub const LOW_CONFIDENCE: f32 = 0.5;

/// The largest amount, in currency units, that is booked at all: one quadrillion (10^15).
///
/// No real invoice comes close; a larger figure is a misread, and refusing it keeps every sum
/// far away from `Decimal`'s overflow, so the proposal is balanced without a checked operation.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// The notices that put the VAT on the buyer, in the languages stapel reads.
///
/// Each entry is the notice as it is quoted in reasons, and the forms it is matched in: lower
/// case, letters and digits only, so hyphens, line breaks and spacing do not matter
/// ("BTW-verlegd", "btw verlegd" and "BTW\nverlegd" all read `btwverlegd`).
const REVERSE_CHARGE_LEGENDS: &[(&str, &[&str])] = &[
    ("reverse charge", &["reversecharge"]),
    ("BTW verlegd", &["btwverlegd"]),
    ("omzetbelasting verlegd", &["omzetbelastingverlegd"]),
    ("verleggingsregeling", &["verleggingsregeling"]),
    (
        "Steuerschuldnerschaft des Leistungsempfängers",
        &[
            "steuerschuldnerschaftdesleistungsempfängers",
            "steuerschuldnerschaftdesleistungsempfaengers",
            // A text layer that dropped the umlaut.
            "steuerschuldnerschaftdesleistungsempfangers",
        ],
    ),
    ("§ 13b UStG", &["13bustg"]),
    ("autoliquidation", &["autoliquidation"]),
    ("inversione contabile", &["inversionecontabile"]),
    ("omvendt betalingspligt", &["omvendtbetalingspligt"]),
    (
        "inversión del sujeto pasivo",
        &["inversióndelsujetopasivo", "inversiondelsujetopasivo"],
    ),
    // The supplier's side of an intra-community supply of goods: exempt for the supplier,
    // an acquisition the buyer self-assesses.
    ("intra-Community supply", &["intracommunitysupply"]),
    (
        "innergemeinschaftliche Lieferung",
        &["innergemeinschaftlichelieferung"],
    ),
    (
        "livraison intracommunautaire",
        &["livraisonintracommunautaire"],
    ),
    (
        "intracommunautaire levering",
        &["intracommunautairelevering"],
    ),
    ("cessione intracomunitaria", &["cessioneintracomunitaria"]),
];

/// What an invoice says about who owes its VAT, gathered by [`detect_reverse_charge`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReverseChargeEvidence {
    /// The reverse-charge notice found ("BTW verlegd"), as it is quoted in reasons.
    pub legend: Option<&'static str>,
    /// The supplier's country, from the prefix of its VAT id (`GR` for an `EL` id).
    pub supplier_country: Option<String>,
    /// The customer's country, from the prefix of its VAT id, when the invoice names one;
    /// supplier and customer in different member states point to an intra-community supply.
    pub customer_country: Option<String>,
    /// The first VAT breakdown category that puts the VAT on the buyer: `AE` (reverse charge)
    /// or `K` (intra-community supply, an acquisition for the buyer).
    pub category: Option<VatCategory>,
    /// Whether the document's text was searched too, not only the invoice lines and payment
    /// terms; without it, a missing notice says little.
    pub searched_document_text: bool,
}

/// Gather the evidence for the reverse charge: the supplier's country from its VAT id, and a
/// notice such as "reverse charge", "BTW verlegd", "Steuerschuldnerschaft des
/// Leistungsempfängers", "autoliquidation", "inversione contabile" or "omvendt
/// betalingspligt", looked for in `legend_text` (the document's text, when the caller has it),
/// the invoice lines, the payment terms and the allowance and charge reasons.
///
/// The customer's country comes from its VAT id when the invoice names one, and the VAT
/// breakdown's categories `AE` and `K` are collected too; [`propose_booking`] weighs this
/// evidence against the chart's country (the administration's) and against the VAT charged.
pub fn detect_reverse_charge(
    invoice: &ExtractedInvoice,
    legend_text: Option<&str>,
) -> ReverseChargeEvidence {
    let supplier_country = invoice.supplier_vat_id.as_deref().and_then(vat_id_country);
    let customer_country = invoice.customer_vat_id.as_deref().and_then(vat_id_country);
    let category = invoice
        .vat_breakdown
        .iter()
        .filter_map(|row| row.category.as_ref())
        .find(|category| puts_vat_on_buyer(category))
        .cloned();
    let invoice_texts = invoice
        .lines
        .iter()
        .map(|line| line.description.as_str())
        .chain(invoice.payment_terms.as_deref())
        .chain(
            invoice
                .allowances_charges
                .iter()
                .filter_map(|entry| entry.reason.as_deref()),
        );
    let legend = legend_text
        .into_iter()
        .chain(invoice_texts)
        .find_map(find_legend);
    ReverseChargeEvidence {
        legend,
        supplier_country,
        customer_country,
        category,
        searched_document_text: legend_text.is_some(),
    }
}

/// Whether a category says the buyer owes the VAT: `AE`, or `K` (for the buyer, an
/// intra-community acquisition it self-assesses).
fn puts_vat_on_buyer(category: &VatCategory) -> bool {
    matches!(
        category,
        VatCategory::ReverseCharge | VatCategory::IntraCommunity
    )
}

/// A category in words, for descriptions and reasons (`exempt`).
fn category_words(category: &VatCategory) -> &str {
    match category {
        VatCategory::Standard => "standard",
        VatCategory::ZeroRated => "zero-rated",
        VatCategory::Exempt => "exempt",
        VatCategory::ReverseCharge => "reverse charge",
        VatCategory::IntraCommunity => "intra-community supply",
        VatCategory::Export => "export outside the EU",
        VatCategory::OutsideScope => "outside the scope of VAT",
        VatCategory::CanaryIslands => "Canary Islands IGIC",
        VatCategory::CeutaMelilla => "Ceuta and Melilla IPSI",
        VatCategory::Other(code) => code,
    }
}

/// `category AE (reverse charge)`, or `category XY` for a code stapel does not know.
fn category_named(category: &VatCategory) -> String {
    match category {
        VatCategory::Other(code) => format!("category {code}"),
        known => format!("category {} ({})", known.code(), category_words(known)),
    }
}

/// The country of a VAT id's two-letter prefix (`DE` of `DE123456789`, `CH` of
/// `CHE-123.456.789 MWST`, `GR` of `EL123456789`), if it is one of [`COUNTRY_CODES`].
fn vat_id_country(vat_id: &str) -> Option<String> {
    let prefix = vat_id.trim().get(..2)?.to_ascii_uppercase();
    COUNTRY_CODES
        .contains(&prefix.as_str())
        .then(|| vat::country_of_vat_prefix(&prefix).to_owned())
}

/// The first reverse-charge notice in `text`, if any.
fn find_legend(text: &str) -> Option<&'static str> {
    let folded: String = text
        .chars()
        .filter(|character| character.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    REVERSE_CHARGE_LEGENDS
        .iter()
        .find(|(_, forms)| forms.iter().any(|form| folded.contains(form)))
        .map(|(legend, _)| *legend)
}

/// Propose the journal entry for a purchase invoice or credit note.
///
/// The entry debits expenses (one line per VAT rate when the breakdown allows it) and input VAT
/// (one line per rate, with a VAT code), and credits accounts payable with the gross amount.
/// A credit note books the same lines on the opposite sides. Reverse-charge invoices add the
/// self-assessed VAT on both sides; see the crate documentation for every VAT regime.
///
/// The result is always balanced, and has no line with a zero amount. Missing, inconsistent or
/// uncertain figures are never corrected silently: the proposal still books what the rules in
/// the crate documentation say, sets `needs_review`, and says why in `reasons`.
/// `needs_review` is true exactly when there is at least one reason.
pub fn propose_booking(invoice: &ExtractedInvoice, chart: &ChartOfAccounts) -> BookingProposal {
    propose(invoice, chart, &detect_reverse_charge(invoice, None))
}

/// [`propose_booking`], with the document's text searched for reverse-charge notices too.
///
/// Use it when the text is at hand (a PDF's text layer): a notice printed in the footer is
/// then found, and a foreign supplier's zero-VAT invoice without one is flagged.
pub fn propose_booking_with_text(
    invoice: &ExtractedInvoice,
    chart: &ChartOfAccounts,
    document_text: &str,
) -> BookingProposal {
    propose(
        invoice,
        chart,
        &detect_reverse_charge(invoice, Some(document_text)),
    )
}

fn propose(
    invoice: &ExtractedInvoice,
    chart: &ChartOfAccounts,
    evidence: &ReverseChargeEvidence,
) -> BookingProposal {
    let mut reasons = Vec::new();
    let lines = book_amounts(invoice, chart, evidence, &mut reasons);
    note_missing_fields(invoice, &mut reasons);
    note_low_confidence(invoice, &mut reasons);
    BookingProposal {
        lines,
        needs_review: !reasons.is_empty(),
        reasons,
        cost_centre: None,
        due_date: invoice.due_date,
    }
}

/// One VAT rate's share after rounding, merged across breakdown rows with the same rate and
/// category (a 0 % row that is exempt stays apart from one that is zero-rated).
struct RateShare {
    rate: Decimal,
    category: Option<VatCategory>,
    base: Decimal,
    amount: Decimal,
}

/// Which side a positive amount on the expense and VAT lines is booked on.
#[derive(Clone, Copy)]
enum Direction {
    /// An invoice: expenses and VAT are debits, accounts payable is a credit.
    Invoice,
    /// A credit note: everything the other way round.
    CreditNote,
}

/// How the VAT of an invoice is booked.
enum Regime<'c> {
    /// VAT as the supplier charged it (possibly none), coded as `coding` says.
    Charged(Coding<'c>),
    /// No VAT charged, and the buyer owes it: self-assessed on both sides.
    ReverseCharge(ReverseCharge<'c>),
}

/// Where the VAT codes of charged VAT come from.
#[derive(Clone, Copy)]
enum Coding<'c> {
    /// The chart names no country: `VAT-<rate>`, unchecked.
    Generic,
    /// The chart's country is in the VAT table: rates are checked, codes and accounts come
    /// from the table.
    Table(&'c str),
    /// The chart's country is not in the VAT table: `<country>-<rate>`, unchecked, flagged.
    Untabled(&'c str),
    /// The VAT is not the administration's own (a foreign supplier's, or none on an import):
    /// no VAT code, as no box of the return takes it.
    Foreign,
}

/// The reverse charge as decided, before amounts are known.
struct ReverseCharge<'c> {
    /// The administration's country, whose standard rate is self-assessed.
    country: &'c str,
    rate: &'static VatRate,
    accounts: &'c ReverseChargeAccounts,
    /// Why the reverse charge applies, as the middle of the reason's first sentence.
    because: String,
    /// What to check afterwards, appended to the reason.
    note: Option<String>,
}

/// The country codes a VAT id may start with that stapel tells apart: the EU prefixes and
/// the usual non-EU ones. Other prefixes give no country (the supplier's country is unknown).
const COUNTRY_CODES: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "GR", "XI", "GB", "CH", "LI",
    "NO", "IS", "US", "CA", "AU", "NZ", "JP", "CN", "IN", "TR", "RS", "UA", "SG", "AE", "IL", "KR",
    "MX", "BR", "ZA",
];

fn book_amounts(
    invoice: &ExtractedInvoice,
    chart: &ChartOfAccounts,
    evidence: &ReverseChargeEvidence,
    reasons: &mut Vec<String>,
) -> Vec<ProposalLine> {
    let currency = booking_currency(invoice, reasons);
    if let (Some(booked_in), Some(invoiced_in)) = (chart.currency(), invoice.currency.as_deref()) {
        let invoiced_in = invoiced_in.trim();
        if !invoiced_in.is_empty() && invoiced_in != booked_in {
            reasons.push(format!(
                "The invoice is in {invoiced_in}, but the administration books in \
                 {booked_in}; the amounts are in {invoiced_in} and need converting."
            ));
        }
    }

    if let Some((field, amount)) = implausible_amount(invoice) {
        reasons.push(format!(
            "The {field} reads {amount}, which is beyond {MAX_AMOUNT} and cannot be a real \
             amount; nothing was booked."
        ));
        return Vec::new();
    }

    // Round every figure once, up front, so all arithmetic below is exact in minor units and
    // the entry balances by construction.
    let mut rounded = Vec::new();
    let mut round = |label: String, amount: Decimal| {
        let result = round_to_currency(amount, currency);
        if result != amount {
            rounded.push(format!("{label} {amount} to {result}"));
        }
        result
    };
    let mut gross = invoice
        .gross_total
        .map(|amount| round("gross total".into(), amount));
    let mut net = invoice
        .net_total
        .map(|amount| round("net total".into(), amount));
    let mut vat = invoice
        .vat_total
        .map(|amount| round("VAT total".into(), amount));
    let mut shares: BTreeMap<(Decimal, Option<VatCategory>), RateShare> = BTreeMap::new();
    for row in &invoice.vat_breakdown {
        let rate = row.rate.normalize();
        let base = round(format!("breakdown base at {rate}%"), row.base);
        let amount = round(format!("breakdown VAT at {rate}%"), row.amount);
        let share = shares
            .entry((rate, row.category.clone()))
            .or_insert(RateShare {
                rate,
                category: row.category.clone(),
                base: Decimal::ZERO,
                amount: Decimal::ZERO,
            });
        share.base += base;
        share.amount += amount;
    }
    let shares: Vec<RateShare> = shares.into_values().collect();
    if !rounded.is_empty() {
        reasons.push(format!(
            "Amounts had more decimals than {currency} allows ({}) and were rounded half away \
             from zero: {}.",
            currency_decimals(currency),
            rounded.join(", ")
        ));
    }

    let Some(lead) = gross.or(net) else {
        reasons.push(
            "No amounts found: neither a gross nor a net total was read, so the proposal has \
             no lines."
                .to_owned(),
        );
        return Vec::new();
    };

    // Amounts are worked with as positive for what the document charges. A credit note may
    // print its amounts negative; that sign only repeats what the document type says, so it is
    // taken off here and put back when numbers are quoted in reasons.
    let direction = match invoice.document_type {
        DocumentType::Invoice => Direction::Invoice,
        DocumentType::CreditNote => Direction::CreditNote,
    };
    let printed_sign = match direction {
        Direction::CreditNote if lead.is_sign_negative() && !lead.is_zero() => {
            for amount in [&mut gross, &mut net, &mut vat].into_iter().flatten() {
                *amount = -*amount;
            }
            Decimal::NEGATIVE_ONE
        }
        _ => Decimal::ONE,
    };
    let shares: Vec<RateShare> = shares
        .into_iter()
        .map(|share| RateShare {
            rate: share.rate,
            category: share.category,
            base: share.base * printed_sign,
            amount: share.amount * printed_sign,
        })
        .collect();
    let shown = |amount: Decimal| amount * printed_sign;

    if matches!(direction, Direction::Invoice) && lead.is_sign_negative() && !lead.is_zero() {
        let field = if gross.is_some() { "gross" } else { "net" };
        reasons.push(format!(
            "The invoice's {field} total is negative ({lead}); it may be a credit note. It was \
             booked as read, which puts expenses on the credit side."
        ));
    }

    let breakdown_base: Decimal = shares.iter().map(|share| share.base).sum();
    let breakdown_vat: Decimal = shares.iter().map(|share| share.amount).sum();

    let vat = match vat {
        Some(vat) => vat,
        None if shares.is_empty() => {
            reasons.push("No VAT total was found; the invoice was booked without VAT.".to_owned());
            Decimal::ZERO
        }
        None => {
            reasons.push(format!(
                "No VAT total was found; the VAT breakdown's sum, {}, was booked as VAT.",
                shown(breakdown_vat)
            ));
            breakdown_vat
        }
    };

    let low = |field: &str| is_low_confidence(invoice, field);
    // `expense + vat == payable` holds in every arm; that is what keeps the entry balanced.
    let (expense, payable) = match (gross, net) {
        (Some(gross), Some(net)) => {
            if net + vat != gross {
                reasons.push(format!(
                    "The totals do not reconcile: net {} + VAT {} = {}, but the gross total is \
                     {} (difference {}). Accounts payable was booked at the gross total, \
                     expenses at gross minus VAT ({}).",
                    shown(net),
                    shown(vat),
                    shown(net + vat),
                    shown(gross),
                    shown(gross - net - vat),
                    shown(gross - vat),
                ));
            }
            (gross - vat, gross)
        }
        (Some(gross), None) => {
            if low("gross_total") || low("vat_total") {
                reasons.push(format!(
                    "No net total was found; it was derived as gross minus VAT = {} from \
                     figures read with low confidence.",
                    shown(gross - vat)
                ));
            }
            (gross - vat, gross)
        }
        (None, Some(net)) => {
            if low("net_total") || low("vat_total") {
                reasons.push(format!(
                    "No gross total was found; it was derived as net plus VAT = {} from figures \
                     read with low confidence.",
                    shown(net + vat)
                ));
            }
            (net, net + vat)
        }
        (None, None) => unreachable!("`lead` is the gross or the net total"),
    };

    if !shares.is_empty() {
        let (net_label, net_compared) = match net {
            Some(net) => ("the net total", net),
            None => ("gross minus VAT", expense),
        };
        if breakdown_base != net_compared {
            reasons.push(format!(
                "The VAT breakdown's bases add up to {}, but {net_label} is {} (difference {}).",
                shown(breakdown_base),
                shown(net_compared),
                shown(net_compared - breakdown_base),
            ));
        }
        if breakdown_vat != vat {
            reasons.push(format!(
                "The VAT breakdown's VAT adds up to {}, but the VAT total is {} (difference {}).",
                shown(breakdown_vat),
                shown(vat),
                shown(vat - breakdown_vat),
            ));
        }
    }

    let vat_read = invoice.vat_total.is_some() || !shares.is_empty();
    let stated_exemption = states_no_reverse_charge(&shares);
    let regime = choose_regime(
        chart,
        evidence,
        &Charge {
            vat,
            shown: shown(vat),
            read: vat_read,
            stated_exemption,
        },
        reasons,
    );

    // When the breakdown cannot be used line by line, one line per account is booked, labelled
    // with the rate if the document shows only one.
    let single_rate = match shares.as_slice() {
        [share] => Some(share.rate),
        [] => single_line_rate(invoice),
        _ => None,
    };
    let single_category = match shares.as_slice() {
        [share] => share.category.clone(),
        _ => None,
    };
    let suffix = description_suffix(invoice);
    let mut lines = Vec::new();
    let expense_account = chart.expense();

    match regime {
        Regime::ReverseCharge(reverse_charge) => {
            let rate = reverse_charge.rate.percent();
            let code = vat::reverse_charge_code(reverse_charge.country, rate);
            // The one figure derived here; rounded once, with the one rule, and booked on both
            // sides, so it cannot unbalance the entry.
            let self_assessed = round_to_currency(expense * rate / Decimal::ONE_HUNDRED, currency);
            push_line(
                &mut lines,
                expense_account.number(),
                format!("{} reverse charge {rate}%{suffix}", expense_account.name()),
                expense,
                Some(code.clone()),
                direction,
            );
            for (account, amount) in [
                (reverse_charge.accounts.input_vat(), self_assessed),
                (reverse_charge.accounts.output_vat(), -self_assessed),
            ] {
                push_line(
                    &mut lines,
                    account.number(),
                    format!("{}{suffix}", with_rate(account.name(), rate)),
                    amount,
                    Some(code.clone()),
                    direction,
                );
            }
            let mut sentences = vec![
                format!(
                    "Reverse charge: {}, so the buyer owes the VAT.",
                    reverse_charge.because
                ),
                format!(
                    "It was self-assessed at the {} standard rate of {rate}% on the net {}: {} \
                     as input VAT and {} as output VAT, and the supplier is owed the net only.",
                    vat::country_adjective(reverse_charge.country),
                    shown(expense),
                    shown(self_assessed),
                    shown(self_assessed),
                ),
            ];
            sentences.extend(reverse_charge.note);
            sentences.push(
                "If a reduced rate applies to what was bought, change both VAT lines.".to_owned(),
            );
            reasons.push(sentences.join(" "));
        }
        Regime::Charged(coding) => {
            let mut coder = Coder {
                chart,
                coding,
                unknown_rates: Vec::new(),
                unchecked: false,
            };

            note_categories(&shares, coding, shown, reasons);
            if !shares.is_empty() && breakdown_base == expense {
                for share in &shares {
                    let untaxed = share.amount.is_zero();
                    let code = if untaxed {
                        coder.untaxed(share.rate, share.category.as_ref())
                    } else {
                        None
                    };
                    push_line(
                        &mut lines,
                        expense_account.number(),
                        format!(
                            "{} {}%{}{suffix}",
                            expense_account.name(),
                            share.rate,
                            category_label(share.category.as_ref())
                        ),
                        share.base,
                        code,
                        direction,
                    );
                }
            } else {
                let untaxed = vat.is_zero() && !expense.is_zero();
                let code = match single_rate {
                    Some(rate) if untaxed => coder.untaxed(rate, single_category.as_ref()),
                    _ => None,
                };
                let suffix = format!("{}{suffix}", category_label(single_category.as_ref()));
                push_line(
                    &mut lines,
                    expense_account.number(),
                    labelled(expense_account.name(), single_rate, &suffix),
                    expense,
                    code,
                    direction,
                );
            }

            if !shares.is_empty() && breakdown_vat == vat {
                for share in shares.iter().filter(|share| !share.amount.is_zero()) {
                    let (account, code) = coder.vat(share.rate);
                    push_line(
                        &mut lines,
                        account.number(),
                        format!("{}{suffix}", with_rate(account.name(), share.rate)),
                        share.amount,
                        code,
                        direction,
                    );
                }
            } else if !vat.is_zero() {
                let known_rate = !matches!(coding, Coding::Foreign);
                if single_rate.is_none() && known_rate {
                    reasons.push(format!(
                        "The VAT rate of the {} VAT could not be determined, so the VAT line has \
                         no VAT code.",
                        shown(vat)
                    ));
                }
                let (account, code) = match single_rate {
                    Some(rate) => coder.vat(rate),
                    None => (chart.input_vat(), None),
                };
                let description = match single_rate {
                    Some(rate) => format!("{}{suffix}", with_rate(account.name(), rate)),
                    None => format!("{}{suffix}", account.name()),
                };
                push_line(
                    &mut lines,
                    account.number(),
                    description,
                    vat,
                    code,
                    direction,
                );
            }
            coder.explain(reasons);
        }
    }

    let payable_account = chart.accounts_payable();
    push_line(
        &mut lines,
        payable_account.number(),
        format!("{}{suffix}", payable_account.name()),
        -payable,
        None,
        direction,
    );

    if lines.is_empty() {
        reasons.push("All amounts are zero, so the proposal has no lines.".to_owned());
    }
    lines
}

/// What the invoice charges as VAT, as [`choose_regime`] needs it.
struct Charge {
    /// The VAT booked, positive for what the document charges.
    vat: Decimal,
    /// The same as the document printed it, for reasons.
    shown: Decimal,
    /// Whether a VAT total or breakdown was read at all.
    read: bool,
    /// The category that says why no VAT is due, when every breakdown row states one that is
    /// not the reverse charge (`E`, `Z`, `O`, `G`): the first such row's.
    stated_exemption: Option<VatCategory>,
}

/// The category every breakdown row states when all of them say no VAT is due for a reason
/// other than the reverse charge (exempt, zero-rated, export, out of scope); `None` when a row
/// has no category or another one.
fn states_no_reverse_charge(shares: &[RateShare]) -> Option<VatCategory> {
    let mut categories = shares.iter().map(|share| share.category.as_ref());
    let first = categories.next()??;
    let untaxed = |category: Option<&VatCategory>| {
        matches!(
            category,
            Some(
                VatCategory::Exempt
                    | VatCategory::ZeroRated
                    | VatCategory::OutsideScope
                    | VatCategory::Export
            )
        )
    };
    (untaxed(Some(first)) && categories.all(untaxed)).then(|| first.clone())
}

/// Decide how the VAT is booked, and say why when it is anything but the plain case.
///
/// The chart's country is the administration's, and so the buyer's member state; a customer
/// VAT id from another country is flagged, never booked there. See the crate documentation
/// for the table of cases.
fn choose_regime<'c>(
    chart: &'c ChartOfAccounts,
    evidence: &ReverseChargeEvidence,
    charge: &Charge,
    reasons: &mut Vec<String>,
) -> Regime<'c> {
    let legend = evidence.legend;
    let category = evidence.category.as_ref();
    let vat_shown = charge.shown;
    let vat_read = charge.read;
    let charged = !charge.vat.is_zero();
    let supplier = evidence.supplier_country.as_deref();
    let customer = evidence.customer_country.as_deref();
    // Supplier and customer registered in different member states: the mark of an
    // intra-community supply, whatever the chart says.
    let across_member_states = match (supplier, customer) {
        (Some(supplier), Some(customer)) => {
            supplier != customer && vat::is_eu_member(supplier) && vat::is_eu_member(customer)
        }
        _ => false,
    };
    let Some(home) = chart.country() else {
        match (legend, category) {
            (Some(legend), _) if charged => reasons.push(legend_but_charged(legend, vat_shown)),
            (None, Some(category)) if charged => {
                reasons.push(category_but_charged(category, vat_shown))
            }
            (Some(legend), _) if vat_read => reasons.push(format!(
                "The document says \"{legend}\" and charges no VAT, but the chart names no \
                 country whose rate could be self-assessed, so no reverse-charge VAT was booked."
            )),
            (None, Some(category)) if vat_read => reasons.push(format!(
                "The VAT breakdown has {} and charges no VAT, but the chart names no country \
                 whose rate could be self-assessed, so no reverse-charge VAT was booked.",
                category_named(category)
            )),
            _ => {}
        }
        return Regime::Charged(Coding::Generic);
    };
    let home_coding = if vat::knows_country(home) {
        Coding::Table(home)
    } else {
        Coding::Untabled(home)
    };
    let foreign_supplier = supplier.filter(|country| *country != home);
    let home_name = vat::country_adjective(home);

    if let Some(customer) = customer.filter(|country| *country != home) {
        reasons.push(format!(
            "The customer's VAT ID is from {customer}, but this administration files \
             {home_name} VAT returns; check that the invoice is addressed to this \
             administration. It was booked as a {home_name} purchase."
        ));
    }

    if charged {
        if let Some(legend) = legend {
            reasons.push(legend_but_charged(legend, vat_shown));
        }
        if let Some(category) = category {
            reasons.push(category_but_charged(category, vat_shown));
        }
        if across_member_states {
            reasons.push(format!(
                "The supplier's VAT ID is from {} and the customer's from {}, different member \
                 states, yet {vat_shown} VAT is charged; a supply between them is usually \
                 reverse charged. The VAT was booked as charged; check whether the supplier \
                 should have charged it.",
                supplier.unwrap_or_default(),
                customer.unwrap_or_default(),
            ));
        }
        let Some(country) = foreign_supplier else {
            return Regime::Charged(home_coding);
        };
        let refund = if vat::is_eu_member(country) {
            format!("in {country} through the EU VAT refund procedure (Directive 2008/9/EC)")
        } else {
            format!("in {country} if it refunds foreign businesses")
        };
        reasons.push(format!(
            "The supplier's VAT ID is from {country}, but this administration files {home_name} \
             VAT returns: the {vat_shown} VAT charged cannot be deducted there, so its VAT line \
             has no VAT code. Reclaim it {refund}, or book it as a cost."
        ));
        return Regime::Charged(Coding::Foreign);
    }

    if !vat_read {
        if legend.is_some() || foreign_supplier.is_some() || across_member_states {
            reasons.push(
                "No VAT total was read, so whether the buyer owes the VAT (reverse charge or \
                 import) was not decided and nothing was self-assessed."
                    .to_owned(),
            );
        }
        return Regime::Charged(home_coding);
    }

    if let Some(country) = foreign_supplier.filter(|country| !vat::is_eu_member(country)) {
        let mut sentences = vec![format!(
            "The supplier's VAT ID is from {country}, outside the EU, and no VAT was charged, so \
             there is no input VAT to deduct on this invoice."
        )];
        if let Some(legend) = legend {
            sentences.push(format!(
                "The document says \"{legend}\", which points to a service the buyer must \
                 self-assess."
            ));
        } else if let Some(category) = category {
            sentences.push(format!(
                "The VAT breakdown has {}, which points to a service the buyer must \
                 self-assess.",
                category_named(category)
            ));
        }
        sentences.push(match vat::import_note(home) {
            Some(note) => format!("In {home}, {note}."),
            None => "Import VAT is settled through customs or the reverse charge, depending on \
                     the country and on whether goods or services were bought."
                .to_owned(),
        });
        reasons.push(sentences.join(" "));
        return Regime::Charged(Coding::Foreign);
    }

    // Why the buyer owes the VAT, one clause per signal, in the order they are quoted.
    // The customer's VAT id confirms the supplier's country as a signal only when it is this
    // administration's; one from elsewhere was flagged above and decides nothing here.
    let ids = if across_member_states && customer == Some(home) {
        Some(format!(
            "the supplier's VAT ID is from {} and the customer's from {}, different member \
             states",
            supplier.unwrap_or_default(),
            customer.unwrap_or_default()
        ))
    } else {
        foreign_supplier.map(|country| {
            format!("the supplier's VAT ID is from {country}, another EU member state")
        })
    };
    let mut clauses: Vec<String> = Vec::new();
    clauses.extend(ids.clone());
    clauses.extend(legend.map(|legend| format!("the document says \"{legend}\"")));
    clauses.extend(
        category.map(|category| format!("the VAT breakdown has {}", category_named(category))),
    );
    if clauses.is_empty() {
        return Regime::Charged(home_coding);
    }
    if let Some(stated) = &charge.stated_exemption {
        reasons.push(format!(
            "The VAT breakdown has {}, so it was booked without VAT as stated, but {}, which \
             points to a reverse charge; check which applies.",
            category_named(stated),
            clauses.join(" and ")
        ));
        return Regime::Charged(home_coding);
    }

    let domestic_note = || {
        format!(
            "A domestic reverse charge may belong on another output VAT account than the \
             chart's reverse-charge account (meant for purchases from other EU countries); \
             check it against the {home_name} VAT return."
        )
    };
    let country_note = || vat::reverse_charge_note(home).map(str::to_owned);
    let comma = if ids.is_some() || clauses.len() > 1 {
        ","
    } else {
        ""
    };
    let mut because = format!("{}{comma} and no VAT was charged", clauses.join(", "));
    let mut note = if ids.is_some() {
        country_note()
    } else if supplier.is_some() {
        because.push_str(&format!(
            ", though the supplier is from {home} too (a domestic reverse charge)"
        ));
        Some(domestic_note())
    } else {
        because.push_str(" (the supplier's country is unknown, as no VAT ID was read)");
        country_note()
    };
    if legend.is_none() && evidence.searched_document_text {
        let missing = "The document prints no reverse-charge notice, which the VAT Directive \
                       requires on such invoices (article 226(11a)); check that the supply is not \
                       exempt.";
        note = Some(match note {
            Some(note) => format!("{missing} {note}"),
            None => missing.to_owned(),
        });
    }
    let (Some(rate), Some(accounts)) = (vat::standard_rate(home), chart.reverse_charge()) else {
        reasons.push(format!(
            "Reverse charge: {because}, so the buyer owes the VAT, but the chart has no \
             reverse-charge accounts or no VAT rates are on file for {home}; nothing was \
             self-assessed, so book the VAT by hand."
        ));
        return Regime::Charged(home_coding);
    };
    Regime::ReverseCharge(ReverseCharge {
        country: home,
        rate,
        accounts,
        because,
        note,
    })
}

fn category_but_charged(category: &VatCategory, vat_shown: Decimal) -> String {
    format!(
        "The VAT breakdown has {}, which puts the VAT on the buyer, but the invoice charges \
         {vat_shown} VAT; the VAT was booked as charged. Check whether the supplier should \
         have charged it.",
        category_named(category)
    )
}

/// Reasons for breakdown rows whose category the booking cannot express as a VAT code, or
/// that contradicts the VAT the row charges. Rows of an import (`Foreign` coding) say nothing
/// more: the import reason covers them.
fn note_categories(
    shares: &[RateShare],
    coding: Coding<'_>,
    shown: impl Fn(Decimal) -> Decimal,
    reasons: &mut Vec<String>,
) {
    for share in shares {
        let Some(category) = &share.category else {
            continue;
        };
        let (base, amount) = (shown(share.base), shown(share.amount));
        let charged = !share.amount.is_zero();
        let rate = share.rate;
        match category {
            VatCategory::Exempt | VatCategory::ZeroRated if charged => reasons.push(format!(
                "The VAT breakdown row at {rate}% has {} but charges {amount} VAT on {base}; \
                 the VAT was booked as charged. Check the category or the VAT.",
                category_named(category)
            )),
            VatCategory::Export | VatCategory::OutsideScope
                if !matches!(coding, Coding::Foreign) =>
            {
                reasons.push(format!(
                    "The VAT breakdown has {} for a base of {base}, which no box of the VAT \
                     return takes; it was booked without a VAT code. Check the treatment.",
                    category_named(category)
                ))
            }
            VatCategory::CanaryIslands | VatCategory::CeutaMelilla => reasons.push(format!(
                "The VAT breakdown has {} for a base of {base}: a local tax outside the EU VAT \
                 area, not deductible as input VAT. Its lines have no VAT code; book the tax \
                 as a cost if it was charged.",
                category_named(category)
            )),
            VatCategory::Other(code) => reasons.push(format!(
                "The VAT breakdown has category {code}, which is not one of the EN 16931 codes \
                 stapel books by (S, Z, E, AE, K, G, O, L, M); the row was booked by its rate \
                 ({rate}%). Check the VAT treatment."
            )),
            _ => {}
        }
    }
}

/// `" exempt"` after the rate in an expense line's description, for the categories whose
/// 0 % rows must be told apart; nothing for standard-rated or uncategorised rows.
fn category_label(category: Option<&VatCategory>) -> String {
    match category {
        None | Some(VatCategory::Standard) => String::new(),
        Some(category) => format!(" {}", category_words(category)),
    }
}

fn legend_but_charged(legend: &str, vat_shown: Decimal) -> String {
    format!(
        "The document says \"{legend}\" (the buyer owes the VAT), but it charges {vat_shown} \
         VAT; the VAT was booked as charged. Check whether the supplier should have charged it."
    )
}

/// Hands out the VAT code and input VAT account for charged VAT at a rate, and remembers what
/// it could not code, so the proposal says so once.
struct Coder<'c> {
    chart: &'c ChartOfAccounts,
    coding: Coding<'c>,
    /// Rates the chart's country does not have, in the order met.
    unknown_rates: Vec<Decimal>,
    /// Whether a code was built for a country without a rate table.
    unchecked: bool,
}

impl<'c> Coder<'c> {
    fn vat(&mut self, rate: Decimal) -> (&'c Account, Option<String>) {
        let chart = self.chart;
        match self.coding {
            Coding::Generic => (chart.input_vat(), Some(chart.vat_code(rate))),
            Coding::Table(country) => match vat::lookup(country, rate) {
                Some(row) => (chart.input_vat_for(row.class), Some(row.code.to_owned())),
                None => {
                    if !self.unknown_rates.contains(&rate) {
                        self.unknown_rates.push(rate);
                    }
                    (chart.input_vat(), None)
                }
            },
            Coding::Untabled(_) => {
                self.unchecked = true;
                (chart.input_vat(), Some(chart.vat_code(rate)))
            }
            Coding::Foreign => (chart.input_vat(), None),
        }
    }

    /// The code of an expense line that carries no VAT: the exempt code for category `E`,
    /// the zero-rate code for `Z` or a 0 % row without a category, none for the categories
    /// no box of the return takes (`O`, `G`, `L`, `M`, unknown ones) or for a positive rate.
    fn untaxed(&mut self, rate: Decimal, category: Option<&VatCategory>) -> Option<String> {
        match category {
            Some(VatCategory::Exempt) => self.exempt(),
            Some(VatCategory::ZeroRated) => self.vat(Decimal::ZERO).1,
            None | Some(VatCategory::Standard) if rate.is_zero() => self.vat(rate).1,
            _ => None,
        }
    }

    /// The code of an exempt base: `<country>-E` (`VAT-E` on the generic chart).
    fn exempt(&mut self) -> Option<String> {
        match self.coding {
            Coding::Generic => Some(vat::exempt_code("VAT")),
            Coding::Table(country) => Some(vat::exempt_code(country)),
            Coding::Untabled(country) => {
                self.unchecked = true;
                Some(vat::exempt_code(country))
            }
            Coding::Foreign => None,
        }
    }

    fn explain(self, reasons: &mut Vec<String>) {
        match self.coding {
            Coding::Table(country) => {
                for rate in self.unknown_rates {
                    reasons.push(format!(
                        "The VAT rate {rate}% is not a {} rate ({}), so its line has no VAT code \
                         and is booked on the general input VAT account.",
                        vat::country_adjective(country),
                        vat::rate_list(country),
                    ));
                }
            }
            Coding::Untabled(country) if self.unchecked => reasons.push(format!(
                "No VAT rates are on file for {country}, so the VAT codes were built from the \
                 printed rates without a check."
            )),
            _ => {}
        }
    }
}

/// `"<account name> 21%"`, unless the account's name already ends with the rate
/// ("Abziehbare Vorsteuer 19 %").
fn with_rate(account_name: &str, rate: Decimal) -> String {
    let named = account_name.ends_with(&format!(" {rate} %"))
        || account_name.ends_with(&format!(" {rate}%"));
    if named {
        account_name.to_owned()
    } else {
        format!("{account_name} {rate}%")
    }
}

/// The currency amounts are rounded in, noting a missing or malformed code.
fn booking_currency<'a>(invoice: &'a ExtractedInvoice, reasons: &mut Vec<String>) -> &'a str {
    match invoice.currency.as_deref().map(str::trim) {
        None | Some("") => {
            reasons.push("No currency was found; amounts were booked as EUR.".to_owned());
            "EUR"
        }
        Some(currency) => {
            let is_iso_code =
                currency.len() == 3 && currency.bytes().all(|byte| byte.is_ascii_uppercase());
            if !is_iso_code {
                reasons.push(format!(
                    "The currency {currency:?} is not an ISO 4217 code such as EUR; amounts \
                     were rounded to {} decimals.",
                    currency_decimals(currency)
                ));
            }
            currency
        }
    }
}

/// The first amount, if any, too large to be read correctly (see [`MAX_AMOUNT`]).
fn implausible_amount(invoice: &ExtractedInvoice) -> Option<(String, Decimal)> {
    let totals = [
        ("gross total", invoice.gross_total),
        ("net total", invoice.net_total),
        ("VAT total", invoice.vat_total),
    ]
    .into_iter()
    .filter_map(|(field, amount)| Some((field.to_owned(), amount?)));
    let breakdown = invoice.vat_breakdown.iter().flat_map(|row| {
        let rate = row.rate.normalize();
        [
            (format!("breakdown base at {rate}%"), row.base),
            (format!("breakdown VAT at {rate}%"), row.amount),
        ]
    });
    totals
        .chain(breakdown)
        .find(|(_, amount)| amount.abs() > MAX_AMOUNT)
}

/// Push a line for a signed amount: positive amounts are debits on an invoice, credits on a
/// credit note. A zero amount pushes nothing, so no proposal carries an empty line.
fn push_line(
    lines: &mut Vec<ProposalLine>,
    account: &str,
    description: String,
    amount: Decimal,
    vat_code: Option<String>,
    direction: Direction,
) {
    if amount.is_zero() {
        return;
    }
    let debit_amount = match direction {
        Direction::Invoice => amount,
        Direction::CreditNote => -amount,
    };
    let (debit, credit) = if debit_amount.is_sign_positive() {
        (debit_amount, Decimal::ZERO)
    } else {
        (Decimal::ZERO, -debit_amount)
    };
    lines.push(ProposalLine {
        account: account.to_owned(),
        description,
        debit,
        credit,
        vat_code,
    });
}

/// The VAT rate every invoice line shares, when there is no breakdown to take it from.
///
/// Used only to label and code the single VAT line; amounts still come from the totals.
fn single_line_rate(invoice: &ExtractedInvoice) -> Option<Decimal> {
    let mut rates = invoice.lines.iter().map(|line| line.vat_rate);
    let first = rates.next()??.normalize();
    rates
        .all(|rate| rate.is_some_and(|rate| rate == first))
        .then_some(first)
}

/// `"<account name> 21% — <suffix>"`, or without the rate when it is unknown.
fn labelled(account_name: &str, rate: Option<Decimal>, suffix: &str) -> String {
    match rate {
        Some(rate) => format!("{account_name} {rate}%{suffix}"),
        None => format!("{account_name}{suffix}"),
    }
}

/// `" — <supplier> <invoice number>"`, so each line says which invoice it came from.
fn description_suffix(invoice: &ExtractedInvoice) -> String {
    let parts: Vec<&str> = [&invoice.supplier_name, &invoice.invoice_number]
        .into_iter()
        .filter_map(|part| part.as_deref().map(str::trim))
        .filter(|part| !part.is_empty())
        .collect();
    let mut suffix = if parts.is_empty() {
        String::new()
    } else {
        format!(" — {}", parts.join(" "))
    };
    if invoice.document_type == DocumentType::CreditNote {
        suffix.push_str(" (credit note)");
    }
    suffix
}

fn note_missing_fields(invoice: &ExtractedInvoice, reasons: &mut Vec<String>) {
    let is_missing = |field: &Option<String>| field.as_deref().is_none_or(|s| s.trim().is_empty());
    if is_missing(&invoice.supplier_name) {
        reasons.push("No supplier name was found.".to_owned());
    }
    if is_missing(&invoice.invoice_number) {
        reasons.push("No invoice number was found.".to_owned());
    }
    if invoice.issue_date.is_none() {
        reasons.push("No issue date was found.".to_owned());
    }
}

fn note_low_confidence(invoice: &ExtractedInvoice, reasons: &mut Vec<String>) {
    for (field, confidence) in &invoice.confidence {
        if is_low_confidence(invoice, field) {
            reasons.push(format!(
                "The {} was read with low confidence ({confidence:.2}).",
                field_label(field)
            ));
        }
    }
}

/// True when the extractor reported a confidence below [`LOW_CONFIDENCE`], or a nonsensical
/// one (NaN), for the field. A field without a confidence is not low: there is no evidence.
fn is_low_confidence(invoice: &ExtractedInvoice, field: &str) -> bool {
    invoice
        .confidence
        .get(field)
        .is_some_and(|confidence| confidence.is_nan() || *confidence < LOW_CONFIDENCE)
}

/// A confidence key (`supplier_vat_id`) as words for a sentence (`supplier VAT ID`).
fn field_label(field: &str) -> String {
    field
        .split('_')
        .map(|word| match word {
            "vat" => "VAT",
            "id" => "ID",
            "iban" => "IBAN",
            word => word,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;
    use stapel_domain::{InvoiceLine, VatBreakdown};

    /// A complete, consistent invoice, so each test changes only what it is about.
    fn invoice(net: Decimal, vat: Decimal, gross: Decimal) -> ExtractedInvoice {
        ExtractedInvoice {
            supplier_name: Some("Acme B.V.".into()),
            invoice_number: Some("2026-118".into()),
            issue_date: NaiveDate::from_ymd_opt(2026, 11, 21),
            currency: Some("EUR".into()),
            net_total: Some(net),
            vat_total: Some(vat),
            gross_total: Some(gross),
            ..Default::default()
        }
    }

    fn share(rate: Decimal, base: Decimal, amount: Decimal) -> VatBreakdown {
        VatBreakdown {
            rate,
            base,
            amount,
            category: None,
        }
    }

    fn line(
        account: &str,
        description: &str,
        debit: Decimal,
        credit: Decimal,
        vat_code: Option<&str>,
    ) -> ProposalLine {
        ProposalLine {
            account: account.into(),
            description: description.into(),
            debit,
            credit,
            vat_code: vat_code.map(Into::into),
        }
    }

    fn propose(invoice: &ExtractedInvoice) -> BookingProposal {
        let proposal = propose_booking(invoice, &ChartOfAccounts::generic());
        assert!(proposal.is_balanced(), "{proposal:#?}");
        assert_eq!(proposal.needs_review, !proposal.reasons.is_empty());
        proposal
    }

    fn dutch_chart() -> ChartOfAccounts {
        ChartOfAccounts::from_toml(
            r#"
            name = "Dutch SME"
            country = "NL"
            [expense]
            number = "4000"
            name = "Expenses"
            [input_vat]
            number = "1510"
            name = "Input VAT"
            [accounts_payable]
            number = "1600"
            name = "Creditors"
            "#,
        )
        .unwrap()
    }

    #[test]
    fn max_amount_is_one_quadrillion() {
        assert_eq!(MAX_AMOUNT, Decimal::new(1_000_000_000_000_000, 0));
    }

    #[test]
    fn simple_invoice_at_21_percent() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(121.00));
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        let proposal = propose(&invoice);
        assert_eq!(
            proposal.lines,
            vec![
                line(
                    "4000",
                    "Expenses 21% — Acme B.V. 2026-118",
                    dec!(100.00),
                    dec!(0),
                    None
                ),
                line(
                    "1500",
                    "Input VAT 21% — Acme B.V. 2026-118",
                    dec!(21.00),
                    dec!(0),
                    Some("VAT-21")
                ),
                line(
                    "1600",
                    "Accounts payable — Acme B.V. 2026-118",
                    dec!(0),
                    dec!(121.00),
                    None
                ),
            ]
        );
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);
    }

    #[test]
    fn multi_rate_dutch_invoice_books_one_line_per_rate() {
        let mut invoice = invoice(dec!(300.00), dec!(30.00), dec!(330.00));
        invoice.vat_breakdown = vec![
            share(dec!(21.00), dec!(100.00), dec!(21.00)),
            share(dec!(9.00), dec!(100.00), dec!(9.00)),
            share(dec!(9), dec!(100.00), dec!(0.00)),
        ];
        let proposal = propose_booking(&invoice, &dutch_chart());
        assert!(proposal.is_balanced());
        // Same rate printed twice is one rate; lines run from the lowest rate up.
        assert_eq!(
            proposal.lines,
            vec![
                line(
                    "4000",
                    "Expenses 9% — Acme B.V. 2026-118",
                    dec!(200.00),
                    dec!(0),
                    None
                ),
                line(
                    "4000",
                    "Expenses 21% — Acme B.V. 2026-118",
                    dec!(100.00),
                    dec!(0),
                    None
                ),
                line(
                    "1510",
                    "Input VAT 9% — Acme B.V. 2026-118",
                    dec!(9.00),
                    dec!(0),
                    Some("NL-9")
                ),
                line(
                    "1510",
                    "Input VAT 21% — Acme B.V. 2026-118",
                    dec!(21.00),
                    dec!(0),
                    Some("NL-21")
                ),
                line(
                    "1600",
                    "Creditors — Acme B.V. 2026-118",
                    dec!(0),
                    dec!(330.00),
                    None
                ),
            ]
        );
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);
    }

    #[test]
    fn credit_note_books_reversed_sides() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(121.00));
        invoice.document_type = DocumentType::CreditNote;
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        let proposal = propose(&invoice);
        let suffix = "— Acme B.V. 2026-118 (credit note)";
        assert_eq!(
            proposal.lines,
            vec![
                line(
                    "4000",
                    &format!("Expenses 21% {suffix}"),
                    dec!(0),
                    dec!(100.00),
                    None
                ),
                line(
                    "1500",
                    &format!("Input VAT 21% {suffix}"),
                    dec!(0),
                    dec!(21.00),
                    Some("VAT-21")
                ),
                line(
                    "1600",
                    &format!("Accounts payable {suffix}"),
                    dec!(121.00),
                    dec!(0),
                    None
                ),
            ]
        );
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);
    }

    #[test]
    fn credit_note_printed_negative_books_like_one_printed_positive() {
        let mut positive = invoice(dec!(100.00), dec!(21.00), dec!(121.00));
        positive.document_type = DocumentType::CreditNote;
        positive.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        let mut negative = invoice(dec!(-100.00), dec!(-21.00), dec!(-121.00));
        negative.document_type = DocumentType::CreditNote;
        negative.vat_breakdown = vec![share(dec!(21), dec!(-100.00), dec!(-21.00))];
        assert_eq!(propose(&negative), propose(&positive));
    }

    #[test]
    fn negative_credit_note_quotes_printed_numbers_in_reasons() {
        let mut invoice = invoice(dec!(-100.00), dec!(-21.00), dec!(-120.00));
        invoice.document_type = DocumentType::CreditNote;
        let proposal = propose(&invoice);
        assert!(
            proposal.reasons[0].contains("net -100.00 + VAT -21.00 = -121.00"),
            "{:?}",
            proposal.reasons
        );
        assert!(proposal.reasons[0].contains("gross total is -120.00 (difference 1.00)"));
        assert_eq!(proposal.total_debit(), dec!(120.00));
        assert_eq!(proposal.lines[2].debit, dec!(120.00));
    }

    #[test]
    fn non_reconciling_totals_book_what_is_owed_and_say_why() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(125.00));
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        let proposal = propose(&invoice);
        assert_eq!(
            proposal.lines,
            vec![
                line(
                    "4000",
                    "Expenses 21% — Acme B.V. 2026-118",
                    dec!(104.00),
                    dec!(0),
                    None
                ),
                line(
                    "1500",
                    "Input VAT 21% — Acme B.V. 2026-118",
                    dec!(21.00),
                    dec!(0),
                    Some("VAT-21")
                ),
                line(
                    "1600",
                    "Accounts payable — Acme B.V. 2026-118",
                    dec!(0),
                    dec!(125.00),
                    None
                ),
            ]
        );
        assert!(proposal.needs_review);
        assert_eq!(
            proposal.reasons,
            vec![
                "The totals do not reconcile: net 100.00 + VAT 21.00 = 121.00, but the gross \
                 total is 125.00 (difference 4.00). Accounts payable was booked at the gross \
                 total, expenses at gross minus VAT (104.00)."
            ]
        );
    }

    #[test]
    fn gross_is_derived_silently_when_net_and_vat_are_confident() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(0));
        invoice.gross_total = None;
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        let proposal = propose(&invoice);
        assert_eq!(proposal.total_credit(), dec!(121.00));
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);

        invoice.confidence.insert("net_total".into(), 0.3);
        let proposal = propose(&invoice);
        assert_eq!(proposal.total_credit(), dec!(121.00));
        assert_eq!(
            proposal.reasons,
            vec![
                "No gross total was found; it was derived as net plus VAT = 121.00 from \
                 figures read with low confidence.",
                "The net total was read with low confidence (0.30).",
            ]
        );
    }

    #[test]
    fn net_is_derived_as_gross_minus_vat() {
        let mut invoice = invoice(dec!(0), dec!(21.00), dec!(121.00));
        invoice.net_total = None;
        let proposal = propose(&invoice);
        assert_eq!(proposal.lines[0].debit, dec!(100.00));
        assert_eq!(proposal.lines[1].debit, dec!(21.00));
        assert_eq!(proposal.lines[2].credit, dec!(121.00));
        // Without a breakdown the VAT line lacks a code, which the bookkeeper must supply.
        assert_eq!(proposal.lines[1].vat_code, None);
        assert_eq!(
            proposal.reasons,
            vec![
                "The VAT rate of the 21.00 VAT could not be determined, so the VAT line has no \
                 VAT code."
            ]
        );

        invoice.confidence.insert("gross_total".into(), 0.2);
        let proposal = propose(&invoice);
        assert!(proposal.reasons[0].starts_with("No net total was found; it was derived"));
    }

    #[test]
    fn rate_printed_on_every_invoice_line_codes_the_vat_line() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(121.00));
        let printed = |rate| InvoiceLine {
            vat_rate: rate,
            ..Default::default()
        };
        invoice.lines = vec![printed(Some(dec!(21))), printed(Some(dec!(21.00)))];
        let proposal = propose(&invoice);
        assert_eq!(proposal.lines[1].vat_code.as_deref(), Some("VAT-21"));
        assert_eq!(
            proposal.lines[0].description,
            "Expenses 21% — Acme B.V. 2026-118"
        );
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);

        invoice.lines.push(printed(None));
        let proposal = propose(&invoice);
        assert_eq!(proposal.lines[1].vat_code, None);
        assert!(proposal.needs_review);
    }

    #[test]
    fn missing_vat_is_booked_as_zero_and_flagged() {
        let mut invoice = invoice(dec!(100.00), dec!(0), dec!(100.00));
        invoice.vat_total = None;
        let proposal = propose(&invoice);
        assert_eq!(proposal.lines.len(), 2);
        assert_eq!(proposal.lines[0].debit, dec!(100.00));
        assert_eq!(proposal.lines[1].credit, dec!(100.00));
        assert_eq!(
            proposal.reasons,
            vec!["No VAT total was found; the invoice was booked without VAT."]
        );
    }

    #[test]
    fn missing_vat_total_is_taken_from_the_breakdown() {
        let mut invoice = invoice(dec!(100.00), dec!(0), dec!(121.00));
        invoice.vat_total = None;
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        let proposal = propose(&invoice);
        assert_eq!(proposal.lines[1].debit, dec!(21.00));
        assert_eq!(proposal.lines[1].vat_code.as_deref(), Some("VAT-21"));
        assert_eq!(
            proposal.reasons,
            vec!["No VAT total was found; the VAT breakdown's sum, 21.00, was booked as VAT."]
        );
    }

    #[test]
    fn breakdown_not_adding_up_falls_back_to_single_lines() {
        let mut invoice = invoice(dec!(300.00), dec!(30.00), dec!(330.00));
        invoice.vat_breakdown = vec![
            share(dec!(21), dec!(100.00), dec!(21.00)),
            share(dec!(9), dec!(150.00), dec!(13.50)),
        ];
        let proposal = propose(&invoice);
        assert_eq!(
            proposal.lines,
            vec![
                line(
                    "4000",
                    "Expenses — Acme B.V. 2026-118",
                    dec!(300.00),
                    dec!(0),
                    None
                ),
                line(
                    "1500",
                    "Input VAT — Acme B.V. 2026-118",
                    dec!(30.00),
                    dec!(0),
                    None
                ),
                line(
                    "1600",
                    "Accounts payable — Acme B.V. 2026-118",
                    dec!(0),
                    dec!(330.00),
                    None
                ),
            ]
        );
        assert_eq!(
            proposal.reasons,
            vec![
                "The VAT breakdown's bases add up to 250.00, but the net total is 300.00 \
                 (difference 50.00).",
                "The VAT breakdown's VAT adds up to 34.50, but the VAT total is 30.00 \
                 (difference -4.50).",
                "The VAT rate of the 30.00 VAT could not be determined, so the VAT line has no \
                 VAT code.",
            ]
        );
    }

    #[test]
    fn amounts_with_three_decimals_are_rounded_half_away_from_zero() {
        let mut invoice = invoice(dec!(100.005), dec!(21.001), dec!(121.006));
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.005), dec!(21.001))];
        let proposal = propose(&invoice);
        assert_eq!(proposal.lines[0].debit, dec!(100.01));
        assert_eq!(proposal.lines[1].debit, dec!(21.00));
        assert_eq!(proposal.lines[2].credit, dec!(121.01));
        for line in &proposal.lines {
            assert!(
                line.debit.scale() <= 2 && line.credit.scale() <= 2,
                "{line:?}"
            );
        }
        assert_eq!(
            proposal.reasons,
            vec![
                "Amounts had more decimals than EUR allows (2) and were rounded half away from \
                 zero: gross total 121.006 to 121.01, net total 100.005 to 100.01, VAT total \
                 21.001 to 21.00, breakdown base at 21% 100.005 to 100.01, breakdown VAT at 21% \
                 21.001 to 21.00."
            ]
        );
    }

    #[test]
    fn rounding_that_breaks_reconciliation_still_balances() {
        // Unrounded, 100.005 + 20.005 = 120.010; rounded, 100.01 + 20.01 = 120.02 vs 120.01.
        let invoice = invoice(dec!(100.005), dec!(20.005), dec!(120.010));
        let proposal = propose(&invoice);
        assert_eq!(proposal.total_credit(), dec!(120.01));
        assert_eq!(proposal.lines[0].debit, dec!(100.00));
        assert!(proposal
            .reasons
            .iter()
            .any(|reason| reason.contains("difference -0.01")));
    }

    #[test]
    fn zero_rated_invoice_has_no_vat_line() {
        let mut invoice = invoice(dec!(250.00), dec!(0.00), dec!(250.00));
        invoice.vat_breakdown = vec![share(dec!(0), dec!(250.00), dec!(0.00))];
        let proposal = propose(&invoice);
        // Without a VAT line, the zero-rate code sits on the expense line: the base is what a
        // VAT return asks of a zero-rated purchase.
        assert_eq!(
            proposal.lines,
            vec![
                line(
                    "4000",
                    "Expenses 0% — Acme B.V. 2026-118",
                    dec!(250.00),
                    dec!(0),
                    Some("VAT-0")
                ),
                line(
                    "1600",
                    "Accounts payable — Acme B.V. 2026-118",
                    dec!(0),
                    dec!(250.00),
                    None
                ),
            ]
        );
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);
    }

    #[test]
    fn yen_are_booked_without_decimals() {
        let mut invoice = invoice(dec!(10000), dec!(1000), dec!(11000));
        invoice.currency = Some("JPY".into());
        invoice.vat_breakdown = vec![share(dec!(10), dec!(10000), dec!(1000))];
        let proposal = propose(&invoice);
        assert_eq!(proposal.total_debit(), dec!(11000));
        assert!(!proposal.needs_review, "{:?}", proposal.reasons);

        let mut invoice = invoice.clone();
        invoice.net_total = Some(dec!(10000.4));
        invoice.vat_total = Some(dec!(1000.5));
        invoice.gross_total = Some(dec!(11000.9));
        invoice.vat_breakdown.clear();
        let proposal = propose(&invoice);
        let amounts: Vec<Decimal> = proposal
            .lines
            .iter()
            .map(|line| line.debit + line.credit)
            .collect();
        assert_eq!(amounts, vec![dec!(10000), dec!(1001), dec!(11001)]);
        for amount in amounts {
            assert_eq!(amount.scale(), 0);
        }
    }

    #[test]
    fn no_amounts_gives_an_empty_entry_for_review() {
        let mut invoice = invoice(dec!(0), dec!(21.00), dec!(0));
        invoice.net_total = None;
        invoice.gross_total = None;
        let proposal = propose(&invoice);
        assert!(proposal.lines.is_empty());
        assert_eq!(
            proposal.reasons,
            vec![
                "No amounts found: neither a gross nor a net total was read, so the proposal \
                 has no lines."
            ]
        );
    }

    #[test]
    fn all_zero_amounts_give_an_empty_entry_for_review() {
        let proposal = propose(&invoice(dec!(0), dec!(0), dec!(0)));
        assert!(proposal.lines.is_empty());
        assert_eq!(
            proposal.reasons,
            vec!["All amounts are zero, so the proposal has no lines."]
        );
    }

    #[test]
    fn negative_invoice_is_booked_as_read_and_flagged() {
        let proposal = propose(&invoice(dec!(-100.00), dec!(-21.00), dec!(-121.00)));
        assert_eq!(proposal.lines[0].credit, dec!(100.00));
        assert_eq!(proposal.lines[1].credit, dec!(21.00));
        assert_eq!(proposal.lines[2].debit, dec!(121.00));
        assert_eq!(
            proposal.reasons,
            vec![
                "The invoice's gross total is negative (-121.00); it may be a credit note. It \
                 was booked as read, which puts expenses on the credit side.",
                "The VAT rate of the -21.00 VAT could not be determined, so the VAT line has no \
                 VAT code.",
            ]
        );
    }

    #[test]
    fn implausible_amounts_are_not_booked() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(121.00));
        invoice.vat_breakdown = vec![share(dec!(21), Decimal::MAX, dec!(21.00))];
        let proposal = propose(&invoice);
        assert!(proposal.lines.is_empty());
        assert_eq!(proposal.reasons.len(), 1);
        assert!(proposal.reasons[0].starts_with("The breakdown base at 21% reads 7922"));
    }

    #[test]
    fn missing_header_fields_and_low_confidence_are_named() {
        let mut invoice = invoice(dec!(100.00), dec!(21.00), dec!(121.00));
        invoice.vat_breakdown = vec![share(dec!(21), dec!(100.00), dec!(21.00))];
        invoice.supplier_name = Some("  ".into());
        invoice.invoice_number = None;
        invoice.issue_date = None;
        invoice.currency = None;
        invoice.confidence.insert("supplier_vat_id".into(), 0.25);
        invoice.confidence.insert("gross_total".into(), 0.9);
        invoice.confidence.insert("iban".into(), f32::NAN);
        let proposal = propose(&invoice);
        assert_eq!(
            proposal.reasons,
            vec![
                "No currency was found; amounts were booked as EUR.",
                "No supplier name was found.",
                "No invoice number was found.",
                "No issue date was found.",
                "The IBAN was read with low confidence (NaN).",
                "The supplier VAT ID was read with low confidence (0.25).",
            ]
        );
        assert_eq!(proposal.lines[0].description, "Expenses 21%");
    }

    #[test]
    fn malformed_currency_is_flagged() {
        let mut invoice = invoice(dec!(100), dec!(21), dec!(121));
        invoice.currency = Some("jpy".into());
        let proposal = propose(&invoice);
        assert!(proposal.reasons[0].starts_with("The currency \"jpy\" is not an ISO 4217 code"));
    }
}
