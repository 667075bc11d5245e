#!/usr/bin/env bash
# Structured e-invoices (UBL, CII, ZUGFeRD 1.0, FatturaPA, hybrid PDFs) end to end, one thread:
# documents per second per core.
. "$(dirname "$0")/lib.sh"
build_release
if [ $# -gt 0 ]; then
  corpus=("$@")
else
  mapfile -t corpus < <(existing samples/xml samples/real "$DATA/en16931" "$DATA/facturx")
fi
"$EXAMPLES/per_document" einvoice --rounds "$([ "$QUICK" = 1 ] && echo 2 || echo 5)" "${corpus[@]}"
