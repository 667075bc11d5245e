#!/usr/bin/env bash
# Scanned pages end to end (render + OCR + fields + proposal) against the tesseract CLI's OCR
# alone, per page, same images, OMP_THREAD_LIMIT=1 for both, alternating, 3 rounds per page
# (--quick: 2): a warm child's first read of a page follows a page in another language, its
# later reads one in the same language. The CLI reads with the languages our reader settles on
# for the page (CLI_LANGS=eng: English for every page, as the 2026-12-07 loaded run did).
. "$(dirname "$0")/lib.sh"
build_release
need_debian tesseract-ocr:tesseract
export OMP_THREAD_LIMIT=1
"$EXAMPLES/per_document" scan --repeat "$([ "$QUICK" = 1 ] && echo 2 || echo 3)" \
  --worker "$BIN/worker" --cli-langs "${CLI_LANGS:-auto}" "${@:-samples}"
