//! The domain model of stapel: what a document, a job, an extracted invoice and a booking
//! proposal are. No I/O lives here; every other crate speaks in these types.
//!
//! The JSON shapes of [`ExtractedInvoice`] and [`BookingProposal`] are the public contract of the
//! HTTP API and the CLI: fields are added, never renamed. [`JobMessage`] is the versioned wire
//! type that travels through the queue.
#![deny(missing_docs)]

mod document;
mod invoice;
mod job;
pub mod money;
mod proposal;

pub use document::{
    AdministrationId, BatchId, DocumentId, DocumentStatus, ErrorInfo, ParseIdError,
};
pub use invoice::{
    AllowanceCharge, DocumentType, ExtractedInvoice, InvoiceLine, Source, VatBreakdown, VatCategory,
};
pub use job::{JobDecodeError, JobMessage, JobPart, JOB_MESSAGE_VERSION};
pub use money::Decimal;
pub use proposal::{BookingProposal, ProposalLine};
