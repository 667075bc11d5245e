//! Review: a bookkeeper accepts or corrects a proposal, and stapel learns from it.
//!
//! Every review appends a version to the document's proposal history (the machine's proposal
//! stays version 1; who, when and what changed are kept), and teaches the supplier memory of
//! the document's administration: the expense account the bookkeeper booked this supplier on.
//! The next invoice of that supplier (same VAT id, else IBAN, else normalised name) is proposed
//! on that account at once: one correction is enough.

use crate::Backends;
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
    /// Correct: the whole entry as it should be (must balance). Wins over `expense_account`.
    #[serde(default)]
    pub lines: Option<Vec<ProposalLine>>,
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
    #[error("a correction needs `expense_account` or `lines`")]
    NothingToCorrect,
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
            Self::Unbalanced { .. } => "review.unbalanced",
            Self::InvalidLine(_) => "review.invalid_line",
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

/// Accept or correct a document's current proposal, and teach the supplier memory.
pub async fn review_document(
    backends: &Backends,
    chart: &ChartOfAccounts,
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
    let (action, proposal, changes) = match request.action {
        ReviewAction::Accept => (ProposalAction::Accepted, current.clone(), None),
        ReviewAction::Correct => {
            let corrected = corrected_proposal(&current, chart, request)?;
            let changes = json!({"lines": {"from": current.lines, "to": corrected.lines}});
            (ProposalAction::Corrected, corrected, Some(changes))
        }
    };
    let review = NewReview {
        document_id: id,
        author: request.author.clone(),
        action,
        proposal: proposal.clone(),
        changes,
    };
    let version = match backends.records.record_review(&review).await? {
        ReviewOutcome::Recorded { version } => version,
        ReviewOutcome::NotReviewable => return Err(ReviewError::NotReviewable(id)),
        ReviewOutcome::NotFound => return Err(ReviewError::NotFound(id)),
    };
    let invoice = backends.records.extraction(id).await?;
    let learned = match invoice.as_ref().and_then(ExtractedInvoice::supplier_key) {
        Some(key) => {
            let expense_account = expense_account_of(&proposal, chart);
            backends
                .records
                .remember_supplier(&SupplierUpdate {
                    administration: record.document.administration_id,
                    supplier_key: &key,
                    supplier_name: invoice.as_ref().and_then(|i| i.supplier_name.as_deref()),
                    expense_account: expense_account.as_deref(),
                    vat_code: None,
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
    request: &ReviewRequest,
) -> Result<BookingProposal, ReviewError> {
    let lines = match (&request.lines, &request.expense_account) {
        (Some(lines), _) => {
            for (index, line) in lines.iter().enumerate() {
                let one_side = line.debit.is_zero() != line.credit.is_zero();
                if line.account.trim().is_empty() || !one_side {
                    return Err(ReviewError::InvalidLine(index));
                }
            }
            lines.clone()
        }
        (None, Some(account)) => rebook_expenses(&current.lines, chart, account),
        (None, None) => return Err(ReviewError::NothingToCorrect),
    };
    let corrected = BookingProposal {
        lines,
        // A bookkeeper's entry is the decision; nothing is left to review.
        needs_review: false,
        reasons: Vec::new(),
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

/// The account the expense lines of a reviewed entry are on: the first line that is not the
/// chart's VAT or payables account.
fn expense_account_of(proposal: &BookingProposal, chart: &ChartOfAccounts) -> Option<String> {
    let not_expense = [
        chart.input_vat().number(),
        chart.accounts_payable().number(),
    ];
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

/// Apply what reviews taught about this supplier to a fresh proposal: expense lines go to the
/// remembered account. Returns whether anything changed.
pub fn apply_supplier_memory(
    proposal: &mut BookingProposal,
    chart: &ChartOfAccounts,
    memory: &SupplierMemory,
) -> bool {
    let Some(account) = memory.expense_account.as_deref() else {
        return false;
    };
    let before = proposal.lines.clone();
    proposal.lines = rebook_expenses(&proposal.lines, chart, account);
    proposal.lines != before
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
