#!/usr/bin/env bash
# Scale-out: the same corpus (synthetic text PDFs plus one-page scans) through
# `dispatcher process --workers 1` and `--workers 2`, alternating, each in a fresh data
# directory; documents per second and the ratio. On a 2-core machine 2 is the ceiling.
. "$(dirname "$0")/lib.sh"
build_release
rounds=$([ "$QUICK" = 1 ] && echo 1 || echo 2)
corpus=$WORK/scale-corpus
if [ ! -d "$corpus" ]; then
  synth_corpus "$WORK/synth-scale" 60 4711
  mkdir -p "$corpus"
  cp "$WORK"/synth-scale/*.pdf "$corpus/"
  OMP_THREAD_LIMIT=1 "$EXAMPLES/per_document" make-scans "$corpus" samples/de_rechnung.pdf \
    samples/en_invoice.pdf samples/fr_facture.pdf samples/it_fattura.pdf samples/nl_factuur.pdf \
    samples/da_faktura.pdf
fi
documents=$(ls "$corpus"/*.pdf | wc -l)
echo "corpus: $documents documents ($(ls "$corpus"/*.scan.pdf | wc -l) one-page scans)"
declare -A best
for round in $(seq "$rounds"); do
  for workers in 1 2; do
    data=$WORK/scale-data-$workers
    rm -rf "$data"
    start=$(date +%s.%N)
    STAPEL_LOG=warn OMP_THREAD_LIMIT=1 "$BIN/dispatcher" process --data-dir "$data" \
      --workers "$workers" --json "$corpus" >"$WORK/scale-$workers.json" || [ $? = 2 ]
    seconds=$(echo "$(date +%s.%N) - $start" | bc -l)
    done_count=$(grep -c '"status":"done"' "$WORK/scale-$workers.json" || true)
    printf 'round %s, %s worker(s): %.1f s, %.2f documents/s (%s done)\n' "$round" "$workers" \
      "$seconds" "$(echo "$documents / $seconds" | bc -l)" "$done_count"
    if [ -z "${best[$workers]:-}" ] || [ "$(echo "$seconds < ${best[$workers]}" | bc -l)" = 1 ]; then
      best[$workers]=$seconds
    fi
  done
done
printf 'best: 1 worker %.2f documents/s, 2 workers %.2f documents/s, ratio %.2fx\n' \
  "$(echo "$documents / ${best[1]}" | bc -l)" "$(echo "$documents / ${best[2]}" | bc -l)" \
  "$(echo "${best[1]} / ${best[2]}" | bc -l)"
