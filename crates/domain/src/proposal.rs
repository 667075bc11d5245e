//! The booking proposal: the journal entry a bookkeeper would otherwise type by hand.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One line of the journal entry. Exactly one of `debit` and `credit` is non-zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalLine {
    /// Account number in the administration's chart of accounts.
    pub account: String,
    /// What the line books, for the bookkeeper's eye.
    pub description: String,
    /// Debit amount (zero when the line is a credit).
    pub debit: Decimal,
    /// Credit amount (zero when the line is a debit).
    pub credit: Decimal,
    /// VAT code of the line, if it carries VAT meaning (e.g. `NL-21`).
    pub vat_code: Option<String>,
}

/// A balanced journal entry, plus what the bookkeeper should look at before accepting it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingProposal {
    /// The journal lines; debits equal credits to the cent.
    pub lines: Vec<ProposalLine>,
    /// True when any field is uncertain or the totals do not reconcile.
    pub needs_review: bool,
    /// Why review is needed, one human-readable sentence each.
    pub reasons: Vec<String>,
    /// The cost centre the entry is booked to (DATEV's KOST1), when a bookkeeper taught one
    /// for the supplier; cost accounting needs it and the invoice never prints it.
    /// Absent from proposals stored before it existed, hence the default.
    #[serde(default)]
    pub cost_centre: Option<String>,
    /// When the invoice is to be paid: the printed due date, else the issue date plus the
    /// payment terms the supplier memory learned, so payables can be scheduled either way.
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
}

impl BookingProposal {
    /// Sum of debits.
    pub fn total_debit(&self) -> Decimal {
        self.lines.iter().map(|line| line.debit).sum()
    }

    /// Sum of credits.
    pub fn total_credit(&self) -> Decimal {
        self.lines.iter().map(|line| line.credit).sum()
    }

    /// Debits equal credits. Every proposal stapel writes satisfies this.
    pub fn is_balanced(&self) -> bool {
        self.total_debit() == self.total_credit()
    }
}
