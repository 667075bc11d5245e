//! Booking: turns an [`ExtractedInvoice`](stapel_domain::ExtractedInvoice) into a
//! [`BookingProposal`](stapel_domain::BookingProposal), the journal entry a bookkeeper would
//! otherwise type by hand, and formats accepted entries for export.
//!
//! The main types are [`ChartOfAccounts`], the accounts to book on (loaded from TOML; six
//! charts ship, see [`ChartOfAccounts::builtin`]), [`propose_booking`], a pure function, the
//! VAT rate table in [`vat`], and the export formatters in [`export`] (CSV, JSON, DATEV).
//! There is no I/O here, so the stage can run anywhere and is tested without fixtures.
//!
//! # The entry
//!
//! A purchase invoice books three kinds of line:
//!
//! - **Expense**, debit, the net amount: one line per VAT rate when the VAT breakdown adds up to
//!   the booked net, otherwise one line.
//! - **Input VAT**, debit, the VAT amount: one line per rate when the breakdown adds up to the
//!   booked VAT, otherwise one line. Each carries the VAT code of its rate and is booked on
//!   the chart's input VAT account for that rate class (SKR03: 1576 for 19 %, 1571 for 7 %).
//! - **Accounts payable**, credit, the gross amount: what is owed to the supplier.
//!
//! A VAT code sits on the line whose amount the VAT return needs, never on two lines of one
//! rate: on the VAT line for VAT the supplier charged (the return wants the tax), on the
//! expense line of a zero-rated or exempt base (there is no VAT line), and on the expense line
//! and both VAT lines of a reverse charge (the return wants the base and the tax). An importer
//! that sums amounts per code therefore never counts charged VAT twice.
//!
//! A credit note books the same lines on the opposite sides. Lines are described as
//! `"<account name> <rate>% — <supplier> <invoice number>"` (for example
//! `"Expenses 21% — Acme B.V. 2026-118"`), leaving out whatever is unknown.
//!
//! # VAT codes
//!
//! With a chart that names a country, codes come from the table in [`vat`]: `<country>-<rate>`
//! (`NL-21`, `FR-5.5`, `DE-0`) for the rates that country has, `<country>-RC-<rate>`
//! (`DE-RC-19`) for self-assessed VAT, and `<country>-E` (`NL-E`) for a base the VAT
//! breakdown marks exempt (category `E`); a zero-rated base (`Z`, or a 0 % row without a
//! category) keeps `<country>-0`. A rate the country does not have gets no code and a
//! reason, never a guessed one. A country missing from the table gets `<country>-<rate>`
//! unchecked, with a reason. The generic chart (no country) codes `VAT-<rate>` unchecked.
//!
//! # VAT regimes
//!
//! The chart's country is the administration's, and so the buyer's member state. The
//! supplier's and the customer's countries come from the prefixes of their VAT ids.
//! [`detect_reverse_charge`] collects those, the VAT breakdown's categories `AE` (reverse
//! charge) and `K` (intra-community supply), and any reverse-charge notice ("reverse charge",
//! "BTW verlegd", "Steuerschuldnerschaft des Leistungsempfängers", "autoliquidation",
//! "inversione contabile", "omvendt betalingspligt", ...) in the document's text (when
//! [`propose_booking_with_text`] is given it), the invoice lines and the payment terms.
//! A *notice* below is such a text or category.
//!
//! | VAT charged | supplier | notice | booking |
//! |---|---|---|---|
//! | yes | domestic or unknown | no | **Domestic**: as charged, coded per rate |
//! | yes | another country | no | **Foreign VAT**: as charged on the general input VAT account, no code, reason (not deductible at home) |
//! | yes | any | yes | as above, plus a reason: the notice contradicts the VAT charged |
//! | no | domestic or unknown | no | **Zero-rated or exempt**: expense line with the zero-rate (or, for category `E`, exempt) code, no VAT line |
//! | no | another EU state | any | **Reverse charge** |
//! | no | domestic or unknown | yes | **Reverse charge** (domestic, or country unknown) |
//! | no | outside the EU | any | **Import**: expense only, no code, reason on import VAT |
//!
//! Further rules, each with a reason (so the entry goes to review):
//!
//! - A customer VAT id from another country than the chart's: the invoice may be addressed to
//!   someone else; it is booked as the chart's country's purchase all the same.
//! - Supplier and customer VAT ids from different member states while VAT is charged: an
//!   intra-community supply is usually reverse charged; booked as charged.
//! - Every breakdown row says `E`, `Z`, `O` or `G` while a VAT id or notice points to the
//!   reverse charge: booked as stated (no VAT), the conflict named.
//! - A row marked `E` or `Z` that charges VAT: booked as charged.
//! - Categories `O` and `G` from a domestic or EU supplier: booked without a code (no box of
//!   the return takes them); from a non-EU supplier they are the import case above.
//! - Categories `L` and `M` (Canary Islands IGIC, Ceuta and Melilla IPSI): local taxes, not
//!   input VAT; their lines have no code. An unknown code is named and booked by its rate.
//!
//! **Reverse charge:** expense at the net and accounts payable at the gross (which is the net),
//! plus the VAT self-assessed at the administration's standard rate on the net, debited to the
//! reverse-charge input VAT account and credited to the reverse-charge output VAT account; all
//! three lines carry the `<country>-RC-<rate>` code. The reason says why the reverse charge
//! applies and what to check (goods or services, a reduced rate, a missing notice). Without a
//! country, a standard rate or reverse-charge accounts in the chart, nothing is self-assessed
//! and the reason says so. When the VAT total was not read at all, nothing is decided either.
//!
//! Every regime but the domestic and zero-rated ones gives a reason, so the bookkeeper
//! confirms the VAT treatment before the entry is booked.
//!
//! # Invariants
//!
//! **Invariant:** every proposal is balanced: debits equal credits to the minor unit.
//! Every figure is rounded once, up front, with
//! [`round_to_currency`](stapel_domain::money::round_to_currency) (half away from zero), and
//! all later arithmetic is exact, with `expense + VAT == accounts payable` by construction.
//! The one derived amount, self-assessed VAT, is rounded once with the same rule and booked on
//! both sides, so it cannot unbalance the entry.
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
//!    VAT line has no VAT code, with a reason, as the VAT return needs one. A rate the chart's
//!    country does not have is treated the same way.
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
//!     reason too, as its rounding may be wrong. An invoice in another currency than the
//!     chart's gets a reason, as the amounts need converting.
//! 12. *Low confidence:* each field in `invoice.confidence` below [`LOW_CONFIDENCE`] (or NaN)
//!     gets a reason naming it.
//!
//! Deliberately absent: the amount due (prepayments are a payment matter, not a booking one),
//! checking VAT amounts against base × rate, guessing a rate from the ratio of VAT to net,
//! telling goods from services (the reverse charge is booked as a service, and the reason
//! names the accounts for goods), invoices that mix reverse-charged rows with rows that
//! charge VAT (booked as charged, with a reason), and self-assessment in a member state other
//! than the chart's.
#![deny(missing_docs)]

mod chart;
pub mod export;
mod propose;
pub mod vat;

pub use chart::{Account, AccountRole, BookingError, ChartOfAccounts, ReverseChargeAccounts};
pub use propose::{
    detect_reverse_charge, propose_booking, propose_booking_with_text, ReverseChargeEvidence,
    LOW_CONFIDENCE, MAX_AMOUNT,
};
