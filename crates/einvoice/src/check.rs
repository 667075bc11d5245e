//! The document's own arithmetic, checked against EN 16931's business rules BR-CO-10..16.
//!
//! A structured invoice is exact about what it says, but what it says can still be wrong (a
//! generator bug, a hand-edited file). We never correct figures: a broken rule becomes a
//! [`RuleViolation`] and lowers the confidence of the totals it involves, so the booking flags
//! the document for review.

use rust_decimal::Decimal;
use stapel_domain::ExtractedInvoice;

/// Confidence given to a total that takes part in a broken rule: below what the booking treats
/// as trustworthy, above zero because the figure was read exactly.
pub const VIOLATION_CONFIDENCE: f32 = 0.5;

/// One EN 16931 calculation rule the document breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleViolation {
    /// The rule's identifier, e.g. `BR-CO-15`.
    pub rule: &'static str,
    /// What does not add up, with the figures.
    pub message: String,
    /// The `ExtractedInvoice` fields whose confidence was lowered because of it.
    pub fields: Vec<&'static str>,
}

/// Document-level totals that the contract model has no field for but the rules need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DeclaredTotals {
    /// BT-106, sum of invoice line net amounts.
    pub line_total: Option<Decimal>,
    /// BT-107, sum of document-level allowances.
    pub allowance_total: Option<Decimal>,
    /// BT-108, sum of document-level charges.
    pub charge_total: Option<Decimal>,
    /// BT-113, paid in advance.
    pub prepaid: Option<Decimal>,
    /// BT-114, rounding added to reach the amount due.
    pub rounding: Option<Decimal>,
}

/// Check the rules whose inputs are present; a rule with a missing input is skipped, not failed
/// (MINIMUM-profile documents legitimately omit lines and breakdowns).
pub(crate) fn check_totals(
    invoice: &ExtractedInvoice,
    declared: &DeclaredTotals,
) -> Vec<RuleViolation> {
    let mut violations = Vec::new();
    let mut require = |rule: &'static str,
                       stated: Option<Decimal>,
                       computed: Option<Decimal>,
                       description: &str,
                       fields: &[&'static str]| {
        if let (Some(stated), Some(computed)) = (stated, computed) {
            if stated != computed {
                violations.push(RuleViolation {
                    rule,
                    message: format!(
                        "{rule}: {description}: the document states {stated}, the parts add up to {computed}"
                    ),
                    fields: fields.to_vec(),
                });
            }
        }
    };

    let line_sum = if invoice.lines.is_empty() {
        None
    } else {
        invoice
            .lines
            .iter()
            .map(|line| line.net_amount)
            .try_fold(Decimal::ZERO, |sum, amount| sum.checked_add(amount?))
    };
    require(
        "BR-CO-10",
        declared.line_total,
        line_sum,
        "sum of line net amounts (BT-106)",
        &["net_total"],
    );
    let zero = Decimal::ZERO;
    for (rule, is_charge, declared_total, description) in [
        (
            "BR-CO-11",
            false,
            declared.allowance_total,
            "sum of document allowances (BT-107)",
        ),
        (
            "BR-CO-12",
            true,
            declared.charge_total,
            "sum of document charges (BT-108)",
        ),
    ] {
        let entries: Vec<Decimal> = invoice
            .allowances_charges
            .iter()
            .filter(|entry| entry.charge == is_charge)
            .map(|entry| entry.amount)
            .collect();
        let sum = (!entries.is_empty())
            .then(|| {
                entries
                    .iter()
                    .try_fold(zero, |sum, amount| sum.checked_add(*amount))
            })
            .flatten();
        require(rule, declared_total, sum, description, &["net_total"]);
    }
    let expected_net = declared.line_total.and_then(|lines| {
        lines
            .checked_sub(declared.allowance_total.unwrap_or(zero))?
            .checked_add(declared.charge_total.unwrap_or(zero))
    });
    require(
        "BR-CO-13",
        invoice.net_total,
        expected_net,
        "net total (BT-109) = lines - allowances + charges",
        &["net_total"],
    );
    let breakdown_vat = if invoice.vat_breakdown.is_empty() {
        None
    } else {
        invoice
            .vat_breakdown
            .iter()
            .try_fold(zero, |sum, entry| sum.checked_add(entry.amount))
    };
    require(
        "BR-CO-14",
        invoice.vat_total,
        breakdown_vat,
        "VAT total (BT-110) = sum of VAT per rate",
        &["vat_total"],
    );
    // A document without VAT (reverse charge, exempt) may omit BT-110; it then counts as zero.
    let vat_for_gross = invoice.vat_total.or(invoice
        .net_total
        .and(invoice.vat_breakdown.is_empty().then_some(zero)));
    require(
        "BR-CO-15",
        invoice.gross_total,
        invoice
            .net_total
            .zip(vat_for_gross)
            .and_then(|(net, vat)| net.checked_add(vat)),
        "gross total (BT-112) = net total + VAT total",
        &["net_total", "vat_total", "gross_total"],
    );
    let expected_due = invoice.gross_total.and_then(|gross| {
        gross
            .checked_sub(declared.prepaid.unwrap_or(zero))?
            .checked_add(declared.rounding.unwrap_or(zero))
    });
    require(
        "BR-CO-16",
        invoice.amount_due,
        expected_due,
        "amount due (BT-115) = gross - prepaid + rounding",
        &["amount_due"],
    );
    violations
}

/// Lower the confidence of every field a violation involves.
pub(crate) fn apply_to_confidence(invoice: &mut ExtractedInvoice, violations: &[RuleViolation]) {
    for field in violations.iter().flat_map(|violation| &violation.fields) {
        invoice
            .confidence
            .insert((*field).to_owned(), VIOLATION_CONFIDENCE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use stapel_domain::{InvoiceLine, VatBreakdown};

    fn line(net: Decimal) -> InvoiceLine {
        InvoiceLine {
            net_amount: Some(net),
            ..InvoiceLine::default()
        }
    }

    #[test]
    fn exact_decimal_sums_have_no_float_rounding_trouble() {
        // EN 16931's own BR-CO-10 rounding example: lines that cancel to exactly zero.
        let invoice = ExtractedInvoice {
            lines: [dec!(720.81), dec!(0.01), dec!(-720.81), dec!(-0.01)]
                .into_iter()
                .map(line)
                .collect(),
            net_total: Some(dec!(0.00)),
            vat_total: Some(dec!(0.00)),
            gross_total: Some(dec!(0.00)),
            amount_due: Some(dec!(0.00)),
            ..ExtractedInvoice::default()
        };
        let declared = DeclaredTotals {
            line_total: Some(dec!(0.00)),
            ..DeclaredTotals::default()
        };
        assert_eq!(check_totals(&invoice, &declared), vec![]);
    }

    #[test]
    fn each_rule_names_its_fields_and_missing_inputs_skip_a_rule() {
        let invoice = ExtractedInvoice {
            net_total: Some(dec!(100.00)),
            vat_total: Some(dec!(21.00)),
            gross_total: Some(dec!(121.00)),
            amount_due: Some(dec!(121.00)),
            vat_breakdown: vec![VatBreakdown {
                rate: dec!(21),
                base: dec!(100.00),
                amount: dec!(20.00),
                category: None,
            }],
            ..ExtractedInvoice::default()
        };
        let declared = DeclaredTotals {
            prepaid: Some(dec!(21.00)),
            ..DeclaredTotals::default()
        };
        let violations = check_totals(&invoice, &declared);
        let summary: Vec<(&str, Vec<&str>)> = violations
            .iter()
            .map(|v| (v.rule, v.fields.clone()))
            .collect();
        // No lines and no BT-106: BR-CO-10 and BR-CO-13 are skipped, not failed.
        assert_eq!(
            summary,
            [
                ("BR-CO-14", vec!["vat_total"]),
                ("BR-CO-16", vec!["amount_due"]),
            ]
        );
        let mut lowered = invoice.clone();
        apply_to_confidence(&mut lowered, &violations);
        assert_eq!(lowered.confidence["amount_due"], VIOLATION_CONFIDENCE);
        assert!(!lowered.confidence.contains_key("gross_total"));
    }
}
