//! Totals as evidence: collect every labelled amount, then pick the combination that
//! reconciles (`net + vat = gross`, to the cent).
//!
//! Reconciliation raises confidence; it never changes a value. When nothing reconciles, the
//! best-labelled values are kept as read, with low confidence, and a missing third total is left
//! empty for the booking step to decide.

use super::labels::{LabelKind, Strength};
use rust_decimal::Decimal;
use stapel_domain::VatBreakdown;

/// One amount announced by a totals label.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AmountCandidate {
    pub(crate) kind: LabelKind,
    pub(crate) value: Decimal,
    pub(crate) line: usize,
    pub(crate) strength: Strength,
}

/// One VAT rate line: rate, taxable base and VAT, checked against each other.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BreakdownCandidate {
    pub(crate) rate: Decimal,
    pub(crate) base: Decimal,
    pub(crate) amount: Decimal,
}

/// A chosen total and how sure we are of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Chosen {
    pub(crate) value: Decimal,
    pub(crate) confidence: f32,
}

/// The totals as decided.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Totals {
    pub(crate) net: Option<Chosen>,
    pub(crate) vat: Option<Chosen>,
    pub(crate) gross: Option<Chosen>,
    pub(crate) amount_due: Option<Chosen>,
    pub(crate) breakdown: Vec<VatBreakdown>,
    pub(crate) reconciled: bool,
}

/// Confidence of totals that reconcile: three labels agreeing by arithmetic.
const RECONCILED: f32 = 0.95;
/// Confidence of a total from a labelled line when the others are missing.
const UNCHECKED: f32 = 0.6;
/// Confidence of totals that were all found but do not add up.
const CONTRADICTED: f32 = 0.35;
/// At most this many candidates per total enter the combination search.
const MAX_CANDIDATES: usize = 12;

/// Whether `base * rate / 100` rounds to `amount` (within a cent, for per-line rounding).
pub(crate) fn rate_matches(base: Decimal, rate: Decimal, amount: Decimal) -> bool {
    let Some(product) = base.checked_mul(rate) else {
        return false;
    };
    let Some(expected) = product.checked_div(Decimal::ONE_HUNDRED) else {
        return false;
    };
    let expected = stapel_domain::money::round_to_currency(expected, "EUR");
    (expected - amount).abs() <= Decimal::new(1, 2)
}

fn rank(candidate: &AmountCandidate) -> (Strength, usize) {
    (candidate.strength, candidate.line)
}

/// The strongest, latest candidate of a kind: totals blocks sit at the end, and a repeated
/// label (a subtotal per page) is superseded by the last one.
fn best_of(candidates: &[&AmountCandidate]) -> Option<Decimal> {
    candidates
        .iter()
        .max_by_key(|candidate| rank(candidate))
        .map(|candidate| candidate.value)
}

/// How a reconciling combination ranks: nonzero gross, gross from a gross label, label
/// strengths (gross, net, VAT), then the later gross line.
type CombinationRank = (bool, bool, Strength, Strength, Strength, usize);

/// Net, VAT and gross that add up.
struct Combination {
    net: Decimal,
    vat: Decimal,
    gross: Decimal,
    /// The gross was read under an amount-due label.
    gross_from_amount_due: bool,
}

/// Decide the totals from all candidates.
pub(crate) fn decide_totals(
    candidates: &[AmountCandidate],
    breakdown_lines: &[BreakdownCandidate],
) -> Totals {
    let of_kind = |kind: LabelKind| -> Vec<&AmountCandidate> {
        let mut found: Vec<&AmountCandidate> = candidates
            .iter()
            .filter(|candidate| candidate.kind == kind)
            .collect();
        found.sort_by_key(|candidate| std::cmp::Reverse(rank(candidate)));
        found.truncate(MAX_CANDIDATES);
        found
    };
    let nets = of_kind(LabelKind::NetTotal);
    let mut vats: Vec<AmountCandidate> =
        of_kind(LabelKind::VatTotal).into_iter().cloned().collect();
    let grosses = of_kind(LabelKind::GrossTotal);
    let dues = of_kind(LabelKind::AmountDue);

    let mut breakdown: Vec<BreakdownCandidate> = Vec::new();
    for line in breakdown_lines {
        if !breakdown.contains(line) {
            breakdown.push(line.clone());
        }
    }
    // Several rate lines without a printed VAT total: their sum is VAT evidence too.
    if breakdown.len() > 1 {
        let sum: Decimal = breakdown.iter().map(|line| line.amount).sum();
        vats.push(AmountCandidate {
            kind: LabelKind::VatTotal,
            value: sum,
            line: 0,
            strength: Strength::Weak,
        });
    }

    // Gross candidates: gross labels first; "amount due" labels ("Te betalen", "Net à payer")
    // also state the gross when nothing was prepaid.
    let gross_options: Vec<(&AmountCandidate, bool)> = grosses
        .iter()
        .map(|candidate| (*candidate, false))
        .chain(dues.iter().map(|candidate| (*candidate, true)))
        .collect();

    let mut best: Option<(CombinationRank, Combination)> = None;
    for net in &nets {
        for vat in &vats {
            let Some(sum) = net.value.checked_add(vat.value) else {
                continue;
            };
            for (gross, from_due) in &gross_options {
                if sum != gross.value {
                    continue;
                }
                let key = (
                    !gross.value.is_zero(),
                    !from_due,
                    gross.strength,
                    net.strength,
                    vat.strength,
                    gross.line,
                );
                if best.as_ref().is_none_or(|(best_key, ..)| key > *best_key) {
                    best = Some((
                        key,
                        Combination {
                            net: net.value,
                            vat: vat.value,
                            gross: gross.value,
                            gross_from_amount_due: *from_due,
                        },
                    ));
                }
            }
        }
    }

    let mut totals = Totals::default();
    if let Some((
        _,
        Combination {
            net,
            vat,
            gross,
            gross_from_amount_due: from_due,
        },
    )) = best
    {
        totals.net = Some(Chosen {
            value: net,
            confidence: RECONCILED,
        });
        totals.vat = Some(Chosen {
            value: vat,
            confidence: RECONCILED,
        });
        let gross_confidence = if from_due {
            RECONCILED - 0.05
        } else {
            RECONCILED
        };
        totals.gross = Some(Chosen {
            value: gross,
            confidence: gross_confidence,
        });
        totals.reconciled = true;
    } else {
        let net = best_of(&nets);
        let vat_refs: Vec<&AmountCandidate> = vats.iter().collect();
        let vat = best_of(&vat_refs);
        let gross = best_of(&grosses).or_else(|| best_of(&dues));
        let found = [net, vat, gross]
            .iter()
            .filter(|value| value.is_some())
            .count();
        let confidence = if found == 3 { CONTRADICTED } else { UNCHECKED };
        totals.net = net.map(|value| Chosen { value, confidence });
        totals.vat = vat.map(|value| Chosen { value, confidence });
        totals.gross = gross.map(|value| Chosen { value, confidence });
    }

    if let Some(due) = best_of(&dues) {
        let confidence = match totals.gross {
            Some(gross) if gross.value == due && totals.reconciled => RECONCILED - 0.05,
            Some(gross) if gross.value == due => 0.7,
            _ => 0.55,
        };
        totals.amount_due = Some(Chosen {
            value: due,
            confidence,
        });
    }

    totals.breakdown = decide_breakdown(&breakdown, &totals);
    totals
}

/// Keep the rate lines only when their VAT adds up to the VAT total.
fn decide_breakdown(lines: &[BreakdownCandidate], totals: &Totals) -> Vec<VatBreakdown> {
    let vat_total = totals.vat.map(|chosen| chosen.value);
    let mut lines: Vec<&BreakdownCandidate> = lines.iter().collect();
    lines.sort_by_key(|line| line.rate);
    let sum: Decimal = lines.iter().map(|line| line.amount).sum();
    if lines.is_empty() || vat_total.is_some_and(|vat| vat != sum) {
        return Vec::new();
    }
    lines
        .iter()
        .map(|line| VatBreakdown {
            rate: line.rate.normalize(),
            base: line.base,
            amount: line.amount,
            category: None,
        })
        .collect()
}

/// A single rate printed next to the VAT total ("VAT 20%"), with the net as base when
/// `net × rate = vat`.
pub(crate) fn single_rate_breakdown(rate: Decimal, totals: &Totals) -> Option<VatBreakdown> {
    let net = totals.net?.value;
    let vat = totals.vat?.value;
    rate_matches(net, rate, vat).then(|| VatBreakdown {
        rate: rate.normalize(),
        base: net,
        amount: vat,
        category: None,
    })
}

/// A VAT breakdown from printed (rate, amount) pairs and the line items' rates: each base is the
/// sum of the lines at its rate. `None` unless there are at least two rates, every amount
/// matches its base, and bases and amounts add up to the net and VAT totals.
pub(crate) fn breakdown_from_lines(
    rate_amounts: &[(Decimal, Decimal)],
    lines: &[stapel_domain::InvoiceLine],
    net_total: Option<Decimal>,
    vat_total: Option<Decimal>,
) -> Option<Vec<VatBreakdown>> {
    if rate_amounts.len() < 2 || lines.iter().any(|line| line.vat_rate.is_none()) {
        return None;
    }
    let mut entries = Vec::new();
    for (rate, amount) in rate_amounts {
        let base = lines
            .iter()
            .filter(|line| line.vat_rate == Some(*rate))
            .try_fold(Decimal::ZERO, |sum, line| sum.checked_add(line.net_amount?))?;
        if !rate_matches(base, *rate, *amount) {
            return None;
        }
        entries.push(VatBreakdown {
            rate: *rate,
            base,
            amount: *amount,
            category: None,
        });
    }
    let bases: Decimal = entries.iter().map(|entry| entry.base).sum();
    let amounts: Decimal = entries.iter().map(|entry| entry.amount).sum();
    (Some(bases) == net_total && Some(amounts) == vat_total).then_some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn candidate(kind: LabelKind, value: Decimal, line: usize) -> AmountCandidate {
        AmountCandidate {
            kind,
            value,
            line,
            strength: Strength::Strong,
        }
    }

    #[test]
    fn picks_the_combination_that_reconciles() {
        let candidates = [
            candidate(LabelKind::NetTotal, dec!(473.00), 10),
            candidate(LabelKind::GrossTotal, dec!(0.00), 11),
            candidate(LabelKind::VatTotal, dec!(19.25), 12),
            candidate(LabelKind::VatTotal, dec!(56.87), 14),
            candidate(LabelKind::GrossTotal, dec!(529.87), 15),
            candidate(LabelKind::AmountDue, dec!(529.87), 16),
        ];
        let totals = decide_totals(&candidates, &[]);
        assert!(totals.reconciled);
        assert_eq!(totals.net.unwrap().value, dec!(473.00));
        assert_eq!(totals.vat.unwrap().value, dec!(56.87));
        assert_eq!(totals.gross.unwrap().value, dec!(529.87));
        assert_eq!(totals.amount_due.unwrap().value, dec!(529.87));
        assert!(totals.net.unwrap().confidence > 0.9);
    }

    #[test]
    fn keeps_contradicting_values_with_low_confidence() {
        let candidates = [
            candidate(LabelKind::NetTotal, dec!(100.00), 1),
            candidate(LabelKind::VatTotal, dec!(21.00), 2),
            candidate(LabelKind::GrossTotal, dec!(120.00), 3),
        ];
        let totals = decide_totals(&candidates, &[]);
        assert!(!totals.reconciled);
        assert_eq!(totals.gross.unwrap().value, dec!(120.00));
        assert_eq!(totals.vat.unwrap().value, dec!(21.00));
        assert!(totals.gross.unwrap().confidence < 0.5);
    }

    #[test]
    fn derives_nothing_from_two_totals() {
        let candidates = [
            candidate(LabelKind::NetTotal, dec!(100.00), 1),
            candidate(LabelKind::GrossTotal, dec!(121.00), 3),
        ];
        let totals = decide_totals(&candidates, &[]);
        assert_eq!(totals.vat, None);
        assert_eq!(totals.net.unwrap().confidence, UNCHECKED);
    }

    #[test]
    fn sums_rate_lines_when_no_vat_total_is_printed() {
        let candidates = [
            candidate(LabelKind::NetTotal, dec!(442.60), 1),
            candidate(LabelKind::VatTotal, dec!(28.37), 2),
            candidate(LabelKind::VatTotal, dec!(26.75), 3),
            candidate(LabelKind::GrossTotal, dec!(497.72), 4),
        ];
        let lines = [
            BreakdownCandidate {
                rate: dec!(9),
                base: dec!(315.20),
                amount: dec!(28.37),
            },
            BreakdownCandidate {
                rate: dec!(21),
                base: dec!(127.40),
                amount: dec!(26.75),
            },
        ];
        let totals = decide_totals(&candidates, &lines);
        assert!(totals.reconciled);
        assert_eq!(totals.vat.unwrap().value, dec!(55.12));
        assert_eq!(totals.breakdown.len(), 2);
        assert_eq!(totals.breakdown[0].rate, dec!(9));
    }
}
