// stapel web page: upload with progress, live batch status, review with keyboard shortcuts.
// Only the public JSON API is called, with the session cookie and the CSRF token.
"use strict";

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

function badge(parent, text, className) {
  const span = document.createElement("span");
  span.className = `badge ${className}`;
  span.textContent = text;
  parent.append(span);
}

async function apiError(response) {
  try {
    const body = await response.json();
    return body.error ? `${body.error.message} (${body.error.code})` : `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

// Rows per page of the live view: a 10,000-invoice batch is polled a page at a time.
const PAGE_SIZE = 100;

// The live view of a batch: counts, progress bar and one row per file of the page shown,
// polled every second (every three for a large batch) until every document is done or failed.
function watchBatch(section, batchId) {
  const tbody = section.querySelector("#documents tbody");
  const pager = section.querySelector("#pager");
  const pageText = section.querySelector("#page-text");
  let offset = 0;
  let total = 0;
  let timer = null;
  section.querySelector("#page-prev").onclick = () => turn(-PAGE_SIZE);
  section.querySelector("#page-next").onclick = () => turn(PAGE_SIZE);
  function turn(by) {
    const next = offset + by;
    if (next < 0 || next >= total) return;
    offset = next;
    clearTimeout(timer);
    poll();
  }
  const progress = section.querySelector("#processing-progress");
  const progressText = section.querySelector("#progress-text");
  const links = section.querySelector("#batch-links");
  section.dataset.batch = batchId;
  section.hidden = false;
  if (!location.pathname.startsWith("/batches/")) {
    links.replaceChildren();
    const link = document.createElement("a");
    link.href = `/batches/${batchId}`;
    link.textContent = "Batch page (duplicates and export)";
    links.append(link);
  }

  async function poll() {
    // A later upload on the same page watches its own batch; this loop then stops.
    if (section.dataset.batch !== batchId) return;
    let data;
    try {
      const response = await fetch(
        `/v1/batches/${batchId}/documents?offset=${offset}&limit=${PAGE_SIZE}`,
        { credentials: "same-origin" },
      );
      if (!response.ok) {
        progressText.textContent = await apiError(response);
        return;
      }
      data = await response.json();
      if (section.dataset.batch !== batchId) return;
    } catch (error) {
      progressText.textContent = `Connection lost, retrying: ${error}`;
      timer = setTimeout(poll, 3000);
      return;
    }
    render(data);
    const finished = data.counts.done + data.counts.failed;
    if (finished < data.total) {
      timer = setTimeout(poll, data.total > 500 ? 3000 : 1000);
    } else {
      section.dataset.finished = "true";
    }
  }

  function render(data) {
    for (const status of ["queued", "processing", "done", "failed"]) {
      section.querySelector(`#count-${status}`).textContent = data.counts[status];
    }
    const finished = data.counts.done + data.counts.failed;
    progress.max = Math.max(data.total, 1);
    progress.value = finished;
    progressText.textContent = `${finished} of ${data.total} finished`;
    total = data.total;
    pager.hidden = total <= PAGE_SIZE;
    pageText.textContent = `${offset + 1}–${Math.min(offset + PAGE_SIZE, total)} of ${total}`;
    const rows = data.document_views.map((doc) => {
      const row = document.createElement("tr");
      row.dataset.document = doc.id;
      row.dataset.status = doc.status;
      const name = row.insertCell();
      if (doc.status === "done") {
        const link = document.createElement("a");
        link.href = `/documents/${doc.id}`;
        link.textContent = doc.filename;
        name.append(link);
      } else {
        name.textContent = doc.filename;
      }
      const status = cell(row, doc.status, `status-${doc.status}`);
      if (doc.error) status.title = `${doc.error.code}: ${doc.error.message}`;
      if (doc.status === "failed" && doc.error) status.textContent = `failed (${doc.error.code})`;
      const invoice = doc.invoice ?? {};
      cell(row, invoice.supplier_name);
      cell(row, invoice.invoice_number);
      cell(row, invoice.issue_date);
      cell(row, invoice.gross_total ? `${invoice.gross_total} ${invoice.currency ?? ""}` : "", "num");
      const review = cell(row, doc.review_status ?? "");
      const reasons = doc.proposal?.reasons ?? [];
      if (reasons.some((reason) => /duplicate/i.test(reason))) {
        badge(review, "duplicate", "duplicate");
        row.classList.add("duplicate");
      }
      if (doc.review_status === "pending" && doc.proposal?.needs_review) badge(review, "needs review", "review");
      return row;
    });
    tbody.replaceChildren(...rows);
  }

  poll();
}

function setUpUpload(form) {
  const input = form.querySelector("#files");
  const dropzone = form.querySelector("#dropzone");
  const chosen = form.querySelector("#chosen");
  const errorBox = form.querySelector("#upload-error");
  const uploadProgress = form.querySelector("#upload-progress");
  let files = [];

  function choose(list) {
    files = Array.from(list);
    chosen.textContent = files.length === 0 ? "No files chosen." : `${files.length} file(s) chosen: ${files.map((f) => f.name).join(", ")}`;
  }
  input.addEventListener("change", () => choose(input.files));
  for (const type of ["dragenter", "dragover"]) {
    dropzone.addEventListener(type, (event) => {
      event.preventDefault();
      dropzone.classList.add("over");
    });
  }
  dropzone.addEventListener("dragleave", () => dropzone.classList.remove("over"));
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropzone.classList.remove("over");
    choose(event.dataTransfer.files);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    if (files.length === 0 && input.files.length > 0) choose(input.files);
    if (files.length === 0) {
      errorBox.textContent = "Choose or drop at least one file.";
      errorBox.hidden = false;
      return;
    }
    const body = new FormData();
    const administration = form.querySelector("#administration").value.trim();
    if (administration) body.append("administration", administration);
    const batchName = form.querySelector("#batch-name").value.trim();
    if (batchName) body.append("batch_name", batchName);
    for (const file of files) body.append("file", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", "/v1/documents");
    request.setRequestHeader("x-csrf-token", csrfToken);
    request.responseType = "json";
    request.upload.addEventListener("progress", (progress) => {
      if (progress.lengthComputable) uploadProgress.value = (100 * progress.loaded) / progress.total;
    });
    const button = form.querySelector("#upload-button");
    button.disabled = true;
    request.addEventListener("loadend", () => {
      button.disabled = false;
      if (request.status === 202) {
        uploadProgress.value = 100;
        watchBatch(document.querySelector("#live"), request.response.batch);
        choose([]);
        input.value = "";
      } else {
        const error = request.response?.error;
        errorBox.textContent = error ? `${error.message} (${error.code})` : `Upload failed (HTTP ${request.status}).`;
        errorBox.hidden = false;
      }
    });
    request.send(body);
  });
}

function setUpReview(form) {
  const id = form.dataset.document;
  const message = form.querySelector("#review-message");
  const next = () => location.assign(form.dataset.next);

  async function send(review) {
    message.textContent = "Saving…";
    const response = await fetch(`/v1/documents/${id}/review`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrfToken },
      body: JSON.stringify({ author: form.dataset.author, ...review }),
    });
    if (response.ok) {
      const result = await response.json();
      message.textContent = `Saved as version ${result.version}.`;
      form.dataset.saved = review.action;
      next();
    } else {
      message.textContent = await apiError(response);
      message.classList.add("error");
    }
  }

  const accept = () => send({ action: "accept" });
  form.querySelector("#accept").addEventListener("click", accept);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const lines = Array.from(form.querySelectorAll("tr.line")).map((row) => ({
      account: row.querySelector(".account").value.trim(),
      description: row.querySelector(".description").value,
      debit: row.querySelector(".debit").value.trim() || "0",
      credit: row.querySelector(".credit").value.trim() || "0",
      vat_code: row.querySelector(".vat-code").value.trim() || null,
    }));
    // Only the fields the reviewer changed; an emptied field is left as read.
    const fields = {};
    for (const input of document.querySelectorAll("input.field-edit")) {
      const value = input.value.trim();
      if (value && value !== input.dataset.original) fields[input.name] = value;
    }
    send(Object.keys(fields).length ? { action: "correct", lines, fields } : { action: "correct", lines });
  });
  // One key to accept, one for the next document; never while typing in a field.
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, button")) return;
    if (event.key === "a" || event.key === "A") {
      event.preventDefault();
      accept();
    } else if (event.key === "n" || event.key === "N") {
      event.preventDefault();
      next();
    }
  });
}

function setUpPages(image) {
  let page = 1;
  const prev = document.querySelector("#page-prev");
  const nextButton = document.querySelector("#page-next");
  const missing = document.querySelector("#page-missing");
  const show = (number) => {
    page = number;
    image.src = `/v1/documents/${image.dataset.document}/pages/${page}`;
    image.alt = image.alt.replace(/^Page \d+/, `Page ${page}`);
    document.querySelector("#page-number").textContent = page;
    prev.disabled = page === 1;
  };
  image.addEventListener("error", () => {
    if (page > 1) {
      show(page - 1);
      nextButton.disabled = true;
    } else {
      image.hidden = true;
      missing.hidden = false;
      nextButton.disabled = true;
    }
  });
  prev.addEventListener("click", () => {
    nextButton.disabled = false;
    show(page - 1);
  });
  nextButton.addEventListener("click", () => show(page + 1));
}

function setUpExport(form) {
  const format = form.querySelector("#export-format");
  // Hidden DATEV numbers are disabled too, so they are not sent (empty) with CSV or JSON.
  const toggle = () => {
    const datev = format.value === "datev";
    form.classList.toggle("datev-on", datev);
    for (const input of form.querySelectorAll(".datev input")) {
      input.disabled = !datev;
      input.required = datev;
    }
  };
  format.addEventListener("change", toggle);
  toggle();
}

document.addEventListener("DOMContentLoaded", () => {
  const upload = document.querySelector("form#upload");
  if (upload) setUpUpload(upload);
  const live = document.querySelector("#live[data-batch]");
  if (live) watchBatch(live, live.dataset.batch);
  const review = document.querySelector("form#review");
  if (review) setUpReview(review);
  const image = document.querySelector("#page-image");
  if (image) setUpPages(image);
  const exportForm = document.querySelector("form#export");
  if (exportForm) setUpExport(exportForm);
});
