//! The pages' HTML. `maud` escapes every interpolated value, so file names and invoice text
//! from uploads cannot inject markup.

use chrono::NaiveDate;
use maud::{html, Markup, DOCTYPE};
use serde_json::Value;
use stapel_domain::DocumentId;
use stapel_pipeline::view::{BatchView, DeadLetterView, DocumentView};

/// Fields read with less confidence than this are highlighted for review.
const LOW_CONFIDENCE: f64 = 0.8;

/// The invoice fields shown on the review page, with their labels, in reading order.
const FIELDS: [(&str, &str); 14] = [
    ("supplier_name", "Supplier"),
    ("supplier_vat_id", "Supplier VAT id"),
    ("customer_name", "Customer"),
    ("invoice_number", "Invoice number"),
    ("document_type", "Document type"),
    ("issue_date", "Issue date"),
    ("due_date", "Due date"),
    ("currency", "Currency"),
    ("net_total", "Net total"),
    ("vat_total", "VAT total"),
    ("gross_total", "Gross total"),
    ("amount_due", "Amount due"),
    ("iban", "IBAN"),
    ("payment_terms", "Payment terms"),
];

fn layout(title: &str, session: Option<(&str, &str)>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some((_, csrf)) = session {
                    meta name="csrf-token" content=(csrf);
                }
                title { (title) " — stapel" }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "stapel" }
                    @if let Some((tenant, csrf)) = session {
                        nav aria-label="Main" {
                            a href="/" { "Upload" }
                            a href="/review" { "Review queue" }
                            a href="/failed" { "Failed" }
                        }
                        form.logout method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(csrf);
                            span.tenant { "Firm: " strong { (tenant) } }
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main #main { (body) }
            }
        }
    }
}

/// The login form.
pub fn login_page(csrf: &str, error: Option<&str>) -> Markup {
    layout(
        "Log in",
        None,
        html! {
            h1 { "Log in" }
            p { "Log in with your firm's API key. On a fresh local installation the dispatcher printed one when it first started (it is also in " code { "local-api-key" } " in the data directory)." }
            @if let Some(error) = error {
                p.error role="alert" { (error) }
            }
            form #login method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                label for="api_key" { "API key" }
                input #api_key type="password" name="api_key" autocomplete="current-password" required autofocus;
                button type="submit" { "Log in" }
            }
        },
    )
}

/// Upload a batch and watch it.
pub fn upload_page(tenant: &str, csrf: &str) -> Markup {
    layout(
        "Upload",
        Some((tenant, csrf)),
        html! {
            h1 { "Upload a batch" }
            form #upload {
                div.field {
                    label for="administration" { "Administration" }
                    input #administration name="administration" value="default" autocomplete="off"
                        aria-describedby="administration-help";
                    small #administration-help { "The client administration the invoices are booked in." }
                }
                div.field {
                    label for="batch-name" { "Batch name (optional)" }
                    input #batch-name name="batch_name" maxlength="200" autocomplete="off"
                        aria-describedby="batch-name-help";
                    small #batch-name-help { "Uploads with the same name go into the same batch." }
                }
                div #dropzone.dropzone {
                    label for="files" {
                        strong { "Drop invoices here" } " or choose files (PDF, images, XML)"
                    }
                    input #files type="file" name="file" multiple
                        accept=".pdf,.xml,.png,.jpg,.jpeg,.tif,.tiff,.webp,application/pdf,application/xml,text/xml,image/*";
                    p #chosen aria-live="polite" { "No files chosen." }
                }
                button #upload-button type="submit" { "Upload" }
                div.meter {
                    label for="upload-progress" { "Upload" }
                    progress #upload-progress max="100" value="0" {}
                }
                p #upload-error.error role="alert" hidden {}
            }
            section #live hidden aria-labelledby="live-title" {
                h2 #live-title { "Batch" }
                (live_batch_body())
            }
        },
    )
}

/// The counts, progress bar and per-file table the script fills (upload and batch pages).
fn live_batch_body() -> Markup {
    html! {
        div.meter {
            label for="processing-progress" { "Processed" }
            progress #processing-progress max="1" value="0" {}
            span #progress-text aria-live="polite" {}
        }
        dl.counts {
            div { dt { "Queued" } dd #count-queued { "0" } }
            div { dt { "Processing" } dd #count-processing { "0" } }
            div { dt { "Done" } dd #count-done { "0" } }
            div { dt { "Failed" } dd #count-failed { "0" } }
        }
        p #batch-links {}
        nav #pager aria-label="Pages of the batch" hidden {
            button #page-prev type="button" { "Previous" }
            span #page-text aria-live="polite" {}
            button #page-next type="button" { "Next" }
        }
        div.table-wrap {
            table #documents {
                caption.visually-hidden { "Documents of the batch" }
                thead {
                    tr {
                        th scope="col" { "File" }
                        th scope="col" { "Status" }
                        th scope="col" { "Supplier" }
                        th scope="col" { "Invoice no." }
                        th scope="col" { "Date" }
                        th.num scope="col" { "Gross" }
                        th scope="col" { "Review" }
                    }
                }
                tbody {}
            }
        }
    }
}

/// One batch: live status, duplicates, export.
pub fn batch_page(
    tenant: &str,
    csrf: &str,
    batch: &BatchView,
    from: NaiveDate,
    to: NaiveDate,
) -> Markup {
    layout(
        "Batch",
        Some((tenant, csrf)),
        html! {
            h1 {
                @if let Some(name) = &batch.name { (name) " " }
                "Batch " code { (batch.id.to_string()) }
            }
            p { "Created " (batch.created_at.format("%Y-%m-%d %H:%M UTC").to_string()) ", " (batch.total.to_string()) " document(s)." }
            section #live data-batch=(batch.id.to_string()) aria-labelledby="live-title" {
                h2 #live-title { "Documents" }
                (live_batch_body())
            }
            section aria-labelledby="export-title" {
                h2 #export-title { "Export" }
                p { "Reviewed (accepted or corrected) entries of the administration with an issue date in the period." }
                form #export method="get" action="/v1/exports" {
                    div.field {
                        label for="export-from" { "From" }
                        input #export-from type="date" name="from" value=(from.to_string()) required;
                    }
                    div.field {
                        label for="export-to" { "To" }
                        input #export-to type="date" name="to" value=(to.to_string()) required;
                    }
                    div.field {
                        label for="export-format" { "Format" }
                        select #export-format name="format" {
                            option value="csv" { "CSV" }
                            option value="json" { "JSON" }
                            option value="datev" { "DATEV (EXTF Buchungsstapel)" }
                        }
                    }
                    div.field.datev {
                        label for="export-consultant" { "DATEV consultant number" }
                        input #export-consultant type="number" name="consultant" min="1";
                    }
                    div.field.datev {
                        label for="export-client" { "DATEV client number" }
                        input #export-client type="number" name="client" min="1";
                    }
                    button type="submit" { "Export" }
                }
            }
        },
    )
}

/// The firm's failed documents with their reasons, and the jobs kept in the dead-letter queue.
pub fn failed_page(
    tenant: &str,
    csrf: &str,
    failed: &[DocumentView],
    dead_letters: &[DeadLetterView],
) -> Markup {
    let dead: std::collections::HashSet<DocumentId> = dead_letters
        .iter()
        .filter_map(|letter| letter.document_id)
        .collect();
    layout(
        "Failed documents",
        Some((tenant, csrf)),
        html! {
            h1 { "Failed documents" }
            @if failed.is_empty() {
                p #failed-none { "No document has failed." }
            } @else {
                p { "Most recent first. A file that cannot be read (corrupt, encrypted, not an invoice) fails for good: upload a better copy. A job marked " em { "dead-lettered" } " failed on every attempt for a reason outside the file; it is kept, and your administrator can send it back to work once the cause is fixed." }
                table #failed {
                    thead { tr { th { "File" } th { "Batch" } th { "Error" } th { "Attempts" } th { "Failed at" } } }
                    tbody {
                        @for document in failed {
                            tr data-document=(document.id.to_string()) {
                                td { (document.filename) }
                                td { a href={ "/batches/" (document.batch.to_string()) } { code { (short_id(&document.batch.to_string())) } } }
                                td {
                                    @if let Some(error) = &document.error {
                                        code.error-code { (error.code) } " " (error.message)
                                    }
                                    @if dead.contains(&document.id) {
                                        " " strong.dead-lettered { "dead-lettered" }
                                    }
                                }
                                td { (document.attempts.to_string()) }
                                td { (document.finished_at.map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The first block of an id, enough to tell batches apart on a page.
fn short_id(id: &str) -> &str {
    id.split('-').next().unwrap_or(id)
}

/// Why a field needs a look, if it does.
fn field_concern(invoice: &Value, field: &str) -> Option<String> {
    let value = &invoice[field];
    if value.is_null() {
        // Optional fields that are often absent are not worth a highlight.
        return matches!(
            field,
            "supplier_name" | "invoice_number" | "issue_date" | "gross_total"
        )
        .then(|| "not read".to_owned());
    }
    let confidence = invoice["confidence"][field].as_f64()?;
    (confidence < LOW_CONFIDENCE).then(|| {
        format!(
            "read with low confidence ({:.0} %)",
            (confidence * 100.0).round()
        )
    })
}

/// The input type of a field the reviewer can correct (see `FieldCorrections`); amounts are
/// corrected through the journal lines.
fn editable(field: &str) -> Option<&'static str> {
    match field {
        "supplier_name" | "supplier_vat_id" | "invoice_number" | "iban" => Some("text"),
        "issue_date" | "due_date" => Some("date"),
        _ => None,
    }
}

fn display(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// One document's review: page image, fields, proposal.
pub fn review_page(
    tenant: &str,
    csrf: &str,
    view: &DocumentView,
    next: Option<DocumentId>,
) -> Markup {
    let invoice = view
        .invoice
        .as_ref()
        .and_then(|invoice| serde_json::to_value(invoice).ok())
        .unwrap_or(Value::Null);
    let next_url = next.map_or_else(
        || format!("/batches/{}", view.batch),
        |next| format!("/documents/{next}"),
    );
    layout(
        "Review",
        Some((tenant, csrf)),
        html! {
            nav.crumbs aria-label="Breadcrumb" {
                a href=(format!("/batches/{}", view.batch)) { "Batch" }
                " › " span { (view.filename) }
            }
            h1 { "Review " span.filename { (view.filename) } }
            p {
                "Status: " strong.status { (view.status.to_string()) }
                @if let Some(review) = view.review_status { ", review: " strong #review-status { (review) } }
            }
            @if let Some(error) = &view.error {
                p.error role="alert" { "[" (error.code) "] " (error.message) }
            }
            div.review-grid {
                section.page aria-labelledby="page-title" {
                    h2 #page-title { "Page " span #page-number { "1" } }
                    div.page-nav {
                        button #page-prev type="button" disabled { "Previous page" }
                        button #page-next type="button" { "Next page" }
                    }
                    img #page-image src=(format!("/v1/documents/{}/pages/1", view.id))
                        data-document=(view.id.to_string())
                        alt=(format!("Page 1 of {}", view.filename));
                    p #page-missing hidden { "No page image for this document (an XML e-invoice, or no such page)." }
                }
                div.details {
                    section aria-labelledby="fields-title" {
                        h2 #fields-title { "Extracted fields" }
                        @if invoice.is_null() {
                            p { "No fields yet: the document is not done." }
                        } @else {
                            table.fields {
                                caption.visually-hidden { "Extracted invoice fields" }
                                tbody {
                                    @for (field, label) in FIELDS {
                                        @let concern = field_concern(&invoice, field);
                                        tr.needs-review[concern.is_some()] {
                                            th scope="row" { (label) }
                                            @if let Some(kind) = editable(field) {
                                                @let value = invoice[field].as_str().unwrap_or_default();
                                                td data-field=(field) {
                                                    input.field-edit form="review" type=(kind) name=(field)
                                                        value=(value) data-original=(value)
                                                        aria-label=(format!("{label} (correctable)"));
                                                }
                                            } @else {
                                                td data-field=(field) { (display(&invoice[field])) }
                                            }
                                            td.concern { @if let Some(concern) = &concern { "⚠ " (concern) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if let Some(proposal) = &view.proposal {
                        section aria-labelledby="proposal-title" {
                            h2 #proposal-title { "Proposed journal entry" }
                            @if proposal.needs_review {
                                div.reasons role="note" aria-label="Why this needs review" {
                                    ul { @for reason in &proposal.reasons { li { (reason) } } }
                                }
                            }
                            form #review data-document=(view.id.to_string()) data-next=(next_url) data-author=(tenant) {
                                div.table-wrap {
                                    table #lines {
                                        caption.visually-hidden { "Journal lines; accounts and amounts can be corrected" }
                                        thead {
                                            tr {
                                                th scope="col" { "Account" }
                                                th scope="col" { "Description" }
                                                th.num scope="col" { "Debit" }
                                                th.num scope="col" { "Credit" }
                                                th scope="col" { "VAT code" }
                                            }
                                        }
                                        tbody {
                                            @for (index, line) in proposal.lines.iter().enumerate() {
                                                @let n = index + 1;
                                                tr.line {
                                                    td { input.account name="account" value=(line.account) size="8"
                                                        aria-label=(format!("Account of line {n}")); }
                                                    td { input.description name="description" value=(line.description)
                                                        aria-label=(format!("Description of line {n}")); }
                                                    td.num { input.debit name="debit" value=(line.debit.to_string()) size="10" inputmode="decimal"
                                                        aria-label=(format!("Debit of line {n}")); }
                                                    td.num { input.credit name="credit" value=(line.credit.to_string()) size="10" inputmode="decimal"
                                                        aria-label=(format!("Credit of line {n}")); }
                                                    td { input.vat-code name="vat_code" value=(line.vat_code.clone().unwrap_or_default()) size="8"
                                                        aria-label=(format!("VAT code of line {n}")); }
                                                }
                                            }
                                        }
                                    }
                                }
                                div.actions {
                                    button #accept type="button" aria-keyshortcuts="a" { "Accept " kbd { "A" } }
                                    button #correct type="submit" { "Save correction" }
                                    a #next href=(next_url) aria-keyshortcuts="n" { "Next document " kbd { "N" } }
                                }
                                p #review-message role="status" aria-live="polite" {}
                            }
                        }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_key_fields_and_low_confidence_are_flagged() {
        let invoice = json!({
            "supplier_name": "ACME",
            "invoice_number": null,
            "iban": null,
            "gross_total": "121.00",
            "confidence": {"supplier_name": 0.95, "gross_total": 0.5},
        });
        assert_eq!(field_concern(&invoice, "supplier_name"), None);
        assert_eq!(
            field_concern(&invoice, "invoice_number").as_deref(),
            Some("not read")
        );
        assert_eq!(field_concern(&invoice, "iban"), None);
        assert_eq!(
            field_concern(&invoice, "gross_total").as_deref(),
            Some("read with low confidence (50 %)")
        );
    }

    #[test]
    fn uploaded_text_is_escaped() {
        let page = login_page("t", Some("<script>alert(1)</script>")).into_string();
        assert!(!page.contains("<script>alert(1)"));
        assert!(page.contains("&lt;script&gt;alert(1)"));
    }
}
