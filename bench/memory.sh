#!/usr/bin/env bash
# Memory: peak resident set of one worker (and its parser and OCR children: GNU time's maximum
# RSS covers the children it waited for) on the largest documents: the largest XML e-invoice
# (the 3 MB attachment of the public EN 16931 examples, when present), the largest text PDF of
# the samples, and a scanned PDF of SCAN_PAGES pages (default 30; split into 5-page parts in
# the bulk lane, as in production). The dispatcher's peak during the ingest run is printed by
# bench/ingest.sh.
. "$(dirname "$0")/lib.sh"
build_release
need_debian time:/usr/bin/time
pages=${SCAN_PAGES:-$([ "$QUICK" = 1 ] && echo 10 || echo 30)}
port=${STAPEL_BENCH_PORT:-18081}
OMP_THREAD_LIMIT=1 "$EXAMPLES/per_document" make-scans "$WORK/memory-scan" --pages "$pages" \
  samples/de_rechnung.pdf
documents=("$WORK/memory-scan/de_rechnung.scan${pages}p.pdf")
[ "$pages" = 1 ] && documents=("$WORK/memory-scan/de_rechnung.scan.pdf")
largest_xml=$(find samples/xml "$DATA/en16931" -name '*.xml' -printf '%s %p\n' 2>/dev/null |
  sort -n | tail -1 | cut -d' ' -f2-)
largest_pdf=$(find samples -name '*.pdf' -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2-)
documents+=("$largest_xml" "$largest_pdf")

for document in "${documents[@]}"; do
  data=$WORK/memory-data
  rm -rf "$data"
  mkdir -p "$data"
  STAPEL_LOG=warn "$BIN/dispatcher" serve --data-dir "$data" --listen "127.0.0.1:$port" \
    --workers 0 >"$WORK/memory-dispatcher.log" 2>&1 &
  dispatcher=$!
  trap 'kill "$dispatcher" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && [ -s "$data/local-api-key" ] && break
    sleep 0.2
  done
  key=$(cat "$data/local-api-key")
  # Quoted: a file name with a comma or semicolon would otherwise be cut by curl.
  id=$(curl -fsS -H "Authorization: Bearer $key" -F "file=@\"$document\"" \
    "http://127.0.0.1:$port/v1/documents" | python3 -c 'import json,sys; print(json.load(sys.stdin)["documents"][0]["id"])')
  start=$(date +%s.%N)
  STAPEL_LOG=warn OMP_THREAD_LIMIT=1 /usr/bin/time -f '%M' -o "$WORK/memory-rss" \
    "$BIN/worker" --data-dir "$data" --wait-time 1 &
  timer=$!
  status=queued
  while [ "$status" != done ] && [ "$status" != failed ]; do
    sleep 0.5
    status=$(curl -fsS -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/documents/$id" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  done
  seconds=$(echo "$(date +%s.%N) - $start" | bc -l)
  worker=$(pgrep -P "$timer")
  kill -TERM "$worker"
  wait "$timer" || true
  kill "$dispatcher"
  wait "$dispatcher" || true
  printf '%-60s %8d KB  %s in %.1f s: worker peak RSS %d MB\n' "$(basename "$document")" \
    "$(( $(stat -c %s "$document") / 1024 ))" "$status" "$seconds" \
    "$(( $(tail -1 "$WORK/memory-rss") / 1024 ))"
done
