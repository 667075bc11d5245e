//! `GET /`: a single upload page. It uses only the public API, so it shows nothing a client
//! could not get; the bookkeeper UI of a later version grows from here.

use axum::response::Html;

/// The upload page.
pub async fn upload_page() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stapel — upload invoices</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
  form { border: 2px dashed #8a94a6; border-radius: .5rem; padding: 1.5rem; }
  form.over { background: #eef4ff; }
  table { border-collapse: collapse; width: 100%; margin-top: 1.5rem; }
  th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #d8dde6; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .done { color: #1a7f37; } .failed { color: #cf222e; } .queued, .processing { color: #9a6700; }
</style>
</head>
<body>
<h1>Upload invoices</h1>
<form id="upload">
  <label for="files">Invoices (PDF): choose files or drop them here</label><br>
  <input id="files" name="file" type="file" multiple required>
  <button type="submit">Upload</button>
  <p id="summary" role="status" aria-live="polite"></p>
</form>
<table aria-label="Uploaded documents">
  <thead><tr><th>File</th><th>Status</th><th>Supplier</th><th>Invoice no.</th><th>Date</th><th>Gross</th><th>Review</th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<script>
const form = document.getElementById('upload');
const rows = document.getElementById('rows');
const summary = document.getElementById('summary');
const pending = new Map();
function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text ?? ''; if (cls) td.className = cls; return td; }
function render(doc) {
  const row = pending.get(doc.id).row;
  row.replaceChildren();
  cell(row, doc.filename);
  cell(row, doc.status + (doc.error ? ': ' + doc.error.message : ''), doc.status);
  const inv = doc.invoice || {};
  cell(row, inv.supplier_name); cell(row, inv.invoice_number); cell(row, inv.issue_date);
  cell(row, inv.gross_total ? inv.gross_total + ' ' + (inv.currency || '') : '', 'num');
  cell(row, doc.proposal ? (doc.proposal.needs_review ? 'needs review: ' + doc.proposal.reasons.join(' ') : 'ok') : '');
}
async function poll() {
  for (const [id, entry] of pending) {
    if (entry.final) continue;
    const response = await fetch('/v1/documents/' + id);
    if (!response.ok) continue;
    const doc = await response.json();
    render(doc);
    entry.final = doc.status === 'done' || doc.status === 'failed';
  }
  const open = [...pending.values()].filter(e => !e.final).length;
  summary.textContent = open ? open + ' document(s) in progress…' : 'All documents processed.';
  if (open) setTimeout(poll, 1000);
}
async function upload(files) {
  const body = new FormData();
  for (const file of files) body.append('file', file);
  summary.textContent = 'Uploading ' + files.length + ' file(s)…';
  const response = await fetch('/v1/documents', { method: 'POST', body });
  const answer = await response.json();
  if (!response.ok) { summary.textContent = 'Upload refused: ' + answer.error.message; return; }
  for (const doc of answer.documents) { pending.set(doc.id, { row: rows.insertRow(), final: false }); render({ ...doc }); }
  poll();
}
form.addEventListener('submit', e => { e.preventDefault(); upload(document.getElementById('files').files); });
form.addEventListener('dragover', e => { e.preventDefault(); form.classList.add('over'); });
form.addEventListener('dragleave', () => form.classList.remove('over'));
form.addEventListener('drop', e => { e.preventDefault(); form.classList.remove('over'); upload(e.dataTransfer.files); });
</script>
</body>
</html>
"#;
