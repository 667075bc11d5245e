#!/usr/bin/env bash
# Scanned pages end to end (render + OCR + fields + proposal) against the tesseract CLI's OCR
# alone, per page, same images, OMP_THREAD_LIMIT=1 for both, alternating, fastest of 3.
. "$(dirname "$0")/lib.sh"
build_release
need_debian tesseract-ocr:tesseract
export OMP_THREAD_LIMIT=1
"$EXAMPLES/per_document" scan --repeat "$([ "$QUICK" = 1 ] && echo 1 || echo 3)" \
  --worker "$BIN/worker" --cli-langs "${CLI_LANGS:-eng}" "${@:-samples}"
