//! Review: a bookkeeper accepts or corrects a proposal, and stapel learns from it.
//!
//! Every review appends a version to the document's proposal history (the machine's proposal
//! stays version 1; who, when and what changed are kept), and teaches the supplier memory of
//! the document's administration what the bookkeeper decided for this supplier:
//!
//! - the **expense account** the expense lines were booked on (every review);
//! - the **VAT code** of the entry's one input VAT line, when a correction set it (a `vat_code`,
//!   or corrected `lines` whose VAT line carries another code than the machine proposed). An
//!   acceptance teaches no VAT code: the machine's own code is already what the document says;
//! - the **cost centre** (`cost_centre`), when given;
//! - the **payment terms** in days: as given (`payment_terms_days`), else the reviewed
//!   invoice's printed due date minus its issue date.
//!
//! The next invoice of that supplier (same VAT id, else IBAN, else normalised name) is
//! proposed that way at once ([`apply_supplier_memory`]): one correction is enough. The memory
//! fills what the document leaves open and follows the bookkeeper where it disagrees, but says
//! so: a learned VAT code that differs from the code the document's rate gives is applied with
//! a reason, so the entry is looked at. A printed due date always wins over learned terms.
//! A supplier the administration has no memory of is new, and its proposal says so.

use crate::charts::{ChartError, ChartLibrary};
use crate::Backends;
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use stapel_booking::ChartOfAccounts;
use stapel_domain::{
    AdministrationId, BookingProposal, DocumentId, ExtractedInvoice, ProposalLine,
};
use stapel_records::{
    NewReview, ProposalAction, RecordsError, ReviewOutcome, SupplierMemory, SupplierUpdate,
};

/// `POST /v1/documents/{id}/review`: accept the proposal as it stands, or correct it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRequest {
    /// `accept` or `correct`.
    pub action: ReviewAction,
    /// Who reviews, for the audit trail.
    #[serde(default = "default_author")]
    pub author: String,
    /// Correct: book the expense lines on this account.
    #[serde(default)]
    pub expense_account: Option<String>,
    /// Correct: the whole entry as it should be (must balance). Wins over `expense_account`
    /// and `vat_code`.
    #[serde(default)]
    pub lines: Option<Vec<ProposalLine>>,
    /// Correct: the VAT code of the entry's input VAT line (there must be exactly one).
    #[serde(default)]
    pub vat_code: Option<String>,
    /// Correct: the cost centre the entry is booked to.
    #[serde(default)]
    pub cost_centre: Option<String>,
    /// Correct: the supplier's payment terms in days; the due date becomes the issue date
    /// plus these days unless the invoice prints one.
    #[serde(default)]
    pub payment_terms_days: Option<u32>,
    /// Correct: invoice fields the extraction got wrong. They replace the extraction (the
    /// export, the duplicate rule and the supplier memory follow them); the audit trail keeps
    /// what was read.
    #[serde(default)]
    pub fields: Option<FieldCorrections>,
}

/// Invoice fields a reviewer may correct; absent ones stay as read. Amounts are corrected
/// through the entry's `lines`, which must balance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldCorrections {
    /// The supplier's name.
    #[serde(default)]
    pub supplier_name: Option<String>,
    /// The supplier's VAT id.
    #[serde(default)]
    pub supplier_vat_id: Option<String>,
    /// The supplier's IBAN.
    #[serde(default)]
    pub iban: Option<String>,
    /// The invoice number.
    #[serde(default)]
    pub invoice_number: Option<String>,
    /// The issue date.
    #[serde(default)]
    pub issue_date: Option<NaiveDate>,
    /// The printed due date.
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
}

impl FieldCorrections {
    /// Apply to `invoice`; returns what changed as `{field: {"from", "to"}}`. A corrected
    /// field is certain: its confidence becomes 1.
    fn apply(&self, invoice: &mut ExtractedInvoice) -> serde_json::Map<String, serde_json::Value> {
        fn set<T: Clone + PartialEq + Serialize>(
            name: &str,
            slot: &mut Option<T>,
            value: &Option<T>,
            confidence: &mut std::collections::BTreeMap<String, f32>,
            changes: &mut serde_json::Map<String, serde_json::Value>,
        ) {
            let Some(value) = value else { return };
            if slot.as_ref() != Some(value) {
                changes.insert(name.to_owned(), json!({"from": slot, "to": value}));
                *slot = Some(value.clone());
            }
            confidence.insert(name.to_owned(), 1.0);
        }
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        let mut changes = serde_json::Map::new();
        let confidence = &mut invoice.confidence;
        let c = &mut changes;
        set(
            "supplier_name",
            &mut invoice.supplier_name,
            &text(&self.supplier_name),
            confidence,
            c,
        );
        set(
            "supplier_vat_id",
            &mut invoice.supplier_vat_id,
            &text(&self.supplier_vat_id),
            confidence,
            c,
        );
        set("iban", &mut invoice.iban, &text(&self.iban), confidence, c);
        set(
            "invoice_number",
            &mut invoice.invoice_number,
            &text(&self.invoice_number),
            confidence,
            c,
        );
        set(
            "issue_date",
            &mut invoice.issue_date,
            &self.issue_date,
            confidence,
            c,
        );
        set(
            "due_date",
            &mut invoice.due_date,
            &self.due_date,
            confidence,
            c,
        );
        changes
    }
}

fn default_author() -> String {
    "local".to_owned()
}

/// What the reviewer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// The proposal is right as it stands.
    Accept,
    /// The proposal is right after these changes.
    Correct,
}

/// Why a review was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// No such document.
    #[error("no document {0}")]
    NotFound(DocumentId),
    /// The document has no proposal yet (not `done`).
    #[error("document {0} has no proposal to review yet")]
    NotReviewable(DocumentId),
    /// A correction that changes nothing.
    #[error(
        "a correction needs `expense_account`, `lines`, `vat_code`, `cost_centre`, \
         `payment_terms_days` or `fields`"
    )]
    NothingToCorrect,
    /// `fields` sent with `accept`: changing the invoice is a correction.
    #[error("`fields` changes the invoice: send it with \"action\": \"correct\"")]
    FieldsNeedCorrect,
    /// A `vat_code` correction on an entry without exactly one input VAT line.
    #[error(
        "the entry has {0} input VAT lines; a `vat_code` correction needs exactly one (send \
         the whole entry as `lines` instead)"
    )]
    AmbiguousVatCode(usize),
    /// The administration's chart of accounts could not be had.
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// Corrected lines whose debits and credits differ.
    #[error("the corrected entry does not balance: debit {debit}, credit {credit}")]
    Unbalanced {
        /// Sum of debits.
        debit: String,
        /// Sum of credits.
        credit: String,
    },
    /// A line with an empty account, or with both or neither side set.
    #[error("corrected line {0} needs an account and exactly one of debit and credit")]
    InvalidLine(usize),
    /// The records failed.
    #[error(transparent)]
    Records(#[from] RecordsError),
}

impl ReviewError {
    /// Stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "document.not_found",
            Self::NotReviewable(_) => "review.not_reviewable",
            Self::NothingToCorrect => "review.nothing_to_correct",
            Self::FieldsNeedCorrect => "review.fields_need_correct",
            Self::Unbalanced { .. } => "review.unbalanced",
            Self::InvalidLine(_) => "review.invalid_line",
            Self::AmbiguousVatCode(_) => "review.ambiguous_vat_code",
            Self::Chart(error) => error.code(),
            Self::Records(_) => "internal.unavailable",
        }
    }
}

/// The outcome of a review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewResult {
    /// The proposal version the review created.
    pub version: u32,
    /// The proposal as reviewed.
    pub proposal: BookingProposal,
    /// Whether the supplier memory learned from it.
    pub learned: bool,
}

/// Accept or correct a document's current proposal, and teach the supplier memory. The
/// document's administration decides the chart the entry is read against.
pub async fn review_document(
    backends: &Backends,
    charts: &ChartLibrary,
    id: DocumentId,
    request: &ReviewRequest,
) -> Result<ReviewResult, ReviewError> {
    let record = backends
        .records
        .document(id)
        .await?
        .ok_or(ReviewError::NotFound(id))?;
    let current = backends
        .records
        .proposal_history(id)
        .await?
        .pop()
        .ok_or(ReviewError::NotReviewable(id))?
        .proposal;
    let chart = charts
        .for_administration(backends, record.document.administration_id)
        .await?;
    let mut invoice = backends.records.extraction(id).await?;
    let mut corrected_invoice = None;
    let (action, proposal, changes) = match request.action {
        ReviewAction::Accept if request.fields.is_some() => {
            return Err(ReviewError::FieldsNeedCorrect)
        }
        ReviewAction::Accept => (ProposalAction::Accepted, current.clone(), None),
        ReviewAction::Correct => {
            let mut field_changes = serde_json::Map::new();
            if let Some(fields) = &request.fields {
                let read = invoice.get_or_insert_with(ExtractedInvoice::default);
                field_changes = fields.apply(read);
                corrected_invoice = Some(read.clone());
            }
            let corrected = corrected_proposal(&current, &chart, invoice.as_ref(), request)?;
            let changes = json!({
                "lines": {"from": current.lines, "to": corrected.lines},
                "cost_centre": {"from": current.cost_centre, "to": corrected.cost_centre},
                "due_date": {"from": current.due_date, "to": corrected.due_date},
                "fields": field_changes,
            });
            (ProposalAction::Corrected, corrected, Some(changes))
        }
    };
    let review = NewReview {
        document_id: id,
        author: request.author.clone(),
        action,
        proposal: proposal.clone(),
        changes,
        invoice: corrected_invoice,
    };
    let version = match backends.records.record_review(&review).await? {
        ReviewOutcome::Recorded { version } => version,
        ReviewOutcome::NotReviewable => return Err(ReviewError::NotReviewable(id)),
        ReviewOutcome::NotFound => return Err(ReviewError::NotFound(id)),
    };
    let learned = match invoice.as_ref().and_then(ExtractedInvoice::supplier_key) {
        Some(key) => {
            let expense_account = expense_account_of(&proposal, &chart);
            let vat_code = match action {
                ProposalAction::Corrected => taught_vat_code(&current, &proposal, &chart),
                _ => None,
            };
            let payment_terms_days = request
                .payment_terms_days
                .or_else(|| invoice.as_ref().and_then(printed_terms_days));
            backends
                .records
                .remember_supplier(&SupplierUpdate {
                    administration: record.document.administration_id,
                    supplier_key: &key,
                    supplier_name: invoice.as_ref().and_then(|i| i.supplier_name.as_deref()),
                    expense_account: expense_account.as_deref(),
                    vat_code: vat_code.as_deref(),
                    cost_centre: proposal.cost_centre.as_deref(),
                    payment_terms_days,
                    updated_by: &request.author,
                })
                .await?;
            true
        }
        None => false,
    };
    tracing::info!(document_id = %id, version, ?action, learned, "proposal reviewed");
    Ok(ReviewResult {
        version,
        proposal,
        learned,
    })
}

fn corrected_proposal(
    current: &BookingProposal,
    chart: &ChartOfAccounts,
    invoice: Option<&ExtractedInvoice>,
    request: &ReviewRequest,
) -> Result<BookingProposal, ReviewError> {
    let changes_something = request.lines.is_some()
        || request.expense_account.is_some()
        || request.vat_code.is_some()
        || request.cost_centre.is_some()
        || request.payment_terms_days.is_some()
        || request.fields.is_some();
    if !changes_something {
        return Err(ReviewError::NothingToCorrect);
    }
    let lines = match &request.lines {
        Some(lines) => {
            for (index, line) in lines.iter().enumerate() {
                let one_side = line.debit.is_zero() != line.credit.is_zero();
                if line.account.trim().is_empty() || !one_side {
                    return Err(ReviewError::InvalidLine(index));
                }
            }
            lines.clone()
        }
        None => {
            let mut lines = current.lines.clone();
            if let Some(account) = &request.expense_account {
                lines = rebook_expenses(&lines, chart, account);
            }
            if let Some(code) = &request.vat_code {
                let vat_lines = input_vat_lines(&lines, chart);
                let [index] = vat_lines.as_slice() else {
                    return Err(ReviewError::AmbiguousVatCode(vat_lines.len()));
                };
                lines[*index].vat_code = Some(code.clone());
            }
            lines
        }
    };
    let issue_date = invoice.and_then(|invoice| invoice.issue_date);
    let printed_due = invoice.and_then(|invoice| invoice.due_date);
    let due_date = match (printed_due, request.payment_terms_days, issue_date) {
        (Some(printed), _, _) => Some(printed),
        (None, Some(days), Some(issued)) => due_after(issued, days),
        _ => current.due_date,
    };
    let corrected = BookingProposal {
        lines,
        // A bookkeeper's entry is the decision; nothing is left to review.
        needs_review: false,
        reasons: Vec::new(),
        cost_centre: request
            .cost_centre
            .clone()
            .or_else(|| current.cost_centre.clone()),
        due_date,
    };
    if !corrected.is_balanced() {
        return Err(ReviewError::Unbalanced {
            debit: corrected.total_debit().to_string(),
            credit: corrected.total_credit().to_string(),
        });
    }
    Ok(corrected)
}

/// The lines with every expense line (the chart's expense account) moved to `account`.
fn rebook_expenses(
    lines: &[ProposalLine],
    chart: &ChartOfAccounts,
    account: &str,
) -> Vec<ProposalLine> {
    let expense = chart.expense().number();
    lines
        .iter()
        .map(|line| {
            let mut line = line.clone();
            if line.account == expense {
                line.account = account.to_owned();
            }
            line
        })
        .collect()
}

/// The positions of the lines that book charged input VAT: on one of the chart's input VAT
/// accounts, in an entry that is not a reverse charge (whose self-assessed VAT lines carry
/// their own codes, which one supplier code cannot replace).
fn input_vat_lines(lines: &[ProposalLine], chart: &ChartOfAccounts) -> Vec<usize> {
    let reverse_charge = chart.reverse_charge().is_some_and(|pair| {
        lines
            .iter()
            .any(|line| line.account == pair.output_vat().number())
    });
    if reverse_charge {
        return Vec::new();
    }
    let accounts: Vec<&str> = chart
        .input_vat_accounts()
        .iter()
        .map(|account| account.number())
        .collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, line)| accounts.contains(&line.account.as_str()))
        .map(|(index, _)| index)
        .collect()
}

/// The account the expense lines of a reviewed entry are on: the first line that is not on
/// the chart's VAT or payables accounts.
fn expense_account_of(proposal: &BookingProposal, chart: &ChartOfAccounts) -> Option<String> {
    let mut not_expense: Vec<&str> = chart
        .input_vat_accounts()
        .iter()
        .map(|account| account.number())
        .collect();
    not_expense.push(chart.accounts_payable().number());
    proposal
        .lines
        .iter()
        .find(|line| {
            line.vat_code
                .as_deref()
                .is_none_or(|code| code.ends_with("-0"))
                && !not_expense.contains(&line.account.as_str())
        })
        .map(|line| line.account.clone())
}

/// The VAT code a correction taught: the code of the corrected entry's one input VAT line,
/// when the machine had proposed another (or none).
fn taught_vat_code(
    before: &BookingProposal,
    after: &BookingProposal,
    chart: &ChartOfAccounts,
) -> Option<String> {
    let single_code = |proposal: &BookingProposal| -> Option<Option<String>> {
        match input_vat_lines(&proposal.lines, chart).as_slice() {
            [index] => Some(proposal.lines[*index].vat_code.clone()),
            _ => None,
        }
    };
    let corrected = single_code(after)??;
    let proposed = single_code(before).flatten();
    (proposed.as_deref() != Some(corrected.as_str())).then_some(corrected)
}

/// The payment terms an invoice prints, as days from its issue date to its due date.
fn printed_terms_days(invoice: &ExtractedInvoice) -> Option<u32> {
    let days = (invoice.due_date? - invoice.issue_date?).num_days();
    u32::try_from(days).ok()
}

/// `issued` plus `days`, if the calendar has that day.
fn due_after(issued: NaiveDate, days: u32) -> Option<NaiveDate> {
    issued.checked_add_days(Days::new(u64::from(days)))
}

/// Apply what reviews taught about this supplier to a fresh proposal (see the module
/// documentation). Returns whether anything changed.
pub fn apply_supplier_memory(
    proposal: &mut BookingProposal,
    invoice: &ExtractedInvoice,
    chart: &ChartOfAccounts,
    memory: &SupplierMemory,
) -> bool {
    let before = proposal.clone();
    if let Some(account) = memory.expense_account.as_deref() {
        proposal.lines = rebook_expenses(&proposal.lines, chart, account);
    }
    if let Some(code) = memory.vat_code.as_deref() {
        if let [index] = input_vat_lines(&proposal.lines, chart).as_slice() {
            let line = &mut proposal.lines[*index];
            if let Some(proposed) = line
                .vat_code
                .as_deref()
                .filter(|proposed| *proposed != code)
            {
                proposal.reasons.push(format!(
                    "The VAT line was coded {code}, as the bookkeeper booked this supplier \
                     before, but the document's rate gives {proposed}; check which applies."
                ));
                proposal.needs_review = true;
            }
            line.vat_code = Some(code.to_owned());
        }
    }
    if let Some(cost_centre) = &memory.cost_centre {
        proposal.cost_centre = Some(cost_centre.clone());
    }
    if proposal.due_date.is_none() {
        if let (Some(days), Some(issued)) = (memory.payment_terms_days, invoice.issue_date) {
            proposal.due_date = due_after(issued, days);
        }
    }
    *proposal != before
}

/// The reason a proposal gets when the administration has no memory of its supplier.
pub fn new_supplier_reason(invoice: &ExtractedInvoice) -> String {
    let supplier = match invoice.supplier_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => name,
        _ => "this supplier",
    };
    format!(
        "New supplier: {supplier} has not been reviewed in this administration before; check \
         the expense account and VAT code once, and its next invoices are booked the same way."
    )
}

/// The supplier memory for an invoice in an administration, if reviews taught any.
pub async fn supplier_memory_for(
    backends: &Backends,
    administration: AdministrationId,
    invoice: &ExtractedInvoice,
) -> Result<Option<SupplierMemory>, RecordsError> {
    match invoice.supplier_key() {
        Some(key) => backends.records.supplier_memory(administration, &key).await,
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use stapel_domain::{Decimal, VatBreakdown};

    fn two_rate_invoice() -> ExtractedInvoice {
        ExtractedInvoice {
            supplier_name: Some("Drukkerij B.V.".into()),
            invoice_number: Some("7".into()),
            issue_date: NaiveDate::from_ymd_opt(2026, 11, 21),
            currency: Some("EUR".into()),
            net_total: Some(Decimal::new(20000, 2)),
            vat_total: Some(Decimal::new(3000, 2)),
            gross_total: Some(Decimal::new(23000, 2)),
            vat_breakdown: vec![
                VatBreakdown {
                    rate: Decimal::new(21, 0),
                    base: Decimal::new(10000, 2),
                    amount: Decimal::new(2100, 2),
                    category: None,
                },
                VatBreakdown {
                    rate: Decimal::new(9, 0),
                    base: Decimal::new(10000, 2),
                    amount: Decimal::new(900, 2),
                    category: None,
                },
            ],
            ..Default::default()
        }
    }

    fn memory() -> SupplierMemory {
        SupplierMemory {
            administration_id: AdministrationId::new(),
            supplier_key: "name:drukkerij b.v.".into(),
            supplier_name: None,
            expense_account: Some("4930".into()),
            vat_code: Some("VAT-21-ND".into()),
            cost_centre: Some("KST-7".into()),
            payment_terms_days: Some(30),
            times_confirmed: 1,
            updated_by: "anna".into(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn field_corrections_change_only_what_differs_and_become_certain() {
        let mut invoice = two_rate_invoice();
        invoice.invoice_number = Some("2O26-1".into());
        invoice.confidence.insert("invoice_number".into(), 0.4);
        let before = invoice.clone();
        let corrections = FieldCorrections {
            invoice_number: Some(" 2026-1 ".into()),
            supplier_name: before.supplier_name.clone(),
            iban: Some("   ".into()),
            ..FieldCorrections::default()
        };
        let changes = corrections.apply(&mut invoice);
        assert_eq!(invoice.invoice_number.as_deref(), Some("2026-1"));
        assert_eq!(invoice.confidence["invoice_number"], 1.0);
        assert_eq!(
            invoice.iban, before.iban,
            "a blank correction is no correction"
        );
        assert_eq!(
            serde_json::Value::Object(changes),
            json!({"invoice_number": {"from": "2O26-1", "to": "2026-1"}}),
            "a field corrected to what was read is confirmed, not changed"
        );
        let unknown = serde_json::from_value::<FieldCorrections>(json!({"gross_total": "1"}));
        assert!(unknown.is_err(), "amounts are corrected through the lines");
    }

    #[test]
    fn one_vat_code_cannot_correct_a_two_rate_entry() {
        let chart = ChartOfAccounts::generic();
        let invoice = two_rate_invoice();
        let proposal = stapel_booking::propose_booking(&invoice, &chart);
        let request = ReviewRequest {
            action: ReviewAction::Correct,
            author: "anna".into(),
            expense_account: None,
            lines: None,
            vat_code: Some("VAT-21-ND".into()),
            cost_centre: None,
            payment_terms_days: None,
            fields: None,
        };
        let error = corrected_proposal(&proposal, &chart, Some(&invoice), &request).unwrap_err();
        assert!(matches!(error, ReviewError::AmbiguousVatCode(2)), "{error}");
        assert_eq!(error.code(), "review.ambiguous_vat_code");
    }

    #[test]
    fn memory_codes_only_a_single_vat_line_and_never_moves_a_printed_due_date() {
        let chart = ChartOfAccounts::generic();
        let mut invoice = two_rate_invoice();
        invoice.due_date = NaiveDate::from_ymd_opt(2026, 12, 1);
        let mut proposal = stapel_booking::propose_booking(&invoice, &chart);
        let codes_before: Vec<Option<String>> = proposal
            .lines
            .iter()
            .map(|line| line.vat_code.clone())
            .collect();
        assert!(apply_supplier_memory(
            &mut proposal,
            &invoice,
            &chart,
            &memory()
        ));
        let codes_after: Vec<Option<String>> = proposal
            .lines
            .iter()
            .map(|line| line.vat_code.clone())
            .collect();
        assert_eq!(
            codes_before, codes_after,
            "two VAT lines keep their own codes"
        );
        assert_eq!(proposal.due_date, invoice.due_date);
        assert_eq!(proposal.cost_centre.as_deref(), Some("KST-7"));
        assert!(proposal.lines.iter().any(|line| line.account == "4930"));
        assert!(proposal.is_balanced());
    }

    #[test]
    fn a_correction_teaches_a_vat_code_only_when_it_changed_one() {
        let chart = ChartOfAccounts::generic();
        let mut invoice = two_rate_invoice();
        invoice.vat_breakdown.truncate(1);
        invoice.net_total = Some(Decimal::new(10000, 2));
        invoice.vat_total = Some(Decimal::new(2100, 2));
        invoice.gross_total = Some(Decimal::new(12100, 2));
        let proposed = stapel_booking::propose_booking(&invoice, &chart);
        assert_eq!(taught_vat_code(&proposed, &proposed, &chart), None);
        let mut corrected = proposed.clone();
        let [index] = input_vat_lines(&corrected.lines, &chart)[..] else {
            panic!("one VAT line: {proposed:?}");
        };
        corrected.lines[index].vat_code = Some("VAT-21-ND".into());
        assert_eq!(
            taught_vat_code(&proposed, &corrected, &chart).as_deref(),
            Some("VAT-21-ND")
        );
        assert_eq!(printed_terms_days(&invoice), None);
        invoice.due_date = NaiveDate::from_ymd_opt(2026, 12, 5);
        assert_eq!(printed_terms_days(&invoice), Some(14));
    }
}
