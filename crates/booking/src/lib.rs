//! Booking: turns an [`ExtractedInvoice`](stapel_domain::ExtractedInvoice) into a
//! [`BookingProposal`](stapel_domain::BookingProposal), the journal entry a bookkeeper would
//! otherwise type by hand.
//!
//! The main types are [`ChartOfAccounts`], the accounts to book on (loaded from TOML, with a
//! shipped [`ChartOfAccounts::generic`] default), and [`propose_booking`], a pure function.
//! There is no I/O here, so the stage can run anywhere and is tested without fixtures.
//!
//! # The entry
//!
//! A purchase invoice books three kinds of line:
//!
//! - **Expense**, debit, the net amount: one line per VAT rate when the VAT breakdown adds up to
//!   the booked net, otherwise one line. Expense lines carry no VAT code, so an importer never
//!   counts VAT twice.
//! - **Input VAT**, debit, the VAT amount: one line per rate when the breakdown adds up to the
//!   booked VAT, otherwise one line. Each carries a VAT code, `<country>-<rate>` (`NL-21`) when
//!   the chart has a country, else `VAT-<rate>` (`VAT-21`).
//! - **Accounts payable**, credit, the gross amount: what is owed to the supplier.
//!
//! A credit note books the same lines on the opposite sides. Lines are described as
//! `"<account name> <rate>% — <supplier> <invoice number>"` (for example
//! `"Expenses 21% — Acme B.V. 2026-118"`), leaving out whatever is unknown.
//!
//! # Invariants
//!
//! **Invariant:** every proposal is balanced: debits equal credits to the minor unit.
//! Every figure is rounded once, up front, with
//! [`round_to_currency`](stapel_domain::money::round_to_currency) (half away from zero), and
//! all later arithmetic is exact, with `expense + VAT == accounts payable` by construction.
//!
//! **Invariant:** every line has exactly one non-zero side; a zero amount makes no line at all,
//! so a zero-rated invoice has no VAT line. A negative amount is booked on the other side.
//!
//! **Invariant:** `needs_review` is true exactly when `reasons` is non-empty. Each reason is a
//! sentence a bookkeeper can act on, quoting the numbers as the document printed them.
//!
//! # Rules for incomplete or inconsistent figures
//!
//! Nothing is corrected silently. Where a rule derives a number, a reason says so, except the
//! plain arithmetic of rules 1 and 2 on figures read with confidence.
//!
//! 1. *Gross missing:* gross = net + VAT. A reason is given only when the net or VAT total was
//!    read with low confidence, since the arithmetic is otherwise exactly what the document
//!    implies.
//! 2. *Net missing:* net = gross − VAT, with the same low-confidence rule.
//! 3. *VAT total missing:* the sum of the VAT breakdown if there is one, otherwise zero; either
//!    way with a reason.
//! 4. *Net + VAT ≠ gross:* accounts payable is the gross (what is owed), VAT is booked as read,
//!    expenses are gross − VAT. The reason quotes net, VAT, gross and the difference.
//! 5. *Breakdown not adding up* to the net or VAT total: a reason per mismatch, and the side
//!    that does not add up is booked as a single line, labelled with the rate only when the
//!    breakdown has one rate.
//! 6. *VAT rate unknown* (no breakdown, and the invoice lines do not all print one rate): the
//!    VAT line has no VAT code, with a reason, as the VAT return needs one.
//! 7. *No gross and no net total:* an empty proposal (trivially balanced) with the reason
//!    "No amounts found". An empty entry cannot be booked by accident, and the reasons tell the
//!    bookkeeper what to type. All amounts zero gives an empty proposal too, with its own
//!    reason.
//! 8. *Negative total on an invoice:* booked as read (expenses on the credit side) with a reason,
//!    as it may be a credit note misread as an invoice. A *credit note* printed with negative
//!    amounts is normal, and books exactly like one printed with positive amounts.
//! 9. *Amounts with more decimals* than the currency has: rounded, with a reason listing each.
//! 10. *Any amount beyond [`MAX_AMOUNT`]* (10^15): a misread; an empty proposal with a reason.
//! 11. *Missing supplier name, invoice number, issue date or currency:* a reason each. Without a
//!     currency, amounts are booked as EUR; a currency that is not three capital letters gets a
//!     reason too, as its rounding may be wrong.
//! 12. *Low confidence:* each field in `invoice.confidence` below [`LOW_CONFIDENCE`] (or NaN)
//!     gets a reason naming it.
//!
//! Deliberately absent: the amount due (prepayments are a payment matter, not a booking one),
//! checking VAT amounts against base × rate, and guessing a rate from the ratio of VAT to net.
#![deny(missing_docs)]

mod chart;
mod propose;

pub use chart::{Account, AccountRole, BookingError, ChartOfAccounts};
pub use propose::{propose_booking, LOW_CONFIDENCE, MAX_AMOUNT};
