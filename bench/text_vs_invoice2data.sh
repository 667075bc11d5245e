#!/usr/bin/env bash
# Text-layer invoices: stapel's process (in-process, and with the parser in a child as in
# production) against invoice2data 1.0.1 (bundled templates, pdftotext), alternating per
# document, fastest of 3; fields right against ground truth; then both command lines per file.
# Corpus: samples/, samples/real/, the public Factur-X PDFs (read through their text layer only)
# and a synthetic corpus; or the folders given as arguments.
. "$(dirname "$0")/lib.sh"
build_release
need_debian poppler-utils:pdftotext
need_python_venv
if [ $# -gt 0 ]; then
  corpus=("$@")
else
  synth=$WORK/synth-text
  synth_corpus "$synth" "$([ "$QUICK" = 1 ] && echo 30 || echo 100)" 31337
  mapfile -t corpus < <(existing samples samples/real "$DATA/facturx" "$synth")
fi
"$EXAMPLES/per_document" text --rounds 3 --worker "$BIN/worker" \
  --invoice2data "$VENV/bin/python" --cli "$BIN/dispatcher" \
  --cli-files 20 "${corpus[@]}"
