#!/usr/bin/env bash
# Ingest: POST /v1/documents with 100 KB PDFs from a separate process (examples/ingest_load),
# fixed count and concurrency, against `dispatcher serve` on the embedded default with two local
# workers kept busy by the very backlog the burst creates; then waits until every document is
# final (nothing lost) and reports the dispatcher's peak memory (VmHWM).
#   bench/ingest.sh [COUNT] [CONCURRENCY]      (default 10000 16; --quick: 2000 16)
. "$(dirname "$0")/lib.sh"
build_release
count=${1:-$([ "$QUICK" = 1 ] && echo 2000 || echo 10000)}
concurrency=${2:-16}
port=${STAPEL_BENCH_PORT:-18080}
data=$WORK/ingest-data
rm -rf "$data"
mkdir -p "$data"
python3 bench/ingest/pad_pdf.py samples/en_invoice.pdf "$WORK/invoice-100k.pdf" 102400 >/dev/null
STAPEL_LOG=warn OMP_THREAD_LIMIT=1 "$BIN/dispatcher" serve --data-dir "$data" \
  --listen "127.0.0.1:$port" --workers 2 >"$WORK/ingest-dispatcher.log" 2>&1 &
dispatcher=$!
trap 'kill "$dispatcher" 2>/dev/null; wait "$dispatcher" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && [ -s "$data/local-api-key" ] && break
  sleep 0.2
done
"$EXAMPLES/ingest_load" --url "http://127.0.0.1:$port" --api-key-file "$data/local-api-key" \
  --file "$WORK/invoice-100k.pdf" --count "$count" --concurrency "$concurrency" --wait \
  --dispatcher-pid "$dispatcher"
