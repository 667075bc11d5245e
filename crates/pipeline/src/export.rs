//! Exports: the reviewed entries of an administration in a period, ready for the formatters
//! of `stapel_booking::export` (CSV, JSON, DATEV).

use crate::Backends;
use chrono::NaiveDate;
use stapel_booking::export::ExportEntry;
use stapel_domain::AdministrationId;
use stapel_records::RecordsError;

/// The accepted or corrected entries of `administration` with an issue date in `from..=to`:
/// each document's latest proposal version, with the fields an export names.
pub async fn reviewed_entries(
    backends: &Backends,
    administration: AdministrationId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ExportEntry>, RecordsError> {
    let ids = backends
        .records
        .reviewed_in_period(administration, from, to)
        .await?;
    let mut entries = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(latest) = backends.records.proposal_history(id).await?.pop() else {
            continue;
        };
        let invoice = backends.records.extraction(id).await?.unwrap_or_default();
        entries.push(ExportEntry {
            document_id: id,
            invoice_number: invoice.invoice_number,
            issue_date: invoice.issue_date,
            supplier_name: invoice.supplier_name,
            currency: invoice.currency.unwrap_or_else(|| "EUR".to_owned()),
            creditor_account: None,
            cost_centre: latest.proposal.cost_centre,
            due_date: latest.proposal.due_date,
            lines: latest.proposal.lines,
        });
    }
    Ok(entries)
}
